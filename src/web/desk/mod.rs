//! The staff pages: the desk's queues, search by code / name / ID / phone, desk intake, the
//! dossier page with its timeline, documents and exactly the actions `allowed_actions` gives,
//! the printed forms, and the officer's and approver's own work.
//!
//! One room per page family: `queue` (the desk's and the officer's queues, search),
//! `dossier` (the dossier page and its actions), `printed` (the printed forms), `documents`
//! (uploads and downloads), `intake` (desk intake).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::view::{self, dossier_table, when, when_opt};
use super::{
    csrf_field, layout, ok, page, see_other, Chrome, Posted, WebError, WebResult, WebUser,
};
use crate::accounts::model::Role;
use crate::catalogue::versions::VersionContents;
use crate::dossiers::forms::FormKind;
use crate::dossiers::model::{Action, State};
use crate::dossiers::service::{PaymentChannel, ReturnChannel};
use crate::dossiers::store::{Channel, DocumentQuantity, Dossier};
use crate::error::AppError;
use crate::services::dossiers::{
    self as service, ActionBody, ApplicantInput, IntakeDossier, QueueQuery, StateFilter,
};
use crate::state::AppState;

mod documents;
mod dossier;
mod intake;
mod printed;
mod queue;

use dossier::{form_of_slug, step_status};
pub use intake::find_procedures;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mot-cua", web::get().to(queue::queues))
        .route("/viec-cua-toi", web::get().to(queue::my_work))
        .route("/tim", web::get().to(queue::search))
        .route("/tiep-nhan", web::get().to(intake::intake_page))
        .route("/tiep-nhan", web::post().to(intake::intake))
        .route("/ho-so/{id}", web::get().to(dossier::dossier_page))
        .route("/ho-so/{id}/xu-ly/{action}", web::post().to(dossier::act))
        .route("/ho-so/{id}/in/{form}", web::get().to(printed::print))
        .route("/ho-so/{id}/tai-lieu", web::post().to(documents::upload))
        .route(
            "/ho-so/{id}/tai-lieu/{doc}",
            web::get().to(documents::download),
        );
}

fn staff_only(user: &WebUser) -> Result<(), WebError> {
    if user.role() == Role::Citizen {
        return Err(AppError::Forbidden.into());
    }
    Ok(())
}

/// One of the desk's queues.
pub fn empty_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A local date and time typed as dd/mm/yyyy HH:MM (as the client shows them, whatever the
/// `http://host:port` as the browser reached us.
pub fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}
