//! Storage: one diesel connection type over SQLite (default, embedded) and PostgreSQL,
//! a pool, embedded migrations chosen by URL scheme, and `Db::read` / `Db::write`, which run
//! queries on the blocking thread pool. Backend-specific code lives only in this module.

pub mod schema;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite connection waits for a lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// A connection to either backend. Queries written against `schema.rs` run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn of_url(url: &str) -> BackendKind {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            BackendKind::Postgres
        } else {
            BackendKind::Sqlite
        }
    }
}

/// The SQLite file path for a `sqlite://…` or `sqlite:…` URL (or a bare path).
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Creates the SQLite file with mode 0600 if it does not exist yet (it holds personal data;
/// SQLite gives its -wal and -shm files the same mode). `:memory:` and URIs are left alone.
fn create_private(path: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.is_empty() || path.starts_with(':') || path.starts_with("file:") {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// `host:port/database` of a PostgreSQL URL, without the user or password.
fn postgres_place(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('?').next().unwrap_or(rest).to_owned()
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            // synchronous=FULL: an acknowledged commit survives a power cut, not only a crash.
            // mmap_size: pages are read from the OS page cache in place, shared by every
            // connection, instead of copied into each connection's own 2 MB cache: at 1 M
            // dossiers, 32 concurrent work-queue searches ran 4–7× faster (benches/queue.rs).
            // Writes still go through write() and the WAL. SQLite caps it at its compile-time
            // maximum (2 GB).
            c.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                 PRAGMA foreign_keys = ON;
                 PRAGMA synchronous = FULL;
                 PRAGMA mmap_size = 2147418112;"
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot open the database {place}: {source}")]
    Connect {
        /// The SQLite file, or the PostgreSQL server (host, port, database; no password).
        place: String,
        source: diesel::ConnectionError,
    },
    #[error("cannot create the database file {path}: {source}")]
    CreateFile {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot prepare the database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot create the connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
}

/// The database handle shared by every request.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    backend: BackendKind,
    /// SQLite allows one writer at a time; writers queue here instead of failing with
    /// "database is locked" when a deferred transaction tries to upgrade its lock.
    sqlite_writer: Arc<Mutex<()>>,
}

impl Db {
    /// Opens the database, runs pending migrations and builds the pool.
    pub fn connect(url: &str, pool_size: u32) -> Result<Db, DbSetupError> {
        let backend = BackendKind::of_url(url);
        let conn_url = match backend {
            BackendKind::Sqlite => sqlite_path(url).to_owned(),
            BackendKind::Postgres => url.to_owned(),
        };
        let place = match backend {
            BackendKind::Sqlite => conn_url.clone(),
            BackendKind::Postgres => postgres_place(&conn_url),
        };
        if backend == BackendKind::Sqlite {
            create_private(&conn_url).map_err(|source| DbSetupError::CreateFile {
                path: conn_url.clone(),
                source,
            })?;
        }
        {
            let mut conn = establish(backend, &conn_url)
                .map_err(|source| DbSetupError::Connect { place, source })?;
            if let DbConn::Sqlite(c) = &mut conn {
                c.batch_execute("PRAGMA journal_mode = WAL;")?;
            }
            run_migrations(&mut conn)?;
        }
        let manager = ConnectionManager::<DbConn>::new(conn_url);
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            // No `SELECT 1` before every checkout (a round trip per request on PostgreSQL):
            // diesel marks a connection broken when a query fails, and r2d2 then replaces it.
            .test_on_check_out(false)
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)?;
        Ok(Db {
            pool,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Runs `f` on a pooled connection on the blocking thread pool (reads, or single statements).
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.read_blocking(f)).await?
    }

    /// Runs `f` inside one transaction: all of it commits, or none of it.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(f)).await?
    }

    /// For a change that `f` writes in a single statement on PostgreSQL, after any reads
    /// (a dossier transition: `dossiers::store::apply`). PostgreSQL runs that statement as its
    /// own transaction, which saves the BEGIN and COMMIT round trips; SQLite, where the change
    /// is several statements, runs `f` in a transaction under the writer lock as `write` does.
    /// `f` must not write twice on PostgreSQL.
    pub async fn write_atomic<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend {
            BackendKind::Postgres => self.read(f).await,
            BackendKind::Sqlite => self.write(f).await,
        }
    }

    /// `read` for code that is already off the async executor (CLI commands, seeding).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        let mut conn = self.checkout()?;
        f(&mut conn)
    }

    /// `write` for code that is already off the async executor (CLI commands, seeding).
    pub fn write_blocking<T>(&self, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        let mut conn = self.checkout()?;
        let _guard = match self.backend {
            BackendKind::Sqlite => {
                Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner()))
            }
            BackendKind::Postgres => None,
        };
        conn.transaction(|c| f(c))
    }

    /// A pooled connection, the wait for it timed (`motcua_db_pool_wait_seconds`).
    fn checkout(
        &self,
    ) -> Result<diesel::r2d2::PooledConnection<ConnectionManager<DbConn>>, diesel::r2d2::PoolError>
    {
        let started = std::time::Instant::now();
        let conn = self.pool.get();
        crate::metrics::pool_waited(started);
        conn
    }

    /// How many connections are open and idle now.
    pub fn pool_state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    /// The pool's size.
    pub fn pool_max(&self) -> u32 {
        self.pool.max_size()
    }

    /// A cheap round trip, for `/health/ready`.
    pub async fn ping(&self) -> AppResult<()> {
        self.read(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

fn establish(backend: BackendKind, url: &str) -> Result<DbConn, diesel::ConnectionError> {
    Ok(match backend {
        BackendKind::Sqlite => DbConn::Sqlite(SqliteConnection::establish(url)?),
        BackendKind::Postgres => DbConn::Postgres(PgConnection::establish(url)?),
    })
}

diesel::define_sql_function! {
    /// Unicode NFC of a text (registered on SQLite connections that run migrations).
    #[sql_name = "nfc"]
    fn nfc_sql(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Applies the embedded migrations of the connection's backend. On PostgreSQL an advisory
/// lock keeps several instances starting together from racing each other.
pub fn run_migrations(conn: &mut DbConn) -> Result<(), DbSetupError> {
    const LOCK_KEY: i64 = 0x6d6f_7463_7561; // "motcua"
    let mig = |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migration(e.to_string());
    match conn {
        DbConn::Sqlite(c) => {
            // PostgreSQL has normalize(); SQLite gets ours, for the migration that stores
            // existing text in NFC.
            nfc_sql_utils::register_impl(c, |s: Option<String>| s.map(|s| crate::text::nfc(&s)))?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(mig)?;
        }
        DbConn::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(mig);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))?;
            result?;
        }
    }
    Ok(())
}

/// Reverts every migration (for the test that each `down.sql` undoes its `up.sql`).
pub fn revert_all_migrations(conn: &mut DbConn) -> Result<(), DbSetupError> {
    let mig = |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migration(e.to_string());
    match conn {
        DbConn::Sqlite(c) => c
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(mig),
        DbConn::Postgres(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|_| ())
            .map_err(mig),
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern (escape `\`).
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `%text%`, escaped, for a contains-match.
pub fn contains_pattern(s: &str) -> String {
    format!("%{}%", like_escape(s))
}

/// Maps a store error into AppError on the way out of `Db::read`/`write`.
pub fn not_found<T>(row: Option<T>) -> AppResult<T> {
    row.ok_or(AppError::NotFound)
}

/// The backend type queries are built for (both backends behind one `DbConn`).
pub type DbBackend = <DbConn as Connection>::Backend;

/// Every id column is written from a `Uuid` by this code, so parsing one back cannot fail in
/// practice; a corrupt value reads as the nil id, which matches no row and no scope.
pub fn id_of(s: &str) -> uuid::Uuid {
    uuid::Uuid::try_parse(s).unwrap_or_else(|_| uuid::Uuid::nil())
}

/// A stored UTC timestamp as an instant.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// Now, as stored.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
