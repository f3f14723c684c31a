//! `/api/v1/procedures`: the public catalogue (list/search, get, versions) and its
//! administration (create, new version, deactivate/activate).

use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::catalogue::model::ProcedureSpec;
use crate::catalogue::store::{
    self, ProcedureDetail, ProcedureFilter, ProcedureSummary, VersionInfo,
};
use crate::error::{AppError, AppResult};
use crate::http::{check_query_text, Json, Page, PageParams};
use crate::services::catalogue::*;
use crate::state::AppState;
use crate::state::MaybeCaller;
use utoipa_actix_web::service_config::ServiceConfig;

/// The public catalogue: active procedures, current versions, by code. A bearer token is
/// optional (and checked when given).
#[utoipa::path(tag = "procedures", params(ProcedureListQuery), security((), ("bearer" = [])),
    responses((status = 200, body = Page<ProcedureSummary>)))]
#[get("/procedures")]
pub async fn list_procedures(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    query: crate::http::Query<ProcedureListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let include_inactive = q.include_inactive.unwrap_or(false);
    if include_inactive {
        let caller = caller.0.as_ref().ok_or_else(|| {
            AppError::Unauthorized("include_inactive needs an administrator's token".to_owned())
        })?;
        caller.require(&[Role::Admin])?;
    }
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .paging()?;
    check_query_text("q", q.q.as_deref())?;
    check_query_text("field", q.field.as_deref())?;
    let filter = ProcedureFilter {
        q: q.q,
        field: q.field,
        level: q.level,
        online_level: q.online_level,
        include_inactive,
    };
    let index = state.catalogue.get(&state.db).await?;
    let (items, total) = index.search(&filter, paging);
    // The summaries are serialised once per catalogue revision; assemble the page around them.
    let mut body = String::with_capacity(64 + items.iter().map(|i| i.len() + 1).sum::<usize>());
    body.push_str("{\"items\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str(&format!(
        "],\"total\":{total},\"page\":{},\"per_page\":{}}}",
        paging.page, paging.per_page
    ));
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

/// A procedure with its steps: the current version, or `?version=N`.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National code, e.g. 1.001193", pattern = r"^[A-Za-z0-9._-]{1,32}$"), VersionQuery),
    responses((status = 200, body = ProcedureDetail)))]
#[get("/procedures/{code}")]
pub async fn get_procedure(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: crate::http::Query<VersionQuery>,
) -> AppResult<web::Json<ProcedureDetail>> {
    let code = code.into_inner();
    check_code(&code)?;
    let version = query.version;
    let detail = state
        .db
        .read(move |c| store::by_code(c, &code, version))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(web::Json(detail))
}

#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National code", pattern = r"^[A-Za-z0-9._-]{1,32}$"), PageParams),
    responses((status = 200, body = Page<VersionInfo>)))]
#[get("/procedures/{code}/versions")]
pub async fn list_versions(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: crate::http::Query<PageParams>,
) -> AppResult<web::Json<Page<VersionInfo>>> {
    let paging = query.paging()?;
    let code = code.into_inner();
    check_code(&code)?;
    let v = state
        .db
        .read(move |c| store::versions(c, &code))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(web::Json(Page::of_all(v, paging)))
}

/// Any version by its id (dossiers pin the version they were filed under).
#[utoipa::path(tag = "procedures", responses((status = 200, body = ProcedureDetail)))]
#[get("/procedure-versions/{id}")]
pub async fn get_version(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ProcedureDetail>> {
    let id = id.into_inner();
    let d = state
        .db
        .read(move |c| store::version_by_id(c, id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(web::Json(d))
}

#[utoipa::path(tag = "procedures", request_body = ProcedureSpec, security(("bearer" = [])),
    responses((status = 201, body = ProcedureDetail),
        (status = 409, description = "The code exists", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/procedures")]
pub async fn create_procedure(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ProcedureSpec>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let spec = body.0;
    spec.validate()?;
    let by = caller.user_id;
    let detail = state
        .db
        .write(move |c| {
            if store::exists(c, &spec.code)? {
                return Err(AppError::Conflict(format!(
                    "procedure {} exists; add a version instead",
                    spec.code
                )));
            }
            store::create(c, &spec, Some(by))
        })
        .await?;
    state.catalogue.invalidate();
    Ok(HttpResponse::Created().json(detail))
}

/// Makes a new current version; the body's `code` must be the path's.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National code", pattern = r"^[A-Za-z0-9._-]{1,32}$")),
    request_body = ProcedureSpec, security(("bearer" = [])), responses((status = 201, body = ProcedureDetail)))]
#[post("/procedures/{code}/versions")]
pub async fn create_version(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: Json<ProcedureSpec>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let code = code.into_inner();
    check_code(&code)?;
    let spec = body.0;
    spec.validate()?;
    if spec.code != code {
        return Err(AppError::invalid("code", "must be the code in the path"));
    }
    let by = caller.user_id;
    let detail = state
        .db
        .write(move |c| store::new_version(c, &spec, Some(by)))
        .await?;
    state.catalogue.invalidate();
    Ok(HttpResponse::Created().json(detail))
}

/// Withdraws a procedure from the public catalogue (existing dossiers keep it).
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National code", pattern = r"^[A-Za-z0-9._-]{1,32}$")),
    security(("bearer" = [])), responses((status = 200, body = ProcedureDetail)))]
#[post("/procedures/{code}/deactivate")]
pub async fn deactivate_procedure(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<web::Json<ProcedureDetail>> {
    set_active(state, caller, code.into_inner(), false).await
}

#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National code", pattern = r"^[A-Za-z0-9._-]{1,32}$")),
    security(("bearer" = [])), responses((status = 200, body = ProcedureDetail)))]
#[post("/procedures/{code}/activate")]
pub async fn activate_procedure(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<web::Json<ProcedureDetail>> {
    set_active(state, caller, code.into_inner(), true).await
}

/// The `catalogue` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_procedures)
        .service(create_procedure)
        .service(get_procedure)
        .service(list_versions)
        .service(create_version)
        .service(deactivate_procedure)
        .service(activate_procedure)
        .service(get_version);
}
