//! Every change of a dossier: its filing (the record and the daily code sequence), the
//! optimistic-version update with its history event (one statement on PostgreSQL), the
//! rating; and the history read back.

use super::*;

/// The record a new dossier starts as (version 1, held where it was filed).
pub fn new_record(new: NewDossier<'_>) -> AppResult<DossierRecord> {
    let row = DossierRow {
        id: Uuid::now_v7().to_string(),
        code: new.code.to_owned(),
        procedure_version_id: new.procedure_version_id.to_string(),
        procedure_code: new.procedure_code.to_owned(),
        holder_unit_id: new.holder_unit_id.to_string(),
        unit_id: new.unit_id.to_string(),
        receiving_unit_id: (new.receiving_unit_id != new.unit_id)
            .then(|| new.receiving_unit_id.to_string()),
        channel: new.channel.as_str().to_owned(),
        state: new.state.as_str().to_owned(),
        version: 1,
        applicant_user_id: new.applicant_user_id.map(|u| u.to_string()),
        applicant_name: new.applicant_name.to_owned(),
        applicant_id_number: new.applicant_id_number.map(str::to_owned),
        applicant_phone: new.applicant_phone.map(str::to_owned),
        applicant_address: new.applicant_address.map(str::to_owned),
        documents: serde_json::to_string(new.documents).map_err(AppError::internal)?,
        current_step: new.current_step,
        assignee_id: None,
        submitted_at: (new.channel == Channel::Online).then_some(new.at),
        received_at: new.received_at,
        due_at: new.due_at,
        paused_since: None,
        resolved_at: None,
        outcome: None,
        returned_at: None,
        created_at: new.at,
        updated_at: new.at,
        step_started_at: new.current_step.map(|_| new.at),
        step_due_at: new.step_due_at,
        supplement_count: 0,
        payment_channel: None,
        paid_at: None,
        new_appointment_at: None,
        return_channel: None,
        documents_digitised: false,
        result_electronic: false,
        fee_vnd: None,
        document_quantities: if new.document_quantities.is_empty() {
            None
        } else {
            Some(serde_json::to_string(new.document_quantities).map_err(AppError::internal)?)
        },
    };
    Ok(DossierRecord {
        search_text: crate::text::fold(&format!("{} {}", new.code, new.applicant_name)),
        idempotency_key: new.idempotency_key.map(str::to_owned),
        row,
    })
}

pub fn insert(conn: &mut DbConn, new: NewDossier<'_>) -> AppResult<DossierRow> {
    let record = new_record(new)?;
    diesel::insert_into(dossiers::table)
        .values(&record)
        .execute(conn)?;
    // Read back: the stored instants are the database's (microseconds on PostgreSQL).
    get(conn, id_of(&record.row.id))?.ok_or(AppError::NotFound)
}

/// The next number of the day for `prefix`, in one upsert: the first intake of a day inserts
/// the row, later ones bump it. The row lock (PostgreSQL) or the writer lock (SQLite)
/// serialises concurrent intakes until their transactions end.
pub fn next_sequence(conn: &mut DbConn, prefix: &str, day: NaiveDate) -> AppResult<i32> {
    // Upserts are backend SQL (the multi-backend query builder has no ON CONFLICT).
    let upsert = diesel::insert_into(dossier_sequences::table)
        .values((
            dossier_sequences::prefix.eq(prefix),
            dossier_sequences::day.eq(day),
            dossier_sequences::last.eq(1),
        ))
        .on_conflict((dossier_sequences::prefix, dossier_sequences::day))
        .do_update()
        .set(dossier_sequences::last.eq(dossier_sequences::last + 1))
        .returning(dossier_sequences::last);
    Ok(match conn {
        DbConn::Postgres(c) => upsert.get_result(c)?,
        DbConn::Sqlite(c) => upsert.get_result(c)?,
    })
}

/// Records the applicant's rating; one per dossier (409 for a second).
pub fn rate(
    conn: &mut DbConn,
    dossier: Uuid,
    rating: Rating,
    comment: Option<&str>,
    at: NaiveDateTime,
) -> AppResult<()> {
    use crate::db::schema::dossier_ratings;
    let exists = dossier_ratings::table
        .find(dossier.to_string())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Err(AppError::Conflict(
            "this dossier has been rated already".to_owned(),
        ));
    }
    diesel::insert_into(dossier_ratings::table)
        .values((
            dossier_ratings::dossier_id.eq(dossier.to_string()),
            dossier_ratings::rating.eq(rating.as_str()),
            dossier_ratings::comment.eq(comment),
            dossier_ratings::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The fields a transition may change.
#[derive(Default)]
pub struct Changes {
    pub state: Option<State>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    /// `Some(None)` clears the pause.
    pub paused_since: Option<Option<NaiveDateTime>>,
    pub resolved_at: Option<NaiveDateTime>,
    pub outcome: Option<&'static str>,
    pub returned_at: Option<NaiveDateTime>,
    pub current_step: Option<i32>,
    pub assignee_id: Option<Option<Uuid>>,
    pub holder_unit_id: Option<Uuid>,
    /// A new step: when it started and its deadline.
    pub step_started_at: Option<NaiveDateTime>,
    pub step_due_at: Option<NaiveDateTime>,
    pub supplement_count: Option<i32>,
    /// A fee asked: added to what was asked before.
    pub fee_vnd: Option<i64>,
    pub payment_channel: Option<&'static str>,
    pub paid_at: Option<NaiveDateTime>,
    pub new_appointment_at: Option<NaiveDateTime>,
    pub return_channel: Option<&'static str>,
    /// The paper counts the desk recorded when it received an online filing (JSON).
    pub document_quantities: Option<String>,
}

/// The row as it will be after `ch` at `at`: one version on.
pub fn next_row(row: &DossierRow, ch: Changes, at: NaiveDateTime) -> DossierRow {
    let mut next = row.clone();
    next.version = row.version + 1;
    if let Some(s) = ch.state {
        next.state = s.as_str().to_owned();
    }
    next.received_at = ch.received_at.or(row.received_at);
    next.due_at = ch.due_at.or(row.due_at);
    next.paused_since = ch.paused_since.unwrap_or(row.paused_since);
    next.resolved_at = ch.resolved_at.or(row.resolved_at);
    next.outcome = ch
        .outcome
        .map(str::to_owned)
        .or_else(|| row.outcome.clone());
    next.returned_at = ch.returned_at.or(row.returned_at);
    next.current_step = ch.current_step.or(row.current_step);
    next.document_quantities = ch
        .document_quantities
        .or_else(|| row.document_quantities.clone());
    if let Some(a) = ch.assignee_id {
        next.assignee_id = a.map(|u| u.to_string());
    }
    if let Some(h) = ch.holder_unit_id {
        next.holder_unit_id = h.to_string();
    }
    next.step_started_at = ch.step_started_at.or(row.step_started_at);
    next.step_due_at = ch.step_due_at.or(row.step_due_at);
    next.supplement_count = ch.supplement_count.unwrap_or(row.supplement_count);
    next.payment_channel = ch
        .payment_channel
        .map(str::to_owned)
        .or_else(|| row.payment_channel.clone());
    next.paid_at = ch.paid_at.or(row.paid_at);
    if let Some(fee) = ch.fee_vnd {
        next.fee_vnd = Some(row.fee_vnd.unwrap_or(0).saturating_add(fee));
    }
    next.new_appointment_at = ch.new_appointment_at.or(row.new_appointment_at);
    next.return_channel = ch
        .return_channel
        .map(str::to_owned)
        .or_else(|| row.return_channel.clone());
    next.updated_at = at;
    next
}

/// What the history records about a transition besides the dossier's new figures.
pub struct Transition<'a> {
    pub action: Action,
    pub from: State,
    pub to: State,
    pub actor: Option<Uuid>,
    pub role: Role,
    pub unit: Option<Uuid>,
    pub note: Option<&'a str>,
}

impl Transition<'_> {
    /// The history event of this transition, which brought the dossier to `next` at `at`.
    pub fn event<'a>(&'a self, next: &'a DossierRow, at: NaiveDateTime) -> NewEvent<'a> {
        NewEvent {
            dossier: next,
            action: self.action,
            from: Some(self.from),
            to: self.to,
            actor: self.actor,
            role: self.role,
            unit: self.unit,
            at,
            note: self.note,
        }
    }
}

/// Writes `ch` and its history event if the dossier is still at `row.version`, else 409.
/// Atomic on its own: on PostgreSQL it is one statement (the update and the event insert in
/// one `WITH`), so it needs no surrounding transaction; on SQLite it is two statements and
/// runs inside the caller's transaction (see `Db::write_atomic`).
pub fn apply(
    conn: &mut DbConn,
    row: &DossierRow,
    ch: Changes,
    step: Transition<'_>,
    at: NaiveDateTime,
) -> AppResult<DossierRow> {
    let next = next_row(row, ch, at);
    let written = match conn {
        DbConn::Postgres(pg) => apply_pg(pg, row.version, &next, &step)?,
        DbConn::Sqlite(_) => {
            let n = update_row(conn, row.version, &next)?;
            if n == 1 {
                record(conn, step.event(&next, at))?;
            }
            n
        }
    };
    if written == 0 {
        return Err(changed_meanwhile(row));
    }
    Ok(next)
}

/// The 409 for a change made to `row` when the dossier has moved past its version.
pub fn changed_meanwhile(row: &DossierRow) -> AppError {
    AppError::Conflict(format!(
        "dossier {} was changed by someone else (now past version {}); reload and retry",
        row.code, row.version
    ))
}

pub(super) fn update_row(conn: &mut DbConn, expected: i32, next: &DossierRow) -> AppResult<usize> {
    Ok(diesel::update(
        dossiers::table
            .filter(dossiers::id.eq(&next.id))
            .filter(dossiers::version.eq(expected)),
    )
    .set((
        dossiers::version.eq(next.version),
        dossiers::state.eq(&next.state),
        dossiers::received_at.eq(next.received_at),
        dossiers::due_at.eq(next.due_at),
        dossiers::paused_since.eq(next.paused_since),
        dossiers::resolved_at.eq(next.resolved_at),
        dossiers::outcome.eq(&next.outcome),
        dossiers::returned_at.eq(next.returned_at),
        dossiers::current_step.eq(next.current_step),
        dossiers::assignee_id.eq(&next.assignee_id),
        dossiers::holder_unit_id.eq(&next.holder_unit_id),
        dossiers::step_started_at.eq(next.step_started_at),
        dossiers::step_due_at.eq(next.step_due_at),
        dossiers::supplement_count.eq(next.supplement_count),
        dossiers::payment_channel.eq(&next.payment_channel),
        dossiers::paid_at.eq(next.paid_at),
        dossiers::fee_vnd.eq(next.fee_vnd),
        dossiers::new_appointment_at.eq(next.new_appointment_at),
        dossiers::return_channel.eq(&next.return_channel),
        dossiers::document_quantities.eq(&next.document_quantities),
        dossiers::updated_at.eq(next.updated_at),
    ))
    .execute(conn)?)
}

/// The update and its event in one PostgreSQL statement: the event is inserted only from the
/// row the update returned, so a lost version race writes neither. One round trip, no
/// BEGIN/COMMIT, and a named prepared statement (its text never varies), parsed and planned
/// once per connection.
pub(super) struct ApplyPg<'a> {
    expected: i32,
    next: &'a DossierRow,
    step: &'a Transition<'a>,
    event_id: String,
    actor: Option<String>,
    unit: Option<String>,
}

impl diesel::query_builder::QueryId for ApplyPg<'_> {
    type QueryId = ApplyPg<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for ApplyPg<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
        let (n, e) = (self.next, self.step);
        out.push_sql("WITH u AS (UPDATE dossiers SET version = ");
        out.push_bind_param::<Integer, _>(&n.version)?;
        out.push_sql(", state = ");
        out.push_bind_param::<Text, _>(&n.state)?;
        out.push_sql(", received_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.received_at)?;
        out.push_sql(", due_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.due_at)?;
        out.push_sql(", paused_since = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.paused_since)?;
        out.push_sql(", resolved_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.resolved_at)?;
        out.push_sql(", outcome = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.outcome)?;
        out.push_sql(", returned_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.returned_at)?;
        out.push_sql(", current_step = ");
        out.push_bind_param::<Nullable<Integer>, _>(&n.current_step)?;
        out.push_sql(", assignee_id = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.assignee_id)?;
        out.push_sql(", holder_unit_id = ");
        out.push_bind_param::<Text, _>(&n.holder_unit_id)?;
        out.push_sql(", step_started_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.step_started_at)?;
        out.push_sql(", step_due_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.step_due_at)?;
        out.push_sql(", supplement_count = ");
        out.push_bind_param::<Integer, _>(&n.supplement_count)?;
        out.push_sql(", payment_channel = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.payment_channel)?;
        out.push_sql(", paid_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.paid_at)?;
        out.push_sql(", fee_vnd = ");
        out.push_bind_param::<Nullable<BigInt>, _>(&n.fee_vnd)?;
        out.push_sql(", new_appointment_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.new_appointment_at)?;
        out.push_sql(", return_channel = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.return_channel)?;
        out.push_sql(", document_quantities = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.document_quantities)?;
        out.push_sql(", updated_at = ");
        out.push_bind_param::<Timestamp, _>(&n.updated_at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(&n.id)?;
        out.push_sql(" AND version = ");
        out.push_bind_param::<Integer, _>(&self.expected)?;
        out.push_sql(
            " RETURNING id) INSERT INTO dossier_events (id, dossier_id, seq, action, \
             from_state, to_state, actor_id, actor_role, unit_id, at, note, due_at, step, \
             step_due_at, holder_unit_id) SELECT ",
        );
        out.push_bind_param::<Text, _>(&self.event_id)?;
        out.push_sql(", u.id, ");
        out.push_bind_param::<Integer, _>(&n.version)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(e.action.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(e.from.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&n.state)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.actor)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(e.role.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.unit)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&n.updated_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&e.note)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.due_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(&n.current_step)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.step_due_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&n.holder_unit_id)?;
        out.push_sql(" FROM u");
        Ok(())
    }
}

impl RunQueryDsl<diesel::PgConnection> for ApplyPg<'_> {}

pub(super) fn apply_pg(
    pg: &mut diesel::PgConnection,
    expected: i32,
    next: &DossierRow,
    step: &Transition<'_>,
) -> AppResult<usize> {
    Ok(ApplyPg {
        expected,
        next,
        step,
        event_id: Uuid::now_v7().to_string(),
        actor: step.actor.map(|u| u.to_string()),
        unit: step.unit.map(|u| u.to_string()),
    }
    .execute(pg)?)
}

pub struct NewEvent<'a> {
    pub dossier: &'a DossierRow,
    pub action: Action,
    pub from: Option<State>,
    pub to: State,
    pub actor: Option<Uuid>,
    pub role: Role,
    pub unit: Option<Uuid>,
    pub at: NaiveDateTime,
    pub note: Option<&'a str>,
}

/// A history event as stored.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = dossier_events, treat_none_as_default_value = false)]
pub struct EventRecord {
    id: String,
    dossier_id: String,
    seq: i32,
    action: String,
    from_state: Option<String>,
    to_state: String,
    actor_id: Option<String>,
    actor_role: String,
    unit_id: Option<String>,
    at: NaiveDateTime,
    note: Option<String>,
    due_at: Option<NaiveDateTime>,
    step: Option<i32>,
    step_due_at: Option<NaiveDateTime>,
    holder_unit_id: Option<String>,
}

impl EventRecord {
    /// The event of the change that brought `e.dossier` to its current version.
    pub fn new(e: NewEvent<'_>) -> EventRecord {
        EventRecord {
            id: Uuid::now_v7().to_string(),
            dossier_id: e.dossier.id.clone(),
            seq: e.dossier.version,
            action: e.action.as_str().to_owned(),
            from_state: e.from.map(|s| s.as_str().to_owned()),
            to_state: e.to.as_str().to_owned(),
            actor_id: e.actor.map(|u| u.to_string()),
            actor_role: e.role.as_str().to_owned(),
            unit_id: e.unit.map(|u| u.to_string()),
            at: e.at,
            note: e.note.map(str::to_owned),
            due_at: e.dossier.due_at,
            step: e.dossier.current_step,
            step_due_at: e.dossier.step_due_at,
            holder_unit_id: Some(e.dossier.holder_unit_id.clone()),
        }
    }

    pub fn dossier_id(&self) -> &str {
        &self.dossier_id
    }

    /// The event as read back.
    pub fn event(&self) -> Event {
        event_of(EventRow {
            seq: self.seq,
            action: self.action.clone(),
            from_state: self.from_state.clone(),
            to_state: self.to_state.clone(),
            actor_id: self.actor_id.clone(),
            actor_role: self.actor_role.clone(),
            unit_id: self.unit_id.clone(),
            at: self.at,
            note: self.note.clone(),
            due_at: self.due_at,
            step: self.step,
            step_due_at: self.step_due_at,
            holder_unit_id: self.holder_unit_id.clone(),
        })
    }
}

/// Records the event of the change that brought the dossier to its current version.
pub fn record(conn: &mut DbConn, e: NewEvent<'_>) -> AppResult<()> {
    diesel::insert_into(dossier_events::table)
        .values(EventRecord::new(e))
        .execute(conn)?;
    Ok(())
}

pub(super) fn event_of(r: EventRow) -> Event {
    let action = Action::parse(&r.action).unwrap_or(Action::Receive);
    Event {
        seq: r.seq,
        action,
        action_label: action.label_vi(),
        from_state: r.from_state.as_deref().and_then(State::parse),
        to_state: State::parse(&r.to_state).unwrap_or(State::Submitted),
        actor_id: r.actor_id.as_deref().map(id_of),
        actor_role: Role::parse(&r.actor_role).unwrap_or(Role::Citizen),
        unit_id: r.unit_id.as_deref().map(id_of),
        at: utc(r.at),
        note: r.note,
        due_at: r.due_at.map(utc),
        step: r.step,
        step_due_at: r.step_due_at.map(utc),
        holder_unit_id: r.holder_unit_id.as_deref().map(id_of),
    }
}

pub fn history(conn: &mut DbConn, dossier: Uuid) -> AppResult<Vec<Event>> {
    let rows = dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier.to_string()))
        .order(dossier_events::seq.asc())
        .select(EventRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(event_of).collect())
}
