//! Working time and deadlines, exactly as DOMAIN §4 defines them, in one pure module:
//! the next working instant, the due instant for D working (or calendar) days, the working
//! time between two instants, and the early / on-time / late classification. No I/O.
//!
//! Times are UTC instants outside and Vietnamese local time (UTC+7; Vietnam keeps no daylight
//! saving) inside. Working time is a set of half-open sessions [start, end) per working day,
//! except that a walk which ends exactly at a session's end ends there.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::model::TimeUnit;

/// Vietnam's offset from UTC (Asia/Ho_Chi_Minh), in seconds.
pub const VN_OFFSET_SECS: i64 = 7 * 3600;

/// A day that departs from the Monday–Friday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A weekday off (public holiday or compensatory day off: ngày nghỉ lễ, nghỉ bù).
    Holiday,
    /// A Saturday declared a working day (ngày làm bù).
    WorkingSaturday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::WorkingSaturday => "working_saturday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s {
            "holiday" => Some(DayKind::Holiday),
            "working_saturday" => Some(DayKind::WorkingSaturday),
            _ => None,
        }
    }
}

/// Timeliness of a resolved dossier (trước hạn / đúng hạn / quá hạn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    Early,
    OnTime,
    Late,
}

/// The working sessions of a day, in local time, ordered and disjoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    sessions: Vec<(NaiveTime, NaiveTime)>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl Default for WorkingHours {
    /// 07:30–11:30 and 13:30–17:30: eight hours a day.
    fn default() -> Self {
        WorkingHours {
            sessions: vec![(hm(7, 30), hm(11, 30)), (hm(13, 30), hm(17, 30))],
        }
    }
}

impl WorkingHours {
    /// Sessions must be non-empty, each start before its end, and in order without overlap.
    pub fn new(sessions: Vec<(NaiveTime, NaiveTime)>) -> Result<WorkingHours, &'static str> {
        if sessions.is_empty() {
            return Err("at least one session is needed");
        }
        if sessions.iter().any(|(s, e)| s >= e) {
            return Err("each session must start before it ends");
        }
        if sessions.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err("sessions must be in order and must not overlap");
        }
        Ok(WorkingHours { sessions })
    }

    pub fn sessions(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.sessions
    }

    /// Working seconds in one working day (8 h by default).
    pub fn day_seconds(&self) -> i64 {
        self.sessions
            .iter()
            .map(|(s, e)| (*e - *s).num_seconds())
            .sum()
    }
}

/// The calendar of one province: which days are working days, and the working hours.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    working_saturdays: BTreeSet<NaiveDate>,
    /// The years whose days off are published (loaded): a year with no row is not known yet,
    /// and counted with weekdays only (DOMAIN §4: provisional).
    covered_years: BTreeSet<i32>,
    hours: WorkingHours,
}

/// The calendar of every province: the national days with each province's working hours
/// (DOMAIN §4: configurable per province), the default hours elsewhere.
#[derive(Debug, Clone, Default)]
pub struct Calendars {
    base: Calendar,
    by_province: std::collections::HashMap<uuid::Uuid, Calendar>,
}

impl Calendars {
    pub fn new(
        base: Calendar,
        provinces: impl IntoIterator<Item = (uuid::Uuid, WorkingHours)>,
    ) -> Calendars {
        let by_province = provinces
            .into_iter()
            .map(|(id, hours)| (id, base.with_hours(hours)))
            .collect();
        Calendars { base, by_province }
    }

    /// The calendar with the default working hours.
    pub fn base(&self) -> &Calendar {
        &self.base
    }

    /// The calendar of the province (root unit) `id`.
    pub fn of_province(&self, id: uuid::Uuid) -> &Calendar {
        self.by_province.get(&id).unwrap_or(&self.base)
    }

    /// The calendar for a unit, by its tree path (its province is the path's first id).
    pub fn for_path(&self, path: &str) -> &Calendar {
        match crate::units::model::path_ids(path).first() {
            Some(root) => self.of_province(*root),
            None => &self.base,
        }
    }
}

/// No working time within this many days: the calendar data is broken (every day a holiday).
const MAX_WALK_DAYS: i64 = 366 * 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the calendar has no working time within twenty years of that date")]
    NoWorkingTime,
    #[error("the number of days must be a finite number between 0 and 10000")]
    BadDays,
}

pub fn to_local(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc() + Duration::seconds(VN_OFFSET_SECS)
}

/// Today's date where the service is used (Asia/Ho_Chi_Minh), not in UTC: from 17:00 UTC
/// Vietnam is already on the next day.
pub fn local_today() -> NaiveDate {
    to_local(Utc::now()).date()
}

pub fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::seconds(VN_OFFSET_SECS)).and_utc()
}

impl Calendar {
    pub fn new(
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
        hours: WorkingHours,
    ) -> Calendar {
        let mut cal = Calendar {
            hours,
            ..Calendar::default()
        };
        for (date, kind) in days {
            cal.covered_years.insert(date.year());
            match kind {
                DayKind::Holiday => cal.holidays.insert(date),
                DayKind::WorkingSaturday => cal.working_saturdays.insert(date),
            };
        }
        cal
    }

    pub fn hours(&self) -> &WorkingHours {
        &self.hours
    }

    /// Whether the published calendar covers `date`'s year. A due date outside it is still
    /// computed (weekdays count) but provisional.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.covered_years.contains(&date.year())
    }

    /// Whether a due instant is provisional: its local date lies in a year not yet published.
    pub fn is_provisional(&self, due: DateTime<Utc>) -> bool {
        !self.covers(to_local(due).date())
    }

    /// The last day of the last published year, if any year is.
    pub fn covered_until(&self) -> Option<NaiveDate> {
        self.covered_years
            .last()
            .and_then(|y| NaiveDate::from_ymd_opt(*y, 12, 31))
    }

    /// The same days with other working hours (a province's own).
    pub fn with_hours(&self, hours: WorkingHours) -> Calendar {
        Calendar {
            hours,
            ..self.clone()
        }
    }

    /// Monday–Friday minus holidays, plus declared working Saturdays.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match date.weekday() {
            Weekday::Sat => self.working_saturdays.contains(&date),
            Weekday::Sun => false,
            _ => !self.holidays.contains(&date),
        }
    }

    /// The sessions of `date` as local instants (none on a day off).
    fn sessions_on(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let working = self.is_working_day(date);
        self.hours
            .sessions
            .iter()
            .filter(move |_| working)
            .map(move |(s, e)| (date.and_time(*s), date.and_time(*e)))
    }

    /// `t` if it lies inside a session, else the start of the next session.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let local = to_local(t);
        for offset in 0..MAX_WALK_DAYS {
            let date = local.date() + Duration::days(offset);
            for (s, e) in self.sessions_on(date) {
                if local < e {
                    return Ok(to_utc(local.max(s)));
                }
            }
        }
        Err(CalendarError::NoWorkingTime)
    }

    /// Walks `seconds` of working time forward from `t`. A walk that ends exactly at a
    /// session's end ends there, not at the next session's start.
    pub fn add_working_seconds(
        &self,
        t: DateTime<Utc>,
        seconds: i64,
    ) -> Result<DateTime<Utc>, CalendarError> {
        let local = to_local(t);
        let mut remaining = seconds.max(0);
        for offset in 0..MAX_WALK_DAYS {
            let date = local.date() + Duration::days(offset);
            for (s, e) in self.sessions_on(date) {
                // `local == e` is kept: walking nothing from a session's end stays there.
                if local > e {
                    continue;
                }
                let from = local.max(s);
                let available = (e - from).num_seconds();
                if remaining <= available {
                    return Ok(to_utc(from + Duration::seconds(remaining)));
                }
                remaining -= available;
            }
        }
        Err(CalendarError::NoWorkingTime)
    }

    /// A due instant shifted by a pause that spent `waited` working seconds (DOMAIN §4): by
    /// exactly that much, so a wait that spent no working time leaves it where it was.
    pub fn shift_by_pause(
        &self,
        due: DateTime<Utc>,
        waited: i64,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if waited <= 0 {
            return Ok(due);
        }
        self.add_working_seconds(due, waited)
    }

    /// The end of the last session of the working day in which counting from `t` starts.
    fn end_of_counting_day(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let start = to_local(self.next_working_instant(t)?);
        let end = self
            .sessions_on(start.date())
            .map(|(_, e)| e)
            .max()
            .ok_or(CalendarError::NoWorkingTime)?;
        Ok(to_utc(end))
    }

    /// The due instant for `days` received at `t` (DOMAIN §4).
    ///
    /// Working days: walk D × (working seconds a day) of working time from t (from the next
    /// session's start if t is outside working time); D = 0 is the end of the working day in
    /// which counting starts.
    ///
    /// Calendar days (we define, after Civil Code 2015 art. 147–148): the period ends at the
    /// close of working time on the ⌈D⌉-th day after the day counting starts, moved to the next
    /// working day when that day is a day off.
    pub fn due_at(
        &self,
        t: DateTime<Utc>,
        days: f64,
        unit: TimeUnit,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if !days.is_finite() || !(0.0..=10_000.0).contains(&days) {
            return Err(CalendarError::BadDays);
        }
        if days == 0.0 {
            return self.end_of_counting_day(t);
        }
        match unit {
            TimeUnit::WorkingDays => {
                let seconds = (days * self.hours.day_seconds() as f64).round() as i64;
                self.add_working_seconds(t, seconds)
            }
            TimeUnit::CalendarDays => {
                let start = to_local(self.next_working_instant(t)?).date();
                let mut date = start + Duration::days(days.ceil() as i64);
                for _ in 0..MAX_WALK_DAYS {
                    if self.is_working_day(date) {
                        let end = self
                            .sessions_on(date)
                            .map(|(_, e)| e)
                            .max()
                            .ok_or(CalendarError::NoWorkingTime)?;
                        return Ok(to_utc(end));
                    }
                    date += Duration::days(1);
                }
                Err(CalendarError::NoWorkingTime)
            }
        }
    }

    /// Working seconds in [a, b) (0 if b ≤ a).
    pub fn working_seconds_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        let (la, lb) = (to_local(a), to_local(b));
        let mut total = 0;
        let mut date = la.date();
        while date <= lb.date() {
            for (s, e) in self.sessions_on(date) {
                let (from, to) = (s.max(la), e.min(lb));
                if from < to {
                    total += (to - from).num_seconds();
                }
            }
            date += Duration::days(1);
        }
        total
    }

    /// Whether `t` is a working instant: inside a session, or exactly at a session's end.
    pub fn is_working_instant(&self, t: DateTime<Utc>) -> bool {
        let local = to_local(t);
        self.sessions_on(local.date())
            .any(|(s, e)| s <= local && local <= e)
    }
}

/// Early if resolved on a local date before the due date; on time if the same date and not
/// after the due instant; late if after the due instant (DOMAIN §4).
pub fn classify(resolved: DateTime<Utc>, due: DateTime<Utc>) -> Timeliness {
    if resolved > due {
        Timeliness::Late
    } else if to_local(resolved).date() < to_local(due).date() {
        Timeliness::Early
    } else {
        Timeliness::OnTime
    }
}

/// The receipt's session word for a local time: sáng before 12:00, chiều after.
pub fn session_name(t: DateTime<Utc>) -> &'static str {
    if to_local(t).time() < hm(12, 0) {
        "sáng"
    } else {
        "chiều"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../../data/seed/holidays-vn.csv");

    fn seeded() -> Calendar {
        let days = SEED.lines().skip(1).filter_map(|l| {
            let mut f = l.split(',');
            let date = NaiveDate::parse_from_str(f.next()?, "%Y-%m-%d").ok()?;
            Some((date, DayKind::parse(f.next()?)?))
        });
        Calendar::new(days, WorkingHours::default())
    }

    /// A local wall-clock time as a UTC instant.
    fn at(s: &str) -> DateTime<Utc> {
        to_utc(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn local(t: DateTime<Utc>) -> String {
        to_local(t).format("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn the_seed_has_every_row() {
        let cal = seeded();
        assert_eq!(cal.holidays.len(), 48);
        assert_eq!(cal.working_saturdays.len(), 4);
    }

    /// Cases worked out by hand from DOMAIN §4 and data/seed/holidays-vn.csv.
    #[test]
    fn hand_checked_due_dates() {
        let cal = seeded();
        let w = TimeUnit::WorkingDays;
        let cases = [
            // Tết 2025: Fri 24/1 10:00 has 5.5 h; 27–31/1 off; Mon 3/2 8 h; Tue 4/2 8 h; Wed 5/2 2.5 h.
            ("2025-01-24 10:00", 3.0, "2025-02-05 10:00"),
            // 30/4–2/5 2025: Tue 29/4 16:00 has 1.5 h; Mon 5/5 6.5 h → 16:00.
            ("2025-04-29 16:00", 1.0, "2025-05-05 16:00"),
            // Swapped Saturday 26/4/2025 is a working day.
            ("2025-04-25 17:00", 0.5, "2025-04-26 11:00"),
            // 2/9 2025: Fri 29/8 08:00 has 7.5 h; 1–2/9 off; Wed 3/9 8 h; Thu 4/9 0.5 h.
            ("2025-08-29 08:00", 2.0, "2025-09-04 08:00"),
            // Received on a Saturday: count from Monday 07:30; ends exactly at 17:30, not next morning.
            ("2025-03-15 09:00", 1.0, "2025-03-17 17:30"),
            // Received at lunch: count from 13:30.
            ("2025-03-19 12:00", 0.5, "2025-03-19 17:30"),
            // Tết 2026: Fri 13/2 15:00 has 2.5 h; 16–20/2 off; Mon 23/2 5.5 h.
            ("2026-02-13 15:00", 1.0, "2026-02-23 15:00"),
            // 2/9 2026: working Sat 22/8 is before; Mon 31/8–Wed 2/9 off; ends at 11:30 exactly.
            ("2026-08-28 13:30", 2.0, "2026-09-04 11:30"),
            // D = 0: the end of the working day counting starts in.
            ("2025-03-17 14:00", 0.0, "2025-03-17 17:30"),
            ("2025-03-17 18:00", 0.0, "2025-03-18 17:30"),
            ("2025-01-24 18:00", 0.0, "2025-02-03 17:30"),
        ];
        for (from, days, due) in cases {
            assert_eq!(
                local(cal.due_at(at(from), days, w).unwrap()),
                due,
                "{from} + {days}"
            );
        }
    }

    #[test]
    fn calendar_days_end_at_close_of_work_on_a_working_day() {
        let cal = seeded();
        let c = TimeUnit::CalendarDays;
        // 15 days from Mon 3/3/2025 → Tue 18/3 17:30.
        assert_eq!(
            local(cal.due_at(at("2025-03-03 09:00"), 15.0, c).unwrap()),
            "2025-03-18 17:30"
        );
        // 20 days from Fri 10/1/2025 → Thu 30/1 is Tết: moved to Mon 3/2.
        assert_eq!(
            local(cal.due_at(at("2025-01-10 09:00"), 20.0, c).unwrap()),
            "2025-02-03 17:30"
        );
        // Received after hours on Friday: counting starts Monday.
        assert_eq!(
            local(cal.due_at(at("2025-03-07 18:00"), 1.0, c).unwrap()),
            "2025-03-11 17:30"
        );
    }

    #[test]
    fn classification_follows_the_local_date() {
        let due = at("2025-03-18 10:00");
        assert_eq!(classify(at("2025-03-17 16:00"), due), Timeliness::Early);
        assert_eq!(classify(at("2025-03-18 07:45"), due), Timeliness::OnTime);
        assert_eq!(classify(at("2025-03-18 10:00"), due), Timeliness::OnTime);
        assert_eq!(classify(at("2025-03-18 10:01"), due), Timeliness::Late);
        assert_eq!(classify(at("2025-03-19 08:00"), due), Timeliness::Late);
        // 23:30 UTC on the 17th is 06:30 local on the 18th: same local date, not early.
        assert_eq!(
            classify(
                to_utc(
                    NaiveDateTime::parse_from_str("2025-03-18 06:30", "%Y-%m-%d %H:%M").unwrap()
                ),
                due
            ),
            Timeliness::OnTime
        );
    }

    #[test]
    fn sessions_and_next_working_instant() {
        let cal = seeded();
        assert_eq!(
            local(cal.next_working_instant(at("2025-03-17 11:30")).unwrap()),
            "2025-03-17 13:30"
        );
        assert_eq!(
            local(cal.next_working_instant(at("2025-03-17 09:15")).unwrap()),
            "2025-03-17 09:15"
        );
        assert_eq!(
            local(cal.next_working_instant(at("2025-04-29 18:00")).unwrap()),
            "2025-05-05 07:30"
        );
        assert_eq!(session_name(at("2025-03-17 11:59")), "sáng");
        assert_eq!(session_name(at("2025-03-17 12:00")), "chiều");
        assert!(WorkingHours::new(vec![(hm(13, 0), hm(12, 0))]).is_err());
        assert!(WorkingHours::new(vec![(hm(8, 0), hm(12, 0)), (hm(11, 0), hm(17, 0))]).is_err());
        assert!(WorkingHours::new(vec![]).is_err());
    }

    #[test]
    fn a_province_counts_in_its_own_hours() {
        let afternoons = WorkingHours::new(vec![(hm(13, 0), hm(16, 0))]).unwrap();
        let province = uuid::Uuid::from_u128(7);
        let other = uuid::Uuid::from_u128(8);
        let cals = Calendars::new(seeded(), [(province, afternoons.clone())]);
        let commune_path = format!("/{province}/{}/", uuid::Uuid::from_u128(9));
        assert_eq!(cals.for_path(&commune_path).hours(), &afternoons);
        assert_eq!(cals.of_province(other).hours(), &WorkingHours::default());
        assert_eq!(cals.for_path("").hours(), &WorkingHours::default());
        let own = cals.for_path(&commune_path);
        let w = TimeUnit::WorkingDays;
        // One working day is three hours there: half a day from 09:00 ends at 14:30.
        assert_eq!(
            local(own.due_at(at("2025-03-17 09:00"), 0.5, w).unwrap()),
            "2025-03-17 14:30"
        );
        assert_eq!(
            local(cals.base().due_at(at("2025-03-17 09:00"), 0.5, w).unwrap()),
            "2025-03-17 15:00"
        );
        // The days off are the national ones: 30/4, 1/5 and 2/5 (swapped) are off there too.
        assert_eq!(
            local(own.due_at(at("2025-04-29 15:30"), 0.5, w).unwrap()),
            "2025-05-05 14:00"
        );
    }

    #[test]
    fn a_due_date_past_the_published_years_is_provisional() {
        let cal = seeded();
        assert_eq!(cal.covered_until(), NaiveDate::from_ymd_opt(2026, 12, 31));
        // Received Thu 24/12/2026 08:00 + 10 working days: Fri 1/1/2027 counts as a weekday
        // (its holiday is not published yet), so the due date is Thu 7/1/2027 08:00.
        let due = cal
            .due_at(at("2026-12-24 08:00"), 10.0, TimeUnit::WorkingDays)
            .unwrap();
        assert_eq!(local(due), "2027-01-07 08:00");
        assert!(cal.is_provisional(due));
        let inside = cal
            .due_at(at("2026-12-01 08:00"), 3.0, TimeUnit::WorkingDays)
            .unwrap();
        assert!(!cal.is_provisional(inside));
        // Once 2027 is loaded, 1/1/2027 is a day off and the date is firm.
        let mut days: Vec<(NaiveDate, DayKind)> = SEED
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let date = NaiveDate::parse_from_str(f.next()?, "%Y-%m-%d").ok()?;
                Some((date, DayKind::parse(f.next()?)?))
            })
            .collect();
        days.push((
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            DayKind::Holiday,
        ));
        let with_2027 = Calendar::new(days, WorkingHours::default());
        let due = with_2027
            .due_at(at("2026-12-24 08:00"), 10.0, TimeUnit::WorkingDays)
            .unwrap();
        assert_eq!(local(due), "2027-01-08 08:00");
        assert!(!with_2027.is_provisional(due));
    }

    #[test]
    fn a_calendar_without_working_days_fails_instead_of_looping() {
        let hours = WorkingHours::default();
        let mut cal = Calendar::new([], hours);
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for d in 0..(MAX_WALK_DAYS + 10) {
            cal.holidays.insert(start + Duration::days(d));
        }
        assert_eq!(
            cal.due_at(at("2025-01-01 08:00"), 1.0, TimeUnit::WorkingDays),
            Err(CalendarError::NoWorkingTime)
        );
        assert_eq!(
            cal.due_at(at("2025-01-01 08:00"), f64::NAN, TimeUnit::WorkingDays),
            Err(CalendarError::BadDays)
        );
    }

    /// Instants from 2023 to 2026 at minute precision, in and out of working time.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..(4 * 365 * 24 * 60)).prop_map(|m| at("2023-01-01 00:00") + Duration::minutes(m))
    }

    /// Working-day counts in eighths (one working hour), up to 60 days.
    fn days() -> impl Strategy<Value = f64> {
        (0u32..=480).prop_map(|eighths| f64::from(eighths) / 8.0)
    }

    proptest! {
        #[test]
        fn adding_then_measuring_gives_back_d(t in instant(), d in days()) {
            let cal = seeded();
            prop_assume!(d > 0.0);
            let due = cal.due_at(t, d, TimeUnit::WorkingDays).unwrap();
            let measured = cal.working_seconds_between(t, due);
            prop_assert_eq!(measured, (d * 8.0 * 3600.0) as i64);
        }

        #[test]
        fn monotonic_in_d_and_in_the_start(t in instant(), d in days(), extra in days(), later in 0i64..(10 * 24 * 60)) {
            let cal = seeded();
            let w = TimeUnit::WorkingDays;
            let due = cal.due_at(t, d, w).unwrap();
            prop_assert!(cal.due_at(t, d + extra, w).unwrap() >= due);
            prop_assert!(cal.due_at(t + Duration::minutes(later), d, w).unwrap() >= due);
            let c = TimeUnit::CalendarDays;
            prop_assert!(cal.due_at(t, d + extra, c).unwrap() >= cal.due_at(t, d, c).unwrap());
        }

        #[test]
        fn due_never_lands_on_a_non_working_instant(t in instant(), d in days(), calendar in any::<bool>()) {
            let cal = seeded();
            let unit = if calendar { TimeUnit::CalendarDays } else { TimeUnit::WorkingDays };
            let due = cal.due_at(t, d, unit).unwrap();
            prop_assert!(cal.is_working_instant(due), "{} + {} → {}", local(t), d, local(due));
            prop_assert!(due >= t);
        }

        #[test]
        fn working_time_is_additive(a in instant(), x in 0i64..(20 * 24 * 60), y in 0i64..(20 * 24 * 60)) {
            let cal = seeded();
            let b = a + Duration::minutes(x);
            let c = b + Duration::minutes(y);
            prop_assert_eq!(
                cal.working_seconds_between(a, c),
                cal.working_seconds_between(a, b) + cal.working_seconds_between(b, c)
            );
        }
    }
}
