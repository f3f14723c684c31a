//! One `Config`, read from flags and environment variables, validated once at start.
//! Secrets are wrapped so they never reach a log line or a `Debug` print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// Where the data is, and the log: what every command that touches the database takes.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Database: `sqlite://PATH` (default: `DATA_DIR/motcua.db`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for the SQLite database, the generated JWT secret and documents.
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "motcua-data")]
    pub data_dir: PathBuf,
    /// Log filter, in `tracing` EnvFilter syntax (e.g. `info`, `motcua=debug,info`).
    #[arg(long, env = "MOTCUA_LOG", default_value = "info")]
    pub log: String,
    /// Log format.
    #[arg(long, env = "MOTCUA_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    /// Database connections per instance.
    #[arg(long, env = "MOTCUA_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,
    /// Where uploaded documents are kept (content-addressed); default DATA_DIR/documents.
    /// Instances behind one load balancer must share it.
    #[arg(long, env = "MOTCUA_DOCUMENTS_DIR")]
    pub documents_dir: Option<PathBuf>,
}

/// What only the HTTP service takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address the HTTP server listens on.
    #[arg(long, env = "MOTCUA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HS256 signing secret, at least 32 bytes. Generated and kept in DATA_DIR if unset;
    /// every instance behind one load balancer must share it.
    #[arg(long, env = "MOTCUA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "MOTCUA_WORKERS")]
    pub workers: Option<usize>,
    /// Take the client address from `Forwarded` / `X-Forwarded-For` (only behind a proxy that
    /// sets them; otherwise clients could pick their own address).
    #[arg(long, env = "MOTCUA_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Largest document upload, in MiB.
    #[arg(long, env = "MOTCUA_MAX_UPLOAD_MB", default_value_t = 20)]
    pub max_upload_mb: u64,
    /// Whether this instance folds changes into the statistics' buckets (`true`: one
    /// instance at a time does, whichever gets the lock). Reports stay exact either way.
    #[arg(
        long,
        env = "MOTCUA_STATS_FOLD",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub stats_fold: bool,
    /// Seconds a request's body may take to arrive, once its head has; then 408. Uploads
    /// may take this long between two pieces, and twenty times it in all.
    #[arg(long, env = "MOTCUA_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Open connections per instance; past it new ones wait in the listen queue.
    #[arg(long, env = "MOTCUA_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Serve `GET /metrics` (Prometheus) to a scraper sending this as a bearer token (at
    /// least 32 characters); without it, `/metrics` is not served.
    #[arg(long, env = "MOTCUA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

impl ServeArgs {
    /// The service's settings from the environment and the defaults alone, for commands that
    /// take no service flags but build the service's state (`simulate`, the demo).
    pub fn from_env() -> Result<ServeArgs, clap::Error> {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        <Only as clap::Parser>::try_parse_from(["motcua"]).map(|o| o.serve)
    }
}

/// Everything a `Config` is made from.
#[derive(Debug, Clone)]
pub struct ConfigArgs {
    pub store: StoreArgs,
    pub serve: ServeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// When repeated failed logins are slowed down and then locked.
#[derive(Debug, Clone)]
pub struct LoginPolicy {
    /// Failures on one account after which each further attempt is delayed.
    pub slow_after: u32,
    /// Delay added per failure past `slow_after`, capped at `max_delay`.
    pub delay_step: Duration,
    pub max_delay: Duration,
    /// Consecutive failures on one account that lock it for `lock_for`.
    pub lock_after: u32,
    /// Failures from one address within `lock_for` that lock that address.
    pub address_lock_after: u32,
    pub lock_for: Duration,
    /// Citizen registrations one address may make per hour (a commune's kiosk helps many).
    pub registrations_per_address: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            slow_after: 3,
            delay_step: Duration::from_millis(500),
            max_delay: Duration::from_secs(3),
            lock_after: 6,
            address_lock_after: 30,
            lock_for: Duration::from_secs(15 * 60),
            registrations_per_address: 30,
        }
    }
}

pub struct Config {
    pub database_url: SecretString,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub jwt_secret: SecretBox<Vec<u8>>,
    pub log: String,
    pub log_format: LogFormat,
    pub db_pool_size: u32,
    pub workers: Option<usize>,
    pub trust_proxy: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub max_json_bytes: usize,
    pub documents_dir: PathBuf,
    pub max_upload_bytes: u64,
    pub login: LoginPolicy,
    pub stats_fold: bool,
    /// See `ConfigArgs::request_timeout`.
    pub request_timeout: Duration,
    /// How long a request's head (request line and headers) may take to arrive.
    pub head_timeout: Duration,
    pub max_connections: usize,
    pub metrics_token: Option<SecretString>,
    /// How far the dossier clock runs from the system's: zero, except in tests that act on a
    /// date in the past (not settable from flags or the environment).
    pub clock_offset: chrono::Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database", &self.backend_name())
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("documents_dir", &self.documents_dir)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("db_pool_size", &self.db_pool_size)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("MOTCUA_BIND `{0}` is not an address like 127.0.0.1:8080")]
    Bind(String),
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got a value starting `{0}`)")]
    DatabaseUrl(String),
    #[error("MOTCUA_JWT_SECRET must hold at least 32 bytes other than spaces, of at least 8 different characters (got {0} such bytes); generate one with `openssl rand -base64 48`")]
    ShortSecret(usize),
    #[error("MOTCUA_DB_POOL_SIZE must be between 1 and 512")]
    PoolSize,
    #[error("MOTCUA_WORKERS must be between 1 and 256 (got {0})")]
    Workers(usize),
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid log filter `{0}`")]
    LogFilter(String),
    #[error("MOTCUA_MAX_UPLOAD_MB must be between 1 and 1024 (got {0})")]
    UploadLimit(u64),
    #[error("MOTCUA_REQUEST_TIMEOUT must be between 1 and 600 seconds (got {0})")]
    RequestTimeout(u64),
    #[error("MOTCUA_MAX_CONNECTIONS must be between 64 and 1000000 (got {0})")]
    MaxConnections(usize),
    #[error("MOTCUA_METRICS_TOKEN must be at least 32 characters, not all spaces")]
    MetricsToken,
}

const SECRET_FILE: &str = "jwt-secret";

impl Config {
    /// Validates the arguments, creating the data dir and, if needed, the JWT secret file.
    pub fn from_args(args: &ConfigArgs) -> Result<Config, ConfigError> {
        let bind: SocketAddr = args
            .serve
            .bind
            .parse()
            .map_err(|_| ConfigError::Bind(args.serve.bind.clone()))?;
        if !(1..=512).contains(&args.store.db_pool_size) {
            return Err(ConfigError::PoolSize);
        }
        if let Some(w) = args.serve.workers.filter(|w| !(1..=256).contains(w)) {
            return Err(ConfigError::Workers(w));
        }
        tracing_subscriber::EnvFilter::try_new(&args.store.log)
            .map_err(|_| ConfigError::LogFilter(args.store.log.clone()))?;
        if !(1..=1024).contains(&args.serve.max_upload_mb) {
            return Err(ConfigError::UploadLimit(args.serve.max_upload_mb));
        }
        if !(1..=600).contains(&args.serve.request_timeout) {
            return Err(ConfigError::RequestTimeout(args.serve.request_timeout));
        }
        if !(64..=1_000_000).contains(&args.serve.max_connections) {
            return Err(ConfigError::MaxConnections(args.serve.max_connections));
        }
        if args
            .serve
            .metrics_token
            .as_deref()
            .is_some_and(|t| t.trim().chars().count() < 32)
        {
            return Err(ConfigError::MetricsToken);
        }
        let data_dir = args.store.data_dir.clone();
        std::fs::create_dir_all(&data_dir).map_err(|source| ConfigError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let database_url = match &args.store.database_url {
            Some(url) if url.starts_with("sqlite:") || is_postgres(url) => url.clone(),
            Some(url) => {
                return Err(ConfigError::DatabaseUrl(url.chars().take(12).collect()));
            }
            None => format!("sqlite://{}", data_dir.join("motcua.db").display()),
        };
        let jwt_secret = match &args.serve.jwt_secret {
            Some(s) if !strong_enough(s) => {
                return Err(ConfigError::ShortSecret(
                    s.bytes().filter(|b| !b.is_ascii_whitespace()).count(),
                ))
            }
            Some(s) => s.as_bytes().to_vec(),
            None => load_or_create_secret(&data_dir).map_err(|source| ConfigError::DataDir {
                path: data_dir.clone(),
                source,
            })?,
        };
        let documents_dir = args
            .store
            .documents_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("documents"));
        Ok(Config {
            database_url: SecretString::from(database_url),
            bind,
            data_dir,
            jwt_secret: SecretBox::new(Box::new(jwt_secret)),
            log: args.store.log.clone(),
            log_format: args.store.log_format,
            db_pool_size: args.store.db_pool_size,
            workers: args.serve.workers,
            trust_proxy: args.serve.trust_proxy,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(14 * 24 * 3600),
            max_json_bytes: 256 * 1024,
            documents_dir,
            max_upload_bytes: args.serve.max_upload_mb * 1024 * 1024,
            login: LoginPolicy::default(),
            stats_fold: args.serve.stats_fold,
            request_timeout: Duration::from_secs(args.serve.request_timeout),
            head_timeout: Duration::from_secs(args.serve.request_timeout.min(10)),
            max_connections: args.serve.max_connections,
            metrics_token: args.serve.metrics_token.clone().map(SecretString::from),
            clock_offset: chrono::Duration::zero(),
        })
    }

    pub fn backend_name(&self) -> &'static str {
        if is_postgres(self.database_url.expose_secret()) {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

/// A signing secret worth the name: 32 bytes or more that are not white space, and not one
/// short pattern repeated (at least 8 different characters).
fn strong_enough(secret: &str) -> bool {
    let bearing: Vec<u8> = secret
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let distinct: std::collections::BTreeSet<u8> = bearing.iter().copied().collect();
    bearing.len() >= 32 && distinct.len() >= 8
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Reads DATA_DIR/jwt-secret, or creates it with 64 random bytes and mode 0600.
fn load_or_create_secret(dir: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(SECRET_FILE);
    let engine = base64::engine::general_purpose::STANDARD;
    match std::fs::read_to_string(&path) {
        Ok(text) => engine
            .decode(text.trim())
            .ok()
            .filter(|b| b.len() >= 32)
            .ok_or_else(|| {
                std::io::Error::other(format!("{} is not a valid secret", path.display()))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = vec![0u8; 64];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            f.write_all(engine.encode(&bytes).as_bytes())?;
            f.sync_all()?;
            Ok(bytes)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn args(extra: &[&str], dir: &Path) -> ConfigArgs {
        let mut v = vec!["motcua", "--data-dir", dir.to_str().unwrap_or_default()];
        v.extend_from_slice(extra);
        let cli = Cli::parse_from(v);
        ConfigArgs {
            store: cli.store,
            serve: cli.serve,
        }
    }

    #[test]
    fn workers_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["0", "257"] {
            let e = Config::from_args(&args(&["--workers", bad], dir.path()))
                .err()
                .unwrap();
            assert!(e.to_string().contains("between 1 and 256"), "{e}");
        }
        let ok = Config::from_args(&args(&["--workers", "8"], dir.path())).unwrap();
        assert_eq!(ok.workers, Some(8));
    }

    #[test]
    fn generated_secret_is_private_and_stable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = Config::from_args(&args(&[], dir.path())).unwrap();
        let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = Config::from_args(&args(&[], dir.path())).unwrap();
        assert_eq!(a.jwt_secret.expose_secret(), b.jwt_secret.expose_secret());
        assert_eq!(a.backend_name(), "sqlite");
    }

    #[test]
    fn short_secret_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Config::from_args(&args(&["--jwt-secret", "short"], dir.path())),
            Err(ConfigError::ShortSecret(5))
        ));
        let spaces = " ".repeat(64);
        for weak in [
            spaces.as_str(),
            "abababababababababababababababababababab",
            "a b c d e f g h i j k l m n o p q r s t u v",
        ] {
            assert!(
                matches!(
                    Config::from_args(&args(&["--jwt-secret", weak], dir.path())),
                    Err(ConfigError::ShortSecret(_))
                ),
                "{weak:?} accepted"
            );
        }
        assert!(Config::from_args(&args(
            &["--jwt-secret", "Zq3v9XkP2mLr7Tn4Wb8Yc1Hd6Jf0Gs5E"],
            dir.path()
        ))
        .is_ok());
        assert!(matches!(
            Config::from_args(&args(&["--bind", "nowhere"], dir.path())),
            Err(ConfigError::Bind(_))
        ));
        assert!(matches!(
            Config::from_args(&args(&["--database-url", "mysql://x"], dir.path())),
            Err(ConfigError::DatabaseUrl(_))
        ));
    }
}
