//! Importing a whole catalogue from JSON: records in our own shape (`ProcedureSpec`) or in the
//! shape of the national-database crawl in `data/seed/procedures.json`. Importing is
//! idempotent: an unchanged procedure is left alone, a changed one gets a new version.

use serde::Deserialize;

use super::model::{
    default_steps, ChannelDays, Fee, OnlineLevel, ProcedureSpec, RequiredDocument,
    SupplementPolicy, TimeUnit,
};
use super::store;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::units::model::Level;

/// A record as crawled from the national procedure database (see data/seed/SOURCES.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRecord {
    pub code: String,
    pub name: String,
    pub field: String,
    pub levels: Vec<Level>,
    pub processing_days: Option<f64>,
    pub processing_note: Option<String>,
    pub fees: Option<String>,
    #[serde(default)]
    pub documents: Vec<String>,
    pub online: Option<String>,
    pub source: Option<String>,
}

/// Reads a channel name at the start of a published "Thời gian" or "Phí" segment.
fn channel_of(segment: &str) -> Option<(&'static str, &str)> {
    let (label, rest) = segment.split_once(':')?;
    let ch = match label.trim() {
        "Trực tuyến" => "online",
        "Trực tiếp" => "desk",
        "Dịch vụ bưu chính" => "post",
        _ => return None,
    };
    Some((ch, rest.trim()))
}

fn leading_number(s: &str) -> Option<f64> {
    let num: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    num.replace(',', ".").parse().ok()
}

impl SeedRecord {
    pub fn into_spec(self) -> ProcedureSpec {
        let note = self.processing_note.clone().unwrap_or_default();
        // "Ngày làm việc" is working days; a bare "Ngày" is calendar days (DOMAIN §2); the crawl's
        // bare numbers (hộ tịch) are working days.
        let time_unit = if note.contains("Ngày làm việc") {
            TimeUnit::WorkingDays
        } else if note.contains("Ngày") {
            TimeUnit::CalendarDays
        } else {
            TimeUnit::WorkingDays
        };
        let mut channel_days = ChannelDays::default();
        for seg in note.split(';') {
            if let Some((ch, rest)) = channel_of(seg.trim()) {
                let days = leading_number(rest);
                let slot = match ch {
                    "online" => &mut channel_days.online,
                    "desk" => &mut channel_days.desk,
                    _ => &mut channel_days.post,
                };
                if slot.is_none() {
                    *slot = days;
                }
            }
        }
        let fees = self
            .fees
            .as_deref()
            .unwrap_or_default()
            .split("; ")
            .filter(|s| !s.trim().is_empty())
            .map(|s| Fee {
                description: s.trim().to_owned(),
                amount_vnd: s.contains("Miễn phí").then_some(0),
            })
            .collect();
        let required_documents = self
            .documents
            .into_iter()
            .map(|d| RequiredDocument {
                mandatory: !d.starts_with("Trường hợp"),
                name: d,
            })
            .collect();
        // The crawl cannot tell full from partial: an online channel counts as partial.
        let online_level = match self.online.as_deref() {
            Some("full") => OnlineLevel::Full,
            Some("none") => OnlineLevel::None,
            _ => OnlineLevel::Partial,
        };
        let level = self.levels.first().copied().unwrap_or(Level::Commune);
        let agency = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Province => "Ủy ban nhân dân cấp tỉnh",
                Level::District => "Ủy ban nhân dân cấp huyện",
                Level::Commune => "Ủy ban nhân dân cấp xã",
            })
            .collect::<Vec<_>>()
            .join("; ");
        ProcedureSpec {
            code: self.code,
            name: self.name,
            field: self.field,
            levels: self.levels,
            agency,
            processing_days: self.processing_days,
            time_unit,
            channel_days,
            processing_note: self.processing_note,
            fees,
            required_documents,
            online_level,
            supplement_policy: SupplementPolicy::Pause,
            steps: default_steps(level),
            source: self.source,
        }
    }
}

/// Parses and validates a catalogue file; a bad record fails the whole file, naming it. A
/// record with `steps` is in our own shape, any other in the crawl's.
pub fn parse(json: &[u8]) -> AppResult<Vec<ProcedureSpec>> {
    let records: Vec<serde_json::Value> = crate::http::parse_json(json)?;
    let mut specs = Vec::with_capacity(records.len());
    let at = |i: usize, errs: Vec<FieldError>| {
        let name = |field: &str| {
            if field == "body" {
                format!("[{i}]")
            } else {
                format!("[{i}].{field}")
            }
        };
        AppError::Validation(
            errs.into_iter()
                .map(|e| FieldError::new(name(&e.field), e.message))
                .collect(),
        )
    };
    for (i, record) in records.into_iter().enumerate() {
        let own_shape = record.get("steps").is_some();
        let text = record.to_string();
        let parsed = if own_shape {
            crate::http::parse_json::<ProcedureSpec>(text.as_bytes())
        } else {
            crate::http::parse_json::<SeedRecord>(text.as_bytes()).map(SeedRecord::into_spec)
        };
        let spec = match parsed {
            Ok(spec) => spec,
            Err(AppError::Validation(errs)) => return Err(at(i, errs)),
            Err(e) => return Err(e),
        };
        if let Err(AppError::Validation(errs)) = spec.validate() {
            return Err(at(i, errs));
        }
        specs.push(spec);
    }
    Ok(specs)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub new_versions: usize,
    pub unchanged: usize,
}

/// Stores the specs: new codes are created, changed ones get a new version.
pub fn store_all(conn: &mut DbConn, specs: &[ProcedureSpec]) -> AppResult<ImportReport> {
    let mut report = ImportReport::default();
    for spec in specs {
        match store::by_code(conn, &spec.code, None)? {
            None => {
                store::create(conn, spec, None)?;
                report.created += 1;
            }
            Some(current) if current.spec() == *spec => report.unchanged += 1,
            Some(_) => {
                store::new_version(conn, spec, None)?;
                report.new_versions += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_catalogue_parses_and_validates() {
        let specs = parse(include_bytes!("../../data/seed/procedures.json")).unwrap();
        assert_eq!(specs.len(), 35);
        let khai_sinh = specs.iter().find(|s| s.code == "1.001193").unwrap();
        assert_eq!(khai_sinh.name, "Thủ tục đăng ký khai sinh");
        assert_eq!(khai_sinh.time_unit, TimeUnit::WorkingDays);
        let land = specs.iter().find(|s| s.code == "1.013978").unwrap();
        assert_eq!(land.channel_days.online, Some(17.0));
        assert_eq!(land.channel_days.desk, Some(27.0));
        let permit = specs.iter().find(|s| s.code == "1.013225").unwrap();
        assert_eq!(permit.time_unit, TimeUnit::CalendarDays);
        assert_eq!(
            specs
                .iter()
                .filter(|s| s.online_level == OnlineLevel::None)
                .count(),
            3
        );
    }

    #[test]
    fn a_record_missing_fields_names_them() {
        match parse(br#"[{"code":"x"}]"#).unwrap_err() {
            AppError::Validation(f) => {
                assert_eq!(f[0].field, "[0]");
                assert!(f[0].message.contains("missing field"), "{f:?}");
            }
            e => panic!("{e:?}"),
        }
        let mut spec = serde_json::to_value(
            parse(include_bytes!("../../data/seed/procedures.json")).unwrap()[0].clone(),
        )
        .unwrap();
        spec["online_level"] = serde_json::json!("sometimes");
        match parse(serde_json::to_string(&vec![spec]).unwrap().as_bytes()).unwrap_err() {
            AppError::Validation(f) => assert_eq!(f[0].field, "[0].online_level"),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_bad_record_is_named() {
        let err = parse(br#"[{"code":"1.1","name":"","field":"x","levels":["commune"],"processing_days":1,"processing_note":null,"fees":null,"documents":[],"online":null,"source":null}]"#).unwrap_err();
        match err {
            AppError::Validation(f) => assert_eq!(f[0].field, "[0].name"),
            e => panic!("{e:?}"),
        }
    }
}
