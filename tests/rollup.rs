//! The roll-up across the 2025 reorganisation, on simulated dossiers: Bắc Kạn's 3-level tree
//! (January–June 2025) and the 2-level Thái Nguyên that absorbed it (July–December). In both
//! trees a province's figures are the sum of its children's and of its communes', and the
//! fast path agrees with the reference to the unit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use common::{figure, TestApp, FIGURES};
use serde_json::Value;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn figures(r: &Value) -> Vec<i64> {
    FIGURES.iter().map(|f| figure(r, f)).collect()
}

fn add(a: &mut [i64], b: &[i64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

struct Reports<'a> {
    app: &'a TestApp,
    token: String,
}

impl Reports<'_> {
    /// The report of `unit` (empty: the whole country) by child for 2025 (and a quarter
    /// cutting through the change), by both paths, checked equal; returns the whole-year one.
    async fn by_child(&self, unit: &str, tree: &str) -> Value {
        let mut year = Value::Null;
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!("unit={unit}&")
        };
        for (from, to) in [("2025-01-01", "2026-01-01"), ("2025-05-15", "2025-08-15")] {
            let q = format!(
                "/api/v1/stats/report?{unit}from={from}&to={to}&group_by=child&tree={tree}"
            );
            let fast = self.app.get(&q, Some(&self.token)).await;
            assert_eq!(fast.status, 200, "{q}: {}", fast.body);
            let slow = self
                .app
                .get(&format!("{q}&path=reference"), Some(&self.token))
                .await;
            assert_eq!(fast.body, slow.body, "{q}");
            if from == "2025-01-01" {
                year = fast.body;
            }
        }
        year
    }

    /// Checks that `unit`'s total is the sum of its children's and of its leaves' (the
    /// communes), recursively; returns the total.
    async fn leaves_sum(&self, unit: &str, tree: &str) -> Vec<i64> {
        let body = self.by_child(unit, tree).await;
        let total = figures(&body["total"]);
        let groups = body["groups"].as_array().unwrap().clone();
        if groups.is_empty() || groups.iter().all(|g| g["key"] == unit) {
            return total;
        }
        let (mut children, mut leaves) = (vec![0; FIGURES.len()], vec![0; FIGURES.len()]);
        for g in &groups {
            let key = g["key"].as_str().unwrap();
            add(&mut children, &figures(&g["report"]));
            let below = if key == unit {
                figures(&g["report"])
            } else {
                Box::pin(self.leaves_sum(key, tree)).await
            };
            assert_eq!(below, figures(&g["report"]), "{key} under {unit}");
            add(&mut leaves, &below);
        }
        assert_eq!(children, total, "children of {unit} ({tree})");
        assert_eq!(leaves, total, "communes of {unit} ({tree})");
        total
    }
}

#[tokio::test]
async fn a_province_is_the_sum_of_its_districts_and_communes_in_both_trees() {
    let app = TestApp::spawn_with(|c| c.stats_fold = false).await;
    let db = app.db.clone();
    let (old, new) = tokio::task::spawn_blocking(move || {
        let run = |province: &str, from, to, seed| {
            motcua::simulate::run(
                &db,
                &motcua::simulate::Options {
                    province: province.into(),
                    from,
                    to,
                    dossiers: 250,
                    seed,
                    batch: 125,
                },
                &|_| {},
            )
            .unwrap()
        };
        let old = run("06", date(2025, 1, 1), date(2025, 7, 1), 7);
        // Fold part of it: the rest is read as pending.
        db.write_blocking(|c| motcua::stats::fast::fold_pending(c, 900))
            .unwrap();
        let new = run("19", date(2025, 7, 1), date(2026, 1, 1), 8);
        (old, new)
    })
    .await
    .unwrap();
    assert_eq!((old.filed, new.filed), (250, 250));
    let reports = Reports {
        app: &app,
        token: app.admin().await,
    };
    let (old_id, new_id) = (old.province.id.to_string(), new.province.id.to_string());
    let old_filed = reports.leaves_sum(&old_id, "filed").await;
    let new_filed = reports.leaves_sum(&new_id, "filed").await;
    let new_current = reports.leaves_sum(&new_id, "current").await;
    // Received in 2025: every simulated dossier that got past the desk, in its own tree.
    assert!(
        old_filed[1] > 200 && new_filed[1] > 200,
        "{old_filed:?} {new_filed:?}"
    );
    // Today's tree carries Bắc Kạn's dossiers into Thái Nguyên.
    let mut both = old_filed.clone();
    add(&mut both, &new_filed);
    assert_eq!(new_current, both);
    // The whole country (an administrator naming no unit): the sum of its provinces, which
    // are both provinces as filed and Thái Nguyên alone in today's tree.
    for (tree, provinces) in [
        ("filed", vec![&old_id, &new_id]),
        ("current", vec![&new_id]),
    ] {
        let country = reports.by_child("", tree).await;
        assert!(country["unit_id"].is_null(), "{country}");
        assert_eq!(country["unit_code"], "VN");
        assert_eq!(figures(&country["total"]), both, "the country ({tree})");
        let mut keys: Vec<&str> = country["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap())
            .collect();
        keys.sort_unstable();
        let mut expected: Vec<&str> = provinces.iter().map(|s| s.as_str()).collect();
        expected.sort_unstable();
        assert_eq!(keys, expected, "the country's children ({tree})");
        let mut sum = vec![0; FIGURES.len()];
        for g in country["groups"].as_array().unwrap() {
            add(&mut sum, &figures(&g["report"]));
        }
        assert_eq!(sum, both, "the provinces add up to the country ({tree})");
    }
}

/// A dossier's code, state, version, due instant and return channel.
type Line = (
    String,
    String,
    i32,
    Option<chrono::NaiveDateTime>,
    Option<String>,
);

/// Every dossier as the database holds it, in code order: what must not depend on whether
/// the simulation wrote through the database or in bulk.
fn dossier_lines(db: &motcua::db::Db) -> Vec<String> {
    use diesel::prelude::*;
    use motcua::db::schema::{dossier_events as e, dossier_ratings as r, dossiers as d};
    db.read_blocking(|c| {
        let rows: Vec<Line> = d::table
            .select((d::code, d::state, d::version, d::due_at, d::return_channel))
            .load(c)?;
        let events: i64 = e::table.count().get_result(c)?;
        let ratings: i64 = r::table.count().get_result(c)?;
        let mut lines: Vec<String> = rows.into_iter().map(|r| format!("{r:?}")).collect();
        // Sorted here: the database's text order is its collation's.
        lines.sort_unstable();
        lines.push(format!("{events} events, {ratings} ratings"));
        Ok(lines)
    })
    .unwrap()
}

#[tokio::test]
async fn the_bulk_simulation_writes_what_the_service_writes_and_folds_it() {
    let (through, bulk) = (
        TestApp::spawn_with(|c| c.stats_fold = false).await,
        TestApp::spawn_with(|c| c.stats_fold = false).await,
    );
    let options = motcua::simulate::Options {
        province: "06".into(),
        from: date(2025, 1, 1),
        to: date(2025, 7, 1),
        dossiers: 300,
        seed: 11,
        batch: 120,
    };
    let (db_through, db_bulk, o) = (through.db.clone(), bulk.db.clone(), options.clone());
    let (a, b) = tokio::task::spawn_blocking(move || {
        let a = motcua::simulate::run(&db_through, &o, &|_| {}).unwrap();
        let b = motcua::simulate::bulk::run(&db_bulk, &o, &|_| {}).unwrap();
        (a, b)
    })
    .await
    .unwrap();
    assert_eq!((a.filed, a.transitions), (b.filed, b.transitions));
    assert!(a.transitions > 3 * a.filed, "{a:?}");
    // The same dossiers, states, deadlines and histories, dossier by dossier.
    assert_eq!(dossier_lines(&through.db), dossier_lines(&bulk.db));
    // The bulk load folded its dossiers itself: nothing pending, and the buckets give the
    // reference figures.
    let pending = bulk.db.read_blocking(motcua::stats::fast::pending).unwrap();
    assert_eq!(pending, 0);
    let reports = Reports {
        app: &bulk,
        token: bulk.admin().await,
    };
    let total = reports
        .leaves_sum(&b.province.id.to_string(), "filed")
        .await;
    let other = Reports {
        app: &through,
        token: through.admin().await,
    };
    assert_eq!(
        other.leaves_sum(&a.province.id.to_string(), "filed").await,
        total
    );
}
