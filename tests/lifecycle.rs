//! The whole life of an inter-level dossier over HTTP: filed online at a commune, processed and
//! approved at the district, returned at the commune, with one supplement round and a fee paid
//! online. Every state, history event and due date is checked, due dates recomputed with the
//! calendar module from the recorded instants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Utc};
use common::TestApp;
use motcua::calendar::model::{classify, Timeliness};
use motcua::catalogue::model::TimeUnit;
use serde_json::{json, Value};

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_inter_level_dossier_from_filing_to_return() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let district = app
        .unit(&admin, "063", "Huyện Chợ Đồn", "district", Some(&province))
        .await;
    let commune = app
        .unit(
            &admin,
            "01888",
            "Thị trấn Bằng Lũng",
            "township",
            Some(&district),
        )
        .await;
    let (_, clerk) = app
        .staff(&admin, "motcua.banglung", "clerk", Some(&commune))
        .await;
    let (officer_id, officer) = app
        .staff(&admin, "chuyenvien.chodon", "officer", Some(&district))
        .await;
    let (_, approver) = app
        .staff(&admin, "lanhdao.chodon", "approver", Some(&district))
        .await;
    let (_, commune_officer) = app
        .staff(&admin, "chuyenvien.banglung", "officer", Some(&commune))
        .await;
    let spec = json!({
        "code": "2.000001", "name": "Thủ tục liên thông thử nghiệm", "field": "Đất đai", "levels": ["commune", "district"],
        "agency": "UBND cấp huyện", "processing_days": 5, "processing_note": null,
        "fees": [{"description": "Lệ phí 50.000 đồng", "amount_vnd": 50000}],
        "required_documents": [{"name": "Đơn đề nghị", "mandatory": true}], "online_level": "full", "supplement_policy": "pause",
        "steps": [
            {"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
            {"name": "Thẩm định", "role": "officer", "unit_level": "district", "share_percent": 50},
            {"name": "Phê duyệt", "role": "approver", "unit_level": "district", "share_percent": 30},
            {"name": "Trả kết quả", "role": "clerk", "unit_level": "commune", "share_percent": 10}
        ],
        "source": null
    });
    assert_eq!(
        app.post("/api/v1/procedures", Some(&admin), spec)
            .await
            .status,
        201
    );
    app.post("/api/v1/citizens", None, json!({"citizen_id": "006095002222", "full_name": "Hà Thị Lan", "phone": "0911222333", "password": "mat-khau-cua-lan"}))
        .await;
    let citizen = app.login("006095002222", "mat-khau-cua-lan").await;

    let filed = app
        .post(
            "/api/v1/dossiers",
            Some(&citizen),
            json!({"procedure_code": "2.000001", "unit_id": commune, "documents": [0]}),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let id = filed.body["id"].as_str().unwrap().to_owned();
    let url = |action: &str| format!("/api/v1/dossiers/{id}/{action}");
    let expect = |r: &common::Resp, state: &str, holder: &str| {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["state"], state);
        assert_eq!(r.body["holder_unit_id"], holder);
    };

    let r = app.post(&url("receive"), Some(&clerk), json!({})).await;
    expect(&r, "received", &commune);
    assert_eq!(r.body["current_step"], 0);
    let r = app
        .post(
            &url("assign"),
            Some(&clerk),
            json!({"assignee_id": officer_id}),
        )
        .await;
    expect(&r, "in_progress", &district);
    assert_eq!(
        r.body["current_step"], 1,
        "forwarded to the district's appraisal step (liên thông)"
    );
    assert_eq!(r.body["assignee_id"], officer_id.as_str());
    // The commune no longer holds it: its staff may read it but not act on it, and acting is
    // answered as outside their scope. Nothing is offered to them.
    let seen = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&commune_officer))
        .await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["dossier"]["allowed_actions"], json!([]));
    assert_eq!(
        app.post(
            &url("request_supplement"),
            Some(&commune_officer),
            json!({"note": "x"})
        )
        .await
        .status,
        404
    );
    // An approval before the appraisal is over is refused, naming the state.
    let early = app.post(&url("approve"), Some(&approver), json!({})).await;
    assert_eq!(early.status, 409);
    assert!(early.body["detail"]
        .as_str()
        .unwrap()
        .contains("in_progress"));

    let r = app
        .post(
            &url("request_supplement"),
            Some(&officer),
            json!({"note": "Bổ sung bản sao sổ hộ khẩu"}),
        )
        .await;
    expect(&r, "supplement_requested", &district);
    assert!(r.body["paused_since"].is_string());
    assert_eq!(r.body["supplement_count"], 1);
    let r = app
        .post(&url("supplement"), Some(&citizen), json!({}))
        .await;
    expect(&r, "in_progress", &district);
    assert!(r.body["paused_since"].is_null());
    let r = app
        .post(
            &url("request_payment"),
            Some(&officer),
            json!({"note": "Lệ phí", "amount_vnd": -5}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "amount_vnd");
    let r = app
        .post(
            &url("request_payment"),
            Some(&officer),
            json!({"note": "Lệ phí 50.000 đồng"}),
        )
        .await;
    expect(&r, "awaiting_payment", &district);
    assert_eq!(r.body["fee_vnd"], 50000, "the procedure's published fee");
    let r = app.post(&url("pay"), Some(&citizen), json!({})).await;
    expect(&r, "in_progress", &district);
    assert_eq!(r.body["payment_channel"], "online");
    let r = app
        .post(&url("submit_for_approval"), Some(&officer), json!({}))
        .await;
    expect(&r, "awaiting_approval", &district);
    assert_eq!(r.body["current_step"], 2);

    // Two approvals at once: exactly one wins.
    let go = || {
        let (client, u, token) = (
            app.client.clone(),
            format!("{}{}", app.base, url("approve")),
            approver.clone(),
        );
        tokio::spawn(async move {
            client
                .post(u)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let (a, b) = (go(), go());
    let mut statuses = vec![a.await.unwrap(), b.await.unwrap()];
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409]);

    let r = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&clerk))
        .await;
    let d = &r.body["dossier"];
    assert_eq!(d["state"], "resolved");
    assert_eq!(d["outcome"], "approved");
    assert_eq!(
        d["holder_unit_id"],
        commune.as_str(),
        "back to the commune desk for the return"
    );
    assert_eq!(d["current_step"], 3);
    let r = app
        .post(
            &url("return_result"),
            Some(&clerk),
            json!({"return_channel": "electronic"}),
        )
        .await;
    expect(&r, "returned", &commune);
    assert_eq!(r.body["return_channel"], "electronic");
    assert_eq!(r.body["portal_status"], 10);

    // The history reads as the process-control slip, one event per change.
    let full = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&citizen))
        .await;
    let history = full.body["history"].as_array().unwrap().clone();
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "submit",
            "receive",
            "assign",
            "request_supplement",
            "supplement",
            "request_payment",
            "pay",
            "submit_for_approval",
            "approve",
            "return_result"
        ]
    );
    let states: Vec<&str> = history
        .iter()
        .map(|e| e["to_state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        vec![
            "submitted",
            "received",
            "in_progress",
            "supplement_requested",
            "in_progress",
            "awaiting_payment",
            "in_progress",
            "awaiting_approval",
            "resolved",
            "returned"
        ]
    );
    for (i, e) in history.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
        if i > 0 {
            assert_eq!(e["from_state"], history[i - 1]["to_state"]);
        }
    }

    // Every due date, recomputed from the recorded instants.
    let db = app.db.clone();
    let cal = tokio::task::spawn_blocking(move || {
        db.read_blocking(motcua::calendar::store::load)
            .unwrap()
            .base()
            .clone()
    })
    .await
    .unwrap();
    let at = |i: usize| instant(&history[i]["at"]);
    let due = |i: usize| instant(&history[i]["due_at"]);
    assert_eq!(
        due(1),
        cal.due_at(at(1), 5.0, TimeUnit::WorkingDays).unwrap(),
        "due date at receipt"
    );
    assert_eq!(
        due(3),
        due(1),
        "a supplement request does not move the due date by itself"
    );
    let after_supplement = cal
        .add_working_seconds(due(3), cal.working_seconds_between(at(3), at(4)))
        .unwrap();
    assert_eq!(due(4), after_supplement, "the waiting time does not count");
    let after_payment = cal
        .add_working_seconds(due(5), cal.working_seconds_between(at(5), at(6)))
        .unwrap();
    assert_eq!(due(6), after_payment);
    assert_eq!(
        instant(&history[2]["step_due_at"]),
        cal.due_at(at(2), 5.0 * 0.5, TimeUnit::WorkingDays).unwrap(),
        "the appraisal step has half of the time"
    );
    assert_eq!(
        instant(&history[4]["step_due_at"]),
        cal.add_working_seconds(
            instant(&history[2]["step_due_at"]),
            cal.working_seconds_between(at(3), at(4))
        )
        .unwrap(),
        "the step's deadline moves by the supplement wait too"
    );

    // Mẫu 06: each step with the unit that held it, judged against the step's deadline.
    let steps = full.body["steps"].as_array().unwrap();
    let held: Vec<(i64, &str)> = steps
        .iter()
        .map(|s| (s["step"].as_i64().unwrap(), s["unit_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        held,
        vec![
            (0, commune.as_str()),
            (1, district.as_str()),
            (2, district.as_str()),
            (3, commune.as_str())
        ]
    );
    let ends = [at(2), at(7), at(8), at(9)];
    for (s, end) in steps.iter().zip(ends) {
        assert_eq!(instant(&s["ended_at"]), end);
        let judged = classify(end, instant(&s["due_at"]));
        assert_eq!(serde_json::to_value(judged).unwrap(), s["status"]);
    }
    assert_eq!(
        instant(&steps[1]["due_at"]),
        instant(&history[6]["step_due_at"])
    );
    let slip = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/control_slip"),
            Some(&clerk),
        )
        .await;
    assert_eq!(slip.status, 200, "{}", slip.body);
    assert_eq!(slip.body["number"], "Mẫu số 06");
    let items = slip.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items[1]
        .as_str()
        .unwrap()
        .starts_with("Bước 2. Thẩm định — Huyện Chợ Đồn: nhận lúc"));
    let page = app
        .client
        .get(format!(
            "{}/api/v1/dossiers/{id}/forms/control_slip?format=html",
            app.base
        ))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"));
    assert!(page.contains("Thị trấn Bằng Lũng"));
    let d = &full.body["dossier"];
    let resolved = instant(&d["resolved_at"]);
    assert_eq!(resolved, at(8));
    let expected: Timeliness = classify(resolved, instant(&d["due_at"]));
    assert_eq!(serde_json::to_value(expected).unwrap(), d["timeliness"]);
    assert_eq!(
        d["timeliness"], "early",
        "resolved within minutes of a five-day allowance"
    );

    // The applicant rates the service once, after the return.
    let rating_url = format!("/api/v1/dossiers/{id}/rating");
    let rate = |body: Value| app.post(&rating_url, Some(&citizen), body);
    assert_eq!(
        rate(json!({"rating": "satisfied", "comment": "Nhanh, chu đáo"}))
            .await
            .status,
        204
    );
    assert_eq!(
        rate(json!({"rating": "satisfied"})).await.status,
        409,
        "once only"
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/dossiers/{id}/rating"),
            Some(&clerk),
            json!({"rating": "satisfied"})
        )
        .await
        .status,
        403
    );
}
