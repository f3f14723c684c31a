//! The procedure catalogue over HTTP: public search ignoring diacritics, filters, pagination,
//! versions, deactivation, and the rules on workflows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn spec(code: &str, name: &str) -> Value {
    json!({
        "code": code,
        "name": name,
        "field": "Hộ tịch",
        "levels": ["commune", "district"],
        "agency": "Ủy ban nhân dân cấp xã",
        "processing_days": 2.5,
        "processing_note": null,
        "fees": [{"description": "Lệ phí: 8.000 đồng", "amount_vnd": 8000}],
        "required_documents": [{"name": "Tờ khai", "mandatory": true}],
        "online_level": "full",
        "supplement_policy": "restart",
        "steps": [
            {"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
            {"name": "Thẩm định", "role": "officer", "unit_level": "district", "share_percent": 60},
            {"name": "Phê duyệt", "role": "approver", "unit_level": "district", "share_percent": 20},
            {"name": "Trả kết quả", "role": "clerk", "unit_level": "commune", "share_percent": 10}
        ],
        "source": null
    })
}

fn codes(r: &Value) -> Vec<String> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn searching_khai_sinh_finds_birth_registration_in_the_real_catalogue() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let r = app.get("/api/v1/procedures?q=khai%20sinh", None).await;
    assert_eq!(r.status, 200);
    let found = codes(&r.body);
    assert!(found.contains(&"1.001193".to_owned()), "{found:?}");
    assert_eq!(r.body["total"].as_u64().unwrap() as usize, found.len());
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n.to_lowercase().contains("khai sinh")),
        "{names:?}"
    );
    // Diacritics in the query do not matter either.
    let r2 = app.get("/api/v1/procedures?q=KHAI%20SINH", None).await;
    assert_eq!(codes(&r2.body), found);
    let r3 = app
        .get(
            &format!("/api/v1/procedures?q={}", "đăng ký khai sinh"),
            None,
        )
        .await;
    assert!(codes(&r3.body).contains(&"1.001193".to_owned()));

    let one = app.get("/api/v1/procedures/1.001193", None).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["name"], "Thủ tục đăng ký khai sinh");
    assert_eq!(one.body["steps"].as_array().unwrap().len(), 4);
    assert!(one.body["required_documents"].as_array().unwrap().len() >= 5);
}

#[tokio::test]
async fn filters_and_pagination_report_a_total() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let all = app.get("/api/v1/procedures?per_page=10", None).await;
    assert_eq!(all.body["total"], 35);
    assert_eq!(codes(&all.body).len(), 10);
    let p4 = app.get("/api/v1/procedures?per_page=10&page=4", None).await;
    assert_eq!(codes(&p4.body).len(), 5);
    let province = app
        .get("/api/v1/procedures?level=province&per_page=50", None)
        .await;
    assert_eq!(province.body["total"], 8, "7 province-only and 1 both");
    let none = app.get("/api/v1/procedures?online_level=none", None).await;
    assert_eq!(none.body["total"], 3);
    let field = app
        .get("/api/v1/procedures?field=ho%20tich&per_page=50", None)
        .await;
    assert_eq!(field.body["total"], 10);
}

#[tokio::test]
async fn editing_makes_a_new_version_and_the_old_stays_readable() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = app
        .post(
            "/api/v1/procedures",
            Some(&admin),
            spec("9.000001", "Thủ tục thử nghiệm"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["processing_days"], 2.5);
    let v1 = created.body["version_id"].as_str().unwrap().to_owned();

    let again = app
        .post(
            "/api/v1/procedures",
            Some(&admin),
            spec("9.000001", "Trùng"),
        )
        .await;
    assert_eq!(again.status, 409);

    let mut s2 = spec("9.000001", "Thủ tục thử nghiệm (sửa đổi)");
    s2["processing_days"] = json!(5);
    let v2 = app
        .post("/api/v1/procedures/9.000001/versions", Some(&admin), s2)
        .await;
    assert_eq!(v2.status, 201, "{}", v2.body);
    assert_eq!(v2.body["version"], 2);
    assert_eq!(v2.body["current"], true);

    let current = app.get("/api/v1/procedures/9.000001", None).await;
    assert_eq!(current.body["version"], 2);
    let old = app
        .get(&format!("/api/v1/procedure-versions/{v1}"), None)
        .await;
    assert_eq!(old.status, 200);
    assert_eq!(old.body["version"], 1);
    assert_eq!(old.body["current"], false);
    assert_eq!(old.body["name"], "Thủ tục thử nghiệm");
    let by_number = app.get("/api/v1/procedures/9.000001?version=1", None).await;
    assert_eq!(by_number.body["version_id"], v1.as_str());
    let versions = app.get("/api/v1/procedures/9.000001/versions", None).await;
    assert_eq!(versions.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/v1/procedures/9.000001?version=7", None)
            .await
            .status,
        404
    );

    let mismatch = app
        .post(
            "/api/v1/procedures/9.000001/versions",
            Some(&admin),
            spec("9.000002", "X"),
        )
        .await;
    assert_eq!(mismatch.status, 422);
}

#[tokio::test]
async fn a_deactivated_procedure_leaves_the_public_list() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.post(
        "/api/v1/procedures",
        Some(&admin),
        spec("9.000003", "Thủ tục tạm dừng"),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/procedures?q=tam%20dung", None).await.body["total"],
        1
    );
    let r = app
        .post(
            "/api/v1/procedures/9.000003/deactivate",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["active"], false);
    assert_eq!(
        app.get("/api/v1/procedures?q=tam%20dung", None).await.body["total"],
        0
    );
    let with_inactive = app
        .get(
            "/api/v1/procedures?q=tam%20dung&include_inactive=true",
            Some(&admin),
        )
        .await;
    assert_eq!(
        with_inactive.body["total"], 1,
        "administrators still find it"
    );
    let anonymous = app
        .get("/api/v1/procedures?include_inactive=true", None)
        .await;
    assert_eq!(anonymous.status, 401);
    let p = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let (_, clerk) = app.staff(&admin, "motcua", "clerk", Some(&p)).await;
    let not_admin = app
        .get("/api/v1/procedures?include_inactive=true", Some(&clerk))
        .await;
    assert_eq!(not_admin.status, 403);
    let bad_token = app.get("/api/v1/procedures", Some("not-a-token")).await;
    assert_eq!(bad_token.status, 401, "a bad token is refused, not ignored");
    // Still readable by code for dossiers filed under it.
    assert_eq!(
        app.get("/api/v1/procedures/9.000003", None).await.body["active"],
        false
    );
    app.post(
        "/api/v1/procedures/9.000003/activate",
        Some(&admin),
        json!({}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/procedures?q=tam%20dung", None).await.body["total"],
        1
    );
}

#[tokio::test]
async fn workflow_shares_must_add_up_and_levels_must_match() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut s = spec("9.000004", "Sai tỷ lệ");
    s["steps"][0]["share_percent"] = json!(30);
    s["steps"][1]["unit_level"] = json!("province");
    let r = app.post("/api/v1/procedures", Some(&admin), s).await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"steps"), "{fields:?}");
    assert!(fields.contains(&"steps[1].unit_level"), "{fields:?}");
    assert_eq!(
        app.get("/api/v1/procedures/9.000004", None).await.status,
        404,
        "nothing was written"
    );
}

#[tokio::test]
async fn only_administrators_edit_the_catalogue() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let p = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let (_, sup) = app.staff(&admin, "giamsat", "supervisor", Some(&p)).await;
    assert_eq!(
        app.post("/api/v1/procedures", Some(&sup), spec("9.000005", "X"))
            .await
            .status,
        403
    );
    assert_eq!(
        app.post("/api/v1/procedures", None, spec("9.000005", "X"))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_in_memory_index_agrees_with_the_database_query() {
    use motcua::catalogue::store::{self, ProcedureFilter};
    use motcua::http::Paging;
    use motcua::units::model::Level;

    let app = TestApp::spawn().await;
    app.load_demo().await;
    let admin = app.admin().await;
    app.post(
        "/api/v1/procedures/2.000815/deactivate",
        Some(&admin),
        json!({}),
    )
    .await;
    app.post("/api/v1/procedures/1.001193/versions", Some(&admin), {
        let mut s = spec("1.001193", "Thủ tục đăng ký khai sinh (mới)");
        s["levels"] = json!(["commune"]);
        s["steps"] = json!([{"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 100}]);
        s
    })
    .await;

    let queries = [
        None,
        Some("khai sinh"),
        Some("dang"),
        Some("ĐĂNG KÝ"),
        Some("giay phep"),
        Some("1.00"),
        Some("xyz"),
        Some("ho tich"),
        Some("d"),
        Some("100%_"),
    ];
    let levels = [None, Some(Level::Commune), Some(Level::Province)];
    let onlines = [None, Some("none"), Some("partial")];
    let fields = [None, Some("Hộ tịch"), Some("dat dai")];
    let mut compared = 0;
    for q in queries {
        for level in levels {
            for online in onlines {
                for field in fields {
                    for inactive in [false, true] {
                        for (page, per_page) in [(1, 5), (2, 5), (1, 200)] {
                            let mut url = format!("/api/v1/procedures?page={page}&per_page={per_page}&include_inactive={inactive}");
                            if let Some(q) = q {
                                url.push_str(&format!("&q={}", urlencode(q)));
                            }
                            if let Some(l) = level {
                                url.push_str(&format!("&level={}", l.as_str()));
                            }
                            if let Some(o) = online {
                                url.push_str(&format!("&online_level={o}"));
                            }
                            if let Some(f) = field {
                                url.push_str(&format!("&field={}", urlencode(f)));
                            }
                            let api = app.get(&url, Some(&admin)).await;
                            assert_eq!(api.status, 200, "{url}");
                            let filter = ProcedureFilter {
                                q: q.map(str::to_owned),
                                field: field.map(str::to_owned),
                                level,
                                online_level: online
                                    .map(|o| serde_json::from_value(json!(o)).unwrap()),
                                include_inactive: inactive,
                            };
                            let paging = Paging { page, per_page };
                            let (rows, total) = app
                                .db
                                .read_blocking(|c| store::list(c, &filter, paging))
                                .unwrap();
                            let reference: Vec<Value> = rows
                                .iter()
                                .map(|r| serde_json::to_value(r).unwrap())
                                .collect();
                            assert_eq!(api.body["total"], total, "{url}");
                            assert_eq!(api.body["items"].as_array().unwrap(), &reference, "{url}");
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(compared, 10 * 3 * 3 * 3 * 2 * 3);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
