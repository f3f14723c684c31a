//! The application: shared state, every route (through utoipa-actix-web so a route cannot
//! exist without its OpenAPI entry), middleware, and the HTTP server that main and the tests
//! both start.

use std::net::TcpListener;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{get, web, App, HttpMessage, HttpResponse};
use secrecy::ExposeSecret;
use serde::Serialize;
use tracing_actix_web::TracingLogger;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::throttle::AddressThrottle;
use crate::auth::tokens::TokenKeys;
use crate::config::{Config, LoginPolicy};
use crate::db::Db;
use crate::error::{problem_type, AppError, AppResult, FieldError, Problem};
use crate::http::{self, JsonLimit};
use crate::telemetry::RequestSpan;
use crate::{accounts, auth, calendar, catalogue, dossiers, stats, units};

/// What every request handler shares.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub login: LoginPolicy,
    pub refresh_ttl: chrono::Duration,
    pub address_throttle: AddressThrottle,
    pub json_limit: usize,
    /// See `Config::request_timeout`.
    pub request_timeout: std::time::Duration,
    pub head_timeout: std::time::Duration,
    pub max_connections: usize,
    pub trust_proxy: bool,
    /// Public tracking look-ups per address.
    pub track_limit: AddressThrottle,
    /// The bearer token `/metrics` asks for (`None`: not served).
    pub metrics_token: Option<String>,
    /// Citizen registrations per address.
    pub register_limit: AddressThrottle,
    /// The working-day calendar, in memory.
    pub calendar: crate::calendar::store::CalendarCache,
    /// The in-memory catalogue that public search reads.
    pub catalogue: crate::catalogue::index::CatalogueCache,
    /// What each procedure version holds (versions never change).
    pub versions: std::sync::Arc<crate::catalogue::versions::VersionCache>,
    /// Uploaded documents.
    pub blobs: crate::blobs::BlobStore,
    /// Whether this instance folds changes into the statistics.
    pub stats_fold: bool,
    /// See `Config::clock_offset`, in microseconds (tests move it on).
    pub clock_offset: std::sync::atomic::AtomicI64,
    /// What authentication last read of each account.
    pub standing: crate::auth::standing::StandingCache,
    /// The key of the web client's CSRF tokens (the JWT secret).
    pub csrf_key: Vec<u8>,
}

impl AppState {
    pub fn new(config: &Config, db: Db) -> AppState {
        let access_ttl = i64::try_from(config.access_token_ttl.as_secs()).unwrap_or(900);
        AppState {
            db,
            tokens: TokenKeys::new(config.jwt_secret.expose_secret(), access_ttl),
            login: config.login.clone(),
            refresh_ttl: chrono::Duration::from_std(config.refresh_token_ttl)
                .unwrap_or_else(|_| chrono::Duration::days(14)),
            address_throttle: AddressThrottle::new(
                config.login.address_lock_after,
                config.login.lock_for,
            ),
            json_limit: config.max_json_bytes,
            request_timeout: config.request_timeout,
            head_timeout: config.head_timeout,
            max_connections: config.max_connections,
            trust_proxy: config.trust_proxy,
            track_limit: AddressThrottle::new(120, std::time::Duration::from_secs(60)),
            metrics_token: config
                .metrics_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            register_limit: AddressThrottle::new(
                config.login.registrations_per_address,
                std::time::Duration::from_secs(3600),
            ),
            calendar: Default::default(),
            catalogue: Default::default(),
            versions: Default::default(),
            blobs: crate::blobs::BlobStore::new(&config.documents_dir, config.max_upload_bytes),
            stats_fold: config.stats_fold,
            clock_offset: std::sync::atomic::AtomicI64::new(
                config.clock_offset.num_microseconds().unwrap_or(0),
            ),
            standing: Default::default(),
            csrf_key: config.jwt_secret.expose_secret().to_owned(),
        }
    }

    /// The instant a dossier change happens at (microsecond precision, as stored).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.clock_offset.load(std::sync::atomic::Ordering::Relaxed);
        crate::dossiers::store::now_instant() + chrono::Duration::microseconds(offset)
    }

    /// Moves the dossier clock so that it reads `at` now (tests only: see `Config::clock_offset`).
    pub fn set_clock(&self, at: chrono::DateTime<chrono::Utc>) {
        let offset = (at - chrono::Utc::now()).num_microseconds().unwrap_or(0);
        self.clock_offset
            .store(offset, std::sync::atomic::Ordering::Relaxed);
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// The last day of the last year whose days off are loaded (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_until: Option<chrono::NaiveDate>,
    /// What an operator should know and act on soon (readiness only), e.g. that the published
    /// calendar ends within 90 days: import the next year (`motcua import-calendar`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Warn this long before the published calendar runs out.
const CALENDAR_WARNING_DAYS: i64 = 90;

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        database: None,
        calendar_until: None,
        warnings: Vec::new(),
    })
}

/// Readiness: the database answers; the body warns when the published calendar runs out
/// within 90 days (still 200: the service works, due dates become provisional).
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> AppResult<web::Json<Health>> {
    state
        .db
        .ping()
        .await
        .map_err(|_| AppError::Unavailable("the database does not answer".to_owned()))?;
    let database = match state.db.backend() {
        crate::db::BackendKind::Sqlite => "sqlite",
        crate::db::BackendKind::Postgres => "postgres",
    };
    let calendars = state.calendar.get(&state.db).await?;
    let until = calendars.base().covered_until();
    let today = crate::calendar::model::local_today();
    let mut warnings = Vec::new();
    match until {
        Some(end) if (end - today).num_days() < CALENDAR_WARNING_DAYS => warnings.push(format!(
            "the working-day calendar ends on {end}: due dates after it count weekdays only and are provisional; import the next year's days off with `motcua import-calendar`"
        )),
        None => warnings.push(
            "the working-day calendar is empty: every due date is provisional; import the days off with `motcua import-calendar`".to_owned(),
        ),
        _ => {}
    }
    Ok(web::Json(Health {
        status: "ok",
        database: Some(database),
        calendar_until: until,
        warnings,
    }))
}

/// Every route of the service.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready).service(
        utoipa_actix_web::scope("/api/v1")
            .service(auth::routes::login)
            .service(auth::routes::refresh)
            .service(auth::routes::logout)
            .service(accounts::routes::me)
            .service(accounts::routes::register_citizen)
            .service(accounts::routes::list_users)
            .service(accounts::routes::create_user)
            .service(accounts::routes::get_user)
            .service(accounts::routes::update_user)
            .service(accounts::routes::disable_user)
            .service(accounts::routes::enable_user)
            .service(accounts::routes::reset_password)
            .service(accounts::routes::unit_staff)
            .service(crate::audit::list)
            .service(units::routes::list_units)
            .service(units::routes::create_unit)
            .service(units::routes::get_unit)
            .service(units::routes::update_unit)
            .service(units::routes::unit_subtree)
            .service(units::routes::unit_ancestors)
            .service(units::routes::retire_unit)
            .service(units::routes::reorganise)
            .service(units::routes::list_agencies)
            .service(units::routes::resolve_agency)
            .service(units::routes::create_agency)
            .service(catalogue::routes::list_procedures)
            .service(catalogue::routes::create_procedure)
            .service(catalogue::routes::get_procedure)
            .service(catalogue::routes::list_versions)
            .service(catalogue::routes::create_version)
            .service(catalogue::routes::deactivate_procedure)
            .service(catalogue::routes::activate_procedure)
            .service(catalogue::routes::get_version)
            .service(calendar::routes::list_days)
            .service(calendar::routes::create_day)
            .service(calendar::routes::delete_day)
            .service(calendar::routes::due)
            .service(calendar::routes::working_hours)
            .service(calendar::routes::set_working_hours)
            .service(dossiers::routes::work_queue)
            .service(dossiers::routes::file_dossier)
            .service(dossiers::routes::intake)
            .service(dossiers::routes::my_dossiers)
            .service(dossiers::routes::get_dossier)
            .service(dossiers::routes::form)
            .service(dossiers::routes::rate)
            .service(dossiers::routes::attach_document)
            .service(dossiers::routes::list_documents)
            .service(dossiers::routes::document_file)
            .service(dossiers::routes::receive)
            .service(dossiers::routes::reject)
            .service(dossiers::routes::withdraw)
            .service(dossiers::routes::assign)
            .service(dossiers::routes::advance)
            .service(dossiers::routes::request_supplement)
            .service(dossiers::routes::supplement)
            .service(dossiers::routes::request_payment)
            .service(dossiers::routes::pay)
            .service(dossiers::routes::submit_for_approval)
            .service(dossiers::routes::approve)
            .service(dossiers::routes::deny)
            .service(dossiers::routes::stop)
            .service(dossiers::routes::return_result)
            .service(dossiers::routes::apologise)
            .service(dossiers::routes::track)
            .service(dossiers::routes::labels)
            .service(stats::routes::processing_report)
            .service(stats::routes::rates)
            .service(stats::routes::overdue),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua",
        description = "Backend of the electronic one-stop system for administrative procedures (Một cửa điện tử). \
Every error is `application/problem+json` (RFC 9457) with a stable `type`.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(
        Problem,
        FieldError,
        crate::stats::routes::StatsPath,
        crate::stats::export::Format,
        crate::dossiers::routes::FormFormat
    )),
    modifiers(&StandardResponses),
    tags(
        (name = "auth", description = "Sign in, token refresh, sign out"),
        (name = "accounts", description = "Staff accounts, citizen registration, the caller's account"),
        (name = "units", description = "Administrative units (đơn vị hành chính) and agencies"),
        (name = "procedures", description = "The procedure catalogue (thủ tục hành chính)"),
        (name = "dossiers", description = "Dossiers (hồ sơ): filing, intake, transitions, tracking"),
        (name = "calendar", description = "Working days, holidays and due dates (ngày làm việc, ngày nghỉ, ngày hẹn trả)"),
        (name = "stats", description = "Statistics: the processing report (báo cáo tình hình giải quyết hồ sơ)"),
        (name = "health", description = "Liveness and readiness")
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme and the error responses every operation can give, so that each
/// handler documents only what is particular to it.
struct StandardResponses;

const ERRORS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed JSON, query string or path parameter",
    ),
    (
        "401",
        "Unauthorized",
        "Missing, invalid or expired access token",
    ),
    ("403", "Forbidden", "The caller's role may not do this"),
    (
        "404",
        "NotFound",
        "No such resource, or it is outside the caller's scope",
    ),
    (
        "408",
        "RequestTimeout",
        "The body did not arrive within MOTCUA_REQUEST_TIMEOUT",
    ),
    ("413", "PayloadTooLarge", "The body is larger than allowed"),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not application/json",
    ),
    ("422", "Validation", "Invalid fields; `errors` lists them"),
    (
        "500",
        "Internal",
        "Internal error (logged; no details are sent)",
    ),
    (
        "503",
        "Unavailable",
        "The database is unavailable or overloaded",
    ),
];

impl Modify for StandardResponses {
    fn modify(&self, api: &mut OpenApiDoc) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for (_, name, description) in ERRORS {
            let content = ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))))
                .build();
            components.responses.insert(
                (*name).to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content("application/problem+json", content)
                        .build(),
                ),
            );
        }
        for schema in components.schemas.values_mut() {
            refuse_controls(schema, TEXT_PATTERN);
        }
        for (path, item) in api.paths.paths.iter_mut() {
            let has_path_param = path.contains('{');
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, false),
            ];
            for (op, has_body) in ops {
                let Some(op) = op.as_mut() else { continue };
                for p in op.parameters.iter_mut().flatten() {
                    if let Some(schema) = p.schema.as_mut() {
                        refuse_controls(schema, PARAM_PATTERN);
                    }
                }
                if let Some(body) = op.request_body.as_mut() {
                    for content in body.content.values_mut() {
                        if let Some(schema) = content.schema.as_mut() {
                            refuse_controls(schema, TEXT_PATTERN);
                        }
                    }
                }
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = has_body && op.request_body.is_some();
                let has_query = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
                    })
                });
                for (status, name, _) in ERRORS {
                    let applies = match *status {
                        "400" => has_body || has_path_param || has_query,
                        "401" | "403" => secured,
                        "404" => has_path_param || secured,
                        "408" | "413" | "415" => has_body,
                        // A control character in a path or query parameter is 422 too.
                        "422" => has_body || has_query || has_path_param,
                        _ => path.starts_with("/api/") || *status == "503",
                    };
                    if applies && !op.responses.responses.contains_key(*status) {
                        op.responses.responses.insert(
                            (*status).to_owned(),
                            RefOr::Ref(utoipa::openapi::Ref::from_response_name(*name)),
                        );
                    }
                }
            }
        }
    }
}

/// Text in a body may hold tab and line breaks, no other control character (`http::Json`).
const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
/// A path or query parameter holds no control character at all.
const PARAM_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// Gives every free-text string in `schema` the pattern the server enforces on it (those with
/// a format, a list of values or a pattern of their own already say more).
fn refuse_controls(schema: &mut RefOr<utoipa::openapi::schema::Schema>, pattern: &str) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let text = match &o.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(types) => types.contains(&Type::String),
                _ => false,
            };
            if text && o.format.is_none() && o.enum_values.is_none() && o.pattern.is_none() {
                o.pattern = Some(pattern.to_owned());
            }
            for property in o.properties.values_mut() {
                refuse_controls(property, pattern);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                refuse_controls(items, pattern);
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(|i| refuse_controls(i, pattern)),
        Schema::AllOf(x) => x.items.iter_mut().for_each(|i| refuse_controls(i, pattern)),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(|i| refuse_controls(i, pattern)),
        _ => {}
    }
}

/// The OpenAPI document generated from the code (the committed `api-spec/openapi.json` must equal it).
pub fn openapi() -> OpenApiDoc {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure)
        .split_for_parts();
    let mut api = api;
    StandardResponses.modify(&mut api);
    api
}

/// Turns any error response that is not already problem+json (actix's own 404/405, say)
/// into one, so that clients see one error format.
fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        // The web client's own error pages are HTML, for people.
        v.as_bytes().starts_with(b"application/problem+json")
            || v.as_bytes().starts_with(b"text/html")
    });
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let slug = match status.as_u16() {
        404 => "not-found",
        405 => "method-not-allowed",
        413 => "payload-too-large",
        s if s < 500 => "bad-request",
        _ => "internal",
    };
    let problem = Problem {
        type_: problem_type(slug),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: status.canonical_reason().unwrap_or("error").to_lowercase(),
        errors: Vec::new(),
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    if let Some(allow) = old.headers().get(header::ALLOW) {
        new.insert_header((header::ALLOW, allow.clone()));
    }
    let new = new
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .body(serde_json::to_string(&problem).unwrap_or_default());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

/// Builds the HTTP server on `listener` with `workers` threads.
pub fn server(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    let json_limit = state.json_limit;
    let body_timeout = http::BodyTimeout(state.request_timeout);
    let (head_timeout, max_connections) = (state.head_timeout, state.max_connections);
    let routes = web::Data::new(http::Routes::from_spec(&openapi()));
    if state.stats_fold {
        actix_web::rt::spawn(crate::stats::fast::fold_continuously(state.db.clone()));
    }
    let make_app = move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(routes.clone())
            .app_data(JsonLimit(json_limit))
            .app_data(body_timeout)
            .app_data(web::PayloadConfig::new(json_limit))
            .app_data(web::QueryConfig::default().error_handler(http::query_error))
            .app_data(web::PathConfig::default().error_handler(http::path_error))
            .configure(configure)
            .split_for_parts();
        let mut api = api;
        StandardResponses.modify(&mut api);
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/api-spec/openapi.json", api))
            .service(crate::metrics::scrape)
            .configure(crate::web::configure)
            .default_service(web::to(crate::web::fallback))
            // Innermost: a form's one-time token gets the handler's own answer.
            .wrap(actix_web::middleware::from_fn(crate::web::once::record))
            .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
            .wrap(actix_web::middleware::from_fn(
                crate::i18n::translate_problems,
            ))
            .wrap(
                DefaultHeaders::new()
                    .add((
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ))
                    .add((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))),
            )
            // gzip when the client asks (pages, scripts, JSON, CSV); outside the middlewares
            // that read a body (the problem translation), so they see it uncompressed.
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(
                http::refuse_control_characters,
            ))
            .wrap(actix_web::middleware::from_fn(request_id_header))
            .wrap(actix_web::middleware::from_fn(crate::metrics::observe))
            .wrap(TracingLogger::<RequestSpan>::new())
    };
    // What `HttpServer` assembles, with each connection wrapped so that the HTTP parser's own
    // error answers are problem+json too (`edge::ProblemIo`).
    let addr = listener.local_addr()?;
    let workers = workers.max(1);
    let server = actix_server::Server::build()
        .workers(workers)
        .max_concurrent_connections((max_connections / workers).max(64))
        .shutdown_timeout(20)
        .listen("motcua", listener, move || {
            use actix_service::{IntoServiceFactory, ServiceFactoryExt};
            let app = make_app()
                .into_factory()
                .map_err(|err| err.error_response());
            let http = actix_http::HttpService::build()
                // A request's head must arrive within this (slowloris), then its body within
                // `request_timeout` (`http::Json`, `blobs::put`); idle connections close.
                .client_request_timeout(head_timeout)
                .keep_alive(std::time::Duration::from_secs(15))
                .local_addr(addr)
                .finish(actix_service::map_config(app, |_| {
                    actix_web::dev::AppConfig::default()
                }));
            actix_service::fn_service(|io: actix_web::rt::net::TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok::<_, actix_http::error::DispatchError>((
                    crate::edge::ProblemIo::new(io),
                    actix_http::Protocol::Http1,
                    peer,
                ))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}

/// Copies the request id that the tracing middleware generated into `x-request-id`.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let mut res = next
        .call(req)
        .await?
        .map_into_boxed_body()
        .map_into_left_body();
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
