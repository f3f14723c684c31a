//! The statistics benchmark: a simulated province-year (Bắc Kạn 2024, 149,016 dossiers by
//! default; BENCH_STATS_DOSSIERS sets it), then the report and the rates of the province by
//! district, via the fast path and via the reference path in the same run — checked equal —
//! and the desks' throughput alone and while the report endpoint is hammered.
//! `scripts/bench-stats` runs it on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua::dossiers::store::Basis;
use motcua::stats::model::Period;
use motcua::stats::reference::{GroupBy, Root, Tree};
use motcua::stats::{fast, reference};
use rand::SeedableRng;
use support::{date, ms, percentile, timed};

const PASSWORD: &str = "bench-password-2026";

fn dossiers() -> usize {
    let benching = std::env::args().any(|a| a == "--bench");
    std::env::var("BENCH_STATS_DOSSIERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 149_016 } else { 3_000 })
}

fn run_backend(name: &str, url: &str, n: usize, secs: f64) {
    println!("\n== {name}: a simulated province-year, {n} dossiers ==");
    let server = support::start(url, |db| {
        let started = Instant::now();
        let outcome = motcua::simulate::run(
            db,
            &motcua::simulate::Options {
                province: "06".into(),
                from: date(2024, 1, 1),
                to: date(2025, 1, 1),
                dossiers: n,
                seed: 1,
                batch: 500,
            },
            &|_| {},
        )
        .unwrap();
        let filed = started.elapsed();
        let folded = fast::settle(db, 5_000, &|_| {}).unwrap();
        let load_time = started.elapsed();
        println!(
            "loaded: {} dossiers, {} transitions through the service in {:.1} s ({:.0} transitions/s); {} changes folded in {:.1} s",
            outcome.filed,
            outcome.transitions,
            filed.as_secs_f64(),
            outcome.transitions as f64 / filed.as_secs_f64(),
            folded,
            (load_time - filed).as_secs_f64()
        );
        // A supervisor of the 2-level province, for the HTTP part.
        let hash = motcua::auth::password::hash(PASSWORD).unwrap();
        db.write_blocking(|c| {
            let province = motcua::units::store::find_by_code(c, "19", date(2025, 7, 1))?
                .expect("Thái Nguyên");
            motcua::accounts::store::insert(
                c,
                motcua::accounts::store::NewUser {
                    username: "bench.supervisor",
                    role: motcua::accounts::model::Role::Supervisor,
                    unit_id: Some(province.id),
                    full_name: "Giám sát",
                    password_hash: &hash,
                    citizen_id: None,
                    tax_code: None,
                    phone: None,
                    email: None,
                },
            )?;
            Ok(())
        })
        .unwrap();
    });
    let db = server.db.clone();
    let province = db
        .read_blocking(|c| {
            Ok(motcua::units::store::find_by_code(c, "06", date(2024, 1, 1))?.unwrap())
        })
        .unwrap();
    let year = Period::new(date(2024, 1, 1), date(2025, 1, 1)).unwrap();

    // Province-year, by district: report (without) and rates (with the per-procedure reads).
    for (label, with_online_used) in [("report", false), ("report + rates", true)] {
        let (fast_times, fast_result) = timed(30, || {
            db.read_blocking(|c| {
                fast::in_snapshot(c, |c| {
                    fast::compute(
                        c,
                        Root::Unit(&province),
                        &year,
                        Tree::Filed,
                        Some(GroupBy::Child),
                        with_online_used,
                        Basis::Resolving,
                        chrono::Utc::now(),
                    )
                })
            })
            .unwrap()
        });
        let (slow_times, slow_result) = timed(3, || {
            db.read_blocking(|c| {
                reference::compute(
                    c,
                    Root::Unit(&province),
                    &year,
                    Tree::Filed,
                    Some(GroupBy::Child),
                    Basis::Resolving,
                    chrono::Utc::now(),
                )
            })
            .unwrap()
        });
        assert_eq!(fast_result.total, slow_result.total, "{label}: totals");
        assert_eq!(fast_result.groups, slow_result.groups, "{label}: groups");
        if with_online_used {
            assert_eq!(fast_result.online_used, slow_result.online_used);
        }
        let (f50, s50) = (percentile(&fast_times, 0.5), percentile(&slow_times, 0.5));
        println!(
            "{label}, province-year by district: fast p50 {:.2} ms (max {:.2}), reference p50 {:.0} ms; {:.0}× faster; figures identical",
            ms(f50),
            ms(*fast_times.last().unwrap()),
            ms(s50),
            s50.as_secs_f64() / f50.as_secs_f64()
        );
        if with_online_used {
            let r = fast_result.total.rates.finish();
            let t = &fast_result.total.report;
            let pct = |rate: motcua::stats::model::Rate| rate.value.unwrap_or(0.0) * 100.0;
            println!(
                "  received {} (online {:.1} %), resolved {} (on time {:.1} %), fully online {:.1} %, online payment {:.1} %, satisfaction {:.1} %, unresolved at year end {} (overdue {})",
                t.new,
                pct(r.online_filing),
                t.resolved,
                pct(r.on_time),
                pct(r.fully_online),
                pct(r.online_payment),
                pct(r.satisfaction),
                t.unresolved,
                t.overdue
            );
        }
    }
    for (label, group_by) in [
        ("by procedure", Some(GroupBy::Procedure)),
        ("by month", Some(GroupBy::Month)),
    ] {
        let (times, _) = timed(20, || {
            db.read_blocking(|c| {
                fast::in_snapshot(c, |c| {
                    fast::compute(
                        c,
                        Root::Unit(&province),
                        &year,
                        Tree::Filed,
                        group_by,
                        true,
                        Basis::Resolving,
                        chrono::Utc::now(),
                    )
                })
            })
            .unwrap()
        });
        println!(
            "report + rates {label}: fast p50 {:.2} ms",
            ms(percentile(&times, 0.5))
        );
    }

    // The desks: without the statistics' upkeep (the triggers that mark changed dossiers
    // dropped, so the folder has nothing to do), with it, then with it while the report is
    // requested five times a second (a busy dashboard) and back to back.
    let desk =
        Arc::new(motcua::simulate::Province::prepare(&db, "19", date(2025, 7, 1), 2).unwrap());
    let marks = drop_marks(&db);
    let bare = desks(&db, &desk, secs);
    restore_marks(&db, &marks);
    let upkeep = desks(&db, &desk, secs);
    println!(
        "desks (4 threads, one transaction per dossier): {bare:.0} transitions/s without the statistics' upkeep, {upkeep:.0} with it (marks and folding): {:+.0} %",
        (upkeep / bare - 1.0) * 100.0
    );
    let rt = support::client_runtime();
    for (label, pace) in [
        ("5 reports a second", Some(Duration::from_millis(200))),
        ("reports back to back", None),
    ] {
        let (rate, times) = rt.block_on(hammered(&server.base, &db, &desk, secs, pace));
        println!(
            "  {label} ({} reports, p50 {:.1} ms, p99 {:.1} ms): {rate:.0} transitions/s, {:+.0} % against the desks with upkeep alone, {:+.0} % against the bare desks",
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            (rate / upkeep - 1.0) * 100.0,
            (rate / bare - 1.0) * 100.0
        );
    }
}

/// The desks' rate while the supervisor requests the province-year report by child, every
/// `pace` (or back to back); the report times.
async fn hammered(
    base: &str,
    db: &motcua::db::Db,
    desk: &Arc<motcua::simulate::Province>,
    secs: f64,
    pace: Option<Duration>,
) -> (f64, Vec<Duration>) {
    let client = reqwest::Client::new();
    let token = support::login(&client, base, "bench.supervisor", PASSWORD).await;
    let report = format!(
        "{base}/api/v1/stats/report?from=2025-01-01&to=2026-01-01&group_by=child&tree=current"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let r = client
                    .get(&report)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
                times.push(t.elapsed());
                if let Some(pace) = pace {
                    tokio::time::sleep(pace.saturating_sub(t.elapsed())).await;
                }
            }
            times.sort();
            times
        })
    };
    let (db, desk) = (db.clone(), desk.clone());
    let rate = tokio::task::spawn_blocking(move || desks(&db, &desk, secs))
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    (rate, load.await.unwrap())
}

/// Drops the triggers that mark changed dossiers for the statistics; their definitions, to
/// restore them.
fn drop_marks(db: &motcua::db::Db) -> Vec<String> {
    use diesel::connection::SimpleConnection;
    use motcua::db::DbConn;
    #[derive(diesel::QueryableByName)]
    struct Definition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    db.write_blocking(|c| {
        Ok(match c {
            DbConn::Postgres(pg) => {
                pg.batch_execute(
                    "ALTER TABLE dossiers DISABLE TRIGGER stat_dirty_on_change; \
                     ALTER TABLE dossier_ratings DISABLE TRIGGER stat_dirty_on_rating",
                )?;
                Vec::new()
            }
            DbConn::Sqlite(lite) => {
                use diesel::RunQueryDsl;
                let triggers: Vec<Definition> = diesel::sql_query(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stat_dirty_%'",
                )
                .load(lite)?;
                for t in &triggers {
                    let name = t.sql.split_whitespace().nth(2).unwrap_or_default();
                    lite.batch_execute(&format!("DROP TRIGGER {name}"))?;
                }
                triggers.into_iter().map(|t| t.sql).collect()
            }
        })
    })
    .unwrap()
}

fn restore_marks(db: &motcua::db::Db, sqlite_triggers: &[String]) {
    use diesel::connection::SimpleConnection;
    use motcua::db::DbConn;
    db.write_blocking(|c| {
        match c {
            DbConn::Postgres(pg) => pg.batch_execute(
                "ALTER TABLE dossiers ENABLE TRIGGER stat_dirty_on_change; \
                 ALTER TABLE dossier_ratings ENABLE TRIGGER stat_dirty_on_rating",
            )?,
            DbConn::Sqlite(lite) => {
                for sql in sqlite_triggers {
                    lite.batch_execute(sql)?;
                }
            }
        }
        Ok(())
    })
    .unwrap()
}

/// Transitions per second made by four desk threads filing and processing dossiers for
/// `secs` (one transaction per dossier, through the service).
fn desks(db: &motcua::db::Db, desk: &Arc<motcua::simulate::Province>, secs: f64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (db, desk, stop, done) = (db.clone(), desk.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(t);
                let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
                while !stop.load(Ordering::Relaxed) {
                    let day = today - chrono::Duration::days(20);
                    let n = db
                        .write_blocking(|c| desk.file(c, &mut rng, day, chrono::Utc::now()))
                        .unwrap();
                    done.fetch_add(n, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / secs
}

fn main() {
    let n = dossiers();
    let secs = support::seconds();
    support::for_each_backend(|name, url| run_backend(name, url, n, secs));
}
