//! The yearly calendar import (`motcua import-calendar FILE.csv`): the days off, compensatory
//! days off and working Saturdays the government publishes for a year, in the shape of
//! `data/seed/holidays-vn.csv` (`date,kind,name`). A year becomes "covered" once any of its
//! days is loaded; due dates in years not covered are provisional (DOMAIN §4).

use chrono::{Datelike, NaiveDate, Weekday};
use diesel::prelude::*;

use super::model::DayKind;
use crate::db::schema::calendar_days;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult, FieldError};

/// One published day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// Reads and checks the file: every bad row is named by its line (the header is line 1).
/// A `holiday` falls on a weekday (a holiday on a weekend is given through its compensatory
/// weekday); a `working_saturday` is a Saturday. A date given twice is refused.
pub fn parse(text: &str) -> AppResult<Vec<Day>> {
    let mut reader = crate::csvin::reader(text, &["date", "kind", "name"], &[])?;
    let mut days: Vec<Day> = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = crate::csvin::line(i);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(line, e.to_string()));
                continue;
            }
        };
        let field = |n: usize| record.get(n).unwrap_or_default();
        let Ok(date) = NaiveDate::parse_from_str(field(0), "%Y-%m-%d") else {
            errors.push(FieldError::new(line, "the date must be YYYY-MM-DD"));
            continue;
        };
        let Some(kind) = DayKind::parse(field(1)) else {
            errors.push(FieldError::new(
                line,
                "the kind must be `holiday` or `working_saturday`",
            ));
            continue;
        };
        let name = crate::text::nfc(field(2));
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let problem = match kind {
            DayKind::Holiday if weekend => {
                Some("a holiday on a weekend is given by its compensatory weekday")
            }
            DayKind::WorkingSaturday if date.weekday() != Weekday::Sat => {
                Some("a working_saturday must be a Saturday")
            }
            _ if name.is_empty() || name.chars().count() > 200 => {
                Some("the name must be 1–200 characters")
            }
            _ if days.iter().any(|d| d.date == date) => Some("this date is given twice"),
            _ => None,
        };
        match problem {
            Some(p) => errors.push(FieldError::new(line, p)),
            None => days.push(Day { date, kind, name }),
        }
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(AppError::Validation(errors))
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// The years the file covers.
    pub years: Vec<i32>,
}

/// Stores the days in one transaction: new dates are added, a date already loaded takes the
/// file's kind and name. Nothing is removed (a day taken back is deleted by its own route).
pub fn store(conn: &mut DbConn, days: &[Day]) -> AppResult<Report> {
    let mut report = Report::default();
    conn.transaction(|conn| {
        for d in days {
            let existing: Option<(String, String)> = calendar_days::table
                .find(d.date)
                .select((calendar_days::kind, calendar_days::name))
                .first(conn)
                .optional()?;
            match existing {
                None => {
                    diesel::insert_into(calendar_days::table)
                        .values((
                            calendar_days::day.eq(d.date),
                            calendar_days::kind.eq(d.kind.as_str()),
                            calendar_days::name.eq(&d.name),
                            calendar_days::created_at.eq(now()),
                        ))
                        .execute(conn)?;
                    report.added += 1;
                }
                Some((kind, name)) if kind == d.kind.as_str() && name == d.name => {
                    report.unchanged += 1;
                }
                Some(_) => {
                    diesel::update(calendar_days::table.find(d.date))
                        .set((
                            calendar_days::kind.eq(d.kind.as_str()),
                            calendar_days::name.eq(&d.name),
                        ))
                        .execute(conn)?;
                    report.changed += 1;
                }
            }
            if !report.years.contains(&d.date.year()) {
                report.years.push(d.date.year());
            }
        }
        report.years.sort_unstable();
        Ok::<_, AppError>(())
    })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_file_parses() {
        let days = parse(include_str!("../../data/seed/holidays-vn.csv")).unwrap();
        assert_eq!(days.len(), 52);
        assert_eq!(
            days.iter()
                .filter(|d| d.kind == DayKind::WorkingSaturday)
                .count(),
            4
        );
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let text = "date,kind,name\n2027-01-01,holiday,Tết Dương lịch\n2027-01-02,holiday,Thứ bảy\n2027-13-01,holiday,x\n2027-01-04,working_saturday,x\n2027-01-01,holiday,lặp\n";
        match parse(text).unwrap_err() {
            AppError::Validation(errors) => {
                let lines: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(lines, vec!["line 3", "line 4", "line 5", "line 6"]);
            }
            e => panic!("{e:?}"),
        }
        assert!(parse("day,kind\n").is_err());
    }
}
