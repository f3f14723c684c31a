//! The work-queue benchmark: a province's tree (1 province, 10 districts, 200 communes) with
//! BENCH_QUEUE_DOSSIERS dossiers (default 1,000,000) bulk-loaded — most of them long returned,
//! a few percent still being worked on — then the queue requests staff make all day, at 32
//! connections against the real server: a commune desk's queue, the same with a name search,
//! and a district leader's overdue list over the district's subtree. Reports p50 / p99.
//! Then the web client against the JSON it shows, in the same run: the clerk's queue page
//! (`/mot-cua`, its tab counts and 30 rows) against `GET /api/v1/dossiers?per_page=30`, and the
//! dossier page (`/ho-so/{id}`) against `GET /api/v1/dossiers/{id}`, both gzip-accepting as a
//! browser is; reports pages/s ÷ API responses/s and p99.
//! `scripts/bench` runs it on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use motcua::db::schema::dossiers;
use motcua::db::DbConn;
use motcua::units::model::UnitKind;
use motcua::units::store::{self as units, NewUnit};
use rand::{Rng, SeedableRng};
use support::{ms, CONNECTIONS};

const PASSWORD: &str = "bench-password-2026";
const DISTRICTS: usize = 10;
const COMMUNES_PER_DISTRICT: usize = 20;
/// Rows per transaction, written as statements of STATEMENT rows (SQLite binds at most 32,766
/// values in one statement).
const BATCH: usize = 10_000;
const STATEMENT: usize = 1000;

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Triệu", "Ma", "Nông", "Hà",
];
const MIDDLE: &[&str] = &["Văn", "Thị", "Minh", "Đức", "Ngọc", "Thanh", "Quang", "Hữu"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Châu", "Dũng", "Đức", "Giang", "Hà", "Hoa", "Hùng", "Khánh", "Lan", "Linh",
    "Mai", "Nam", "Phong", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Vân", "Yến",
];

/// Pending states and their share among the dossiers still being worked on.
const PENDING: &[(&str, u32)] = &[
    ("submitted", 10),
    ("received", 10),
    ("in_progress", 55),
    ("supplement_requested", 8),
    ("awaiting_payment", 4),
    ("awaiting_approval", 8),
    ("resolved", 5),
];

struct World {
    version_id: String,
    communes: Vec<String>,
}

fn unit(
    c: &mut DbConn,
    code: String,
    kind: UnitKind,
    parent: Option<&motcua::units::model::Unit>,
) -> motcua::error::AppResult<motcua::units::model::Unit> {
    units::insert(
        c,
        NewUnit {
            code: &code,
            name: &format!("Đơn vị {code}"),
            kind,
            parent,
            agency_code: None,
            valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            valid_to: None,
        },
    )
}

fn seed(db: &motcua::db::Db) -> World {
    let hash = motcua::auth::password::hash(PASSWORD).unwrap();
    db.write_blocking(|c| {
        let province = unit(c, "06".into(), UnitKind::Province, None)?;
        let mut communes = Vec::new();
        let mut first_district = None;
        for d in 0..DISTRICTS {
            let district = unit(
                c,
                format!("{:03}", 58 + d),
                UnitKind::District,
                Some(&province),
            )?;
            for k in 0..COMMUNES_PER_DISTRICT {
                let commune = unit(
                    c,
                    format!("{:05}", 1800 + d * 100 + k),
                    UnitKind::Commune,
                    Some(&district),
                )?;
                communes.push(commune);
            }
            if first_district.is_none() {
                first_district = Some(district.id);
            }
        }
        let staff = [
            ("clerk", Role::Clerk, communes[0].id),
            ("leader", Role::Approver, first_district.unwrap()),
        ];
        for (name, role, unit_id) in staff {
            users::insert(
                c,
                NewUser {
                    username: name,
                    role,
                    unit_id: Some(unit_id),
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
        let p = motcua::catalogue::store::create(c, &spec, None)?;
        Ok(World {
            version_id: p.summary.version_id.to_string(),
            communes: communes.into_iter().map(|u| u.id.to_string()).collect(),
        })
    })
    .unwrap()
}

/// Inserts `n` dossiers in batches of BATCH rows, one transaction each; returns the time.
fn bulk_load(db: &motcua::db::Db, w: &World, n: usize) -> Duration {
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let now = chrono::Utc::now().naive_utc();
    let pending_total: u32 = PENDING.iter().map(|(_, w)| w).sum();
    let mut done = 0;
    while done < n {
        let rows: Vec<_> = (done..(done + BATCH).min(n))
            .map(|i| {
                let name = format!(
                    "{} {} {}",
                    FAMILY[rng.gen_range(0..FAMILY.len())],
                    MIDDLE[rng.gen_range(0..MIDDLE.len())],
                    GIVEN[rng.gen_range(0..GIVEN.len())]
                );
                let code = format!("BQ-{i:09}");
                let unit = &w.communes[rng.gen_range(0..w.communes.len())];
                // 4 % still being worked on, received in the last month; the rest returned
                // over the past three years.
                let (state, age_days) = if rng.gen_bool(0.04) {
                    let mut pick = rng.gen_range(0..pending_total);
                    let state = PENDING
                        .iter()
                        .find(|(_, w)| {
                            let hit = pick < *w;
                            pick = pick.saturating_sub(*w);
                            hit
                        })
                        .unwrap()
                        .0;
                    (state, rng.gen_range(0..30))
                } else {
                    ("returned", rng.gen_range(30..1095))
                };
                let received: NaiveDateTime =
                    now - TimeDelta::days(age_days) - TimeDelta::minutes(rng.gen_range(0..600));
                let due = received + TimeDelta::days(rng.gen_range(1..20));
                let received_at = (state != "submitted").then_some(received);
                let due_at = (state != "submitted").then_some(due);
                let resolved_at = matches!(state, "resolved" | "returned")
                    .then(|| received + TimeDelta::days(rng.gen_range(1..25)));
                (
                    dossiers::id.eq(uuid::Uuid::now_v7().to_string()),
                    dossiers::search_text.eq(motcua::text::fold(&format!("{code} {name}"))),
                    dossiers::code.eq(code),
                    dossiers::procedure_version_id.eq(w.version_id.clone()),
                    dossiers::procedure_code.eq("1.001193"),
                    dossiers::unit_id.eq(unit.clone()),
                    dossiers::holder_unit_id.eq(unit.clone()),
                    dossiers::channel.eq(if rng.gen_bool(0.73) { "online" } else { "desk" }),
                    dossiers::state.eq(state),
                    dossiers::version.eq(1),
                    dossiers::applicant_name.eq(name),
                    dossiers::documents.eq("[0]"),
                    (
                        dossiers::received_at.eq(received_at),
                        dossiers::due_at.eq(due_at),
                        dossiers::resolved_at.eq(resolved_at),
                        dossiers::created_at.eq(received),
                        dossiers::updated_at.eq(received),
                    ),
                )
            })
            .collect();
        db.write_blocking(|c| {
            for chunk in rows.chunks(STATEMENT) {
                let insert = diesel::insert_into(dossiers::table).values(chunk);
                match c {
                    DbConn::Postgres(pg) => insert.execute(pg)?,
                    DbConn::Sqlite(lite) => insert.execute(lite)?,
                };
            }
            Ok(())
        })
        .unwrap();
        done = (done + BATCH).min(n);
        if done % 100_000 == 0 {
            eprint!("\r  loaded {done} dossiers");
        }
    }
    eprintln!();
    // This bench measures queues, not the statistics: the fold is not left to catch up with a
    // million bulk-loaded dossiers while the queues are timed.
    db.write_blocking(|c| {
        c.batch_execute("DELETE FROM stat_dirty")?;
        Ok(())
    })
    .unwrap();
    db.read_blocking(|c| {
        c.batch_execute(match c {
            DbConn::Postgres(_) => "VACUUM ANALYZE dossiers",
            DbConn::Sqlite(_) => "ANALYZE",
        })?;
        Ok(())
    })
    .unwrap();
    started.elapsed()
}

fn run_backend(name: &str, url: &str, secs: f64, n: usize) {
    let mut world = None;
    let server = support::start(url, |db| world = Some(seed(db)));
    let world = world.unwrap();
    let load_time = bulk_load(&server.db, &world, n);
    let base = server.base.clone();
    let rt = support::client_runtime();
    println!(
        "\n{name}: {n} dossiers in {} units, loaded in {:.1} s ({:.0} rows/s); {CONNECTIONS} connections, {secs} s per query",
        world.communes.len() + DISTRICTS + 1,
        load_time.as_secs_f64(),
        n as f64 / load_time.as_secs_f64()
    );
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let clerk = support::login(&client, &base, "clerk", PASSWORD).await;
        let leader = support::login(&client, &base, "leader", PASSWORD).await;
        let queries = [
            ("commune desk queue", clerk.clone(), "/api/v1/dossiers"),
            ("  … name search, returned", clerk, "/api/v1/dossiers?state=returned&q=nguyen%20van"),
            ("district overdue list", leader, "/api/v1/dossiers?overdue=true"),
        ];
        for (label, token, path) in queries {
            let url = format!("{base}{path}");
            let probe: serde_json::Value = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let (u, t) = (url.clone(), token.clone());
            let alone = support::load_with(&client, secs / 2.0, 1, move |c, _| c.get(&u).bearer_auth(&t)).await;
            let s = support::load(&client, secs, move |c, _| c.get(&url).bearer_auth(&token)).await;
            println!(
                "  {label:<28} alone: p50 {:>6.2} ms  p99 {:>6.2} ms │ {CONNECTIONS} conns: {:>7.1} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} matching, errors {})",
                ms(alone.p50),
                ms(alone.p99),
                s.rps(),
                ms(s.p50),
                ms(s.p99),
                probe["total"],
                s.errors + alone.errors
            );
        }
        pages_against_api(&client, &base, &clerk_token(&client, &base).await, secs).await;
    });
}

async fn clerk_token(client: &reqwest::Client, base: &str) -> String {
    support::login(client, base, "clerk", PASSWORD).await
}

/// Signs in through the login form as a browser does; returns the `Cookie` header to send.
async fn web_session(base: &str, username: &str) -> String {
    // Not following the redirect: the session cookie comes with it.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    fn cookies(res: &reqwest::Response) -> Vec<String> {
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect()
    }
    let form = client
        .get(format!("{base}/dang-nhap"))
        .send()
        .await
        .unwrap();
    let pre = cookies(&form).join("; ");
    let html = form.text().await.unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let signed = client
        .post(format!("{base}/dang-nhap"))
        .header(reqwest::header::COOKIE, pre)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        signed.status().is_redirection(),
        "web sign-in: {}",
        signed.status()
    );
    cookies(&signed)
        .into_iter()
        .find(|c| c.starts_with("motcua_phien="))
        .unwrap()
}

/// The clerk's queue page and a dossier page against the JSON routes they show.
async fn pages_against_api(client: &reqwest::Client, base: &str, token: &str, secs: f64) {
    use reqwest::header::{ACCEPT_ENCODING, COOKIE};
    let cookie = web_session(base, "clerk").await;
    // A dossier taken in at the clerk's desk and handed on, so that its page has a history.
    let filed: serde_json::Value = client
        .post(format!("{base}/api/v1/dossiers/intake"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "procedure_code": "1.001193", "channel": "desk",
            "applicant": {"name": "Nguyễn Thị Lan", "citizen_id": "006095001234", "phone": "0987650124",
                          "address": "Tổ 1, phường Đức Xuân"},
            "documents": support::mandatory_documents()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = filed["id"]
        .as_str()
        .unwrap_or_else(|| panic!("intake: {filed}"))
        .to_owned();
    let assigned = client
        .post(format!("{base}/api/v1/dossiers/{id}/assign"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(
        assigned.status().is_success(),
        "assign: {}",
        assigned.status()
    );
    let pairs = [
        (
            "queue page",
            "/mot-cua?hang=tat-ca".to_owned(),
            "/api/v1/dossiers?per_page=30".to_owned(),
        ),
        (
            "dossier page",
            format!("/ho-so/{id}"),
            format!("/api/v1/dossiers/{id}"),
        ),
    ];
    println!("  web client ÷ API, {CONNECTIONS} connections, gzip accepted on both:");
    for (label, page, api) in pairs {
        let probe = client
            .get(format!("{base}{page}"))
            .header(COOKIE, &cookie)
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(probe.status(), 200, "{page}");
        let page_bytes = probe.bytes().await.unwrap().len();
        let (url, t) = (format!("{base}{api}"), token.to_owned());
        let api_stats = support::load(client, secs, move |c, _| {
            c.get(&url).bearer_auth(&t).header(ACCEPT_ENCODING, "gzip")
        })
        .await;
        let (url, k) = (format!("{base}{page}"), cookie.clone());
        let page_stats = support::load(client, secs, move |c, _| {
            c.get(&url)
                .header(COOKIE, &k)
                .header(ACCEPT_ENCODING, "gzip")
        })
        .await;
        println!(
            "    {label:<13} page {:>7.1}/s p99 {:>6.2} ms ({page_bytes} B sent) │ API {:>7.1}/s p99 {:>6.2} ms │ ratio {:.2}  (errors {})",
            page_stats.rps(),
            ms(page_stats.p99),
            api_stats.rps(),
            ms(api_stats.p99),
            page_stats.rps() / api_stats.rps(),
            page_stats.errors + api_stats.errors
        );
    }
}

fn main() {
    let secs = support::seconds();
    let n = std::env::var("BENCH_QUEUE_DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    support::for_each_backend(|name, url| run_backend(name, url, secs, n));
}
