//! The JSON API under `/api/v1`, one module per domain: each handler reads the request,
//! calls the domain's service (`crate::services`) and writes the answer. `configure` composes
//! the domains' routes in the order they are matched; `crate::app` mounts it.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod catalogue;
pub mod dossiers;
pub mod metrics;
pub mod stats;
pub mod units;

/// Every route of the service: health, then `/api/v1` domain by domain.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready).service(
        utoipa_actix_web::scope("/api/v1")
            .configure(auth::configure)
            .configure(accounts::configure)
            .configure(audit::configure)
            .configure(units::configure)
            .configure(catalogue::configure)
            .configure(calendar::configure)
            .configure(dossiers::configure)
            .configure(stats::configure),
    );
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
