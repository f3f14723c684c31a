//! `/api/v1/units`: list, get, subtree, ancestors, agencies; create, update, retire (admin).

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::auth::{Caller, Scope};
use crate::error::{AppError, AppResult, Validator};
use crate::http::{check_query_text, Json, Page, PageParams};
use crate::services::units::*;
use crate::state::AppState;
use crate::units::model::{self, Agency, Unit};
use crate::units::store::{self, NewUnit, UnitChanges, UnitFilter};
use utoipa_actix_web::service_config::ServiceConfig;

/// Units in the caller's scope (all units for citizens: the tree is public reference data).
#[utoipa::path(tag = "units", params(UnitListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Unit>)))]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<UnitListQuery>,
) -> AppResult<web::Json<Page<Unit>>> {
    let q = query.into_inner();
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .paging()?;
    check_query_text("q", q.q.as_deref())?;
    check_query_text("code", q.code.as_deref())?;
    let filter = UnitFilter {
        parent: q.parent,
        roots: q.roots.unwrap_or(false),
        kind: q.kind,
        valid_on: q.valid_on,
        code: q.code,
        q: q.q,
    };
    let scope = caller.scope();
    let (items, total) = state
        .db
        .read(move |c| store::list(c, scope, &filter, paging))
        .await?;
    Ok(web::Json(Page::new(items, total, paging)))
}

#[utoipa::path(tag = "units", security(("bearer" = [])), responses((status = 200, body = Unit)))]
#[get("/units/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Unit>> {
    let (id, scope) = (id.into_inner(), caller.scope());
    Ok(web::Json(
        state
            .db
            .read(move |c| store::get_in_scope(c, id, scope))
            .await?,
    ))
}

/// The unit and every unit under it, shallowest first (as far as the caller's scope reaches).
#[utoipa::path(tag = "units", params(ValidOnQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Unit>)))]
#[get("/units/{id}/subtree")]
pub async fn unit_subtree(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: crate::http::Query<ValidOnQuery>,
) -> AppResult<web::Json<Page<Unit>>> {
    let paging = PageParams {
        page: query.page,
        per_page: query.per_page,
    }
    .paging()?;
    let (id, scope, valid_on) = (id.into_inner(), caller.scope(), query.valid_on);
    let units = state
        .db
        .read(move |c| {
            let unit = store::get_in_scope(c, id, scope)?;
            let all = store::subtree(c, &unit, valid_on)?;
            Ok(all
                .into_iter()
                .filter(|u| store::visible(u, scope))
                .collect())
        })
        .await?;
    Ok(web::Json(Page::of_all(units, paging)))
}

/// The unit's ancestors, root first, as far as the caller's scope reaches.
#[utoipa::path(tag = "units", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<Unit>)))]
#[get("/units/{id}/ancestors")]
pub async fn unit_ancestors(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: crate::http::Query<PageParams>,
) -> AppResult<web::Json<Page<Unit>>> {
    let paging = query.paging()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let units = state
        .db
        .read(move |c| {
            let unit = store::get_in_scope(c, id, scope)?;
            Ok(store::ancestors(c, &unit)?
                .into_iter()
                .filter(|u| store::visible(u, scope))
                .collect())
        })
        .await?;
    Ok(web::Json(Page::of_all(units, paging)))
}

#[utoipa::path(tag = "units", request_body = CreateUnit, security(("bearer" = [])),
    responses((status = 201, body = Unit),
        (status = 409, description = "Another unit has this code during the period", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/units")]
pub async fn create_unit(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateUnit>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let input = body.0;
    let valid_from = input
        .valid_from
        .unwrap_or_else(crate::calendar::model::local_today);
    let mut v = Validator::new();
    check_unit_fields(
        &mut v,
        Some(&input.code),
        Some(&input.name),
        input.agency_code.as_deref(),
    );
    model::check_validity(&mut v, valid_from, input.valid_to);
    v.finish()?;
    let scope = caller.scope();
    let unit = state
        .db
        .write(move |c| {
            let parent = match input.parent_id {
                Some(pid) => Some(store::manageable_field(c, pid, scope, "parent_id")?),
                None if scope == Scope::All => None,
                None => {
                    return Err(AppError::invalid(
                        "parent_id",
                        "required: you administer one subtree",
                    ))
                }
            };
            if store::find_by_code(c, input.code.trim(), valid_from)?.is_some() {
                return Err(AppError::Conflict(format!(
                    "unit code {} already exists on {valid_from}",
                    input.code
                )));
            }
            store::insert(
                c,
                NewUnit {
                    code: input.code.trim(),
                    name: input.name.trim(),
                    kind: input.kind,
                    parent: parent.as_ref(),
                    agency_code: input.agency_code.as_deref(),
                    valid_from,
                    valid_to: input.valid_to,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(unit))
}

#[utoipa::path(tag = "units", request_body = UpdateUnit, security(("bearer" = [])),
    responses((status = 200, body = Unit),
        (status = 409, description = "The change conflicts with the tree (a code in use, a parent under the unit itself, a retired unit)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/units/{id}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateUnit>,
) -> AppResult<web::Json<Unit>> {
    caller.require(&[Role::Admin])?;
    let input = body.0;
    let mut v = Validator::new();
    check_unit_fields(
        &mut v,
        input.code.as_deref(),
        input.name.as_deref(),
        input.agency_code.as_deref(),
    );
    v.finish()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let unit = state
        .db
        .write(move |c| {
            let unit = store::get_manageable(c, id, scope)?;
            let mut v = Validator::new();
            model::check_validity(
                &mut v,
                input.valid_from.unwrap_or(unit.valid_from),
                unit.valid_to,
            );
            v.finish()?;
            if let Some(pid) = input.parent_id.filter(|p| Some(*p) != unit.parent_id) {
                let parent = store::manageable_field(c, pid, scope, "parent_id")?;
                if parent.is_within(unit.id) {
                    return Err(AppError::invalid(
                        "parent_id",
                        "a unit cannot move under itself",
                    ));
                }
                store::reparent(c, &unit, Some(&parent))?;
            }
            let unit = store::get(c, id)?.ok_or(AppError::NotFound)?;
            store::update(
                c,
                &unit,
                UnitChanges {
                    code: input.code.as_deref().map(str::trim),
                    name: input.name.as_deref().map(str::trim),
                    kind: input.kind,
                    agency_code: input.agency_code.as_deref().map(Some),
                    valid_from: input.valid_from,
                },
            )
        })
        .await?;
    Ok(web::Json(unit))
}

/// Ends a unit's validity after a reorganisation, naming its successor. It may be called again
/// (e.g. to name the successor once it exists: a code can be reused only after its unit ends).
#[utoipa::path(tag = "units", request_body = RetireUnit, security(("bearer" = [])),
    responses((status = 200, body = Unit)))]
#[post("/units/{id}/retire")]
pub async fn retire_unit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<RetireUnit>,
) -> AppResult<web::Json<Unit>> {
    caller.require(&[Role::Admin])?;
    let input = body.0;
    let (id, scope) = (id.into_inner(), caller.scope());
    let unit = state
        .db
        .write(move |c| {
            let unit = store::get_manageable(c, id, scope)?;
            let mut v = Validator::new();
            model::check_validity(&mut v, unit.valid_from, Some(input.valid_to));
            if let Some(sid) = input.successor_id {
                v.check(
                    sid != unit.id,
                    "successor_id",
                    "a unit cannot succeed itself",
                );
                match store::get(c, sid)? {
                    Some(s) if store::visible(&s, scope) => {}
                    _ => v.add("successor_id", "no such unit in your scope"),
                }
            }
            v.finish()?;
            store::retire(c, &unit, input.valid_to, input.successor_id)
        })
        .await?;
    Ok(web::Json(unit))
}

/// Which unit an agency identifier (a unit's own, `000.00.00.H55`, or one of its agencies')
/// names on a day, through the successors of the units retired by then: an identifier of a
/// unit retired in 2025 resolves to the unit that took it over. 404 when no unit in the
/// caller's scope ever held it.
#[utoipa::path(tag = "units", params(("code" = String, Path, description = "The identifier, e.g. 000.00.00.H55", pattern = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$"), AgencyLookup), security(("bearer" = [])),
    responses((status = 200, body = ResolvedAgency)))]
#[get("/agencies/{code}")]
pub async fn resolve_agency(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    query: crate::http::Query<AgencyLookup>,
) -> AppResult<web::Json<ResolvedAgency>> {
    let code = code.into_inner();
    if !model::valid_agency_code(&code) {
        return Err(AppError::invalid("code", "must look like 000.00.00.H55"));
    }
    let on = query
        .into_inner()
        .on
        .unwrap_or_else(crate::calendar::model::local_today);
    let scope = caller.scope();
    let chain = state
        .db
        .read({
            let code = code.clone();
            move |c| store::resolve_agency_code(c, &code, on)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    if !chain.iter().any(|u| store::visible(u, scope)) {
        return Err(AppError::NotFound);
    }
    // A chain that ends at a retired unit has no answer: all of it is the way.
    let mut via = chain;
    let unit = if via.last().is_some_and(|u| u.valid_on(on)) {
        via.pop()
    } else {
        None
    };
    Ok(web::Json(ResolvedAgency {
        code,
        on,
        unit,
        via,
    }))
}

#[utoipa::path(tag = "units", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<Agency>)))]
#[get("/units/{id}/agencies")]
pub async fn list_agencies(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: crate::http::Query<PageParams>,
) -> AppResult<web::Json<Page<Agency>>> {
    let paging = query.paging()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let agencies = state
        .db
        .read(move |c| {
            store::get_in_scope(c, id, scope)?;
            store::agencies_of(c, id)
        })
        .await?;
    Ok(web::Json(Page::of_all(agencies, paging)))
}

#[utoipa::path(tag = "units", request_body = CreateAgency, security(("bearer" = [])),
    responses((status = 201, body = Agency),
        (status = 409, description = "The identifier is taken", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/units/{id}/agencies")]
pub async fn create_agency(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<CreateAgency>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let input = body.0;
    let mut v = Validator::new();
    v.check(
        model::valid_agency_code(&input.code),
        "code",
        "must look like 000.00.00.H55",
    );
    v.text("name", &input.name, 200);
    v.finish()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let agency = state
        .db
        .write(move |c| {
            let unit = store::get_manageable(c, id, scope)?;
            if store::agency_code_taken(c, &input.code)? {
                return Err(AppError::Conflict(format!(
                    "agency identifier {} is taken",
                    input.code
                )));
            }
            store::insert_agency(c, unit.id, &input.code, input.name.trim(), input.kind)
        })
        .await?;
    Ok(HttpResponse::Created().json(agency))
}

/// Applies a reorganisation (sắp xếp đơn vị hành chính) in one transaction, or with `dry_run`
/// answers what it would do: per retired unit, the open dossiers handed to its successor (with
/// a `transfer` event; due dates and pauses unchanged), the staff re-homed or disabled, the
/// agencies and remaining child units moved; and every conflict that stands in the way. Every
/// unit named must be in the administrator's scope (404). A plan in conflict is not applied
/// (409).
#[utoipa::path(tag = "units", request_body = crate::reorganise::Plan, security(("bearer" = [])),
    responses((status = 200, body = crate::reorganise::Outcome, description = "Applied, or the dry run's answer"),
        (status = 409, description = "The plan is in conflict (see a dry run)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/reorganisations")]
pub async fn reorganise(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<crate::reorganise::Plan>,
) -> AppResult<web::Json<crate::reorganise::Outcome>> {
    Ok(web::Json(apply_plan(&state, &caller, body.0).await?))
}

/// The `units` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_units)
        .service(create_unit)
        .service(get_unit)
        .service(update_unit)
        .service(unit_subtree)
        .service(unit_ancestors)
        .service(retire_unit)
        .service(reorganise)
        .service(list_agencies)
        .service(resolve_agency)
        .service(create_agency);
}
