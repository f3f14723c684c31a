//! The 2025 reorganisation applied as one operation over HTTP: Bắc Kạn's 3-level tree with open
//! dossiers at its communes and a district on 30 June 2025, then the real plan (108 communes
//! into 37 of Thái Nguyên's, 8 districts abolished) on 1 July 2025. Afterwards no open dossier
//! is held by a retired unit, each is in its successor's queue with its clock unchanged, staff
//! are re-homed or disabled, and the province's figures are the same in both trees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::TestApp;
use serde_json::{json, Value};

async fn at(local: &str) -> TestApp {
    let when: DateTime<Utc> = local.parse().unwrap();
    let offset = when - Utc::now();
    TestApp::spawn_with(move |c| c.clock_offset = offset).await
}

async fn unit_on(app: &TestApp, admin: &str, code: &str, on: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/units?code={code}&valid_on={on}"),
            Some(admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["total"], 1, "unit {code} on {on}: {}", r.body);
    r.body["items"][0].clone()
}

/// Every dossier the national administrator sees, by id.
async fn all_dossiers(app: &TestApp, admin: &str) -> HashMap<String, Value> {
    let r = app
        .get("/api/v1/dossiers?state=all&per_page=200", Some(admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap().to_owned(), d.clone()))
        .collect()
}

async fn report(app: &TestApp, admin: &str, unit: &str, tree: &str, path: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/stats/report?unit={unit}&from=2025-06-01&to=2025-08-01&tree={tree}&path={path}&group_by=child"),
            Some(admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn thai_nguyen_id(app: &TestApp, admin: &str) -> Value {
    unit_on(app, admin, "19", "2025-07-01").await["id"].clone()
}

#[tokio::test]
async fn the_2025_plan_moves_every_open_dossier_to_its_successor_with_its_clock() {
    // Monday 30 June 2025, the last day of the 3-level layout.
    let app = at("2025-06-30T09:00:00+07:00").await;
    let admin = app.admin().await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || db.write_blocking(motcua::demo::load_trees))
        .await
        .unwrap()
        .unwrap();
    let day = "2025-06-30";
    let ward = unit_on(&app, &admin, "01843", day).await; // Phường Phùng Chí Kiên
    let commune = unit_on(&app, &admin, "01858", day).await; // Xã Bằng Thành
    let city = unit_on(&app, &admin, "058", day).await; // Thành phố Bắc Kạn
    let id_of = |u: &Value| u["id"].as_str().unwrap().to_owned();
    let (_, clerk_ward) = app
        .staff(&admin, "motcua.phungchikien", "clerk", Some(&id_of(&ward)))
        .await;
    let (_, clerk_commune) = app
        .staff(&admin, "motcua.bangthanh", "clerk", Some(&id_of(&commune)))
        .await;
    let (officer_id, officer) = app
        .staff(
            &admin,
            "chuyenvien.tpbackan",
            "officer",
            Some(&id_of(&city)),
        )
        .await;
    let (approver_id, _) = app
        .staff(&admin, "lanhdao.tpbackan", "approver", Some(&id_of(&city)))
        .await;
    for (code, levels, steps) in [
        (
            "1.001193",
            json!(["commune"]),
            json!([
                {"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
                {"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 90}
            ]),
        ),
        (
            "2.000001",
            json!(["commune", "district"]),
            json!([
                {"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
                {"name": "Thẩm định", "role": "officer", "unit_level": "district", "share_percent": 50},
                {"name": "Phê duyệt", "role": "approver", "unit_level": "district", "share_percent": 30},
                {"name": "Trả kết quả", "role": "clerk", "unit_level": "commune", "share_percent": 10}
            ]),
        ),
    ] {
        let spec = json!({
            "code": code, "name": format!("Thủ tục {code}"), "field": "Thử nghiệm", "levels": levels,
            "agency": "UBND", "processing_days": 10, "processing_note": null,
            "required_documents": [{"name": "Tờ khai", "mandatory": true}],
            "online_level": "full", "steps": steps, "source": null
        });
        let r = app.post("/api/v1/procedures", Some(&admin), spec).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // Open dossiers at both communes; two forwarded to the city's officer, one of them waiting
    // for a supplement (its clock stands still); one returned already (final: it stays).
    let intake = |token: String, code: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post(
                    "/api/v1/dossiers/intake",
                    Some(&token),
                    json!({"procedure_code": code, "channel": "desk", "documents": [0],
                           "applicant": {"name": "Hoàng Thị Hoa"}}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        }
    };
    let mut ids = Vec::new();
    for (token, code) in [
        (&clerk_ward, "1.001193"),
        (&clerk_ward, "2.000001"),
        (&clerk_commune, "1.001193"),
        (&clerk_ward, "2.000001"),
        (&clerk_commune, "2.000001"),
    ] {
        ids.push(intake(token.clone(), code).await);
    }
    let act = |token: &str, id: &str, action: &str, body: Value| {
        let (app, token, url) = (
            &app,
            token.to_owned(),
            format!("/api/v1/dossiers/{id}/{action}"),
        );
        async move {
            let r = app.post(&url, Some(&token), body).await;
            assert_eq!(r.status, 200, "{url}: {}", r.body);
            r.body
        }
    };
    act(
        &clerk_ward,
        &ids[1],
        "assign",
        json!({"assignee_id": officer_id}),
    )
    .await;
    act(&clerk_ward, &ids[3], "assign", json!({})).await;
    act(&clerk_commune, &ids[4], "assign", json!({})).await;
    act(
        &officer,
        &ids[3],
        "request_supplement",
        json!({"note": "Bổ sung bản sao"}),
    )
    .await;
    // The first commune dossier is withdrawn: final, it stays where it is.
    act(
        &clerk_commune,
        &ids[2],
        "withdraw",
        json!({"note": "Người nộp rút"}),
    )
    .await;

    let before = all_dossiers(&app, &admin).await;
    assert_eq!(before.len(), 5);
    assert_eq!(before[&ids[1]]["holder_unit_id"], id_of(&city).as_str());
    let bac_kan = unit_on(&app, &admin, "06", day).await;
    let province_before = [
        report(&app, &admin, &id_of(&bac_kan), "filed", "reference").await,
        report(&app, &admin, &id_of(&bac_kan), "current", "reference").await,
    ];
    assert_eq!(province_before[0]["total"], province_before[1]["total"]);
    assert_eq!(province_before[0]["total"]["new"], 5);

    // The real plan, as the API takes it.
    let db = app.db.clone();
    let plan = tokio::task::spawn_blocking(move || {
        db.write_blocking(|c| {
            motcua::reorganise::plan_from_csv(
                c,
                &motcua::demo::plan_2025_csv()?,
                chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
                motcua::demo::PLAN_2025_NAME,
                motcua::reorganise::StaffFate::Rehome,
            )
        })
    })
    .await
    .unwrap()
    .unwrap();
    let mut plan = serde_json::to_value(&plan).unwrap();
    assert_eq!(plan["retire"].as_array().unwrap().len(), 117);
    // Bằng Thành's clerk is disabled rather than re-homed.
    for r in plan["retire"].as_array_mut().unwrap() {
        if r["unit_id"] == id_of(&commune).as_str() {
            r["staff"] = json!("disable");
        }
    }
    plan["dry_run"] = json!(true);
    let dry = app
        .post("/api/v1/reorganisations", Some(&admin), plan.clone())
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["applied"], false);
    assert_eq!(
        dry.body["conflicts"],
        json!([]),
        "{}",
        dry.body["conflicts"]
    );
    assert_eq!(dry.body["totals"]["units_retired"], 117);
    assert_eq!(dry.body["totals"]["dossiers_moved"], 4, "the open ones");
    assert_eq!(dry.body["totals"]["staff_rehomed"], 3);
    assert_eq!(dry.body["totals"]["staff_disabled"], 1);
    assert_eq!(
        all_dossiers(&app, &admin).await,
        before,
        "a dry run changes nothing"
    );
    // Someone without the whole province in scope cannot apply it.
    let (_, ward_admin) = app
        .staff(&admin, "quantri.phuong", "admin", Some(&id_of(&ward)))
        .await;
    let r = app
        .post("/api/v1/reorganisations", Some(&ward_admin), plan.clone())
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Applied on the morning of 1 July 2025.
    app.state
        .set_clock("2025-07-01T07:00:00+07:00".parse().unwrap());
    plan["dry_run"] = json!(false);
    let applied = app
        .post("/api/v1/reorganisations", Some(&admin), plan)
        .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["applied"], true);

    let after = all_dossiers(&app, &admin).await;
    for (id, was) in &before {
        let now = &after[id];
        let old_holder = was["holder_unit_id"].as_str().unwrap();
        let old = app
            .get(&format!("/api/v1/units/{old_holder}"), Some(&admin))
            .await;
        assert_eq!(
            old.body["valid_to"], "2025-06-30",
            "every Bắc Kạn unit retired"
        );
        let open = !["returned", "rejected", "withdrawn", "stopped"]
            .contains(&was["state"].as_str().unwrap());
        if open {
            assert_eq!(
                now["holder_unit_id"], old.body["successor_id"],
                "{id}: to the successor"
            );
            assert_eq!(now["due_at"], was["due_at"], "{id}: due date kept");
            assert_eq!(now["paused_since"], was["paused_since"], "{id}: pause kept");
            assert_eq!(now["state"], was["state"]);
            let holder = now["holder_unit_id"].as_str().unwrap();
            let u = app
                .get(&format!("/api/v1/units/{holder}"), Some(&admin))
                .await;
            assert!(u.body["valid_to"].is_null(), "{id} held by a live unit");
            let d = app
                .get(&format!("/api/v1/dossiers/{id}"), Some(&admin))
                .await;
            let last = d.body["history"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            assert_eq!(last["action"], "transfer");
            assert!(last["note"].as_str().unwrap().contains("1683"), "{last}");
            // The slip shows the hand-over: a new span held by the successor.
            let spans = d.body["steps"].as_array().unwrap();
            assert_eq!(spans.last().unwrap()["unit_id"], now["holder_unit_id"]);
        } else {
            assert_eq!(now, was, "{id}: a final dossier is left alone");
        }
        assert_eq!(
            now["unit_id"], was["unit_id"],
            "{id}: filed unit kept forever"
        );
        assert_eq!(now["code"], was["code"]);
        let code = now["code"].as_str().unwrap();
        let tracked = app.get(&format!("/api/v1/track/{code}"), None).await;
        assert_eq!(
            tracked.status, 200,
            "the old code still tracks: {}",
            tracked.body
        );
    }
    // The re-homed clerk works on in the successor (Phường Bắc Kạn, 01843 again) with the
    // token they already had.
    let me = app.get("/api/v1/me", Some(&clerk_ward)).await;
    let new_ward = unit_on(&app, &admin, "01843", "2025-07-01").await;
    assert_eq!(me.body["unit_id"], new_ward["id"]);
    let queue = app.get("/api/v1/dossiers", Some(&clerk_ward)).await;
    assert_eq!(
        queue.body["total"], 1,
        "its open commune dossier: {}",
        queue.body
    );
    // The re-homed approver is active; the disabled clerk cannot sign in.
    let u = app
        .get(&format!("/api/v1/users/{approver_id}"), Some(&admin))
        .await;
    assert_eq!(u.body["disabled"], false);
    assert_eq!(u.body["unit_id"], thai_nguyen_id(&app, &admin).await);
    let r = app
        .login_pair("motcua.bangthanh", "motcua.bangthanh-mat-khau-1")
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = app.get("/api/v1/me", Some(&clerk_commune)).await;
    assert_eq!(r.status, 401, "a disabled account's token stops at once");
    // The forwarded dossier goes on with the province, which took over the district's work.
    let officer_now = app.get("/api/v1/me", Some(&officer)).await;
    let thai_nguyen = unit_on(&app, &admin, "19", "2025-07-01").await;
    assert_eq!(officer_now.body["unit_id"], thai_nguyen["id"]);
    let next = act(&officer, &ids[1], "submit_for_approval", json!({})).await;
    assert_eq!(next["holder_unit_id"], thai_nguyen["id"]);

    // The province's figures: "as filed" unchanged; today's tree finds them under Thái Nguyên.
    let filed = report(&app, &admin, &id_of(&bac_kan), "filed", "reference").await;
    assert_eq!(filed["total"], province_before[0]["total"]);
    for path in ["reference", "fast"] {
        let today = report(
            &app,
            &admin,
            thai_nguyen["id"].as_str().unwrap(),
            "current",
            path,
        )
        .await;
        assert_eq!(today["total"], province_before[1]["total"], "{path}");
    }
    let fast = report(&app, &admin, &id_of(&bac_kan), "filed", "fast").await;
    assert_eq!(fast["total"], filed["total"]);
}

#[tokio::test]
async fn a_plan_in_conflict_is_named_and_not_applied() {
    let app = at("2025-06-30T09:00:00+07:00").await;
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let a = app
        .unit(
            &admin,
            "01843",
            "Phường Phùng Chí Kiên",
            "ward",
            Some(&province),
        )
        .await;
    let (_, clerk) = app.staff(&admin, "motcua.a", "clerk", Some(&a)).await;
    // Applied on its first day (a plan is not applied before it).
    app.state
        .set_clock("2025-07-01T07:00:00+07:00".parse().unwrap());
    let plan = json!({
        "name": "Thử", "effective_from": "2025-07-01",
        "create": [{"ref": "new", "code": "01843", "name": "Phường Bắc Kạn", "kind": "ward", "parent_id": province}],
        "retire": [{"unit_id": province}]
    });
    let r = app
        .post("/api/v1/reorganisations", Some(&admin), plan.clone())
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let mut dry = plan.clone();
    dry["dry_run"] = json!(true);
    let r = app.post("/api/v1/reorganisations", Some(&admin), dry).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let messages: Vec<String> = r.body["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("code 01843 is still used")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("no successor takes")),
        "{messages:?}"
    );
    // Nothing was written: the unit still stands and the clerk still works there.
    let u = app
        .get(&format!("/api/v1/units/{province}"), Some(&admin))
        .await;
    assert!(u.body["valid_to"].is_null());
    assert_eq!(app.get("/api/v1/me", Some(&clerk)).await.status, 200);
    // A plan that creates the new ward and retires the old one into it applies.
    let plan = json!({
        "name": "Thử", "effective_from": "2025-07-01",
        "create": [{"ref": "new", "code": "01844", "name": "Phường Bắc Kạn", "kind": "ward", "parent_id": province}],
        "retire": [{"unit_id": a, "successor_ref": "new"}]
    });
    let r = app
        .post("/api/v1/reorganisations", Some(&admin), plan)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["applied"], true);
    let new_id = r.body["created"][0]["id"].as_str().unwrap();
    assert_eq!(r.body["moves"][0]["successor_id"], new_id);
    assert_eq!(
        app.get("/api/v1/me", Some(&clerk)).await.body["unit_id"],
        new_id
    );
}

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The real plan file lists only the communes. The old province and its districts end on the
/// same day and the unit table names their successors: the reorganisation hands on their
/// work and staff too. A unit left without a successor is a conflict, and a plan is not
/// applied before its date.
#[tokio::test]
async fn the_2025_plan_leaves_no_work_and_no_account_at_a_retired_unit() {
    use motcua::reorganise::{self, StaffFate};
    let app = TestApp::spawn_with(|c| c.stats_fold = false).await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        // A simulated last quarter of 2024 in Bắc Kạn: the last days' dossiers stay open.
        let sim = motcua::simulate::run(
            &db,
            &motcua::simulate::Options {
                province: "06".into(),
                from: day(2024, 10, 1),
                to: day(2025, 1, 1),
                dossiers: 400,
                seed: 2024,
                batch: 200,
            },
            &|_| {},
        )
        .unwrap();
        assert_eq!(sim.filed, 400);
        let on = day(2025, 7, 1);
        let left = |db: &motcua::db::Db| {
            db.read_blocking(|c| motcua::ops::left_at_retired(c, on))
                .unwrap()
        };
        let (work, accounts) = left(&db);
        assert!(
            !work.is_empty() && !accounts.is_empty(),
            "{work:?} {accounts:?}"
        );
        let text = std::fs::read_to_string("data/seed/units-2025-successors.csv").unwrap();
        let listed: std::collections::HashSet<String> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next().map(str::to_owned))
            .collect();
        assert!(
            work.iter()
                .any(|w| !listed.contains(w.split(' ').next().unwrap())),
            "some open work is at a unit the file does not list: {work:?}"
        );
        let plan = |c: &mut motcua::db::DbConn, dry_run: bool| {
            let mut p = reorganise::plan_from_csv(c, &text, on, "NQ 1683", StaffFate::Rehome)?;
            p.dry_run = dry_run;
            Ok::<_, motcua::error::AppError>(p)
        };
        let morning: DateTime<Utc> = "2025-07-01T07:00:00+07:00".parse().unwrap();
        let run = |dry_run: bool, at: DateTime<Utc>| {
            db.write_blocking(|c| {
                let p = plan(c, dry_run)?;
                reorganise::run(c, motcua::auth::Scope::All, None, &p, at)
            })
        };

        // A district whose successor is unknown: the dry run names it with its counts and
        // the real run refuses the plan, changing nothing.
        use diesel::prelude::*;
        use motcua::db::schema::{dossiers, units};
        let busy: (String, String, Option<String>) = db
            .read_blocking(|c| {
                Ok(units::table
                    .inner_join(dossiers::table.on(dossiers::holder_unit_id.eq(units::id)))
                    .filter(units::valid_to.eq(day(2025, 6, 30)))
                    .filter(dossiers::state.ne_all([
                        "returned",
                        "rejected",
                        "withdrawn",
                        "stopped",
                    ]))
                    .select((units::id, units::code, units::successor_id))
                    .load::<(String, String, Option<String>)>(c)?)
            })
            .unwrap()
            .into_iter()
            .find(|(_, code, _)| !listed.contains(code))
            .unwrap();
        let set_successor = |s: Option<String>| {
            db.write_blocking(|c| {
                diesel::update(units::table.find(&busy.0))
                    .set(units::successor_id.eq(s))
                    .execute(c)?;
                Ok(())
            })
            .unwrap()
        };
        set_successor(None);
        let dry = run(true, morning).unwrap();
        let conflict = dry
            .conflicts
            .iter()
            .find(|c| c.unit_code.as_deref() == Some(busy.1.as_str()))
            .unwrap_or_else(|| panic!("{:?}", dry.conflicts));
        assert!(conflict.message.contains("open dossiers"), "{conflict:?}");
        assert!(matches!(
            run(false, morning),
            Err(motcua::error::AppError::Conflict(_))
        ));
        assert_eq!(left(&db), (work.clone(), accounts.clone()), "refused whole");
        set_successor(busy.2.clone());

        // The dry run lists the province and the districts as implied, with their work.
        let dry = run(true, morning).unwrap();
        assert!(dry.conflicts.is_empty(), "{:?}", dry.conflicts);
        let implied: Vec<_> = dry.moves.iter().filter(|m| m.implied).collect();
        assert_eq!(implied.len(), 9, "the province and its 8 districts");
        assert!(implied.iter().all(|m| m.successor_id.is_some()));
        let open: usize = work
            .iter()
            .map(|w| {
                w.rsplit(": ")
                    .next()
                    .unwrap()
                    .trim_end_matches(" open dossiers")
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        assert_eq!(dry.totals.dossiers_moved as usize, open);
        assert!(reorganise::table(&dry).contains("Không có trong phương án"));

        // Before its day the plan is refused, whole.
        let early: DateTime<Utc> = "2025-06-30T16:00:00+07:00".parse().unwrap();
        match run(false, early) {
            Err(motcua::error::AppError::Validation(errors)) => {
                assert_eq!(errors[0].field, "effective_from", "{errors:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(left(&db), (work.clone(), accounts.clone()));

        // Applied on its day: nothing is left behind at a retired unit.
        let applied = run(false, morning).unwrap();
        assert!(applied.applied);
        assert_eq!(left(&db), (Vec::new(), Vec::new()));
        let report = motcua::ops::check(
            &db,
            &motcua::blobs::BlobStore::new(&std::env::temp_dir().join("motcua-none"), 1),
            false,
        )
        .unwrap();
        assert!(report.work_at_retired.is_empty() && report.accounts_at_retired.is_empty());
    })
    .await
    .unwrap();
}

/// An agency identifier of a unit retired in 2025 resolves, on a later day, to the unit that
/// took it over; on a day the old unit still existed, to the old unit.
#[tokio::test]
async fn an_old_agency_code_resolves_through_the_successors() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let admin = app.demo_login(&accounts, "admin").await;
    let old = unit_on(&app, &admin, "06", "2025-06-30").await;
    let code = old["agency_code"].as_str().unwrap().to_owned();
    let new = unit_on(&app, &admin, "19", "2025-07-01").await;
    let later = app
        .get(
            &format!("/api/v1/agencies/{code}?on=2026-01-05"),
            Some(&admin),
        )
        .await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert_eq!(later.body["unit"]["id"], new["id"]);
    assert_eq!(later.body["via"][0]["id"], old["id"]);
    let before = app
        .get(
            &format!("/api/v1/agencies/{code}?on=2025-06-30"),
            Some(&admin),
        )
        .await;
    assert_eq!(before.body["unit"]["id"], old["id"]);
    assert_eq!(before.body["via"], json!([]));
    // Unknown: 404; not an identifier: 422 naming it.
    let unknown = app
        .get("/api/v1/agencies/000.00.00.H99", Some(&admin))
        .await;
    assert_eq!(unknown.status, 404);
    let bad = app.get("/api/v1/agencies/H55", Some(&admin)).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "code");
}
