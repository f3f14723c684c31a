//! The web client over HTTP (the browser journeys are in browser.rs): sessions and their
//! cookie, CSRF, the security headers, escaping, scope, the page-weight budget, and errors in
//! Vietnamese on the API. On both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use reqwest::header::{HeaderMap, ACCEPT_ENCODING, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

/// A browser without a browser: keeps the session cookie, reads pages.
struct Visitor<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    headers: HeaderMap,
    text: String,
}

fn field(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

impl<'a> Visitor<'a> {
    fn new(app: &'a TestApp) -> Self {
        Visitor {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for c in headers.get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !v.is_empty() {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        self.keep(&headers);
        Page {
            status,
            headers,
            text: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{path}", self.app.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    /// The size of `path` as sent gzip-compressed.
    async fn gzip_size(&mut self, path: &str) -> usize {
        let res = self
            .client
            .get(format!("{}{path}", self.app.base))
            .header(COOKIE, self.cookie_header())
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .map(|h| h.to_str().unwrap()),
            Some("gzip"),
            "{path} is sent compressed"
        );
        // reqwest here has no gzip feature: these are the bytes on the wire.
        let sent = res.bytes().await.unwrap().len();
        let raw = self.get(path).await.text.len();
        assert!(sent < raw, "{path}: {sent} compressed, {raw} raw");
        eprintln!("weight {path}: {sent} B compressed, {raw} B raw");
        sent
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Page {
        let mut req = self
            .client
            .post(format!("{}{path}", self.app.base))
            .header(COOKIE, self.cookie_header())
            .form(form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let res = req.send().await.unwrap();
        self.read(res).await
    }

    async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/dang-nhap").await;
        let token = field(&form.text, "_csrf");
        self.post(
            "/dang-nhap",
            &[
                ("_csrf", &token),
                ("username", username),
                ("password", password),
            ],
            None,
        )
        .await
    }
}

fn password(accounts: &[motcua::demo::DemoAccount], username: &str) -> String {
    accounts
        .iter()
        .find(|a| a.username == username)
        .unwrap()
        .password
        .clone()
}

async fn desk_dossier(app: &TestApp, token: &str, name: &str) -> String {
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(token),
            json!({"procedure_code": "1.001193", "channel": "desk",
                   "applicant": {"name": name, "citizen_id": "006095001234"},
                   "documents": [3, 5]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sessions_are_http_only_strict_cookies_and_signing_out_ends_them() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let mut v = Visitor::new(&app);
    // Anonymous: the home page, with the client's headers.
    let home = v.get("/").await;
    assert_eq!(home.status, 200);
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(home.headers["x-frame-options"], "DENY");
    // A staff page without a session sends to the sign-in page, and back afterwards.
    let r = v.get("/mot-cua").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers[LOCATION], "/dang-nhap?next=%2Fmot%2Dcua");
    // A wrong password: the form again, in Vietnamese, 401.
    let wrong = v.sign_in("motcua.backan", "sai-mat-khau").await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.text.contains("Sai tên đăng nhập hoặc mật khẩu"),
        "{}",
        wrong.text
    );
    // The sign-in form refuses a post without its anti-forgery value.
    let forged = v
        .post(
            "/dang-nhap",
            &[
                ("_csrf", "x"),
                ("username", "motcua.backan"),
                ("password", "y"),
            ],
            None,
        )
        .await;
    assert_eq!(forged.status, 403);
    let ok = v
        .sign_in("motcua.backan", &password(&accounts, "motcua.backan"))
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.headers[LOCATION], "/mot-cua");
    let set = ok
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("motcua_phien="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP here: no Secure flag");
    // The session cookie is not an API token.
    let cookie = v
        .cookies
        .iter()
        .find(|(k, _)| k == "motcua_phien")
        .unwrap()
        .1
        .clone();
    assert_eq!(app.get("/api/v1/me", Some(&cookie)).await.status, 401);
    let queue = v.get("/mot-cua").await;
    assert_eq!(queue.status, 200);
    assert!(queue.text.contains("Bộ phận một cửa"));
    // Signing out ends the session on the server: the old cookie no longer opens a page.
    let token = field(&queue.text, "_csrf");
    let out = v.post("/dang-xuat", &[("_csrf", &token)], None).await;
    assert_eq!(out.status, 303);
    let mut replay = Visitor::new(&app);
    replay.cookies.push(("motcua_phien".to_owned(), cookie));
    assert_eq!(replay.get("/mot-cua").await.status, 303);
}

#[tokio::test]
async fn form_posts_need_the_sessions_token_and_values_are_escaped() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let clerk_pw = password(&accounts, "motcua.backan");
    let api = app.login("motcua.backan", &clerk_pw).await;
    let id = desk_dossier(&app, &api, "<script>alert(1)</script> Lê Văn Đức").await;
    let mut v = Visitor::new(&app);
    v.sign_in("motcua.backan", &clerk_pw).await;
    let page = v.get(&format!("/ho-so/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page
        .text
        .contains("&lt;script&gt;alert(1)&lt;/script&gt; Lê Văn Đức"));
    assert!(!page.text.contains("<script>alert"));
    // No inline script or style anywhere on the page.
    assert!(
        !page.text.contains("<script>")
            && !page.text.contains(" style=")
            && !page.text.contains(" onclick=")
    );
    let version = field(&page.text, "expected_version");
    let token = field(&page.text, "_csrf");
    let assign = format!("/ho-so/{id}/xu-ly/assign");
    // Without the token, with another session's token, or from another site: refused.
    for (form, origin) in [
        (vec![("expected_version", version.as_str())], None),
        (
            vec![("_csrf", "AAAA"), ("expected_version", version.as_str())],
            None,
        ),
        (
            vec![
                ("_csrf", token.as_str()),
                ("expected_version", version.as_str()),
            ],
            Some("http://evil.example"),
        ),
    ] {
        let r = v.post(&assign, &form, origin).await;
        assert_eq!(r.status, 403, "{form:?} {origin:?}");
        assert!(r.text.contains("Yêu cầu bị từ chối"));
    }
    let d = app.get(&format!("/api/v1/dossiers/{id}"), Some(&api)).await;
    assert_eq!(d.body["dossier"]["state"], "received", "nothing happened");
    // With it, the action is taken and the page shows the new state.
    let r = v
        .post(
            &assign,
            &[("_csrf", &token), ("expected_version", &version)],
            None,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let page = v.get(&format!("/ho-so/{id}")).await;
    assert!(page.text.contains("Đang giải quyết"));
    // The stale version now: a conflict shown on the page, in Vietnamese, nothing lost.
    let r = v
        .post(
            &format!("/ho-so/{id}/xu-ly/withdraw"),
            &[
                ("_csrf", &token),
                ("expected_version", &version),
                ("note", "Lý do rút hồ sơ"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r
        .text
        .contains("Không thực hiện được ở trạng thái hiện tại"));
    assert!(r.text.contains("Lý do rút hồ sơ"), "the note typed is kept");
}

#[tokio::test]
async fn pages_keep_to_the_api_scope_and_the_weight_budget() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let clerk_pw = password(&accounts, "motcua.backan");
    let api = app.login("motcua.backan", &clerk_pw).await;
    let id = desk_dossier(&app, &api, "Trần Thị Bình").await;
    // A citizen, and an administrator's page, are outside the clerk's scope or role.
    let mut citizen = Visitor::new(&app);
    citizen
        .sign_in("006095001234", &password(&accounts, "006095001234"))
        .await;
    let foreign = citizen.get(&format!("/ho-so/{id}")).await;
    assert_eq!(foreign.status, 404);
    assert!(foreign.text.contains("Không tìm thấy"));
    let mut v = Visitor::new(&app);
    v.sign_in("motcua.backan", &clerk_pw).await;
    assert_eq!(v.get("/quan-tri").await.status, 403);
    assert_eq!(
        v.get("/ho-so/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
    // Search: a code opens its dossier; a name lists what matches, diacritics ignored.
    let code = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(&api))
        .await
        .body["dossier"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = v.get(&format!("/tim?q={code}")).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.headers[LOCATION].to_str().unwrap(),
        format!("/ho-so/{id}")
    );
    let r = v.get("/tim?q=tran+thi+binh").await;
    assert!(r.text.contains(&code), "{}", r.text);

    // The first load (page, stylesheet, script) within 150 KB compressed; later pages 50 KB.
    let queue = v.get("/mot-cua?hang=tat-ca").await;
    let css = queue
        .text
        .split("href=\"/tai-nguyen/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let js = queue
        .text
        .split("src=\"/tai-nguyen/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let first = v.gzip_size("/mot-cua?hang=tat-ca").await
        + v.gzip_size(&format!("/tai-nguyen/{css}")).await
        + v.gzip_size(&format!("/tai-nguyen/{js}")).await;
    assert!(first <= 150 * 1024, "first load {first} bytes");
    for page in [
        format!("/ho-so/{id}"),
        "/tiep-nhan?thu-tuc=1.001193".to_owned(),
        "/tim?q=tran".to_owned(),
    ] {
        let n = v.gzip_size(&page).await;
        assert!(n <= 50 * 1024, "{page}: {n} bytes");
    }
    // The assets are kept for a year by name; an old name is gone.
    let asset = v.get(&format!("/tai-nguyen/{css}")).await;
    assert!(asset.headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(v.get("/tai-nguyen/app.0000000000.css").await.status, 404);
}

#[tokio::test]
async fn api_errors_speak_vietnamese_when_asked_and_name_no_rust_types() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(format!("{}/api/v1/stats/report?to=2025-01-01", app.base))
        .header("accept-language", "vi-VN,vi;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-language"], "vi");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["title"], "Chưa xác thực");
    assert_eq!(
        body["type"], "urn:motcua:problem:unauthorized",
        "the type stays"
    );
    let admin = app.admin().await;
    // A query parameter missing or of the wrong type: named, with what it must be.
    for (query, field, en, vi) in [
        ("to=2025-01-01", "from", "is required", "là bắt buộc"),
        (
            "from=2025-01-01&to=2026-01-01&unit=abc",
            "unit",
            "must be a UUID",
            "phải là UUID",
        ),
    ] {
        let url = format!("{}/api/v1/stats/report?{query}", app.base);
        let english: serde_json::Value = app
            .client
            .get(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(english["status"], 400, "{english}");
        assert_eq!(english["errors"][0]["field"], field);
        assert_eq!(english["errors"][0]["message"], en);
        let text = english.to_string();
        assert!(
            !text.contains("deserialize") && !text.contains("Query"),
            "{text}"
        );
        let vietnamese: serde_json::Value = app
            .client
            .get(&url)
            .bearer_auth(&admin)
            .header("accept-language", "vi")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(vietnamese["title"], "Yêu cầu không hợp lệ");
        assert_eq!(vietnamese["errors"][0]["message"], vi);
    }
    // A JSON body with the wrong type: "must be a whole number", not "expected i32".
    let r = app
        .post(
            "/api/v1/calendar/days",
            Some(&admin),
            json!({"date": "2030-01-02", "kind": "holiday", "name": "X", "year": "nam"}),
        )
        .await;
    assert!(r.status == 422, "{}", r.body);
    assert!(!r.body.to_string().contains("i32"), "{}", r.body);
}

/// The number on each tab of a queue page, by its key.
fn tab_counts(html: &str, path: &str) -> Vec<(String, i64)> {
    html.split(&format!("href=\"{path}?hang="))
        .skip(1)
        .map(|part| {
            let key = part[..part.find('"').unwrap()].to_owned();
            let n = part.split("<span class=\"n\">").nth(1).unwrap();
            (key, n[..n.find('<').unwrap()].parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn queue_tabs_count_what_the_api_finds() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let clerk_pw = password(&accounts, "motcua.backan");
    let api = app.login("motcua.backan", &clerk_pw).await;
    // Today's intake beside the demo's months of work in every state.
    desk_dossier(&app, &api, "Lò Văn Tươi").await;
    let returned_today = desk_dossier(&app, &api, "Hà Thị Hiền").await;
    let r = app
        .post(
            &format!("/api/v1/dossiers/{returned_today}/withdraw"),
            Some(&api),
            json!({"note": "Người nộp rút"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut v = Visitor::new(&app);
    v.sign_in("motcua.backan", &clerk_pw).await;
    let today = motcua::calendar::model::local_today();
    // Each tab is the API's queue with these filters; the page counts them in one read.
    let filters = [
        ("cho-tiep-nhan", "state=submitted".to_owned()),
        ("hom-nay", format!("state=all&received_on={today}")),
        ("cho-bo-sung", "state=supplement_requested".to_owned()),
        ("sap-den-han", "due_within_days=2".to_owned()),
        ("qua-han", "overdue=true".to_owned()),
        ("tra-ket-qua", "state=resolved".to_owned()),
        ("tat-ca", String::new()),
    ];
    let mut nonzero = 0;
    for chosen in ["cho-tiep-nhan", "tat-ca"] {
        let page = v.get(&format!("/mot-cua?hang={chosen}")).await;
        assert_eq!(page.status, 200);
        let tabs = tab_counts(&page.text, "/mot-cua");
        assert_eq!(tabs.len(), filters.len(), "{tabs:?}");
        for ((key, shown), (expected_key, query)) in tabs.iter().zip(&filters) {
            assert_eq!(key, expected_key);
            let total = app
                .get(&format!("/api/v1/dossiers?{query}"), Some(&api))
                .await
                .body["total"]
                .as_i64()
                .unwrap();
            assert_eq!(*shown, total, "tab {key} (chosen {chosen})");
            nonzero += usize::from(total > 0);
        }
    }
    // The demo and today's work make most tabs non-empty: the comparison means something.
    assert!(nonzero >= 8, "{nonzero} non-empty tab counts");
}

/// Every value of the hidden or ticked `name` fields of a page, in order.
fn values(html: &str, name: &str) -> Vec<String> {
    let key = format!("name=\"{name}\" value=\"");
    html.match_indices(&key)
        .map(|(at, _)| {
            let rest = &html[at + key.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// A form posted twice, three times, or three times at once with its one-time token acts
/// once: every repeat gets the first answer (the 303 to the receipt), no second dossier and
/// no error page. A new rendering of the form carries a new token and files a new dossier.
#[tokio::test]
async fn a_form_posted_again_acts_once() {
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let admin = app.demo_login(&accounts, "admin").await;
    let count = || async {
        app.get("/api/v1/dossiers?state=all&per_page=1", Some(&admin))
            .await
            .body["total"]
            .as_i64()
            .unwrap()
    };
    let mut v = Visitor::new(&app);
    v.sign_in("motcua.backan", &password(&accounts, "motcua.backan"))
        .await;
    let fresh_form = |text: &str| {
        let mut form: Vec<(String, String)> = vec![
            ("_csrf".into(), field(text, "_csrf")),
            ("_once".into(), field(text, "_once")),
            ("procedure_code".into(), "1.001193".into()),
            ("name".into(), "Nguyễn Thị Lan".into()),
            ("channel".into(), "desk".into()),
        ];
        for d in values(text, "documents") {
            form.push(("documents".into(), d));
        }
        form
    };
    let before = count().await;
    let page = v.get("/tiep-nhan?thu-tuc=1.001193").await;
    assert_eq!(page.status, 200);
    let form = fresh_form(&page.text);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let r = v.post("/tiep-nhan", &pairs, None).await;
        assert_eq!(r.status, 303, "{}", r.text);
        answers.push(r.headers[LOCATION].to_str().unwrap().to_owned());
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(count().await, before + 1, "three posts, one dossier");

    // Three at once (a double click on a slow link): one dossier, one answer.
    let page = v.get("/tiep-nhan?thu-tuc=1.001193").await;
    let form = fresh_form(&page.text);
    let cookie = v.cookie_header();
    let post = || {
        let (client, url, cookie, form) = (
            v.client.clone(),
            format!("{}/tiep-nhan", app.base),
            cookie.clone(),
            form.clone(),
        );
        async move {
            let r = client
                .post(url)
                .header(COOKIE, cookie)
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.headers()[LOCATION].to_str().unwrap().to_owned(),
            )
        }
    };
    let (a, b, c) = tokio::join!(post(), post(), post());
    assert_eq!((a.0, b.0, c.0), (303, 303, 303));
    assert!(a.1 == b.1 && b.1 == c.1, "{a:?} {b:?} {c:?}");
    assert_ne!(a.1, answers[0]);
    assert_eq!(count().await, before + 2);

    // An action posted twice is taken once: one event, the same answer.
    let id =
        a.1.trim_start_matches("/ho-so/")
            .split(['/', '?'])
            .next()
            .unwrap()
            .to_owned();
    let page = v.get(&format!("/ho-so/{id}")).await;
    assert_eq!(page.status, 200, "{}", a.1);
    let history = |id: String| {
        let (app, admin) = (&app, &admin);
        async move {
            app.get(&format!("/api/v1/dossiers/{id}"), Some(admin))
                .await
                .body["history"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    let events = history(id.clone()).await;
    let assign = format!("/ho-so/{id}/xu-ly/assign");
    let at = page.text.find(&format!("action=\"{assign}\"")).unwrap();
    let form = &page.text[at..];
    let act = [
        ("_csrf", field(form, "_csrf")),
        ("_once", field(form, "_once")),
        ("expected_version", field(form, "expected_version")),
    ];
    let act: Vec<(&str, &str)> = act.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = v.post(&assign, &act, None).await;
    let again = v.post(&assign, &act, None).await;
    assert_eq!((first.status, again.status), (303, 303), "{}", again.text);
    assert_eq!(first.headers[LOCATION], again.headers[LOCATION]);
    assert_eq!(history(id).await, events + 1);

    // A token that is not one of ours is refused, naming the field.
    let mut bad = pairs.clone();
    bad[1].1 = "not-a-token";
    let r = v.post("/tiep-nhan", &bad, None).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

/// On an inter-level procedure the step after the commune's intake is the district's: the
/// dossier page offers the district's staff as the assignee, not the commune's.
#[tokio::test]
async fn the_assignee_picker_offers_the_next_steps_unit() {
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
    let (district_officer, _) = app
        .staff(&admin, "chuyenvien.chodon", "officer", Some(&district))
        .await;
    let (commune_officer, _) = app
        .staff(&admin, "chuyenvien.banglung", "officer", Some(&commune))
        .await;
    let spec = json!({
        "code": "2.000001", "name": "Thủ tục liên thông thử nghiệm", "field": "Đất đai", "levels": ["commune", "district"],
        "agency": "UBND cấp huyện", "processing_days": 5, "processing_note": null, "fees": [],
        "required_documents": [{"name": "Đơn đề nghị", "mandatory": true}], "online_level": "partial", "supplement_policy": "pause",
        "steps": [
            {"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
            {"name": "Thẩm định", "role": "officer", "unit_level": "district", "share_percent": 60},
            {"name": "Trả kết quả", "role": "clerk", "unit_level": "commune", "share_percent": 30}
        ],
        "source": null
    });
    assert_eq!(
        app.post("/api/v1/procedures", Some(&admin), spec)
            .await
            .status,
        201
    );
    let r = app
        .post(
            "/api/v1/dossiers/intake",
            Some(&clerk),
            json!({"procedure_code": "2.000001", "channel": "desk", "applicant": {"name": "Hà Văn Liên"}, "documents": [0]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let mut v = Visitor::new(&app);
    v.sign_in("motcua.banglung", "motcua.banglung-mat-khau-1")
        .await;
    let page = v.get(&format!("/ho-so/{id}")).await;
    assert_eq!(page.status, 200);
    let at = page
        .text
        .find(&format!("action=\"/ho-so/{id}/xu-ly/assign\""))
        .expect("the clerk may assign it");
    let form = &page.text[at..at + page.text[at..].find("</form>").unwrap()];
    assert!(
        form.contains(&format!("value=\"{district_officer}\"")),
        "{form}"
    );
    assert!(
        !form.contains(&format!("value=\"{commune_officer}\"")),
        "{form}"
    );
}
