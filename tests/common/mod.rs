//! `TestApp`: the real server on a random port over a fresh database — a new SQLite file, or,
//! when `TEST_DATABASE_URL` names a PostgreSQL server, a new database on it (dropped after).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::mpsc;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use motcua::auth::password;
use motcua::config::{Config, ConfigArgs, LogFormat, ServeArgs, StoreArgs};
use motcua::db::Db;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const ADMIN_PASSWORD: &str = "Quan-tri-2026!";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub backend: &'static str,
    pub state: web::Data<motcua::state::AppState>,
    handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
    _pg: Option<ScratchPg>,
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn is_problem(&self) -> bool {
        self.content_type().starts_with("application/problem+json")
            && self.body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:motcua:problem:"))
            && self.body["status"].as_u64() == Some(u64::from(self.status))
            && self.body["detail"].is_string()
    }
}

fn config_args(dir: &std::path::Path, url: &str) -> ConfigArgs {
    ConfigArgs {
        store: StoreArgs {
            database_url: Some(url.to_owned()),
            data_dir: dir.to_path_buf(),
            log: "warn".into(),
            log_format: LogFormat::Pretty,
            db_pool_size: 8,
            documents_dir: None,
        },
        serve: ServeArgs {
            bind: "127.0.0.1:0".into(),
            jwt_secret: Some(SECRET.into()),
            workers: Some(2),
            trust_proxy: false,
            max_upload_mb: 20,
            stats_fold: true,
            request_timeout: 30,
            max_connections: 10_000,
            metrics_token: None,
        },
    }
}

/// A new, empty PostgreSQL database on the server `TEST_DATABASE_URL` names, dropped (with
/// its connections) when this guard goes; `None` when no such server is configured.
pub struct ScratchPg {
    pub url: String,
    admin_url: String,
    name: String,
}

impl ScratchPg {
    pub fn new() -> Option<ScratchPg> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))?;
        let name = format!("motcua_test_{}", Uuid::now_v7().simple());
        let mut conn =
            diesel::PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL reachable");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (head, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), None), |(h, q)| (h, Some(q)));
        let base = head.rsplit_once('/').map(|(b, _)| b).unwrap();
        let url = match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        };
        Some(ScratchPg {
            url,
            admin_url,
            name,
        })
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A fresh database for this test: a new PostgreSQL database when `TEST_DATABASE_URL` is set
/// (kept while the guard lives), else a SQLite file in `dir`.
pub fn fresh_database(dir: &std::path::Path) -> (String, Option<ScratchPg>, &'static str) {
    match ScratchPg::new() {
        Some(pg) => (pg.url.clone(), Some(pg), "postgres"),
        None => (
            format!("sqlite://{}", dir.join("test.db").display()),
            None,
            "sqlite",
        ),
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `tweak` adjusts the configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg, backend) = fresh_database(dir.path());
        let mut config = Config::from_args(&config_args(dir.path(), &url)).unwrap();
        tweak(&mut config);
        let db =
            tokio::task::spawn_blocking(move || motcua::open_db(&config).map(|db| (db, config)))
                .await
                .unwrap()
                .unwrap();
        let (db, config) = db;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = web::Data::new(motcua::state::AppState::new(&config, db.clone()));
        let server_state = state.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let state = server_state;
            actix_web::rt::System::new().block_on(async move {
                let server = motcua::app::server(state, listener, 2).unwrap();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            })
        });
        let handle = rx.recv().unwrap();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder().build().unwrap(),
            db,
            backend,
            state,
            handle,
            _dir: dir,
            _pg: pg,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.unwrap()).await
    }

    pub async fn read(res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send("POST", path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send("PATCH", path, token, Some(body)).await
    }

    pub async fn login_pair(&self, username: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self.login_pair(username, password).await;
        assert_eq!(r.status, 200, "login {username}: {}", r.body);
        r.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Inserts a global administrator straight into the database and signs in.
    pub async fn admin(&self) -> String {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let hash = password::hash(ADMIN_PASSWORD).unwrap();
            db.write_blocking(|c| {
                users::insert(
                    c,
                    NewUser {
                        username: "root",
                        role: Role::Admin,
                        unit_id: None,
                        full_name: "Quản trị",
                        password_hash: &hash,
                        citizen_id: None,
                        tax_code: None,
                        phone: None,
                        email: None,
                    },
                )
            })
            .unwrap();
        })
        .await
        .unwrap();
        self.login("root", ADMIN_PASSWORD).await
    }

    /// Creates a unit through the API and returns its id.
    pub async fn unit(
        &self,
        token: &str,
        code: &str,
        name: &str,
        kind: &str,
        parent: Option<&str>,
    ) -> String {
        let r = self
            .post(
                "/api/v1/units",
                Some(token),
                json!({"code": code, "name": name, "kind": kind, "parent_id": parent, "valid_from": "2020-01-01"}),
            )
            .await;
        assert_eq!(r.status, 201, "create unit {code}: {}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a staff account through the API, signs it in, returns (id, token).
    pub async fn staff(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        unit: Option<&str>,
    ) -> (String, String) {
        let password = format!("{username}-mat-khau-1");
        let r = self
            .post(
                "/api/v1/users",
                Some(admin),
                json!({"username": username, "full_name": format!("Cán bộ {username}"), "role": role, "unit_id": unit, "password": password}),
            )
            .await;
        assert_eq!(r.status, 201, "create user {username}: {}", r.body);
        let id = r.body["id"].as_str().unwrap().to_owned();
        (id, self.login(username, &password).await)
    }

    /// Signs in as the demo account `username` (from `load_demo`'s answer).
    pub async fn demo_login(
        &self,
        accounts: &[motcua::demo::DemoAccount],
        username: &str,
    ) -> String {
        let a = accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap_or_else(|| panic!("no demo account {username}"));
        self.login(&a.username, &a.password).await
    }

    /// Loads the demo province (both layouts, the real procedures, demo accounts).
    pub async fn load_demo(&self) -> Vec<motcua::demo::DemoAccount> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || motcua::demo::load(&db).unwrap())
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command; the server thread ends on its own. The scratch database
        // (if any) is dropped after this, with its connections.
        drop(self.handle.stop(false));
    }
}

/// A 3-level tree built through the API: province P → districts D1, D2 → communes C1 (in D1), C2 (in D2).
pub struct Tree {
    pub province: String,
    pub d1: String,
    pub d2: String,
    pub c1: String,
    pub c2: String,
}

pub async fn three_level_tree(app: &TestApp, admin: &str) -> Tree {
    let province = app
        .unit(admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let d1 = app
        .unit(admin, "063", "Huyện Chợ Đồn", "district", Some(&province))
        .await;
    let d2 = app
        .unit(admin, "061", "Huyện Ba Bể", "district", Some(&province))
        .await;
    let c1 = app
        .unit(admin, "01888", "Thị trấn Bằng Lũng", "township", Some(&d1))
        .await;
    let c2 = app
        .unit(admin, "01840", "Thị trấn Chợ Rã", "township", Some(&d2))
        .await;
    Tree {
        province,
        d1,
        d2,
        c1,
        c2,
    }
}

/// The figures of a processing report, in their order.
pub const FIGURES: [&str; 15] = [
    "carried_over",
    "new",
    "new_online",
    "new_desk",
    "new_post",
    "resolved",
    "early",
    "on_time",
    "late",
    "unresolved",
    "within_time",
    "overdue",
    "withdrawn",
    "rejected",
    "stopped",
];

/// One figure of a report body.
pub fn figure(r: &Value, name: &str) -> i64 {
    r[name].as_i64().unwrap_or_else(|| panic!("{name} in {r}"))
}
