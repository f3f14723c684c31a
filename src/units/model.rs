//! Units as data: kinds and their administrative level, the materialised tree path, validity.
//! Pure; no I/O.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Validator;

/// The kind of an administrative unit (loại đơn vị hành chính).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Tỉnh
    Province,
    /// Thành phố trực thuộc trung ương
    City,
    /// Thành phố thuộc tỉnh
    CityDistrict,
    /// Thị xã
    Town,
    /// Quận
    UrbanDistrict,
    /// Huyện
    District,
    /// Phường
    Ward,
    /// Xã
    Commune,
    /// Thị trấn
    Township,
    /// Đặc khu (since 2025)
    SpecialZone,
}

/// The administrative level (cấp) a unit sits at and a procedure step is performed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    District,
    Commune,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Level::Province, Level::District, Level::Commune]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

impl UnitKind {
    pub const ALL: [UnitKind; 10] = [
        UnitKind::Province,
        UnitKind::City,
        UnitKind::CityDistrict,
        UnitKind::Town,
        UnitKind::UrbanDistrict,
        UnitKind::District,
        UnitKind::Ward,
        UnitKind::Commune,
        UnitKind::Township,
        UnitKind::SpecialZone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::City => "city",
            UnitKind::CityDistrict => "city_district",
            UnitKind::Town => "town",
            UnitKind::UrbanDistrict => "urban_district",
            UnitKind::District => "district",
            UnitKind::Ward => "ward",
            UnitKind::Commune => "commune",
            UnitKind::Township => "township",
            UnitKind::SpecialZone => "special_zone",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn level(self) -> Level {
        match self {
            UnitKind::Province | UnitKind::City => Level::Province,
            UnitKind::CityDistrict
            | UnitKind::Town
            | UnitKind::UrbanDistrict
            | UnitKind::District => Level::District,
            UnitKind::Ward | UnitKind::Commune | UnitKind::Township | UnitKind::SpecialZone => {
                Level::Commune
            }
        }
    }
}

/// A unit as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unit {
    pub id: Uuid,
    /// Official GSO code (2 digits province, 3 district, 5 commune). Reused across
    /// reorganisations: look codes up with a date.
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    pub parent_id: Option<Uuid>,
    /// 0 for a root.
    pub depth: i32,
    /// Electronic identifier of the unit's receiving agency (`XXX.YY.ZZ.Hnn`), used in dossier codes.
    pub agency_code: Option<String>,
    pub valid_from: NaiveDate,
    /// Last day the unit existed; `null` while it exists.
    pub valid_to: Option<NaiveDate>,
    /// The unit that took this one over in a reorganisation.
    pub successor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub path: String,
}

impl Unit {
    /// Whether the unit exists on `date`.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }

    /// Whether this unit is `ancestor` or lies under it.
    pub fn is_within(&self, ancestor: Uuid) -> bool {
        path_contains(&self.path, ancestor)
    }
}

/// The path of a child of a unit with path `parent_path` (or of a root, with `None`).
pub fn child_path(parent_path: Option<&str>, id: Uuid) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), id)
}

/// `[lo, hi)` such that a path lies in the subtree of the unit with path `path` iff lo ≤ p < hi
/// (byte order: the closing '/' becomes '0', the next byte up).
pub fn subtree_bounds(path: &str) -> (String, String) {
    let lo = path.to_owned();
    let hi = match path.strip_suffix('/') {
        Some(stem) => format!("{stem}0"),
        None => format!("{path}0"),
    };
    (lo, hi)
}

pub fn path_contains(path: &str, id: Uuid) -> bool {
    path.contains(&format!("/{id}/"))
}

/// The ids on a path, root first.
pub fn path_ids(path: &str) -> Vec<Uuid> {
    path.split('/')
        .filter_map(|s| Uuid::try_parse(s).ok())
        .collect()
}

/// Whom `unit` hands on to for a look-up on `on`: its successor, when it has ended by then.
pub fn hands_on(unit: &Unit, on: NaiveDate) -> Option<Uuid> {
    unit.valid_to
        .is_some_and(|last| last < on)
        .then_some(unit.successor_id)
        .flatten()
}

/// GSO codes and local codes: 1–20 letters, digits, '.', '-'.
pub fn valid_unit_code(code: &str) -> bool {
    (1..=20).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// An agency's electronic identifier (QĐ 20/2020/QĐ-TTg), e.g. `000.00.00.H55`.
pub fn valid_agency_code(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    let alnum = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    };
    parts.len() == 4
        && alnum(parts[0], 3)
        && alnum(parts[1], 2)
        && alnum(parts[2], 2)
        && parts[3].len() == 3
        && parts[3].as_bytes()[0].is_ascii_uppercase()
        && parts[3][1..].bytes().all(|b| b.is_ascii_digit())
}

pub fn check_validity(v: &mut Validator, from: NaiveDate, to: Option<NaiveDate>) {
    if let Some(to) = to {
        v.check(to >= from, "valid_to", "must not be before valid_from");
    }
}

/// The agency (cơ quan) kinds that belong to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// Ủy ban nhân dân
    PeoplesCommittee,
    /// Sở, ban, ngành
    Department,
    /// Phòng chuyên môn
    Office,
    /// Trung tâm Phục vụ hành chính công / Bộ phận Một cửa
    ServiceCentre,
    Other,
}

impl AgencyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgencyKind::PeoplesCommittee => "peoples_committee",
            AgencyKind::Department => "department",
            AgencyKind::Office => "office",
            AgencyKind::ServiceCentre => "service_centre",
            AgencyKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> AgencyKind {
        [
            AgencyKind::PeoplesCommittee,
            AgencyKind::Department,
            AgencyKind::Office,
            AgencyKind::ServiceCentre,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .unwrap_or(AgencyKind::Other)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agency {
    pub id: Uuid,
    pub unit_id: Uuid,
    /// Electronic identifier, e.g. `000.00.00.H55`.
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    pub created_at: DateTime<Utc>,
}

/// Which units a caller may see and act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every unit (an administrator without a home unit).
    All,
    /// The unit and everything under it (approver, supervisor, an administrator of a unit).
    Subtree(Uuid),
    /// The unit alone (clerk, officer).
    Unit(Uuid),
    /// No unit: a citizen, who sees only their own records.
    Citizen(Uuid),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_map_to_levels() {
        assert_eq!(UnitKind::Province.level(), Level::Province);
        assert_eq!(UnitKind::CityDistrict.level(), Level::District);
        assert_eq!(UnitKind::Township.level(), Level::Commune);
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn agency_codes() {
        assert!(valid_agency_code("000.00.00.H55"));
        assert!(valid_agency_code("000.00.05.H05"));
        assert!(!valid_agency_code("000.00.00.55"));
        assert!(!valid_agency_code("00.00.00.H55"));
        assert!(!valid_agency_code("000.00.00.H5x"));
    }

    proptest! {
        /// A path is in a unit's subtree iff it lies within the subtree bounds of that unit.
        #[test]
        fn subtree_bounds_match_prefix(depth_a in 1usize..4, depth_b in 1usize..5, share in 0usize..4) {
            let a_ids: Vec<Uuid> = (0..depth_a).map(|_| Uuid::now_v7()).collect();
            let share = share.min(depth_a);
            let mut b_ids: Vec<Uuid> = a_ids[..share].to_vec();
            while b_ids.len() < depth_b { b_ids.push(Uuid::now_v7()); }
            let path = |ids: &[Uuid]| ids.iter().fold(None, |p: Option<String>, id| Some(child_path(p.as_deref(), *id))).unwrap_or_default();
            let (pa, pb) = (path(&a_ids), path(&b_ids));
            let (lo, hi) = subtree_bounds(&pa);
            let inside = lo.as_str() <= pb.as_str() && pb.as_str() < hi.as_str();
            prop_assert_eq!(inside, pb.starts_with(&pa));
            prop_assert_eq!(pb.starts_with(&pa), path_contains(&pb, *a_ids.last().unwrap()));
            prop_assert_eq!(path_ids(&pb), b_ids);
        }
    }
}
