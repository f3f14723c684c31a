//! The working-day calendar over HTTP: the seeded days, editing them, and due dates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use serde_json::json;

fn due_url(from: &str, days: &str) -> String {
    format!(
        "/api/v1/calendar/due?from={}&days={days}",
        from.replace('+', "%2B")
    )
}

#[tokio::test]
async fn the_seeded_calendar_lists_each_year() {
    let app = TestApp::spawn().await;
    let y2025 = app.get("/api/v1/calendar/days?year=2025", None).await;
    assert_eq!(y2025.status, 200);
    let days = y2025.body["items"].as_array().unwrap();
    assert_eq!(days.len(), 13);
    assert_eq!(days[0]["date"], "2025-01-01");
    assert!(days
        .iter()
        .any(|d| d["date"] == "2025-04-26" && d["kind"] == "working_saturday"));
    assert_eq!(
        app.get("/api/v1/calendar/days?per_page=200", None)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        52
    );
}

#[tokio::test]
async fn a_clerk_asks_for_a_due_date_across_tet() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let r = app
        .get(&due_url("2025-01-24T10:00:00+07:00", "3"), Some(&admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["due_local"], "2025-02-05 10:00");
    assert_eq!(r.body["due_at"], "2025-02-05T03:00:00Z");
    assert_eq!(r.body["due_session"], "sáng");
    let weekend = app
        .get(&due_url("2025-03-15T09:00:00+07:00", "1"), Some(&admin))
        .await;
    assert_eq!(weekend.body["counting_starts"], "2025-03-17T00:30:00Z");
    assert_eq!(weekend.body["due_local"], "2025-03-17 17:30");
    assert_eq!(weekend.body["due_session"], "chiều");
    let calendar = app
        .get(
            &format!(
                "{}&time_unit=calendar_days",
                due_url("2025-01-10T09:00:00+07:00", "20")
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(calendar.body["due_local"], "2025-02-03 17:30");
    assert_eq!(
        app.get(&due_url("2025-01-24T10:00:00+07:00", "3"), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_new_holiday_moves_due_dates_and_removing_it_moves_them_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = app
        .get(&due_url("2027-03-01T08:00:00+07:00", "1"), Some(&admin))
        .await;
    assert_eq!(before.body["due_local"], "2027-03-02 08:00");
    let r = app
        .post(
            "/api/v1/calendar/days",
            Some(&admin),
            json!({"date": "2027-03-02", "kind": "holiday", "name": "Ngày nghỉ thử"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let after = app
        .get(&due_url("2027-03-01T08:00:00+07:00", "1"), Some(&admin))
        .await;
    assert_eq!(after.body["due_local"], "2027-03-03 08:00");
    let dup = app
        .post(
            "/api/v1/calendar/days",
            Some(&admin),
            json!({"date": "2027-03-02", "kind": "holiday", "name": "X"}),
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(
        app.send(
            "DELETE",
            "/api/v1/calendar/days/2027-03-02",
            Some(&admin),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.send(
            "DELETE",
            "/api/v1/calendar/days/2027-03-02",
            Some(&admin),
            None
        )
        .await
        .status,
        404
    );
    let back = app
        .get(&due_url("2027-03-01T08:00:00+07:00", "1"), Some(&admin))
        .await;
    assert_eq!(back.body["due_local"], "2027-03-02 08:00");
}

#[tokio::test]
async fn day_kinds_must_fit_the_weekday_and_only_national_admins_edit() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let sat_holiday = app
        .post(
            "/api/v1/calendar/days",
            Some(&admin),
            json!({"date": "2027-03-06", "kind": "holiday", "name": "X"}),
        )
        .await;
    assert_eq!(sat_holiday.status, 422);
    assert_eq!(sat_holiday.body["errors"][0]["field"], "kind");
    let mon_saturday = app
        .post(
            "/api/v1/calendar/days",
            Some(&admin),
            json!({"date": "2027-03-08", "kind": "working_saturday", "name": "X"}),
        )
        .await;
    assert_eq!(mon_saturday.status, 422);
    let p = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let (_, provincial_admin) = app.staff(&admin, "quantri.tinh", "admin", Some(&p)).await;
    let r = app
        .post(
            "/api/v1/calendar/days",
            Some(&provincial_admin),
            json!({"date": "2027-03-09", "kind": "holiday", "name": "X"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.send(
            "DELETE",
            "/api/v1/calendar/days/2025-01-01",
            Some(&provincial_admin),
            None
        )
        .await
        .status,
        403
    );
}

#[tokio::test]
async fn a_province_sets_its_working_hours_and_its_due_dates_follow() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let p = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let q = app
        .unit(&admin, "19", "Tỉnh Thái Nguyên", "province", None)
        .await;
    let c = app
        .unit(&admin, "01843", "Phường Bắc Kạn", "ward", Some(&p))
        .await;
    let (_, province_admin) = app.staff(&admin, "quantri.tinh", "admin", Some(&p)).await;
    let (_, clerk) = app.staff(&admin, "motcua.backan", "clerk", Some(&c)).await;
    let hours = |id: &str| format!("/api/v1/units/{id}/working-hours");

    let r = app.get(&hours(&p), Some(&clerk)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["default"], true);
    assert_eq!(r.body["sessions"][1]["start"], "13:30");

    // Evening hours, disjoint from the default ones: a due instant in them cannot be one
    // computed in the default hours.
    let evening = json!({"sessions": [{"start": "18:00", "end": "21:00"}]});
    let put = |token: &str, id: &str, body: serde_json::Value| {
        let url = format!("{}{}", app.base, hours(id));
        let req = app.client.put(url).bearer_auth(token).json(&body);
        async move { TestApp::read(req.send().await.unwrap()).await }
    };
    assert_eq!(put(&clerk, &p, evening.clone()).await.status, 403);
    assert_eq!(put(&province_admin, &q, evening.clone()).await.status, 404);
    let on_commune = put(&province_admin, &c, evening.clone()).await;
    assert_eq!(on_commune.status, 422);
    assert_eq!(on_commune.body["errors"][0]["field"], "id");
    let r = put(&province_admin, &p, evening.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["default"], false);
    assert_eq!(r.body["sessions"], evening["sessions"]);
    assert_eq!(app.get(&hours(&p), Some(&clerk)).await.body, r.body);
    assert_eq!(
        app.get(&hours(&c), Some(&clerk)).await.body,
        r.body,
        "a commune works its province's hours"
    );

    // The calculator counts in the unit's province hours when asked.
    let from = "2025-03-17T09:00:00+07:00";
    let in_commune = app
        .get(&format!("{}&unit_id={c}", due_url(from, "1")), Some(&clerk))
        .await;
    assert_eq!(in_commune.body["due_local"], "2025-03-17 21:00");
    let standard = app.get(&due_url(from, "1"), Some(&clerk)).await;
    assert_eq!(standard.body["due_local"], "2025-03-18 09:00");
    let elsewhere = app
        .get(&format!("{}&unit_id={q}", due_url(from, "1")), Some(&clerk))
        .await;
    assert_eq!(elsewhere.body["due_local"], "2025-03-18 09:00");

    // A dossier received at the commune's desk is due in those hours.
    let spec = json!({
        "code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch", "levels": ["commune"],
        "agency": "UBND cấp xã", "processing_days": 0.5, "processing_note": null,
        "required_documents": [{"name": "Tờ khai", "mandatory": true}],
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
    let d = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&clerk),
            json!({"procedure_code": "1.001193", "channel": "desk",
                   "applicant": {"name": "Trần Thị Bình", "citizen_id": "006190004321"},
                   "documents": [0]}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let received = d.body["received_at"].as_str().unwrap();
    let expected = app
        .get(
            &format!("{}&unit_id={c}", due_url(received, "0.5")),
            Some(&clerk),
        )
        .await;
    assert_eq!(d.body["due_at"], expected.body["due_at"]);
    let local_time = &expected.body["due_local"].as_str().unwrap()[11..];
    assert!(("18:00".."21:01").contains(&local_time), "{local_time}");

    // Back to the default hours.
    let r = put(&province_admin, &p, json!({"sessions": null})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["default"], true);
    let again = app
        .get(&format!("{}&unit_id={c}", due_url(from, "1")), Some(&clerk))
        .await;
    assert_eq!(again.body["due_local"], "2025-03-18 09:00");
}

#[tokio::test]
async fn the_calendars_end_is_announced_and_a_yearly_import_moves_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Thu 24/12/2026 + 10 working days: 1/1/2027 counts as a weekday while 2027 is not loaded.
    let r = app
        .get(&due_url("2026-12-24T08:00:00+07:00", "10"), Some(&admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["due_date"], "2027-01-07");
    assert_eq!(r.body["calendar_provisional"], true);
    let inside = app
        .get(&due_url("2026-03-02T08:00:00+07:00", "3"), Some(&admin))
        .await;
    assert_eq!(inside.body["calendar_provisional"], false);

    let ready = app.get("/health/ready", None).await;
    assert_eq!(
        ready.status, 200,
        "a short calendar does not stop the service"
    );
    assert_eq!(ready.body["calendar_until"], "2026-12-31");
    let until = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let warned = ready.body["warnings"]
        .as_array()
        .is_some_and(|w| w.iter().any(|w| w.as_str().unwrap().contains("2026-12-31")));
    assert_eq!(warned, (until - today).num_days() < 90, "{}", ready.body);

    // The government publishes 2027: loaded by the yearly import, the date is firm.
    let file = "date,kind,name\n2027-01-01,holiday,Tết Dương lịch\n2027-02-08,holiday,Tết Nguyên đán (29 Tết)\n";
    let days = motcua::calendar::import::parse(file).unwrap();
    let db = app.db.clone();
    let report = tokio::task::spawn_blocking(move || {
        db.write_blocking(|c| motcua::calendar::import::store(c, &days))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!((report.added, report.years.clone()), (2, vec![2027]));
    // Running services reload the calendar within seconds.
    tokio::time::sleep(
        motcua::calendar::store::RELOAD_AFTER + std::time::Duration::from_millis(200),
    )
    .await;
    let r = app
        .get(&due_url("2026-12-24T08:00:00+07:00", "10"), Some(&admin))
        .await;
    assert_eq!(r.body["due_date"], "2027-01-08");
    assert_eq!(r.body["calendar_provisional"], false);
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.body["calendar_until"], "2027-12-31");
}
