//! `/api/v1/units`: list, get, subtree, ancestors, agencies; create, update, retire (admin).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::error::{AppResult, Validator};
use crate::state::AppState;
use crate::units::model::{self, AgencyKind, Unit, UnitKind};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitListQuery {
    /// Only the children of this unit.
    pub parent: Option<Uuid>,
    /// Only units without a parent.
    pub roots: Option<bool>,
    pub kind: Option<UnitKind>,
    /// Only units that exist on this date (YYYY-MM-DD).
    pub valid_on: Option<NaiveDate>,
    /// Exact official code (combine with `valid_on`: codes are reused).
    pub code: Option<String>,
    /// Words to find in the code or name, ignoring case and diacritics (`cho don` finds `Chợ Đồn`).
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ValidOnQuery {
    /// Only units that exist on this date.
    pub valid_on: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    /// GSO code or a local code: 1–20 letters, digits, '.', '-'.
    #[schema(pattern = r"^[A-Za-z0-9.-]{1,20}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: UnitKind,
    /// `null` for a root (a province); an administrator of a unit can only add under it.
    pub parent_id: Option<Uuid>,
    #[schema(pattern = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$")]
    pub agency_code: Option<String>,
    /// Default: today.
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

pub fn check_unit_fields(
    v: &mut Validator,
    code: Option<&str>,
    name: Option<&str>,
    agency: Option<&str>,
) {
    if let Some(code) = code {
        v.check(
            model::valid_unit_code(code),
            "code",
            "must be 1–20 letters, digits, '.' or '-'",
        );
    }
    if let Some(name) = name {
        v.text("name", name, 200);
    }
    if let Some(a) = agency {
        v.check(
            model::valid_agency_code(a),
            "agency_code",
            "must look like 000.00.00.H55",
        );
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    #[schema(pattern = r"^[A-Za-z0-9.-]{1,20}$")]
    pub code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    /// Move the unit (and its subtree) under another unit.
    pub parent_id: Option<Uuid>,
    #[schema(pattern = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$")]
    pub agency_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireUnit {
    /// Last day the unit exists.
    pub valid_to: NaiveDate,
    /// The unit that takes over (statistics "in today's tree" follow it).
    pub successor_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AgencyLookup {
    /// The day the identifier is read for (default: today).
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedAgency {
    pub code: String,
    pub on: NaiveDate,
    /// The unit the identifier names on `on`: the one that holds it, or the successor that
    /// took over a unit retired by then. Absent when the chain ends at a unit retired
    /// without a successor.
    pub unit: Option<Unit>,
    /// The units retired by then that the identifier passed through, oldest first.
    pub via: Vec<Unit>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgency {
    /// Electronic identifier, e.g. `000.00.00.H55`.
    #[schema(pattern = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: AgencyKind,
}

/// Runs a reorganisation plan, or its dry run (the route and the web client).
pub async fn apply_plan(
    state: &AppState,
    caller: &Caller,
    plan: crate::reorganise::Plan,
) -> AppResult<crate::reorganise::Outcome> {
    caller.require(&[Role::Admin])?;
    let (scope, actor, at) = (caller.scope(), caller.user_id, state.now());
    let outcome = state
        .db
        .write(move |c| crate::reorganise::run(c, scope, Some(actor), &plan, at))
        .await?;
    if outcome.applied {
        // Staff were moved or disabled: their next request reads their standing afresh.
        state.standing.clear();
    }
    Ok(outcome)
}
