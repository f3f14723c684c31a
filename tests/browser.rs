//! The web client's journeys in a real browser: Debian's chromium, driven through
//! chromedriver (WebDriver), against the real server on a random port. Each journey asserts
//! what the page shows. Without chromium and chromedriver the journeys are skipped with one
//! line saying how to install them (`apt-get install -y chromium chromium-driver`), unless
//! `MOTCUA_REQUIRE_BROWSER=1` (as `.ci/run` sets it): then they fail.
//!
//! `MOTCUA_SCREENSHOTS=DIR` also saves the pages the README describes as PNG files in DIR
//! (`scripts/screenshots`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// chromedriver on a free port, stopped on drop.
struct Driver {
    child: Child,
    url: String,
    _profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(env: &str, names: &[&str]) -> Option<String> {
    // A path given that names no file is a missing program (as on a machine without it).
    if let Ok(p) = std::env::var(env) {
        return std::path::Path::new(&p).is_file().then_some(p);
    }
    let path = std::env::var("PATH").unwrap_or_default();
    for name in names {
        for dir in path.split(':').chain(["/usr/bin", "/usr/lib/chromium"]) {
            let candidate = std::path::Path::new(dir).join(name);
            if candidate.is_file() {
                return Some(candidate.display().to_string());
            }
        }
    }
    None
}

const MISSING: &str = "the browser journeys need Debian's chromium and chromium-driver: \
apt-get install -y chromium chromium-driver (or set CHROMIUM and CHROMEDRIVER to their paths)";

impl Driver {
    /// chromedriver, or `None` (the journeys skipped, said in one line) where chromium or
    /// chromedriver is missing and `MOTCUA_REQUIRE_BROWSER` is not set.
    async fn start() -> Option<Driver> {
        let found = (
            find_program("CHROMEDRIVER", &["chromedriver"]),
            find_program("CHROMIUM", &["chromium", "chromium-browser"]),
        );
        let (Some(driver), Some(_)) = found else {
            if std::env::var_os("MOTCUA_REQUIRE_BROWSER").is_some_and(|v| v != "0") {
                panic!("{MISSING}");
            }
            // Straight to the terminal (the test harness keeps a passing test's prints), once
            // for all the journeys.
            static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if !SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "skipped: {MISSING}");
            }
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver}: {e}; {MISSING}"));
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(Driver {
            child,
            url,
            _profiles: tempfile::tempdir().unwrap(),
        })
    }

    /// A new browser, with a profile of its own (its own cookies).
    async fn browser(&self) -> Client {
        let profile = tempfile::tempdir_in(self._profiles.path()).unwrap().keep();
        let chromium = find_program("CHROMIUM", &["chromium", "chromium-browser"]).expect(MISSING);
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    "--lang=vi", format!("--user-data-dir={}", profile.display())
                ]
            }
        });
        let caps: serde_json::Map<String, Value> = serde_json::from_value(caps).unwrap();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromium did not start: {e}; {MISSING}"))
    }
}

/// One person at the browser.
struct Person {
    c: Client,
    base: String,
}

impl Person {
    async fn open(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Where the browser is, and what it shows (for a failure's message).
    async fn here(&self) -> String {
        let url = self
            .c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let body = match self.c.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        format!("{url}\n{body}")
    }

    async fn wait_for(&self, locator: Locator<'_>, what: &str) -> fantoccini::elements::Element {
        match self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(locator)
            .await
        {
            Ok(el) => el,
            Err(e) => panic!("no {what} ({e}) on {}", self.here().await),
        }
    }

    async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            match self.wait_for(Locator::Css(css), css).await.text().await {
                Ok(t) => return t,
                // Found on the page that was just left: look again on the new one.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("`{css}` kept going stale on {}", self.here().await)
    }

    /// Clicks `el`, which leaves the page, and waits for the next page to be there.
    async fn click_away(&self, el: fantoccini::elements::Element) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        el.click().await.unwrap();
        for _ in 0..100 {
            if old.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the click left no page: {}", self.here().await)
    }

    async fn body(&self) -> String {
        self.text("body").await
    }

    async fn fill(&self, name: &str, value: &str) {
        let el = self
            .c
            .find(Locator::Css(&format!("[name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("no field {name}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    async fn sign_in(&self, username: &str, password: &str) {
        self.open("/dang-nhap").await;
        self.fill("username", username).await;
        self.fill("password", password).await;
        self.click_button("Đăng nhập").await;
        // Signed in: the header names the person.
        self.text("header .who").await;
    }

    async fn sign_out(&self) {
        self.click_button("Đăng xuất").await;
        self.text("input[name=username]").await;
    }

    async fn click_button(&self, label: &str) {
        let xpath = format!("//button[normalize-space()='{label}']");
        let el = self.wait_for(Locator::XPath(&xpath), label).await;
        self.click_away(el).await;
    }

    async fn click_link(&self, label: &str) {
        let xpath = format!("//a[contains(normalize-space(), '{label}')]");
        let el = self.wait_for(Locator::XPath(&xpath), label).await;
        self.click_away(el).await;
    }

    async fn click_exact_link(&self, label: &str) {
        let xpath = format!("//a[normalize-space()='{label}']");
        let el = self.wait_for(Locator::XPath(&xpath), label).await;
        self.click_away(el).await;
    }

    async fn buttons(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in self
            .c
            .find_all(Locator::Css(".actions button"))
            .await
            .unwrap()
        {
            out.push(b.text().await.unwrap());
        }
        out
    }

    /// Takes the action whose button reads `label`, with `note` in its text box if it has one.
    async fn act(&self, label: &str, note: &str) {
        let xpath = format!("//form[.//button[normalize-space()='{label}']]");
        let form = self.wait_for(Locator::XPath(&xpath), label).await;
        if let Ok(t) = form.find(Locator::Css("textarea")).await {
            t.send_keys(note).await.unwrap();
        }
        let button = form.find(Locator::XPath(".//button")).await.unwrap();
        self.click_away(button).await;
    }

    async fn state(&self) -> String {
        self.text("h1 .badge").await
    }

    /// Fetches `path` from the page (with its session), answering status, type and size.
    async fn fetch(&self, path: &str) -> (u64, String, u64, String) {
        let v = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0]).then(async r => {
                   const b = new Uint8Array(await r.arrayBuffer());
                   done([r.status, r.headers.get('content-type') || '', b.length,
                         String.fromCharCode(...b.slice(0, 2)), r.headers.get('content-disposition') || '']);
                 });",
                vec![json!(path)],
            )
            .await
            .unwrap();
        let a = v.as_array().unwrap();
        (
            a[0].as_u64().unwrap(),
            a[1].as_str().unwrap().to_owned(),
            a[2].as_u64().unwrap(),
            format!("{}|{}", a[3].as_str().unwrap(), a[4].as_str().unwrap()),
        )
    }

    async fn shot(&self, name: &str) {
        if let Ok(dir) = std::env::var("MOTCUA_SCREENSHOTS") {
            let png = self.c.screenshot().await.unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }
}

fn password(accounts: &[motcua::demo::DemoAccount], username: &str) -> String {
    accounts
        .iter()
        .find(|a| a.username == username)
        .unwrap_or_else(|| panic!("no demo account {username}"))
        .password
        .clone()
}

/// The code in the dossier page's heading: "Hồ sơ {code} {state}".
async fn code_on_page(p: &Person) -> String {
    let h = p.text("h1").await;
    h.trim_start_matches("Hồ sơ ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_client_in_a_real_browser() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let person = |c: Client| Person {
        c,
        base: app.base.clone(),
    };
    let clerk = person(driver.browser().await);
    let officer = person(driver.browser().await);
    let approver = person(driver.browser().await);
    let citizen = person(driver.browser().await);
    clerk
        .sign_in("motcua.backan", &password(&accounts, "motcua.backan"))
        .await;
    officer
        .sign_in(
            "chuyenvien.backan",
            &password(&accounts, "chuyenvien.backan"),
        )
        .await;
    approver
        .sign_in("lanhdao.backan", &password(&accounts, "lanhdao.backan"))
        .await;

    // ---- Clerk: desk intake → receipt printed.
    clerk.open("/mot-cua").await;
    assert!(clerk.body().await.contains("Quá hạn"));
    clerk.open("/tiep-nhan?q=dang+ky+khai+sinh").await;
    clerk.click_exact_link("Thủ tục đăng ký khai sinh").await;
    let due = clerk.text("#due").await;
    assert!(
        due.contains("ngày") && due.contains("năm"),
        "due date shown before confirming: {due}"
    );
    assert!(clerk.text("#fees").await.contains("Miễn phí"));
    clerk.fill("name", "Nguyễn Thị Ưng Hơn").await;
    clerk.fill("citizen_id", "006095001234").await;
    clerk.fill("phone", "0987 650 124").await;
    clerk.fill("address", "Tổ 5, phường Bắc Kạn").await;
    for b in clerk
        .c
        .find_all(Locator::Css("input[name=documents]"))
        .await
        .unwrap()
    {
        b.click().await.unwrap();
    }
    // The first document came as one original and two copies (the others: one original).
    clerk.fill("copies", "2").await;
    clerk.shot("2-tiep-nhan").await;
    clerk.click_button("Tiếp nhận và cấp giấy hẹn").await;
    assert_eq!(clerk.state().await, "Đã tiếp nhận");
    let desk_code = code_on_page(&clerk).await;
    let desk_dossier = clerk.c.current_url().await.unwrap().path().to_owned();
    // The receipt opens in a new tab, with the session.
    let tabs = clerk.c.windows().await.unwrap();
    clerk
        .c
        .find(Locator::XPath(
            "//a[normalize-space()='Giấy tiếp nhận (Mẫu 01)']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut receipt_tab = None;
    for _ in 0..50 {
        let now = clerk.c.windows().await.unwrap();
        if let Some(w) = now.into_iter().find(|w| !tabs.contains(w)) {
            receipt_tab = Some(w);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    clerk
        .c
        .switch_to_window(receipt_tab.expect("the receipt opens in a new tab"))
        .await
        .unwrap();
    let receipt = clerk.body().await;
    for expected in [
        "UBND PHƯỜNG BẮC KẠN",
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Nguyễn Thị Ưng Hơn",
        "Tổ 5, phường Bắc Kạn",
        "006095001234",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Số lượng",
        "01 bản chính, 02 bản sao",
        desk_code.as_str(),
    ] {
        assert!(
            receipt.contains(expected),
            "the receipt shows {expected}:\n{receipt}"
        );
    }
    assert!(
        clerk.c.find(Locator::Css(".qr svg")).await.is_ok(),
        "a QR code"
    );
    clerk.shot("5-mau-01").await;
    clerk.c.close_window().await.unwrap();
    clerk.c.switch_to_window(tabs[0].clone()).await.unwrap();

    // ---- Citizen: file online with an upload, then track by code without signing in.
    citizen
        .sign_in("006095001234", &password(&accounts, "006095001234"))
        .await;
    citizen.open("/thu-tuc?q=dang+ky+khai+sinh").await;
    citizen.click_exact_link("Thủ tục đăng ký khai sinh").await;
    citizen
        .c
        .find(Locator::XPath(
            "//select[@name='unit_id']/option[normalize-space()='Phường Bắc Kạn']",
        ))
        .await
        .expect("the citizen's commune is offered")
        .click()
        .await
        .unwrap();
    citizen.click_button("Nộp hồ sơ").await;
    assert_eq!(citizen.state().await, "Mới nộp trực tuyến");
    let code = code_on_page(&citizen).await;
    let online_dossier = citizen.c.current_url().await.unwrap().path().to_owned();
    let scan = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(
        scan.path(),
        b"%PDF-1.4\n% giay chung sinh\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    )
    .unwrap();
    citizen
        .c
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(&scan.path().display().to_string())
        .await
        .unwrap();
    citizen.click_button("Tải lên").await;
    let name = scan
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(!citizen.text(".doclist").await.is_empty());
    assert!(citizen.body().await.contains(&name), "the upload is listed");
    // A foreign dossier's page answers 404: the desk's dossier is not the citizen's.
    citizen.open(&desk_dossier).await;
    assert!(citizen.text("h1").await.contains("Không tìm thấy"));
    assert_eq!(citizen.fetch(&desk_dossier).await.0, 404);
    citizen.sign_out().await;
    citizen.open(&format!("/tra-cuu?ma={code}")).await;
    assert_eq!(citizen.text("#state").await, "Mới nộp trực tuyến");
    assert!(
        !citizen.body().await.contains("006095001234"),
        "tracking shows no ID number"
    );

    // ---- Clerk and officer: received → supplement → processing → approval → returned.
    clerk.open("/mot-cua?hang=tat-ca").await;
    let rows = clerk
        .c
        .find_all(Locator::Css("table.dossiers tbody tr"))
        .await
        .unwrap();
    assert!(
        rows.len() >= 9,
        "the demo's open dossiers, the desk's and the online one"
    );
    // Rows are coloured by the share of working time used; the demo has overdue ones.
    assert!(!clerk
        .c
        .find_all(Locator::Css("tr.red"))
        .await
        .unwrap()
        .is_empty());
    clerk.shot("1-hang-doi-mot-cua").await;
    clerk.open("/mot-cua?hang=cho-tiep-nhan").await;
    assert!(clerk.text("table.dossiers").await.contains("Trực tuyến"));
    clerk.click_link(&code).await;
    clerk.act("Tiếp nhận", "").await;
    assert_eq!(clerk.state().await, "Đã tiếp nhận");
    // The assignee is chosen from the unit's staff, by name.
    let option = clerk
        .c
        .find(Locator::XPath(
            "//select[@name='assignee_id']/option[contains(., 'Chuyên viên phường Bắc Kạn (Chuyên viên)')]",
        ))
        .await
        .expect("the officer is offered as assignee");
    option.click().await.unwrap();
    clerk.act("Phân công", "").await;
    assert_eq!(clerk.state().await, "Đang giải quyết");

    officer.open("/viec-cua-toi").await;
    officer.click_link(&code).await;
    officer.shot("3-trang-ho-so").await;
    officer
        .act("Yêu cầu bổ sung", "Bổ sung bản chính Giấy chứng sinh.")
        .await;
    assert_eq!(officer.state().await, "Chờ bổ sung");
    assert!(officer.body().await.contains("Yêu cầu bổ sung (Mẫu 02)"));

    clerk.open(&online_dossier).await;
    clerk.act("Đã bổ sung", "").await;
    assert_eq!(clerk.state().await, "Đang giải quyết");

    officer.open(&online_dossier).await;
    let offered = officer.buttons().await;
    let next = ["Trình phê duyệt", "Chuyển bước tiếp"]
        .into_iter()
        .find(|b| offered.iter().any(|o| o == b))
        .unwrap_or_else(|| panic!("the officer can move it on: {offered:?}"));
    officer.act(next, "Đủ điều kiện.").await;
    assert_eq!(officer.state().await, "Chờ phê duyệt");

    approver.open("/viec-cua-toi?hang=cho-phe-duyet").await;
    approver.click_link(&code).await;
    approver.act("Phê duyệt", "").await;
    assert_eq!(approver.state().await, "Đã có kết quả");

    clerk.open("/mot-cua?hang=tra-ket-qua").await;
    clerk.click_link(&code).await;
    clerk.act("Trả kết quả", "").await;
    assert_eq!(clerk.state().await, "Đã trả kết quả");
    // The process-control slip: a row per hand-over.
    clerk.open(&format!("{online_dossier}/in/mau-06")).await;
    let rows = clerk
        .c
        .find_all(Locator::Css("table.slip tbody tr"))
        .await
        .unwrap();
    assert!(rows.len() >= 5, "a row per hand-over, {} rows", rows.len());
    assert!(clerk
        .body()
        .await
        .contains("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"));
    clerk.shot("6-mau-06").await;

    // ---- A CSRF attempt is refused: a page elsewhere posts to a dossier's action.
    let api = app.login("admin", &password(&accounts, "admin")).await;
    let version_before = dossier_state(&app, &api, &desk_dossier).await;
    clerk
        .c
        .goto(&format!(
            "data:text/html,<form method=post action='{}{desk_dossier}/xu-ly/withdraw'><input name=note value=x></form><script>document.forms[0].submit()</script>",
            app.base
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let after = clerk.body().await;
    assert!(
        after.contains("Yêu cầu bị từ chối") || after.contains("Đăng nhập"),
        "the forged post is refused: {after}"
    );
    assert_eq!(
        dossier_state(&app, &api, &desk_dossier).await,
        version_before,
        "nothing changed"
    );

    // ---- Supervisor: drill-down from the province to a commune, then an XLSX download.
    let sup = person(driver.browser().await);
    sup.sign_in("giamsat.tinh", &password(&accounts, "giamsat.tinh"))
        .await;
    assert!(sup.text("h1").await.contains("Tỉnh Thái Nguyên"));
    sup.open("/thong-ke?ky=nam").await;
    assert!(sup.text("#period").await.starts_with("Năm "));
    sup.shot("4-thong-ke").await;
    sup.click_link("Phường Bắc Kạn").await;
    assert!(sup.text("h1").await.contains("Phường Bắc Kạn"));
    assert!(sup.text(".crumbs").await.contains("Tỉnh Thái Nguyên"));
    let link = sup
        .c
        .find(Locator::XPath("//a[normalize-space()='Báo cáo XLSX']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (status, kind, size, rest) = sup.fetch(&link).await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    assert!(
        size > 1000 && rest.starts_with("PK"),
        "an XLSX (zip) file: {rest}"
    );
    assert!(rest.contains(".xlsx"), "{rest}");

    // ---- Admin: a reorganisation's dry run.
    let admin = person(driver.browser().await);
    admin.sign_in("admin", &password(&accounts, "admin")).await;
    admin.open("/quan-tri/sap-xep").await;
    admin.fill("name", "Nghị quyết thử nghiệm").await;
    admin
        .c
        .execute(
            "document.querySelector('[name=effective_from]').value = '2027-01-01';",
            vec![],
        )
        .await
        .unwrap();
    admin
        .c
        .find(Locator::XPath(
            "//label[contains(., 'Xã Phong Quang')]/input",
        ))
        .await
        .expect("a commune to retire")
        .click()
        .await
        .unwrap();
    admin
        .c
        .find(Locator::XPath(
            "//select[@name='successor']/option[starts-with(normalize-space(), 'Phường Bắc Kạn')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    admin.click_button("Chạy thử (không thay đổi gì)").await;
    let outcome = admin.text("#outcome").await;
    assert!(outcome.starts_with("Chạy thử"), "{outcome}");
    assert!(outcome.contains("1 đơn vị thôi tồn tại"), "{outcome}");

    for p in [clerk, officer, approver, citizen, sup, admin] {
        p.c.close().await.unwrap();
    }
}

/// The dossier's state and version, read from the database's point of view (the API).
async fn dossier_state(app: &TestApp, token: &str, page: &str) -> (String, i64) {
    let id = page.trim_start_matches("/ho-so/");
    let r = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(token))
        .await;
    (
        r.body["dossier"]["state"].as_str().unwrap_or("").to_owned(),
        r.body["dossier"]["version"].as_i64().unwrap_or(0),
    )
}

/// A clerk whose session ended while typing gets the intake form back as it was filled after
/// signing in again; a form posted twice (a double click, bypassing the page's script) files
/// one dossier and both posts land on it.
#[tokio::test]
async fn a_form_survives_a_lost_session_and_acts_once() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let clerk = Person {
        c: driver.browser().await,
        base: app.base.clone(),
    };
    let pw = password(&accounts, "motcua.backan");
    clerk.sign_in("motcua.backan", &pw).await;
    let form_page = "/tiep-nhan?thu-tuc=1.001193";
    clerk.open(form_page).await;
    clerk.fill("name", "Đỗ Thị Phiên").await;
    clerk.fill("citizen_id", "006095001299").await;
    clerk.fill("address", "Tổ 7, phường Bắc Kạn").await;
    for b in clerk
        .c
        .find_all(Locator::Css("input[name=documents]"))
        .await
        .unwrap()
    {
        b.click().await.unwrap();
    }
    clerk.fill("copies", "3").await;
    // The session ends (signed out elsewhere, expired): the post goes to the sign-in page.
    clerk.c.delete_cookie("motcua_phien").await.unwrap();
    clerk.click_button("Tiếp nhận và cấp giấy hẹn").await;
    let note = clerk.text("[data-held-note]").await;
    assert!(note.contains("khôi phục"), "{note}");
    clerk.fill("username", "motcua.backan").await;
    clerk.fill("password", &pw).await;
    clerk.click_button("Đăng nhập").await;
    // Back on the form, as it was filled.
    let restored = clerk.text("#restored").await;
    assert!(restored.contains("Đã khôi phục"), "{restored}");
    let url = clerk.c.current_url().await.unwrap();
    assert_eq!(
        format!("{}?{}", url.path(), url.query().unwrap_or("")),
        form_page
    );
    let value = |name: &'static str| {
        let c = clerk.c.clone();
        async move {
            c.find(Locator::Css(&format!("[name='{name}']")))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(value("name").await, "Đỗ Thị Phiên");
    assert_eq!(value("citizen_id").await, "006095001299");
    assert_eq!(value("copies").await, "3");
    let ticked = clerk
        .c
        .execute(
            "return document.querySelectorAll('input[name=documents]:checked').length",
            vec![],
        )
        .await
        .unwrap();
    assert!(ticked.as_u64().unwrap() > 0, "the documents stay ticked");
    // Posted twice at once, past the page's own guard: one dossier, both land on it.
    let landed = clerk
        .c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const f = document.querySelector('form[action=\"/tiep-nhan\"]');
             const body = () => new URLSearchParams(new FormData(f));
             Promise.all([fetch(f.action, {method: 'POST', body: body()}),
                          fetch(f.action, {method: 'POST', body: body()})])
               .then(rs => done(rs.map(r => new URL(r.url).pathname + ' ' + r.status)));",
            vec![],
        )
        .await
        .unwrap();
    let landed: Vec<String> = serde_json::from_value(landed).unwrap();
    assert_eq!(landed.len(), 2);
    assert_eq!(landed[0], landed[1], "{landed:?}");
    assert!(
        landed[0].starts_with("/ho-so/") && landed[0].ends_with(" 200"),
        "{landed:?}"
    );
    let admin = app.demo_login(&accounts, "admin").await;
    let found = app
        .get(
            "/api/v1/dossiers?state=all&q=do%20thi%20phien",
            Some(&admin),
        )
        .await;
    assert_eq!(found.body["total"], 1, "{}", found.body);
    // A real double click: the second click does nothing, and the page shows the dossier.
    clerk.open(form_page).await;
    clerk.fill("name", "Đỗ Thị Phiên").await;
    for b in clerk
        .c
        .find_all(Locator::Css("input[name=documents]"))
        .await
        .unwrap()
    {
        b.click().await.unwrap();
    }
    clerk
        .c
        .execute(
            "const b = document.querySelector('form[action=\"/tiep-nhan\"] button[type=submit]');
             b.click(); b.click();",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(clerk.state().await, "Đã tiếp nhận");
    let found = app
        .get(
            "/api/v1/dossiers?state=all&q=do%20thi%20phien",
            Some(&admin),
        )
        .await;
    assert_eq!(found.body["total"], 2, "one more, not two: {}", found.body);
}

/// axe-core's WCAG 2.1 A and AA rules on the page the browser shows: the serious and critical
/// violations, one line each ("rule: target …"). `None` without axe-core (`scripts/axe`).
async fn axe_violations(p: &Person) -> Option<Vec<String>> {
    static AXE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let source = AXE.get_or_init(|| {
        let path = std::env::var("MOTCUA_AXE").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/target/axe/axe.min.js").to_owned()
        });
        std::fs::read_to_string(path).ok()
    });
    let source = source.as_ref()?;
    p.c.execute(source, vec![]).await.unwrap();
    let found = p
        .c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    Some(serde_json::from_value(found).unwrap())
}

/// Whether the page needs horizontal scrolling at the window's width.
async fn scrolls_sideways(p: &Person) -> bool {
    p.c.execute(
        "return document.documentElement.scrollWidth > window.innerWidth + 1",
        vec![],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

/// Every page of every role passes axe-core's WCAG 2.1 AA rules without a serious or critical
/// violation (forms with errors and error pages included), and none needs horizontal scrolling:
/// staff pages at 1024×768, the citizen's at 360 px wide.
#[tokio::test]
async fn every_page_passes_wcag_21_aa_and_fits_the_screen() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let admin_api = app.demo_login(&accounts, "admin").await;
    let listed = app
        .get("/api/v1/dossiers?state=all&per_page=1", Some(&admin_api))
        .await;
    let dossier = listed.body["items"][0]["id"].as_str().unwrap().to_owned();
    let code = listed.body["items"][0]["code"].as_str().unwrap().to_owned();
    let person = |c: Client| Person {
        c,
        base: app.base.clone(),
    };
    let public = [
        "/".to_owned(),
        "/dang-nhap".to_owned(),
        "/thu-tuc?q=khai+sinh".to_owned(),
        "/thu-tuc/1.001193".to_owned(),
        "/tra-cuu".to_owned(),
        format!("/tra-cuu?ma={code}"),
        "/khong-co-trang-nay".to_owned(),
    ];
    let staff: [(&str, Vec<String>); 5] = [
        (
            "motcua.backan",
            vec![
                "/mot-cua".to_owned(),
                "/mot-cua?hang=tat-ca".to_owned(),
                "/tiep-nhan?q=khai+sinh".to_owned(),
                "/tiep-nhan?thu-tuc=1.001193".to_owned(),
                format!("/ho-so/{dossier}"),
                format!("/ho-so/{dossier}/in/mau-01"),
                "/tim?q=tran".to_owned(),
            ],
        ),
        ("chuyenvien.backan", vec!["/viec-cua-toi".to_owned()]),
        (
            "lanhdao.backan",
            vec!["/viec-cua-toi?hang=cho-phe-duyet".to_owned()],
        ),
        (
            "giamsat.tinh",
            vec![
                "/thong-ke".to_owned(),
                "/thong-ke?ky=nam".to_owned(),
                "/thong-ke?ky=quy&so=5".to_owned(),
            ],
        ),
        (
            "admin",
            vec![
                "/quan-tri".to_owned(),
                "/quan-tri/tai-khoan".to_owned(),
                "/quan-tri/sap-xep".to_owned(),
            ],
        ),
    ];
    let mut faults: Vec<String> = Vec::new();
    let mut checked = 0;
    let mut visit = Vec::new();
    let anonymous = person(driver.browser().await);
    anonymous.c.set_window_size(360, 740).await.unwrap();
    for path in &public {
        visit.push((None, path.clone(), 360));
    }
    let citizen_paths = ["/cua-toi".to_owned(), "/thu-tuc/1.001193".to_owned()];
    for path in citizen_paths.iter() {
        visit.push((Some("006095001234"), path.clone(), 360));
    }
    for (who, paths) in &staff {
        for path in paths {
            visit.push((Some(*who), path.clone(), 1024));
        }
    }
    let mut signed: Vec<(Option<&str>, Person)> = vec![(None, anonymous)];
    for (who, path, width) in visit {
        if !signed.iter().any(|(w, _)| *w == who) {
            let p = person(driver.browser().await);
            p.c.set_window_size(width, 768).await.unwrap();
            if let Some(name) = who {
                p.sign_in(name, &password(&accounts, name)).await;
            }
            signed.push((who, p));
        }
        let p = &signed.iter().find(|(w, _)| *w == who).unwrap().1;
        p.open(&path).await;
        let label = format!("{} {path}", who.unwrap_or("anonymous"));
        match axe_violations(p).await {
            Some(v) => faults.extend(v.into_iter().map(|v| format!("{label}: {v}"))),
            None => {
                if std::env::var_os("MOTCUA_REQUIRE_BROWSER").is_some_and(|v| v != "0") {
                    panic!("axe-core is missing: run scripts/axe");
                }
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: the accessibility checks need axe-core: scripts/axe"
                );
                return;
            }
        }
        if scrolls_sideways(p).await {
            faults.push(format!("{label}: needs horizontal scrolling at {width} px"));
        }
        checked += 1;
    }
    for (_, p) in signed {
        p.c.close().await.unwrap();
    }
    assert!(checked > 20, "{checked}");
    assert!(
        faults.is_empty(),
        "{} faults:\n{}",
        faults.len(),
        faults.join("\n")
    );
}

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";
const SPACE: &str = "\u{e00d}";

/// The focused element: its id, name, type and whether its focus shows (an outline).
async fn focused(p: &Person) -> (String, String, String, bool) {
    let v =
        p.c.execute(
            "const e = document.activeElement; const s = getComputedStyle(e);
             return [e.id || '', e.getAttribute('name') || e.tagName.toLowerCase(), e.type || '',
                     s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];",
            vec![],
        )
        .await
        .unwrap();
    (
        v[0].as_str().unwrap().to_owned(),
        v[1].as_str().unwrap().to_owned(),
        v[2].as_str().unwrap().to_owned(),
        v[3].as_bool().unwrap(),
    )
}

/// Presses `keys` where the focus is.
async fn press(p: &Person, keys: &str) {
    p.c.active_element()
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

/// Tabs on until the focus is on the element `id` (or named `name`), each stop showing its
/// focus; fails after 60 stops.
async fn tab_to(p: &Person, want: &str) {
    for _ in 0..60 {
        press(p, TAB).await;
        let (id, name, _, shows) = focused(p).await;
        assert!(
            shows,
            "focus on {id} {name} is not visible on {}",
            p.here().await
        );
        if id == want || name == want {
            return;
        }
    }
    panic!("Tab never reached {want} on {}", p.here().await);
}

/// A clerk does a whole intake with the keyboard alone, with visible focus; a form sent with
/// a field missing comes back with an error summary that takes focus and links to the field;
/// a bad report filter comes back on the same form, under the signed-in header.
#[tokio::test]
async fn an_intake_by_keyboard_and_errors_that_lead_to_their_fields() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let accounts = app.load_demo().await;
    let clerk = Person {
        c: driver.browser().await,
        base: app.base.clone(),
    };
    clerk
        .sign_in("motcua.backan", &password(&accounts, "motcua.backan"))
        .await;
    clerk.open("/tiep-nhan?thu-tuc=1.001193").await;
    // Sent with an ID number too short: the summary has the focus and leads to the field.
    tab_to(&clerk, "f-name").await;
    press(&clerk, "Vũ Văn Phím").await;
    tab_to(&clerk, "f-citizen-id").await;
    press(&clerk, "00609").await;
    press(&clerk, ENTER).await;
    let summary = clerk.text("[data-error-summary]").await;
    assert!(summary.contains("Số CCCD"), "{summary}");
    if let Some(v) = axe_violations(&clerk).await {
        assert!(v.is_empty(), "the form with its errors: {v:?}");
    }
    let on = clerk
        .c
        .execute(
            "return document.activeElement.hasAttribute('data-error-summary')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(on, serde_json::json!(true), "the summary takes focus");
    tab_to(&clerk, "a").await;
    press(&clerk, ENTER).await;
    let (id, ..) = focused(&clerk).await;
    assert_eq!(id, "f-citizen-id", "the summary's link leads to the field");
    // What was typed is still there; corrected, the documents ticked, sent: all by keyboard.
    press(&clerk, "\u{e009}a\u{e000}006095001288").await;
    let mut ticked = 0;
    for _ in 0..80 {
        press(&clerk, TAB).await;
        let (_, name, kind, shows) = focused(&clerk).await;
        assert!(shows, "focus on {name} shows");
        if name == "documents" && kind == "checkbox" {
            press(&clerk, SPACE).await;
            ticked += 1;
        }
        if kind == "submit" {
            break;
        }
    }
    assert!(ticked > 0);
    let (.., kind, _) = focused(&clerk).await;
    assert_eq!(kind, "submit");
    press(&clerk, ENTER).await;
    assert_eq!(clerk.state().await, "Đã tiếp nhận");
    assert!(clerk.body().await.contains("Vũ Văn Phím"));

    // A quarter that does not exist: the same form, with the reason, under the header.
    let sup = Person {
        c: driver.browser().await,
        base: app.base.clone(),
    };
    sup.sign_in("giamsat.tinh", &password(&accounts, "giamsat.tinh"))
        .await;
    sup.open("/thong-ke?ky=quy&so=5&nam=2026").await;
    let summary = sup.text("[data-error-summary]").await;
    assert!(summary.contains("Quý phải từ 1 đến 4"), "{summary}");
    assert!(
        !summary.contains("so:"),
        "no internal field name: {summary}"
    );
    sup.text("header .who").await;
    assert_eq!(sup.text("#e-so").await, "Quý phải từ 1 đến 4");
    // Dates typed as dd/mm/yyyy whatever the browser's language; a malformed one is named.
    sup.open("/thong-ke?ky=tuy-chon&tu=01/11/2026&den=31-11-2026")
        .await;
    assert!(sup.text("#e-den").await.contains("ngày/tháng/năm"));
    sup.open("/thong-ke?ky=tuy-chon&tu=01/11/2026&den=30/11/2026")
        .await;
    let period = sup.text("#period").await;
    assert_eq!(period, "Từ 01/11/2026 đến 30/11/2026");
    let shown = sup
        .c
        .find(Locator::Css("#f-den"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some("30/11/2026"));
    for p in [clerk, sup] {
        p.c.close().await.unwrap();
    }
}
