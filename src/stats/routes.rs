//! `/api/v1/stats`: the processing report and the rates, scoped to the caller's subtree.

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{Period, Rate, Rates, Report};
use super::reference::{self, Computed, GroupBy, Tree};
use crate::accounts::model::Role;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The unit (default: the caller's own).
    pub unit: Option<Uuid>,
    /// First day of the period (local date, YYYY-MM-DD).
    pub from: NaiveDate,
    /// The day after the period (so `from=2025-01-01&to=2026-01-01` is the year 2025).
    pub to: NaiveDate,
    pub group_by: Option<GroupBy>,
    /// `filed` (default) or `current`.
    pub tree: Option<Tree>,
}

/// The unit and period a figure is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOn {
    pub unit_id: Uuid,
    pub unit_code: String,
    pub unit_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tree: Tree,
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportGroup {
    /// A unit id, a procedure code, a field, or `YYYY-MM`.
    pub key: String,
    pub label: String,
    pub report: Report,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportAnswer {
    #[serde(flatten)]
    pub on: ReportOn,
    /// The unit's whole subtree.
    pub total: Report,
    /// By `group_by`: children (with the unit itself for dossiers filed at it), procedures,
    /// fields or months; empty without `group_by`.
    pub groups: Vec<ReportGroup>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatesGroup {
    pub key: String,
    pub label: String,
    pub rates: Rates,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatesAnswer {
    #[serde(flatten)]
    pub on: ReportOn,
    pub total: Rates,
    /// Procedures offered fully online (toàn trình) ÷ active procedures in the catalogue.
    pub catalogue_full: Rate,
    /// Procedures offered online that received an online dossier in the period ÷ those
    /// offered online that received any dossier.
    pub online_used: Rate,
    pub groups: Vec<RatesGroup>,
}

/// Longest period a report covers.
const MAX_DAYS: i64 = 366 * 10;

/// Checks the query and computes every figure for it (the reference path).
async fn compute(
    state: &AppState,
    caller: &Caller,
    q: StatsQuery,
) -> AppResult<(ReportOn, Computed, Rate)> {
    caller.require(&[Role::Supervisor, Role::Approver, Role::Admin])?;
    let period =
        Period::new(q.from, q.to).ok_or_else(|| AppError::invalid("to", "must be after `from`"))?;
    if (q.to - q.from).num_days() > MAX_DAYS {
        return Err(AppError::invalid("to", "a report covers at most ten years"));
    }
    let unit_id = q
        .unit
        .or(caller.unit_id)
        .ok_or_else(|| AppError::invalid("unit", "name the unit to report on"))?;
    let (tree, group_by, scope) = (q.tree.unwrap_or_default(), q.group_by, caller.scope());
    state
        .db
        .read(move |c| {
            let unit = crate::units::store::get_in_scope(c, unit_id, scope)?;
            let computed = reference::compute(c, &unit, &period, tree, group_by)?;
            let catalogue = crate::catalogue::store::all_current(c)?;
            let active = catalogue.iter().filter(|p| p.active);
            let mut full = Rate::default();
            for p in active {
                full.denominator += 1;
                full.numerator +=
                    u64::from(p.online_level == crate::catalogue::model::OnlineLevel::Full);
            }
            Ok((
                ReportOn {
                    unit_id: unit.id,
                    unit_code: unit.code,
                    unit_name: unit.name,
                    from: q.from,
                    to: q.to,
                    tree,
                    group_by,
                },
                computed,
                full,
            ))
        })
        .await
}

/// The processing report (DOMAIN §5) of a unit's subtree over a period: received (carried
/// over, new by channel), resolved (early, on time, late), unresolved at the end (within time,
/// overdue), withdrawn, rejected and stopped.
#[utoipa::path(tag = "stats", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = ReportAnswer)))]
#[get("/stats/report")]
pub async fn processing_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StatsQuery>,
) -> AppResult<web::Json<ReportAnswer>> {
    let (on, computed, _) = compute(&state, &caller, query.into_inner()).await?;
    Ok(web::Json(ReportAnswer {
        on,
        total: computed.total.report,
        groups: computed
            .groups
            .into_iter()
            .map(|g| ReportGroup {
                key: g.key,
                label: g.label,
                report: g.figures.report,
            })
            .collect(),
    }))
}

/// The service-quality rates (DOMAIN §5) of a unit's subtree over a period, each as
/// numerator, denominator and value.
#[utoipa::path(tag = "stats", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = RatesAnswer)))]
#[get("/stats/rates")]
pub async fn rates(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StatsQuery>,
) -> AppResult<web::Json<RatesAnswer>> {
    let (on, computed, mut catalogue_full) = compute(&state, &caller, query.into_inner()).await?;
    let mut online_used = computed.online_used;
    catalogue_full.finish();
    online_used.finish();
    Ok(web::Json(RatesAnswer {
        on,
        total: computed.total.rates.finish(),
        catalogue_full,
        online_used,
        groups: computed
            .groups
            .into_iter()
            .map(|g| RatesGroup {
                key: g.key,
                label: g.label,
                rates: g.figures.rates.finish(),
            })
            .collect(),
    }))
}
