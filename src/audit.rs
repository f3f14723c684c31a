//! Who saw personal data: each time an official reads a dossier (with its applicant's name,
//! ID number, phone and address), prints one of its forms or downloads one of its documents,
//! a record says who, when and what, written before the data is sent (no record, no data).
//! An applicant reading their own dossier is not recorded. Administrators list the records
//! of a dossier or of an account in their scope: `GET /api/v1/access-log`.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::schema::{access_log, users};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::http::{Page, PageParams};

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

    fn parse(s: &str) -> Option<Access> {
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

type Row = (
    chrono::NaiveDateTime,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// Who saw a dossier's personal data, or what an account saw, newest first (administrators;
/// the dossier or account must be in their scope, else 404).
#[utoipa::path(tag = "accounts", params(AccessQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<AccessRecord>)))]
#[get("/access-log")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<AccessQuery>,
) -> AppResult<web::Json<Page<AccessRecord>>> {
    caller.require(&[Role::Admin])?;
    let q = query.into_inner();
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .paging()?;
    if q.dossier_id.is_none() == q.actor_id.is_none() {
        return Err(AppError::invalid(
            "dossier_id",
            "give exactly one of dossier_id and actor_id",
        ));
    }
    let page = state
        .db
        .read(move |c| {
            let mut filter = access_log::table
                .inner_join(users::table.on(users::id.eq(access_log::actor_id)))
                .select((
                    access_log::at,
                    access_log::actor_id,
                    users::username,
                    users::full_name,
                    access_log::actor_role,
                    access_log::action,
                    access_log::dossier_id,
                    access_log::document_id,
                ))
                .into_boxed();
            let mut count = access_log::table.into_boxed();
            if let Some(d) = q.dossier_id {
                crate::dossiers::service::load_visible(c, &caller, d)?;
                filter = filter.filter(access_log::dossier_id.eq(d.to_string()));
                count = count.filter(access_log::dossier_id.eq(d.to_string()));
            }
            if let Some(a) = q.actor_id {
                crate::accounts::routes::managed(c, caller.scope(), a)?;
                filter = filter.filter(access_log::actor_id.eq(a.to_string()));
                count = count.filter(access_log::actor_id.eq(a.to_string()));
            }
            let total: i64 = count.count().get_result(c)?;
            let rows: Vec<Row> = filter
                .order((access_log::at.desc(), access_log::id.desc()))
                .offset(paging.offset())
                .limit(paging.limit())
                .load(c)?;
            let items = rows
                .into_iter()
                .filter_map(
                    |(at, actor, username, name, role, action, dossier, document)| {
                        Some(AccessRecord {
                            at: crate::db::utc(at),
                            actor_id: crate::db::id_of(&actor),
                            actor_username: username,
                            actor_name: name,
                            actor_role: role,
                            action: Access::parse(&action)?,
                            dossier_id: crate::db::id_of(&dossier),
                            document_id: document.as_deref().map(crate::db::id_of),
                        })
                    },
                )
                .collect();
            Ok(Page::new(items, total, paging))
        })
        .await?;
    Ok(web::Json(page))
}
