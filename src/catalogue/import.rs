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
    /// The documents of several cases merged into one list: none is required in every case.
    #[serde(default)]
    pub cases_merged: bool,
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

/// The published fee text split per channel: a segment starts only at a channel label, so a
/// note that lists "người thuộc hộ nghèo; người khuyết tật" stays in one piece.
fn fee_segments(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in text.split("; ") {
        match out.last_mut() {
            Some(last) if channel_of(piece.trim()).is_none() => {
                last.push_str("; ");
                last.push_str(piece);
            }
            _ => out.push(piece.to_owned()),
        }
    }
    out.into_iter()
        .map(|s| tidy_fee(s.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The portal's "2,000 Việt Nam Đồng (/trang)" as a person writes it: "2.000 đồng/trang".
fn tidy_fee(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ','))
            .unwrap_or(rest.len());
        let number = rest[..end].trim_end_matches(',');
        let after = &rest[number.len()..];
        let currency = [" Việt Nam Đồng", " VNĐ"]
            .into_iter()
            .find(|c| after.starts_with(c));
        match currency {
            Some(c) => {
                out.push_str(&number.replace(',', "."));
                out.push_str(" đồng");
                rest = &after[c.len()..];
                // "(/trang)" is the unit of the amount, not a note.
                if let Some(unit) = rest.strip_prefix(" (/") {
                    if let Some(close) = unit.find(')') {
                        out.push('/');
                        out.push_str(&unit[..close]);
                        rest = &unit[close + 1..];
                    }
                }
            }
            None => {
                out.push_str(number);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a published document applies only in some case: its first clause says when
/// ("Trường hợp …", "… trong trường hợp …", "(nếu …)", "Đối với …"), or it is a sub-item of
/// an alternative ("+ …", "(i) …", "* …").
pub fn is_conditional(document: &str) -> bool {
    let t = document.trim_start();
    if t.starts_with(['+', '*', '(', '-']) || t.starts_with("Lưu ý") {
        return true;
    }
    let first = t.split(['.', ';']).next().unwrap_or(t).to_lowercase();
    let words: Vec<&str> = first
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |phrase: &[&str]| words.windows(phrase.len()).any(|w| w == phrase);
    has(&["trường", "hợp"])
        || has(&["nếu"])
        || has(&["đối", "với"])
        || has(&["tùy", "từng"])
        || has(&["tuỳ", "từng"])
        || has(&["tùy", "theo"])
        || has(&["ngoài", "các"])
        || has(&["ngoài", "giấy"])
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
        let fees = fee_segments(self.fees.as_deref().unwrap_or_default())
            .into_iter()
            .map(|s| Fee {
                amount_vnd: s.contains("Miễn phí").then_some(0),
                description: s,
            })
            .collect();
        let cases_merged = self.cases_merged;
        let required_documents = self
            .documents
            .into_iter()
            .map(|d| RequiredDocument {
                mandatory: !cases_merged && !is_conditional(&d),
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
    fn fees_split_per_channel_and_read_as_written() {
        let segs = fee_segments(
            "Trực tuyến: Miễn phí (Miễn lệ phí cho người có công; người thuộc hộ nghèo; người khuyết tật.); Trực tiếp: 2,000 Việt Nam Đồng (/trang); Trực tiếp: 10 USD (/bản); Dịch vụ bưu chính: 8,000 VNĐ",
        );
        assert_eq!(
            segs,
            vec![
                "Trực tuyến: Miễn phí (Miễn lệ phí cho người có công; người thuộc hộ nghèo; người khuyết tật.)",
                "Trực tiếp: 2.000 đồng/trang",
                "Trực tiếp: 10 USD (/bản)",
                "Dịch vụ bưu chính: 8.000 đồng",
            ]
        );
        assert_eq!(
            tidy_fee("Trực tuyến: 150,000 Việt Nam Đồng (- Mức lệ phí cụ thể)"),
            "Trực tuyến: 150.000 đồng (- Mức lệ phí cụ thể)"
        );
    }

    #[test]
    fn conditional_documents_are_not_mandatory() {
        for conditional in [
            "Trường hợp trẻ em bị bỏ rơi thì phải có biên bản",
            "Văn bản ủy quyền (được chứng thực) theo quy định của pháp luật trong trường hợp ủy quyền thực hiện việc đăng ký khai sinh.",
            "Tờ khai đăng ký khai sinh theo mẫu (nếu người có yêu cầu lựa chọn nộp hồ sơ theo hình thức trực tiếp)",
            "Đối với Quân đội nhân dân: Giấy giới thiệu",
            "+ Trường hợp không có văn bản nêu trên thì",
            "Danh sách chủ sở hữu hưởng lợi của doanh nghiệp (nếu có)",
        ] {
            assert!(is_conditional(conditional), "{conditional}");
        }
        for mandatory in [
            "Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của người làm chứng",
            "Giấy đề nghị đăng ký hộ kinh doanh",
            "Hộ chiếu/Thẻ căn cước công dân/Thẻ căn cước/Căn cước điện tử",
        ] {
            assert!(!is_conditional(mandatory), "{mandatory}");
        }
        let specs = parse(include_bytes!("../../data/seed/procedures.json")).unwrap();
        let khai_sinh = specs.iter().find(|s| s.code == "1.001193").unwrap();
        let mandatory: Vec<&str> = khai_sinh
            .required_documents
            .iter()
            .filter(|d| d.mandatory)
            .map(|d| d.name.split([';', '/']).next().unwrap())
            .collect();
        assert_eq!(mandatory, vec!["Giấy chứng sinh", "Hộ chiếu"]);
        let thuong_tru = specs.iter().find(|s| s.code == "1.004222").unwrap();
        assert!(thuong_tru.required_documents.iter().all(|d| !d.mandatory));
    }

    #[test]
    fn the_seed_is_stored_precomposed_with_public_sources() {
        use unicode_normalization::UnicodeNormalization;
        let specs = parse(include_bytes!("../../data/seed/procedures.json")).unwrap();
        for s in &specs {
            let text = serde_json::to_string(s).unwrap();
            assert_eq!(text, text.nfc().collect::<String>(), "{}", s.code);
            let source = s.source.as_deref().unwrap_or_default();
            assert!(
                source.starts_with("https://dichvucong.gov.vn/"),
                "{}: {source}",
                s.code
            );
        }
        // A decomposed file is taken in NFC too.
        let raw = std::str::from_utf8(include_bytes!("../../data/seed/procedures.json")).unwrap();
        let decomposed: String = raw.nfd().collect();
        let again = parse(decomposed.as_bytes()).unwrap();
        assert_eq!(again, specs);
    }

    #[test]
    fn a_record_missing_fields_names_them() {
        match parse(br#"[{"code":"x"}]"#).unwrap_err() {
            AppError::Validation(f) => {
                // The missing field itself is named, inside the record at fault.
                assert!(f[0].field.starts_with("[0]."), "{f:?}");
                assert_eq!(f[0].message, "is required", "{f:?}");
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
