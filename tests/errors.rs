//! Bad input on every route gets a 4xx problem+json, never a 500. The table below must cover
//! every operation of the generated OpenAPI document (a test checks that), and every route with
//! a body or a path parameter also gets the generic cases: malformed JSON, wrong content type,
//! an oversized body, a malformed id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{three_level_tree, TestApp};
use serde_json::{json, Value};

/// One bad request: method, route template (as in the spec), concrete path, body, expected status.
struct Case {
    method: &'static str,
    template: &'static str,
    path: String,
    body: Option<Value>,
    status: u16,
}

fn case(
    method: &'static str,
    template: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    status: u16,
) -> Case {
    Case {
        method,
        template,
        path: path.into(),
        body,
        status,
    }
}

#[tokio::test]
async fn bad_input_on_every_route_is_a_4xx_problem() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let t = three_level_tree(&app, &admin).await;
    let (user, _) = app.staff(&admin, "motcua.c1", "clerk", Some(&t.c1)).await;
    app.load_demo().await;
    let u = |s: &str| format!("/api/v1/units/{}{s}", t.c1);
    let us = |s: &str| format!("/api/v1/users/{user}{s}");
    let long = "x".repeat(5000);

    let cases = vec![
        case(
            "get",
            "/api/v1/units",
            "/api/v1/units?kind=planet",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/units",
            "/api/v1/units?valid_on=2025-13-45",
            None,
            400,
        ),
        case("get", "/api/v1/units", "/api/v1/units?page=abc", None, 400),
        case(
            "get",
            "/api/v1/units",
            "/api/v1/units?per_page=0",
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/units",
            "/api/v1/units?parent=not-a-uuid",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/units",
            format!("/api/v1/units?q={}", "a".repeat(300)),
            None,
            422,
        ),
        case(
            "post",
            "/api/v1/units",
            "/api/v1/units",
            Some(json!({})),
            422,
        ),
        case(
            "post",
            "/api/v1/units",
            "/api/v1/units",
            Some(json!({"code": 6, "name": "X", "kind": "province"})),
            422,
        ),
        case(
            "post",
            "/api/v1/units",
            "/api/v1/units",
            Some(json!({"code": "06x", "name": "X", "kind": "planet"})),
            422,
        ),
        case(
            "post",
            "/api/v1/units",
            "/api/v1/units",
            Some(json!({"code": "07", "name": long, "kind": "province"})),
            422,
        ),
        case(
            "post",
            "/api/v1/units",
            "/api/v1/units",
            Some(json!({"code": "07", "name": "X", "kind": "province", "extra": 1})),
            422,
        ),
        case(
            "post",
            "/api/v1/units",
            "/api/v1/units",
            Some(json!({"code": "07", "name": "X", "kind": "province", "parent_id": "nope"})),
            422,
        ),
        case(
            "get",
            "/api/v1/units/{id}",
            "/api/v1/units/01a20560-06fc-7105-bce2-8c0be44bd720",
            None,
            404,
        ),
        case(
            "patch",
            "/api/v1/units/{id}",
            u(""),
            Some(json!({"name": 12})),
            422,
        ),
        case(
            "patch",
            "/api/v1/units/{id}",
            u(""),
            Some(json!({"kind": "village"})),
            422,
        ),
        case(
            "patch",
            "/api/v1/units/{id}",
            u(""),
            Some(json!({"agency_code": "H55"})),
            422,
        ),
        case(
            "get",
            "/api/v1/units/{id}/subtree",
            u("/subtree?valid_on=yesterday"),
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/units/{id}/ancestors",
            "/api/v1/units/00000000-0000-0000-0000-000000000000/ancestors",
            None,
            404,
        ),
        case(
            "post",
            "/api/v1/units/{id}/retire",
            u("/retire"),
            Some(json!({"valid_to": "30/06/2025"})),
            422,
        ),
        case(
            "post",
            "/api/v1/units/{id}/retire",
            u("/retire"),
            Some(json!({})),
            422,
        ),
        case(
            "post",
            "/api/v1/reorganisations",
            "/api/v1/reorganisations",
            Some(json!({"name": "", "effective_from": "2025-07-01", "retire": []})),
            422,
        ),
        case(
            "post",
            "/api/v1/reorganisations",
            "/api/v1/reorganisations",
            Some(
                json!({"name": "x", "effective_from": "2025-07-01", "retire": [{"unit_id": "01a20560-06fc-7105-bce2-8c0be44bd720"}]}),
            ),
            404,
        ),
        case(
            "get",
            "/api/v1/units/{id}/agencies",
            "/api/v1/units/01a20560-06fc-7105-bce2-8c0be44bd720/agencies",
            None,
            404,
        ),
        case(
            "post",
            "/api/v1/units/{id}/agencies",
            u("/agencies"),
            Some(json!({"code": "000.00.00.H05", "name": "X", "kind": "ministry"})),
            422,
        ),
        case(
            "post",
            "/api/v1/units/{id}/agencies",
            u("/agencies"),
            Some(json!({"code": "H05", "name": "X", "kind": "office"})),
            422,
        ),
        case("get", "/api/v1/users", "/api/v1/users?role=king", None, 400),
        case(
            "get",
            "/api/v1/users",
            "/api/v1/users?disabled=maybe",
            None,
            400,
        ),
        case(
            "post",
            "/api/v1/users",
            "/api/v1/users",
            Some(
                json!({"username": "a b", "full_name": "X", "role": "clerk", "unit_id": t.c1, "password": "mat-khau-dai-du"}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/users",
            "/api/v1/users",
            Some(
                json!({"username": "abc", "full_name": "X", "role": "citizen", "unit_id": t.c1, "password": "mat-khau-dai-du"}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/users",
            "/api/v1/users",
            Some(
                json!({"username": "abc", "full_name": "X", "role": "emperor", "password": "mat-khau-dai-du"}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/users",
            "/api/v1/users",
            Some(json!({"username": "abc", "role": "clerk"})),
            422,
        ),
        case(
            "get",
            "/api/v1/users/{id}",
            "/api/v1/users/01a20560-06fc-7105-bce2-8c0be44bd720",
            None,
            404,
        ),
        case(
            "patch",
            "/api/v1/users/{id}",
            us(""),
            Some(json!({"role": "citizen"})),
            422,
        ),
        case(
            "patch",
            "/api/v1/users/{id}",
            us(""),
            Some(json!({"phone": "not a phone"})),
            422,
        ),
        case(
            "patch",
            "/api/v1/users/{id}",
            us(""),
            Some(json!({"unit_id": 5})),
            422,
        ),
        case(
            "post",
            "/api/v1/users/{id}/disable",
            "/api/v1/users/01a20560-06fc-7105-bce2-8c0be44bd720/disable",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/users/{id}/enable",
            "/api/v1/users/01a20560-06fc-7105-bce2-8c0be44bd720/enable",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/users/{id}/reset-password",
            us("/reset-password"),
            Some(json!({"new_password": "short"})),
            422,
        ),
        case(
            "post",
            "/api/v1/users/{id}/reset-password",
            us("/reset-password"),
            Some(json!({"new_password": ["a"]})),
            422,
        ),
        case(
            "get",
            "/api/v1/access-log",
            "/api/v1/access-log",
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/access-log",
            "/api/v1/access-log?dossier_id=nope",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/access-log",
            "/api/v1/access-log?dossier_id=01a20560-06fc-7105-bce2-8c0be44bd720",
            None,
            404,
        ),
        case(
            "post",
            "/api/v1/citizens",
            "/api/v1/citizens",
            Some(
                json!({"citizen_id": 6095001234u64, "full_name": "X", "phone": "0912345678", "password": "mat-khau-dai-du"}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/citizens",
            "/api/v1/citizens",
            Some(
                json!({"citizen_id": "006095001234", "tax_code": "0101234567", "full_name": "X", "phone": "0912345678", "password": "mat-khau-dai-du"}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/citizens",
            "/api/v1/citizens",
            Some(json!({"full_name": "X"})),
            422,
        ),
        case(
            "post",
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            Some(json!({"username": "root"})),
            422,
        ),
        case(
            "post",
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            Some(json!({"username": 1, "password": true})),
            422,
        ),
        case(
            "post",
            "/api/v1/auth/refresh",
            "/api/v1/auth/refresh",
            Some(json!({"refresh_token": "never-issued"})),
            401,
        ),
        case(
            "post",
            "/api/v1/auth/refresh",
            "/api/v1/auth/refresh",
            Some(json!({"refresh": "x"})),
            422,
        ),
        case(
            "post",
            "/api/v1/auth/logout",
            "/api/v1/auth/logout",
            Some(json!({})),
            422,
        ),
        case("get", "/api/v1/me", "/api/v1/me", None, 401),
        case(
            "get",
            "/api/v1/procedures",
            "/api/v1/procedures?level=village",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/procedures",
            "/api/v1/procedures?online_level=maybe",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/procedures",
            "/api/v1/procedures?per_page=1000",
            None,
            422,
        ),
        case(
            "post",
            "/api/v1/procedures",
            "/api/v1/procedures",
            Some(json!({"code": "9.1", "name": "X"})),
            422,
        ),
        case(
            "post",
            "/api/v1/procedures",
            "/api/v1/procedures",
            Some(
                json!({"code": "9.1", "name": "X", "field": "Y", "levels": ["moon"], "agency": "Z", "processing_days": 1, "processing_note": null, "online_level": "full", "steps": [], "source": null}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/procedures",
            "/api/v1/procedures",
            Some(
                json!({"code": "9.1", "name": "X", "field": "Y", "levels": ["commune"], "agency": "Z", "processing_days": "one", "processing_note": null, "online_level": "full", "steps": [], "source": null}),
            ),
            422,
        ),
        case(
            "get",
            "/api/v1/procedures/{code}",
            "/api/v1/procedures/9.999999",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/procedures/{code}",
            "/api/v1/procedures/1.001193?version=first",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/procedures/{code}",
            "/api/v1/procedures/bad%20code!",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/procedures/{code}/versions",
            "/api/v1/procedures/9.999999/versions",
            None,
            404,
        ),
        case(
            "post",
            "/api/v1/procedures/{code}/versions",
            "/api/v1/procedures/1.001193/versions",
            Some(json!({"code": "1.001193"})),
            422,
        ),
        case(
            "post",
            "/api/v1/procedures/{code}/deactivate",
            "/api/v1/procedures/9.999999/deactivate",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/procedures/{code}/activate",
            "/api/v1/procedures/bad%20code!/activate",
            Some(json!({})),
            400,
        ),
        case(
            "get",
            "/api/v1/procedure-versions/{id}",
            "/api/v1/procedure-versions/01a20560-06fc-7105-bce2-8c0be44bd720",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/calendar/days",
            "/api/v1/calendar/days?year=twenty",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/calendar/days",
            "/api/v1/calendar/days?year=99999",
            None,
            422,
        ),
        case(
            "post",
            "/api/v1/calendar/days",
            "/api/v1/calendar/days",
            Some(json!({"date": "2027-02-30", "kind": "holiday", "name": "X"})),
            422,
        ),
        case(
            "post",
            "/api/v1/calendar/days",
            "/api/v1/calendar/days",
            Some(json!({"date": "2027-03-02", "kind": "feast", "name": "X"})),
            422,
        ),
        case(
            "post",
            "/api/v1/calendar/days",
            "/api/v1/calendar/days",
            Some(json!({"date": "2027-03-02"})),
            422,
        ),
        case(
            "delete",
            "/api/v1/calendar/days/{date}",
            "/api/v1/calendar/days/not-a-date",
            None,
            400,
        ),
        case(
            "delete",
            "/api/v1/calendar/days/{date}",
            "/api/v1/calendar/days/2030-01-07",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/calendar/due",
            "/api/v1/calendar/due?from=yesterday&days=1",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/calendar/due",
            "/api/v1/calendar/due?days=1",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/calendar/due",
            "/api/v1/calendar/due?from=2025-01-01T00:00:00Z&days=-1",
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/calendar/due",
            "/api/v1/calendar/due?from=2025-01-01T00:00:00Z&days=1&time_unit=fortnights",
            None,
            400,
        ),
        case(
            "post",
            "/api/v1/dossiers",
            "/api/v1/dossiers",
            Some(json!({"procedure_code": "1.001193"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers",
            "/api/v1/dossiers",
            Some(json!({"procedure_code": "1.001193", "unit_id": "x"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers",
            "/api/v1/dossiers",
            Some(json!({"procedure_code": "1.001193", "unit_id": t.c1, "documents": [-1]})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/intake",
            "/api/v1/dossiers/intake",
            Some(
                json!({"procedure_code": "1.001193", "channel": "fax", "applicant": {"name": "X"}}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/intake",
            "/api/v1/dossiers/intake",
            Some(
                json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "X", "citizen_id": "123"}}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/intake",
            "/api/v1/dossiers/intake",
            Some(json!({"channel": "desk"})),
            422,
        ),
        // A quantity for a document not handed in, and one with nothing in it.
        case(
            "post",
            "/api/v1/dossiers/intake",
            "/api/v1/dossiers/intake",
            Some(
                json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "X"}, "documents": [3, 5],
                       "document_quantities": [{"index": 4, "originals": 1, "copies": 0}, {"index": 3, "originals": 0, "copies": 0}]}),
            ),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/intake",
            "/api/v1/dossiers/intake",
            Some(
                json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": "X"}, "documents": [3],
                       "document_quantities": [{"index": 3, "originals": 300, "copies": 0}]}),
            ),
            422,
        ),
        case(
            "get",
            "/api/v1/dossiers/mine",
            "/api/v1/dossiers/mine?page=zero",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720",
            None,
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/receive",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/receive",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/receive",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/receive",
            Some(json!({"expected_version": "two"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/reject",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/reject",
            Some(json!({"note": 5})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/withdraw",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/withdraw",
            Some(json!({"reason": "x"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/assign",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/assign",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/advance",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/advance",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/request_supplement",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/request_supplement",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/supplement",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/supplement",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/request_payment",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/request_payment",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/pay",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/pay",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/submit_for_approval",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/submit_for_approval",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/approve",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/approve",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/deny",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/deny",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/stop",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/stop",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/return_result",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/return_result",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/apologise",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/apologise",
            Some(json!({})),
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/pay",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/pay",
            Some(json!({"payment_channel": "cash"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/return_result",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/return_result",
            Some(json!({"return_channel": "pigeon"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/apologise",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/apologise",
            Some(json!({"new_due_at": "tomorrow"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/assign",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/assign",
            Some(json!({"assignee_id": 7})),
            422,
        ),
        case(
            "get",
            "/api/v1/dossiers",
            "/api/v1/dossiers?state=lost",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers",
            "/api/v1/dossiers?overdue=perhaps",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers",
            "/api/v1/dossiers?unit_id=12",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}/forms/{form}",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/forms/invoice",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}/forms/{form}",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/forms/receipt?format=pdf",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}/forms/{form}",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/forms/receipt",
            None,
            404,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/rating",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/rating",
            Some(json!({"rating": "meh"})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/rating",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/rating",
            Some(json!({})),
            422,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/documents",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/documents?kind=photo",
            None,
            400,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/documents",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/documents?kind=result&colour=red",
            None,
            400,
        ),
        case(
            "post",
            "/api/v1/dossiers/{id}/documents",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/documents?kind=result",
            Some(json!({})),
            404,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}/documents",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/documents",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}/documents/{document_id}",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/documents/not-an-id",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/dossiers/{id}/documents/{document_id}",
            "/api/v1/dossiers/01a20560-06fc-7105-bce2-8c0be44bd720/documents/01a20560-06fc-7105-bce2-8c0be44bd721",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/units/{id}/working-hours",
            "/api/v1/units/01a20560-06fc-7105-bce2-8c0be44bd720/working-hours",
            None,
            404,
        ),
        case(
            "put",
            "/api/v1/units/{id}/working-hours",
            format!("/api/v1/units/{}/working-hours", t.province),
            Some(json!({"sessions": [{"start": "7:30", "end": "11:30"}]})),
            422,
        ),
        case(
            "put",
            "/api/v1/units/{id}/working-hours",
            format!("/api/v1/units/{}/working-hours", t.province),
            Some(json!({"sessions": [{"start": "13:30", "end": "17:30"}, {"start": "07:30", "end": "11:30"}]})),
            422,
        ),
        case(
            "put",
            "/api/v1/units/{id}/working-hours",
            u("/working-hours"),
            Some(json!({"sessions": [{"start": "07:00", "end": "11:00"}]})),
            422,
        ),
        case(
            "put",
            "/api/v1/units/{id}/working-hours",
            format!("/api/v1/units/{}/working-hours", t.province),
            Some(json!({"hours": "all day"})),
            422,
        ),
        case(
            "get",
            "/api/v1/stats/report",
            "/api/v1/stats/report?from=yesterday&to=2026-01-01",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/stats/report",
            format!(
                "/api/v1/stats/report?unit={}&from=2026-01-01&to=2025-01-01",
                t.province
            ),
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/stats/report",
            format!(
                "/api/v1/stats/report?unit={}&from=2025-01-01&to=2026-01-01&group_by=week",
                t.province
            ),
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/stats/rates",
            format!(
                "/api/v1/stats/rates?unit={}&from=2025-01-01&to=2026-01-01&format=pdf",
                t.province
            ),
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/stats/rates",
            format!(
                "/api/v1/stats/rates?unit={}&from=2025-01-01&to=2046-01-01",
                t.province
            ),
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/stats/overdue",
            format!("/api/v1/stats/overdue?unit={}&per_page=0", t.province),
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/stats/overdue",
            "/api/v1/stats/overdue?unit=01a20560-06fc-7105-bce2-8c0be44bd720",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/agencies/{code}",
            "/api/v1/agencies/H55",
            None,
            422,
        ),
        case(
            "get",
            "/api/v1/agencies/{code}",
            "/api/v1/agencies/000.00.00.H55?on=31-12-2025",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/agencies/{code}",
            "/api/v1/agencies/000.00.00.Z99",
            None,
            404,
        ),
        case(
            "get",
            "/api/v1/track/{code}",
            "/api/v1/track/not%20a%20code!",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/track/{code}",
            "/api/v1/track/01843-250101-0001",
            None,
            404,
        ),
        case("get", "/api/v1/labels", "/api/v1/labels", None, 0),
        case(
            "get",
            "/api/v1/units/{id}/staff",
            "/api/v1/units/not-a-uuid/staff",
            None,
            400,
        ),
        case(
            "get",
            "/api/v1/units/{id}/staff",
            "/api/v1/units/00000000-0000-0000-0000-000000000000/staff",
            None,
            404,
        ),
        case("get", "/api/v1/units/{id}/staff", u("/staff?per_page=0"), None, 422),
        case("get", "/health/live", "/health/live?x=1", None, 0),
        case("get", "/health/ready", "/health/ready", None, 0),
    ];

    // The table covers every operation of the service.
    let spec = motcua::app::openapi();
    let mut missing = BTreeSet::new();
    let mut with_body = Vec::new();
    for (path, item) in &spec.paths.paths {
        for (method, op) in [
            ("get", &item.get),
            ("post", &item.post),
            ("patch", &item.patch),
            ("put", &item.put),
            ("delete", &item.delete),
        ] {
            let Some(op) = op else { continue };
            if !cases
                .iter()
                .any(|c| c.method == method && c.template == path)
            {
                missing.insert(format!("{method} {path}"));
            }
            // JSON bodies get the generic cases below (uploads are tested in documents.rs).
            if op
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"))
            {
                with_body.push((method, path.clone()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes without bad-input cases: {missing:?}"
    );

    for c in &cases {
        if c.status == 0 {
            continue; // health checks take no input
        }
        let token = if c.template == "/api/v1/me" {
            None
        } else {
            Some(admin.as_str())
        };
        let r = app
            .send(&c.method.to_uppercase(), &c.path, token, c.body.clone())
            .await;
        assert_eq!(
            r.status, c.status,
            "{} {} {:?}: {}",
            c.method, c.path, c.body, r.body
        );
        assert!(
            r.is_problem(),
            "{} {}: not a problem document: {}",
            c.method,
            c.path,
            r.body
        );
        if c.status == 422 {
            assert!(
                !r.body["errors"].as_array().unwrap().is_empty(),
                "{} {}: 422 names no field",
                c.method,
                c.path
            );
        }
    }

    // Generic cases for every route that takes a body.
    let huge = json!({"padding": "x".repeat(300 * 1024)});
    for (method, template) in &with_body {
        let concrete = cases
            .iter()
            .find(|c| c.method == *method && c.template == template)
            .unwrap()
            .path
            .clone();
        let url = format!("{}{}", app.base, concrete);
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let send = |body: Vec<u8>, ct: &'static str| {
            app.client
                .request(m.clone(), url.clone())
                .bearer_auth(&admin)
                .header("content-type", ct)
                .body(body)
                .send()
        };
        let malformed =
            TestApp::read(send(b"{,}".to_vec(), "application/json").await.unwrap()).await;
        assert_eq!(malformed.status, 400, "{method} {template}: malformed JSON");
        assert!(malformed.is_problem());
        let wrong_type = TestApp::read(
            send(b"name=x".to_vec(), "application/x-www-form-urlencoded")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(wrong_type.status, 415, "{method} {template}: form body");
        assert!(wrong_type.is_problem());
        let oversized = TestApp::read(
            send(serde_json::to_vec(&huge).unwrap(), "application/json")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(oversized.status, 413, "{method} {template}: oversized body");
        assert!(oversized.is_problem());
    }

    // A control character anywhere, in a body, a query parameter or a path, is 422 naming
    // where it is (PostgreSQL cannot store U+0000; it used to answer 500).
    for (method, template) in &with_body {
        let concrete = &cases
            .iter()
            .find(|c| c.method == *method && c.template == template)
            .unwrap()
            .path;
        for (body, field) in [
            (json!({"note": "a\u{0}b"}), "note"),
            (json!({"items": [{"name": "x\u{1b}[31m"}]}), "items[0].name"),
            (json!({"k\u{7f}": 1}), "k\\u{7f}"),
        ] {
            let r = app
                .send(&method.to_uppercase(), concrete, Some(&admin), Some(body))
                .await;
            assert_eq!(r.status, 422, "{method} {template}: {}", r.body);
            assert!(r.is_problem());
            assert_eq!(r.body["errors"][0]["field"], field, "{method} {template}");
        }
    }
    for (path, item) in &spec.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ] {
            let Some(op) = op else { continue };
            let concrete = cases
                .iter()
                .find(|c| c.method.eq_ignore_ascii_case(method) && c.template == path)
                .map(|c| c.path.split('?').next().unwrap().to_owned())
                .unwrap_or_else(|| path.clone());
            for p in op.parameters.iter().flatten() {
                if !matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query) {
                    continue;
                }
                let url = format!("{concrete}?{}=%00", p.name);
                let r = app.send(method, &url, Some(&admin), None).await;
                assert_eq!(r.status, 422, "{method} {url}: {}", r.body);
                assert!(r.is_problem());
                assert_eq!(
                    r.body["errors"][0]["field"],
                    p.name.as_str(),
                    "{method} {url}"
                );
            }
            if path.contains('{') {
                let mut nul = String::new();
                let mut inside = false;
                for ch in path.chars() {
                    match ch {
                        '{' => {
                            inside = true;
                            nul.push_str("x%00");
                        }
                        '}' => inside = false,
                        c if !inside => nul.push(c),
                        _ => {}
                    }
                }
                let r = app.send(method, &nul, Some(&admin), None).await;
                assert_eq!(r.status, 422, "{method} {nul}: {}", r.body);
                assert_eq!(r.body["errors"][0]["field"], "path");
            }
        }
    }

    // Every route with an id in its path refuses a malformed id with 400.
    for path in spec.paths.paths.keys() {
        if !path.contains("{id}") {
            continue;
        }
        let concrete = path.replace("{id}", "not-a-uuid");
        for (method, body) in [
            ("GET", None),
            ("POST", Some(json!({}))),
            ("PATCH", Some(json!({}))),
        ] {
            let r = app.send(method, &concrete, Some(&admin), body).await;
            assert!(
                r.status == 400 || r.status == 404 || r.status == 405,
                "{method} {concrete}: {}",
                r.status
            );
            assert!(r.is_problem(), "{method} {concrete}: {}", r.body);
        }
        let r = app.get(&concrete, Some(&admin)).await;
        if spec.paths.paths[path].get.is_some() {
            assert_eq!(r.status, 400, "GET {concrete}");
        }
    }
}

#[tokio::test]
async fn a_nul_in_sign_in_registration_search_or_intake_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "ro\u{0}ot", "password": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "username");
    let r = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"citizen_id": "006095001299", "full_name": "Nguyễn\u{0} Văn A", "phone": "0912345678", "password": "mat-khau-cua-a"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "full_name");
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "006095001299", "password": "mat-khau-cua-a"}),
        )
        .await;
    assert_eq!(r.status, 401, "the refused registration stored nothing");
    for url in [
        "/api/v1/users?q=%00",
        "/api/v1/units?code=%00",
        "/api/v1/units?q=a%00b",
        "/api/v1/dossiers?q=%00",
        "/api/v1/procedures?q=%C2%85",
    ] {
        let r = app.get(url, Some(&admin)).await;
        assert_eq!(r.status, 422, "{url}: {}", r.body);
    }
    let accounts = app.load_demo().await;
    let clerk = accounts
        .iter()
        .find(|a| a.role == motcua::accounts::model::Role::Clerk)
        .unwrap();
    let token = app.login(&clerk.username, &clerk.password).await;
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&token),
            json!({"procedure_code": "x", "applicant": {"full_name": "Lò\u{0}Văn", "citizen_id": "006095001234"}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "applicant.full_name");
    // Tabs and line breaks are text, not controls.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "root", "password": "a\tb\nc"}),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problem_json() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status, 404);
    assert!(r.is_problem());
    let r = app.send("DELETE", "/api/v1/procedures", None, None).await;
    assert_eq!(r.status, 405);
    assert!(r.is_problem());
    assert_eq!(r.body["type"], "urn:motcua:problem:method-not-allowed");
    let res = app
        .client
        .put(format!(
            "{}/api/v1/units/01a20560-06fc-7105-bce2-8c0be44bd720",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, PATCH");
    let r = app.send("GET", "/api/v1/auth/login", None, None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["detail"], "this path takes POST");
}
