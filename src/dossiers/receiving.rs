//! Which desk may receive a dossier for which resolving unit, as the law in force on the
//! receipt date says (DOMAIN §1). Kept as dated policy in one table: a new decree is a new
//! row, not an `if date` somewhere else. Pure; no I/O.
//!
//! - Until 30 June 2025 (Nghị định 61/2018, amended by 107/2021): a dossier is received at the
//!   one-stop desk of the level and area that resolves it.
//! - From 1 July 2025 (Nghị định 118/2025): any desk or public-service centre of a province
//!   may receive any provincial- or commune-level procedure of that province, wherever the
//!   applicant lives.

use chrono::NaiveDate;

use crate::units::model::{path_ids, Level};

/// A rule on where a dossier may be received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Only at the resolving unit's own desk.
    OwnDesk,
    /// At any desk of the resolving unit's province, for provincial and commune procedures.
    AnyDeskOfProvince,
}

/// The rules by the date they took effect, oldest first.
const IN_FORCE: &[(i32, u32, u32, Rule, &str)] = &[
    (1900, 1, 1, Rule::OwnDesk, "Nghị định 61/2018/NĐ-CP"),
    (
        2025,
        7,
        1,
        Rule::AnyDeskOfProvince,
        "Nghị định 118/2025/NĐ-CP",
    ),
];

/// The rule in force on `date`, and the act that sets it.
pub fn rule_on(date: NaiveDate) -> (Rule, &'static str) {
    IN_FORCE
        .iter()
        .rev()
        .find(|(y, m, d, _, _)| {
            NaiveDate::from_ymd_opt(*y, *m, *d).is_some_and(|from| date >= from)
        })
        .map_or((Rule::OwnDesk, IN_FORCE[0].4), |(_, _, _, rule, act)| {
            (*rule, *act)
        })
}

/// A unit as the rule sees it: its id, level and tree path.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub id: uuid::Uuid,
    pub level: Level,
    pub path: &'a str,
}

/// Whether the desk at `desk` may receive, on `date`, a dossier that `resolving` resolves.
/// `Err` says why not, naming the act in force.
pub fn may_receive(date: NaiveDate, desk: Place<'_>, resolving: Place<'_>) -> Result<(), String> {
    let (rule, act) = rule_on(date);
    if desk.id == resolving.id {
        return Ok(());
    }
    let same_province = path_ids(desk.path).first() == path_ids(resolving.path).first();
    match rule {
        Rule::OwnDesk => Err(format!(
            "on {} ({act}) a dossier is received at the desk of the unit that resolves it",
            date.format("%d/%m/%Y")
        )),
        Rule::AnyDeskOfProvince if !same_province => Err(format!(
            "a desk receives only for units of its own province ({act})"
        )),
        Rule::AnyDeskOfProvince if resolving.level == Level::District => Err(format!(
            "only provincial and commune procedures may be received at another desk ({act})"
        )),
        Rule::AnyDeskOfProvince => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_rule_changes_on_1_july_2025() {
        assert_eq!(rule_on(day("2025-06-30")).0, Rule::OwnDesk);
        assert_eq!(rule_on(day("2025-07-01")).0, Rule::AnyDeskOfProvince);
        assert_eq!(rule_on(day("2019-01-01")).1, "Nghị định 61/2018/NĐ-CP");
    }

    #[test]
    fn a_commune_desk_receives_for_another_commune_only_from_july_2025() {
        let (p, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let pa = format!("/{p}/{a}/");
        let pb = format!("/{p}/{b}/");
        let desk = Place {
            id: a,
            level: Level::Commune,
            path: &pa,
        };
        let other = Place {
            id: b,
            level: Level::Commune,
            path: &pb,
        };
        assert!(may_receive(day("2025-06-30"), desk, other).is_err());
        assert!(may_receive(day("2025-07-01"), desk, other).is_ok());
        assert!(may_receive(day("2025-06-30"), desk, desk).is_ok());
        let elsewhere = format!("/{}/{b}/", Uuid::now_v7());
        let foreign = Place {
            id: b,
            level: Level::Commune,
            path: &elsewhere,
        };
        assert!(may_receive(day("2025-07-01"), desk, foreign).is_err());
    }

    proptest! {
        /// Before 1 July 2025 only the resolving unit's own desk receives; after it any desk
        /// of the same province does, for province and commune units.
        #[test]
        fn the_rule_in_force_decides(days in 0i64..(20 * 365), same in any::<bool>(), province_level in any::<bool>()) {
            let date = day("2015-01-01") + chrono::Duration::days(days);
            let (p, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
            let pa = format!("/{p}/{a}/");
            let pb = if province_level { format!("/{p}/") } else { format!("/{p}/{b}/") };
            let resolving_id = if province_level { p } else { b };
            let desk = Place { id: a, level: Level::Commune, path: &pa };
            let resolving = Place {
                id: if same { a } else { resolving_id },
                level: if province_level && !same { Level::Province } else { Level::Commune },
                path: if same { &pa } else { &pb },
            };
            let allowed = may_receive(date, desk, resolving).is_ok();
            prop_assert_eq!(allowed, same || date >= day("2025-07-01"));
        }
    }
}
