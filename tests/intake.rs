//! Province-wide intake over HTTP: a desk receives for another commune (or the province) only
//! from 1 July 2025 (Nghị định 118/2025); the dossier goes to the resolving unit's queue and
//! comes back to the receiving desk for the return; the receipt names both; codes come from
//! the receiving desk; statistics count by either unit, both paths equal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Utc};
use common::TestApp;
use serde_json::{json, Value};

struct Province {
    admin: String,
    province: String,
    a: String,
    b: String,
    clerk_a: String,
    clerk_b: String,
    officer_b: String,
    approver_b: String,
    supervisor: String,
}

/// A server whose dossier clock reads `at` (local time) now.
async fn at(local: &str) -> TestApp {
    let when: DateTime<Utc> = local.parse().unwrap();
    let offset = when - Utc::now();
    TestApp::spawn_with(move |c| c.clock_offset = offset).await
}

async fn province(app: &TestApp) -> Province {
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "19", "Tỉnh Thái Nguyên", "province", None)
        .await;
    let a = app
        .unit(&admin, "01843", "Phường Bắc Kạn", "ward", Some(&province))
        .await;
    let b = app
        .unit(
            &admin,
            "01849",
            "Xã Phong Quang",
            "commune",
            Some(&province),
        )
        .await;
    let (_, clerk_a) = app.staff(&admin, "motcua.backan", "clerk", Some(&a)).await;
    let (_, clerk_b) = app
        .staff(&admin, "motcua.phongquang", "clerk", Some(&b))
        .await;
    let (_, officer_b) = app
        .staff(&admin, "chuyenvien.phongquang", "officer", Some(&b))
        .await;
    let (_, approver_b) = app
        .staff(&admin, "lanhdao.phongquang", "approver", Some(&b))
        .await;
    let (_, supervisor) = app
        .staff(&admin, "giamsat.tinh", "supervisor", Some(&province))
        .await;
    let steps = |level: &str| {
        json!([
            {"name": "Tiếp nhận", "role": "clerk", "unit_level": level, "share_percent": 10},
            {"name": "Thẩm định", "role": "officer", "unit_level": level, "share_percent": 60},
            {"name": "Phê duyệt", "role": "approver", "unit_level": level, "share_percent": 20},
            {"name": "Trả kết quả", "role": "clerk", "unit_level": level, "share_percent": 10}
        ])
    };
    for (code, name, level) in [
        ("1.001193", "Thủ tục đăng ký khai sinh", "commune"),
        (
            "1.013236",
            "Cấp giấy phép xây dựng công trình cấp I, II",
            "province",
        ),
    ] {
        let spec = json!({
            "code": code, "name": name, "field": "Thử nghiệm", "levels": [level],
            "agency": "UBND", "processing_days": 5, "processing_note": null,
            "required_documents": [{"name": "Tờ khai", "mandatory": true}],
            "online_level": "full", "steps": steps(level), "source": null
        });
        let r = app.post("/api/v1/procedures", Some(&admin), spec).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    Province {
        admin,
        province,
        a,
        b,
        clerk_a,
        clerk_b,
        officer_b,
        approver_b,
        supervisor,
    }
}

fn intake_body(code: &str, resolving: Option<&str>) -> Value {
    json!({"procedure_code": code, "channel": "desk", "documents": [0], "resolving_unit_id": resolving,
           "applicant": {"name": "Nông Văn Thắng", "citizen_id": "006095001111"}})
}

#[tokio::test]
async fn a_desk_receives_for_another_commune_only_from_1_july_2025() {
    // Friday 20 June 2025: Nghị định 61/2018 — only the resolving commune's own desk.
    let before = at("2025-06-20T09:00:00+07:00").await;
    let p = province(&before).await;
    let r = before
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.001193", Some(&p.b)),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "resolving_unit_id");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("61/2018"),
        "{}",
        r.body
    );
    // A provincial procedure at a commune desk: refused too, then.
    let r = before
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.013236", None),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    // Its own commune's dossier is fine.
    let own = before
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.001193", None),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.body);
    assert_eq!(own.body["receiving_unit_id"], own.body["resolving_unit_id"]);
    assert!(own.body["received_at"]
        .as_str()
        .unwrap()
        .starts_with("2025-06-20"));

    // Tuesday 15 July 2025: Nghị định 118/2025 — any desk of the province.
    let after = at("2025-07-15T09:00:00+07:00").await;
    let p = province(&after).await;
    let r = after
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.001193", Some(&p.b)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["receiving_unit_id"], p.a.as_str());
    assert_eq!(r.body["resolving_unit_id"], p.b.as_str());
    assert_eq!(
        r.body["holder_unit_id"],
        p.b.as_str(),
        "in the resolving commune's queue"
    );
    assert!(
        r.body["code"]
            .as_str()
            .unwrap()
            .starts_with("01843-250715-"),
        "the code is the receiving desk's: {}",
        r.body["code"]
    );
    // A provincial procedure taken at a commune desk is resolved by the province.
    let prov = after
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.013236", None),
        )
        .await;
    assert_eq!(prov.status, 201, "{}", prov.body);
    assert_eq!(prov.body["resolving_unit_id"], p.province.as_str());
    // A commune procedure cannot be resolved by the province.
    let r = after
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.001193", Some(&p.province)),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "procedure_code");
    let _ = &p.admin;
}

#[tokio::test]
async fn the_resolving_commune_works_it_and_the_receiving_desk_returns_it() {
    let app = at("2025-07-15T09:00:00+07:00").await;
    let p = province(&app).await;
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&p.clerk_a),
            intake_body("1.001193", Some(&p.b)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let code = r.body["code"].as_str().unwrap().to_owned();
    let codes = |r: &common::Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes(&app.get("/api/v1/dossiers", Some(&p.clerk_b)).await),
        vec![code.clone()]
    );
    assert!(codes(&app.get("/api/v1/dossiers", Some(&p.clerk_a)).await).is_empty());
    // The receiving desk still sees what it received, and prints the receipt naming both.
    let seen = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&p.clerk_a))
        .await;
    assert_eq!(seen.status, 200);
    assert!(seen.body["dossier"]["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a != "assign"));
    let receipt = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/receipt"),
            Some(&p.clerk_a),
        )
        .await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    let text = receipt.body.to_string();
    assert!(
        text.contains("Nơi tiếp nhận") && text.contains("Phường Bắc Kạn"),
        "{text}"
    );
    assert!(
        text.contains("Đơn vị giải quyết") && text.contains("Xã Phong Quang"),
        "{text}"
    );

    for (token, action, holder) in [
        (&p.clerk_b, "assign", &p.b),
        (&p.officer_b, "submit_for_approval", &p.b),
        (&p.approver_b, "approve", &p.a),
    ] {
        let r = act(&app, &id, token, action).await;
        assert_eq!(r.status, 200, "{action}: {}", r.body);
        assert_eq!(r.body["holder_unit_id"], holder.as_str(), "after {action}");
    }
    // The result goes back through the desk that received it.
    assert!(codes(&app.get("/api/v1/dossiers", Some(&p.clerk_a)).await).contains(&code));
    let r = act(&app, &id, &p.clerk_a, "return_result").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "returned");

    // A supervisor finds it by either unit.
    for filter in [
        format!("receiving_unit_id={}", p.a),
        format!("resolving_unit_id={}", p.b),
    ] {
        let r = app
            .get(
                &format!("/api/v1/dossiers?state=all&{filter}"),
                Some(&p.supervisor),
            )
            .await;
        assert_eq!(codes(&r), vec![code.clone()], "{filter}");
    }
    let r = app
        .get(
            &format!("/api/v1/dossiers?state=all&receiving_unit_id={}", p.b),
            Some(&p.supervisor),
        )
        .await;
    assert!(codes(&r).is_empty());
}

async fn act(app: &TestApp, id: &str, token: &str, action: &str) -> common::Resp {
    app.post(
        &format!("/api/v1/dossiers/{id}/{action}"),
        Some(token),
        json!({}),
    )
    .await
}

async fn report(app: &TestApp, p: &Province, by: &str, path: &str, what: &str) -> common::Resp {
    app.get(
        &format!(
            "/api/v1/stats/{what}?unit={}&from=2025-07-01&to=2025-08-01&group_by=child&by={by}&path={path}",
            p.province
        ),
        Some(&p.supervisor),
    )
    .await
}

/// `new` of each child in a report answer.
fn new_by_child(r: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["label"].as_str().unwrap().to_owned(),
                g["report"]["new"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn statistics_count_by_resolving_unit_or_receiving_desk_on_both_paths() {
    let app = at("2025-07-15T09:00:00+07:00").await;
    let p = province(&app).await;
    for (clerk, resolving) in [
        (&p.clerk_a, Some(&p.b)),
        (&p.clerk_a, None),
        (&p.clerk_b, None),
        (&p.clerk_a, Some(&p.b)),
    ] {
        let r = app
            .post(
                "/api/v1/dossiers/intake",
                Some(clerk),
                intake_body("1.001193", resolving.map(String::as_str)),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut answers = Vec::new();
    for by in ["resolving", "receiving"] {
        let fast = report(&app, &p, by, "fast", "report").await;
        let slow = report(&app, &p, by, "reference", "report").await;
        assert_eq!(fast.status, 200, "{}", fast.body);
        assert_eq!(fast.body["total"], slow.body["total"], "{by}: totals");
        assert_eq!(fast.body["groups"], slow.body["groups"], "{by}: groups");
        assert_eq!(fast.body["by"], by);
        let rates_fast = report(&app, &p, by, "fast", "rates").await;
        let rates_slow = report(&app, &p, by, "reference", "rates").await;
        assert_eq!(
            rates_fast.body["total"], rates_slow.body["total"],
            "{by}: rates"
        );
        assert_eq!(
            rates_fast.body["groups"], rates_slow.body["groups"],
            "{by}: rates by child"
        );
        answers.push(fast.body);
    }
    assert_eq!(
        new_by_child(&answers[0]),
        vec![
            ("Phường Bắc Kạn".to_owned(), 1),
            ("Xã Phong Quang".to_owned(), 3)
        ],
        "by resolving unit"
    );
    assert_eq!(
        new_by_child(&answers[1]),
        vec![
            ("Phường Bắc Kạn".to_owned(), 3),
            ("Xã Phong Quang".to_owned(), 1)
        ],
        "by receiving desk"
    );
    assert_eq!(
        answers[0]["total"], answers[1]["total"],
        "the province adds up either way"
    );
    // Folded into the buckets, the fast path still gives the same figures.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || motcua::stats::fast::settle(&db, 1000, &|_| {}))
        .await
        .unwrap()
        .unwrap();
    for (by, before) in ["resolving", "receiving"].into_iter().zip(&answers) {
        let folded = report(&app, &p, by, "fast", "report").await;
        assert_eq!(&folded.body, before, "{by}: folded");
    }
    let _ = (&p.admin, &p.officer_b, &p.approver_b);
}

/// The overdue list of a unit: the dossiers it holds (default), or with `by=receiving` those
/// its desk received, wherever they are held now; counted both ways.
#[tokio::test]
async fn the_overdue_list_goes_by_holder_or_by_receiving_desk() {
    let app = at("2025-07-15T09:00:00+07:00").await;
    let p = province(&app).await;
    for (clerk, resolving) in [
        (&p.clerk_a, Some(&p.b)),
        (&p.clerk_a, None),
        (&p.clerk_b, None),
    ] {
        let r = app
            .post(
                "/api/v1/dossiers/intake",
                Some(clerk),
                intake_body("1.001193", resolving.map(String::as_str)),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // Read long after their due dates: all three are overdue.
    let list = |unit: String, by: &'static str| {
        let (app, sup) = (&app, &p.supervisor);
        async move {
            let r = app
                .get(
                    &format!("/api/v1/stats/overdue?unit={unit}&by={by}&per_page=50"),
                    Some(sup),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        }
    };
    let count_of = |counts: &Value, unit: &str| -> i64 {
        counts
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == unit)
            .map_or(0, |c| c["count"].as_i64().unwrap())
    };
    let held_at_a = list(p.a.clone(), "resolving").await;
    let received_at_a = list(p.a.clone(), "receiving").await;
    let held_at_b = list(p.b.clone(), "resolving").await;
    let received_at_b = list(p.b.clone(), "receiving").await;
    assert_eq!(
        [&held_at_a, &received_at_a, &held_at_b, &received_at_b]
            .map(|b| b["total"].as_i64().unwrap()),
        [1, 2, 2, 1]
    );
    assert_eq!(received_at_a["by"], "receiving");
    assert_eq!(count_of(&received_at_a["by_receiving"], &p.a), 2);
    assert_eq!(
        count_of(&received_at_a["by_holder"], &p.b),
        1,
        "one is held at B"
    );
    assert_eq!(count_of(&held_at_b["by_receiving"], &p.a), 1);
    assert_eq!(
        received_at_a["dossiers"]["items"].as_array().unwrap().len(),
        2
    );
    // The province sees all three either way.
    for by in ["resolving", "receiving"] {
        assert_eq!(list(p.province.clone(), by).await["total"], 3, "{by}");
    }
}
