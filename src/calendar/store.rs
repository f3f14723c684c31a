//! Calendar days (holidays and swapped working Saturdays) in the database.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Calendar, Calendars, DayKind, WorkingHours};
use crate::db::schema::{calendar_days, working_hours};
use crate::db::{id_of, now, utc, DbBackend, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// E.g. "Tết Nguyên đán (mùng 2)".
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = calendar_days)]
struct Row {
    day: NaiveDate,
    kind: String,
    name: String,
    created_at: NaiveDateTime,
}

impl From<Row> for CalendarDay {
    fn from(r: Row) -> CalendarDay {
        CalendarDay {
            date: r.day,
            kind: DayKind::parse(&r.kind).unwrap_or(DayKind::Holiday),
            name: r.name,
            created_at: utc(r.created_at),
        }
    }
}

/// The days of `year`, or all days, in date order.
pub fn list(conn: &mut DbConn, year: Option<i32>) -> AppResult<Vec<CalendarDay>> {
    let mut q = calendar_days::table.into_boxed::<DbBackend>();
    if let Some(y) = year {
        let (first, last) = (
            NaiveDate::from_ymd_opt(y, 1, 1),
            NaiveDate::from_ymd_opt(y, 12, 31),
        );
        if let (Some(first), Some(last)) = (first, last) {
            q = q.filter(calendar_days::day.between(first, last));
        }
    }
    let rows = q
        .select(Row::as_select())
        .order(calendar_days::day.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(CalendarDay::from).collect())
}

pub fn insert(
    conn: &mut DbConn,
    date: NaiveDate,
    kind: DayKind,
    name: &str,
) -> AppResult<CalendarDay> {
    let exists = calendar_days::table
        .find(date)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Err(AppError::Conflict(format!(
            "{date} is already in the calendar; remove it first"
        )));
    }
    diesel::insert_into(calendar_days::table)
        .values((
            calendar_days::day.eq(date),
            calendar_days::kind.eq(kind.as_str()),
            calendar_days::name.eq(name),
            calendar_days::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(calendar_days::table
        .find(date)
        .select(Row::as_select())
        .first(conn)?
        .into())
}

pub fn delete(conn: &mut DbConn, date: NaiveDate) -> AppResult<()> {
    match diesel::delete(calendar_days::table.find(date)).execute(conn)? {
        0 => Err(AppError::NotFound),
        _ => Ok(()),
    }
}

/// The whole calendar, with the default working hours.
pub fn load(conn: &mut DbConn) -> AppResult<Calendars> {
    let days = list(conn, None)?;
    let base = Calendar::new(
        days.into_iter().map(|d| (d.date, d.kind)),
        WorkingHours::default(),
    );
    let provinces = working_hours::table
        .select((working_hours::unit_id, working_hours::sessions))
        .load::<(String, String)>(conn)?
        .into_iter()
        .filter_map(|(unit, sessions)| Some((id_of(&unit), parse_sessions(&sessions).ok()?)));
    Ok(Calendars::new(base, provinces))
}

/// A session in local time, `HH:MM`–`HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    #[schema(example = "07:30")]
    pub start: String,
    #[schema(example = "11:30")]
    pub end: String,
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    (s.len() == 5)
        .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
}

/// Working hours from sessions as given: 422 naming the session at fault.
pub fn hours_of(sessions: &[Session]) -> AppResult<WorkingHours> {
    let mut parsed = Vec::with_capacity(sessions.len());
    for (i, s) in sessions.iter().enumerate() {
        match (parse_time(&s.start), parse_time(&s.end)) {
            (Some(a), Some(b)) => parsed.push((a, b)),
            _ => {
                return Err(AppError::invalid(
                    format!("sessions[{i}]"),
                    "times are HH:MM, e.g. 07:30",
                ))
            }
        }
    }
    if sessions.len() > 4 {
        return Err(AppError::invalid("sessions", "at most four sessions a day"));
    }
    WorkingHours::new(parsed).map_err(|e| AppError::invalid("sessions", e))
}

fn sessions_of(hours: &WorkingHours) -> Vec<Session> {
    hours
        .sessions()
        .iter()
        .map(|(a, b)| Session {
            start: a.format("%H:%M").to_string(),
            end: b.format("%H:%M").to_string(),
        })
        .collect()
}

fn parse_sessions(json: &str) -> AppResult<WorkingHours> {
    let sessions: Vec<Session> = serde_json::from_str(json).map_err(AppError::internal)?;
    hours_of(&sessions)
}

/// A province's working hours, and whether they are the default.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceHours {
    pub unit_id: uuid::Uuid,
    pub sessions: Vec<Session>,
    /// No hours of its own: the default 07:30–11:30, 13:30–17:30 apply.
    pub default: bool,
}

pub fn hours_of_province(conn: &mut DbConn, unit: uuid::Uuid) -> AppResult<ProvinceHours> {
    let own = working_hours::table
        .find(unit.to_string())
        .select(working_hours::sessions)
        .first::<String>(conn)
        .optional()?;
    Ok(match own {
        Some(json) => ProvinceHours {
            unit_id: unit,
            sessions: sessions_of(&parse_sessions(&json)?),
            default: false,
        },
        None => ProvinceHours {
            unit_id: unit,
            sessions: sessions_of(&WorkingHours::default()),
            default: true,
        },
    })
}

/// Sets (or with `None`, clears back to the default) a province's working hours.
pub fn set_hours(
    conn: &mut DbConn,
    unit: uuid::Uuid,
    hours: Option<&WorkingHours>,
) -> AppResult<ProvinceHours> {
    diesel::delete(working_hours::table.find(unit.to_string())).execute(conn)?;
    if let Some(h) = hours {
        let json = serde_json::to_string(&sessions_of(h)).map_err(AppError::internal)?;
        diesel::insert_into(working_hours::table)
            .values((
                working_hours::unit_id.eq(unit.to_string()),
                working_hours::sessions.eq(json),
                working_hours::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    hours_of_province(conn, unit)
}

/// Whether the kind fits the weekday: a holiday is a weekday off, a working Saturday a Saturday.
pub fn kind_fits(date: NaiveDate, kind: DayKind) -> bool {
    use chrono::Weekday::{Sat, Sun};
    match kind {
        DayKind::Holiday => !matches!(date.weekday(), Sat | Sun),
        DayKind::WorkingSaturday => date.weekday() == Sat,
    }
}

/// The calendar of one instance, kept in memory: reloaded after this instance edits it, and
/// at least every `RELOAD_AFTER` so another instance's edit shows within seconds.
pub struct CalendarCache {
    current: std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<Calendars>)>>,
}

pub const RELOAD_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

impl Default for CalendarCache {
    fn default() -> Self {
        CalendarCache {
            current: std::sync::RwLock::new(None),
        }
    }
}

impl CalendarCache {
    pub fn invalidate(&self) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub async fn get(&self, db: &crate::db::Db) -> AppResult<std::sync::Arc<Calendars>> {
        if let Some((at, cal)) = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if at.elapsed() < RELOAD_AFTER {
                return Ok(cal.clone());
            }
        }
        let cal = std::sync::Arc::new(db.read(load).await?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), cal.clone()));
        Ok(cal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: &str, end: &str) -> Session {
        Session {
            start: start.into(),
            end: end.into(),
        }
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation(errors) => errors.into_iter().map(|f| f.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn sessions_are_checked_and_round_trip() {
        let given = vec![s("07:00", "11:00"), s("13:00", "17:00")];
        let hours = hours_of(&given).unwrap();
        assert_eq!(hours.day_seconds(), 8 * 3600);
        assert_eq!(sessions_of(&hours), given);
        assert_eq!(
            fields(hours_of(&[s("07:00", "11:00"), s("7:30", "12:00")]).unwrap_err()),
            ["sessions[1]"]
        );
        assert_eq!(
            fields(hours_of(&[s("25:00", "26:00")]).unwrap_err()),
            ["sessions[0]"]
        );
        assert_eq!(
            fields(hours_of(&[s("13:00", "17:00"), s("07:00", "11:00")]).unwrap_err()),
            ["sessions"]
        );
        assert_eq!(
            fields(hours_of(&[s("11:00", "07:00")]).unwrap_err()),
            ["sessions"]
        );
        let five: Vec<Session> = (0..5)
            .map(|h| s(&format!("0{h}:00"), &format!("0{h}:30")))
            .collect();
        assert_eq!(fields(hours_of(&five).unwrap_err()), ["sessions"]);
    }
}
