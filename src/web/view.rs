//! What several pages show the same way: dates, the names behind ids, a dossier list's rows
//! coloured by the share of working time used.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use maud::{html, Markup};
use uuid::Uuid;

use crate::calendar::model::{to_local, Calendar};
use crate::db::schema::{procedure_versions, units, users};
use crate::db::DbConn;
use crate::dossiers::store::Dossier;
use crate::error::AppResult;

/// `05/02/2025 08:00`, local time.
pub fn when(t: DateTime<Utc>) -> String {
    to_local(t).format("%d/%m/%Y %H:%M").to_string()
}

pub fn when_opt(t: Option<DateTime<Utc>>) -> String {
    t.map(when).unwrap_or_default()
}

pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The names behind the ids a page shows, read in one go.
#[derive(Default)]
pub struct Names {
    pub units: HashMap<Uuid, String>,
    pub procedures: HashMap<Uuid, String>,
    pub users: HashMap<Uuid, String>,
}

impl Names {
    pub fn unit(&self, id: Uuid) -> &str {
        self.units.get(&id).map_or("", String::as_str)
    }
    pub fn procedure(&self, version: Uuid) -> &str {
        self.procedures.get(&version).map_or("", String::as_str)
    }
    pub fn user(&self, id: Option<Uuid>) -> &str {
        id.and_then(|i| self.users.get(&i))
            .map_or("", String::as_str)
    }
}

/// Reads the names of these units, procedure versions and accounts (three queries at most).
pub fn names(
    conn: &mut DbConn,
    unit_ids: impl IntoIterator<Item = Uuid>,
    version_ids: impl IntoIterator<Item = Uuid>,
    user_ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<Names> {
    let strings = |ids: &mut dyn Iterator<Item = Uuid>| -> Vec<String> {
        ids.collect::<HashSet<_>>()
            .into_iter()
            .map(|i| i.to_string())
            .collect()
    };
    let (u, v, p) = (
        strings(&mut unit_ids.into_iter()),
        strings(&mut version_ids.into_iter()),
        strings(&mut user_ids.into_iter()),
    );
    let mut out = Names::default();
    if !u.is_empty() {
        for (id, name) in units::table
            .filter(units::id.eq_any(&u))
            .select((units::id, units::name))
            .load::<(String, String)>(conn)?
        {
            out.units.insert(crate::db::id_of(&id), name);
        }
    }
    if !v.is_empty() {
        for (id, name) in procedure_versions::table
            .filter(procedure_versions::id.eq_any(&v))
            .select((procedure_versions::id, procedure_versions::name))
            .load::<(String, String)>(conn)?
        {
            out.procedures.insert(crate::db::id_of(&id), name);
        }
    }
    if !p.is_empty() {
        for (id, name) in users::table
            .filter(users::id.eq_any(&p))
            .select((users::id, users::full_name))
            .load::<(String, String)>(conn)?
        {
            out.users.insert(crate::db::id_of(&id), name);
        }
    }
    Ok(out)
}

/// The names a list of dossiers shows.
pub fn names_of_dossiers(conn: &mut DbConn, items: &[Dossier]) -> AppResult<Names> {
    names(
        conn,
        items
            .iter()
            .flat_map(|d| [d.receiving_unit_id, d.resolving_unit_id, d.holder_unit_id]),
        items.iter().map(|d| d.procedure_version_id),
        items.iter().filter_map(|d| d.assignee_id),
    )
}

/// The names a page of dossiers shows, read off the request's thread.
pub async fn read_names(state: &crate::state::AppState, items: &[Dossier]) -> AppResult<Names> {
    let items = items.to_vec();
    state.db.read(move |c| names_of_dossiers(c, &items)).await
}

/// How far into its time a dossier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Under three quarters of its working time used.
    Green,
    /// Three quarters or more used.
    Amber,
    /// Past due.
    Red,
    /// Not running (not received, resolved, or no due date).
    None,
}

impl Urgency {
    pub fn class(self) -> Option<&'static str> {
        match self {
            Urgency::Green => Some("green"),
            Urgency::Amber => Some("amber"),
            Urgency::Red => Some("red"),
            Urgency::None => None,
        }
    }
}

/// The share of the working time between receipt and the due date used by `now` (the clock
/// stops while it is paused), on the working-day calendar: weekends, holidays and the hours
/// outside the sessions do not count.
pub fn urgency(d: &Dossier, cal: &Calendar, now: DateTime<Utc>) -> (Urgency, Option<f64>) {
    let (Some(received), Some(due)) = (d.received_at, d.due_at) else {
        return (Urgency::None, None);
    };
    if d.resolved_at.is_some() || d.state.is_final() {
        return (Urgency::None, None);
    }
    let at = d.paused_since.unwrap_or(now);
    if at > due {
        return (Urgency::Red, None);
    }
    let total = cal.working_seconds_between(received, due);
    if total <= 0 {
        return (Urgency::Amber, Some(1.0));
    }
    let used = cal.working_seconds_between(received, at) as f64 / total as f64;
    let level = if used >= 0.75 {
        Urgency::Amber
    } else {
        Urgency::Green
    };
    (level, Some(used))
}

/// What is left of a dossier's time, as a person says it.
pub fn remaining(d: &Dossier, cal: &Calendar, now: DateTime<Utc>) -> String {
    let Some(due) = d.due_at else {
        return String::new();
    };
    if d.resolved_at.is_some() {
        return String::new();
    }
    let at = d.paused_since.unwrap_or(now);
    let day = cal.hours().day_seconds().max(1);
    if at > due {
        let late = cal.working_seconds_between(due, at);
        return format!("quá hạn {}", working_span(late, day));
    }
    let left = cal.working_seconds_between(at, due);
    let paused = if d.paused_since.is_some() {
        " (đang tạm dừng)"
    } else {
        ""
    };
    format!("còn {}{paused}", working_span(left, day))
}

/// `2 ngày 3 giờ làm việc`.
fn working_span(secs: i64, day: i64) -> String {
    let days = secs / day;
    let hours = (secs % day) / 3600;
    match (days, hours) {
        (0, 0) => "dưới 1 giờ làm việc".to_owned(),
        (0, h) => format!("{h} giờ làm việc"),
        (d, 0) => format!("{d} ngày làm việc"),
        (d, h) => format!("{d} ngày {h} giờ làm việc"),
    }
}

/// A table of dossiers: code, procedure, applicant, channel, desk and resolving unit, due date,
/// coloured by urgency.
pub fn dossier_table(
    items: &[Dossier],
    names: &Names,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Markup {
    html! {
        table.dossiers {
            thead { tr {
                th { "Mã hồ sơ" } th { "Thủ tục" } th { "Người nộp" } th { "Kênh" }
                th { "Nơi tiếp nhận" } th { "Đơn vị giải quyết" } th { "Trạng thái" } th { "Hạn trả" }
            } }
            tbody {
                @for d in items {
                    @let (level, _) = urgency(d, cal, now);
                    // Each cell names its column, for narrow screens where rows stack.
                    tr class=[level.class()] {
                        td data-label="Mã hồ sơ" { a href={ "/ho-so/" (d.id) } { (d.code) } }
                        td data-label="Thủ tục" { (names.procedure(d.procedure_version_id)) }
                        td data-label="Người nộp" { (d.applicant.name) }
                        td data-label="Kênh" { (d.channel.label_vi()) }
                        td data-label="Nơi tiếp nhận" { (names.unit(d.receiving_unit_id)) }
                        td data-label="Đơn vị giải quyết" { (names.unit(d.resolving_unit_id)) }
                        td data-label="Trạng thái" { (d.state.label_vi()) }
                        td data-label="Hạn trả" {
                            (when_opt(d.due_at))
                            @if let Some(c) = level.class() {
                                " " span class={ "badge " (c) } { (remaining(d, cal, now)) }
                            }
                        }
                    }
                }
                @if items.is_empty() {
                    tr { td colspan="8" .muted { "Không có hồ sơ." } }
                }
            }
        }
    }
}

/// Page links for a list of `total` items, `per_page` a page, keeping `base`'s query.
pub fn pager(base: &str, page: u32, per_page: u32, total: i64) -> Markup {
    let pages = u32::try_from((total.max(0) as u64).div_ceil(u64::from(per_page.max(1))))
        .unwrap_or(u32::MAX);
    let sep = if base.contains('?') { '&' } else { '?' };
    html! {
        @if pages > 1 {
            p.pager {
                @if page > 1 { a href={ (base) (sep) "trang=" (page - 1) } { "‹ Trang trước" } " " }
                "Trang " (page) " / " (pages) " (" (total) " hồ sơ)"
                @if page < pages { " " a href={ (base) (sep) "trang=" (page + 1) } { "Trang sau ›" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_working_days_and_hours() {
        let day = 8 * 3600;
        assert_eq!(working_span(0, day), "dưới 1 giờ làm việc");
        assert_eq!(working_span(3 * 3600, day), "3 giờ làm việc");
        assert_eq!(working_span(2 * day, day), "2 ngày làm việc");
        assert_eq!(working_span(2 * day + 3600, day), "2 ngày 1 giờ làm việc");
    }
}
