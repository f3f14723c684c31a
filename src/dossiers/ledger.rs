//! What the dossier service reads and writes, behind one trait: the database in production
//! (`DbConn`), or an in-memory ledger when `motcua simulate --bulk` runs the same rules over
//! millions of dossiers and writes the outcome in bulk (`crate::simulate::bulk`).

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::store::{self, Changes, DossierRow, NewDossier, NewEvent, Placed, Rating, Transition};
use crate::accounts::store::{self as accounts, UserRow};
use crate::catalogue::store::{self as catalogue, ProcedureDetail};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::units::model::Unit;
use crate::units::store as units;

/// The reads and writes of `dossiers::service`. Each method means what the `store` function
/// of the same name does.
pub trait Ledger {
    fn by_idempotency_key(&mut self, user: Uuid, key: &str) -> AppResult<Option<DossierRow>>;
    /// The current version of the procedure `code`, and whether the procedure is active.
    fn current_procedure(&mut self, code: &str) -> AppResult<Option<(Uuid, bool)>>;
    fn procedure(&mut self, version: Uuid) -> AppResult<Option<Arc<ProcedureDetail>>>;
    fn unit(&mut self, id: Uuid) -> AppResult<Option<Unit>>;
    /// The units above the last one of `path`, from the root down.
    fn ancestors_on_path(&mut self, path: &str) -> AppResult<Vec<Unit>>;
    fn account(&mut self, id: Uuid) -> AppResult<Option<UserRow>>;
    fn next_sequence(&mut self, prefix: &str, day: NaiveDate) -> AppResult<i32>;
    fn placed(&mut self, id: Uuid) -> AppResult<Option<Placed>>;
    fn insert(&mut self, new: NewDossier<'_>) -> AppResult<DossierRow>;
    fn record(&mut self, e: NewEvent<'_>) -> AppResult<()>;
    fn apply(
        &mut self,
        row: &DossierRow,
        ch: Changes,
        step: Transition<'_>,
        at: NaiveDateTime,
    ) -> AppResult<DossierRow>;
    fn rate(
        &mut self,
        dossier: Uuid,
        rating: Rating,
        comment: Option<&str>,
        at: NaiveDateTime,
    ) -> AppResult<()>;
}

impl Ledger for DbConn {
    fn by_idempotency_key(&mut self, user: Uuid, key: &str) -> AppResult<Option<DossierRow>> {
        store::by_idempotency_key(self, user, key)
    }

    fn current_procedure(&mut self, code: &str) -> AppResult<Option<(Uuid, bool)>> {
        catalogue::current_version(self, code)
    }

    fn procedure(&mut self, version: Uuid) -> AppResult<Option<Arc<ProcedureDetail>>> {
        catalogue::version_content(self, version)
    }

    fn unit(&mut self, id: Uuid) -> AppResult<Option<Unit>> {
        units::get(self, id)
    }

    fn ancestors_on_path(&mut self, path: &str) -> AppResult<Vec<Unit>> {
        units::ancestors_on_path(self, path)
    }

    fn account(&mut self, id: Uuid) -> AppResult<Option<UserRow>> {
        accounts::get(self, id)
    }

    fn next_sequence(&mut self, prefix: &str, day: NaiveDate) -> AppResult<i32> {
        store::next_sequence(self, prefix, day)
    }

    fn placed(&mut self, id: Uuid) -> AppResult<Option<Placed>> {
        store::get_placed(self, id)
    }

    fn insert(&mut self, new: NewDossier<'_>) -> AppResult<DossierRow> {
        store::insert(self, new)
    }

    fn record(&mut self, e: NewEvent<'_>) -> AppResult<()> {
        store::record(self, e)
    }

    fn apply(
        &mut self,
        row: &DossierRow,
        ch: Changes,
        step: Transition<'_>,
        at: NaiveDateTime,
    ) -> AppResult<DossierRow> {
        store::apply(self, row, ch, step, at)
    }

    fn rate(
        &mut self,
        dossier: Uuid,
        rating: Rating,
        comment: Option<&str>,
        at: NaiveDateTime,
    ) -> AppResult<()> {
        store::rate(self, dossier, rating, comment, at)
    }
}
