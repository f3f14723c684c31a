//! The foundation benchmark: `/health/live` (no auth, no database), an authenticated catalogue
//! search over 2,000 procedures, and sign-in, each at 32 concurrent connections against the
//! real server, on SQLite and (with BENCH_PG_URL naming a PostgreSQL server) on PostgreSQL.
//! Run with `scripts/bench` (both backends) or `cargo bench --bench api` (SQLite only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use motcua::auth::password;
use motcua::catalogue::{import, store as catalogue};
use support::{load, CONNECTIONS};
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
    let server = support::start(url, seed);
    let (base, workers) = (server.base.clone(), server.workers);
    let rt = support::client_runtime();
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        let token = support::login(&client, &base, "bench0", PASSWORD).await;
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
            println!("  {:<38} {:>10.0} {:>9.2} {:>9.2} {:>7}", label, s.rps(), support::ms(s.p50), support::ms(s.p99), s.errors);
        }
        println!(
            "  search / health throughput ratio: {:.2} (target ≥ 0.5); search p99 {:.2} ms (target < 10 ms)",
            search.rps() / health.rps(),
            support::ms(search.p99)
        );
    });
}

fn main() {
    let secs = support::seconds();
    support::for_each_backend(|name, url| run_backend(name, url, secs));
}
