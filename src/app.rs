//! The top of the service: the router that mounts the JSON API (`crate::api`, through
//! utoipa-actix-web so a route cannot exist without its OpenAPI entry) and the web client
//! (`crate::web`), the middleware, the OpenAPI document, and the HTTP server that main and the
//! tests both start. The state every handler reads lives below, in `crate::state`.

use std::net::TcpListener;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpMessage, HttpResponse};
use tracing_actix_web::TracingLogger;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{problem_type, FieldError, Problem};
use crate::http::{self, JsonLimit};
use crate::state::AppState;
use crate::telemetry::RequestSpan;

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
        crate::services::stats::StatsPath,
        crate::stats::export::Format,
        crate::services::dossiers::FormFormat
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
        .configure(crate::api::configure)
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
            .configure(crate::api::configure)
            .split_for_parts();
        let mut api = api;
        StandardResponses.modify(&mut api);
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/api-spec/openapi.json", api))
            .service(crate::api::metrics::scrape)
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
