//! Accounts: roles, and the rules for the personal data a citizen gives (12-digit personal ID
//! number — số định danh cá nhân —, tax code, phone, e-mail). Pure; no I/O.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Validator;

/// Who a user is to the system. Staff have a home unit; citizens have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị: catalogue, units, accounts.
    Admin,
    /// Cán bộ một cửa: intake, receipt, return at one unit's desk.
    Clerk,
    /// Chuyên viên: processes steps at one unit.
    Officer,
    /// Lãnh đạo: signs results; scope is the unit's subtree.
    Approver,
    /// Reads statistics; scope is the unit's subtree.
    Supervisor,
    /// Công dân / tổ chức: own dossiers only.
    Citizen,
}

impl Role {
    pub const STAFF: [Role; 5] = [
        Role::Admin,
        Role::Clerk,
        Role::Officer,
        Role::Approver,
        Role::Supervisor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
            Role::Officer => "officer",
            Role::Approver => "approver",
            Role::Supervisor => "supervisor",
            Role::Citizen => "citizen",
        }
    }

    /// How the role is called in Vietnamese (pages, printed forms, generated names).
    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị",
            Role::Clerk => "Cán bộ một cửa",
            Role::Officer => "Chuyên viên",
            Role::Approver => "Lãnh đạo",
            Role::Supervisor => "Giám sát",
            Role::Citizen => "Công dân",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Admin,
            Role::Clerk,
            Role::Officer,
            Role::Approver,
            Role::Supervisor,
            Role::Citizen,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    pub fn is_staff(self) -> bool {
        self != Role::Citizen
    }

    /// Whether the role's scope is its unit's whole subtree (else the unit itself).
    pub fn sees_subtree(self) -> bool {
        matches!(self, Role::Admin | Role::Approver | Role::Supervisor)
    }
}

/// Province codes used as the first three digits of a personal ID number (Thông tư 59/2021/TT-BCA).
const ID_PROVINCE_CODES: &[u16] = &[
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A 12-digit personal ID number. Its `Debug` masks all but the last three digits so it
/// cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct CitizenId(String);

impl CitizenId {
    pub fn parse(s: &str) -> Result<CitizenId, &'static str> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be exactly 12 digits");
        }
        let province: u16 = s[..3].parse().map_err(|_| "must be exactly 12 digits")?;
        if !ID_PROVINCE_CODES.contains(&province) {
            return Err("does not start with a valid province code");
        }
        Ok(CitizenId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CitizenId(*********{})", &self.0[9..])
    }
}

/// An organisation's tax code: 10 digits, or 10 digits, a dash and 3 digits for a branch.
pub fn valid_tax_code(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        10 => digits(b),
        14 => digits(&b[..10]) && b[10] == b'-' && digits(&b[11..]),
        _ => false,
    }
}

/// A Vietnamese mobile or landline number, normalised to its national form `0…` (10–11 digits).
pub fn normalize_phone(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let national = if let Some(rest) = compact.strip_prefix("+84") {
        format!("0{rest}")
    } else if let Some(rest) = compact.strip_prefix("84").filter(|r| r.len() == 9) {
        format!("0{rest}")
    } else {
        compact
    };
    let ok = national.starts_with('0')
        && (10..=11).contains(&national.len())
        && national.bytes().all(|b| b.is_ascii_digit())
        && !national.starts_with("00");
    ok.then_some(national)
}

/// A plausible e-mail address; real verification is by sending mail, not by pattern.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(char::is_whitespace) {
        return false;
    }
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        }
        None => false,
    }
}

/// Staff user names: 3–64 of a-z, 0-9, `.`, `_`, `-` (folded to lower case before this check).
pub fn valid_username(s: &str) -> bool {
    (3..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

pub fn check_password(v: &mut Validator, field: &str, password: &str) {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        v.add(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        );
    } else if n > MAX_PASSWORD_CHARS {
        v.add(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        );
    } else if password.chars().all(|c| c.is_ascii_digit()) {
        v.add(field, "must not be only digits");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn citizen_id_rules() {
        assert!(CitizenId::parse("001099012345").is_ok());
        assert!(CitizenId::parse("006199000123").is_ok());
        assert_eq!(
            CitizenId::parse("00109901234").unwrap_err(),
            "must be exactly 12 digits"
        );
        assert!(CitizenId::parse("00109901234a").is_err());
        assert_eq!(
            CitizenId::parse("003099012345").unwrap_err(),
            "does not start with a valid province code"
        );
    }

    #[test]
    fn citizen_id_debug_is_masked() {
        let id = CitizenId::parse("001099012345").unwrap();
        let shown = format!("{id:?}");
        assert!(!shown.contains("001099012"), "{shown}");
        assert!(shown.ends_with("345)"));
    }

    #[test]
    fn phones_normalise_to_national_form() {
        assert_eq!(
            normalize_phone("0912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("+84912345678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("84912345678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(normalize_phone("12345"), None);
        assert_eq!(normalize_phone("09123456ab"), None);
    }

    #[test]
    fn tax_codes_and_emails() {
        assert!(valid_tax_code("0101234567"));
        assert!(valid_tax_code("0101234567-001"));
        assert!(!valid_tax_code("010123456"));
        assert!(!valid_tax_code("0101234567_001"));
        assert!(valid_email("an.nguyen@backan.gov.vn"));
        assert!(!valid_email("an nguyen@x.vn"));
        assert!(!valid_email("no-at-sign.vn"));
        assert!(!valid_email("a@nodot"));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::STAFF.into_iter().chain([Role::Citizen]) {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    proptest! {
        #[test]
        fn any_id_with_wrong_length_is_refused(s in "[0-9]{0,11}|[0-9]{13,20}") {
            prop_assert!(CitizenId::parse(&s).is_err());
        }
    }
}
