//! Dossier queries: insert, load, the optimistic-version update that every transition goes
//! through, history events, and the daily code sequence (allocated by the database, so several
//! instances agree).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{Action, State};
use crate::accounts::model::Role;
use crate::db::schema::{dossier_events, dossier_ratings, dossier_sequences, dossiers, units};
use crate::db::{id_of, utc, DbConn};
use crate::error::{AppError, AppResult};
use crate::units::model::{Level, UnitKind};

/// How the dossier reached the desk (kênh nộp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    Desk,
    Post,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Desk => "desk",
            Channel::Post => "post",
        }
    }
    pub fn parse(s: &str) -> Channel {
        match s {
            "online" => Channel::Online,
            "post" => Channel::Post,
            _ => Channel::Desk,
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Channel::Online => "Trực tuyến",
            Channel::Desk => "Trực tiếp",
            Channel::Post => "Bưu chính",
        }
    }
    /// The national portal's channel code (1 desk, 2 online, 3 post).
    pub fn portal_code(self) -> u8 {
        match self {
            Channel::Desk => 1,
            Channel::Online => 2,
            Channel::Post => 3,
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = dossiers, treat_none_as_default_value = false)]
pub struct DossierRow {
    pub id: String,
    pub code: String,
    pub procedure_version_id: String,
    pub procedure_code: String,
    pub unit_id: String,
    pub holder_unit_id: String,
    pub channel: String,
    pub state: String,
    pub version: i32,
    pub applicant_user_id: Option<String>,
    pub applicant_name: String,
    pub applicant_id_number: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_address: Option<String>,
    pub documents: String,
    pub current_step: Option<i32>,
    pub assignee_id: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub paused_since: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
    pub returned_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub step_started_at: Option<NaiveDateTime>,
    pub step_due_at: Option<NaiveDateTime>,
    pub supplement_count: i32,
    pub payment_channel: Option<String>,
    pub paid_at: Option<NaiveDateTime>,
    pub new_appointment_at: Option<NaiveDateTime>,
    pub return_channel: Option<String>,
    pub documents_digitised: bool,
    pub result_electronic: bool,
    pub fee_vnd: Option<i64>,
    /// The desk that received it, where not the resolving unit's own (`unit_id`).
    pub receiving_unit_id: Option<String>,
    /// JSON of `[DocumentQuantity]`, where the desk recorded them.
    pub document_quantities: Option<String>,
}

impl DossierRow {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Submitted)
    }
    pub fn uuid(&self) -> Uuid {
        id_of(&self.id)
    }
    pub fn unit(&self) -> Uuid {
        id_of(&self.unit_id)
    }
    pub fn holder(&self) -> Uuid {
        id_of(&self.holder_unit_id)
    }
    /// The desk that received it (the resolving unit's own unless another desk did).
    pub fn receiving(&self) -> Uuid {
        self.receiving_unit_id
            .as_deref()
            .map_or_else(|| self.unit(), id_of)
    }
    pub fn applicant(&self) -> Option<Uuid> {
        self.applicant_user_id.as_deref().map(id_of)
    }
    /// The positions of the required documents it was filed with.
    pub fn document_positions(&self) -> Vec<u32> {
        serde_json::from_str(&self.documents).unwrap_or_default()
    }

    pub fn quantities(&self) -> Vec<DocumentQuantity> {
        self.document_quantities
            .as_deref()
            .and_then(|q| serde_json::from_str(q).ok())
            .unwrap_or_default()
    }
}

/// How many originals (bản chính) and copies (bản sao) of one required document the desk
/// received: Mẫu 01's "Số lượng".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuantity {
    /// The document's position in the procedure's required documents (one of `documents`).
    #[schema(minimum = 0, maximum = 4294967295_i64)]
    pub index: u32,
    #[schema(minimum = 0, maximum = 99)]
    pub originals: u8,
    #[schema(minimum = 0, maximum = 99)]
    pub copies: u8,
}

/// Who filed the dossier, as given (for an online filing: the account's details).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Applicant {
    pub user_id: Option<Uuid>,
    pub name: String,
    /// The 12-digit personal ID number, named as on input (`applicant.citizen_id`).
    #[serde(rename = "citizen_id")]
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dossier {
    pub id: Uuid,
    /// The receipt code: `{agency identifier or unit code}-{yymmdd}-{daily sequence}`.
    pub code: String,
    pub procedure_code: String,
    /// The procedure version it was filed under.
    pub procedure_version_id: Uuid,
    /// The unit that resolves it (where it is filed for the statistics, forever).
    pub unit_id: Uuid,
    /// The same: the resolving unit, named for what it is.
    pub resolving_unit_id: Uuid,
    /// The desk that received it: the resolving unit's own, or since 1 July 2025 any desk of
    /// the province (Nghị định 118/2025). The result goes back through it.
    pub receiving_unit_id: Uuid,
    /// Who holds it now.
    pub holder_unit_id: Uuid,
    pub channel: Channel,
    /// The channel's name in Vietnamese ("Trực tuyến").
    pub channel_label: &'static str,
    pub state: State,
    /// The state's name in Vietnamese ("Đang giải quyết").
    pub state_label: &'static str,
    /// The national portal's status code for `state`.
    pub portal_status: u8,
    /// Increases with every change; send it back as `expected_version` to act.
    pub version: i32,
    pub applicant: Applicant,
    /// Positions in the procedure's required documents that were provided.
    pub documents: Vec<u32>,
    /// How many originals and copies of each were received at the desk (empty: not
    /// recorded, as for online filings).
    pub document_quantities: Vec<DocumentQuantity>,
    pub current_step: Option<i32>,
    pub assignee_id: Option<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// Set while the clock stands still (supplement, payment).
    pub paused_since: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// `approved` or `denied` once resolved.
    pub outcome: Option<String>,
    pub returned_at: Option<DateTime<Utc>>,
    /// When the current step must be done (its share of the processing time).
    pub step_due_at: Option<DateTime<Utc>>,
    /// Supplement requests so far.
    pub supplement_count: i32,
    /// The fee asked with `request_payment`, in đồng (the total when asked more than once);
    /// `null`: no fee was asked.
    pub fee_vnd: Option<i64>,
    /// `online` or `desk`, once the fee is paid.
    pub payment_channel: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The new appointment given with an apology (Mẫu 04); `due_at` stays the reference.
    pub new_appointment_at: Option<DateTime<Utc>>,
    /// How the result went back: `desk`, `post` or `electronic`.
    pub return_channel: Option<String>,
    /// Every document the dossier was received with has an electronic copy (digitised at
    /// intake: application copies can only be attached while it is at the desk).
    pub documents_digitised: bool,
    /// An electronic result document is attached.
    pub result_electronic: bool,
    /// Early / on time / late, once resolved (DOMAIN §4).
    pub timeliness: Option<crate::calendar::model::Timeliness>,
    /// The due date lies in a year whose days off are not published yet (counted with
    /// weekdays only; it may move once that year's calendar is imported).
    pub calendar_provisional: bool,
    /// What the reader may do with it now: their role, where it is held, its step and its
    /// state all allow it (a client builds its buttons from this list).
    pub allowed_actions: Vec<Action>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DossierRow {
    /// The dossier with no actions listed (for readers who cannot act on it).
    pub fn view(&self) -> Dossier {
        self.view_with(Vec::new())
    }

    /// The dossier with the actions its reader may take now (see `permit`).
    pub fn view_with(&self, allowed_actions: Vec<Action>) -> Dossier {
        let state = self.state();
        let channel = Channel::parse(&self.channel);
        Dossier {
            id: self.uuid(),
            code: self.code.clone(),
            procedure_code: self.procedure_code.clone(),
            procedure_version_id: id_of(&self.procedure_version_id),
            unit_id: self.unit(),
            resolving_unit_id: self.unit(),
            receiving_unit_id: self.receiving(),
            holder_unit_id: self.holder(),
            channel,
            channel_label: channel.label_vi(),
            state,
            state_label: state.label_vi(),
            portal_status: state.portal_code(),
            version: self.version,
            applicant: Applicant {
                user_id: self.applicant(),
                name: self.applicant_name.clone(),
                id_number: self.applicant_id_number.clone(),
                phone: self.applicant_phone.clone(),
                address: self.applicant_address.clone(),
            },
            documents: self.document_positions(),
            document_quantities: self.quantities(),
            current_step: self.current_step,
            assignee_id: self.assignee_id.as_deref().map(id_of),
            submitted_at: self.submitted_at.map(utc),
            received_at: self.received_at.map(utc),
            due_at: self.due_at.map(utc),
            paused_since: self.paused_since.map(utc),
            resolved_at: self.resolved_at.map(utc),
            outcome: self.outcome.clone(),
            returned_at: self.returned_at.map(utc),
            step_due_at: self.step_due_at.map(utc),
            supplement_count: self.supplement_count,
            fee_vnd: self.fee_vnd,
            payment_channel: self.payment_channel.clone(),
            paid_at: self.paid_at.map(utc),
            new_appointment_at: self.new_appointment_at.map(utc),
            return_channel: self.return_channel.clone(),
            documents_digitised: self.documents_digitised,
            result_electronic: self.result_electronic,
            timeliness: match (self.resolved_at, self.due_at) {
                (Some(r), Some(d)) => Some(crate::calendar::model::classify(utc(r), utc(d))),
                _ => None,
            },
            calendar_provisional: false,
            allowed_actions,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

/// One hand-over in the dossier's history (a line of the process-control slip, Mẫu 06).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub seq: i32,
    pub action: Action,
    /// The action's name in Vietnamese ("Tiếp nhận").
    pub action_label: &'static str,
    pub from_state: Option<State>,
    pub to_state: State,
    pub actor_id: Option<Uuid>,
    pub actor_role: Role,
    pub unit_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    /// The due instant after this event.
    pub due_at: Option<DateTime<Utc>>,
    /// The workflow step the dossier is at after this event, and that step's deadline.
    pub step: Option<i32>,
    pub step_due_at: Option<DateTime<Utc>>,
    /// The unit holding the dossier after this event (whose step it is).
    pub holder_unit_id: Option<Uuid>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = dossier_events)]
struct EventRow {
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

pub struct NewDossier<'a> {
    pub code: &'a str,
    pub procedure_version_id: Uuid,
    pub procedure_code: &'a str,
    /// The resolving unit.
    pub unit_id: Uuid,
    /// The desk that receives it.
    pub receiving_unit_id: Uuid,
    /// Who holds it first: the receiving desk while an online filing waits to be received,
    /// the resolving unit once it is.
    pub holder_unit_id: Uuid,
    pub channel: Channel,
    pub state: State,
    pub applicant_user_id: Option<Uuid>,
    pub applicant_name: &'a str,
    pub applicant_id_number: Option<&'a str>,
    pub applicant_phone: Option<&'a str>,
    pub applicant_address: Option<&'a str>,
    pub documents: &'a [u32],
    pub document_quantities: &'a [DocumentQuantity],
    pub idempotency_key: Option<&'a str>,
    pub at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub current_step: Option<i32>,
    pub step_due_at: Option<NaiveDateTime>,
}

/// A dossier as stored: its row and the columns only the database reads.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = dossiers, treat_none_as_default_value = false)]
pub struct DossierRecord {
    #[diesel(embed)]
    pub row: DossierRow,
    search_text: String,
    pub idempotency_key: Option<String>,
}

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

pub fn get(conn: &mut DbConn, id: Uuid) -> AppResult<Option<DossierRow>> {
    Ok(dossiers::table
        .find(id.to_string())
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

/// A dossier with the places it stands in the unit tree, in one query: the unit it was filed
/// at and the path of the unit holding it (scope checks need no further reads).
pub struct Placed {
    pub row: DossierRow,
    pub filed_name: String,
    pub filed_level: Level,
    pub filed_path: String,
    /// The last day of the resolving unit, if a reorganisation retired it.
    pub filed_valid_to: Option<NaiveDate>,
    pub holder_path: String,
    /// The receiving desk's path, where another desk than the resolving unit's received it.
    pub receiving_path: Option<String>,
}

type PlacedRow = (
    DossierRow,
    String,
    String,
    String,
    Option<NaiveDate>,
    String,
    Option<String>,
);

pub fn get_placed(conn: &mut DbConn, id: Uuid) -> AppResult<Option<Placed>> {
    let (filed, holder, receiving) = diesel::alias!(
        units as filed_units,
        units as holder_units,
        units as receiving_units
    );
    let found = dossiers::table
        .inner_join(filed.on(filed.field(units::id).eq(dossiers::unit_id)))
        .inner_join(holder.on(holder.field(units::id).eq(dossiers::holder_unit_id)))
        .left_join(
            receiving.on(receiving
                .field(units::id)
                .nullable()
                .eq(dossiers::receiving_unit_id)),
        )
        .filter(dossiers::id.eq(id.to_string()))
        .select((
            DossierRow::as_select(),
            filed.field(units::name),
            filed.field(units::kind),
            filed.field(units::path),
            filed.field(units::valid_to),
            holder.field(units::path),
            receiving.field(units::path).nullable(),
        ))
        .first::<PlacedRow>(conn)
        .optional()?;
    Ok(found.map(
        |(row, filed_name, kind, filed_path, filed_valid_to, holder_path, receiving_path)| Placed {
            row,
            filed_name,
            filed_level: UnitKind::parse(&kind).map_or(Level::Commune, UnitKind::level),
            filed_path,
            filed_valid_to,
            holder_path,
            receiving_path,
        },
    ))
}

pub fn by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<DossierRow>> {
    Ok(dossiers::table
        .filter(dossiers::code.eq(code))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_idempotency_key(
    conn: &mut DbConn,
    user: Uuid,
    key: &str,
) -> AppResult<Option<DossierRow>> {
    Ok(dossiers::table
        .filter(dossiers::applicant_user_id.eq(user.to_string()))
        .filter(dossiers::idempotency_key.eq(key))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

/// A citizen's own dossiers, newest first.
pub fn of_applicant(
    conn: &mut DbConn,
    user: Uuid,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<DossierRow>, i64)> {
    let total = dossiers::table
        .filter(dossiers::applicant_user_id.eq(user.to_string()))
        .count()
        .get_result(conn)?;
    let rows = dossiers::table
        .filter(dossiers::applicant_user_id.eq(user.to_string()))
        .order(dossiers::created_at.desc())
        .limit(limit)
        .offset(offset)
        .select(DossierRow::as_select())
        .load(conn)?;
    Ok((rows, total))
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

fn update_row(conn: &mut DbConn, expected: i32, next: &DossierRow) -> AppResult<usize> {
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
struct ApplyPg<'a> {
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

fn apply_pg(
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

fn event_of(r: EventRow) -> Event {
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
fn filed_query() -> diesel::dsl::Select<
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

fn with_histories(filed: Vec<Filed>, events: Vec<(String, EventRow)>) -> Vec<(Filed, Vec<Event>)> {
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

/// `{prefix}-{yymmdd}-{nnnn}`.
pub fn format_code(prefix: &str, day: NaiveDate, n: i32) -> String {
    format!("{prefix}-{}-{n:04}", day.format("%y%m%d"))
}

/// Now, at the microsecond precision both databases keep, so that stored instants recompute
/// exactly.
pub fn now_instant() -> DateTime<Utc> {
    use chrono::DurationRound;
    let t = Utc::now();
    t.duration_trunc(chrono::Duration::microseconds(1))
        .unwrap_or(t)
}

/// The states whose clock runs (received, not yet decided): the only ones that can be overdue.
fn clock_states() -> Vec<&'static str> {
    State::ALL
        .iter()
        .filter(|s| s.is_open() && **s != State::Submitted)
        .map(|s| s.as_str())
        .collect()
}

type OverdueAt = diesel::dsl::Or<
    diesel::dsl::And<
        diesel::dsl::IsNull<dossiers::paused_since>,
        diesel::dsl::Lt<dossiers::due_at, NaiveDateTime>,
    >,
    diesel::dsl::Gt<dossiers::paused_since, dossiers::due_at>,
>;

/// Past its due instant at `now` (DOMAIN §4; a paused clock is judged at its pause).
fn overdue_at(now: NaiveDateTime) -> OverdueAt {
    dossiers::paused_since
        .is_null()
        .and(dossiers::due_at.lt(now))
        .or(dossiers::paused_since.gt(dossiers::due_at))
}

diesel::define_sql_function! {
    /// When a dossier is due, or (not yet received) when it was filed: its place in the queue.
    #[sql_name = "COALESCE"]
    fn queue_time(
        due: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
        filed: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
        created: diesel::sql_types::Timestamp,
    ) -> diesel::sql_types::Timestamp;
}

/// The filters of a work queue.
#[derive(Debug, Default, Clone)]
pub struct QueueFilter {
    pub state: Option<State>,
    /// Only dossiers overdue at `now` (DOMAIN §4; a paused clock is judged at its pause).
    pub overdue_at: Option<NaiveDateTime>,
    pub assignee: Option<Uuid>,
    pub holder: Option<Uuid>,
    /// Received at this desk.
    pub receiving: Option<Uuid>,
    /// Received at one of these desks (unit ids).
    pub received_at_desks: Option<Vec<String>>,
    /// Resolved by this unit.
    pub resolving: Option<Uuid>,
    pub q: Option<String>,
    /// Every state, final ones too (`state=all`).
    pub all_states: bool,
    /// Received in [from, to).
    pub received_between: Option<(NaiveDateTime, NaiveDateTime)>,
    /// Running (not paused) and due in [from, to).
    pub due_between: Option<(NaiveDateTime, NaiveDateTime)>,
}

/// What a queue search that looks like an identifier matches exactly: the applicant's ID
/// number, or their phone in its national form.
fn exact_identifiers(q: &str) -> Option<(String, Option<String>)> {
    let compact: String = q
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    (digits.len() >= 9 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| {
        (
            compact.clone(),
            crate::accounts::model::normalize_phone(&compact),
        )
    })
}

/// Which holders a staff member's queue covers.
pub enum QueueReach {
    All,
    Unit(Uuid),
    Subtree(String, String),
}

/// The dossiers held in `reach` that match, by due date (undated last), with the total.
pub fn work_queue(
    conn: &mut DbConn,
    reach: &QueueReach,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<DossierRow>, i64)> {
    queue_rows(conn, reach, f, Some((limit, offset)), true)
}

/// A page of the dossiers held in `reach` that match, without counting them all.
pub fn work_queue_page(
    conn: &mut DbConn,
    reach: &QueueReach,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<DossierRow>> {
    Ok(queue_rows(conn, reach, f, Some((limit, offset)), false)?.0)
}

/// How many dossiers held in `reach` match.
pub fn queue_count(conn: &mut DbConn, reach: &QueueReach, f: &QueueFilter) -> AppResult<i64> {
    Ok(queue_rows(conn, reach, f, None, true)?.1)
}

/// The total of a queue (when `count`, or without `window`) and, when `window` is (limit,
/// offset), that page of its rows.
fn queue_rows(
    conn: &mut DbConn,
    reach: &QueueReach,
    f: &QueueFilter,
    window: Option<(i64, i64)>,
    count: bool,
) -> AppResult<(Vec<DossierRow>, i64)> {
    use crate::db::schema::units;
    use crate::db::DbBackend;
    let open = clock_states();
    let pending: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    let terms =
        f.q.as_deref()
            .map(crate::text::query_terms)
            .unwrap_or_default();
    let exact = f.q.as_deref().and_then(exact_identifiers);
    macro_rules! filtered {
        () => {{
            let mut q = dossiers::table
                .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
                .into_boxed::<DbBackend>();
            match reach {
                QueueReach::All => {}
                QueueReach::Unit(u) => q = q.filter(dossiers::holder_unit_id.eq(u.to_string())),
                QueueReach::Subtree(lo, hi) => {
                    q = q.filter(units::path.ge(lo.clone()).and(units::path.lt(hi.clone())))
                }
            }
            match f.state {
                Some(s) => q = q.filter(dossiers::state.eq(s.as_str())),
                None if f.all_states => {}
                // By default the queue is the work still to do: nothing final.
                None => q = q.filter(dossiers::state.eq_any(pending.clone())),
            }
            if let Some(now) = f.overdue_at {
                q = q
                    .filter(dossiers::state.eq_any(open.clone()))
                    .filter(overdue_at(now));
            }
            if let Some(a) = f.assignee {
                q = q.filter(dossiers::assignee_id.eq(a.to_string()));
            }
            if let Some((from, to)) = f.received_between {
                q = q.filter(
                    dossiers::received_at
                        .ge(from)
                        .and(dossiers::received_at.lt(to)),
                );
            }
            if let Some((from, to)) = f.due_between {
                q = q
                    .filter(dossiers::state.eq_any(open.clone()))
                    .filter(dossiers::paused_since.is_null())
                    .filter(dossiers::due_at.ge(from).and(dossiers::due_at.lt(to)));
            }
            if let Some(h) = f.holder {
                q = q.filter(dossiers::holder_unit_id.eq(h.to_string()));
            }
            if let Some(r) = f.resolving {
                q = q.filter(dossiers::unit_id.eq(r.to_string()));
            }
            if let Some(desks) = &f.received_at_desks {
                q = q.filter(
                    dossiers::receiving_unit_id.eq_any(desks.clone()).or(
                        dossiers::receiving_unit_id
                            .is_null()
                            .and(dossiers::unit_id.eq_any(desks.clone())),
                    ),
                );
            }
            if let Some(r) = f.receiving {
                let r = r.to_string();
                q = q.filter(
                    dossiers::receiving_unit_id
                        .eq(r.clone())
                        .or(dossiers::receiving_unit_id
                            .is_null()
                            .and(dossiers::unit_id.eq(r))),
                );
            }
            match &exact {
                // An ID number or a phone (typed or scanned): the exact value, or a code.
                Some((id_number, phone)) => {
                    // A receipt code is digits and dashes too: matched as typed or scanned.
                    let typed = f.q.as_deref().unwrap_or("").trim().to_uppercase();
                    q = q.filter(
                        dossiers::code
                            .eq(typed)
                            .or(dossiers::applicant_id_number.eq(id_number.clone()))
                            .or(dossiers::applicant_phone.eq(phone.clone()))
                            .or(dossiers::search_text
                                .like(crate::db::contains_pattern(id_number))
                                .escape('\\')
                                .nullable()),
                    )
                }
                None => {
                    for t in &terms {
                        q = q.filter(
                            dossiers::search_text
                                .like(crate::db::contains_pattern(t))
                                .escape('\\'),
                        );
                    }
                }
            }
            q
        }};
    }
    let total = match window {
        Some(_) if !count => -1,
        _ => filtered!().count().get_result(conn)?,
    };
    let Some((limit, offset)) = window else {
        return Ok((Vec::new(), total));
    };
    let rows = filtered!()
        // A filing not yet received has no due date: it waits in line by when it was filed,
        // among the dossiers due then (the desk should take it in before later work).
        // A typed function, not an SQL literal: diesel keeps the statement prepared.
        .order((
            queue_time(
                dossiers::due_at,
                dossiers::submitted_at,
                dossiers::created_at,
            )
            .asc(),
            dossiers::created_at.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(DossierRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The columns the queue's state and due-date filters read, all in the index
/// `dossiers_holder_state_due`: counting from them reads no table rows.
#[derive(Debug, Clone, Queryable)]
pub struct QueueFacts {
    pub state: String,
    pub due_at: Option<NaiveDateTime>,
    pub paused_since: Option<NaiveDateTime>,
}

/// `a < b` as SQL has it: false when either is NULL.
fn before(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a < b)
}

impl QueueFilter {
    /// Whether `admits` decides it: it filters on the state, the due date and `overdue`
    /// alone, and finds only work still to do (the web client's tabs, but "received today").
    fn on_facts(&self) -> bool {
        let pending = match self.state {
            Some(s) => !s.is_final(),
            None => !self.all_states || self.overdue_at.is_some() || self.due_between.is_some(),
        };
        pending
            && self.assignee.is_none()
            && self.holder.is_none()
            && self.receiving.is_none()
            && self.received_at_desks.is_none()
            && self.resolving.is_none()
            && self.q.is_none()
            && self.received_between.is_none()
    }

    /// What `work_queue` decides in SQL, for a filter that is `on_facts`.
    pub fn admits(&self, f: &QueueFacts) -> bool {
        let state = State::parse(&f.state);
        let clock = state.is_some_and(|s| s.is_open() && s != State::Submitted);
        let state_ok = match self.state {
            Some(s) => state == Some(s),
            None => self.all_states || state.is_some_and(|s| !s.is_final()),
        };
        let overdue_ok = self.overdue_at.is_none_or(|now| {
            clock
                && ((f.paused_since.is_none() && before(f.due_at, Some(now)))
                    || before(f.due_at, f.paused_since))
        });
        let due_ok = self.due_between.is_none_or(|(from, to)| {
            clock
                && f.paused_since.is_none()
                && f.due_at.is_some_and(|d| d >= from)
                && before(f.due_at, Some(to))
        });
        state_ok && overdue_ok && due_ok
    }
}

/// How many dossiers held in `reach` each filter finds. The filters `admits` decides are
/// counted from one read of the work still to do there (from the index alone); the others
/// one by one.
pub fn queue_counts(
    conn: &mut DbConn,
    reach: &QueueReach,
    filters: &[QueueFilter],
) -> AppResult<Vec<i64>> {
    use crate::db::schema::units;
    use crate::db::DbBackend;
    let mut counts = vec![0; filters.len()];
    if filters.iter().any(QueueFilter::on_facts) {
        let pending: Vec<&str> = State::ALL
            .iter()
            .filter(|s| !s.is_final())
            .map(|s| s.as_str())
            .collect();
        let facts: Vec<QueueFacts> = match reach {
            QueueReach::Unit(u) => dossiers::table
                .filter(dossiers::holder_unit_id.eq(u.to_string()))
                .filter(dossiers::state.eq_any(pending))
                .select((dossiers::state, dossiers::due_at, dossiers::paused_since))
                .load(conn)?,
            _ => {
                let mut q = dossiers::table
                    .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
                    .filter(dossiers::state.eq_any(pending))
                    .select((dossiers::state, dossiers::due_at, dossiers::paused_since))
                    .into_boxed::<DbBackend>();
                if let QueueReach::Subtree(lo, hi) = reach {
                    q = q.filter(units::path.ge(lo.clone()).and(units::path.lt(hi.clone())));
                }
                q.load(conn)?
            }
        };
        for (i, f) in filters.iter().enumerate().filter(|(_, f)| f.on_facts()) {
            counts[i] =
                i64::try_from(facts.iter().filter(|r| f.admits(r)).count()).unwrap_or(i64::MAX);
        }
    }
    for (i, f) in filters.iter().enumerate().filter(|(_, f)| !f.on_facts()) {
        counts[i] = queue_count(conn, reach, f)?;
    }
    Ok(counts)
}

/// The holder (id, name) and procedure code of every dossier held in `reach` and overdue at
/// `now`: the overdue list's counts are made from these.
pub fn overdue_holders(
    conn: &mut DbConn,
    reach: &QueueReach,
    now: NaiveDateTime,
) -> AppResult<Vec<(String, String, String)>> {
    Ok(overdue_facts(conn, reach, None, now)?
        .into_iter()
        .map(|f| (f.holder_id, f.holder_name, f.procedure_code))
        .collect())
}

/// One dossier overdue now: who holds it, the desk that received it, its procedure.
#[derive(Debug, Clone)]
pub struct OverdueFact {
    pub holder_id: String,
    pub holder_name: String,
    /// The receiving desk (the resolving unit where the dossier names none).
    pub desk_id: String,
    pub procedure_code: String,
}

/// The dossiers held in `reach` and, with `desks`, received at one of them, overdue at `now`.
pub fn overdue_facts(
    conn: &mut DbConn,
    reach: &QueueReach,
    desks: Option<&[String]>,
    now: NaiveDateTime,
) -> AppResult<Vec<OverdueFact>> {
    use crate::db::schema::units;
    use crate::db::DbBackend;
    let mut q = dossiers::table
        .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
        .filter(dossiers::state.eq_any(clock_states()))
        .filter(overdue_at(now))
        .select((
            units::id,
            units::name,
            dossiers::receiving_unit_id,
            dossiers::unit_id,
            dossiers::procedure_code,
        ))
        .into_boxed::<DbBackend>();
    if let Some(desks) = desks {
        q = q.filter(
            dossiers::receiving_unit_id
                .eq_any(desks.to_vec())
                .or(dossiers::receiving_unit_id
                    .is_null()
                    .and(dossiers::unit_id.eq_any(desks.to_vec()))),
        );
    }
    match reach {
        QueueReach::All => {}
        QueueReach::Unit(u) => q = q.filter(dossiers::holder_unit_id.eq(u.to_string())),
        QueueReach::Subtree(lo, hi) => {
            q = q.filter(units::path.ge(lo.clone()).and(units::path.lt(hi.clone())))
        }
    }
    let rows: Vec<(String, String, Option<String>, String, String)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(holder_id, holder_name, desk, unit, procedure_code)| OverdueFact {
                holder_id,
                holder_name,
                desk_id: desk.unwrap_or(unit),
                procedure_code,
            },
        )
        .collect())
}

/// How satisfied the applicant was (đánh giá mức độ hài lòng).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    NotSatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::NotSatisfied => "not_satisfied",
        }
    }
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
