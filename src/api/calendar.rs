//! `/api/v1/calendar`: the days that depart from Monday–Friday (public), their administration
//! (global administrators), and the due-date calculator.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::NaiveDate;

use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::calendar::model::{self, DayKind};
use crate::calendar::store::{self, CalendarDay};
use crate::error::{AppError, AppResult, Validator};
use crate::http::Json;
use crate::services::calendar::*;
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

/// Holidays, compensatory days off and working Saturdays, in date order.
#[utoipa::path(tag = "calendar", params(DaysQuery), responses((status = 200, body = crate::http::Page<CalendarDay>)))]
#[get("/calendar/days")]
pub async fn list_days(
    state: web::Data<AppState>,
    query: crate::http::Query<DaysQuery>,
) -> AppResult<web::Json<crate::http::Page<CalendarDay>>> {
    let year = query.year;
    if year.is_some_and(|y| !(1900..=2200).contains(&y)) {
        return Err(AppError::invalid("year", "must be between 1900 and 2200"));
    }
    let paging = crate::http::PageParams {
        page: query.page,
        per_page: query.per_page,
    }
    .paging()?;
    let days = state.db.read(move |c| store::list(c, year)).await?;
    Ok(web::Json(crate::http::Page::of_all(days, paging)))
}

#[utoipa::path(tag = "calendar", request_body = CreateDay, security(("bearer" = [])),
    responses((status = 201, body = CalendarDay),
        (status = 409, description = "The date is already in the calendar", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/calendar/days")]
pub async fn create_day(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateDay>,
) -> AppResult<HttpResponse> {
    require_national_admin(&caller)?;
    let input = body.0;
    let mut v = Validator::new();
    v.text("name", &input.name, 200);
    v.check(
        store::kind_fits(input.date, input.kind),
        "kind",
        match input.kind {
            DayKind::Holiday => {
                "a holiday must fall on a weekday (Saturdays and Sundays are off already)"
            }
            DayKind::WorkingSaturday => "a working Saturday must be a Saturday",
        },
    );
    v.finish()?;
    let day = state
        .db
        .write(move |c| store::insert(c, input.date, input.kind, input.name.trim()))
        .await?;
    state.calendar.invalidate();
    Ok(HttpResponse::Created().json(day))
}

#[utoipa::path(tag = "calendar", params(("date" = NaiveDate, Path, description = "YYYY-MM-DD")),
    security(("bearer" = [])), responses((status = 204, description = "Removed")))]
#[delete("/calendar/days/{date}")]
pub async fn delete_day(
    state: web::Data<AppState>,
    caller: Caller,
    date: web::Path<NaiveDate>,
) -> AppResult<HttpResponse> {
    require_national_admin(&caller)?;
    let date = date.into_inner();
    state.db.write(move |c| store::delete(c, date)).await?;
    state.calendar.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// The due instant for a processing time counted from `from` (DOMAIN §4).
#[utoipa::path(tag = "calendar", params(DueQuery), security(("bearer" = [])), responses((status = 200, body = DueAnswer)))]
#[get("/calendar/due")]
pub async fn due(
    state: web::Data<AppState>,
    _caller: Caller,
    query: crate::http::Query<DueQuery>,
) -> AppResult<web::Json<DueAnswer>> {
    let q = query.into_inner();
    if !q.days.is_finite() || !(0.0..=10_000.0).contains(&q.days) {
        return Err(AppError::invalid("days", "must be between 0 and 10000"));
    }
    let calendars = state.calendar.get(&state.db).await?;
    let calendar = match q.unit_id {
        None => calendars.base(),
        Some(id) => {
            let unit = state
                .db
                .read(move |c| crate::units::store::get(c, id))
                .await?
                .ok_or_else(|| AppError::invalid("unit_id", "no such unit"))?;
            calendars.for_path(&unit.path)
        }
    };
    let fail = |e: model::CalendarError| AppError::invalid("from", e.to_string());
    let counting_starts = calendar.next_working_instant(q.from).map_err(fail)?;
    let due_at = calendar
        .due_at(q.from, q.days, q.time_unit.unwrap_or_default())
        .map_err(fail)?;
    let local = model::to_local(due_at);
    Ok(web::Json(DueAnswer {
        from: q.from,
        counting_starts,
        due_at,
        due_local: local.format("%Y-%m-%d %H:%M").to_string(),
        due_date: local.date(),
        due_session: model::session_name(due_at),
        calendar_provisional: calendar.is_provisional(due_at),
    }))
}

/// The working hours that apply at a unit: its province's (DOMAIN §4: configurable per
/// province); `unit_id` in the answer is the province. Public reference data, like the unit
/// tree: any signed-in caller reads them.
#[utoipa::path(tag = "calendar", params(("id" = uuid::Uuid, Path, description = "Any unit")),
    security(("bearer" = [])), responses((status = 200, body = store::ProvinceHours)))]
#[get("/units/{id}/working-hours")]
pub async fn working_hours(
    state: web::Data<AppState>,
    _caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<store::ProvinceHours>> {
    let id = id.into_inner();
    let hours = state
        .db
        .read(move |c| {
            let unit = crate::units::store::get(c, id)?.ok_or(AppError::NotFound)?;
            let province = crate::units::model::path_ids(&unit.path)
                .first()
                .copied()
                .unwrap_or(id);
            store::hours_of_province(c, province)
        })
        .await?;
    Ok(web::Json(hours))
}

/// Sets a province's working hours: due dates of dossiers received from now on count in them.
#[utoipa::path(tag = "calendar", params(("id" = uuid::Uuid, Path, description = "A province (root unit)")),
    request_body = SetWorkingHours, security(("bearer" = [])),
    responses((status = 200, body = store::ProvinceHours)))]
#[put("/units/{id}/working-hours")]
pub async fn set_working_hours(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    body: Json<SetWorkingHours>,
) -> AppResult<web::Json<store::ProvinceHours>> {
    caller.require(&[Role::Admin])?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let hours = match body.0.sessions.as_deref() {
        None | Some([]) => None,
        Some(sessions) => Some(store::hours_of(sessions)?),
    };
    let answer = state
        .db
        .write(move |c| {
            let unit = crate::units::store::get_manageable(c, id, scope)?;
            if unit.depth != 0 {
                return Err(AppError::invalid(
                    "id",
                    "working hours are set per province: name the province, not one of its units",
                ));
            }
            store::set_hours(c, id, hours.as_ref())
        })
        .await?;
    state.calendar.invalidate();
    Ok(web::Json(answer))
}

/// The `calendar` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_days)
        .service(create_day)
        .service(delete_day)
        .service(due)
        .service(working_hours)
        .service(set_working_hours);
}
