//! `/api/v1/stats`: the processing report and the rates, scoped to the caller's subtree.

use actix_web::{get, web, HttpResponse};

use crate::auth::Caller;
use crate::error::AppResult;
use crate::services::stats::*;
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

/// The processing report (DOMAIN §5) of a unit's subtree over a period: received (carried
/// over, new by channel), resolved (early, on time, late), unresolved at the end (within time,
/// overdue), withdrawn, rejected and stopped.
#[utoipa::path(tag = "stats", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, description = "JSON by default; CSV with `format=csv`, XLSX with `format=xlsx`", content(
        (ReportAnswer = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
#[get("/stats/report")]
pub async fn processing_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let format = q.format.unwrap_or_default();
    let answer = report(&state, &caller, q).await?;
    let name = file_name("bao-cao", &answer.on);
    send(
        format,
        &answer,
        || report_tables(&answer),
        &name,
        || heading(REPORT_TITLE, &answer.on),
    )
}

/// The service-quality rates (DOMAIN §5) of a unit's subtree over a period, each as
/// numerator, denominator and value.
#[utoipa::path(tag = "stats", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, description = "JSON by default; CSV with `format=csv`, XLSX with `format=xlsx`", content(
        (RatesAnswer = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
#[get("/stats/rates")]
pub async fn rates(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let format = q.format.unwrap_or_default();
    let answer = rates_of(&state, &caller, q).await?;
    let name = file_name("chi-so", &answer.on);
    send(
        format,
        &answer,
        || rates_tables(&answer),
        &name,
        || heading(RATES_TITLE, &answer.on),
    )
}

/// The dossiers overdue now in a unit's subtree, counted by the unit holding them and by
/// procedure, and listed with who holds them.
#[utoipa::path(tag = "stats", params(OverdueQuery), security(("bearer" = [])),
    responses((status = 200, body = OverdueAnswer)))]
#[get("/stats/overdue")]
pub async fn overdue(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<OverdueQuery>,
) -> AppResult<web::Json<OverdueAnswer>> {
    Ok(web::Json(
        overdue_of(&state, &caller, query.into_inner()).await?,
    ))
}

/// The `stats` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(processing_report)
        .service(rates)
        .service(overdue);
}
