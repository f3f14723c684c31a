//! Operations on a live installation: `motcua backup` (a consistent copy while the service
//! runs) and `motcua check` (integrity: states against histories, documents against their
//! files, the statistics against a refold, files nothing refers to, work and accounts left at
//! units that no longer exist).

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::blobs::BlobStore;
use crate::db::schema::{dossier_documents, dossiers, units, users};
use crate::db::{BackendKind, Db, DbConn};
use crate::error::{AppError, AppResult};

/// What a backup holds, written beside it as `backup.json`.
#[derive(Debug, Serialize)]
pub struct BackupReport {
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub backend: &'static str,
    /// The SQLite copy (`None` on PostgreSQL: take the database with `pg_dump`).
    pub database: Option<PathBuf>,
    pub documents: usize,
    pub document_bytes: u64,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> AppError {
    AppError::internal(std::io::Error::new(
        e.kind(),
        format!("{what} {}: {e}", path.display()),
    ))
}

/// Copies the database (SQLite: `VACUUM INTO`, a consistent snapshot taken while others write)
/// and then the documents into `dir`, which must be new or empty. Documents are immutable and
/// written before the record that refers to them commits, so every document the copied
/// database names is copied too.
pub fn backup(db: &Db, documents: &BlobStore, dir: &Path) -> AppResult<BackupReport> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| io_error("cannot read", dir, e))?;
        if entries.next().is_some() {
            return Err(AppError::Conflict(format!(
                "{} is not empty: back up into a new directory",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
    // SQLite: the snapshot, then exactly the files it names (a document uploaded meanwhile
    // would be an orphan in the copy). PostgreSQL: pg_dump runs beside this, so every file.
    let (database, named) = match db.backend() {
        BackendKind::Sqlite => {
            let target = dir.join("motcua.db");
            let quoted = target.to_string_lossy().replace('\'', "''");
            db.read_blocking(|c| {
                c.batch_execute(&format!("VACUUM INTO '{quoted}'"))?;
                Ok(())
            })?;
            private(&target)?;
            let named = named_documents(&target)?;
            (Some(target), Some(named))
        }
        BackendKind::Postgres => (None, None),
    };
    let (count, bytes) = copy_documents(documents.root(), &dir.join("documents"), named.as_ref())?;
    let report = BackupReport {
        created_at: chrono::Utc::now(),
        backend: match db.backend() {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        },
        database,
        documents: count,
        document_bytes: bytes,
    };
    let manifest = dir.join("backup.json");
    std::fs::write(
        &manifest,
        serde_json::to_vec_pretty(&report).map_err(AppError::internal)?,
    )
    .map_err(|e| io_error("cannot write", &manifest, e))?;
    Ok(report)
}

fn private(path: &Path) -> AppResult<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io_error("cannot restrict", path, e))
}

/// The stored files of a document store: `root/ab/abcd…` (the temporary area left out).
fn stored_files(root: &Path) -> AppResult<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(root) else {
        return Ok(out);
    };
    for dir in dirs.flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        if name == "tmp" || !dir.path().is_dir() {
            continue;
        }
        let files =
            std::fs::read_dir(dir.path()).map_err(|e| io_error("cannot read", &dir.path(), e))?;
        for f in files.flatten() {
            out.push((f.file_name().to_string_lossy().into_owned(), f.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The SHA-256 of every document record in the SQLite database at `path`.
fn named_documents(path: &Path) -> AppResult<std::collections::HashSet<String>> {
    use diesel::Connection;
    use diesel::RunQueryDsl;
    let url = path.to_string_lossy();
    let mut c = diesel::SqliteConnection::establish(&url).map_err(AppError::internal)?;
    let hashes: Vec<String> = crate::db::schema::dossier_documents::table
        .select(crate::db::schema::dossier_documents::sha256)
        .load(&mut c)?;
    Ok(hashes.into_iter().collect())
}

/// Copies the stored files (only those in `named`, when given).
fn copy_documents(
    from: &Path,
    to: &Path,
    named: Option<&std::collections::HashSet<String>>,
) -> AppResult<(usize, u64)> {
    let mut count = 0;
    let mut bytes = 0;
    for (name, path) in stored_files(from)? {
        let Some(prefix) = name.get(..2) else {
            continue;
        };
        if named.is_some_and(|n| !n.contains(&name)) {
            continue;
        }
        let dir = to.join(prefix);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("cannot create", &dir, e))?;
        let target = dir.join(&name);
        bytes += std::fs::copy(&path, &target).map_err(|e| io_error("cannot copy", &path, e))?;
        count += 1;
    }
    Ok((count, bytes))
}

/// What `check` found. Empty lists: all is well.
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    pub dossiers: usize,
    pub documents: usize,
    /// Dossiers whose state is not the state their last event left them in.
    pub state_mismatches: Vec<String>,
    /// Document records whose file is missing, or whose content's SHA-256 is not theirs.
    pub missing_files: Vec<String>,
    pub corrupt_files: Vec<String>,
    /// Dossiers whose folded contribution to the statistics is not their history's, and
    /// bucket rows whose sums are not the refold's.
    pub stale_folds: Vec<String>,
    pub wrong_buckets: Vec<String>,
    /// Files in the document store that no record refers to (`--repair-orphans` removes
    /// those older than a day), and of them how many were removed.
    pub orphans: Vec<String>,
    pub orphans_removed: usize,
    /// Units whose validity has ended that still hold open dossiers ("CODE Name: N"), and
    /// enabled staff accounts homed at such units ("username at CODE Name"): what a
    /// reorganisation should have handed on.
    pub work_at_retired: Vec<String>,
    pub accounts_at_retired: Vec<String>,
}

impl CheckReport {
    /// Whether anything is wrong (orphans are not: they are space, not loss).
    pub fn faults(&self) -> usize {
        self.state_mismatches.len()
            + self.missing_files.len()
            + self.corrupt_files.len()
            + self.stale_folds.len()
            + self.wrong_buckets.len()
            + self.work_at_retired.len()
            + self.accounts_at_retired.len()
    }
}

/// Open dossiers per unit retired before `today`, and enabled accounts homed at one.
pub fn left_at_retired(
    conn: &mut DbConn,
    today: chrono::NaiveDate,
) -> AppResult<(Vec<String>, Vec<String>)> {
    use crate::dossiers::model::State;
    let open: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    let held: Vec<(String, String)> = dossiers::table
        .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
        .filter(units::valid_to.lt(today))
        .filter(dossiers::state.eq_any(open))
        .select((units::code, units::name))
        .load(conn)?;
    let mut per_unit: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for key in held {
        *per_unit.entry(key).or_default() += 1;
    }
    let work = per_unit
        .into_iter()
        .map(|((code, name), n)| format!("{code} {name}: {n} open dossiers"))
        .collect();
    let accounts: Vec<(String, String, String)> = users::table
        .inner_join(units::table.on(users::unit_id.eq(units::id.nullable())))
        .filter(units::valid_to.lt(today))
        .filter(users::disabled.eq(false))
        .order((units::code.asc(), users::username.asc()))
        .select((users::username, units::code, units::name))
        .load(conn)?;
    let accounts = accounts
        .into_iter()
        .map(|(user, code, name)| format!("{user} at {code} {name}"))
        .collect();
    Ok((work, accounts))
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Dossiers whose `state` is not their last event's `to_state` (or that have no event).
fn state_mismatches(conn: &mut DbConn) -> AppResult<Vec<String>> {
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT d.id AS id FROM dossiers d
         LEFT JOIN dossier_events e ON e.dossier_id = d.id
          AND e.seq = (SELECT MAX(x.seq) FROM dossier_events x WHERE x.dossier_id = d.id)
         WHERE e.id IS NULL OR e.to_state <> d.state
         ORDER BY d.id",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::blobs::hex(&hasher.finalize()))
}

/// Orphans older than this are removed by `--repair-orphans` (a younger one may belong to
/// an upload whose record is about to commit).
const ORPHAN_AGE: Duration = Duration::from_secs(24 * 3600);

/// Checks the installation; with `repair_orphans`, removes orphan files older than a day.
pub fn check(db: &Db, documents: &BlobStore, repair_orphans: bool) -> AppResult<CheckReport> {
    let mut report = CheckReport::default();
    let records: Vec<(String, String)> = db.read_blocking(|c| {
        report.state_mismatches = state_mismatches(c)?;
        report.dossiers =
            usize::try_from(dossiers::table.count().get_result::<i64>(c)?).unwrap_or_default();
        Ok(dossier_documents::table
            .select((dossier_documents::id, dossier_documents::sha256))
            .load(c)?)
    })?;
    report.documents = records.len();
    let mut referenced = HashSet::new();
    let mut hashed = std::collections::HashMap::new();
    for (id, sha) in &records {
        referenced.insert(sha.clone());
        let Some(path) = documents.path_of(sha) else {
            report
                .corrupt_files
                .push(format!("{id}: stored digest is not a SHA-256"));
            continue;
        };
        let ok = hashed
            .entry(sha.clone())
            .or_insert_with(|| match sha256_of(&path) {
                Ok(actual) if actual == *sha => Some(true),
                Ok(_) => Some(false),
                Err(_) => None,
            });
        match ok {
            Some(true) => {}
            Some(false) => report
                .corrupt_files
                .push(format!("{id}: {}", path.display())),
            None => report
                .missing_files
                .push(format!("{id}: {}", path.display())),
        }
    }
    let today = crate::calendar::model::local_today();
    (report.work_at_retired, report.accounts_at_retired) =
        db.read_blocking(|c| left_at_retired(c, today))?;
    let buckets = db.read_blocking(crate::stats::fast::verify)?;
    report.stale_folds = buckets.stale_folds;
    report.wrong_buckets = buckets.wrong_buckets;

    let now = SystemTime::now();
    let mut candidates = stored_files(documents.root())?;
    if let Ok(tmp) = std::fs::read_dir(documents.root().join("tmp")) {
        candidates.extend(
            tmp.flatten()
                .map(|f| (f.file_name().to_string_lossy().into_owned(), f.path())),
        );
    }
    for (name, path) in candidates {
        let in_tmp = path.parent().is_some_and(|p| p.ends_with("tmp"));
        if !in_tmp && referenced.contains(&name) {
            continue;
        }
        report.orphans.push(path.display().to_string());
        let old = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= ORPHAN_AGE);
        if repair_orphans && old && std::fs::remove_file(&path).is_ok() {
            report.orphans_removed += 1;
        }
    }
    Ok(report)
}
