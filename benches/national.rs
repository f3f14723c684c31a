//! The national roll-up benchmark: the whole country as model provinces (34 copies of Thái
//! Nguyên's tree, ≈ 3,160 communes) filled with a year of dossiers by the bulk simulation
//! (BENCH_NATIONAL_DOSSIERS, default 10,000,000 under `cargo bench`), timed; then the
//! country's report by province and a province's report by commune via the fast path, with
//! one reference computation to check them and give the ratio. PostgreSQL only (it is the
//! production backend); `scripts/bench-national` starts a throwaway server and runs it.
//! BENCH_NATIONAL_KEEP=1 keeps the loaded database; BENCH_NATIONAL_DB=<its name> times the
//! reports on it again without loading (on a server you started yourself).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use motcua::dossiers::store::Basis;
use motcua::stats::model::Period;
use motcua::stats::reference::{GroupBy, Root, Tree};
use motcua::stats::{fast, reference};
use support::{date, ms, percentile, timed};

fn dossiers() -> usize {
    let benching = std::env::args().any(|a| a == "--bench");
    std::env::var("BENCH_NATIONAL_DOSSIERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 10_000_000 } else { 20_000 })
}

fn provinces() -> usize {
    std::env::var("BENCH_NATIONAL_PROVINCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(34)
}

/// Provinces loaded at once (BENCH_NATIONAL_JOBS, default 2: the machine's cores).
fn jobs() -> usize {
    std::env::var("BENCH_NATIONAL_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

fn run(url: &str, n: usize, count: usize, reuse: bool) {
    let db = motcua::db::Db::connect(url, 4).unwrap();
    let province = if reuse {
        println!("\n== PostgreSQL: the country as loaded before ==");
        db.read_blocking(|c| {
            let code = motcua::demo::model_province_code(1);
            motcua::units::store::find_by_code(c, &code, motcua::demo::model_from())
        })
        .unwrap()
        .expect("no model province in BENCH_NATIONAL_DB")
    } else {
        println!(
            "\n== PostgreSQL: the country as {count} model provinces, {n} dossiers in 2025 =="
        );
        load(&db, n, count)
    };
    report(&db, &province);
}

/// Fills the country; its first province.
fn load(db: &motcua::db::Db, n: usize, count: usize) -> motcua::units::model::Unit {
    let started = Instant::now();
    let national = motcua::simulate::bulk::national(
        db,
        count,
        jobs(),
        &motcua::simulate::Options {
            province: String::new(),
            from: date(2025, 1, 1),
            to: date(2026, 1, 1),
            dossiers: n,
            seed: 1,
            batch: 5_000,
        },
        &|_| {},
    )
    .unwrap();
    let loaded = started.elapsed();
    fast::settle(db, 5_000, &|_| {}).unwrap();
    let settled = started.elapsed() - loaded;
    println!(
        "loaded: {} dossiers, {} transitions in {:.1} s ({:.0} dossiers/s, {:.0} transitions/s), bulk simulation through the service's rules; vacuum {:.1} s",
        national.filed,
        national.transitions,
        loaded.as_secs_f64(),
        national.filed as f64 / loaded.as_secs_f64(),
        national.transitions as f64 / loaded.as_secs_f64(),
        settled.as_secs_f64()
    );
    national.provinces[0].clone()
}

fn report(db: &motcua::db::Db, province: &motcua::units::model::Unit) {
    let year = Period::new(date(2025, 1, 1), date(2026, 1, 1)).unwrap();
    let quarter = Period::new(date(2025, 4, 15), date(2025, 7, 15)).unwrap();
    let fast_of = |root: Root<'_>, p: &Period, g: GroupBy, rates: bool| {
        db.read_blocking(|c| {
            fast::in_snapshot(c, |c| {
                fast::compute(
                    c,
                    root,
                    p,
                    Tree::Filed,
                    Some(g),
                    rates,
                    Basis::Resolving,
                    chrono::Utc::now(),
                )
            })
        })
        .unwrap()
    };
    let cases: Vec<(&str, Root<'_>, &Period, GroupBy, bool)> = vec![
        (
            "country-year report, by province",
            Root::Country,
            &year,
            GroupBy::Child,
            false,
        ),
        (
            "country-year report + rates, by province",
            Root::Country,
            &year,
            GroupBy::Child,
            true,
        ),
        (
            "country, a quarter across months, by province",
            Root::Country,
            &quarter,
            GroupBy::Child,
            false,
        ),
        (
            "country-year by month",
            Root::Country,
            &year,
            GroupBy::Month,
            false,
        ),
        (
            "province-year report + rates, by commune",
            Root::Unit(province),
            &year,
            GroupBy::Child,
            true,
        ),
    ];
    for (label, root, period, g, rates) in cases {
        let (times, result) = timed(15, || fast_of(root, period, g, rates));
        println!(
            "{label}: fast p50 {:.1} ms, p95 {:.1} ms ({} groups, {} new)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            result.groups.len(),
            result.total.report.new
        );
    }
    // One reference computation of the country (every dossier and event read), to check the
    // fast path and give the ratio; BENCH_NATIONAL_REFERENCE=0 leaves it out (it takes
    // minutes at 10 M).
    if std::env::var("BENCH_NATIONAL_REFERENCE").is_ok_and(|v| v == "0") {
        return;
    }
    let (fast_times, fast_result) =
        timed(15, || fast_of(Root::Country, &year, GroupBy::Child, false));
    let t = Instant::now();
    let slow = db
        .read_blocking(|c| {
            reference::compute(
                c,
                Root::Country,
                &year,
                Tree::Filed,
                Some(GroupBy::Child),
                Basis::Resolving,
                chrono::Utc::now(),
            )
        })
        .unwrap();
    let slow_time = t.elapsed();
    assert_eq!(fast_result.total, slow.total, "fast and reference differ");
    assert_eq!(
        fast_result.groups, slow.groups,
        "fast and reference differ by province"
    );
    println!(
        "country-year report: fast p50 {:.1} ms vs reference {:.0} ms: {:.0}× (figures identical)",
        ms(percentile(&fast_times, 0.5)),
        ms(slow_time),
        ms(slow_time) / ms(percentile(&fast_times, 0.5))
    );
}

fn main() {
    let Ok(admin_url) = std::env::var("BENCH_PG_URL") else {
        println!("BENCH_PG_URL unset: the national benchmark runs on PostgreSQL (scripts/bench-national).");
        return;
    };
    let (n, count) = (dossiers(), provinces());
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    // BENCH_NATIONAL_DB names a database loaded before (kept by BENCH_NATIONAL_KEEP=1): the
    // reports are timed again without loading.
    let reuse = std::env::var("BENCH_NATIONAL_DB").ok();
    let keep = reuse.is_some() || std::env::var("BENCH_NATIONAL_KEEP").is_ok_and(|v| v == "1");
    let name = reuse
        .clone()
        .unwrap_or_else(|| format!("motcua_national_{}", uuid::Uuid::now_v7().simple()));
    let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
    if reuse.is_none() {
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
    }
    let (head, _) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
    let url = format!("{}/{name}", head.rsplit_once('/').unwrap().0);
    run(&url, n, count, reuse.is_some());
    if keep {
        println!("kept: BENCH_NATIONAL_DB={name}");
    } else {
        std::thread::sleep(Duration::from_millis(200));
        let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
    }
}
