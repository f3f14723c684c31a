//! The soak: the real `motcua` binary, in its own process, under a mixed load for
//! `SOAK_MINUTES` (default 30): desks taking dossiers in and moving them through their
//! workflow, work queues, reports, uploads and sign-ins, in about the proportions of the
//! national peak (DOMAIN §6: state changes dominate, each desk reads its queue between them).
//! It prints the service's memory after a warm-up and at the end, the errors, and the p99 of
//! each kind of request. Not run in CI: `scripts/soak [MINUTES]`.
//!
//! Memory is read from /proc: `RssAnon` is the heap (what a leak grows); `VmRSS` also counts
//! the database file's pages mapped by SQLite (`mmap_size`), which grow with the data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use serde_json::{json, Value};
use support::{mandatory_documents, ms, percentile, PLAN};

const PASSWORD: &str = "soak-password-2026";
const SECRET: &str = "soak-secret-soak-secret-soak-secret-0123456789";
/// Desks working at once; each paces itself to `SOAK_LIFECYCLES` per second in all.
const DESKS: usize = 8;

fn seed(db: &motcua::db::Db) -> String {
    let hash = motcua::auth::password::hash(PASSWORD).unwrap();
    db.write_blocking(|c| {
        let unit = motcua::units::store::insert(
            c,
            motcua::units::store::NewUnit {
                code: "01843",
                name: "Phường Bắc Kạn",
                kind: motcua::units::model::UnitKind::Ward,
                parent: None,
                agency_code: None,
                valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                valid_to: None,
            },
        )?;
        for (name, role) in [
            ("clerk", Role::Clerk),
            ("officer", Role::Officer),
            ("approver", Role::Approver),
            ("supervisor", Role::Supervisor),
        ] {
            users::insert(
                c,
                NewUser {
                    username: name,
                    role,
                    unit_id: Some(unit.id),
                    full_name: name,
                    password_hash: &hash,
                    citizen_id: None,
                    tax_code: None,
                    phone: None,
                    email: None,
                },
            )?;
        }
        let spec = motcua::catalogue::import::parse(motcua::demo::PROCEDURES)?
            .into_iter()
            .find(|s| s.code == "1.001193")
            .unwrap();
        motcua::catalogue::store::create(c, &spec, None)?;
        Ok(unit.id.to_string())
    })
    .unwrap()
}

/// Fresh access tokens for the clerk, officer, approver and supervisor.
async fn sign_in(client: &reqwest::Client, base: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for who in ["clerk", "officer", "approver", "supervisor"] {
        tokens.push(support::login(client, base, who, PASSWORD).await);
    }
    tokens
}

/// (VmRSS, RssAnon) of `pid`, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

type Samples = Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>;

struct Soak {
    client: reqwest::Client,
    base: String,
    samples: Samples,
    errors: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl Soak {
    /// Sends `req`, times it under `kind`, and counts anything but `ok` as an error.
    async fn send(
        &self,
        kind: &'static str,
        req: reqwest::RequestBuilder,
        ok: u16,
    ) -> Option<Value> {
        let t = Instant::now();
        match req.send().await {
            Ok(r) if r.status().as_u16() == ok => {
                let body = r.bytes().await.ok()?;
                self.samples
                    .lock()
                    .unwrap()
                    .entry(kind)
                    .or_default()
                    .push(t.elapsed());
                Some(serde_json::from_slice(&body).unwrap_or(Value::Null))
            }
            Ok(r) => {
                let key = format!("{kind}: {}", r.status());
                *self.errors.lock().unwrap().entry(key).or_default() += 1;
                None
            }
            Err(e) => {
                *self
                    .errors
                    .lock()
                    .unwrap()
                    .entry(format!("{kind}: {e}"))
                    .or_default() += 1;
                None
            }
        }
    }
}

fn main() {
    let minutes: f64 = std::env::var("SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(30.0);
    let per_second: f64 = std::env::var("SOAK_LIFECYCLES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(4.0);
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("SOAK_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("soak.db").display()));
    let db = motcua::db::Db::connect(&url, 2).unwrap();
    let unit = seed(&db);
    drop(db);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("MOTCUA_DATA_DIR", dir.path())
        .env("MOTCUA_JWT_SECRET", SECRET)
        .env("MOTCUA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            eprintln!("server: {line}");
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let rt = support::client_runtime();
    let report = rt.block_on(async move {
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
        for _ in 0..100 {
            if client.get(format!("{base}/health/ready")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Access tokens live 15 minutes: the desks sign in again every 10, as a client would.
        let tokens = Arc::new(std::sync::RwLock::new(sign_in(&client, &base).await));
        {
            let (client, base, tokens) = (client.clone(), base.clone(), tokens.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                    let fresh = sign_in(&client, &base).await;
                    *tokens.write().unwrap() = fresh;
                }
            });
        }
        let soak = Arc::new(Soak {
            client,
            base,
            samples: Default::default(),
            errors: Default::default(),
        });
        let documents = Arc::new(mandatory_documents().to_vec());
        let total = Duration::from_secs_f64(minutes * 60.0);
        let warm_up = (total / 10).min(Duration::from_secs(60));
        let started = Instant::now();
        let lifecycles = Arc::new(AtomicUsize::new(0));
        let pace = Duration::from_secs_f64(DESKS as f64 / per_second);
        let desks: Vec<_> = (0..DESKS)
            .map(|w| {
                let (soak, tokens, documents, lifecycles, unit) =
                    (soak.clone(), tokens.clone(), documents.clone(), lifecycles.clone(), unit.clone());
                tokio::spawn(async move {
                    let c = &soak.client;
                    let b = soak.base.clone();
                    let mut n = 0usize;
                    while started.elapsed() < total {
                        let round = Instant::now();
                        let tokens = tokens.read().unwrap().clone();
                        n += 1;
                        // The desk takes a dossier in, scans a paper, and works it to the end,
                        // reading its queue between steps.
                        let body = json!({"procedure_code": "1.001193", "channel": "desk", "documents": *documents,
                            "applicant": {"name": format!("Nguyễn Văn {w}-{n}"), "citizen_id": format!("0060950{w:02}{:03}", n % 1000), "phone": "0912345678"}});
                        let Some(d) = soak.send("intake", c.post(format!("{b}/api/v1/dossiers/intake")).bearer_auth(&tokens[0]).json(&body), 201).await else {
                            tokio::time::sleep(pace).await;
                            continue;
                        };
                        let id = d["id"].as_str().unwrap_or_default().to_owned();
                        let pdf = format!("%PDF-1.4\n% bản chụp {w}-{n}\n%%EOF\n").into_bytes();
                        soak.send("upload", c.post(format!("{b}/api/v1/dossiers/{id}/documents?kind=application&required_index=0&digitised=true")).bearer_auth(&tokens[0]).header("content-type", "application/pdf").body(pdf), 201).await;
                        for (i, (action, who, body)) in PLAN.iter().enumerate() {
                            let req = c.post(format!("{b}/api/v1/dossiers/{id}/{action}")).bearer_auth(&tokens[*who]).header("content-type", "application/json").body(*body);
                            if soak.send("transition", req, 200).await.is_none() {
                                break;
                            }
                            if i % 2 == 0 {
                                soak.send("queue", c.get(format!("{b}/api/v1/dossiers?per_page=20")).bearer_auth(&tokens[*who]), 200).await;
                            }
                        }
                        soak.send("dossier", c.get(format!("{b}/api/v1/dossiers/{id}")).bearer_auth(&tokens[0]), 200).await;
                        if n % 4 == w % 4 {
                            let year = chrono::Utc::now().format("%Y");
                            soak.send("report", c.get(format!("{b}/api/v1/stats/report?unit={unit}&from={year}-01-01&to={}-01-01", year.to_string().parse::<i32>().unwrap_or(2026) + 1)).bearer_auth(&tokens[3]), 200).await;
                        }
                        if n % 10 == w % 10 {
                            soak.send("sign-in", c.post(format!("{b}/api/v1/auth/login")).json(&json!({"username": "clerk", "password": PASSWORD})), 200).await;
                        }
                        lifecycles.fetch_add(1, Ordering::Relaxed);
                        if let Some(rest) = pace.checked_sub(round.elapsed()) {
                            tokio::time::sleep(rest).await;
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(warm_up).await;
        let at_start = memory(pid);
        let mut peak = at_start;
        let mut last_print = Instant::now();
        while started.elapsed() < total {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let now = memory(pid);
            peak = (peak.0.max(now.0), peak.1.max(now.1));
            if last_print.elapsed() >= total / 10 {
                last_print = Instant::now();
                println!("  {:>5.1} min: heap {} KiB, RSS {} KiB", started.elapsed().as_secs_f64() / 60.0, now.1, now.0);
            }
        }
        for d in desks {
            d.await.unwrap();
        }
        let at_end = memory(pid);
        let samples = soak.samples.lock().unwrap().clone();
        let errors = soak.errors.lock().unwrap().clone();
        (at_start, at_end, peak, samples, errors, lifecycles.load(Ordering::Relaxed), started.elapsed(), warm_up)
    });
    let _ = child.kill();
    let _ = child.wait();
    let (start, end, peak, samples, errors, lifecycles, elapsed, warm_up) = report;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "soak on {backend}: {:.1} min, {lifecycles} lifecycles ({:.1}/s)",
        elapsed.as_secs_f64() / 60.0,
        lifecycles as f64 / elapsed.as_secs_f64()
    );
    let growth = |a: u64, b: u64| {
        if a == 0 {
            0.0
        } else {
            (b as f64 - a as f64) / a as f64 * 100.0
        }
    };
    println!(
        "  heap (RssAnon) after {:.0} s warm-up {} KiB, at the end {} KiB, peak {} KiB: {:+.1} % (target < 10 %)",
        warm_up.as_secs_f64(), start.1, end.1, peak.1, growth(start.1, end.1)
    );
    println!(
        "  VmRSS (with the mapped database) {} KiB → {} KiB: {:+.1} %",
        start.0,
        end.0,
        growth(start.0, end.0)
    );
    let error_count: usize = errors.values().sum();
    println!("  errors: {error_count} (target 0)");
    for (what, n) in &errors {
        println!("    {what}: {n}");
    }
    println!(
        "  {:<11} {:>9} {:>9} {:>9}",
        "kind", "requests", "p50 ms", "p99 ms"
    );
    for (kind, mut v) in samples {
        v.sort();
        println!(
            "  {kind:<11} {:>9} {:>9.2} {:>9.2}",
            v.len(),
            ms(percentile(&v, 0.5)),
            ms(percentile(&v, 0.99))
        );
    }
}
