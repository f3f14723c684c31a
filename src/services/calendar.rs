//! `/api/v1/calendar`: the days that depart from Monday–Friday (public), their administration
//! (global administrators), and the due-date calculator.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::Role;
use crate::auth::{Caller, Scope};
use crate::calendar::model::DayKind;
use crate::calendar::store::{self};
use crate::catalogue::model::TimeUnit;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// Only this year.
    #[param(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// The calendar is national: only an administrator without a home unit edits it.
pub fn require_national_admin(caller: &Caller) -> AppResult<()> {
    caller.require(&[Role::Admin])?;
    if caller.scope() == Scope::All {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// When the dossier is received, RFC 3339 (e.g. `2025-01-24T10:00:00+07:00`; encode `+` as `%2B`).
    pub from: DateTime<Utc>,
    /// Processing time; fractions allowed; 0 = within the day.
    pub days: f64,
    /// Default `working_days`.
    pub time_unit: Option<TimeUnit>,
    /// Count in the working hours of this unit's province (default: the standard hours).
    pub unit_id: Option<uuid::Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueAnswer {
    pub from: DateTime<Utc>,
    /// When counting starts: `from`, or the next working session's start.
    pub counting_starts: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The due instant in local time (Asia/Ho_Chi_Minh), as printed on the receipt.
    pub due_local: String,
    pub due_date: NaiveDate,
    /// `sáng` (morning) or `chiều` (afternoon).
    pub due_session: &'static str,
    /// The due date lies in a year whose days off are not published yet: counted with
    /// weekdays only, it may move once that year is imported.
    pub calendar_provisional: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWorkingHours {
    /// The day's sessions in local time, in order, not overlapping; `null` or empty restores
    /// the default 07:30–11:30, 13:30–17:30.
    pub sessions: Option<Vec<store::Session>>,
}
