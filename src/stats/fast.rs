//! The fast path: the figures read from bucket sums (`stat_buckets`) instead of every
//! dossier's history.
//!
//! - Each change of a dossier (a transition, a document, a rating) marks it in `stat_dirty`,
//!   by trigger, in the change's own transaction: the desk pays one small insert.
//! - A folding worker (`fold_pending`, one at a time across instances) takes a batch of marked
//!   dossiers, computes each one's contribution afresh (`buckets::contribution`), takes back the
//!   contribution it had folded before (kept in `stat_folds`), adds the new one to the day,
//!   month and year buckets of its unit, and of its unit and procedure version, and deletes the
//!   marks it read — all in one transaction.
//! - A report reads, in one snapshot, the buckets the period needs (a few rows per unit) plus
//!   the dossiers still marked in its subtree, whose fresh contributions replace their folded
//!   ones in memory. So the answer is exact at its snapshot whether or not the worker is behind.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::buckets::{self, contribution, Counter, Counts, Grain, Part};
use super::model::{Figures, Period};
use super::reference::{self, Computed, GroupBy, Tree};
use crate::db::schema::{stat_buckets, stat_dirty, stat_folds};
use crate::db::DbConn;
use crate::dossiers::store as dossiers;
use crate::error::{AppError, AppResult};
use crate::units::model::Unit;

/// Bucket rows are kept per unit, and per unit and procedure version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    Unit,
    Procedure,
}

fn grain_code(level: Level, g: Grain) -> i16 {
    let base = match level {
        Level::Unit => 0,
        Level::Procedure => 3,
    };
    base + match g {
        Grain::Day => 0,
        Grain::Month => 1,
        Grain::Year => 2,
    }
}

fn grain_of(code: i16) -> Option<Grain> {
    match code % 3 {
        0 => Some(Grain::Day),
        1 => Some(Grain::Month),
        2 => Some(Grain::Year),
        _ => None,
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = stat_buckets)]
struct BucketRow {
    grain: i16,
    unit_id: String,
    bucket: i32,
    procedure_version_id: String,
    new_all: i64,
    new_online: i64,
    new_desk: i64,
    new_post: i64,
    early: i64,
    on_time: i64,
    late: i64,
    withdrawn: i64,
    rejected: i64,
    stopped: i64,
    digitised: i64,
    fully_online: i64,
    result_electronic: i64,
    paid: i64,
    paid_online: i64,
    rated: i64,
    satisfied: i64,
    open_change: i64,
    overdue_change: i64,
}

impl BucketRow {
    fn new(key: &Key, c: &Counts) -> BucketRow {
        let [new_all, new_online, new_desk, new_post, early, on_time, late, withdrawn, rejected, stopped, digitised, fully_online, result_electronic, paid, paid_online, rated, satisfied, open_change, overdue_change] =
            c.0;
        BucketRow {
            grain: key.0,
            unit_id: key.1.clone(),
            bucket: key.2,
            procedure_version_id: key.3.clone(),
            new_all,
            new_online,
            new_desk,
            new_post,
            early,
            on_time,
            late,
            withdrawn,
            rejected,
            stopped,
            digitised,
            fully_online,
            result_electronic,
            paid,
            paid_online,
            rated,
            satisfied,
            open_change,
            overdue_change,
        }
    }

    fn counts(&self) -> Counts {
        Counts([
            self.new_all,
            self.new_online,
            self.new_desk,
            self.new_post,
            self.early,
            self.on_time,
            self.late,
            self.withdrawn,
            self.rejected,
            self.stopped,
            self.digitised,
            self.fully_online,
            self.result_electronic,
            self.paid,
            self.paid_online,
            self.rated,
            self.satisfied,
            self.open_change,
            self.overdue_change,
        ])
    }
}

/// (grain code, unit id, bucket, procedure version id or "").
type Key = (i16, String, i32, String);

/// Adds one dossier's contribution (`sign` 1) or takes it back (`sign` −1).
fn spread(unit: &str, version: &str, parts: &[Part], sign: i64, into: &mut HashMap<Key, Counts>) {
    for p in parts {
        for g in Grain::ALL {
            let bucket = g.bucket(p.day);
            for (level, v) in [(Level::Unit, ""), (Level::Procedure, version)] {
                into.entry((grain_code(level, g), unit.to_owned(), bucket, v.to_owned()))
                    .or_default()
                    .bump(p.counter, sign * p.delta);
            }
        }
    }
}

/// A contribution as stored: `[[day, counter, delta], …]`.
fn encode(parts: &[Part]) -> String {
    let rows: Vec<(i32, u8, i64)> = parts
        .iter()
        .map(|p| (p.day, p.counter as u8, p.delta))
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}

fn decode(text: &str) -> AppResult<Vec<Part>> {
    let rows: Vec<(i32, u8, i64)> = serde_json::from_str(text).map_err(AppError::internal)?;
    rows.into_iter()
        .map(|(day, c, delta)| {
            let counter = Counter::ALL
                .get(usize::from(c))
                .copied()
                .ok_or_else(|| AppError::internal(std::io::Error::other("bad stored counter")))?;
            Ok(Part {
                day,
                counter,
                delta,
            })
        })
        .collect()
}

/// The folded contributions of `ids`.
fn folded(conn: &mut DbConn, ids: &[String]) -> AppResult<HashMap<String, Vec<Part>>> {
    let rows: Vec<(String, String)> = stat_folds::table
        .filter(stat_folds::dossier_id.eq_any(ids))
        .select((stat_folds::dossier_id, stat_folds::parts))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, parts)| Ok((id, decode(&parts)?)))
        .collect()
}

/// For dossiers `ids`: the change to the buckets that folding them in now makes (the fresh
/// contribution less the folded one), and each fresh contribution.
fn refold(
    conn: &mut DbConn,
    ids: &[String],
    delta: &mut HashMap<Key, Counts>,
) -> AppResult<Vec<(String, Vec<Part>)>> {
    let mut fresh = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let old = folded(conn, chunk)?;
        for (filed, history) in dossiers::filed_by_ids(conn, chunk)? {
            let parts = contribution(&reference::life_of(&filed, &history));
            let (unit, version) = (&filed.unit_id, &filed.procedure_version_id);
            if let Some(old) = old.get(&filed.id) {
                spread(unit, version, old, -1, delta);
            }
            spread(unit, version, &parts, 1, delta);
            fresh.push((filed.id, parts));
        }
    }
    Ok(fresh)
}

/// Folds in dossiers written in the caller's transaction and never folded before, from their
/// lives in hand (the bulk simulation): their contributions are added to the buckets and
/// stored. Their marks are the caller's to remove.
pub fn fold_new(
    conn: &mut DbConn,
    lives: &[(dossiers::Filed, Vec<dossiers::Event>)],
) -> AppResult<()> {
    let mut delta = HashMap::new();
    let mut fresh = Vec::with_capacity(lives.len());
    for (filed, history) in lives {
        let parts = contribution(&reference::life_of(filed, history));
        spread(
            &filed.unit_id,
            &filed.procedure_version_id,
            &parts,
            1,
            &mut delta,
        );
        fresh.push((filed.id.clone(), parts));
    }
    write_buckets(conn, delta)?;
    write_folds(conn, &fresh)
}

/// `column = column + excluded.column` for every counter (a macro: the expression's type is
/// too long to name).
macro_rules! bucket_sums {
    () => {{
        use stat_buckets::dsl as b;
        (
            (
                b::new_all.eq(b::new_all + excluded(b::new_all)),
                b::new_online.eq(b::new_online + excluded(b::new_online)),
                b::new_desk.eq(b::new_desk + excluded(b::new_desk)),
                b::new_post.eq(b::new_post + excluded(b::new_post)),
                b::early.eq(b::early + excluded(b::early)),
                b::on_time.eq(b::on_time + excluded(b::on_time)),
                b::late.eq(b::late + excluded(b::late)),
                b::withdrawn.eq(b::withdrawn + excluded(b::withdrawn)),
                b::rejected.eq(b::rejected + excluded(b::rejected)),
                b::stopped.eq(b::stopped + excluded(b::stopped)),
            ),
            (
                b::digitised.eq(b::digitised + excluded(b::digitised)),
                b::fully_online.eq(b::fully_online + excluded(b::fully_online)),
                b::result_electronic.eq(b::result_electronic + excluded(b::result_electronic)),
                b::paid.eq(b::paid + excluded(b::paid)),
                b::paid_online.eq(b::paid_online + excluded(b::paid_online)),
                b::rated.eq(b::rated + excluded(b::rated)),
                b::satisfied.eq(b::satisfied + excluded(b::satisfied)),
                b::open_change.eq(b::open_change + excluded(b::open_change)),
                b::overdue_change.eq(b::overdue_change + excluded(b::overdue_change)),
            ),
        )
    }};
}

/// Adds `delta` to the bucket rows, creating those missing.
fn write_buckets(conn: &mut DbConn, delta: HashMap<Key, Counts>) -> AppResult<()> {
    use stat_buckets::dsl as b;
    let rows: Vec<BucketRow> = delta
        .iter()
        .filter(|(_, c)| !c.is_zero())
        .map(|(k, c)| BucketRow::new(k, c))
        .collect();
    // PostgreSQL takes a batch per statement (23 parameters a row); diesel writes SQLite's
    // upserts a row at a time, which in-process costs microseconds.
    match conn {
        DbConn::Postgres(c) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(stat_buckets::table)
                    .values(chunk)
                    .on_conflict((b::grain, b::unit_id, b::bucket, b::procedure_version_id))
                    .do_update()
                    .set(bucket_sums!())
                    .execute(c)?;
            }
        }
        DbConn::Sqlite(c) => {
            for row in &rows {
                diesel::insert_into(stat_buckets::table)
                    .values(row)
                    .on_conflict((b::grain, b::unit_id, b::bucket, b::procedure_version_id))
                    .do_update()
                    .set(bucket_sums!())
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

fn write_folds(conn: &mut DbConn, fresh: &[(String, Vec<Part>)]) -> AppResult<()> {
    let rows: Vec<(String, String)> = fresh
        .iter()
        .map(|(id, parts)| (id.clone(), encode(parts)))
        .collect();
    match conn {
        DbConn::Postgres(c) => {
            for chunk in rows.chunks(1000) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|(id, parts)| {
                        (
                            stat_folds::dossier_id.eq(id.as_str()),
                            stat_folds::parts.eq(parts.as_str()),
                        )
                    })
                    .collect();
                diesel::insert_into(stat_folds::table)
                    .values(values)
                    .on_conflict(stat_folds::dossier_id)
                    .do_update()
                    .set(stat_folds::parts.eq(excluded(stat_folds::parts)))
                    .execute(c)?;
            }
        }
        DbConn::Sqlite(c) => {
            for (id, parts) in &rows {
                diesel::replace_into(stat_folds::table)
                    .values((
                        stat_folds::dossier_id.eq(id.as_str()),
                        stat_folds::parts.eq(parts.as_str()),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// The advisory lock that makes one instance at a time the folder (PostgreSQL).
const FOLD_LOCK: i64 = 0x6d6f_7463_7561_0001;

#[derive(QueryableByName)]
struct Leader {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    leader: bool,
}

/// Folds in up to `limit` marked changes, oldest first; the number folded. Run it inside a
/// transaction (`Db::write_blocking`). On PostgreSQL it returns 0 at once when another
/// instance is folding.
pub fn fold_pending(conn: &mut DbConn, limit: i64) -> AppResult<usize> {
    if let DbConn::Postgres(c) = conn {
        let lock: Leader = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS leader")
            .bind::<diesel::sql_types::BigInt, _>(FOLD_LOCK)
            .get_result(c)?;
        if !lock.leader {
            return Ok(0);
        }
    }
    let marks: Vec<(i64, String)> = stat_dirty::table
        .order(stat_dirty::id.asc())
        .limit(limit)
        .select((stat_dirty::id, stat_dirty::dossier_id))
        .load(conn)?;
    if marks.is_empty() {
        return Ok(0);
    }
    let mut ids: Vec<String> = marks.iter().map(|(_, d)| d.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut delta = HashMap::new();
    let fresh = refold(conn, &ids, &mut delta)?;
    write_buckets(conn, delta)?;
    write_folds(conn, &fresh)?;
    // Exactly the marks read: one written meanwhile, even with a lower id, stays for later.
    let read: Vec<i64> = marks.iter().map(|(id, _)| *id).collect();
    for chunk in read.chunks(1000) {
        diesel::delete(stat_dirty::table.filter(stat_dirty::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(marks.len())
}

/// How many changes wait to be folded (`motcua_stats_fold_backlog`).
pub fn backlog(conn: &mut DbConn) -> AppResult<i64> {
    Ok(stat_dirty::table.count().get_result(conn)?)
}

/// Folds every pending mark, `batch` at a time, telling `progress` the running count; then,
/// on PostgreSQL, vacuums the mark queue and refreshes the buckets' statistics, so that
/// reports right after a bulk load do not walk the dead rows it left. Returns the marks folded.
pub fn settle(db: &crate::db::Db, batch: i64, progress: &dyn Fn(usize)) -> AppResult<usize> {
    let mut folded = 0;
    loop {
        let n = db.write_blocking(|c| fold_pending(c, batch))?;
        if n == 0 {
            break;
        }
        folded += n;
        progress(folded);
    }
    db.read_blocking(|c| {
        if let DbConn::Postgres(pg) = c {
            // VACUUM cannot run inside a transaction: `read_blocking` runs it on its own.
            diesel::sql_query("VACUUM ANALYZE stat_dirty, stat_buckets, stat_folds").execute(pg)?;
        }
        Ok(())
    })?;
    Ok(folded)
}

/// Marks still to fold.
pub fn pending(conn: &mut DbConn) -> AppResult<i64> {
    Ok(stat_dirty::table.count().get_result(conn)?)
}

/// The units whose bucket rows a report reads.
#[derive(Clone, Copy)]
enum Units<'a> {
    /// Every unit there is (the country): no filter at all.
    All,
    Listed(&'a [String]),
}

impl<'a> Units<'a> {
    /// The lists to read in turn (bounded, for the backends' parameter limits).
    fn chunks(self) -> Vec<Option<&'a [String]>> {
        match self {
            Units::All => vec![None],
            Units::Listed(ids) => ids.chunks(500).map(Some).collect(),
        }
    }
}

/// Every counter summed by the database, as `BIGINT`s.
const SUMS: &str = "CAST(SUM(new_all) AS BIGINT), CAST(SUM(new_online) AS BIGINT), \
    CAST(SUM(new_desk) AS BIGINT), CAST(SUM(new_post) AS BIGINT), CAST(SUM(early) AS BIGINT), \
    CAST(SUM(on_time) AS BIGINT), CAST(SUM(late) AS BIGINT), CAST(SUM(withdrawn) AS BIGINT), \
    CAST(SUM(rejected) AS BIGINT), CAST(SUM(stopped) AS BIGINT), \
    CAST(SUM(digitised) AS BIGINT), CAST(SUM(fully_online) AS BIGINT), \
    CAST(SUM(result_electronic) AS BIGINT), CAST(SUM(paid) AS BIGINT), \
    CAST(SUM(paid_online) AS BIGINT), CAST(SUM(rated) AS BIGINT), \
    CAST(SUM(satisfied) AS BIGINT), CAST(SUM(open_change) AS BIGINT), \
    CAST(SUM(overdue_change) AS BIGINT)";

type SumTypes = (
    (
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
    ),
    (
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
        diesel::sql_types::BigInt,
    ),
);

type SumValues = (
    (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64),
    (i64, i64, i64, i64, i64, i64, i64, i64, i64),
);

/// The bucket rows of `pieces` (from `buckets::split_at_cuts`, or whole buckets), each piece's
/// rows summed by the database into one per unit (`by_unit`) or per procedure version (empty at
/// unit level), dated at the piece's first day. What `P(x)` needs at every cut, in as few rows
/// as the report's breakdown allows.
fn read_sums(
    conn: &mut DbConn,
    units: Units<'_>,
    level: Level,
    pieces: &[(Grain, i32, i32)],
    by_unit: bool,
) -> AppResult<Vec<BucketRow>> {
    use stat_buckets::dsl as b;
    let mut out = Vec::new();
    for chunk in units.chunks() {
        for &(grain, lo, hi) in pieces {
            let code = grain_code(level, grain);
            // The grain written into the statement, not bound: PostgreSQL then plans for its
            // one partition (a bound grain gets a plan for all six, after a few runs).
            let filtered = b::stat_buckets
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                    "grain = {code}"
                )))
                .filter(b::bucket.ge(lo))
                .filter(b::bucket.lt(hi));
            // Summed per `$key` (a boxed query cannot take its grouping afterwards).
            macro_rules! summed {
                ($q:expr, $key:expr) => {
                    $q.group_by($key)
                        .select(($key, diesel::dsl::sql::<SumTypes>(SUMS)))
                        .load::<(String, SumValues)>(conn)?
                };
            }
            let (unit, version) = (b::unit_id, b::procedure_version_id);
            let rows = match (by_unit, chunk) {
                (true, None) => summed!(filtered, unit),
                (true, Some(ids)) => summed!(filtered.filter(unit.eq_any(ids)), unit),
                (false, None) => summed!(filtered, version),
                (false, Some(ids)) => summed!(filtered.filter(unit.eq_any(ids)), version),
            };
            out.extend(rows.into_iter().map(|(key, sums)| {
                let (
                    (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9),
                    (b0, b1, b2, b3, b4, b5, b6, b7, b8),
                ) = sums;
                let (unit, version) = if by_unit {
                    (key, String::new())
                } else {
                    (String::new(), key)
                };
                BucketRow::new(
                    &(code, unit, lo, version),
                    &Counts([
                        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8,
                    ]),
                )
            }));
        }
    }
    Ok(out)
}

/// The bucket changes of the dossiers marked but not yet folded in `units`, as rows.
fn pending_rows(conn: &mut DbConn, units: Units<'_>) -> AppResult<Vec<BucketRow>> {
    let mut ids: Vec<String> = Vec::new();
    for chunk in units.chunks() {
        let mut q = stat_dirty::table
            .select(stat_dirty::dossier_id)
            .distinct()
            .into_boxed();
        if let Some(units) = chunk {
            q = q.filter(stat_dirty::unit_id.eq_any(units));
        }
        ids.extend(q.load::<String>(conn)?);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids.sort_unstable();
    ids.dedup();
    let mut delta = HashMap::new();
    refold(conn, &ids, &mut delta)?;
    Ok(delta
        .iter()
        .filter(|(_, c)| !c.is_zero())
        .map(|(k, c)| BucketRow::new(k, c))
        .collect())
}

/// For the dossiers received at another desk than their resolving unit's, where either is one
/// of `units`: their fresh contributions taken from the resolving unit and given to the
/// receiving desk. The buckets plus the pending rows hold every dossier's fresh contribution
/// at its resolving unit, so the result is exact.
fn cross_desk_rows(conn: &mut DbConn, units: Units<'_>) -> AppResult<Vec<BucketRow>> {
    let mut delta = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for chunk in units.chunks() {
        for (filed, history) in dossiers::cross_desk_with_history(conn, chunk)? {
            if !seen.insert(filed.id.clone()) {
                continue;
            }
            let parts = contribution(&reference::life_of(&filed, &history));
            let version = &filed.procedure_version_id;
            spread(&filed.unit_id, version, &parts, -1, &mut delta);
            let desk = filed.unit_for(dossiers::Basis::Receiving);
            spread(desk, version, &parts, 1, &mut delta);
        }
    }
    Ok(delta
        .iter()
        .filter(|(_, c)| !c.is_zero())
        .map(|(k, c)| BucketRow::new(k, c))
        .collect())
}

/// The dossiers open at `now` that the start of `tomorrow` judges overdue and `now` does not,
/// as rows taking them out of the overdue stock, each at the unit it counts at by `basis`.
fn turning_overdue(
    conn: &mut DbConn,
    units: Units<'_>,
    basis: dossiers::Basis,
    level: Level,
    now: chrono::DateTime<chrono::Utc>,
    tomorrow: chrono::NaiveDate,
) -> AppResult<Vec<BucketRow>> {
    let until = crate::calendar::model::to_utc(tomorrow.and_time(chrono::NaiveTime::MIN));
    let mut rows = Vec::new();
    for chunk in units.chunks() {
        for due in
            dossiers::running_due_between(conn, chunk, basis, now.naive_utc(), until.naive_utc())?
        {
            let at = match basis {
                dossiers::Basis::Resolving => due.unit_id,
                dossiers::Basis::Receiving => due.receiving_unit_id.unwrap_or(due.unit_id),
            };
            let mut counts = Counts::default();
            counts.bump(Counter::Overdue, -due.count);
            let key = (
                grain_code(level, Grain::Day),
                at,
                0,
                due.procedure_version_id,
            );
            rows.push(BucketRow::new(&key, &counts));
        }
    }
    Ok(rows)
}

/// Sums per group and cut point.
struct Sums {
    cuts: Vec<chrono::NaiveDate>,
    total: Vec<Counts>,
    groups: HashMap<String, Vec<Counts>>,
}

impl Sums {
    fn new(cuts: Vec<chrono::NaiveDate>) -> Sums {
        let total = vec![Counts::default(); cuts.len()];
        Sums {
            cuts,
            total,
            groups: HashMap::new(),
        }
    }

    /// Adds a row's counts at cut `i` only.
    fn add_at(&mut self, i: usize, row: &BucketRow, group: Option<&str>) {
        let counts = row.counts();
        let n = self.cuts.len();
        self.total[i].add(&counts);
        if let Some(g) = group {
            self.groups
                .entry(g.to_owned())
                .or_insert_with(|| vec![Counts::default(); n])[i]
                .add(&counts);
        }
    }

    fn add(&mut self, row: &BucketRow, group: Option<&str>) {
        let Some(grain) = grain_of(row.grain) else {
            return;
        };
        for i in 0..self.cuts.len() {
            if grain.counts_before(row.bucket, self.cuts[i]) {
                self.add_at(i, row, group);
            }
        }
    }
}

/// Everything `reference::compute` computes at `now`, from the buckets. `online_used` is
/// computed only when asked (it reads the per-procedure buckets); otherwise it is left empty.
///
/// A cut after `now` (the end of a running period) is read at `now`: the buckets give the
/// stocks at the start of tomorrow, when nothing but the clock has moved since `now`, so
/// `P(tomorrow)` less the dossiers whose due instant falls between `now` and then
/// (`running_due_between`) is the reference's figure at `now`.
#[allow(clippy::too_many_arguments)]
pub fn compute(
    conn: &mut DbConn,
    root: reference::Root<'_>,
    period: &Period,
    tree: Tree,
    group_by: Option<GroupBy>,
    with_online_used: bool,
    basis: dossiers::Basis,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Computed> {
    let units = crate::units::store::all(conn)?;
    let by_id: HashMap<uuid::Uuid, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    let members = reference::members(&units, root, tree);
    let mut unit_ids: Vec<String> = members.keys().cloned().collect();
    unit_ids.sort_unstable();
    let month_periods = reference::months(period);
    let cuts: Vec<chrono::NaiveDate> = match group_by {
        Some(GroupBy::Month) => month_periods
            .iter()
            .map(|m| m.from)
            .chain(std::iter::once(period.to))
            .collect(),
        _ => vec![period.from, period.to],
    };
    let tomorrow = buckets::local_day(now)
        .succ_opt()
        .unwrap_or(chrono::NaiveDate::MAX);
    let running: Vec<bool> = cuts.iter().map(|c| *c >= tomorrow).collect();
    let cuts: Vec<chrono::NaiveDate> = cuts.into_iter().map(|c| c.min(tomorrow)).collect();
    let by_procedure = matches!(group_by, Some(GroupBy::Procedure | GroupBy::Field));
    let versions = if by_procedure || with_online_used {
        version_keys(conn)?
    } else {
        HashMap::new()
    };
    let (from, to) = (period.from, period.to);
    let (read_from, read_to) = (from.min(tomorrow), to.min(tomorrow));
    let mut sums = Sums::new(cuts.clone());
    let mut per_code = Sums::new(vec![read_from, read_to]);
    let read_units = if members.len() == units.len() {
        Units::All
    } else {
        Units::Listed(&unit_ids)
    };
    let pending = pending_rows(conn, read_units)?;
    // Counted by receiving desk: the buckets are by resolving unit, so the dossiers received
    // at another desk move their contributions across, those of the report's units only.
    let moved: Vec<BucketRow> = match basis {
        dossiers::Basis::Resolving => Vec::new(),
        dossiers::Basis::Receiving => cross_desk_rows(conn, read_units)?
            .into_iter()
            .filter(|r| members.contains_key(&r.unit_id))
            .collect(),
    };
    let group_of = |row: &BucketRow| -> Option<String> {
        match group_by {
            Some(GroupBy::Child) => {
                let at = members.get(&row.unit_id)?;
                Some(root.child_of(at).to_string())
            }
            Some(GroupBy::Procedure) => versions
                .get(&row.procedure_version_id)
                .map(|(code, _)| code.clone()),
            Some(GroupBy::Field) => versions
                .get(&row.procedure_version_id)
                .map(|(_, field)| field.clone()),
            Some(GroupBy::Month) | None => None,
        }
    };
    let level = if by_procedure {
        Level::Procedure
    } else {
        Level::Unit
    };
    let unit_level = |r: &&BucketRow| r.grain < 3;
    let pieces = buckets::split_at_cuts(&buckets::ranges_for(read_from, read_to), &cuts);
    // Only a breakdown by child needs each unit's sums.
    let by_unit = group_by == Some(GroupBy::Child);
    let rows = read_sums(conn, read_units, level, &pieces, by_unit)?;
    for row in rows.iter().chain(
        pending
            .iter()
            .chain(&moved)
            .filter(|r| unit_level(r) == (level == Level::Unit)),
    ) {
        sums.add(row, group_of(row).as_deref());
        if by_procedure && with_online_used {
            let code = versions
                .get(&row.procedure_version_id)
                .map(|v| v.0.as_str());
            per_code.add(row, code);
        }
    }
    if running.iter().any(|r| *r) {
        let turning = turning_overdue(conn, read_units, basis, level, now, tomorrow)?;
        for row in turning.iter().filter(|r| members.contains_key(&r.unit_id)) {
            let group = group_of(row);
            for (i, _) in running.iter().enumerate().filter(|(_, r)| **r) {
                sums.add_at(i, row, group.as_deref());
            }
        }
    }
    if with_online_used && !by_procedure {
        // Only flows are needed here: the buckets covering the period, not the prefixes.
        let cover = buckets::cover(from, to);
        let rows = read_sums(conn, read_units, Level::Procedure, &cover, false)?;
        let in_cover = |r: &BucketRow| {
            grain_of(r.grain).is_some_and(|g| {
                cover
                    .iter()
                    .any(|(cg, lo, hi)| *cg == g && (*lo..*hi).contains(&r.bucket))
            })
        };
        // Summed as `P(to)` against an empty `P(from)`: flows over the period.
        let mut flows: HashMap<String, Counts> = HashMap::new();
        for row in rows.iter().chain(
            pending
                .iter()
                .chain(&moved)
                .filter(|r| !unit_level(r) && in_cover(r)),
        ) {
            if let Some((code, _)) = versions.get(&row.procedure_version_id) {
                flows.entry(code.clone()).or_default().add(&row.counts());
            }
        }
        for (code, c) in flows {
            per_code.groups.insert(code, vec![Counts::default(), c]);
        }
    }
    let last = cuts.len() - 1;
    let total = buckets::figures(&sums.total[0], &sums.total[last]);
    let listed = reference::listed_groups(&units, root, tree, group_by, &month_periods);
    let mut groups = listed.clone();
    match group_by {
        Some(GroupBy::Month) => {
            for (i, m) in month_periods.iter().enumerate() {
                let figures = buckets::figures(&sums.total[i], &sums.total[i + 1]);
                groups
                    .entry(reference::month_key(m))
                    .or_insert_with(|| (reference::month_label(m), Figures::default()))
                    .1 = figures;
            }
        }
        Some(g) => {
            for (key, at) in &sums.groups {
                let label = match g {
                    GroupBy::Child => uuid::Uuid::try_parse(key)
                        .ok()
                        .and_then(|id| by_id.get(&id))
                        .map_or_else(String::new, |u| u.name.clone()),
                    _ => key.clone(),
                };
                groups
                    .entry(key.clone())
                    .or_insert_with(|| (label, Figures::default()))
                    .1 = buckets::figures(&at[0], &at[last]);
            }
        }
        None => {}
    }
    let groups = reference::finish_groups(groups, &listed);
    let (catalogue_full, offered_online) = reference::catalogue(conn)?;
    let online_used = if with_online_used {
        let used: HashMap<String, (bool, bool)> = per_code
            .groups
            .iter()
            .map(|(code, at)| {
                let f = buckets::figures(&at[0], &at[1]).report;
                (code.clone(), (f.new > 0, f.new_online > 0))
            })
            .collect();
        reference::online_used(&used, &offered_online)
    } else {
        super::model::Rate::default()
    };
    Ok(Computed {
        total,
        groups,
        online_used,
        catalogue_full,
    })
}

/// Per procedure version id: its procedure code and field.
fn version_keys(conn: &mut DbConn) -> AppResult<HashMap<String, (String, String)>> {
    use crate::db::schema::procedure_versions as v;
    Ok(v::table
        .select((v::id, v::code, v::field))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, field)| (id, (code, field)))
        .collect())
}

/// What `verify` found: the statistics' stored state against a refold of every dossier.
#[derive(Debug, Default)]
pub struct BucketCheck {
    pub dossiers: usize,
    /// Dossiers not waiting to be folded whose stored contribution is not their life's.
    pub stale_folds: Vec<String>,
    /// Bucket rows (grain, unit, bucket, version) whose sums differ from the refold's.
    pub wrong_buckets: Vec<String>,
}

/// Checks, on one snapshot, that the buckets hold exactly the sum of every dossier's folded
/// contribution, and that every dossier not marked for folding has its life's contribution
/// folded. (A marked dossier's fresh contribution replaces its folded one at report time, so
/// for it the buckets must hold the folded one.) Read-only; memory grows with the buckets,
/// not with the dossiers, read 500 at a time.
pub fn verify(conn: &mut DbConn) -> AppResult<BucketCheck> {
    use crate::db::schema::dossiers as d;
    in_snapshot(conn, |conn| {
        let dirty: std::collections::HashSet<String> = stat_dirty::table
            .select(stat_dirty::dossier_id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        let mut expected: HashMap<Key, Counts> = HashMap::new();
        let mut check = BucketCheck::default();
        let mut after = String::new();
        loop {
            let ids: Vec<String> = d::table
                .filter(d::id.gt(&after))
                .order(d::id.asc())
                .limit(500)
                .select(d::id)
                .load(conn)?;
            let Some(last) = ids.last() else { break };
            after = last.clone();
            let stored = folded(conn, &ids)?;
            for (filed, history) in dossiers::filed_by_ids(conn, &ids)? {
                check.dossiers += 1;
                let (unit, version) = (&filed.unit_id, &filed.procedure_version_id);
                let old = stored.get(&filed.id);
                if dirty.contains(&filed.id) {
                    if let Some(old) = old {
                        spread(unit, version, old, 1, &mut expected);
                    }
                    continue;
                }
                let fresh = contribution(&reference::life_of(&filed, &history));
                if old.map_or(!fresh.is_empty(), |o| encode(o) != encode(&fresh)) {
                    check.stale_folds.push(filed.id.clone());
                }
                spread(unit, version, &fresh, 1, &mut expected);
            }
        }
        let rows: Vec<BucketRow> = stat_buckets::table
            .select(BucketRow::as_select())
            .load(conn)?;
        let mut seen = std::collections::HashSet::new();
        for row in rows {
            let key = (
                row.grain,
                row.unit_id.clone(),
                row.bucket,
                row.procedure_version_id.clone(),
            );
            let want = expected.get(&key).copied().unwrap_or_default();
            if want != row.counts() {
                check.wrong_buckets.push(format!("{key:?}"));
            }
            seen.insert(key);
        }
        for (key, counts) in &expected {
            if !counts.is_zero() && !seen.contains(key) {
                check.wrong_buckets.push(format!("{key:?} (missing)"));
            }
        }
        Ok(check)
    })
}

/// Runs `f` on one consistent snapshot: a read-only repeatable-read transaction on
/// PostgreSQL, a read transaction on SQLite.
pub fn in_snapshot<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> AppResult<T>,
) -> AppResult<T> {
    conn.transaction(|c| {
        if let DbConn::Postgres(pg) = c {
            use diesel::connection::SimpleConnection;
            pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        f(c)
    })
}

/// Folds marked changes in as they come, for as long as the server runs: batches of 500
/// (short, so that on SQLite the desks' writes wait little for the writer lock), a pause when
/// nothing is left. Several instances may run it; one folds at a time.
pub async fn fold_continuously(db: crate::db::Db) {
    use std::time::Duration;
    loop {
        match db.write(|c| fold_pending(c, 500)).await {
            Ok(n) if n > 0 => actix_web::rt::task::yield_now().await,
            Ok(_) => {
                crate::metrics::fold_caught_up();
                actix_web::rt::time::sleep(Duration::from_millis(250)).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "folding changes into the statistics failed");
                actix_web::rt::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
