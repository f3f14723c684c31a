//! `GET /metrics`: the Prometheus registry (`crate::metrics`) for a scraper holding
//! `MOTCUA_METRICS_TOKEN`. Outside `/api/v1` and the OpenAPI document, like the health routes'
//! cousins in other services.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};
use crate::metrics::{constant_time_eq, render, PoolFigures};
use crate::state::AppState;

/// The metrics, for a scraper holding `MOTCUA_METRICS_TOKEN`; 404 otherwise, so that the
/// endpoint does not show itself to anyone else.
#[get("/metrics")]
pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let Some(expected) = state.metrics_token.as_deref() else {
        return Err(AppError::NotFound);
    };
    let given = crate::auth::caller::bearer(&req).unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Err(AppError::NotFound);
    }
    let backlog = state.db.read(crate::stats::fast::backlog).await?;
    let pool = state.db.pool_state();
    let figures = PoolFigures {
        connections: pool.connections,
        idle: pool.idle_connections,
        max: state.db.pool_max(),
    };
    let out = render(figures, backlog, state.stats_fold)
        .ok_or_else(|| AppError::Unavailable("metrics are not available".to_owned()))?
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(out))
}
