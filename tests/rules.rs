//! Rules a new user found broken, over HTTP: `allowed_actions` lists what *this caller* may
//! do now (and every listed action goes through), unknown query parameters are refused, an
//! idempotency key cannot be reused for another filing, the work queue finds a dossier by the
//! applicant's ID number or phone, lists every state on request and puts unreceived filings in
//! line by their filing time, and a unit's default start date is Vietnam's date.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use serde_json::{json, Value};

struct World {
    admin: String,
    commune: String,
    clerk: String,
    officer: String,
    approver: String,
    district_officer: String,
    citizen: String,
    other_citizen: String,
}

async fn world(app: &TestApp) -> World {
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
    let (_, officer) = app
        .staff(&admin, "chuyenvien.banglung", "officer", Some(&commune))
        .await;
    let (_, approver) = app
        .staff(&admin, "lanhdao.banglung", "approver", Some(&commune))
        .await;
    let (_, district_officer) = app
        .staff(&admin, "chuyenvien.chodon", "officer", Some(&district))
        .await;
    let spec = json!({
        "code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch", "levels": ["commune"],
        "agency": "UBND cấp xã", "processing_days": 3, "processing_note": null,
        "fees": [{"description": "Lệ phí 8.000 đồng", "amount_vnd": 8000}],
        "required_documents": [{"name": "Tờ khai", "mandatory": true}],
        "online_level": "full",
        "steps": [
            {"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
            {"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 60},
            {"name": "Phê duyệt", "role": "approver", "unit_level": "commune", "share_percent": 20},
            {"name": "Trả kết quả", "role": "clerk", "unit_level": "commune", "share_percent": 10}
        ],
        "source": null
    });
    let r = app.post("/api/v1/procedures", Some(&admin), spec).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut citizens = Vec::new();
    for (id, name, phone) in [
        ("006095001234", "Nguyễn Văn An", "0912345678"),
        ("006095005678", "Trần Thị Bình", "0987650124"),
    ] {
        let r = app
            .post(
                "/api/v1/citizens",
                None,
                json!({"citizen_id": id, "full_name": name, "phone": phone, "password": "mat-khau-du-dai"}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
        citizens.push(app.login(id, "mat-khau-du-dai").await);
    }
    let other_citizen = citizens.pop().unwrap();
    let citizen = citizens.pop().unwrap();
    World {
        admin,
        commune,
        clerk,
        officer,
        approver,
        district_officer,
        citizen,
        other_citizen,
    }
}

fn actions(d: &Value) -> Vec<String> {
    d["allowed_actions"]
        .as_array()
        .unwrap_or_else(|| panic!("allowed_actions in {d}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// The dossier's actions as `token` sees them on its page.
async fn offered(app: &TestApp, id: &str, token: &str) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    actions(&r.body["dossier"])
}

#[tokio::test]
async fn allowed_actions_are_what_this_caller_may_do_now_and_each_goes_through() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let filed = app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen),
            json!({"procedure_code": "1.001193", "unit_id": w.commune, "documents": [0]}),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let id = filed.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        actions(&filed.body),
        vec!["withdraw"],
        "the applicant's own"
    );
    assert_eq!(
        offered(&app, &id, &w.clerk).await,
        vec!["receive", "reject", "withdraw"]
    );
    // Staff of another level see it only if it is in their scope; nothing to do for them.
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{id}"), Some(&w.district_officer))
            .await
            .status,
        404
    );
    assert!(
        offered(&app, &id, &w.officer).await.is_empty(),
        "not the desk's step"
    );

    // Walk the dossier through: at each step the actor is offered the action it takes, the
    // action succeeds, and everyone else's offer matches what they could do.
    let walk: [(&str, &str, Value); 7] = [
        ("receive", "clerk", json!({})),
        ("assign", "clerk", json!({})),
        ("request_payment", "officer", json!({"note": "Lệ phí"})),
        ("pay", "citizen", json!({})),
        ("submit_for_approval", "officer", json!({})),
        ("approve", "approver", json!({})),
        ("return_result", "clerk", json!({"return_channel": "desk"})),
    ];
    let token = |who: &str| -> String {
        match who {
            "clerk" => w.clerk.clone(),
            "officer" => w.officer.clone(),
            "approver" => w.approver.clone(),
            _ => w.citizen.clone(),
        }
    };
    for (action, who, body) in walk {
        let mine = offered(&app, &id, &token(who)).await;
        assert!(
            mine.contains(&action.to_owned()),
            "{who} offered {mine:?} before {action}"
        );
        let r = app
            .post(
                &format!("/api/v1/dossiers/{id}/{action}"),
                Some(&token(who)),
                body,
            )
            .await;
        assert_eq!(r.status, 200, "{action}: {}", r.body);
        assert_eq!(
            actions(&r.body),
            offered(&app, &id, &token(who)).await,
            "an action's answer lists the same actions as the dossier's page"
        );
        // Whatever anyone is offered now is not refused as forbidden or impossible.
        for someone in ["clerk", "officer", "approver", "citizen"] {
            for listed in offered(&app, &id, &token(someone)).await {
                let probe = app
                    .post(
                        &format!("/api/v1/dossiers/{id}/{listed}"),
                        Some(&token(someone)),
                        json!({"expected_version": -1}),
                    )
                    .await;
                assert!(
                    probe.status == 409
                        && probe.body["detail"].as_str().unwrap().contains("version"),
                    "{someone} offered {listed}: only a stale version may stop it, got {} {}",
                    probe.status,
                    probe.body
                );
            }
        }
    }
    for who in ["clerk", "officer", "approver", "citizen"] {
        assert!(
            offered(&app, &id, &token(who)).await.is_empty(),
            "returned: final"
        );
    }
    // Another citizen sees nothing and acts on nothing.
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/withdraw"),
            Some(&w.other_citizen),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn an_unknown_query_parameter_is_refused_by_name() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    for path in [
        "/api/v1/dossiers?stat=returned",
        "/api/v1/units?nam=x",
        "/api/v1/procedures?qq=khai",
        "/api/v1/users?rol=clerk",
    ] {
        let r = app.get(path, Some(&w.admin)).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(r.is_problem());
        let unknown = path.split('?').nth(1).unwrap().split('=').next().unwrap();
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{unknown}`")),
            "{path}: {}",
            r.body
        );
    }
    let r = app.get("/api/v1/dossiers?state=all", Some(&w.clerk)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get("/api/v1/dossiers?state=alll", Some(&w.clerk)).await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_filing_is_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let send = |documents: Value| {
        let req = app
            .client
            .post(format!("{}/api/v1/dossiers", app.base))
            .bearer_auth(&w.citizen)
            .header("idempotency-key", "form-7")
            .json(&json!({"procedure_code": "1.001193", "unit_id": w.commune, "documents": documents}));
        async move { TestApp::read(req.send().await.unwrap()).await }
    };
    let first = send(json!([0])).await;
    assert_eq!(first.status, 201);
    let again = send(json!([0])).await;
    assert_eq!((again.status, &again.body["id"]), (200, &first.body["id"]));
    let other = send(json!([])).await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    let mine = app.get("/api/v1/dossiers/mine", Some(&w.citizen)).await;
    assert_eq!(
        mine.body["total"], 1,
        "nothing filed by the refused request"
    );
}

#[tokio::test]
async fn the_queue_finds_by_id_number_and_phone_lists_all_states_and_orders_filings() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // A desk intake due in 3 working days, then an online filing not yet received.
    let intake = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "desk", "documents": [0],
                   "applicant": {"name": "Lê Văn Cường", "citizen_id": "006095009999", "phone": "0911 000 111"}}),
        )
        .await;
    assert_eq!(intake.status, 201, "{}", intake.body);
    let online = app
        .post(
            "/api/v1/dossiers",
            Some(&w.other_citizen),
            json!({"procedure_code": "1.001193", "unit_id": w.commune, "documents": [0]}),
        )
        .await;
    assert_eq!(online.status, 201);
    let codes = |r: &common::Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let queue = app.get("/api/v1/dossiers", Some(&w.clerk)).await;
    assert_eq!(
        codes(&queue),
        vec![
            online.body["code"].as_str().unwrap(),
            intake.body["code"].as_str().unwrap()
        ],
        "the filing waiting since now comes before work due in three days"
    );
    for (q, expected) in [
        ("006095009999", &intake),
        ("0911000111", &intake),
        ("+84911000111", &intake),
        ("0987650124", &online),
    ] {
        let r = app
            .get(
                &format!("/api/v1/dossiers?q={}", q.replace('+', "%2B")),
                Some(&w.clerk),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            codes(&r),
            vec![expected.body["code"].as_str().unwrap()],
            "q={q}"
        );
    }
    let r = app
        .get("/api/v1/dossiers?q=006095009998", Some(&w.clerk))
        .await;
    assert_eq!(r.body["total"], 0, "an ID number matches exactly");
    // Refused online filing: out of the default queue, in `state=all`.
    let id = online.body["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/reject"),
            Some(&w.clerk),
            json!({"note": "Sai thủ tục"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/dossiers", Some(&w.clerk)).await.body["total"],
        1
    );
    let all = app.get("/api/v1/dossiers?state=all", Some(&w.clerk)).await;
    assert_eq!(all.body["total"], 2);
}

#[tokio::test]
async fn a_new_units_default_start_is_the_date_in_vietnam() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let r = app
        .post(
            "/api/v1/units",
            Some(&admin),
            json!({"code": "19", "name": "Tỉnh Thái Nguyên", "kind": "province"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let vietnam_today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let got = r.body["valid_from"].as_str().unwrap();
    // Around midnight the two clocks may straddle a day; allow the later reading.
    let after = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    assert!(
        got == vietnam_today.to_string() || got == after.to_string(),
        "valid_from {got}, Vietnam's date {vietnam_today}"
    );
}

#[tokio::test]
async fn a_dossier_missing_a_mandatory_document_is_not_received() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let spec = json!({
        "code": "1.000656", "name": "Thủ tục đăng ký khai tử", "field": "Hộ tịch", "levels": ["commune"],
        "agency": "UBND cấp xã", "processing_days": 1, "processing_note": null,
        "required_documents": [
            {"name": "Tờ khai đăng ký khai tử", "mandatory": true},
            {"name": "Văn bản ủy quyền trong trường hợp ủy quyền", "mandatory": false},
            {"name": "Giấy báo tử", "mandatory": true}
        ],
        "online_level": "full",
        "steps": [{"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 100}],
        "source": null
    });
    assert_eq!(
        app.post("/api/v1/procedures", Some(&w.admin), spec)
            .await
            .status,
        201
    );
    let intake = |documents: Value| {
        app.post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.000656", "channel": "desk", "documents": documents,
                   "applicant": {"name": "Hoàng Văn Dũng"}}),
        )
    };
    let r = intake(json!([1])).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let errors: Vec<String> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["field"], "documents");
            e["message"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            "mandatory document 0 is missing: Tờ khai đăng ký khai tử",
            "mandatory document 2 is missing: Giấy báo tử"
        ]
    );
    assert_eq!(
        app.get("/api/v1/dossiers?state=all", Some(&w.clerk))
            .await
            .body["total"],
        0,
        "nothing received"
    );
    assert_eq!(
        intake(json!([0, 2])).await.status,
        201,
        "the optional one may be absent"
    );

    // Online: filed as the citizen chose, but the desk cannot receive it incomplete.
    let filed = app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen),
            json!({"procedure_code": "1.000656", "unit_id": w.commune, "documents": [0]}),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let id = filed.body["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/receive"),
            Some(&w.clerk),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["message"],
        "mandatory document 2 is missing: Giấy báo tử"
    );
    let d = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&w.clerk))
        .await;
    assert_eq!(d.body["dossier"]["state"], "submitted", "nothing changed");
    assert_eq!(d.body["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn decomposed_input_is_stored_precomposed() {
    use unicode_normalization::UnicodeNormalization;
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let decomposed: String = "Nguyễn Thị Hường".nfd().collect();
    assert_ne!(decomposed, "Nguyễn Thị Hường");
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "desk", "documents": [0],
                   "applicant": {"name": decomposed, "address": "Tổ 5, thị trấn Bằng Lũng".nfd().collect::<String>()}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["applicant"]["name"], "Nguyễn Thị Hường");
    assert_eq!(r.body["applicant"]["address"], "Tổ 5, thị trấn Bằng Lũng");
    // And found by the precomposed spelling a clerk types.
    let q = app.get("/api/v1/dossiers?q=Hường", Some(&w.clerk)).await;
    assert_eq!(q.body["total"], 1);
}

#[tokio::test]
async fn a_due_date_beyond_the_published_calendar_is_marked_provisional() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let spec = json!({
        "code": "1.013978", "name": "Đăng ký đất đai lần đầu", "field": "Đất đai", "levels": ["commune"],
        "agency": "UBND cấp xã", "processing_days": 300, "processing_note": null,
        "required_documents": [{"name": "Đơn đăng ký", "mandatory": true}],
        "online_level": "partial",
        "steps": [{"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 100}],
        "source": null
    });
    assert_eq!(
        app.post("/api/v1/procedures", Some(&w.admin), spec)
            .await
            .status,
        201
    );
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.013978", "channel": "desk", "documents": [0],
                   "applicant": {"name": "Đinh Văn Em"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The test calendar ends in 2026; 300 working days from now are later than that.
    assert_eq!(r.body["calendar_provisional"], true);
    let id = r.body["id"].as_str().unwrap();
    let d = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&w.clerk))
        .await;
    assert_eq!(d.body["dossier"]["calendar_provisional"], true);
    let receipt = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/receipt"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert!(
        receipt.body.to_string().contains("ngày hẹn trả là dự kiến"),
        "{}",
        receipt.body
    );
    // A short procedure received now is firm while its year is published.
    let short = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "desk", "documents": [0],
                   "applicant": {"name": "Đinh Thị Gấm"}}),
        )
        .await;
    let due_year: i32 = short.body["due_at"].as_str().unwrap()[..4].parse().unwrap();
    assert_eq!(short.body["calendar_provisional"], due_year > 2026);
}

#[tokio::test]
async fn a_queue_of_a_unit_outside_scope_is_404_and_an_apology_stays_within_a_year() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // The clerk's own unit is fine; the district above it is outside a clerk's scope.
    let own = app
        .get(
            &format!("/api/v1/dossiers?unit_id={}", w.commune),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    let units = app.get("/api/v1/units?code=063", Some(&w.admin)).await;
    let district = units.body["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!("/api/v1/dossiers?unit_id={district}"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.is_problem());

    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&w.clerk),
            json!({"procedure_code": "1.001193", "channel": "desk", "documents": [0],
                   "applicant": {"name": "Lý Văn Phúc"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap();
    let due: chrono::DateTime<chrono::Utc> = r.body["due_at"].as_str().unwrap().parse().unwrap();
    let url = format!("/api/v1/dossiers/{id}/apologise");
    let apologise = |new_due: chrono::DateTime<chrono::Utc>| {
        app.post(
            &url,
            Some(&w.clerk),
            json!({"note": "Xin lỗi vì chậm trễ", "new_due_at": new_due}),
        )
    };
    let far = apologise(due + chrono::Duration::days(400)).await;
    assert_eq!(far.status, 422, "{}", far.body);
    assert_eq!(far.body["errors"][0]["field"], "new_due_at");
    let year_10000 = apologise("9999-12-31T00:00:00Z".parse().unwrap()).await;
    assert_eq!(year_10000.status, 422, "{}", year_10000.body);
    let near = apologise(due + chrono::Duration::days(10)).await;
    assert_eq!(near.status, 200, "{}", near.body);
}
