//! Procedures as data and the rules a procedure must satisfy (codes, times, workflow shares).
//! Pure; no I/O.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::Role;
use crate::error::{AppResult, Validator};
use crate::units::model::Level;

/// How much of the procedure can be done online (mức độ dịch vụ công trực tuyến).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// Toàn trình: filing, processing, payment and result all online.
    Full,
    /// Một phần.
    Partial,
    /// Not offered online.
    None,
}

/// What a supplement request does to the clock (DOMAIN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplementPolicy {
    /// The time between request and complete supplement does not count (default).
    #[default]
    Pause,
    /// The processing time counts afresh from the complete supplement.
    Restart,
}

/// Unit of the statutory processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Ngày làm việc (default).
    #[default]
    WorkingDays,
    /// Ngày: every day counts, still ending at the close of working time.
    CalendarDays,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}
text_enum!(OnlineLevel { Full => "full", Partial => "partial", None => "none" });
text_enum!(SupplementPolicy { Pause => "pause", Restart => "restart" });
text_enum!(TimeUnit { WorkingDays => "working_days", CalendarDays => "calendar_days" });

/// The processing time by channel where the procedure sets one apart from `processing_days`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelDays {
    pub online: Option<f64>,
    pub desk: Option<f64>,
    pub post: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// What the fee is for, as published (e.g. "Lệ phí: 50.000 đồng").
    #[schema(min_length = 1, max_length = 10000)]
    pub description: String,
    /// Amount in đồng, where the published text gives one; 0 = free.
    pub amount_vnd: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredDocument {
    #[schema(min_length = 1, max_length = 10000)]
    pub name: String,
    /// Whether every applicant must provide it (else: only in some cases).
    #[serde(default = "yes")]
    pub mandatory: bool,
}

fn yes() -> bool {
    true
}

/// One step of a procedure's workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// E.g. "Tiếp nhận", "Thẩm định", "Phê duyệt", "Trả kết quả".
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The role that performs it: `clerk`, `officer` or `approver`.
    pub role: Role,
    /// The level of unit that performs it (an inter-level procedure moves between levels).
    pub unit_level: Level,
    /// Whole percent of the processing time; the steps' shares add up to 100.
    pub share_percent: u8,
}

/// Everything that defines one version of a procedure (the body of create / new version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedureSpec {
    /// National code, e.g. `1.001193`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,32}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub name: String,
    /// Lĩnh vực, e.g. "Hộ tịch".
    #[schema(min_length = 1, max_length = 200)]
    pub field: String,
    /// The levels that handle it (at least one).
    #[schema(min_items = 1)]
    pub levels: Vec<Level>,
    /// The agency that resolves it, e.g. "Ủy ban nhân dân cấp xã".
    #[schema(min_length = 1, max_length = 300)]
    pub agency: String,
    /// Statutory processing time; fractions such as 0.5 allowed; 0 = within the day;
    /// `null` where the published text gives none.
    pub processing_days: Option<f64>,
    #[serde(default)]
    pub time_unit: TimeUnit,
    #[serde(default)]
    pub channel_days: ChannelDays,
    /// The published text of the processing time, per channel.
    pub processing_note: Option<String>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    pub required_documents: Vec<RequiredDocument>,
    pub online_level: OnlineLevel,
    #[serde(default)]
    pub supplement_policy: SupplementPolicy,
    /// The workflow: 1 to 30 steps.
    #[schema(min_items = 1, max_items = 30)]
    pub steps: Vec<Step>,
    /// Where the record came from (for imported procedures).
    pub source: Option<String>,
}

/// National codes such as `1.001193`; local codes up to 32 of letters, digits, `.`, `-`, `_`.
pub fn valid_procedure_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

const MAX_DAYS: f64 = 730.0;

fn check_days(v: &mut Validator, field: &str, days: Option<f64>) {
    if let Some(d) = days {
        v.check(
            d.is_finite() && (0.0..=MAX_DAYS).contains(&d),
            field,
            "must be between 0 and 730 days",
        );
    }
}

impl ProcedureSpec {
    /// Checks every rule, reporting all fields at fault at once.
    pub fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        v.check(
            valid_procedure_code(&self.code),
            "code",
            "must be 1–32 letters, digits, '.', '-' or '_'",
        );
        v.text("name", &self.name, 1000);
        v.text("field", &self.field, 200);
        v.text("agency", &self.agency, 300);
        v.check(
            !self.levels.is_empty(),
            "levels",
            "must name at least one level",
        );
        for (i, l) in self.levels.iter().enumerate() {
            v.check(
                !self.levels[..i].contains(l),
                format!("levels[{i}]"),
                "is repeated",
            );
        }
        check_days(&mut v, "processing_days", self.processing_days);
        check_days(&mut v, "channel_days.online", self.channel_days.online);
        check_days(&mut v, "channel_days.desk", self.channel_days.desk);
        check_days(&mut v, "channel_days.post", self.channel_days.post);
        v.opt_text("processing_note", self.processing_note.as_deref(), 2000);
        v.opt_text("source", self.source.as_deref(), 500);
        v.check(self.fees.len() <= 50, "fees", "at most 50 fees");
        for (i, f) in self.fees.iter().enumerate() {
            v.text(&format!("fees[{i}].description"), &f.description, 10_000);
            if let Some(a) = f.amount_vnd {
                v.check(
                    (0..=1_000_000_000_000).contains(&a),
                    format!("fees[{i}].amount_vnd"),
                    "must be between 0 and 10^12",
                );
            }
        }
        v.check(
            self.required_documents.len() <= 100,
            "required_documents",
            "at most 100 documents",
        );
        for (i, d) in self.required_documents.iter().enumerate() {
            v.text(&format!("required_documents[{i}].name"), &d.name, 10_000);
        }
        self.validate_steps(&mut v);
        v.finish()
    }

    fn validate_steps(&self, v: &mut Validator) {
        if self.steps.is_empty() || self.steps.len() > 30 {
            v.add("steps", "must have 1 to 30 steps");
            return;
        }
        let total: u32 = self.steps.iter().map(|s| u32::from(s.share_percent)).sum();
        v.check(
            total == 100,
            "steps",
            format!("shares must add up to 100 (they add up to {total})"),
        );
        for (i, s) in self.steps.iter().enumerate() {
            v.text(&format!("steps[{i}].name"), &s.name, 200);
            v.check(
                matches!(s.role, Role::Clerk | Role::Officer | Role::Approver),
                format!("steps[{i}].role"),
                "must be clerk, officer or approver",
            );
            v.check(
                s.share_percent <= 100,
                format!("steps[{i}].share_percent"),
                "must be at most 100",
            );
            v.check(
                self.levels.contains(&s.unit_level),
                format!("steps[{i}].unit_level"),
                "must be one of the procedure's levels",
            );
        }
    }
}

/// The workflow given to a procedure that does not define one: intake, appraisal and
/// approval at the handling level, then return at the desk.
pub fn default_steps(level: Level) -> Vec<Step> {
    let step = |name: &str, role, share| Step {
        name: name.to_owned(),
        role,
        unit_level: level,
        share_percent: share,
    };
    vec![
        step("Tiếp nhận hồ sơ", Role::Clerk, 10),
        step("Thẩm định, xử lý", Role::Officer, 60),
        step("Phê duyệt", Role::Approver, 20),
        step("Trả kết quả", Role::Clerk, 10),
    ]
}

/// The folded text a procedure is searched by (code, name, field), the same for the database
/// and the in-memory index.
pub fn search_text(code: &str, name: &str, field: &str) -> String {
    crate::text::fold(&format!("{code} {name} {field}"))
}

/// Levels stored as one delimited text, so one level matches with LIKE '%,level,%'.
pub fn levels_text(levels: &[Level]) -> String {
    let mut s = String::from(",");
    for l in levels {
        s.push_str(l.as_str());
        s.push(',');
    }
    s
}

pub fn levels_from_text(s: &str) -> Vec<Level> {
    s.split(',').filter_map(Level::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub fn spec() -> ProcedureSpec {
        ProcedureSpec {
            code: "1.001193".into(),
            name: "Thủ tục đăng ký khai sinh".into(),
            field: "Hộ tịch".into(),
            levels: vec![Level::Commune],
            agency: "Ủy ban nhân dân cấp xã".into(),
            processing_days: Some(1.0),
            time_unit: TimeUnit::WorkingDays,
            channel_days: ChannelDays::default(),
            processing_note: None,
            fees: vec![],
            required_documents: vec![RequiredDocument {
                name: "Giấy chứng sinh".into(),
                mandatory: true,
            }],
            online_level: OnlineLevel::Full,
            supplement_policy: SupplementPolicy::Pause,
            steps: default_steps(Level::Commune),
            source: None,
        }
    }

    #[test]
    fn default_workflow_is_valid() {
        assert!(spec().validate().is_ok());
    }

    #[test]
    fn shares_must_add_up_to_100() {
        let mut s = spec();
        s.steps[0].share_percent = 11;
        let err = s.validate().unwrap_err();
        assert!(format!("{:?}", err).contains("add up to 101"));
    }

    #[test]
    fn step_level_must_be_a_procedure_level() {
        let mut s = spec();
        s.steps[1].unit_level = Level::District;
        match s.validate().unwrap_err() {
            crate::error::AppError::Validation(f) => assert_eq!(f[0].field, "steps[1].unit_level"),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn negative_or_huge_days_and_admin_steps_are_refused() {
        let mut s = spec();
        s.processing_days = Some(-1.0);
        s.steps[0].role = Role::Admin;
        match s.validate().unwrap_err() {
            crate::error::AppError::Validation(f) => {
                let fields: Vec<_> = f.iter().map(|e| e.field.as_str()).collect();
                assert!(fields.contains(&"processing_days"));
                assert!(fields.contains(&"steps[0].role"));
            }
            e => panic!("{e:?}"),
        }
    }

    proptest! {
        #[test]
        fn any_split_adding_to_100_is_accepted(cuts in proptest::collection::vec(0u8..=100, 0..6)) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut bounds = vec![0u8];
            bounds.extend(cuts);
            bounds.push(100);
            let mut s = spec();
            s.steps = bounds.windows(2).map(|w| Step {
                name: "Bước".into(), role: Role::Officer, unit_level: Level::Commune, share_percent: w[1] - w[0],
            }).collect();
            prop_assert!(s.validate().is_ok());
            s.steps[0].share_percent = s.steps[0].share_percent.wrapping_add(1).min(100);
            let total: u32 = s.steps.iter().map(|x| u32::from(x.share_percent)).sum();
            prop_assert_eq!(s.validate().is_ok(), total == 100);
        }

        #[test]
        fn levels_text_round_trips(mask in 1u8..8) {
            let levels: Vec<Level> = [Level::Province, Level::District, Level::Commune]
                .into_iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, l)| l).collect();
            prop_assert_eq!(levels_from_text(&levels_text(&levels)), levels);
        }
    }
}
