//! The foundation benchmark: `/health/live` (no auth, no database), an authenticated catalogue
//! search over 2,000 procedures, and sign-in, each at 32 concurrent connections against the
//! real server, on SQLite and (with BENCH_PG_URL naming a PostgreSQL server) on PostgreSQL.
//! Run with `scripts/bench` (both backends) or `cargo bench --bench api` (SQLite only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use motcua::auth::password;
use motcua::catalogue::{import, store as catalogue};
use motcua::config::{Config, ConfigArgs, LogFormat};

const CONNECTIONS: usize = 32;
const PROCEDURES: usize = 2000;
const PASSWORD: &str = "bench-password-2026";
const QUERIES: &[&str] = &[
    "khai sinh",
    "dang ky",
    "giay phep xay dung",
    "chung thuc",
    "thuong tru",
    "ho kinh doanh",
    "ket hon",
    "dat dai",
];

struct Stats {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Stats {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `make_request(i)` on CONNECTIONS concurrent loops for `secs`, after a short warm-up.
async fn load<F>(client: &reqwest::Client, secs: f64, make_request: F) -> Stats
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make_request = Arc::new(make_request);
    for round in [0.5_f64, secs] {
        let deadline = Instant::now() + Duration::from_secs_f64(round);
        let mut tasks = Vec::new();
        for c in 0..CONNECTIONS {
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
                    i += CONNECTIONS;
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

fn seed(db: &motcua::db::Db) {
    let specs = import::parse(motcua::demo::PROCEDURES).unwrap();
    let hash = password::hash(PASSWORD).unwrap();
    db.write_blocking(|c| {
        for i in 0..PROCEDURES {
            let mut s = specs[i % specs.len()].clone();
            s.code = format!("{}.{:06}", 3 + i / 1000, i);
            if i >= specs.len() {
                s.name = format!("{} (địa phương {})", s.name, i / specs.len());
            }
            catalogue::create(c, &s, None)?;
        }
        for i in 0..CONNECTIONS {
            users::insert(
                c,
                NewUser {
                    username: &format!("bench{i}"),
                    role: Role::Admin,
                    unit_id: None,
                    full_name: "Bench",
                    password_hash: &hash,
                    citizen_id: None,
                    tax_code: None,
                    phone: None,
                    email: None,
                },
            )?;
        }
        Ok(())
    })
    .unwrap();
}

fn run_backend(name: &str, url: &str, secs: f64) {
    let dir = tempfile::tempdir().unwrap();
    let args = ConfigArgs {
        database_url: Some(url.to_owned()),
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        jwt_secret: Some("bench-secret-bench-secret-bench-secret".into()),
        log: "warn".into(),
        log_format: LogFormat::Pretty,
        db_pool_size: 16,
        workers: None,
        trust_proxy: false,
    };
    let mut config = Config::from_args(&args).unwrap();
    // Sign-in is measured for throughput; the throttle is tested elsewhere.
    config.login.address_lock_after = u32::MAX;
    let db = motcua::open_db(&config).unwrap();
    seed(&db);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let state = web::Data::new(motcua::app::AppState::new(&config, db));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = motcua::app::server(state, listener, workers).unwrap();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        })
    });
    let handle = rx.recv().unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        let login = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "bench0", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let token: serde_json::Value = login.json().await.unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        let check = client.get(format!("{base}/api/v1/procedures?q=khai%20sinh")).bearer_auth(&token).send().await.unwrap();
        let body: serde_json::Value = check.json().await.unwrap();
        assert!(body["total"].as_i64().unwrap() > 100, "the catalogue is seeded: {body}");

        let b = base.clone();
        let health = load(&client, secs, move |c, _| c.get(format!("{b}/health/live"))).await;
        let b = base.clone();
        let search = load(&client, secs, move |c, i| {
            c.get(format!("{b}/api/v1/procedures")).query(&[("q", QUERIES[i % QUERIES.len()])]).bearer_auth(&token)
        })
        .await;
        let b = base.clone();
        let logins = load(&client, secs, move |c, i| {
            c.post(format!("{b}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": format!("bench{}", i % CONNECTIONS), "password": PASSWORD}))
        })
        .await;

        println!("\n{name}: {PROCEDURES} procedures, {CONNECTIONS} connections, {secs} s per scenario, {workers} server workers");
        println!("  {:<38} {:>10} {:>9} {:>9} {:>7}", "scenario", "req/s", "p50 ms", "p99 ms", "errors");
        for (label, s) in [("GET /health/live (no auth)", &health), ("GET /api/v1/procedures?q=… (bearer)", &search), ("POST /api/v1/auth/login (argon2id)", &logins)] {
            println!(
                "  {:<38} {:>10.0} {:>9.2} {:>9.2} {:>7}",
                label,
                s.rps(),
                s.p50.as_secs_f64() * 1e3,
                s.p99.as_secs_f64() * 1e3,
                s.errors
            );
        }
        println!(
            "  search / health throughput ratio: {:.2} (target ≥ 0.5); search p99 {:.2} ms (target < 10 ms)",
            search.rps() / health.rps(),
            search.p99.as_secs_f64() * 1e3
        );
    });
    drop(handle.stop(true));
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass nothing: run quickly then.
    let benching = std::env::args().any(|a| a == "--bench");
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 5.0 } else { 0.5 });
    let dir = tempfile::tempdir().unwrap();
    run_backend(
        "SQLite",
        &format!("sqlite://{}", dir.path().join("bench.db").display()),
        secs,
    );
    if let Ok(admin_url) = std::env::var("BENCH_PG_URL") {
        let name = format!("motcua_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (head, _) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let url = format!("{}/{name}", head.rsplit_once('/').unwrap().0);
        run_backend("PostgreSQL", &url, secs);
        std::thread::sleep(Duration::from_millis(200));
        let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
    } else {
        println!("\nBENCH_PG_URL unset: PostgreSQL skipped (scripts/bench runs both).");
    }
}
