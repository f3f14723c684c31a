//! Who saw personal data: each time an official reads a dossier (with its applicant's name,
//! ID number, phone and address), prints one of its forms or downloads one of its documents,
//! a record says who, when and what, written before the data is sent (no record, no data).
//! An applicant reading their own dossier is not recorded. Administrators list the records
//! of a dossier or of an account in their scope: `GET /api/v1/access-log`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::db::schema::access_log;
use crate::db::DbConn;
use crate::error::AppResult;

/// What was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// `GET /dossiers/{id}`: the dossier with its applicant.
    ReadDossier,
    /// A printed form (receipt, supplement request, control slip …).
    PrintForm,
    /// A document's file.
    DownloadDocument,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Access::ReadDossier => "read_dossier",
            Access::PrintForm => "print_form",
            Access::DownloadDocument => "download_document",
        }
    }

    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "read_dossier" => Some(Access::ReadDossier),
            "print_form" => Some(Access::PrintForm),
            "download_document" => Some(Access::DownloadDocument),
            _ => None,
        }
    }
}

/// Records that `caller` saw `dossier` (and `document`) now, unless the caller is the
/// applicant (a citizen sees only their own dossiers).
pub fn record(
    conn: &mut DbConn,
    caller: &Caller,
    access: Access,
    dossier: Uuid,
    document: Option<Uuid>,
) -> AppResult<()> {
    if caller.role == Role::Citizen {
        return Ok(());
    }
    diesel::insert_into(access_log::table)
        .values((
            access_log::id.eq(Uuid::now_v7().to_string()),
            access_log::at.eq(crate::db::now()),
            access_log::actor_id.eq(caller.user_id.to_string()),
            access_log::actor_role.eq(caller.role.as_str()),
            access_log::action.eq(access.as_str()),
            access_log::dossier_id.eq(dossier.to_string()),
            access_log::document_id.eq(document.map(|d| d.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// One record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub actor_id: Uuid,
    /// The account's user name and name as they are now.
    pub actor_username: String,
    pub actor_name: String,
    /// The role the account acted in.
    pub actor_role: String,
    pub action: Access,
    pub dossier_id: Uuid,
    pub document_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    /// The records of this dossier (give this or `actor_id`).
    pub dossier_id: Option<Uuid>,
    /// The records of this account.
    pub actor_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

pub type Row = (
    chrono::NaiveDateTime,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);
