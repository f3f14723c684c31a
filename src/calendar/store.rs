//! Calendar days (holidays and swapped working Saturdays) in the database.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Calendar, DayKind, WorkingHours};
use crate::db::schema::calendar_days;
use crate::db::{now, utc, DbBackend, DbConn};
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
pub fn load(conn: &mut DbConn) -> AppResult<Calendar> {
    let days = list(conn, None)?;
    Ok(Calendar::new(
        days.into_iter().map(|d| (d.date, d.kind)),
        WorkingHours::default(),
    ))
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
    current: std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<Calendar>)>>,
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

    pub async fn get(&self, db: &crate::db::Db) -> AppResult<std::sync::Arc<Calendar>> {
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
