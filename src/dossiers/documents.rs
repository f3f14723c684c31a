//! Documents attached to a dossier: the applicant's papers (at intake, or as a supplement) and
//! the result. Who may attach what, and when; the rows that point into the document store;
//! and the two flags the service index reads per dossier (documents digitised at intake,
//! electronic result), kept in the same transaction as each attachment.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::State;
use super::service;
use super::store::Placed;
use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::blobs::Stored;
use crate::db::schema::{dossier_documents, dossiers};
use crate::db::{id_of, utc, DbConn};
use crate::error::{AppError, AppResult, Validator};

/// What a document is to the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// One of the papers the dossier was filed with (attachable while it is at the desk).
    Application,
    /// Sent in answer to a supplement request (Mẫu 02).
    Supplement,
    /// The result: the signed decision, licence or certificate.
    Result,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Application => "application",
            DocumentKind::Supplement => "supplement",
            DocumentKind::Result => "result",
        }
    }
    fn parse(s: &str) -> DocumentKind {
        match s {
            "supplement" => DocumentKind::Supplement,
            "result" => DocumentKind::Result,
            _ => DocumentKind::Application,
        }
    }
}

/// How an upload describes itself (query parameters; the body is the file).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Attach {
    pub kind: DocumentKind,
    /// Position in the procedure's required documents that this copy stands for.
    pub required_index: Option<u32>,
    /// The file's name as the uploader knows it (kept for downloads; up to 200 characters).
    pub filename: Option<String>,
    /// Scanned from the paper original at the desk (staff only).
    #[serde(default)]
    pub digitised: bool,
}

/// A file's raw bytes (the upload's body, a download's answer).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub dossier_id: Uuid,
    pub kind: DocumentKind,
    pub required_index: Option<i32>,
    pub filename: String,
    /// Recognised from the content, not taken from the upload's headers.
    pub media_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub digitised: bool,
    pub uploaded_by: Option<Uuid>,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = dossier_documents)]
struct DocumentRow {
    id: String,
    dossier_id: String,
    kind: String,
    required_index: Option<i32>,
    filename: String,
    media_type: String,
    size_bytes: i64,
    sha256: String,
    digitised: bool,
    uploaded_by: Option<String>,
    uploaded_at: NaiveDateTime,
}

impl DocumentRow {
    fn view(self) -> Document {
        Document {
            id: id_of(&self.id),
            dossier_id: id_of(&self.dossier_id),
            kind: DocumentKind::parse(&self.kind),
            required_index: self.required_index,
            filename: self.filename,
            media_type: self.media_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            digitised: self.digitised,
            uploaded_by: self.uploaded_by.as_deref().map(id_of),
            uploaded_at: utc(self.uploaded_at),
        }
    }
}

/// Whether `caller` may attach a document of `kind` to the dossier now: 403 for the wrong
/// role or place, 409 naming the state when the dossier is past (or not yet at) that point.
pub fn may_attach(
    caller: &Caller,
    p: &Placed,
    kind: DocumentKind,
    digitised: bool,
) -> AppResult<()> {
    let row = &p.row;
    let state = row.state();
    let (states, roles): (&[State], &[Role]) = match kind {
        DocumentKind::Application => (
            &[State::Submitted, State::Received],
            &[Role::Citizen, Role::Clerk],
        ),
        DocumentKind::Supplement => (
            &[State::SupplementRequested],
            &[Role::Citizen, Role::Clerk, Role::Officer],
        ),
        DocumentKind::Result => (
            &[State::InProgress, State::AwaitingApproval, State::Resolved],
            &[Role::Officer, Role::Approver, Role::Clerk],
        ),
    };
    caller.require(roles)?;
    if caller.role == Role::Citizen && digitised {
        return Err(AppError::invalid(
            "digitised",
            "only the desk marks a copy as scanned from the paper original",
        ));
    }
    // A citizen attaches to their own dossier only until the desk has taken it in.
    if caller.role == Role::Citizen
        && kind == DocumentKind::Application
        && state != State::Submitted
    {
        return Err(AppError::Conflict(format!(
            "the dossier is `{}`: the desk adds copies now",
            state.as_str()
        )));
    }
    service::require_at_holder(caller, p, kind != DocumentKind::Result)?;
    let denied = state == State::Resolved && row.outcome.as_deref() != Some("approved");
    if !states.contains(&state) || denied {
        return Err(AppError::Conflict(format!(
            "a {} document cannot be attached to a dossier in state `{}`",
            kind.as_str(),
            state.as_str()
        )));
    }
    Ok(())
}

/// A file name safe to keep and to send back: no directories or control characters, at most
/// 200 characters; `tai-lieu` when none is given.
pub fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    match cleaned.trim() {
        "" | "." | ".." => "tai-lieu".to_owned(),
        t => t.to_owned(),
    }
}

/// Everything that decides whether this upload may be recorded: the dossier in scope (404),
/// the caller's role and place (403), its state (409) and the parameters (422). Run before the
/// bytes are taken and again in the transaction that records them.
pub fn check(
    conn: &mut DbConn,
    caller: &Caller,
    dossier: Uuid,
    input: &Attach,
) -> AppResult<Placed> {
    let placed = service::load_placed(conn, caller, dossier)?;
    may_attach(caller, &placed, input.kind, input.digitised)?;
    if let Some(i) = input.required_index {
        let p = crate::catalogue::store::version_content(
            conn,
            id_of(&placed.row.procedure_version_id),
        )?
        .ok_or(AppError::NotFound)?;
        let n = p.required_documents.len();
        let mut v = Validator::new();
        v.check(
            (i as usize) < n,
            "required_index",
            format!("must be a position below {n}"),
        );
        v.check(
            input.kind != DocumentKind::Result,
            "required_index",
            "a result stands for no required document",
        );
        v.finish()?;
    }
    Ok(placed)
}

/// Records an uploaded file against the dossier, after checking again (in this transaction)
/// that the caller may, and updates the dossier's flags. The file is already in the store.
pub fn attach(
    conn: &mut DbConn,
    caller: &Caller,
    dossier: Uuid,
    input: &Attach,
    stored: &Stored,
    at: NaiveDateTime,
) -> AppResult<Document> {
    let placed = check(conn, caller, dossier, input)?;
    let row = &placed.row;
    // Take the dossier's row lock first (PostgreSQL), so that concurrent attachments
    // recompute the flags one after the other and the last one sees every copy.
    diesel::update(dossiers::table.find(&row.id))
        .set(dossiers::documents_digitised.eq(dossiers::documents_digitised))
        .execute(conn)?;
    let id = Uuid::now_v7();
    diesel::insert_into(dossier_documents::table)
        .values((
            dossier_documents::id.eq(id.to_string()),
            dossier_documents::dossier_id.eq(&row.id),
            dossier_documents::kind.eq(input.kind.as_str()),
            dossier_documents::required_index.eq(input
                .required_index
                .map(|i| i32::try_from(i).unwrap_or(i32::MAX))),
            dossier_documents::filename.eq(clean_filename(input.filename.as_deref())),
            dossier_documents::media_type.eq(stored.media_type),
            dossier_documents::size_bytes.eq(i64::try_from(stored.size).unwrap_or(i64::MAX)),
            dossier_documents::sha256.eq(&stored.sha256),
            dossier_documents::digitised.eq(input.digitised),
            dossier_documents::uploaded_by.eq(caller.user_id.to_string()),
            dossier_documents::uploaded_at.eq(at),
        ))
        .execute(conn)?;
    let provided: Vec<u32> = serde_json::from_str(&row.documents).unwrap_or_default();
    let copies: Vec<(String, Option<i32>)> = dossier_documents::table
        .filter(dossier_documents::dossier_id.eq(&row.id))
        .select((dossier_documents::kind, dossier_documents::required_index))
        .load(conn)?;
    let (digitised, electronic) = flags(&provided, &copies);
    diesel::update(dossiers::table.find(&row.id))
        .set((
            dossiers::documents_digitised.eq(digitised),
            dossiers::result_electronic.eq(electronic),
        ))
        .execute(conn)?;
    get(conn, dossier, id)?.ok_or(AppError::NotFound)
}

/// The dossier's flags from its attachments: documents digitised at intake (each provided
/// document has an application copy, and at least one was provided) and an electronic result.
pub fn flags(provided: &[u32], copies: &[(String, Option<i32>)]) -> (bool, bool) {
    let has_copy = |pos: u32| {
        copies.iter().any(|(kind, index)| {
            kind == DocumentKind::Application.as_str() && *index == i32::try_from(pos).ok()
        })
    };
    let digitised = !provided.is_empty() && provided.iter().all(|p| has_copy(*p));
    let electronic = copies
        .iter()
        .any(|(kind, _)| kind == DocumentKind::Result.as_str());
    (digitised, electronic)
}

pub fn list(conn: &mut DbConn, dossier: Uuid) -> AppResult<Vec<Document>> {
    Ok(dossier_documents::table
        .filter(dossier_documents::dossier_id.eq(dossier.to_string()))
        .order(dossier_documents::uploaded_at.asc())
        .select(DocumentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(DocumentRow::view)
        .collect())
}

/// One document of one dossier (None if it belongs to another).
pub fn get(conn: &mut DbConn, dossier: Uuid, id: Uuid) -> AppResult<Option<Document>> {
    Ok(dossier_documents::table
        .find(id.to_string())
        .filter(dossier_documents::dossier_id.eq(dossier.to_string()))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?
        .map(DocumentRow::view))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(kind: DocumentKind, i: Option<i32>) -> (String, Option<i32>) {
        (kind.as_str().to_owned(), i)
    }

    #[test]
    fn digitised_needs_a_copy_of_every_provided_document() {
        let copies = [
            copy(DocumentKind::Application, Some(0)),
            copy(DocumentKind::Application, Some(2)),
            copy(DocumentKind::Supplement, Some(1)),
        ];
        assert_eq!(flags(&[0, 2], &copies), (true, false));
        // Position 1 has only a supplement copy, which came after intake.
        assert_eq!(flags(&[0, 1, 2], &copies), (false, false));
        // Nothing provided: nothing was digitised.
        assert_eq!(flags(&[], &copies), (false, false));
        let with_result = [copy(DocumentKind::Result, None)];
        assert_eq!(flags(&[], &with_result), (false, true));
    }

    #[test]
    fn filenames_lose_directories_and_control_characters() {
        assert_eq!(clean_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            clean_filename(Some("C:\\Users\\a\\Giấy khai sinh.pdf")),
            "Giấy khai sinh.pdf"
        );
        assert_eq!(clean_filename(Some("a\u{0}b\"c\n.pdf")), "abc.pdf");
        assert_eq!(clean_filename(Some("..")), "tai-lieu");
        assert_eq!(clean_filename(None), "tai-lieu");
        assert_eq!(clean_filename(Some(&"x".repeat(500))).chars().count(), 200);
    }
}
