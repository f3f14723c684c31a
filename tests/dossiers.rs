//! Dossiers over HTTP: filing online (idempotent), intake at the desk, receipt with due date,
//! scopes, public tracking without personal data, codes under concurrency, and one winner
//! among concurrent transitions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use serde_json::{json, Value};

struct World {
    admin: String,
    commune: String,
    other_commune: String,
    clerk: String,
    other_clerk: String,
    citizen: String,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let commune = app
        .unit(&admin, "01843", "Phường Bắc Kạn", "ward", Some(&province))
        .await;
    let other_commune = app
        .unit(
            &admin,
            "01849",
            "Xã Phong Quang",
            "commune",
            Some(&province),
        )
        .await;
    let (_, clerk) = app
        .staff(&admin, "motcua.backan", "clerk", Some(&commune))
        .await;
    let (_, other_clerk) = app
        .staff(&admin, "motcua.phongquang", "clerk", Some(&other_commune))
        .await;
    let spec = json!({
        "code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch", "levels": ["commune"],
        "agency": "UBND cấp xã", "processing_days": 3, "processing_note": null,
        "required_documents": [{"name": "Tờ khai", "mandatory": true}, {"name": "Giấy chứng sinh", "mandatory": false}],
        "online_level": "full",
        "steps": [{"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 100}],
        "source": null
    });
    assert_eq!(
        app.post("/api/v1/procedures", Some(&admin), spec)
            .await
            .status,
        201
    );
    let r = app
        .post("/api/v1/citizens", None, json!({"citizen_id": "006095001234", "full_name": "Nguyễn Văn An", "phone": "0912345678", "password": "mat-khau-cua-an"}))
        .await;
    assert_eq!(r.status, 202);
    let citizen = app.login("006095001234", "mat-khau-cua-an").await;
    World {
        admin,
        commune,
        other_commune,
        clerk,
        other_clerk,
        citizen,
    }
}

async fn file(app: &TestApp, w: &World, key: Option<&str>) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/dossiers", app.base))
        .bearer_auth(&w.citizen)
        .json(&json!({"procedure_code": "1.001193", "unit_id": w.commune, "documents": [0, 1]}));
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let r = TestApp::read(req.send().await.unwrap()).await;
    (r.status, r.body)
}

#[tokio::test]
async fn an_online_filing_is_received_by_its_desk_and_tracked_without_personal_data() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (status, d) = file(&app, &w, None).await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["state"], "submitted");
    assert_eq!(d["portal_status"], 1);
    assert_eq!(d["channel"], "online");
    assert!(d["due_at"].is_null(), "the clock starts at receipt");
    let code = d["code"].as_str().unwrap().to_owned();
    let today = chrono::Utc::now() + chrono::Duration::hours(7);
    assert_eq!(code, format!("01843-{}-0001", today.format("%y%m%d")));
    let id = d["id"].as_str().unwrap().to_owned();

    // Only the desk that holds it acts; elsewhere it does not exist.
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/receive"),
            Some(&w.other_clerk),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{id}"), Some(&w.other_clerk))
            .await
            .status,
        404
    );
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/receive"),
            Some(&w.citizen),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403, "a citizen cannot receive");

    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/receive"),
            Some(&w.clerk),
            json!({"expected_version": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "received");
    assert_eq!(r.body["version"], 2);
    let received = r.body["received_at"].as_str().unwrap().to_owned();
    assert!(r.body["due_at"].as_str().unwrap() > received.as_str());

    // Receiving twice is impossible, and the 409 names the state.
    let again = app
        .post(
            &format!("/api/v1/dossiers/{id}/receive"),
            Some(&w.clerk),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again.body["detail"].as_str().unwrap().contains("received"),
        "{}",
        again.body
    );

    let full = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&w.citizen))
        .await;
    assert_eq!(full.status, 200);
    let actions: Vec<&str> = full.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["submit", "receive"]);
    assert_eq!(full.body["history"][1]["from_state"], "submitted");
    assert_eq!(full.body["history"][1]["actor_role"], "clerk");

    let t = app.get(&format!("/api/v1/track/{code}"), None).await;
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["state"], "received");
    assert_eq!(t.body["procedure_name"], "Thủ tục đăng ký khai sinh");
    assert!(t.body["due_session"] == "sáng" || t.body["due_session"] == "chiều");
    let text = t.body.to_string();
    for secret in ["006095001234", "0912345678", "Nguyễn Văn An", "actor"] {
        assert!(!text.contains(secret), "tracking leaks {secret}: {text}");
    }
    assert_eq!(
        app.get("/api/v1/track/01843-000000-9999", None)
            .await
            .status,
        404
    );

    let mine = app.get("/api/v1/dossiers/mine", Some(&w.citizen)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["code"], code.as_str());
}

#[tokio::test]
async fn a_repeated_submission_with_the_same_key_files_once() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (s1, d1) = file(&app, &w, Some("form-42")).await;
    let (s2, d2) = file(&app, &w, Some("form-42")).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(d1["id"], d2["id"]);
    let (s3, d3) = file(&app, &w, Some("form-43")).await;
    assert_eq!(s3, 201);
    assert_ne!(d3["id"], d1["id"]);
    assert_eq!(
        app.get("/api/v1/dossiers/mine", Some(&w.citizen))
            .await
            .body["total"],
        2
    );
}

#[tokio::test]
async fn desk_intake_is_received_at_once_and_other_citizens_see_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "post",
                   "applicant": {"name": "Trần Thị Bình", "citizen_id": "006190004321", "phone": "0987 654 321", "address": "Tổ 1, phường Bắc Kạn"},
                   "documents": [0]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["state"], "received");
    assert_eq!(r.body["channel"], "post");
    assert_eq!(r.body["applicant"]["phone"], "0987654321");
    assert!(r.body["due_at"].is_string());
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{id}"), Some(&w.citizen))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{id}"), Some(&w.admin))
            .await
            .status,
        200
    );
    let reject = app
        .post(
            &format!("/api/v1/dossiers/{id}/reject"),
            Some(&w.clerk),
            json!({}),
        )
        .await;
    assert_eq!(reject.status, 422, "reasons are required");
    let reject = app
        .post(
            &format!("/api/v1/dossiers/{id}/reject"),
            Some(&w.clerk),
            json!({"note": "Thiếu giấy chứng sinh bản chính"}),
        )
        .await;
    assert_eq!(reject.status, 200);
    assert_eq!(reject.body["state"], "rejected");
    assert_eq!(reject.body["portal_status"], 3);
    let bad = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "online", "applicant": {"name": "X"}}),
        )
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn a_citizen_withdraws_before_resolution() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (_, d) = file(&app, &w, None).await;
    let id = d["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/withdraw"),
            Some(&w.citizen),
            json!({"note": "Nộp nhầm thủ tục"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "withdrawn");
    assert_eq!(r.body["portal_status"], 7);
    let again = app
        .post(
            &format!("/api/v1/dossiers/{id}/withdraw"),
            Some(&w.citizen),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn sixty_four_concurrent_intakes_get_sixty_four_codes() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (client, base, clerk) = (app.client.clone(), app.base.clone(), w.clerk.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/dossiers/intake"))
                .bearer_auth(clerk)
                .json(&json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": format!("Người nộp {i}")}, "documents": [0]}))
                .send()
                .await
                .unwrap();
            TestApp::read(r).await
        }));
    }
    let mut codes = std::collections::BTreeSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
        codes.insert(r.body["code"].as_str().unwrap().to_owned());
    }
    assert_eq!(codes.len(), 64);
    let last = codes.iter().next_back().unwrap();
    assert!(last.ends_with("-0064"), "{last}");
}

#[tokio::test]
async fn of_two_concurrent_receipts_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    for _ in 0..5 {
        let (_, d) = file(&app, &w, None).await;
        let id = d["id"].as_str().unwrap().to_owned();
        let go = || {
            let (client, base, clerk, id) = (
                app.client.clone(),
                app.base.clone(),
                w.clerk.clone(),
                id.clone(),
            );
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/dossiers/{id}/receive"))
                    .bearer_auth(clerk)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                r.status().as_u16()
            })
        };
        let (a, b) = (go(), go());
        let mut statuses = vec![a.await.unwrap(), b.await.unwrap()];
        statuses.sort_unstable();
        assert_eq!(statuses, vec![200, 409]);
        let history = app
            .get(&format!("/api/v1/dossiers/{id}"), Some(&w.clerk))
            .await;
        assert_eq!(
            history.body["history"].as_array().unwrap().len(),
            2,
            "one receive event"
        );
    }
    let _ = &w.other_commune;
}

#[tokio::test]
async fn denial_stop_and_apology_need_their_reasons() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let approver = app
        .staff(&w.admin, "lanhdao.backan", "approver", Some(&w.commune))
        .await
        .1;
    let officer = app
        .staff(&w.admin, "chuyenvien.backan", "officer", Some(&w.commune))
        .await
        .1;
    let intake = |name: &'static str| {
        let (app, clerk) = (&app, w.clerk.clone());
        async move {
            let r = app
                .post("/api/v1/dossiers/intake", Some(&clerk), json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": name}, "documents": [0]}))
                .await;
            r.body["id"].as_str().unwrap().to_owned()
        }
    };
    let id = intake("Người thứ nhất").await;
    let url = |id: &str, a: &str| format!("/api/v1/dossiers/{id}/{a}");
    assert_eq!(
        app.post(&url(&id, "assign"), Some(&w.clerk), json!({}))
            .await
            .status,
        200
    );
    // An apology needs a later appointment, given before the due date passes.
    let d = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&w.clerk))
        .await
        .body["dossier"]
        .clone();
    let due: chrono::DateTime<chrono::Utc> = d["due_at"].as_str().unwrap().parse().unwrap();
    let r = app
        .post(
            &url(&id, "apologise"),
            Some(&approver),
            json!({"note": "Xin lỗi", "new_due_at": due - chrono::Duration::hours(1)}),
        )
        .await;
    assert_eq!(r.status, 422);
    let later = due + chrono::Duration::days(3);
    let r = app
        .post(
            &url(&id, "apologise"),
            Some(&approver),
            json!({"note": "Xin lỗi vì chậm trễ", "new_due_at": later}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["state"], "in_progress",
        "an apology changes no state"
    );
    assert_eq!(
        r.body["due_at"], d["due_at"],
        "the due date stays the reference for lateness"
    );
    assert!(r.body["new_appointment_at"].is_string());
    assert_eq!(
        app.post(&url(&id, "submit_for_approval"), Some(&officer), json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(&url(&id, "deny"), Some(&approver), json!({}))
            .await
            .status,
        422,
        "a denial gives reasons"
    );
    let r = app
        .post(
            &url(&id, "deny"),
            Some(&approver),
            json!({"note": "Không đủ điều kiện"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["outcome"], "denied");
    assert_eq!(r.body["state"], "resolved");

    let id2 = intake("Người thứ hai").await;
    assert_eq!(
        app.post(&url(&id2, "assign"), Some(&w.clerk), json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(&url(&id2, "stop"), Some(&officer), json!({}))
            .await
            .status,
        422
    );
    let r = app
        .post(
            &url(&id2, "stop"),
            Some(&officer),
            json!({"note": "Người nộp đề nghị dừng"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "stopped");
    assert_eq!(
        app.post(&url(&id2, "advance"), Some(&officer), json!({}))
            .await
            .status,
        409
    );
}

#[tokio::test]
async fn a_fee_is_asked_in_dong_and_each_request_adds_to_it() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let officer = app
        .staff(&w.admin, "chuyenvien.backan", "officer", Some(&w.commune))
        .await
        .1;
    let r = app
        .post("/api/v1/dossiers/intake", Some(&w.clerk), json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "Lê Văn Cường"}, "documents": [0]}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(r.body["fee_vnd"].is_null());
    let url = |a: &str| format!("/api/v1/dossiers/{id}/{a}");
    assert_eq!(
        app.post(&url("assign"), Some(&w.clerk), json!({}))
            .await
            .status,
        200
    );
    // This procedure publishes no amount: the officer must say how much.
    let r = app
        .post(&url("request_payment"), Some(&officer), json!({}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "amount_vnd");
    let r = app
        .post(
            &url("request_payment"),
            Some(&officer),
            json!({"amount_vnd": 30000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["fee_vnd"], 30000);
    assert!(r.body["paid_at"].is_null());
    let r = app
        .post(
            &url("pay"),
            Some(&w.clerk),
            json!({"payment_channel": "desk"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["payment_channel"], "desk");
    let r = app
        .post(
            &url("request_payment"),
            Some(&officer),
            json!({"amount_vnd": 20000}),
        )
        .await;
    assert_eq!(r.body["fee_vnd"], 50000);
    let r = app
        .post(
            &url("pay"),
            Some(&w.clerk),
            json!({"payment_channel": "online"}),
        )
        .await;
    assert_eq!(r.body["payment_channel"], "online");
    assert_eq!(r.body["fee_vnd"], 50000);
}

#[tokio::test]
async fn work_queues_are_scoped_searchable_and_sorted_by_due_date() {
    use diesel::prelude::*;
    use motcua::db::schema::dossiers;

    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (officer_id, officer) = app
        .staff(&w.admin, "chuyenvien.backan", "officer", Some(&w.commune))
        .await;
    let mut ids = Vec::new();
    for name in ["Đặng Văn Đức", "Lê Thị Hoa", "Phạm Minh Châu"] {
        let r = app
            .post("/api/v1/dossiers/intake", Some(&w.clerk), json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": name}, "documents": [0]}))
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let other = app
        .post("/api/v1/dossiers/intake", Some(&w.other_clerk), json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "Người xã khác"}, "documents": [0]}))
        .await;
    assert_eq!(other.status, 201);

    let queue = app.get("/api/v1/dossiers", Some(&w.clerk)).await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(queue.body["total"], 3, "only what the commune holds");
    let dues: Vec<&str> = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["due_at"].as_str().unwrap())
        .collect();
    assert!(
        dues.windows(2).all(|w| w[0] <= w[1]),
        "sorted by due date: {dues:?}"
    );

    let found = app
        .get("/api/v1/dossiers?q=dang%20van%20duc", Some(&w.clerk))
        .await;
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.body["items"][0]["applicant"]["name"], "Đặng Văn Đức");

    let r = app
        .post(
            &format!("/api/v1/dossiers/{}/assign", ids[1]),
            Some(&w.clerk),
            json!({"assignee_id": officer_id}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mine = app
        .get("/api/v1/dossiers?assignee=me", Some(&officer))
        .await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["id"], ids[1].as_str());
    let in_progress = app
        .get("/api/v1/dossiers?state=in_progress", Some(&w.clerk))
        .await;
    assert_eq!(in_progress.body["total"], 1);

    assert_eq!(
        app.get("/api/v1/dossiers?overdue=true", Some(&w.clerk))
            .await
            .body["total"],
        0
    );
    let past = (chrono::Utc::now() - chrono::Duration::days(2)).naive_utc();
    let late_id = ids[2].clone();
    app.db
        .write_blocking(move |c| {
            diesel::update(dossiers::table.find(late_id))
                .set(dossiers::due_at.eq(Some(past)))
                .execute(c)?;
            Ok(())
        })
        .unwrap();
    let overdue = app
        .get("/api/v1/dossiers?overdue=true", Some(&w.clerk))
        .await;
    assert_eq!(overdue.body["total"], 1);
    assert_eq!(overdue.body["items"][0]["id"], ids[2].as_str());
    let first = app.get("/api/v1/dossiers", Some(&w.clerk)).await;
    assert_eq!(
        first.body["items"][0]["id"],
        ids[2].as_str(),
        "the overdue one comes first"
    );
    // A page is chosen from the index and counted in the same read: a later page keeps the
    // order and the total, and a page past the end is empty but still says how many there are.
    let second = app
        .get("/api/v1/dossiers?per_page=1&page=2", Some(&w.clerk))
        .await;
    assert_eq!(second.body["total"], 3, "{}", second.body);
    assert_eq!(second.body["items"][0]["id"], first.body["items"][1]["id"]);
    for path in [
        "/api/v1/dossiers?per_page=1&page=9",
        "/api/v1/dossiers?overdue=true&per_page=1&page=2",
    ] {
        let beyond = app.get(path, Some(&w.clerk)).await;
        assert_eq!(beyond.status, 200, "{path}: {}", beyond.body);
        assert_eq!(beyond.body["items"].as_array().map(Vec::len), Some(0));
        let total = if path.contains("overdue") { 1 } else { 3 };
        assert_eq!(beyond.body["total"], total, "{path}");
    }
    // A paused clock is judged at its pause: paused after its due instant it is overdue,
    // paused before it it is not, however long ago the due instant now is. The list (SQL)
    // and the desk's tab counts (read from the index's facts) agree.
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(10)).naive_utc();
    for (id, paused) in [
        (ids[0].clone(), long_ago + chrono::Duration::hours(1)),
        (ids[1].clone(), long_ago - chrono::Duration::hours(1)),
    ] {
        app.db
            .write_blocking(move |c| {
                diesel::update(dossiers::table.find(id))
                    .set((
                        dossiers::state.eq("supplement_requested"),
                        dossiers::due_at.eq(Some(long_ago)),
                        dossiers::paused_since.eq(Some(paused)),
                    ))
                    .execute(c)?;
                Ok(())
            })
            .unwrap();
    }
    let overdue = app
        .get("/api/v1/dossiers?overdue=true", Some(&w.clerk))
        .await;
    let listed: Vec<&str> = overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[0].as_str(), ids[2].as_str()], "by due date");
    assert_eq!(overdue.body["total"], 2);
    let commune: uuid::Uuid = w.commune.parse().unwrap();
    let (tabs, sql) = app
        .db
        .read_blocking(move |c| {
            use motcua::dossiers::store::{queue_count, queue_counts, QueueFilter, QueueReach};
            let reach = QueueReach::Unit(commune);
            let f = QueueFilter {
                overdue_at: Some(chrono::Utc::now().naive_utc()),
                ..QueueFilter::default()
            };
            Ok((
                queue_counts(c, &reach, std::slice::from_ref(&f))?,
                queue_count(c, &reach, &f)?,
            ))
        })
        .unwrap();
    assert_eq!((tabs, sql), (vec![2], 2));

    assert_eq!(
        app.get("/api/v1/dossiers", Some(&w.citizen)).await.status,
        403
    );
    assert_eq!(
        app.get("/api/v1/dossiers", Some(&w.admin)).await.body["total"],
        4
    );
    assert_eq!(
        app.get("/api/v1/dossiers?assignee=someone", Some(&w.clerk))
            .await
            .status,
        422
    );

    // A withdrawn dossier leaves the default queue but can still be asked for by state.
    let r = app
        .post(
            &format!("/api/v1/dossiers/{}/withdraw", ids[0]),
            Some(&w.clerk),
            json!({"note": "Người nộp rút hồ sơ"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let queue = app.get("/api/v1/dossiers", Some(&w.clerk)).await;
    assert_eq!(queue.body["total"], 2);
    assert!(queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["id"] != ids[0].as_str()));
    let withdrawn = app
        .get("/api/v1/dossiers?state=withdrawn", Some(&w.clerk))
        .await;
    assert_eq!(withdrawn.body["total"], 1);
}

#[tokio::test]
async fn the_receipt_and_the_refusal_print_in_vietnamese() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "Vũ <b>Thị</b> Mai", "phone": "0912000111"}, "documents": [0, 1],
                   "document_quantities": [{"index": 1, "originals": 1, "copies": 2}, {"index": 0, "originals": 1, "copies": 0}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["document_quantities"],
        json!([{"index": 1, "originals": 1, "copies": 2}, {"index": 0, "originals": 1, "copies": 0}])
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    let code = r.body["code"].as_str().unwrap().to_owned();
    let receipt = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/receipt"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert_eq!(receipt.body["number"], "Mẫu số 01");
    assert_eq!(
        receipt.body["title"],
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    );
    assert_eq!(receipt.body["items"], json!(["Tờ khai", "Giấy chứng sinh"]));
    // Each with what was handed in, in the items' order.
    assert_eq!(
        receipt.body["quantities"],
        json!(["01 bản chính", "01 bản chính, 02 bản sao"])
    );
    let due_line = receipt.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "Ngày hẹn trả kết quả")
        .unwrap();
    let due = due_line["value"].as_str().unwrap();
    assert!(
        due.contains("giờ") && (due.ends_with("(buổi sáng)") || due.ends_with("(buổi chiều)")),
        "{due}"
    );

    let html = app
        .client
        .get(format!(
            "{}/api/v1/dossiers/{id}/forms/receipt?format=html",
            app.base
        ))
        .bearer_auth(&w.clerk)
        .send()
        .await
        .unwrap();
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = html.text().await.unwrap();
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(page.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
    assert!(page.contains(&code));
    assert!(
        page.contains("Vũ &lt;b&gt;Thị&lt;/b&gt; Mai"),
        "applicant text is escaped"
    );
    assert!(!page.contains("<b>Thị</b>"));

    assert_eq!(
        app.get(
            &format!("/api/v1/dossiers/{id}/forms/refusal"),
            Some(&w.clerk)
        )
        .await
        .status,
        404
    );
    app.post(
        &format!("/api/v1/dossiers/{id}/reject"),
        Some(&w.clerk),
        json!({"note": "Giấy chứng sinh không hợp lệ"}),
    )
    .await;
    let refusal = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/refusal"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(refusal.status, 200);
    assert_eq!(refusal.body["number"], "Mẫu số 03");
    assert_eq!(
        refusal.body["items"],
        json!(["Giấy chứng sinh không hợp lệ"])
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/dossiers/{id}/forms/refusal"),
            Some(&w.other_clerk)
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/dossiers/{id}/forms/invoice"),
            Some(&w.clerk)
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn the_demo_files_realistic_dossiers_through_the_rules() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let token = app.demo_login(&accounts, "giamsat.tinh").await;
    let total = app
        .db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::dossiers;
            Ok(dossiers::table.count().get_result::<i64>(c)?)
        })
        .unwrap();
    assert!(
        (250..=300).contains(&total),
        "a few hundred dossiers: {total}"
    );
    // The queue holds the ones still to be worked on; the rest are asked for by state.
    let pending = app.get("/api/v1/dossiers?per_page=200", Some(&token)).await;
    assert!(
        pending.body["total"].as_i64().unwrap() > 10,
        "{}",
        pending.body["total"]
    );
    let returned = app
        .get("/api/v1/dossiers?state=returned&per_page=200", Some(&token))
        .await;
    assert!(returned.body["total"].as_i64().unwrap() > 100);
    let online = app.db.read_blocking(|c| {
        use diesel::prelude::*;
        use motcua::db::schema::dossiers;
        Ok(dossiers::table
            .filter(dossiers::channel.eq("online"))
            .count()
            .get_result::<i64>(c)?)
    });
    let share = online.unwrap() as f64 / total as f64;
    assert!(
        (0.6..0.85).contains(&share),
        "online share near the seed's 73 %: {share}"
    );
    // Every demo dossier went through the rules: its state is its last event's.
    let items = [&pending, &returned]
        .iter()
        .flat_map(|r| r.body["items"].as_array().unwrap().iter().take(20).cloned())
        .collect::<Vec<_>>();
    for d in &items {
        let full = app
            .get(
                &format!("/api/v1/dossiers/{}", d["id"].as_str().unwrap()),
                Some(&token),
            )
            .await;
        let history = full.body["history"].as_array().unwrap();
        assert_eq!(
            history.last().unwrap()["to_state"],
            full.body["dossier"]["state"]
        );
        assert_eq!(
            history.len() as i64,
            full.body["dossier"]["version"].as_i64().unwrap()
        );
    }
    let open = app
        .get("/api/v1/dossiers?state=in_progress", Some(&token))
        .await;
    assert!(
        open.body["total"].as_i64().unwrap() > 0,
        "some are still being processed"
    );
    // Loading again adds nothing.
    app.load_demo().await;
    assert_eq!(
        app.get("/api/v1/dossiers", Some(&token)).await.body["total"],
        pending.body["total"]
    );
    let again = app
        .db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::dossiers;
            Ok(dossiers::table.count().get_result::<i64>(c)?)
        })
        .unwrap();
    assert_eq!(again, total);
}

/// The value of the series `name{labels}` in a Prometheus text page (0 when absent).
fn series(page: &str, name_and_labels: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_served_to_the_scraper_by_route_template_only() {
    const TOKEN: &str = "metrics-token-of-at-least-32-characters";
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(TOKEN.to_owned().into())).await;
    let w = world(&app).await;
    let scrape = || async {
        let res = app
            .client
            .get(format!("{}/metrics", app.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        res.text().await.unwrap()
    };
    // Not public: 404 without the token, or with another.
    assert_eq!(app.get("/metrics", None).await.status, 404);
    assert_eq!(app.get("/metrics", Some(&w.admin)).await.status, 404);

    let before = scrape().await;
    let missing = "01a20560-06fc-7105-bce2-8c0be44bd720";
    app.get(&format!("/api/v1/dossiers/{missing}"), Some(&w.clerk))
        .await;
    assert_eq!(
        app.login_pair("motcua.backan", "wrong-password")
            .await
            .status,
        401
    );
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "Lò Văn Cường"}, "documents": [0]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let after = scrape().await;

    let by_template =
        r#"motcua_http_requests_total{method="GET",route="/api/v1/dossiers/{id}",status="404"}"#;
    assert!(
        series(&after, by_template) >= series(&before, by_template) + 1.0,
        "{after}"
    );
    assert!(!after.contains(missing), "a raw path reached the metrics");
    for (name, at_least) in [
        ("motcua_sign_in_failures_total", 1.0),
        (r#"motcua_dossier_transitions_total{action="intake"}"#, 1.0),
    ] {
        assert!(
            series(&after, name) >= series(&before, name) + at_least,
            "{name}: {after}"
        );
    }
    for name in [
        "motcua_http_request_duration_seconds_bucket",
        "motcua_db_pool_wait_seconds_count",
        "motcua_db_pool_connections_max 8",
        "motcua_db_pool_connections_in_use",
        "motcua_stats_fold_backlog",
        "motcua_stats_fold_lag_seconds",
    ] {
        assert!(after.contains(name), "{name} missing: {after}");
    }
}

/// An online filing the applicant brings on paper: the desk records the originals and copies
/// when it receives it, and the receipt lists them; counts naming a document the filing does
/// not have, or given to another action, are refused naming the field.
#[tokio::test]
async fn the_desk_records_paper_counts_when_it_receives_an_online_filing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (status, d) = file(&app, &w, None).await;
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_str().unwrap().to_owned();
    let receive = |body: Value| {
        let (app, clerk, id) = (&app, &w.clerk, &id);
        async move {
            app.post(&format!("/api/v1/dossiers/{id}/receive"), Some(clerk), body)
                .await
        }
    };
    let bad =
        receive(json!({"document_quantities": [{"index": 5, "originals": 1, "copies": 0}]})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "document_quantities[0]");
    let r = receive(json!({"document_quantities": [
        {"index": 0, "originals": 1, "copies": 0},
        {"index": 1, "originals": 0, "copies": 3}
    ]}))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["document_quantities"][1]["copies"], 3);
    let receipt = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/receipt"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert_eq!(
        receipt.body["quantities"],
        json!(["01 bản chính", "03 bản sao"])
    );
    // Counts belong to the reception only.
    let later = app
        .post(
            &format!("/api/v1/dossiers/{id}/assign"),
            Some(&w.clerk),
            json!({"document_quantities": [{"index": 0, "originals": 2, "copies": 0}]}),
        )
        .await;
    assert_eq!(later.status, 422, "{}", later.body);
    assert_eq!(later.body["errors"][0]["field"], "document_quantities");
}
