//! What the statistics read: the dossiers of some units with their histories, the ones due
//! later today, those received at another desk.

use super::*;

/// What statistics read of a dossier besides its history.
#[derive(Debug, Clone, Queryable)]
pub struct Filed {
    pub id: String,
    pub unit_id: String,
    pub channel: String,
    pub procedure_code: String,
    pub procedure_version_id: String,
    pub fee_vnd: Option<i64>,
    pub payment_channel: Option<String>,
    pub paid_at: Option<NaiveDateTime>,
    pub return_channel: Option<String>,
    pub documents_digitised: bool,
    pub result_electronic: bool,
    /// The applicant's rating (`satisfied` / `not_satisfied`) and when it was given.
    pub rating: Option<(String, NaiveDateTime)>,
    /// The receiving desk, where another desk than the resolving unit's received it.
    pub receiving_unit_id: Option<String>,
}

impl Filed {
    /// What `filed_query` reads, from a row in hand and its rating.
    pub fn of(row: &DossierRow, rating: Option<(String, NaiveDateTime)>) -> Filed {
        Filed {
            id: row.id.clone(),
            unit_id: row.unit_id.clone(),
            channel: row.channel.clone(),
            procedure_code: row.procedure_code.clone(),
            procedure_version_id: row.procedure_version_id.clone(),
            fee_vnd: row.fee_vnd,
            payment_channel: row.payment_channel.clone(),
            paid_at: row.paid_at,
            return_channel: row.return_channel.clone(),
            documents_digitised: row.documents_digitised,
            result_electronic: row.result_electronic,
            rating,
            receiving_unit_id: row.receiving_unit_id.clone(),
        }
    }

    /// The unit it counts at for `basis`: the resolving unit, or the receiving desk.
    pub fn unit_for(&self, basis: Basis) -> &str {
        match basis {
            Basis::Resolving => &self.unit_id,
            Basis::Receiving => self.receiving_unit_id.as_deref().unwrap_or(&self.unit_id),
        }
    }
}

/// Which unit a dossier counts at in the statistics: the one that resolves it (default) or
/// the desk that received it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    #[default]
    Resolving,
    Receiving,
}

/// The dossiers filed at `units` before `before`, each with its history (oldest first): what
/// the statistics' reference path reads.
pub fn filed_with_history(
    conn: &mut DbConn,
    units: &[String],
    before: NaiveDateTime,
    basis: Basis,
) -> AppResult<Vec<(Filed, Vec<Event>)>> {
    // The dossiers and their events in two statements, whichever unit they count at.
    macro_rules! read {
        ($at_units:expr) => {{
            let filed: Vec<Filed> = filed_query()
                .filter($at_units)
                .filter(dossiers::created_at.lt(before))
                .load(conn)?;
            let ids = dossiers::table
                .filter($at_units)
                .filter(dossiers::created_at.lt(before))
                .select(dossiers::id);
            let events: Vec<(String, EventRow)> = dossier_events::table
                .filter(dossier_events::dossier_id.eq_any(ids))
                .order(dossier_events::seq.asc())
                .select((dossier_events::dossier_id, EventRow::as_select()))
                .load(conn)?;
            (filed, events)
        }};
    }
    let (filed, events) = match basis {
        Basis::Resolving => read!(dossiers::unit_id.eq_any(units)),
        Basis::Receiving => {
            read!(dossiers::receiving_unit_id
                .eq_any(units)
                .or(dossiers::receiving_unit_id
                    .is_null()
                    .and(dossiers::unit_id.eq_any(units))))
        }
    };
    Ok(with_histories(filed, events))
}

/// The dossiers open now whose clock runs and whose due instant lies in `[from, before)`,
/// counted per resolving unit, receiving desk and procedure version, where the unit they count
/// at (by `basis`) is one of `units` (any with `None`): those a running report judges within
/// time now but the day's end would judge overdue.
pub fn running_due_between(
    conn: &mut DbConn,
    units: Option<&[String]>,
    basis: Basis,
    from: NaiveDateTime,
    before: NaiveDateTime,
) -> AppResult<Vec<DueCount>> {
    let mut q = dossiers::table
        .filter(dossiers::due_at.ge(from))
        .filter(dossiers::due_at.lt(before))
        .filter(dossiers::paused_since.is_null())
        .filter(dossiers::state.eq_any(clock_states()))
        .into_boxed::<crate::db::DbBackend>();
    if let Some(units) = units {
        q = match basis {
            Basis::Resolving => q.filter(dossiers::unit_id.eq_any(units)),
            Basis::Receiving => q.filter(
                dossiers::receiving_unit_id
                    .eq_any(units)
                    .or(dossiers::receiving_unit_id
                        .is_null()
                        .and(dossiers::unit_id.eq_any(units))),
            ),
        };
    }
    let rows: Vec<(String, Option<String>, String)> = q
        .select((
            dossiers::unit_id,
            dossiers::receiving_unit_id,
            dossiers::procedure_version_id,
        ))
        .load(conn)?;
    let mut counted: std::collections::HashMap<(String, Option<String>, String), i64> =
        std::collections::HashMap::new();
    for row in rows {
        *counted.entry(row).or_default() += 1;
    }
    Ok(counted
        .into_iter()
        .map(|((unit_id, receiving_unit_id, version), count)| DueCount {
            unit_id,
            receiving_unit_id,
            procedure_version_id: version,
            count,
        })
        .collect())
}

/// How many dossiers `running_due_between` found with these units and procedure version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCount {
    pub unit_id: String,
    pub receiving_unit_id: Option<String>,
    pub procedure_version_id: String,
    pub count: i64,
}

/// The dossiers received at another desk than their resolving unit's, where either unit is
/// one of `units` (all such dossiers with `None`), each with its history: what moves when
/// the statistics count by receiving desk.
pub fn cross_desk_with_history(
    conn: &mut DbConn,
    units: Option<&[String]>,
) -> AppResult<Vec<(Filed, Vec<Event>)>> {
    let mut q = dossiers::table
        .filter(dossiers::receiving_unit_id.is_not_null())
        .select(dossiers::id)
        .into_boxed::<crate::db::DbBackend>();
    if let Some(units) = units {
        q = q.filter(
            dossiers::receiving_unit_id
                .eq_any(units)
                .or(dossiers::unit_id.eq_any(units).nullable()),
        );
    }
    let ids: Vec<String> = q.load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(filed_by_ids(conn, chunk)?);
    }
    Ok(out)
}

/// The dossiers `ids` (those that exist), each with its history: what the statistics' fast
/// path folds in after a change.
pub fn filed_by_ids(conn: &mut DbConn, ids: &[String]) -> AppResult<Vec<(Filed, Vec<Event>)>> {
    let filed: Vec<Filed> = filed_query().filter(dossiers::id.eq_any(ids)).load(conn)?;
    let events: Vec<(String, EventRow)> = dossier_events::table
        .filter(dossier_events::dossier_id.eq_any(ids))
        .order(dossier_events::seq.asc())
        .select((dossier_events::dossier_id, EventRow::as_select()))
        .load(conn)?;
    Ok(with_histories(filed, events))
}

#[allow(clippy::type_complexity)]
pub(super) fn filed_query() -> diesel::dsl::Select<
    diesel::dsl::LeftJoinOn<
        dossiers::table,
        dossier_ratings::table,
        diesel::dsl::Eq<dossier_ratings::dossier_id, dossiers::id>,
    >,
    (
        dossiers::id,
        dossiers::unit_id,
        dossiers::channel,
        dossiers::procedure_code,
        dossiers::procedure_version_id,
        dossiers::fee_vnd,
        dossiers::payment_channel,
        dossiers::paid_at,
        dossiers::return_channel,
        dossiers::documents_digitised,
        dossiers::result_electronic,
        diesel::dsl::Nullable<(dossier_ratings::rating, dossier_ratings::created_at)>,
        dossiers::receiving_unit_id,
    ),
> {
    dossiers::table
        .left_join(dossier_ratings::table.on(dossier_ratings::dossier_id.eq(dossiers::id)))
        .select((
            dossiers::id,
            dossiers::unit_id,
            dossiers::channel,
            dossiers::procedure_code,
            dossiers::procedure_version_id,
            dossiers::fee_vnd,
            dossiers::payment_channel,
            dossiers::paid_at,
            dossiers::return_channel,
            dossiers::documents_digitised,
            dossiers::result_electronic,
            (dossier_ratings::rating, dossier_ratings::created_at).nullable(),
            dossiers::receiving_unit_id,
        ))
}

pub(super) fn with_histories(
    filed: Vec<Filed>,
    events: Vec<(String, EventRow)>,
) -> Vec<(Filed, Vec<Event>)> {
    // Grouped here rather than by walking both lists in id order: text order is the
    // database's collation, which need not be Rust's.
    let mut by_dossier: std::collections::HashMap<String, Vec<Event>> =
        std::collections::HashMap::with_capacity(filed.len());
    for (id, row) in events {
        by_dossier.entry(id).or_default().push(event_of(row));
    }
    filed
        .into_iter()
        .map(|f| {
            let history = by_dossier.remove(&f.id).unwrap_or_default();
            (f, history)
        })
        .collect()
}
