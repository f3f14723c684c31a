//! Who saw personal data: each time an official reads a dossier (with its applicant's name,
//! ID number, phone and address), prints one of its forms or downloads one of its documents,
//! a record says who, when and what, written before the data is sent (no record, no data).
//! An applicant reading their own dossier is not recorded. Administrators list the records
//! of a dossier or of an account in their scope: `GET /api/v1/access-log`.

use actix_web::{get, web};
use diesel::prelude::*;

use crate::accounts::model::Role;
use crate::audit::*;
use crate::auth::Caller;
use crate::db::schema::{access_log, users};
use crate::error::{AppError, AppResult};
use crate::http::{Page, PageParams};
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

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
                crate::services::accounts::managed(c, caller.scope(), a)?;
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

/// The `audit` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list);
}
