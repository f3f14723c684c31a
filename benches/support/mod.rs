//! What the benchmarks share: a load generator with latency percentiles, and the real server
//! started in-process on a random port over a fresh SQLite file or PostgreSQL database.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use motcua::config::{Config, ConfigArgs, LogFormat, ServeArgs, StoreArgs};

pub const CONNECTIONS: usize = 32;

pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Stats {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `make_request(i)` on CONNECTIONS concurrent loops for `secs`, after a short warm-up.
pub async fn load<F>(client: &reqwest::Client, secs: f64, make_request: F) -> Stats
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    load_with(client, secs, CONNECTIONS, make_request).await
}

/// `load` with `connections` concurrent loops (1: the latency of one request on an idle server).
pub async fn load_with<F>(
    client: &reqwest::Client,
    secs: f64,
    connections: usize,
    make_request: F,
) -> Stats
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make_request = Arc::new(make_request);
    for round in [0.5_f64, secs] {
        let deadline = Instant::now() + Duration::from_secs_f64(round);
        let mut tasks = Vec::new();
        for c in 0..connections {
            let (client, make) = (client.clone(), make_request.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                let mut i = c;
                while Instant::now() < deadline {
                    let start = Instant::now();
                    match make(&client, i).send().await {
                        Ok(res) if res.status().is_success() => {
                            let _ = res.bytes().await;
                            latencies.push(start.elapsed());
                        }
                        _ => errors += 1,
                    }
                    i += connections;
                }
                (latencies, errors)
            }));
        }
        let started = Instant::now();
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.unwrap();
            all.extend(l);
            errors += e;
        }
        if round == secs {
            let elapsed = started.elapsed();
            all.sort_unstable();
            return Stats {
                requests: all.len(),
                errors,
                elapsed,
                p50: percentile(&all, 0.5),
                p99: percentile(&all, 0.99),
            };
        }
    }
    unreachable!()
}

/// Seconds per scenario: BENCH_SECONDS, else 5 under `cargo bench` and 0.5 otherwise.
pub fn seconds() -> f64 {
    let benching = std::env::args().any(|a| a == "--bench");
    std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 5.0 } else { 0.5 })
}

/// The databases to measure: a fresh SQLite file, and a fresh PostgreSQL database when
/// BENCH_PG_URL names a server. Calls `run(name, url)` for each.
/// BENCH_BACKENDS=sqlite or =postgres runs only that one; BENCH_KEEP=1 keeps the databases
/// (to look at query plans afterwards) and prints where they are.
pub fn for_each_backend(run: impl Fn(&str, &str)) {
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_default();
    let keep = std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1");
    let dir = tempfile::Builder::new()
        .disable_cleanup(keep)
        .tempdir()
        .unwrap();
    if keep {
        println!("keeping {}", dir.path().display());
    }
    if only.is_empty() || only.contains("sqlite") {
        run(
            "SQLite",
            &format!("sqlite://{}", dir.path().join("bench.db").display()),
        );
    }
    if !(only.is_empty() || only.contains("postgres")) {
        return;
    }
    if let Ok(admin_url) = std::env::var("BENCH_PG_URL") {
        let name = format!("motcua_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (head, _) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let url = format!("{}/{name}", head.rsplit_once('/').unwrap().0);
        run("PostgreSQL", &url);
        if keep {
            println!("keeping PostgreSQL database {name}");
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
        let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
    } else {
        println!("\nBENCH_PG_URL unset: PostgreSQL skipped (scripts/bench runs both).");
    }
}

pub struct Server {
    pub base: String,
    pub db: motcua::db::Db,
    pub workers: usize,
    handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.handle.stop(true));
    }
}

/// Opens (and migrates) the database, lets `seed` fill it, and starts the server.
pub fn start(url: &str, seed: impl FnOnce(&motcua::db::Db)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let args = ConfigArgs {
        store: StoreArgs {
            database_url: Some(url.to_owned()),
            data_dir: dir.path().to_path_buf(),
            log: "warn".into(),
            log_format: LogFormat::Pretty,
            db_pool_size: 16,
            documents_dir: None,
        },
        serve: ServeArgs {
            bind: "127.0.0.1:0".into(),
            jwt_secret: Some("bench-secret-bench-secret-bench-secret".into()),
            workers: None,
            trust_proxy: false,
            max_upload_mb: 20,
            stats_fold: true,
            request_timeout: 30,
            max_connections: 10_000,
            metrics_token: None,
        },
    };
    let mut config = Config::from_args(&args).unwrap();
    // Sign-in is measured for throughput; the throttle is tested elsewhere.
    config.login.address_lock_after = u32::MAX;
    let db = motcua::open_db(&config).unwrap();
    seed(&db);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let state = web::Data::new(motcua::state::AppState::new(&config, db.clone()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = motcua::app::server(state, listener, workers).unwrap();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        })
    });
    Server {
        base,
        db,
        workers,
        handle: rx.recv().unwrap(),
        _dir: dir,
    }
}

/// A client runtime with one thread, leaving the other cores to the server.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

pub async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Times `f` `n` times; returns the sorted durations and the last result.
pub fn timed<T>(n: usize, mut f: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut times = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times, last.unwrap())
}

/// A dossier's workflow after desk intake, for procedure 1.001193 with one officer step and an
/// approval: (action, who acts — 0 clerk, 1 officer, 2 approver —, body).
pub const PLAN: [(&str, usize, &str); 8] = [
    ("assign", 0, "{}"),
    ("request_supplement", 1, r#"{"note":"Bổ sung giấy tờ"}"#),
    ("supplement", 0, "{}"),
    (
        "request_payment",
        1,
        r#"{"note":"Lệ phí","amount_vnd":50000}"#,
    ),
    ("pay", 0, r#"{"payment_channel":"desk"}"#),
    ("submit_for_approval", 1, "{}"),
    ("approve", 2, "{}"),
    ("return_result", 0, r#"{"return_channel":"electronic"}"#),
];

/// The positions of procedure 1.001193's mandatory documents: the desk hands them all in.
pub fn mandatory_documents() -> &'static [u32] {
    static POSITIONS: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    POSITIONS.get_or_init(|| {
        let spec = motcua::catalogue::import::parse(motcua::demo::PROCEDURES)
            .unwrap()
            .into_iter()
            .find(|s| s.code == "1.001193")
            .unwrap();
        (0u32..)
            .zip(&spec.required_documents)
            .filter(|(_, d)| d.mandatory)
            .map(|(i, _)| i)
            .collect()
    })
}
