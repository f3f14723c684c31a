//! `motcua simulate --bulk`: the same simulation at national scale. Every dossier is filed and
//! carried through its workflow by the same service functions (`dossiers::service`, every
//! rule, deadline and history event), but against an in-memory ledger (`Memory`) holding the
//! units, catalogue, staff and code sequences; each batch's outcome — dossiers, events,
//! ratings and their statistics contributions — is then written in one transaction with
//! multi-row inserts. What the desks would write one change at a time arrives in a few large
//! statements, which is what makes tens of millions of dossiers loadable.
//!
//! Meant for a database whose provinces nobody is working in meanwhile: the code sequences are
//! read when a province starts and written back after each batch.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::{Options, Outcome, Province};
use crate::accounts::store::{self as accounts, UserRow};
use crate::catalogue::store::{self as catalogue, ProcedureDetail};
use crate::db::schema::{dossier_events, dossier_ratings, dossier_sequences, dossiers};
use crate::db::{Db, DbConn};
use crate::dossiers::ledger::Ledger;
use crate::dossiers::store::{
    self as store, Changes, DossierRecord, DossierRow, EventRecord, Filed, NewDossier, NewEvent,
    Placed, Rating, Transition,
};
use crate::error::{AppError, AppResult};
use crate::units::model::{path_ids, Unit};

/// Runs `$q` on the backend's own connection (batch inserts and upserts are not in the
/// multi-backend query builder).
macro_rules! on_backend {
    ($conn:expr, $c:ident => $q:expr) => {
        match $conn {
            DbConn::Postgres($c) => $q,
            DbConn::Sqlite($c) => $q,
        }
    };
}

/// The service's reads answered from memory, its writes kept for one batch.
pub struct Memory {
    units: HashMap<Uuid, Unit>,
    procedures: HashMap<String, (Uuid, bool)>,
    versions: HashMap<Uuid, Arc<ProcedureDetail>>,
    accounts: HashMap<Uuid, UserRow>,
    sequences: HashMap<(String, NaiveDate), i32>,
    /// Sequences changed since the last flush.
    touched: Vec<(String, NaiveDate)>,
    dossiers: HashMap<Uuid, DossierRecord>,
    events: Vec<EventRecord>,
    ratings: HashMap<Uuid, (Rating, NaiveDateTime)>,
}

impl Memory {
    /// Everything the service reads for dossiers filed by `staff` between `from` and `to`.
    pub fn load(
        conn: &mut DbConn,
        staff: &[Uuid],
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<Memory> {
        let units = crate::units::store::all(conn)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut procedures = HashMap::new();
        let mut versions = HashMap::new();
        for p in catalogue::all_current(conn)? {
            if let Some(content) = catalogue::version_content(conn, p.version_id)? {
                versions.insert(p.version_id, content);
            }
            procedures.insert(p.code, (p.version_id, p.active));
        }
        let mut people = HashMap::new();
        for id in staff {
            if let Some(u) = accounts::get(conn, *id)? {
                people.insert(*id, u);
            }
        }
        let sequences = dossier_sequences::table
            .filter(dossier_sequences::day.ge(from - Duration::days(1)))
            .filter(dossier_sequences::day.le(to + Duration::days(1)))
            .select((
                dossier_sequences::prefix,
                dossier_sequences::day,
                dossier_sequences::last,
            ))
            .load::<(String, NaiveDate, i32)>(conn)?
            .into_iter()
            .map(|(prefix, day, last)| ((prefix, day), last))
            .collect();
        Ok(Memory {
            units,
            procedures,
            versions,
            accounts: people,
            sequences,
            touched: Vec::new(),
            dossiers: HashMap::new(),
            events: Vec::new(),
            ratings: HashMap::new(),
        })
    }

    /// Writes the batch (dossiers, events, ratings, code sequences) and folds it into the
    /// statistics, all in the caller's transaction; the ledger is then empty.
    pub fn flush(&mut self, conn: &mut DbConn) -> AppResult<()> {
        let records: Vec<DossierRecord> = self.dossiers.drain().map(|(_, r)| r).collect();
        let events = std::mem::take(&mut self.events);
        let ratings = std::mem::take(&mut self.ratings);
        // The marks the triggers are about to write are all above this id.
        let marks_before: i64 = crate::db::schema::stat_dirty::table
            .select(diesel::dsl::max(crate::db::schema::stat_dirty::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0);
        match conn {
            // Binary COPY: no statement to parse, no parameters to bind.
            DbConn::Postgres(c) => {
                for chunk in records.chunks(400) {
                    diesel::insert_into(dossiers::table)
                        .values(chunk)
                        .execute(c)?;
                }
                diesel::copy_from(dossier_events::table)
                    .from_insertable(&events)
                    .execute(c)?;
            }
            // Below SQLite's bound-parameter limit (40 and 15 columns a row).
            DbConn::Sqlite(c) => {
                for chunk in records.chunks(400) {
                    diesel::insert_into(dossiers::table)
                        .values(chunk)
                        .execute(c)?;
                }
                for chunk in events.chunks(2_000) {
                    diesel::insert_into(dossier_events::table)
                        .values(chunk)
                        .execute(c)?;
                }
            }
        }
        let rating_rows: Vec<_> = ratings
            .iter()
            .map(|(id, (rating, at))| {
                (
                    dossier_ratings::dossier_id.eq(id.to_string()),
                    dossier_ratings::rating.eq(rating.as_str()),
                    dossier_ratings::created_at.eq(*at),
                )
            })
            .collect();
        for chunk in rating_rows.chunks(2_000) {
            let insert = diesel::insert_into(dossier_ratings::table).values(chunk);
            on_backend!(conn, c => insert.execute(c))?;
        }
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        let sequence_rows: Vec<_> = touched
            .iter()
            .filter_map(|key| {
                let last = self.sequences.get(key)?;
                Some((
                    dossier_sequences::prefix.eq(key.0.as_str()),
                    dossier_sequences::day.eq(key.1),
                    dossier_sequences::last.eq(*last),
                ))
            })
            .collect();
        for chunk in sequence_rows.chunks(2_000) {
            let upsert = diesel::insert_into(dossier_sequences::table)
                .values(chunk)
                .on_conflict((dossier_sequences::prefix, dossier_sequences::day))
                .do_update()
                .set(dossier_sequences::last.eq(excluded(dossier_sequences::last)));
            on_backend!(conn, c => upsert.execute(c))?;
        }
        // Their statistics: folded here from the lives in hand, and the triggers' marks of
        // these dossiers (all written in this transaction) removed.
        let mut histories: HashMap<&str, Vec<store::Event>> = HashMap::new();
        for e in &events {
            histories.entry(e.dossier_id()).or_default().push(e.event());
        }
        let lives: Vec<(Filed, Vec<store::Event>)> = records
            .iter()
            .map(|r| {
                let rating = ratings
                    .get(&r.row.uuid())
                    .map(|(rating, at)| (rating.as_str().to_owned(), *at));
                let mut history = histories.remove(r.row.id.as_str()).unwrap_or_default();
                history.sort_by_key(|e| e.seq);
                (Filed::of(&r.row, rating), history)
            })
            .collect();
        crate::stats::fast::fold_new(conn, &lives)?;
        let ids: Vec<&str> = records.iter().map(|r| r.row.id.as_str()).collect();
        for chunk in ids.chunks(1_000) {
            use crate::db::schema::stat_dirty::dsl as d;
            diesel::delete(
                d::stat_dirty
                    .filter(d::id.gt(marks_before))
                    .filter(d::dossier_id.eq_any(chunk)),
            )
            .execute(conn)?;
        }
        Ok(())
    }
}

impl Ledger for Memory {
    fn by_idempotency_key(&mut self, user: Uuid, key: &str) -> AppResult<Option<DossierRow>> {
        let user = user.to_string();
        Ok(self
            .dossiers
            .values()
            .find(|r| {
                r.row.applicant_user_id.as_deref() == Some(user.as_str())
                    && r.idempotency_key.as_deref() == Some(key)
            })
            .map(|r| r.row.clone()))
    }

    fn current_procedure(&mut self, code: &str) -> AppResult<Option<(Uuid, bool)>> {
        Ok(self.procedures.get(code).copied())
    }

    fn procedure(&mut self, version: Uuid) -> AppResult<Option<Arc<ProcedureDetail>>> {
        Ok(self.versions.get(&version).cloned())
    }

    fn unit(&mut self, id: Uuid) -> AppResult<Option<Unit>> {
        Ok(self.units.get(&id).cloned())
    }

    fn ancestors_on_path(&mut self, path: &str) -> AppResult<Vec<Unit>> {
        let mut ids = path_ids(path);
        ids.pop();
        Ok(ids
            .iter()
            .filter_map(|id| self.units.get(id).cloned())
            .collect())
    }

    fn account(&mut self, id: Uuid) -> AppResult<Option<UserRow>> {
        Ok(self.accounts.get(&id).cloned())
    }

    fn next_sequence(&mut self, prefix: &str, day: NaiveDate) -> AppResult<i32> {
        let key = (prefix.to_owned(), day);
        let last = self.sequences.entry(key.clone()).or_insert(0);
        *last += 1;
        let n = *last;
        self.touched.push(key);
        if self.touched.len() > 4 * 1024 {
            self.touched.sort_unstable();
            self.touched.dedup();
        }
        Ok(n)
    }

    fn placed(&mut self, id: Uuid) -> AppResult<Option<Placed>> {
        let Some(record) = self.dossiers.get(&id) else {
            return Ok(None);
        };
        let row = record.row.clone();
        let (Some(filed), Some(holder)) =
            (self.units.get(&row.unit()), self.units.get(&row.holder()))
        else {
            return Ok(None);
        };
        Ok(Some(Placed {
            filed_name: filed.name.clone(),
            filed_level: filed.level,
            filed_path: filed.path.clone(),
            filed_valid_to: filed.valid_to,
            holder_path: holder.path.clone(),
            receiving_path: row
                .receiving_unit_id
                .as_ref()
                .and_then(|_| self.units.get(&row.receiving()))
                .map(|u| u.path.clone()),
            row,
        }))
    }

    fn insert(&mut self, new: NewDossier<'_>) -> AppResult<DossierRow> {
        let record = store::new_record(new)?;
        let row = record.row.clone();
        self.dossiers.insert(row.uuid(), record);
        Ok(row)
    }

    fn record(&mut self, e: NewEvent<'_>) -> AppResult<()> {
        self.events.push(EventRecord::new(e));
        Ok(())
    }

    fn apply(
        &mut self,
        row: &DossierRow,
        ch: Changes,
        step: Transition<'_>,
        at: NaiveDateTime,
    ) -> AppResult<DossierRow> {
        let record = self
            .dossiers
            .get_mut(&row.uuid())
            .filter(|r| r.row.version == row.version)
            .ok_or_else(|| store::changed_meanwhile(row))?;
        let next = store::next_row(row, ch, at);
        self.events.push(EventRecord::new(step.event(&next, at)));
        record.row = next.clone();
        Ok(next)
    }

    fn rate(
        &mut self,
        dossier: Uuid,
        rating: Rating,
        _comment: Option<&str>,
        at: NaiveDateTime,
    ) -> AppResult<()> {
        if !self.dossiers.contains_key(&dossier) {
            return Err(AppError::NotFound);
        }
        if self.ratings.contains_key(&dossier) {
            return Err(AppError::Conflict(
                "this dossier has been rated already".to_owned(),
            ));
        }
        self.ratings.insert(dossier, (rating, at));
        Ok(())
    }
}

/// As `simulate::run`, through the in-memory ledger: `o.batch` dossiers per transaction
/// (a few thousand suit it). `progress` is told how many are done after each batch.
pub fn run(db: &Db, o: &Options, progress: &dyn Fn(usize)) -> AppResult<Outcome> {
    let province = Province::prepare(db, &o.province, o.from, o.seed)?;
    fill(db, &province, o, progress)
}

/// `run` for a province already prepared.
fn fill(db: &Db, province: &Province, o: &Options, progress: &dyn Fn(usize)) -> AppResult<Outcome> {
    let mut memory = db.read_blocking(|c| Memory::load(c, &province.staff(), o.from, o.to))?;
    let mut rng = StdRng::seed_from_u64(o.seed.wrapping_add(1));
    let now = Utc::now();
    let days = (o.to - o.from).num_days().max(1);
    let (mut filed, mut transitions) = (0, 0);
    let batch = o.batch.max(1);
    while filed < o.dossiers {
        let n = batch.min(o.dossiers - filed);
        for _ in 0..n {
            let day = o.from + Duration::days(rng.gen_range(0..days));
            transitions += province.file(&mut memory, &mut rng, day, now)?;
        }
        db.write_blocking(|c| memory.flush(c))?;
        filed += n;
        progress(filed);
    }
    Ok(Outcome {
        province: province.unit.clone(),
        filed,
        transitions,
    })
}

/// What `national` filled.
#[derive(Debug, Clone)]
pub struct National {
    pub provinces: Vec<Unit>,
    pub filed: usize,
    pub transitions: usize,
}

/// The whole country at scale: `count` model provinces (`seed::load_model_provinces`,
/// created if missing) share `o.dossiers` evenly, each filled by `run` with its own seed
/// (`o.province` is not used), `workers` provinces at a time on their own connections (the
/// provinces share no rows, so their writes do not wait on each other; each worker's
/// simulation runs while the other's batch is being written). `progress` is told the running
/// total. The outcome does not depend on `workers`.
pub fn national(
    db: &Db,
    count: usize,
    workers: usize,
    o: &Options,
    progress: &(dyn Fn(usize) + Sync),
) -> AppResult<National> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if o.from < crate::seed::model_from() {
        return Err(AppError::invalid(
            "from",
            format!("model provinces exist from {}", crate::seed::model_from()),
        ));
    }
    let codes = db.write_blocking(|c| crate::seed::load_model_provinces(c, count.max(1)))?;
    let seed = |i: usize| o.seed.wrapping_add(i as u64 * 7919);
    // Prepared one after another: they share the simulated citizen, made by the first.
    let prepared = codes
        .iter()
        .enumerate()
        .map(|(i, code)| Province::prepare(db, code, o.from, seed(i)))
        .collect::<AppResult<Vec<_>>>()?;
    let share = o.dossiers / codes.len();
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    // Each worker takes the next province left and returns what it filled, by index.
    let work = || -> AppResult<Vec<(usize, Outcome)>> {
        let mut filled = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(province) = prepared.get(i) else {
                return Ok(filled);
            };
            let dossiers = if i + 1 == codes.len() {
                o.dossiers - share * i
            } else {
                share
            };
            let reported = std::cell::Cell::new(0);
            let outcome = fill(
                db,
                province,
                &Options {
                    province: codes[i].clone(),
                    dossiers,
                    seed: seed(i),
                    ..o.clone()
                },
                &|n| {
                    let step = n - reported.replace(n);
                    progress(done.fetch_add(step, Ordering::Relaxed) + step);
                },
            )?;
            filled.push((i, outcome));
        }
    };
    let mut outcomes: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, codes.len()))
            .map(|_| scope.spawn(work))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(AppError::internal(std::io::Error::other(
                        "a simulation worker panicked",
                    )))
                })
            })
            .collect::<AppResult<Vec<_>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    outcomes.sort_by_key(|(i, _)| *i);
    let mut out = National {
        provinces: Vec::with_capacity(codes.len()),
        filed: 0,
        transitions: 0,
    };
    for (_, outcome) in outcomes {
        out.filed += outcome.filed;
        out.transitions += outcome.transitions;
        out.provinces.push(outcome.province);
    }
    Ok(out)
}
