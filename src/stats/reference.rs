//! The reference path: every figure computed straight from the dossiers and their histories,
//! through `model::Report::add`. Slow by design (it reads every event of the subtree); it is
//! what any faster path must agree with.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{Facts, Figures, Life, Period, Rate};
use crate::catalogue::model::OnlineLevel;
use crate::db::{id_of, DbConn};
use crate::dossiers::store::{self as dossiers, Channel};
use crate::error::AppResult;
use crate::units::model::{path_ids, Unit};

/// Which tree the figures follow across a reorganisation (DOMAIN §1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tree {
    /// Where each dossier was filed, in the tree of that time.
    #[default]
    Filed,
    /// Today's tree: a retired unit's dossiers count at its successor (a unit retired without
    /// one, like an abolished district, at its parent's successor).
    Current,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The unit's children (and the unit itself, for dossiers filed at it).
    Child,
    Procedure,
    Field,
    /// Each calendar month of the period (the first and last may be partial).
    Month,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// A unit id, a procedure code, a field, or `YYYY-MM`.
    pub key: String,
    pub label: String,
    pub figures: Figures,
}

/// Everything the reference path computes for a unit and a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub total: Figures,
    pub groups: Vec<Group>,
    /// Procedures offered online (fully or partly) that received a dossier online in the
    /// period ÷ those that received any dossier.
    pub online_used: Rate,
    /// Procedures offered fully online (toàn trình) ÷ active procedures in the catalogue.
    pub catalogue_full: Rate,
}

/// A dossier's life as the figures read it: its history and its record's facts.
pub fn life_of(filed: &dossiers::Filed, history: &[dossiers::Event]) -> Life {
    Life::from_history(Channel::parse(&filed.channel), history).with(facts_of(filed))
}

fn facts_of(f: &dossiers::Filed) -> Facts {
    use crate::db::utc;
    Facts {
        fee_asked: f.fee_vnd.is_some(),
        paid: f
            .paid_at
            .map(|t| (utc(t), f.payment_channel.as_deref() == Some("online"))),
        returned_electronically: f.return_channel.as_deref() == Some("electronic"),
        documents_digitised: f.documents_digitised,
        result_electronic: f.result_electronic,
        rating: f
            .rating
            .as_ref()
            .map(|(r, at)| (utc(*at), r == "satisfied")),
    }
}

/// The unit each unit counts at in `tree`.
pub fn placement(units: &[Unit], tree: Tree) -> HashMap<Uuid, Uuid> {
    let by_id: HashMap<Uuid, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    let current = |start: Uuid| -> Uuid {
        let mut at = start;
        // A chain longer than the tree means a cycle in the data: stop where we are.
        for _ in 0..=units.len() {
            let Some(u) = by_id.get(&at) else { break };
            match (u.successor_id, u.valid_to, u.parent_id) {
                (Some(next), _, _) => at = next,
                (None, Some(_), Some(parent)) => at = parent,
                _ => break,
            }
        }
        at
    };
    units
        .iter()
        .map(|u| {
            let at = match tree {
                Tree::Filed => u.id,
                Tree::Current => current(u.id),
            };
            (u.id, at)
        })
        .collect()
}

/// What a report covers: one unit's subtree, or the whole country (every province's tree).
#[derive(Debug, Clone, Copy)]
pub enum Root<'a> {
    Country,
    Unit(&'a Unit),
}

impl Root<'_> {
    /// Whether `unit` is in the covered tree.
    pub fn holds(&self, unit: &Unit) -> bool {
        match self {
            Root::Country => true,
            Root::Unit(root) => unit.is_within(root.id),
        }
    }

    /// Whether `unit` is one of the root's children (for the country, a province).
    pub fn is_parent_of(&self, unit: &Unit) -> bool {
        match self {
            Root::Country => unit.parent_id.is_none(),
            Root::Unit(root) => unit.parent_id == Some(root.id),
        }
    }

    /// The child of the root whose subtree holds `unit` (the root itself for its own
    /// dossiers; for the country, the unit's province).
    pub fn child_of(&self, unit: &Unit) -> Uuid {
        let ids = path_ids(&unit.path);
        match self {
            Root::Country => ids.first().copied().unwrap_or(unit.id),
            Root::Unit(root) => match ids.iter().position(|id| *id == root.id) {
                Some(i) => ids.get(i + 1).copied().unwrap_or(root.id),
                None => root.id,
            },
        }
    }
}

/// The months of the period, each as its own period.
pub fn months(p: &Period) -> Vec<Period> {
    let mut out = Vec::new();
    let mut from = p.from;
    while from < p.to {
        let next = if from.month() == 12 {
            chrono::NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)
        } else {
            chrono::NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)
        };
        let to = next.map_or(p.to, |n| n.min(p.to));
        out.push(Period { from, to });
        from = to;
    }
    out
}

pub fn month_key(m: &Period) -> String {
    format!("{:04}-{:02}", m.from.year(), m.from.month())
}

pub fn month_label(m: &Period) -> String {
    format!("Tháng {:02}/{}", m.from.month(), m.from.year())
}

/// The filed units whose dossiers count under `root` in `tree`, each with the unit it counts
/// at.
pub fn members<'a>(units: &'a [Unit], root: Root<'_>, tree: Tree) -> HashMap<String, &'a Unit> {
    let by_id: HashMap<Uuid, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    let placed = placement(units, tree);
    units
        .iter()
        .filter_map(|u| {
            let at = by_id.get(placed.get(&u.id)?)?;
            root.holds(at).then(|| (u.id.to_string(), *at))
        })
        .collect()
}

/// The groups listed even when empty: every child (in today's tree, only units still in
/// force) and every month.
pub fn listed_groups(
    units: &[Unit],
    root: Root<'_>,
    tree: Tree,
    group_by: Option<GroupBy>,
    month_periods: &[Period],
) -> HashMap<String, (String, Figures)> {
    match group_by {
        Some(GroupBy::Child) => units
            .iter()
            .filter(|u| root.is_parent_of(u))
            .filter(|u| tree == Tree::Filed || u.valid_to.is_none())
            .map(|u| (u.id.to_string(), (u.name.clone(), Figures::default())))
            .collect(),
        Some(GroupBy::Month) => month_periods
            .iter()
            .map(|m| (month_key(m), (month_label(m), Figures::default())))
            .collect(),
        _ => HashMap::new(),
    }
}

/// The catalogue rate (procedures offered fully online ÷ active procedures) and, per
/// procedure code, whether it is offered online at all.
pub fn catalogue(conn: &mut DbConn) -> AppResult<(Rate, HashMap<String, bool>)> {
    let catalogue = crate::catalogue::store::all_current(conn)?;
    let mut full = Rate::default();
    for p in catalogue.iter().filter(|p| p.active) {
        full.denominator += 1;
        full.numerator += u64::from(p.online_level == OnlineLevel::Full);
    }
    full.finish();
    let offered_online = catalogue
        .into_iter()
        .map(|p| (p.code, p.online_level != OnlineLevel::None))
        .collect();
    Ok((full, offered_online))
}

/// Of the procedures offered online that received a dossier in the period (`used`: per code,
/// any new dossier, any new online one), those that received one online.
pub fn online_used(used: &HashMap<String, (bool, bool)>, offered: &HashMap<String, bool>) -> Rate {
    let mut rate = Rate::default();
    for (code, (_, online)) in used.iter().filter(|(_, (any, _))| *any) {
        if offered.get(code).copied().unwrap_or(false) {
            rate.numerator += u64::from(*online);
            rate.denominator += 1;
        }
    }
    rate.finish();
    rate
}

/// The groups as a list ordered by label: those `listed_groups` lists, with zeros, and the
/// others that have a figure in the period.
pub fn finish_groups(
    groups: HashMap<String, (String, Figures)>,
    listed: &HashMap<String, (String, Figures)>,
) -> Vec<Group> {
    let mut groups: Vec<Group> = groups
        .into_iter()
        .filter(|(key, (_, figures))| *figures != Figures::default() || listed.contains_key(key))
        .map(|(key, (label, figures))| Group {
            key,
            label,
            figures,
        })
        .collect();
    groups.sort_by(|a, b| a.label.cmp(&b.label).then(a.key.cmp(&b.key)));
    groups
}

/// The figures for `root` over `period`, and its groups, read at `now`.
pub fn compute(
    conn: &mut DbConn,
    root: Root<'_>,
    period: &Period,
    tree: Tree,
    group_by: Option<GroupBy>,
    basis: dossiers::Basis,
    now: DateTime<Utc>,
) -> AppResult<Computed> {
    let units = crate::units::store::all(conn)?;
    let by_id: HashMap<Uuid, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    let members = members(&units, root, tree);
    let unit_ids: Vec<String> = members.keys().cloned().collect();
    let end = period.end().naive_utc();
    let fields = match group_by {
        Some(GroupBy::Field) => crate::catalogue::store::fields_of_versions(conn)?,
        _ => HashMap::new(),
    };
    let month_periods = months(period);
    let mut total = Figures::default();
    let (catalogue_full, offered_online) = catalogue(conn)?;
    // Per procedure: a new dossier in the period, and a new online one.
    let mut used: HashMap<String, (bool, bool)> = HashMap::new();
    // Every child and every month is listed, with zeros where nothing happened.
    let listed = listed_groups(&units, root, tree, group_by, &month_periods);
    let mut groups = listed.clone();
    for chunk in unit_ids.chunks(500) {
        for (filed, history) in dossiers::filed_with_history(conn, chunk, end, basis)? {
            let channel = Channel::parse(&filed.channel);
            let life = life_of(&filed, &history);
            total.add(&life, period, now);
            if life
                .received_at
                .is_some_and(|r| (period.start()..period.end()).contains(&r))
            {
                let u = used.entry(filed.procedure_code.clone()).or_default();
                u.0 = true;
                u.1 |= channel == Channel::Online;
            }
            let Some(group_by) = group_by else { continue };
            if group_by == GroupBy::Month {
                for m in &month_periods {
                    groups
                        .entry(month_key(m))
                        .or_insert_with(|| (month_label(m), Figures::default()))
                        .1
                        .add(&life, m, now);
                }
                continue;
            }
            let (key, label) = match group_by {
                GroupBy::Child => {
                    let at_unit = filed.unit_for(basis);
                    let child = members
                        .get(at_unit)
                        .map_or_else(|| id_of(at_unit), |at| root.child_of(at));
                    let name = by_id
                        .get(&child)
                        .map_or_else(String::new, |u| u.name.clone());
                    (child.to_string(), name)
                }
                GroupBy::Procedure => (filed.procedure_code.clone(), filed.procedure_code.clone()),
                GroupBy::Field => {
                    let field = fields
                        .get(&id_of(&filed.procedure_version_id))
                        .cloned()
                        .unwrap_or_default();
                    (field.clone(), field)
                }
                GroupBy::Month => continue,
            };
            groups
                .entry(key)
                .or_insert_with(|| (label, Figures::default()))
                .1
                .add(&life, period, now);
        }
    }
    let groups = finish_groups(groups, &listed);
    let online_used = online_used(&used, &offered_online);
    Ok(Computed {
        total,
        groups,
        online_used,
        catalogue_full,
    })
}
