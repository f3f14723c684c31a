//! Dossier queries, in rooms: `writes` (every change: the new dossier, the daily code sequence
//! allocated by the database so several instances agree, the optimistic-version update that
//! every transition goes through with its history event, the rating), `reads` (one dossier by
//! id, code or idempotency key, a citizen's list), `queue` (the work queues, their filters
//! and counts, the overdue list), `facts` (what the statistics read: dossiers with their
//! histories). The rows and views are here. Services write through `dossiers::ledger`, never
//! these functions directly.

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

mod facts;
mod queue;
mod reads;
mod writes;

pub use facts::*;
pub use queue::*;
pub use reads::*;
pub use writes::*;

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
