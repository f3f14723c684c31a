//! A reorganisation (sắp xếp đơn vị hành chính) as one operation: units created, units retired
//! on a date with their successors, and what follows from it in one transaction — every open
//! dossier held by a retired unit handed to its successor with a `transfer` event (due date and
//! pauses unchanged), staff re-homed or disabled, agencies and remaining child units moved to
//! the successor. Dossiers keep the unit they were filed at (DOMAIN §1); statistics in today's
//! tree follow the successors. A dry run answers what would happen and what stands in the way.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::db::schema::{agencies, dossiers, units, users};
use crate::db::DbConn;
use crate::dossiers::ledger::Ledger;
use crate::dossiers::model::{Action, State};
use crate::dossiers::store::{Changes, DossierRow, Transition};
use crate::error::{AppError, AppResult, Validator};
use crate::units::model::Scope;
use crate::units::model::{self, Unit, UnitKind};
use crate::units::store::{self, NewUnit};

/// What happens to the staff of a retired unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffFate {
    /// Their accounts move to the successor (default).
    #[default]
    Rehome,
    /// Their accounts are disabled and signed out.
    Disable,
}

/// A unit the plan creates, in force from the plan's date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedUnit {
    /// A name for this unit within the plan (`successor_ref`, `parent_ref` use it).
    #[serde(rename = "ref")]
    pub reference: String,
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: UnitKind,
    /// An existing parent, or
    pub parent_id: Option<Uuid>,
    /// a parent the plan creates.
    pub parent_ref: Option<String>,
    pub agency_code: Option<String>,
}

/// A unit the plan retires: its last day is the day before the plan's date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    pub unit_id: Uuid,
    /// The existing unit that takes over, or
    pub successor_id: Option<Uuid>,
    /// one the plan creates.
    pub successor_ref: Option<String>,
    #[serde(default)]
    pub staff: StaffFate,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Named in every history event it writes, e.g. "Nghị quyết 1683/NQ-UBTVQH15".
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// The first day of the new layout.
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub create: Vec<PlannedUnit>,
    #[serde(default)]
    pub retire: Vec<Retirement>,
    /// What happens to the staff of a unit the plan retires without listing it: one of the
    /// affected trees whose validity already ends the day before the plan's date, handed to
    /// the successor recorded on it.
    #[serde(default)]
    pub default_staff: StaffFate,
    /// Answer what would happen, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a plan does to one retired unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Move {
    pub unit_id: Uuid,
    pub unit_code: String,
    pub unit_name: String,
    /// Absent in a dry run for a unit the plan creates.
    pub successor_id: Option<Uuid>,
    pub successor_code: Option<String>,
    pub successor_name: Option<String>,
    /// Open dossiers it holds, handed to the successor.
    pub open_dossiers: i64,
    pub staff: StaffFate,
    pub staff_accounts: i64,
    pub agencies: i64,
    /// Child units the plan does not retire, moved under the successor.
    pub children_moved: i64,
    /// Not listed in the plan: in one of its trees, its validity ends the day before the plan
    /// takes effect, and the successor recorded on the unit takes over.
    pub implied: bool,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub units_created: usize,
    pub units_retired: usize,
    pub dossiers_moved: i64,
    pub staff_rehomed: i64,
    pub staff_disabled: i64,
    pub agencies_moved: i64,
    pub children_moved: i64,
}

/// Something that stops the plan from being applied.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conflict {
    pub unit_code: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Outcome {
    pub name: String,
    pub effective_from: NaiveDate,
    pub dry_run: bool,
    /// Whether the plan was applied (never in a dry run; only without conflicts).
    pub applied: bool,
    /// The units created, with their ids once applied.
    pub created: Vec<CreatedUnit>,
    pub moves: Vec<Move>,
    pub totals: Totals,
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedUnit {
    #[serde(rename = "ref")]
    pub reference: String,
    pub id: Option<Uuid>,
    pub code: String,
    pub name: String,
}

/// The successor named by a retirement: an existing unit or one the plan creates.
#[derive(Debug, Clone)]
enum Successor {
    Existing(Unit),
    Planned(String),
}

/// Checks the plan's shape: 422 naming the field.
fn check_shape(plan: &Plan) -> AppResult<()> {
    let mut v = Validator::new();
    v.text("name", &plan.name, 300);
    let mut refs = HashSet::new();
    for (i, u) in plan.create.iter().enumerate() {
        v.check(
            !u.reference.trim().is_empty() && refs.insert(u.reference.as_str()),
            format!("create[{i}].ref"),
            "must be present and unique in the plan",
        );
        v.check(
            model::valid_unit_code(u.code.trim()),
            format!("create[{i}].code"),
            "must be 1–20 letters, digits, '.', '-'",
        );
        v.text(&format!("create[{i}].name"), &u.name, 200);
        v.check(
            u.parent_id.is_none() || u.parent_ref.is_none(),
            format!("create[{i}].parent_ref"),
            "give parent_id or parent_ref, not both",
        );
        if let Some(a) = &u.agency_code {
            v.check(
                model::valid_agency_code(a),
                format!("create[{i}].agency_code"),
                "must look like 000.00.00.H55",
            );
        }
    }
    let mut retired = HashSet::new();
    for (i, r) in plan.retire.iter().enumerate() {
        v.check(
            retired.insert(r.unit_id),
            format!("retire[{i}].unit_id"),
            "is retired twice",
        );
        v.check(
            r.successor_id.is_none() || r.successor_ref.is_none(),
            format!("retire[{i}].successor_ref"),
            "give successor_id or successor_ref, not both",
        );
        v.check(
            r.successor_id != Some(r.unit_id),
            format!("retire[{i}].successor_id"),
            "a unit cannot succeed itself",
        );
        if let Some(s) = &r.successor_ref {
            v.check(
                refs.contains(s.as_str()),
                format!("retire[{i}].successor_ref"),
                "names no unit the plan creates",
            );
        }
    }
    v.check(
        !plan.create.is_empty() || !plan.retire.is_empty(),
        "retire",
        "the plan creates and retires nothing",
    );
    v.finish()
}

/// Open (not final) dossiers held by `unit`.
fn held_open(conn: &mut DbConn, unit: Uuid) -> AppResult<Vec<DossierRow>> {
    let open: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    Ok(dossiers::table
        .filter(dossiers::holder_unit_id.eq(unit.to_string()))
        .filter(dossiers::state.eq_any(open))
        .order(dossiers::created_at.asc())
        .select(DossierRow::as_select())
        .load(conn)?)
}

fn staff_of(conn: &mut DbConn, unit: Uuid) -> AppResult<Vec<String>> {
    Ok(users::table
        .filter(users::unit_id.eq(unit.to_string()))
        .filter(users::disabled.eq(false))
        .select(users::id)
        .load(conn)?)
}

fn agencies_of(conn: &mut DbConn, unit: Uuid) -> AppResult<i64> {
    Ok(agencies::table
        .filter(agencies::unit_id.eq(unit.to_string()))
        .count()
        .get_result(conn)?)
}

fn children_of(conn: &mut DbConn, unit: Uuid) -> AppResult<Vec<Unit>> {
    let ids: Vec<String> = units::table
        .filter(units::parent_id.eq(unit.to_string()))
        .select(units::id)
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(u) = store::get(conn, crate::db::id_of(&id))? {
            out.push(u);
        }
    }
    Ok(out)
}

/// Reads, checks and (unless a dry run, or in conflict) applies `plan` for an administrator of
/// `scope`, as `actor`, at `at`. Every unit named must be in the caller's scope (404). Run it
/// in one transaction (`Db::write`): applied, it is all or nothing.
pub fn run(
    conn: &mut DbConn,
    scope: Scope,
    actor: Option<Uuid>,
    plan: &Plan,
    at: DateTime<Utc>,
) -> AppResult<Outcome> {
    check_shape(plan)?;
    let from = plan.effective_from;
    let today = crate::calendar::model::to_local(at).date();
    if !plan.dry_run && from > today {
        return Err(AppError::invalid(
            "effective_from",
            format!(
                "the plan takes effect on {}: apply it on that day or later (a dry run shows it now)",
                from.format("%d/%m/%Y")
            ),
        ));
    }
    let last_day = from
        .pred_opt()
        .ok_or_else(|| AppError::invalid("effective_from", "must be a date after 0001-01-01"))?;
    let mut conflicts: Vec<Conflict> = Vec::new();
    let conflict = |code: Option<&str>, message: String| Conflict {
        unit_code: code.map(str::to_owned),
        message,
    };

    // The units the plan retires, each in the caller's scope.
    // Each with its successor, its staff's fate, and whether the plan leaves it unlisted.
    let mut retiring: Vec<(Unit, Option<Successor>, StaffFate, bool)> = Vec::new();
    let retired_ids: HashSet<Uuid> = plan.retire.iter().map(|r| r.unit_id).collect();
    for r in &plan.retire {
        let unit = store::get_manageable(conn, r.unit_id, scope)?;
        if !unit.valid_on(last_day) {
            conflicts.push(conflict(
                Some(&unit.code),
                format!(
                    "{} is not in operation on {last_day}, the day before the plan",
                    unit.name
                ),
            ));
        }
        let successor = match (r.successor_id, &r.successor_ref) {
            (Some(id), _) => {
                let s = store::get_manageable(conn, id, scope)?;
                if !s.valid_on(from) && !retired_ids.contains(&s.id) {
                    conflicts.push(conflict(
                        Some(&unit.code),
                        format!("its successor {} is not in operation on {from}", s.name),
                    ));
                }
                Some(Successor::Existing(s))
            }
            (None, Some(reference)) => Some(Successor::Planned(reference.clone())),
            (None, None) => None,
        };
        retiring.push((unit, successor, r.staff, false));
    }

    // Every other unit of the plan's trees whose validity ends the day before: its successor
    // is the one recorded on it, its staff follow the plan's default.
    let roots: HashSet<Uuid> = retiring
        .iter()
        .filter_map(|(u, ..)| model::path_ids(&u.path).first().copied())
        .collect();
    let mut implied: Vec<Unit> = store::all(conn)?
        .into_iter()
        .filter(|u| u.valid_to == Some(last_day) && !retired_ids.contains(&u.id))
        .filter(|u| {
            model::path_ids(&u.path)
                .first()
                .is_some_and(|r| roots.contains(r))
        })
        .collect();
    implied.sort_by(|a, b| (a.depth, &a.code).cmp(&(b.depth, &b.code)));
    for unit in implied {
        if !store::manageable(&unit, scope) {
            let (open, accounts) = (
                held_open(conn, unit.id)?.len(),
                staff_of(conn, unit.id)?.len(),
            );
            if open > 0 || accounts > 0 {
                conflicts.push(conflict(
                    Some(&unit.code),
                    format!(
                        "{} ends on {last_day} with {open} open dossiers and {accounts} staff accounts, outside your scope",
                        unit.name
                    ),
                ));
            }
            continue;
        }
        let successor = match unit.successor_id {
            Some(id) => store::get(conn, id)?.map(Successor::Existing),
            None => None,
        };
        retiring.push((unit, successor, plan.default_staff, true));
    }
    let retired_ids: HashSet<Uuid> = retiring.iter().map(|(u, ..)| u.id).collect();

    // A successor the plan also retires hands on to its own successor; the chain must end.
    let next_of: HashMap<Uuid, Option<Successor>> = retiring
        .iter()
        .map(|(u, s, ..)| (u.id, s.clone()))
        .collect();
    let final_successor = |start: &Option<Successor>| -> Result<Option<Successor>, ()> {
        let mut current = start.clone();
        for _ in 0..=next_of.len() {
            match &current {
                Some(Successor::Existing(u)) if next_of.contains_key(&u.id) => {
                    current = next_of.get(&u.id).cloned().flatten();
                }
                _ => return Ok(current),
            }
        }
        Err(())
    };

    // Created units: their codes must be free from the plan's date on.
    for u in &plan.create {
        let code = u.code.trim();
        if store::code_overlaps(conn, code, from, None, None)? {
            let stays = store::find_by_code(conn, code, from)?
                .is_some_and(|holder| !retired_ids.contains(&holder.id));
            if stays {
                conflicts.push(conflict(
                    Some(code),
                    format!(
                        "code {code} is still used on {from} by a unit the plan does not retire"
                    ),
                ));
            }
        }
        if let Some(pid) = u.parent_id {
            let parent = store::get_manageable(conn, pid, scope)?;
            if !parent.valid_on(from) {
                conflicts.push(conflict(
                    Some(code),
                    format!("its parent {} is not in operation on {from}", parent.name),
                ));
            }
        } else if u.parent_ref.is_none() && scope != Scope::All {
            return Err(AppError::invalid(
                "create",
                "a unit without a parent needs a national administrator",
            ));
        }
        if let Some(p) = &u.parent_ref {
            if !plan.create.iter().any(|c| &c.reference == p) {
                conflicts.push(conflict(
                    Some(code),
                    format!("parent_ref {p} names no unit the plan creates"),
                ));
            }
        }
    }

    // What each retirement moves.
    let mut moves = Vec::with_capacity(retiring.len());
    let mut totals = Totals {
        units_created: plan.create.len(),
        units_retired: retiring.len(),
        ..Totals::default()
    };
    let mut resolved: Vec<Option<Successor>> = Vec::with_capacity(retiring.len());
    for (unit, successor, staff, implied) in &retiring {
        let last = match final_successor(successor) {
            Ok(s) => s,
            Err(()) => {
                conflicts.push(conflict(
                    Some(&unit.code),
                    "its successors lead round in a circle".to_owned(),
                ));
                None
            }
        };
        let open = held_open(conn, unit.id)?.len() as i64;
        let accounts = staff_of(conn, unit.id)?.len() as i64;
        let agencies = agencies_of(conn, unit.id)?;
        let children = children_of(conn, unit.id)?
            .into_iter()
            .filter(|c| !retired_ids.contains(&c.id) && c.valid_on(from))
            .count() as i64;
        if last.is_none() {
            let mut blocked = Vec::new();
            if open > 0 {
                blocked.push(format!("{open} open dossiers"));
            }
            if accounts > 0 && *staff == StaffFate::Rehome {
                blocked.push(format!("{accounts} staff accounts to re-home"));
            }
            if agencies > 0 {
                blocked.push(format!("{agencies} agencies"));
            }
            if children > 0 {
                blocked.push(format!("{children} child units"));
            }
            if !blocked.is_empty() {
                conflicts.push(conflict(
                    Some(&unit.code),
                    format!("no successor takes its {}", blocked.join(", ")),
                ));
            }
        }
        let (sid, scode, sname) = match &last {
            Some(Successor::Existing(s)) => {
                (Some(s.id), Some(s.code.clone()), Some(s.name.clone()))
            }
            Some(Successor::Planned(r)) => {
                let p = plan.create.iter().find(|c| &c.reference == r);
                (None, p.map(|p| p.code.clone()), p.map(|p| p.name.clone()))
            }
            None => (None, None, None),
        };
        totals.dossiers_moved += open;
        match staff {
            StaffFate::Rehome => totals.staff_rehomed += accounts,
            StaffFate::Disable => totals.staff_disabled += accounts,
        }
        totals.agencies_moved += agencies;
        totals.children_moved += children;
        moves.push(Move {
            unit_id: unit.id,
            unit_code: unit.code.clone(),
            unit_name: unit.name.clone(),
            successor_id: sid,
            successor_code: scode,
            successor_name: sname,
            open_dossiers: open,
            staff: *staff,
            staff_accounts: accounts,
            agencies,
            children_moved: children,
            implied: *implied,
        });
        resolved.push(last);
    }

    let mut created: Vec<CreatedUnit> = plan
        .create
        .iter()
        .map(|u| CreatedUnit {
            reference: u.reference.clone(),
            id: None,
            code: u.code.trim().to_owned(),
            name: u.name.trim().to_owned(),
        })
        .collect();
    let mut outcome = Outcome {
        name: plan.name.trim().to_owned(),
        effective_from: from,
        dry_run: plan.dry_run,
        applied: false,
        created: Vec::new(),
        moves,
        totals,
        conflicts,
    };
    if plan.dry_run {
        outcome.created = created;
        return Ok(outcome);
    }
    if !outcome.conflicts.is_empty() {
        let list: Vec<String> = outcome
            .conflicts
            .iter()
            .map(|c| match &c.unit_code {
                Some(code) => format!("{code}: {}", c.message),
                None => c.message.clone(),
            })
            .collect();
        return Err(AppError::Conflict(format!(
            "the plan cannot be applied: {}",
            list.join("; ")
        )));
    }

    // Applied, in the caller's transaction.
    let mut made: HashMap<String, Unit> = HashMap::new();
    for (u, out) in plan.create.iter().zip(created.iter_mut()) {
        let parent = match (&u.parent_id, &u.parent_ref) {
            (Some(id), _) => store::get(conn, *id)?,
            (None, Some(r)) => made.get(r).cloned(),
            (None, None) => None,
        };
        let unit = store::insert(
            conn,
            NewUnit {
                code: u.code.trim(),
                name: u.name.trim(),
                kind: u.kind,
                parent: parent.as_ref(),
                agency_code: u.agency_code.as_deref(),
                valid_from: from,
                valid_to: None,
            },
        )?;
        out.id = Some(unit.id);
        made.insert(u.reference.clone(), unit);
    }
    let note = format!("Chuyển theo {}", outcome.name);
    let naive = at.naive_utc();
    for (((unit, _, staff, _), last), mv) in
        retiring.iter().zip(&resolved).zip(outcome.moves.iter_mut())
    {
        let successor = match last {
            Some(Successor::Existing(s)) => Some(s.clone()),
            Some(Successor::Planned(r)) => made.get(r).cloned(),
            None => None,
        };
        if let Some(s) = &successor {
            mv.successor_id = Some(s.id);
        }
        store::retire(conn, unit, last_day, successor.as_ref().map(|s| s.id))?;
        let Some(successor) = successor else {
            // Nothing depends on it (checked above): staff to disable may still be there.
            if *staff == StaffFate::Disable {
                disable_staff(conn, unit.id)?;
            }
            continue;
        };
        for child in children_of(conn, unit.id)? {
            if !retired_ids.contains(&child.id) && child.valid_on(from) {
                store::reparent(conn, &child, Some(&successor))?;
            }
        }
        diesel::update(agencies::table.filter(agencies::unit_id.eq(unit.id.to_string())))
            .set(agencies::unit_id.eq(successor.id.to_string()))
            .execute(conn)?;
        let disabled: HashSet<String> = match staff {
            StaffFate::Rehome => {
                diesel::update(users::table.filter(users::unit_id.eq(unit.id.to_string())))
                    .set((
                        users::unit_id.eq(successor.id.to_string()),
                        users::updated_at.eq(naive),
                    ))
                    .execute(conn)?;
                HashSet::new()
            }
            StaffFate::Disable => disable_staff(conn, unit.id)?,
        };
        for row in held_open(conn, unit.id)? {
            let state = row.state();
            let assignee_gone = row
                .assignee_id
                .as_ref()
                .is_some_and(|a| disabled.contains(a));
            // Through the ledger, like every other change of a dossier.
            conn.apply(
                &row,
                Changes {
                    holder_unit_id: Some(successor.id),
                    assignee_id: assignee_gone.then_some(None),
                    ..Changes::default()
                },
                Transition {
                    action: Action::Transfer,
                    from: state,
                    to: state,
                    actor,
                    role: Role::Admin,
                    unit: Some(successor.id),
                    note: Some(&format!("{note}: {} → {}", unit.name, successor.name)),
                },
                naive,
            )?;
        }
    }
    outcome.created = created;
    outcome.applied = true;
    Ok(outcome)
}

/// Disables the active staff of `unit` and ends their sessions; returns their ids.
fn disable_staff(conn: &mut DbConn, unit: Uuid) -> AppResult<HashSet<String>> {
    let ids = staff_of(conn, unit)?;
    for id in &ids {
        let id = crate::db::id_of(id);
        crate::accounts::store::set_disabled(conn, id, true)?;
        crate::auth::store::revoke_user(conn, id)?;
    }
    Ok(ids.into_iter().collect())
}

/// A retire-only plan from a CSV shaped like `data/seed/units-2025-successors.csv`:
/// `old_code,new_code` and, optionally, `staff` (`rehome` or `disable`; empty: `default_staff`,
/// which also applies to the units the plan retires without listing them). Each old code
/// names the unit in operation the day before `on`, each new code the unit in operation on `on`.
pub fn plan_from_csv(
    conn: &mut DbConn,
    text: &str,
    on: NaiveDate,
    name: &str,
    default_staff: StaffFate,
) -> AppResult<Plan> {
    let mut reader = crate::csvin::reader(text, &["old_code", "new_code"], &["staff"])?;
    let before = on
        .pred_opt()
        .ok_or_else(|| AppError::invalid("on", "no day before it"))?;
    let mut v = Validator::new();
    // First the units retired (in operation the day before), then their successors: a new
    // unit often takes the code of one it replaces, so both hold it on the day itself until
    // the plan is applied, and the successor is the one the plan does not retire.
    let mut rows: Vec<(String, Uuid, String, StaffFate)> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = crate::csvin::line(i);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                v.add(line, e.to_string());
                continue;
            }
        };
        let (old, new) = (rec.get(0).unwrap_or(""), rec.get(1).unwrap_or(""));
        let staff = match rec.get(2).unwrap_or("") {
            "" => default_staff,
            "rehome" => StaffFate::Rehome,
            "disable" => StaffFate::Disable,
            _ => {
                v.add(line, "staff must be `rehome` or `disable`");
                continue;
            }
        };
        match store::find_by_code(conn, old, before)? {
            Some(u) => rows.push((line, u.id, new.to_owned(), staff)),
            None => v.add(line, format!("no unit {old} on {before}")),
        }
    }
    let retired: HashSet<Uuid> = rows.iter().map(|r| r.1).collect();
    let mut retire = Vec::new();
    for (line, unit_id, new, staff) in rows {
        let successor = if new.is_empty() {
            None
        } else {
            let found: Vec<(String, NaiveDate)> = units::table
                .filter(units::code.eq(&new))
                .filter(units::valid_from.le(on))
                .filter(units::valid_to.is_null().or(units::valid_to.ge(on)))
                .select((units::id, units::valid_from))
                .load(conn)?;
            let best = found
                .into_iter()
                .map(|(id, from)| (crate::db::id_of(&id), from))
                .filter(|(id, _)| !retired.contains(id))
                .max_by_key(|(_, from)| *from);
            match best {
                Some((id, _)) => Some(id),
                None => {
                    v.add(line, format!("no unit {new} on {on} that the plan keeps"));
                    continue;
                }
            }
        };
        retire.push(Retirement {
            unit_id,
            successor_id: successor,
            successor_ref: None,
            staff,
        });
    }
    v.finish()?;
    Ok(Plan {
        name: name.to_owned(),
        effective_from: on,
        create: Vec::new(),
        retire,
        default_staff,
        dry_run: false,
    })
}

/// The outcome as a table a person reads in a terminal.
pub fn table(o: &Outcome) -> String {
    fn cell(s: &str, width: usize) -> String {
        let n = s.chars().count();
        if n > width {
            let cut: String = s.chars().take(width.saturating_sub(1)).collect();
            format!("{cut}…")
        } else {
            format!("{s}{}", " ".repeat(width - n))
        }
    }
    let mut out = String::new();
    let mode = match (o.dry_run, o.applied) {
        (true, _) => "chạy thử (không thay đổi gì)",
        (false, true) => "đã áp dụng",
        (false, false) => "không áp dụng",
    };
    out.push_str(&format!(
        "{} — hiệu lực từ {} — {mode}\n\n",
        o.name,
        o.effective_from.format("%d/%m/%Y")
    ));
    let header = format!(
        "{} {} {} {} {:>7} {:>7} {:>7} {:>7}\n",
        cell("Mã cũ", 7),
        cell("Đơn vị cũ", 28),
        cell("Mã mới", 7),
        cell("Đơn vị tiếp nhận", 28),
        "Hồ sơ",
        "Cán bộ",
        "Cơ quan",
        "ĐV con"
    );
    out.push_str(&header);
    out.push_str(&format!(
        "{}\n",
        "-".repeat(header.chars().count().saturating_sub(1))
    ));
    for m in &o.moves {
        // Units the plan does not list are marked (see the note below the table).
        let code = if m.implied {
            format!("{}*", m.unit_code)
        } else {
            m.unit_code.clone()
        };
        let staff = match m.staff {
            StaffFate::Rehome => format!("{}", m.staff_accounts),
            StaffFate::Disable => format!("{} khoá", m.staff_accounts),
        };
        out.push_str(&format!(
            "{} {} {} {} {:>7} {:>7} {:>7} {:>7}\n",
            cell(&code, 7),
            cell(&m.unit_name, 28),
            cell(m.successor_code.as_deref().unwrap_or("—"), 7),
            cell(m.successor_name.as_deref().unwrap_or("(không có)"), 28),
            m.open_dossiers,
            staff,
            m.agencies,
            m.children_moved
        ));
    }
    if o.moves.iter().any(|m| m.implied) {
        out.push_str(
            "\n* Không có trong phương án: đơn vị hết hiệu lực cùng ngày, chuyển cho đơn vị kế thừa đã ghi nhận.\n",
        );
    }
    let t = &o.totals;
    out.push_str(&format!(
        "\nĐơn vị tạo mới: {}; giải thể: {}; hồ sơ chuyển: {}; tài khoản chuyển: {}, khoá: {}; cơ quan chuyển: {}; đơn vị con chuyển: {}\n",
        t.units_created,
        t.units_retired,
        t.dossiers_moved,
        t.staff_rehomed,
        t.staff_disabled,
        t.agencies_moved,
        t.children_moved
    ));
    if o.conflicts.is_empty() {
        out.push_str("Không có xung đột.\n");
    } else {
        out.push_str(&format!("Xung đột ({}):\n", o.conflicts.len()));
        for c in &o.conflicts {
            out.push_str(&format!(
                "  {}: {}\n",
                c.unit_code.as_deref().unwrap_or("—"),
                c.message
            ));
        }
    }
    out
}
