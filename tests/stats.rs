//! The processing report over HTTP, on the demo province: groups add up to the total, the
//! counts match the dossiers in the database, and the report is scoped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{figure, TestApp, FIGURES};
use diesel::prelude::*;
use motcua::db::schema::{dossiers, units};
use serde_json::Value;

/// Every figure of the total is the sum over the groups.
fn assert_groups_add_up(body: &Value, figures: &[&str]) {
    let groups = body["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    for f in figures {
        let sum: i64 = groups.iter().map(|g| figure(&g["report"], f)).sum();
        assert_eq!(sum, figure(&body["total"], f), "{f}: {body}");
    }
}

#[tokio::test]
async fn the_report_adds_up_over_children_and_months_and_matches_the_dossiers() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let login = |name: &'static str| app.demo_login(&accounts, name);
    let sup = login("giamsat.tinh").await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let tomorrow = today + chrono::Duration::days(1);

    // The whole life of every demo dossier.
    let all_time = app
        .get(
            &format!("/api/v1/stats/report?from=2020-01-01&to={tomorrow}&group_by=child"),
            Some(&sup),
        )
        .await;
    assert_eq!(all_time.status, 200, "{}", all_time.body);
    assert_eq!(all_time.body["unit_code"], "19");
    assert_groups_add_up(&all_time.body, &FIGURES);
    let total = &all_time.body["total"];
    assert_eq!(figure(total, "carried_over"), 0);

    // Against the database: received and resolved dossiers of the subtree.
    let root = all_time.body["unit_id"].as_str().unwrap().to_owned();
    let (received, resolved, online, ended_otherwise, fully_online, paid) = app
        .db
        .read_blocking(move |c| {
            let path: String = units::table.find(&root).select(units::path).first(c)?;
            let in_tree = units::table
                .filter(units::path.like(format!("{path}%")))
                .select(units::id);
            let base = || dossiers::table.filter(dossiers::unit_id.eq_any(in_tree.clone()));
            let received = base()
                .filter(dossiers::received_at.is_not_null())
                .count()
                .get_result::<i64>(c)?;
            let resolved = base()
                .filter(dossiers::resolved_at.is_not_null())
                .count()
                .get_result::<i64>(c)?;
            let online = base()
                .filter(dossiers::received_at.is_not_null())
                .filter(dossiers::channel.eq("online"))
                .count()
                .get_result::<i64>(c)?;
            let ended_otherwise = base()
                .filter(dossiers::received_at.is_not_null())
                .filter(dossiers::state.eq_any(["withdrawn", "rejected", "stopped"]))
                .count()
                .get_result::<i64>(c)?;
            let fully_online = base()
                .filter(dossiers::resolved_at.is_not_null())
                .filter(dossiers::channel.eq("online"))
                .filter(
                    dossiers::fee_vnd
                        .is_null()
                        .or(dossiers::payment_channel.eq("online")),
                )
                .filter(dossiers::return_channel.eq("electronic"))
                .count()
                .get_result::<i64>(c)?;
            let paid_online = base()
                .filter(dossiers::payment_channel.eq("online"))
                .count()
                .get_result::<i64>(c)?;
            let paid = base()
                .filter(dossiers::paid_at.is_not_null())
                .count()
                .get_result::<i64>(c)?;
            Ok((
                received,
                resolved,
                online,
                ended_otherwise,
                fully_online,
                (paid_online, paid),
            ))
        })
        .unwrap();
    assert!(received > 50, "the demo files in this province: {received}");
    assert_eq!(figure(total, "new"), received);
    assert_eq!(figure(total, "new_online"), online);
    assert_eq!(figure(total, "resolved"), resolved);
    assert_eq!(
        figure(total, "new"),
        figure(total, "resolved") + figure(total, "unresolved") + ended_otherwise,
        "what came in was decided, ended otherwise, or is still open"
    );

    // The rates count the same dossiers, and their groups add up too.
    let rates = app
        .get(
            &format!("/api/v1/stats/rates?from=2020-01-01&to={tomorrow}&group_by=child"),
            Some(&sup),
        )
        .await;
    assert_eq!(rates.status, 200, "{}", rates.body);
    let r = &rates.body["total"];
    let pair = |rate: &Value| (figure(rate, "numerator"), figure(rate, "denominator"));
    assert_eq!(
        pair(&r["online_filing"]),
        (figure(total, "new_online"), figure(total, "new"))
    );
    assert_eq!(
        pair(&r["on_time"]),
        (
            figure(total, "early") + figure(total, "on_time"),
            figure(total, "resolved")
        )
    );
    let value = r["online_filing"]["value"].as_f64().unwrap();
    assert!((value - online as f64 / received as f64).abs() < 1e-9);
    assert_eq!(pair(&r["fully_online"]).0, fully_online);
    assert_eq!(pair(&r["online_payment"]), paid);
    for name in [
        "online_filing",
        "on_time",
        "fully_online",
        "online_payment",
        "digitisation",
        "result_digitisation",
        "satisfaction",
    ] {
        let groups = rates.body["groups"].as_array().unwrap();
        let sum = groups.iter().fold((0, 0), |(n, d), g| {
            let (gn, gd) = pair(&g["rates"][name]);
            (n + gn, d + gd)
        });
        assert_eq!(sum, pair(&r[name]), "{name}");
    }
    let (full, procedures) = pair(&rates.body["catalogue_full"]);
    assert!(procedures > 0 && full <= procedures, "{}", rates.body);
    let (used, offered) = pair(&rates.body["online_used"]);
    assert!(offered > 0 && used <= offered, "{}", rates.body);

    // The last 90 days by month: flows add up; the figures at the start and end are the
    // first and last month's.
    let from = today - chrono::Duration::days(90);
    let months = app
        .get(
            &format!("/api/v1/stats/report?from={from}&to={tomorrow}&group_by=month"),
            Some(&sup),
        )
        .await;
    assert_eq!(months.status, 200, "{}", months.body);
    let flows = [
        "new",
        "new_online",
        "new_desk",
        "new_post",
        "resolved",
        "early",
        "on_time",
        "late",
        "withdrawn",
        "rejected",
        "stopped",
    ];
    assert_groups_add_up(&months.body, &flows);
    let groups = months.body["groups"].as_array().unwrap();
    assert!(groups.len() >= 3);
    assert_eq!(
        groups[0]["report"]["carried_over"],
        months.body["total"]["carried_over"]
    );
    assert_eq!(
        groups.last().unwrap()["report"]["unresolved"],
        months.body["total"]["unresolved"]
    );
    for pair in groups.windows(2) {
        assert_eq!(
            pair[0]["report"]["unresolved"],
            pair[1]["report"]["carried_over"]
        );
    }

    // Today's tree follows successors: it adds up too, and holds at least the filed figures.
    let current = app
        .get(
            &format!(
                "/api/v1/stats/report?from=2020-01-01&to={tomorrow}&group_by=child&tree=current"
            ),
            Some(&sup),
        )
        .await;
    assert_eq!(current.status, 200, "{}", current.body);
    assert_groups_add_up(&current.body, &FIGURES);
    assert!(figure(&current.body["total"], "new") >= figure(total, "new"));
}

#[tokio::test]
async fn the_report_is_scoped_and_checks_its_period() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let login = |name: &'static str| app.demo_login(&accounts, name);
    let (approver, clerk, admin) = (
        login("lanhdao.backan").await,
        login("motcua.backan").await,
        login("admin").await,
    );
    let sup = login("giamsat.tinh").await;
    let own = app
        .get(
            "/api/v1/stats/report?from=2025-07-01&to=2026-01-01",
            Some(&sup),
        )
        .await;
    assert_eq!(own.status, 200);
    let province = own.body["unit_id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/stats/report?unit={province}&from=2025-07-01&to=2026-01-01");
    // A ward's approver sees the ward, not the province above it.
    assert_eq!(app.get(&url, Some(&approver)).await.status, 404);
    let ward = app
        .get(
            "/api/v1/stats/report?from=2025-07-01&to=2026-01-01",
            Some(&approver),
        )
        .await;
    assert_eq!(ward.status, 200, "{}", ward.body);
    assert_eq!(ward.body["unit_code"], "01843");
    assert_eq!(app.get(&url, Some(&clerk)).await.status, 403);
    assert_eq!(app.get(&url, Some(&admin)).await.status, 200);
    let no_unit = app
        .get(
            "/api/v1/stats/report?from=2025-07-01&to=2026-01-01",
            Some(&admin),
        )
        .await;
    // An administrator without a home unit naming none reports on the whole country.
    assert_eq!(no_unit.status, 200, "{}", no_unit.body);
    assert!(no_unit.body["unit_id"].is_null());
    assert_eq!(no_unit.body["unit_name"], "Cả nước");
    assert!(figure(&no_unit.body["total"], "new") >= figure(&own.body["total"], "new"));
    let backwards = app
        .get(
            &format!("/api/v1/stats/report?unit={province}&from=2026-01-01&to=2025-07-01"),
            Some(&admin),
        )
        .await;
    assert_eq!(backwards.status, 422);
    assert_eq!(backwards.body["errors"][0]["field"], "to");
}

#[tokio::test]
async fn the_overdue_list_counts_by_holder_and_procedure_and_names_who_holds_them() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let login = |name: &'static str| app.demo_login(&accounts, name);
    let sup = login("giamsat.tinh").await;
    let r = app
        .get("/api/v1/stats/overdue?per_page=200", Some(&sup))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let total = r.body["total"].as_i64().unwrap();
    assert!(total > 0, "the demo leaves some dossiers late: {}", r.body);
    let sum = |list: &str| -> i64 {
        r.body[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(sum("by_holder"), total);
    assert_eq!(sum("by_procedure"), total);
    assert_eq!(r.body["dossiers"]["total"].as_i64().unwrap(), total);
    let at: chrono::DateTime<chrono::Utc> = r.body["at"].as_str().unwrap().parse().unwrap();
    let items = r.body["dossiers"]["items"].as_array().unwrap();
    let mut previous = None;
    for item in items {
        let d = &item["dossier"];
        let due: chrono::DateTime<chrono::Utc> = d["due_at"].as_str().unwrap().parse().unwrap();
        let judged = d["paused_since"]
            .as_str()
            .map_or(at, |p| p.parse().unwrap());
        assert!(judged > due, "{d}");
        assert!(previous.is_none_or(|p| p <= due), "longest overdue first");
        previous = Some(due);
        assert!(!item["holder_unit_name"].as_str().unwrap().is_empty());
    }
    // Independently: the open dossiers held in the province, past their due date.
    let root = r.body["unit_id"].as_str().unwrap().to_owned();
    let expected = app
        .db
        .read_blocking(move |c| {
            let now = at.naive_utc();
            let path: String = units::table.find(&root).select(units::path).first(c)?;
            let held_here = units::table
                .filter(units::path.like(format!("{path}%")))
                .select(units::id);
            Ok(dossiers::table
                .filter(dossiers::holder_unit_id.eq_any(held_here))
                .filter(dossiers::state.eq_any([
                    "received",
                    "in_progress",
                    "supplement_requested",
                    "awaiting_payment",
                    "awaiting_approval",
                ]))
                .filter(
                    dossiers::paused_since
                        .is_null()
                        .and(dossiers::due_at.lt(now))
                        .or(dossiers::paused_since.gt(dossiers::due_at)),
                )
                .count()
                .get_result::<i64>(c)?)
        })
        .unwrap();
    assert_eq!(total, expected);

    // The ward's approver sees the ward's part only.
    let approver = login("lanhdao.backan").await;
    let ward = app.get("/api/v1/stats/overdue", Some(&approver)).await;
    assert_eq!(ward.status, 200, "{}", ward.body);
    assert!(ward.body["total"].as_i64().unwrap() <= total);
    for h in ward.body["by_holder"].as_array().unwrap() {
        assert_eq!(h["key"], ward.body["unit_id"]);
    }
}

#[tokio::test]
async fn exports_open_with_vietnamese_headings_and_a_sheet_per_grouping() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let sup = app.demo_login(&accounts, "giamsat.tinh").await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let url = |what: &str, format: &str| {
        format!(
            "{}/api/v1/stats/{what}?from=2020-01-01&to={}&group_by=child&format={format}",
            app.base,
            today + chrono::Duration::days(1)
        )
    };
    let fetch = |u: String| {
        let (client, token) = (app.client.clone(), sup.clone());
        async move { client.get(u).bearer_auth(token).send().await.unwrap() }
    };
    let json = app
        .get(
            url("report", "json").trim_start_matches(&app.base),
            Some(&sup),
        )
        .await;

    // CSV: UTF-8 with a header, the total first, then one row per child.
    let res = fetch(url("report", "csv")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("bao-cao-19-2020-01-01_{today}")));
    let text = res.text().await.unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    // The title rows (title, unit, period) and an empty row, then the table.
    assert!(lines.next().unwrap().starts_with("BÁO CÁO TÌNH HÌNH"));
    assert!(lines.next().unwrap().starts_with("Đơn vị: "));
    // Quoted: the running period's line has a comma before "tính đến".
    let period = lines.next().unwrap();
    assert!(
        period.starts_with("\"Kỳ báo cáo: từ ngày 01/01/2020"),
        "{period}"
    );
    assert!(period.contains(", tính đến "), "{period}");
    assert_eq!(lines.next(), Some("\"\""));
    let header = lines.next().unwrap();
    assert!(header.starts_with("Đơn vị / nhóm,Kỳ trước chuyển qua,Mới tiếp nhận"));
    let rows: Vec<&str> = lines.collect();
    let groups = json.body["groups"].as_array().unwrap();
    assert_eq!(rows.len(), 1 + groups.len());
    let total_new = json.body["total"]["new"].as_i64().unwrap().to_string();
    assert_eq!(rows[0].split(',').nth(2).unwrap(), total_new);

    // XLSX: a workbook with the total's sheet and the grouping's, Vietnamese headings inside.
    for what in ["report", "rates"] {
        let res = fetch(url(what, "xlsx")).await;
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        let mut book = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut workbook = String::new();
        book.by_name("xl/workbook.xml")
            .unwrap()
            .read_to_string(&mut workbook)
            .unwrap();
        assert!(workbook.contains("name=\"Tổng hợp\""), "{workbook}");
        assert!(workbook.contains("name=\"Theo đơn vị\""), "{workbook}");
        let mut strings = String::new();
        book.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut strings)
            .unwrap();
        let heading = if what == "report" {
            "Mới tiếp nhận"
        } else {
            "Tỷ lệ hồ sơ nộp trực tuyến"
        };
        assert!(strings.contains(heading), "{what}");
    }
}

/// Both paths, every grouping and tree, over periods that cut through the dossiers' lives:
/// first while every change is still waiting to be folded, then once all are folded in.
#[tokio::test]
async fn the_fast_path_gives_the_reference_figures() {
    // No folding in the background: the test folds when it chooses.
    let app = TestApp::spawn_with(|c| c.stats_fold = false).await;
    let accounts = app.load_demo().await;
    // The province's supervisor reads the buckets of the province's units; the administrator
    // without a home unit, the country's: every unit's, unfiltered.
    let sup = app.demo_login(&accounts, "giamsat.tinh").await;
    let admin = app.demo_login(&accounts, "admin").await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let periods = [
        (
            today - chrono::Duration::days(400),
            today + chrono::Duration::days(1),
        ),
        (
            today - chrono::Duration::days(45),
            today - chrono::Duration::days(9),
        ),
        (
            today - chrono::Duration::days(3),
            today + chrono::Duration::days(30),
        ),
    ];
    let compare = |label: &'static str| {
        let (app, sup, admin) = (&app, &sup, &admin);
        async move {
            let mut compared = 0;
            for ((from, to), who) in periods.into_iter().flat_map(|p| [(p, sup), (p, admin)]) {
                for group_by in ["", "child", "procedure", "field", "month"] {
                    for tree in ["filed", "current"] {
                        for kind in ["report", "rates"] {
                            let q = format!(
                                "/api/v1/stats/{kind}?from={from}&to={to}&group_by={group_by}&tree={tree}"
                            );
                            let q = q.replace("&group_by=&", "&");
                            let fast = app.get(&q, Some(who)).await;
                            let slow = app.get(&format!("{q}&path=reference"), Some(who)).await;
                            assert_eq!(fast.status, 200, "{q}: {}", fast.body);
                            assert_eq!(slow.status, 200, "{q}: {}", slow.body);
                            assert_eq!(
                                without_instant(fast.body),
                                without_instant(slow.body),
                                "{label} {q}"
                            );
                            compared += 1;
                        }
                    }
                }
            }
            compared
        }
    };
    // Right after loading, most changes are still marked, not folded.
    let pending = app.db.read_blocking(motcua::stats::fast::pending).unwrap();
    assert!(pending > 0);
    assert_eq!(compare("pending").await, 120);
    // Fold everything in, then again.
    app.db
        .write_blocking(|c| {
            while motcua::stats::fast::fold_pending(c, 10_000)? > 0 {}
            Ok(())
        })
        .unwrap();
    assert_eq!(
        app.db.read_blocking(motcua::stats::fast::pending).unwrap(),
        0
    );
    assert_eq!(compare("folded").await, 120);
}

/// The figures without the instant they were read at (two readings may straddle a minute).
fn without_instant(mut body: Value) -> Value {
    if let Some(o) = body.as_object_mut() {
        o.remove("judged_at");
    }
    body
}

/// DOMAIN §5: while the period runs, an open dossier is judged now, not at the period's end.
/// A dossier due later today and one due in ten days are within time in a report that runs on
/// for months; the report's overdue figure is the overdue list's; both paths agree, before and
/// after folding; the downloads say "tính đến".
#[tokio::test]
async fn a_running_report_judges_open_dossiers_at_the_reading() {
    let app = TestApp::spawn_with(|c| c.stats_fold = false).await;
    let accounts = app.load_demo().await;
    let sup = app.demo_login(&accounts, "giamsat.tinh").await;
    let now = chrono::Utc::now();
    let today = (now + chrono::Duration::hours(7)).date_naive();
    let (from, to) = (
        today - chrono::Duration::days(30),
        today + chrono::Duration::days(90),
    );
    // Two dossiers with a running clock, due later today (or just after midnight) and in ten
    // days: their history and their row alike.
    let soon = (now + chrono::Duration::minutes(90)).naive_utc();
    let later = (now + chrono::Duration::days(10)).naive_utc();
    app.db
        .write_blocking(move |c| {
            use motcua::db::schema::dossier_events as e;
            let ids: Vec<String> = dossiers::table
                .filter(dossiers::state.eq("in_progress"))
                .filter(dossiers::paused_since.is_null())
                .order(dossiers::id)
                .select(dossiers::id)
                .limit(2)
                .load(c)?;
            assert_eq!(ids.len(), 2, "the demo leaves dossiers in progress");
            for (id, due) in ids.iter().zip([soon, later]) {
                diesel::update(
                    e::table
                        .filter(e::dossier_id.eq(id))
                        .filter(e::due_at.is_not_null()),
                )
                .set(e::due_at.eq(due))
                .execute(c)?;
                diesel::update(dossiers::table.find(id))
                    .set(dossiers::due_at.eq(due))
                    .execute(c)?;
            }
            Ok(())
        })
        .unwrap();
    let overdue_now = app
        .get("/api/v1/stats/overdue?per_page=1", Some(&sup))
        .await
        .body["total"]
        .as_i64()
        .unwrap();
    let q = format!("/api/v1/stats/report?from={from}&to={to}");
    let check = |label: &'static str| {
        let (app, sup, q) = (&app, &sup, &q);
        async move {
            for group_by in ["", "&group_by=child", "&group_by=month"] {
                let fast = app.get(&format!("{q}{group_by}"), Some(sup)).await;
                let slow = app
                    .get(&format!("{q}{group_by}&path=reference"), Some(sup))
                    .await;
                assert_eq!(fast.status, 200, "{}", fast.body);
                let judged: chrono::DateTime<chrono::Utc> =
                    fast.body["judged_at"].as_str().unwrap().parse().unwrap();
                assert!(
                    judged <= chrono::Utc::now() && judged > now - chrono::Duration::minutes(2)
                );
                let total = &fast.body["total"];
                assert_eq!(figure(total, "overdue"), overdue_now, "{label}: {total}");
                assert!(figure(total, "within_time") >= 2, "{label}: {total}");
                assert_eq!(
                    figure(total, "within_time") + figure(total, "overdue"),
                    figure(total, "unresolved")
                );
                assert_eq!(
                    without_instant(fast.body),
                    without_instant(slow.body),
                    "{label} {group_by}"
                );
            }
        }
    };
    check("pending").await;
    app.db
        .write_blocking(|c| {
            while motcua::stats::fast::fold_pending(c, 10_000)? > 0 {}
            Ok(())
        })
        .unwrap();
    check("folded").await;
    // A period that has ended is judged at its end, whenever it is read.
    let past = app
        .get(
            &format!("/api/v1/stats/report?from={from}&to={today}"),
            Some(&sup),
        )
        .await;
    let end = motcua::calendar::model::to_utc(today.and_time(chrono::NaiveTime::MIN));
    let judged: chrono::DateTime<chrono::Utc> =
        past.body["judged_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(judged, end);
    // The CSV's title rows say when it was judged.
    let text_of = |path: String| {
        let (client, url, sup) = (app.client.clone(), format!("{}{path}", app.base), &sup);
        async move {
            let res = client.get(url).bearer_auth(sup).send().await.unwrap();
            res.text().await.unwrap()
        }
    };
    let csv = text_of(format!("{q}&format=csv")).await;
    let title: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().take(4).collect();
    assert!(title[0].starts_with("BÁO CÁO"), "{csv}");
    assert!(title[2].contains("tính đến "), "{csv}");
    assert_eq!(title[3], "\"\"");
    let past_csv = text_of(format!(
        "/api/v1/stats/report?from={from}&to={today}&format=csv"
    ))
    .await;
    assert!(!past_csv.contains("tính đến"), "{past_csv}");
}
