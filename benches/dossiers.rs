//! The dossiers benchmark: full lifecycles (intake and eight transitions, each one commit with
//! its history event) at 32 connections against the real server, beside the raw single-row
//! INSERT commit rate of the same database through the same pool, measured in the same run.
//! `scripts/bench` runs it on SQLite (synchronous=FULL) and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{ExpressionMethods, RunQueryDsl};
use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use serde_json::{json, Value};
use support::{mandatory_documents, ms, percentile, CONNECTIONS, PLAN};

diesel::table! {
    bench_raw (id) {
        id -> Text,
        payload -> Text,
    }
}

const PASSWORD: &str = "bench-password-2026";

fn seed(db: &motcua::db::Db) {
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
        c.batch_execute(
            "CREATE TABLE bench_raw (id TEXT PRIMARY KEY NOT NULL, payload TEXT NOT NULL)",
        )?;
        Ok(())
    })
    .unwrap();
}

/// Single-row INSERT commits through the application's pool for `secs`, CONNECTIONS threads.
fn raw_insert_rate(db: &motcua::db::Db, secs: f64) -> f64 {
    let count = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (db, count) = (db.clone(), count.clone());
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    // A prepared single-row INSERT, the cheapest commit there is: autocommit on
                    // PostgreSQL; under the writer lock on SQLite, as the application writes.
                    let insert = |c: &mut motcua::db::DbConn| {
                        diesel::insert_into(bench_raw::table)
                            .values((
                                bench_raw::id.eq(uuid::Uuid::now_v7().to_string()),
                                bench_raw::payload.eq("x"),
                            ))
                            .execute(c)?;
                        Ok(())
                    };
                    match db.backend() {
                        motcua::db::BackendKind::Postgres => db.read_blocking(insert),
                        motcua::db::BackendKind::Sqlite => db.write_blocking(insert),
                    }
                    .unwrap();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn run_backend(name: &str, url: &str, secs: f64) {
    let server = support::start(url, seed);
    let base = server.base.clone();
    let raw = raw_insert_rate(&server.db, secs);
    let rt = support::client_runtime();
    let (lifecycles, transitions, latencies, errors, elapsed) = rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        let mut tokens = Vec::new();
        for who in ["clerk", "officer", "approver"] {
            tokens.push(support::login(&client, &base, who, PASSWORD).await);
        }
        let tokens = Arc::new(tokens);
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let (done, errors) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        let started = Instant::now();
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|w| {
                let (client, base, tokens, latencies, done, errors) =
                    (client.clone(), base.clone(), tokens.clone(), latencies.clone(), done.clone(), errors.clone());
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    let mut n = 0;
                    'lives: while Instant::now() < deadline {
                        let t = Instant::now();
                        let body = json!({"procedure_code": "1.001193", "channel": "desk", "documents": mandatory_documents(), "applicant": {"name": format!("Người nộp {w}-{n}")}});
                        let r = client.post(format!("{base}/api/v1/dossiers/intake")).bearer_auth(&tokens[0]).json(&body).send().await.unwrap();
                        if r.status() != 201 {
                            errors.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        mine.push(t.elapsed());
                        let d: Value = r.json().await.unwrap();
                        let id = d["id"].as_str().unwrap().to_owned();
                        for (action, who, body) in PLAN {
                            let t = Instant::now();
                            let r = client
                                .post(format!("{base}/api/v1/dossiers/{id}/{action}"))
                                .bearer_auth(&tokens[who])
                                .header("content-type", "application/json")
                                .body(body)
                                .send()
                                .await
                                .unwrap();
                            if !r.status().is_success() {
                                errors.fetch_add(1, Ordering::Relaxed);
                                continue 'lives;
                            }
                            let _ = r.bytes().await;
                            mine.push(t.elapsed());
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                    latencies.lock().unwrap().extend(mine);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = started.elapsed();
        let mut l = latencies.lock().unwrap().clone();
        l.sort_unstable();
        (done.load(Ordering::Relaxed), l.len(), l, errors.load(Ordering::Relaxed), elapsed)
    });
    let secs_run = elapsed.as_secs_f64();
    let tps = transitions as f64 / secs_run;
    println!(
        "\n{name}: {CONNECTIONS} connections, {secs} s, lifecycle = intake + {} transitions",
        PLAN.len()
    );
    println!(
        "  lifecycles/s               {:>10.1}",
        lifecycles as f64 / secs_run
    );
    println!(
        "  transitions/s (commits)    {:>10.1}   p50 {:.2} ms   p99 {:.2} ms   errors {errors}",
        tps,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );
    println!(
        "  raw single-row INSERT/s    {:>10.1}   (same database, same pool, {CONNECTIONS} threads)",
        raw
    );
    println!(
        "  ratio transitions / raw inserts: {:.2} (target ≥ 0.5 PostgreSQL, ≥ 0.3 SQLite)",
        tps / raw
    );
}

fn main() {
    let secs = support::seconds();
    support::for_each_backend(|name, url| run_backend(name, url, secs));
}
