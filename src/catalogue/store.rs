//! Catalogue queries. A procedure row points at its current version; every version keeps its
//! own steps, so a dossier can pin the version it was filed under.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{
    levels_from_text, levels_text, ChannelDays, Fee, OnlineLevel, ProcedureSpec, RequiredDocument,
    Step, SupplementPolicy, TimeUnit,
};
use crate::accounts::model::Role;
use crate::db::schema::{catalogue_revision, procedure_steps, procedure_versions, procedures};
use crate::db::{contains_pattern, id_of, now, utc, DbBackend, DbConn};
use crate::error::{AppError, AppResult};
use crate::http::Paging;
use crate::text;
use crate::units::model::Level;

/// A procedure in a list: its current version, without documents, fees and steps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureSummary {
    /// The procedure's id (stable across versions).
    pub id: Uuid,
    /// The id of this version.
    pub version_id: Uuid,
    pub code: String,
    pub version: i32,
    pub name: String,
    pub field: String,
    pub levels: Vec<Level>,
    pub agency: String,
    pub processing_days: Option<f64>,
    pub time_unit: TimeUnit,
    pub online_level: OnlineLevel,
    pub active: bool,
}

/// One version of a procedure, whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureDetail {
    #[serde(flatten)]
    pub summary: ProcedureSummary,
    /// Whether this is the version new dossiers are filed under.
    pub current: bool,
    pub channel_days: ChannelDays,
    pub processing_note: Option<String>,
    pub fees: Vec<Fee>,
    pub required_documents: Vec<RequiredDocument>,
    pub supplement_policy: SupplementPolicy,
    pub steps: Vec<Step>,
    pub source: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionInfo {
    pub version_id: Uuid,
    pub version: i32,
    pub name: String,
    pub current: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = procedure_versions)]
struct SummaryRow {
    id: String,
    procedure_id: String,
    version: i32,
    code: String,
    name: String,
    field: String,
    levels: String,
    agency: String,
    processing_days: Option<f64>,
    time_unit: String,
    online_level: String,
}

impl SummaryRow {
    fn into_summary(self, active: bool) -> ProcedureSummary {
        ProcedureSummary {
            id: id_of(&self.procedure_id),
            version_id: id_of(&self.id),
            code: self.code,
            version: self.version,
            name: self.name,
            field: self.field,
            levels: levels_from_text(&self.levels),
            agency: self.agency,
            processing_days: self.processing_days,
            time_unit: TimeUnit::parse(&self.time_unit).unwrap_or_default(),
            online_level: OnlineLevel::parse(&self.online_level).unwrap_or(OnlineLevel::None),
            active,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = procedure_versions)]
struct DetailRow {
    #[diesel(embed)]
    summary: SummaryRow,
    channel_days: String,
    processing_note: Option<String>,
    fees: String,
    required_documents: String,
    supplement_policy: String,
    source: Option<String>,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = procedure_steps)]
struct StepRow {
    name: String,
    role: String,
    unit_level: String,
    share_percent: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = procedures)]
struct ProcedureRow {
    id: String,
    current_version_id: String,
    active: bool,
}

fn json<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(AppError::internal)
}

fn procedure_by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<ProcedureRow>> {
    Ok(procedures::table
        .filter(procedures::code.eq(code))
        .select(ProcedureRow::as_select())
        .first(conn)
        .optional()?)
}

/// The current version's id of the procedure with `code`, and whether it is active.
pub fn current_version(conn: &mut DbConn, code: &str) -> AppResult<Option<(Uuid, bool)>> {
    Ok(procedure_by_code(conn, code)?.map(|p| (id_of(&p.current_version_id), p.active)))
}

pub fn exists(conn: &mut DbConn, code: &str) -> AppResult<bool> {
    Ok(procedure_by_code(conn, code)?.is_some())
}

fn insert_version(
    conn: &mut DbConn,
    procedure_id: &str,
    version: i32,
    code: &str,
    spec: &ProcedureSpec,
    by: Option<Uuid>,
) -> AppResult<String> {
    let id = Uuid::now_v7().to_string();
    let search = super::model::search_text(code, spec.name.trim(), spec.field.trim());
    diesel::insert_into(procedure_versions::table)
        .values((
            procedure_versions::id.eq(&id),
            procedure_versions::procedure_id.eq(procedure_id),
            procedure_versions::version.eq(version),
            procedure_versions::code.eq(code),
            procedure_versions::name.eq(spec.name.trim()),
            procedure_versions::field.eq(spec.field.trim()),
            procedure_versions::field_key.eq(text::fold(&spec.field)),
            procedure_versions::levels.eq(levels_text(&spec.levels)),
            procedure_versions::agency.eq(spec.agency.trim()),
            procedure_versions::processing_days.eq(spec.processing_days),
            procedure_versions::time_unit.eq(spec.time_unit.as_str()),
            procedure_versions::channel_days.eq(to_json(&spec.channel_days)?),
            procedure_versions::processing_note.eq(spec.processing_note.as_deref()),
            procedure_versions::fees.eq(to_json(&spec.fees)?),
            procedure_versions::required_documents.eq(to_json(&spec.required_documents)?),
            procedure_versions::online_level.eq(spec.online_level.as_str()),
            procedure_versions::supplement_policy.eq(spec.supplement_policy.as_str()),
            procedure_versions::search_text.eq(search),
            procedure_versions::source.eq(spec.source.as_deref()),
            procedure_versions::created_by.eq(by.map(|u| u.to_string())),
            procedure_versions::created_at.eq(now()),
        ))
        .execute(conn)?;
    let steps: Vec<_> = spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                procedure_steps::id.eq(Uuid::now_v7().to_string()),
                procedure_steps::version_id.eq(id.clone()),
                procedure_steps::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                procedure_steps::name.eq(s.name.trim().to_owned()),
                procedure_steps::role.eq(s.role.as_str()),
                procedure_steps::unit_level.eq(s.unit_level.as_str()),
                procedure_steps::share_percent.eq(i32::from(s.share_percent)),
            )
        })
        .collect();
    // One statement per step: SQLite's multi-row insert is not available behind MultiConnection.
    for row in steps {
        diesel::insert_into(procedure_steps::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(id)
}

/// Creates a procedure with its first version.
pub fn create(
    conn: &mut DbConn,
    spec: &ProcedureSpec,
    by: Option<Uuid>,
) -> AppResult<ProcedureDetail> {
    let code = spec.code.as_str();
    let pid = Uuid::now_v7().to_string();
    let at = now();
    // The row points at its version; insert it first with a placeholder, then the version.
    diesel::insert_into(procedures::table)
        .values((
            procedures::id.eq(&pid),
            procedures::code.eq(code),
            procedures::current_version_id.eq(""),
            procedures::active.eq(true),
            procedures::created_at.eq(at),
            procedures::updated_at.eq(at),
        ))
        .execute(conn)?;
    let vid = insert_version(conn, &pid, 1, code, spec, by)?;
    diesel::update(procedures::table.find(&pid))
        .set(procedures::current_version_id.eq(&vid))
        .execute(conn)?;
    bump_revision(conn)?;
    version_by_id(conn, id_of(&vid))?.ok_or(AppError::NotFound)
}

/// Adds a version and makes it current; earlier versions stay readable.
pub fn new_version(
    conn: &mut DbConn,
    spec: &ProcedureSpec,
    by: Option<Uuid>,
) -> AppResult<ProcedureDetail> {
    let code = spec.code.as_str();
    let p = procedure_by_code(conn, code)?.ok_or(AppError::NotFound)?;
    let last: Option<i32> = procedure_versions::table
        .filter(procedure_versions::procedure_id.eq(&p.id))
        .select(diesel::dsl::max(procedure_versions::version))
        .first(conn)?;
    let vid = insert_version(conn, &p.id, last.unwrap_or(0) + 1, code, spec, by)?;
    diesel::update(procedures::table.find(&p.id))
        .set((
            procedures::current_version_id.eq(&vid),
            procedures::updated_at.eq(now()),
        ))
        .execute(conn)?;
    bump_revision(conn)?;
    version_by_id(conn, id_of(&vid))?.ok_or(AppError::NotFound)
}

pub fn set_active(conn: &mut DbConn, code: &str, active: bool) -> AppResult<ProcedureDetail> {
    let p = procedure_by_code(conn, code)?.ok_or(AppError::NotFound)?;
    diesel::update(procedures::table.find(&p.id))
        .set((
            procedures::active.eq(active),
            procedures::updated_at.eq(now()),
        ))
        .execute(conn)?;
    bump_revision(conn)?;
    version_by_id(conn, id_of(&p.current_version_id))?.ok_or(AppError::NotFound)
}

pub fn version_by_id(conn: &mut DbConn, id: Uuid) -> AppResult<Option<ProcedureDetail>> {
    let Some(row) = procedure_versions::table
        .find(id.to_string())
        .select(DetailRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let p: ProcedureRow = procedures::table
        .find(&row.summary.procedure_id)
        .select(ProcedureRow::as_select())
        .first(conn)?;
    let steps = procedure_steps::table
        .filter(procedure_steps::version_id.eq(id.to_string()))
        .order(procedure_steps::position.asc())
        .select(StepRow::as_select())
        .load(conn)?;
    let current = p.current_version_id == row.summary.id;
    Ok(Some(ProcedureDetail {
        current,
        channel_days: json(&row.channel_days),
        processing_note: row.processing_note,
        fees: json(&row.fees),
        required_documents: json(&row.required_documents),
        supplement_policy: SupplementPolicy::parse(&row.supplement_policy).unwrap_or_default(),
        steps: steps
            .into_iter()
            .map(|s| Step {
                name: s.name,
                role: Role::parse(&s.role).unwrap_or(Role::Officer),
                unit_level: Level::parse(&s.unit_level).unwrap_or(Level::Commune),
                share_percent: u8::try_from(s.share_percent).unwrap_or(0),
            })
            .collect(),
        source: row.source,
        created_at: utc(row.created_at),
        summary: row.summary.into_summary(p.active),
    }))
}

/// The current version, or version `n`, of the procedure with `code`.
pub fn by_code(
    conn: &mut DbConn,
    code: &str,
    version: Option<i32>,
) -> AppResult<Option<ProcedureDetail>> {
    let Some(p) = procedure_by_code(conn, code)? else {
        return Ok(None);
    };
    let vid = match version {
        None => p.current_version_id,
        Some(n) => match procedure_versions::table
            .filter(procedure_versions::procedure_id.eq(&p.id))
            .filter(procedure_versions::version.eq(n))
            .select(procedure_versions::id)
            .first::<String>(conn)
            .optional()?
        {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    version_by_id(conn, id_of(&vid))
}

pub fn versions(conn: &mut DbConn, code: &str) -> AppResult<Option<Vec<VersionInfo>>> {
    let Some(p) = procedure_by_code(conn, code)? else {
        return Ok(None);
    };
    let rows: Vec<(String, i32, String, NaiveDateTime)> = procedure_versions::table
        .filter(procedure_versions::procedure_id.eq(&p.id))
        .order(procedure_versions::version.asc())
        .select((
            procedure_versions::id,
            procedure_versions::version,
            procedure_versions::name,
            procedure_versions::created_at,
        ))
        .load(conn)?;
    Ok(Some(
        rows.into_iter()
            .map(|(id, version, name, at)| VersionInfo {
                current: id == p.current_version_id,
                version_id: id_of(&id),
                version,
                name,
                created_at: utc(at),
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Clone)]
pub struct ProcedureFilter {
    pub q: Option<String>,
    pub field: Option<String>,
    pub level: Option<Level>,
    pub online_level: Option<OnlineLevel>,
    pub include_inactive: bool,
}

/// Current versions matching the filter, by code, with the total.
pub fn list(
    conn: &mut DbConn,
    filter: &ProcedureFilter,
    paging: Paging,
) -> AppResult<(Vec<ProcedureSummary>, i64)> {
    let terms = filter
        .q
        .as_deref()
        .map(text::query_terms)
        .unwrap_or_default();
    let field_key = filter.field.as_deref().map(text::fold);
    macro_rules! filtered {
        () => {{
            let mut q = procedures::table
                .inner_join(
                    procedure_versions::table
                        .on(procedure_versions::id.eq(procedures::current_version_id)),
                )
                .into_boxed::<DbBackend>();
            if !filter.include_inactive {
                q = q.filter(procedures::active.eq(true));
            }
            for term in &terms {
                q = q.filter(
                    procedure_versions::search_text
                        .like(contains_pattern(term))
                        .escape('\\'),
                );
            }
            if let Some(f) = &field_key {
                q = q.filter(procedure_versions::field_key.eq(f));
            }
            if let Some(l) = filter.level {
                q = q.filter(procedure_versions::levels.like(format!("%,{},%", l.as_str())));
            }
            if let Some(o) = filter.online_level {
                q = q.filter(procedure_versions::online_level.eq(o.as_str()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let rows: Vec<(bool, SummaryRow)> = filtered!()
        .select((procedures::active, SummaryRow::as_select()))
        .order(procedures::code.asc())
        .limit(paging.limit())
        .offset(paging.offset())
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(active, r)| r.into_summary(active))
            .collect(),
        total,
    ))
}

impl ProcedureDetail {
    /// The definition this version was made from (for comparing an import with what is stored).
    pub fn spec(&self) -> ProcedureSpec {
        ProcedureSpec {
            code: self.summary.code.clone(),
            name: self.summary.name.clone(),
            field: self.summary.field.clone(),
            levels: self.summary.levels.clone(),
            agency: self.summary.agency.clone(),
            processing_days: self.summary.processing_days,
            time_unit: self.summary.time_unit,
            channel_days: self.channel_days.clone(),
            processing_note: self.processing_note.clone(),
            fees: self.fees.clone(),
            required_documents: self.required_documents.clone(),
            online_level: self.summary.online_level,
            supplement_policy: self.supplement_policy,
            steps: self.steps.clone(),
            source: self.source.clone(),
        }
    }
}

/// Marks the catalogue changed; called inside the transaction of every catalogue write.
fn bump_revision(conn: &mut DbConn) -> AppResult<()> {
    diesel::update(catalogue_revision::table.find(1))
        .set(catalogue_revision::revision.eq(catalogue_revision::revision + 1))
        .execute(conn)?;
    Ok(())
}

pub fn revision(conn: &mut DbConn) -> AppResult<i64> {
    Ok(catalogue_revision::table
        .find(1)
        .select(catalogue_revision::revision)
        .first(conn)?)
}

/// Every procedure's current version (active or not), by code, for the in-memory index.
pub fn all_current(conn: &mut DbConn) -> AppResult<Vec<ProcedureSummary>> {
    let rows: Vec<(bool, SummaryRow)> = procedures::table
        .inner_join(
            procedure_versions::table.on(procedure_versions::id.eq(procedures::current_version_id)),
        )
        .select((procedures::active, SummaryRow::as_select()))
        .order(procedures::code.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(active, r)| r.into_summary(active))
        .collect())
}

/// The field (lĩnh vực) of every procedure version, by version id.
pub fn fields_of_versions(conn: &mut DbConn) -> AppResult<std::collections::HashMap<Uuid, String>> {
    Ok(procedure_versions::table
        .select((procedure_versions::id, procedure_versions::field))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(id, field)| (id_of(&id), field))
        .collect())
}

pub fn count(conn: &mut DbConn) -> AppResult<i64> {
    Ok(procedures::table.count().get_result(conn)?)
}

/// A version's content by id, from memory after the first read. A version never changes once
/// written (editing makes a new one), so the cache can be shared by the whole process; only
/// `current` and `active` may be stale in it, and callers of this function must not use them.
pub fn version_content(
    conn: &mut DbConn,
    id: Uuid,
) -> AppResult<Option<std::sync::Arc<ProcedureDetail>>> {
    use std::collections::HashMap;
    use std::sync::{Arc, OnceLock, RwLock};
    static CACHE: OnceLock<RwLock<HashMap<Uuid, Arc<ProcedureDetail>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
        return Ok(Some(found.clone()));
    }
    let Some(detail) = version_by_id(conn, id)? else {
        return Ok(None);
    };
    let detail = Arc::new(detail);
    let mut map = cache.write().unwrap_or_else(|p| p.into_inner());
    // Bounded: a catalogue has thousands of versions; drop everything past 50,000.
    if map.len() >= 50_000 {
        map.clear();
    }
    map.insert(id, detail.clone());
    Ok(Some(detail))
}
