//! Unit and agency queries. Functions take `&mut DbConn` so they compose inside one transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{child_path, subtree_bounds, Agency, AgencyKind, Unit, UnitKind};
use crate::db::schema::{agencies, units};
use crate::db::{contains_pattern, id_of, now, utc, DbBackend, DbConn};
use crate::error::{AppError, AppResult};
use crate::http::Paging;
use crate::text;
use crate::units::model::Scope;

#[derive(Queryable, Selectable)]
#[diesel(table_name = units)]
struct UnitRow {
    id: String,
    code: String,
    name: String,
    kind: String,
    parent_id: Option<String>,
    path: String,
    depth: i32,
    agency_code: Option<String>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    successor_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Unit {
        let kind = UnitKind::parse(&r.kind).unwrap_or(UnitKind::Commune);
        Unit {
            id: id_of(&r.id),
            code: r.code,
            name: r.name,
            kind,
            level: kind.level(),
            parent_id: r.parent_id.as_deref().map(id_of),
            depth: r.depth,
            agency_code: r.agency_code,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            successor_id: r.successor_id.as_deref().map(id_of),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            path: r.path,
        }
    }
}

/// What a new unit needs; the parent must exist.
pub struct NewUnit<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: UnitKind,
    pub parent: Option<&'a Unit>,
    pub agency_code: Option<&'a str>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub fn insert(conn: &mut DbConn, new: NewUnit<'_>) -> AppResult<Unit> {
    let id = Uuid::now_v7();
    let path = child_path(new.parent.map(|p| p.path.as_str()), id);
    let depth = new.parent.map_or(0, |p| p.depth + 1);
    let at = now();
    diesel::insert_into(units::table)
        .values((
            units::id.eq(id.to_string()),
            units::code.eq(new.code),
            units::name.eq(new.name),
            units::search_text.eq(search_text(new.code, new.name)),
            units::kind.eq(new.kind.as_str()),
            units::parent_id.eq(new.parent.map(|p| p.id.to_string())),
            units::path.eq(&path),
            units::depth.eq(depth),
            units::agency_code.eq(new.agency_code),
            units::valid_from.eq(new.valid_from),
            units::valid_to.eq(new.valid_to),
            units::created_at.eq(at),
            units::updated_at.eq(at),
        ))
        .execute(conn)?;
    get(conn, id)?.ok_or(AppError::NotFound)
}

fn search_text(code: &str, name: &str) -> String {
    text::fold(&format!("{code} {name}"))
}

pub fn get(conn: &mut DbConn, id: Uuid) -> AppResult<Option<Unit>> {
    Ok(units::table
        .find(id.to_string())
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .map(Unit::from))
}

/// Every unit, retired ones included (the statistics place dossiers in the tree with it).
pub fn all(conn: &mut DbConn) -> AppResult<Vec<Unit>> {
    Ok(units::table
        .select(UnitRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Unit::from)
        .collect())
}

/// The unit if it exists and is visible in `scope`, else 404.
pub fn get_in_scope(conn: &mut DbConn, id: Uuid, scope: Scope) -> AppResult<Unit> {
    match get(conn, id)? {
        Some(u) if visible(&u, scope) => Ok(u),
        _ => Err(AppError::NotFound),
    }
}

/// The unit if `scope` may change it (an administrator's subtree), else 404.
pub fn get_manageable(conn: &mut DbConn, id: Uuid, scope: Scope) -> AppResult<Unit> {
    match get(conn, id)? {
        Some(u) if manageable(&u, scope) => Ok(u),
        _ => Err(AppError::NotFound),
    }
}

/// As `get_manageable`, for a unit named in a field of the input: 422 on that field.
pub fn manageable_field(conn: &mut DbConn, id: Uuid, scope: Scope, field: &str) -> AppResult<Unit> {
    get_manageable(conn, id, scope).map_err(|e| match e {
        AppError::NotFound => AppError::invalid(field, "no such unit in your scope"),
        other => other,
    })
}

/// Units are public reference data for citizens; staff see their scope only.
pub fn visible(unit: &Unit, scope: Scope) -> bool {
    match scope {
        Scope::All | Scope::Citizen(_) => true,
        Scope::Subtree(root) => unit.is_within(root),
        Scope::Unit(own) => unit.id == own,
    }
}

/// Whether `scope` may change `unit` (administrators only reach this).
pub fn manageable(unit: &Unit, scope: Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Subtree(root) => unit.is_within(root),
        Scope::Unit(_) | Scope::Citizen(_) => false,
    }
}

#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    pub parent: Option<Uuid>,
    pub roots: bool,
    pub kind: Option<UnitKind>,
    pub valid_on: Option<NaiveDate>,
    pub code: Option<String>,
    pub q: Option<String>,
}

/// The rows a scope reaches, as SQL conditions.
enum Reach {
    All,
    Range(String, String),
    Exact(String),
}

fn reach(conn: &mut DbConn, scope: Scope) -> AppResult<Reach> {
    Ok(match scope {
        Scope::All | Scope::Citizen(_) => Reach::All,
        Scope::Unit(id) => Reach::Exact(id.to_string()),
        Scope::Subtree(root) => match get(conn, root)? {
            Some(u) => {
                let (lo, hi) = subtree_bounds(&u.path);
                Reach::Range(lo, hi)
            }
            None => Reach::Exact(Uuid::nil().to_string()),
        },
    })
}

fn filtered<'a>(filter: &'a UnitFilter, reach: &'a Reach) -> units::BoxedQuery<'a, DbBackend> {
    let mut q = units::table.into_boxed();
    match reach {
        Reach::All => {}
        Reach::Range(lo, hi) => q = q.filter(units::path.ge(lo).and(units::path.lt(hi))),
        Reach::Exact(id) => q = q.filter(units::id.eq(id)),
    }
    if let Some(parent) = filter.parent {
        q = q.filter(units::parent_id.eq(parent.to_string()));
    }
    if filter.roots {
        q = q.filter(units::parent_id.is_null());
    }
    if let Some(kind) = filter.kind {
        q = q.filter(units::kind.eq(kind.as_str()));
    }
    if let Some(day) = filter.valid_on {
        q = q
            .filter(units::valid_from.le(day))
            .filter(units::valid_to.is_null().or(units::valid_to.ge(day)));
    }
    if let Some(code) = &filter.code {
        q = q.filter(units::code.eq(code));
    }
    for term in filter
        .q
        .as_deref()
        .map(text::query_terms)
        .unwrap_or_default()
    {
        q = q.filter(
            units::search_text
                .like(contains_pattern(&term))
                .escape('\\'),
        );
    }
    q
}

pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &UnitFilter,
    paging: Paging,
) -> AppResult<(Vec<Unit>, i64)> {
    let reach = reach(conn, scope)?;
    let total: i64 = filtered(filter, &reach).count().get_result(conn)?;
    let rows = filtered(filter, &reach)
        .select(UnitRow::as_select())
        .order((
            units::depth.asc(),
            units::code.asc(),
            units::valid_from.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .load(conn)?;
    Ok((rows.into_iter().map(Unit::from).collect(), total))
}

/// The unit and every unit under it, shallowest first.
pub fn subtree(
    conn: &mut DbConn,
    unit: &Unit,
    valid_on: Option<NaiveDate>,
) -> AppResult<Vec<Unit>> {
    let (lo, hi) = subtree_bounds(&unit.path);
    let mut q = units::table
        .filter(units::path.ge(lo))
        .filter(units::path.lt(hi))
        .into_boxed::<DbBackend>();
    if let Some(day) = valid_on {
        q = q
            .filter(units::valid_from.le(day))
            .filter(units::valid_to.is_null().or(units::valid_to.ge(day)));
    }
    let rows = q
        .select(UnitRow::as_select())
        .order((units::depth.asc(), units::code.asc()))
        .load(conn)?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// The unit's ancestors, root first (the unit itself excluded).
pub fn ancestors(conn: &mut DbConn, unit: &Unit) -> AppResult<Vec<Unit>> {
    ancestors_on_path(conn, &unit.path)
}

/// The units above the last one on `path`, root first.
pub fn ancestors_on_path(conn: &mut DbConn, path: &str) -> AppResult<Vec<Unit>> {
    let mut ids: Vec<String> = super::model::path_ids(path)
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    ids.pop();
    let rows = units::table
        .filter(units::id.eq_any(ids))
        .select(UnitRow::as_select())
        .order(units::depth.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// A unit by official code on a date (codes are reused across reorganisations).
pub fn find_by_code(conn: &mut DbConn, code: &str, on: NaiveDate) -> AppResult<Option<Unit>> {
    Ok(units::table
        .filter(units::code.eq(code))
        .filter(units::valid_from.le(on))
        .filter(units::valid_to.is_null().or(units::valid_to.ge(on)))
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .map(Unit::from))
}

/// Whether another unit with `code` exists at some day of [from, to] (codes are unique at any date).
pub fn code_overlaps(
    conn: &mut DbConn,
    code: &str,
    from: NaiveDate,
    to: Option<NaiveDate>,
    except: Option<Uuid>,
) -> AppResult<bool> {
    let mut q = units::table
        .filter(units::code.eq(code))
        .filter(units::valid_to.is_null().or(units::valid_to.ge(from)))
        .into_boxed::<DbBackend>();
    if let Some(to) = to {
        q = q.filter(units::valid_from.le(to));
    }
    if let Some(id) = except {
        q = q.filter(units::id.ne(id.to_string()));
    }
    Ok(q.count().get_result::<i64>(conn)? > 0)
}

pub struct UnitChanges<'a> {
    pub code: Option<&'a str>,
    pub name: Option<&'a str>,
    pub kind: Option<UnitKind>,
    pub agency_code: Option<Option<&'a str>>,
    pub valid_from: Option<NaiveDate>,
}

pub fn update(conn: &mut DbConn, unit: &Unit, ch: UnitChanges<'_>) -> AppResult<Unit> {
    let code = ch.code.unwrap_or(&unit.code);
    let name = ch.name.unwrap_or(&unit.name);
    diesel::update(units::table.find(unit.id.to_string()))
        .set((
            units::code.eq(code),
            units::name.eq(name),
            units::search_text.eq(search_text(code, name)),
            units::kind.eq(ch.kind.unwrap_or(unit.kind).as_str()),
            units::agency_code.eq(ch.agency_code.unwrap_or(unit.agency_code.as_deref())),
            units::valid_from.eq(ch.valid_from.unwrap_or(unit.valid_from)),
            units::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, unit.id)?.ok_or(AppError::NotFound)
}

/// Moves `unit` and its subtree under `new_parent` (or to the top), rewriting their paths.
pub fn reparent(conn: &mut DbConn, unit: &Unit, new_parent: Option<&Unit>) -> AppResult<()> {
    let new_path = child_path(new_parent.map(|p| p.path.as_str()), unit.id);
    let depth_shift = new_parent.map_or(0, |p| p.depth + 1) - unit.depth;
    let at = now();
    for u in subtree(conn, unit, None)? {
        let rewritten = format!("{new_path}{}", &u.path[unit.path.len()..]);
        diesel::update(units::table.find(u.id.to_string()))
            .set((
                units::path.eq(rewritten),
                units::depth.eq(u.depth + depth_shift),
                units::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    diesel::update(units::table.find(unit.id.to_string()))
        .set(units::parent_id.eq(new_parent.map(|p| p.id.to_string())))
        .execute(conn)?;
    Ok(())
}

/// Ends a unit's validity, naming the unit that takes over its dossiers in today's tree.
pub fn retire(
    conn: &mut DbConn,
    unit: &Unit,
    valid_to: NaiveDate,
    successor: Option<Uuid>,
) -> AppResult<Unit> {
    diesel::update(units::table.find(unit.id.to_string()))
        .set((
            units::valid_to.eq(Some(valid_to)),
            units::successor_id.eq(successor.map(|s| s.to_string())),
            units::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, unit.id)?.ok_or(AppError::NotFound)
}

pub fn count(conn: &mut DbConn) -> AppResult<i64> {
    Ok(units::table.count().get_result(conn)?)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = agencies)]
struct AgencyRow {
    id: String,
    unit_id: String,
    code: String,
    name: String,
    kind: String,
    created_at: NaiveDateTime,
}

impl From<AgencyRow> for Agency {
    fn from(r: AgencyRow) -> Agency {
        Agency {
            id: id_of(&r.id),
            unit_id: id_of(&r.unit_id),
            code: r.code,
            name: r.name,
            kind: AgencyKind::parse(&r.kind),
            created_at: utc(r.created_at),
        }
    }
}

pub fn agencies_of(conn: &mut DbConn, unit: Uuid) -> AppResult<Vec<Agency>> {
    let rows = agencies::table
        .filter(agencies::unit_id.eq(unit.to_string()))
        .select(AgencyRow::as_select())
        .order(agencies::code.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(Agency::from).collect())
}

pub fn agency_code_taken(conn: &mut DbConn, code: &str) -> AppResult<bool> {
    Ok(agencies::table
        .filter(agencies::code.eq(code))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

pub fn insert_agency(
    conn: &mut DbConn,
    unit: Uuid,
    code: &str,
    name: &str,
    kind: AgencyKind,
) -> AppResult<Agency> {
    let id = Uuid::now_v7();
    diesel::insert_into(agencies::table)
        .values((
            agencies::id.eq(id.to_string()),
            agencies::unit_id.eq(unit.to_string()),
            agencies::code.eq(code),
            agencies::name.eq(name),
            agencies::kind.eq(kind.as_str()),
            agencies::created_at.eq(now()),
        ))
        .execute(conn)?;
    let row = agencies::table
        .find(id.to_string())
        .select(AgencyRow::as_select())
        .first(conn)?;
    Ok(row.into())
}

/// The unit an agency identifier names on `on`: the unit whose own identifier it is, or whose
/// agency (cơ quan) holds it, followed through its successors while that unit has ended by
/// then (an identifier of a province or commune retired in 2025 resolves to the unit that
/// took it over). `None`: no unit ever held it. The answer is the chain, oldest first; its
/// last unit is in operation on `on` unless the chain ends at a unit retired without one.
pub fn resolve_agency_code(
    conn: &mut DbConn,
    code: &str,
    on: NaiveDate,
) -> AppResult<Option<Vec<Unit>>> {
    let own: Option<String> = units::table
        .filter(units::agency_code.eq(code))
        .order(units::valid_from.desc())
        .select(units::id)
        .first(conn)
        .optional()?;
    let holder = match own {
        Some(id) => Some(id),
        None => agencies::table
            .filter(agencies::code.eq(code))
            .select(agencies::unit_id)
            .first(conn)
            .optional()?,
    };
    let Some(first) = holder else {
        return Ok(None);
    };
    let mut chain: Vec<Unit> = Vec::new();
    let mut next = Some(id_of(&first));
    while let Some(id) = next {
        // A chain longer than any real one, or a circle: stop where it is.
        if chain.len() > 16 || chain.iter().any(|u| u.id == id) {
            break;
        }
        let Some(unit) = get(conn, id)? else { break };
        next = super::model::hands_on(&unit, on);
        chain.push(unit);
    }
    Ok(Some(chain))
}
