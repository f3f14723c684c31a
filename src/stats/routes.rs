//! `/api/v1/stats`: the processing report, scoped to the caller's subtree.

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{Period, Report};
use super::reference::{self, Group, GroupBy, Tree};
use crate::accounts::model::Role;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportAnswer {
    pub unit_id: Uuid,
    pub unit_code: String,
    pub unit_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tree: Tree,
    pub group_by: Option<GroupBy>,
    /// The unit's whole subtree.
    pub total: Report,
    /// By `group_by`: children (with the unit itself for dossiers filed at it), procedures,
    /// fields or months; empty without `group_by`.
    pub groups: Vec<Group>,
}

/// Longest period a report covers.
const MAX_DAYS: i64 = 366 * 10;

/// The processing report (DOMAIN §5) of a unit's subtree over a period: received (carried
/// over, new by channel), resolved (early, on time, late), unresolved at the end (within time,
/// overdue), withdrawn, rejected and stopped.
#[utoipa::path(tag = "stats", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, body = ReportAnswer)))]
#[get("/stats/report")]
pub async fn processing_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ReportQuery>,
) -> AppResult<web::Json<ReportAnswer>> {
    caller.require(&[Role::Supervisor, Role::Approver, Role::Admin])?;
    let q = query.into_inner();
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
    let answer = state
        .db
        .read(move |c| {
            let unit = crate::units::store::get_in_scope(c, unit_id, scope)?;
            let (total, groups) = reference::report(c, &unit, &period, tree, group_by)?;
            Ok(ReportAnswer {
                unit_id: unit.id,
                unit_code: unit.code,
                unit_name: unit.name,
                from: q.from,
                to: q.to,
                tree,
                group_by,
                total,
                groups,
            })
        })
        .await?;
    Ok(web::Json(answer))
}
