//! The unit tree over HTTP: building it, scopes (404 outside), search ignoring diacritics,
//! subtree/ancestors, moving, retiring with a successor, and the demo's real data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{three_level_tree, TestApp};
use serde_json::json;

fn ids(v: &serde_json::Value) -> Vec<String> {
    let list = v.get("items").unwrap_or(v);
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn clerk_in_a_commune_sees_and_changes_nothing_outside_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let (_, clerk) = app.staff(&admin, "motcua.c1", "clerk", Some(&t.c1)).await;

    let list = app.get("/api/v1/units", Some(&clerk)).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        ids(&list.body),
        vec![t.c1.clone()],
        "a clerk's list is their own unit"
    );
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        app.get(&format!("/api/v1/units/{}", t.c1), Some(&clerk))
            .await
            .status,
        200
    );
    for other in [&t.c2, &t.d1, &t.d2, &t.province] {
        let r = app
            .get(&format!("/api/v1/units/{other}"), Some(&clerk))
            .await;
        assert_eq!(r.status, 404, "outside the commune is 404");
        assert!(r.is_problem());
        assert_eq!(
            app.get(&format!("/api/v1/units/{other}/subtree"), Some(&clerk))
                .await
                .status,
            404
        );
        assert_eq!(
            app.get(&format!("/api/v1/units/{other}/agencies"), Some(&clerk))
                .await
                .status,
            404
        );
    }
    // Ancestors stop at the scope: a clerk does not learn the district's record.
    let anc = app
        .get(&format!("/api/v1/units/{}/ancestors", t.c1), Some(&clerk))
        .await;
    assert_eq!(anc.status, 200);
    assert!(ids(&anc.body).is_empty());
    // Writes are for administrators: 403 by role.
    let r = app
        .patch(
            &format!("/api/v1/units/{}", t.c1),
            Some(&clerk),
            json!({"name": "Đổi tên"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .post(
            "/api/v1/units",
            Some(&clerk),
            json!({"code": "99999", "name": "X", "kind": "commune", "parent_id": t.c1}),
        )
        .await;
    assert_eq!(r.status, 403);
    // Users are for administrators too.
    assert_eq!(app.get("/api/v1/users", Some(&clerk)).await.status, 403);
}

#[tokio::test]
async fn supervisor_in_a_district_sees_the_district_subtree_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let (_, sup) = app
        .staff(&admin, "giamsat.d1", "supervisor", Some(&t.d1))
        .await;

    let mut seen = ids(&app.get("/api/v1/units", Some(&sup)).await.body);
    seen.sort();
    let mut expected = vec![t.d1.clone(), t.c1.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(
        app.get(&format!("/api/v1/units/{}", t.c1), Some(&sup))
            .await
            .status,
        200
    );
    for other in [&t.c2, &t.d2, &t.province] {
        assert_eq!(
            app.get(&format!("/api/v1/units/{other}"), Some(&sup))
                .await
                .status,
            404
        );
    }
    let sub = app
        .get(&format!("/api/v1/units/{}/subtree", t.d1), Some(&sup))
        .await;
    assert_eq!(
        ids(&sub.body),
        vec![t.d1.clone(), t.c1.clone()],
        "shallowest first"
    );
    // The province subtree is outside the scope even though it contains the district.
    assert_eq!(
        app.get(&format!("/api/v1/units/{}/subtree", t.province), Some(&sup))
            .await
            .status,
        404
    );
    // Children filter works inside the scope.
    let kids = app
        .get(&format!("/api/v1/units?parent={}", t.d1), Some(&sup))
        .await;
    assert_eq!(ids(&kids.body), vec![t.c1.clone()]);
}

#[tokio::test]
async fn admin_of_a_district_manages_only_its_subtree() {
    let app = TestApp::spawn().await;
    let root = app.admin().await;
    let t = three_level_tree(&app, &root).await;
    let (_, dadmin) = app.staff(&root, "quantri.d1", "admin", Some(&t.d1)).await;
    // Can add a commune under its district and staff there.
    let c3 = app
        .unit(&dadmin, "01891", "Xã Bằng Phúc", "commune", Some(&t.d1))
        .await;
    app.staff(&dadmin, "motcua.c3", "clerk", Some(&c3)).await;
    // Cannot add under another district, nor staff there, nor a root.
    let r = app
        .post(
            "/api/v1/units",
            Some(&dadmin),
            json!({"code": "01999", "name": "X", "kind": "commune", "parent_id": t.d2}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .post(
            "/api/v1/units",
            Some(&dadmin),
            json!({"code": "99", "name": "Tỉnh X", "kind": "province", "parent_id": null}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .post("/api/v1/users", Some(&dadmin), json!({"username": "x.d2", "full_name": "X", "role": "clerk", "unit_id": t.c2, "password": "mat-khau-dai-du"}))
        .await;
    assert_eq!(r.status, 422);
    // Users listed are the subtree's staff only.
    let users = app.get("/api/v1/users", Some(&dadmin)).await;
    let names: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"motcua.c3") && names.contains(&"quantri.d1"));
    assert!(!names.contains(&"root"));
    // Cannot touch a unit outside.
    assert_eq!(
        app.patch(
            &format!("/api/v1/units/{}", t.c2),
            Some(&dadmin),
            json!({"name": "X"})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn units_move_with_their_subtree_and_cannot_move_under_themselves() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let r = app
        .patch(
            &format!("/api/v1/units/{}", t.c1),
            Some(&admin),
            json!({"parent_id": t.d2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["parent_id"], t.d2.as_str());
    assert_eq!(r.body["depth"], 2);
    let sub = app
        .get(&format!("/api/v1/units/{}/subtree", t.d2), Some(&admin))
        .await;
    assert_eq!(ids(&sub.body).len(), 3);
    let anc = app
        .get(&format!("/api/v1/units/{}/ancestors", t.c1), Some(&admin))
        .await;
    assert_eq!(ids(&anc.body), vec![t.province.clone(), t.d2.clone()]);
    let r = app
        .patch(
            &format!("/api/v1/units/{}", t.d2),
            Some(&admin),
            json!({"parent_id": t.c1}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "parent_id");
}

#[tokio::test]
async fn retiring_a_unit_records_its_successor_and_codes_are_looked_up_by_date() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let new_province = app
        .unit(&admin, "19", "Tỉnh Thái Nguyên", "province", None)
        .await;
    let new_commune = json!({"code": "01888", "name": "Xã Chợ Đồn", "kind": "commune", "parent_id": new_province, "valid_from": "2025-07-01"});
    // While the old unit is open-ended, its code cannot be taken by another unit.
    let early = app
        .post("/api/v1/units", Some(&admin), new_commune.clone())
        .await;
    assert_eq!(early.status, 409);
    let r = app
        .post(
            &format!("/api/v1/units/{}/retire", t.c1),
            Some(&admin),
            json!({"valid_to": "2025-06-30"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let merged = app.post("/api/v1/units", Some(&admin), new_commune).await;
    assert_eq!(
        merged.status, 201,
        "a code is reused after its unit ends: {}",
        merged.body
    );
    let merged = merged.body["id"].as_str().unwrap().to_owned();
    let dup = app.post("/api/v1/units", Some(&admin), json!({"code": "01888", "name": "X", "kind": "commune", "parent_id": t.d1, "valid_from": "2024-01-01"})).await;
    assert_eq!(dup.status, 409, "overlapping periods for one code");
    let r = app
        .post(
            &format!("/api/v1/units/{}/retire", t.c1),
            Some(&admin),
            json!({"valid_to": "2025-06-30", "successor_id": merged}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["successor_id"], merged.as_str());
    assert_eq!(r.body["valid_to"], "2025-06-30");
    let before = app
        .get("/api/v1/units?code=01888&valid_on=2025-06-30", Some(&admin))
        .await;
    assert_eq!(ids(&before.body), vec![t.c1.clone()]);
    let after = app
        .get("/api/v1/units?code=01888&valid_on=2025-07-01", Some(&admin))
        .await;
    assert_eq!(ids(&after.body), vec![merged.clone()]);
    let bad = app
        .post(
            &format!("/api/v1/units/{}/retire", t.c2),
            Some(&admin),
            json!({"valid_to": "2019-01-01"}),
        )
        .await;
    assert_eq!(bad.status, 422, "cannot end before it starts");
}

#[tokio::test]
async fn agencies_belong_to_units() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let r = app
        .post(&format!("/api/v1/units/{}/agencies", t.province), Some(&admin), json!({"code": "000.00.00.H05", "name": "UBND tỉnh Bắc Kạn", "kind": "peoples_committee"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let dup = app
        .post(
            &format!("/api/v1/units/{}/agencies", t.d1),
            Some(&admin),
            json!({"code": "000.00.00.H05", "name": "X", "kind": "office"}),
        )
        .await;
    assert_eq!(dup.status, 409);
    let list = app
        .get(
            &format!("/api/v1/units/{}/agencies", t.province),
            Some(&admin),
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn demo_tree_search_ignores_diacritics_and_follows_successors() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let admin = app.admin().await;

    let r = app
        .get("/api/v1/units?q=bac%20kan&kind=province", Some(&admin))
        .await;
    assert_eq!(r.status, 200);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Tỉnh Bắc Kạn"]);

    let r = app.get("/api/v1/units?q=cho%20don", Some(&admin)).await;
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Huyện Chợ Đồn"), "{names:?}");
    assert!(names.iter().all(|n| n.contains("Chợ Đồn")), "{names:?}");

    // The 3-level tree: 1 province, 8 district-level units, 108 communes.
    let on = "valid_on=2025-06-30";
    let provinces = app
        .get(&format!("/api/v1/units?roots=true&{on}"), Some(&admin))
        .await;
    assert_eq!(provinces.body["total"], 1);
    let bk = provinces.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sub = app
        .get(&format!("/api/v1/units/{bk}/subtree"), Some(&admin))
        .await;
    assert_eq!(sub.body["total"], 117);
    // On 1 July 2025: Thái Nguyên, 92 communes directly under the province.
    let tn = app
        .get("/api/v1/units?code=19&valid_on=2025-07-01", Some(&admin))
        .await;
    let tn_id = tn.body["items"][0]["id"].as_str().unwrap().to_owned();
    let kids = app
        .get(
            &format!("/api/v1/units?parent={tn_id}&per_page=200"),
            Some(&admin),
        )
        .await;
    assert_eq!(kids.body["total"], 92);
    // 01843 was Phường Phùng Chí Kiên and is Phường Bắc Kạn since 1 July 2025.
    let old = app
        .get("/api/v1/units?code=01843&valid_on=2025-06-30", Some(&admin))
        .await;
    assert_eq!(old.body["items"][0]["name"], "Phường Phùng Chí Kiên");
    let new = app
        .get("/api/v1/units?code=01843&valid_on=2025-07-01", Some(&admin))
        .await;
    assert_eq!(new.body["items"][0]["name"], "Phường Bắc Kạn");
    assert_eq!(
        old.body["items"][0]["successor_id"],
        new.body["items"][0]["id"]
    );
    // Every retired Bắc Kạn unit has a successor.
    let all_old = app
        .get(
            &format!("/api/v1/units/{bk}/subtree?per_page=200"),
            Some(&admin),
        )
        .await;
    assert_eq!(all_old.body["total"], 117);
    assert!(all_old.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["successor_id"].is_string()));
}

#[tokio::test]
async fn citizens_may_browse_units_to_choose_a_desk() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let r = app
        .post("/api/v1/citizens", None, json!({"citizen_id": "006095001111", "full_name": "Lê Văn Bình", "phone": "0987654321", "password": "mat-khau-binh-1"}))
        .await;
    assert_eq!(r.status, 202);
    let token = app.login("006095001111", "mat-khau-binh-1").await;
    assert_eq!(
        app.get("/api/v1/units", Some(&token)).await.body["total"],
        5
    );
    assert_eq!(
        app.get(&format!("/api/v1/units/{}", t.c2), Some(&token))
            .await
            .status,
        200
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/units/{}", t.c2),
            Some(&token),
            json!({"name": "X"})
        )
        .await
        .status,
        403
    );
}
