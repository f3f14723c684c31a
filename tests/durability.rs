//! Killing the server (SIGKILL) during a stream of transitions loses no acknowledged
//! transition and leaves no dossier whose state differs from its last history event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fresh_database, ADMIN_PASSWORD, SECRET};
use diesel::prelude::*;
use motcua::accounts::model::Role;
use motcua::accounts::store::{self as users, NewUser};
use serde_json::{json, Value};

/// Acknowledged (dossier id, version reached, action) triples.
type Acks = Arc<Mutex<Vec<(String, i64, String)>>>;

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Option<Value> {
    let r = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_transition() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg, _) = fresh_database(dir.path());
    let db = motcua::db::Db::connect(&url, 2).unwrap();
    let hash = motcua::auth::password::hash(ADMIN_PASSWORD).unwrap();
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

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_motcua"))
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("MOTCUA_BIND", format!("127.0.0.1:{port}"))
            .env("MOTCUA_JWT_SECRET", SECRET)
            .env("MOTCUA_DATA_DIR", dir.path())
            .env("MOTCUA_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let client = reqwest::Client::new();
    let mut server = spawn();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = |u: &'static str, p: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": u, "password": p}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login("root", ADMIN_PASSWORD.to_owned()).await;
    let unit: Value = post(&client, format!("{base}/api/v1/units"), &admin, json!({"code": "01843", "name": "Phường Bắc Kạn", "kind": "ward", "valid_from": "2020-01-01"})).await.unwrap();
    let unit = unit["id"].as_str().unwrap().to_owned();
    for (name, role) in [("motcua", "clerk"), ("lanhdao", "approver")] {
        post(&client, format!("{base}/api/v1/users"), &admin, json!({"username": name, "full_name": name, "role": role, "unit_id": unit, "password": "mat-khau-dai-du"})).await.unwrap();
    }
    let spec = json!({"code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "levels": ["commune"], "agency": "UBND cấp xã",
        "processing_days": 3, "processing_note": null, "online_level": "full",
        "steps": [{"name": "Tiếp nhận", "role": "clerk", "unit_level": "commune", "share_percent": 10},
                  {"name": "Xử lý", "role": "officer", "unit_level": "commune", "share_percent": 60},
                  {"name": "Phê duyệt", "role": "approver", "unit_level": "commune", "share_percent": 20},
                  {"name": "Trả kết quả", "role": "clerk", "unit_level": "commune", "share_percent": 10}], "source": null});
    post(&client, format!("{base}/api/v1/procedures"), &admin, spec)
        .await
        .unwrap();
    let clerk = login("motcua", "mat-khau-dai-du".to_owned()).await;
    let approver = login("lanhdao", "mat-khau-dai-du".to_owned()).await;

    // Eight desks work through dossiers until the server dies.
    let acks: Acks = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (client, base, clerk, approver, acks) = (
            client.clone(),
            base.clone(),
            clerk.clone(),
            approver.clone(),
            acks.clone(),
        );
        workers.push(tokio::spawn(async move {
            let plan: [(&str, &str, Value); 6] = [
                ("assign", "clerk", json!({})),
                ("request_supplement", "approver", json!({"note": "Bổ sung"})),
                ("supplement", "clerk", json!({})),
                ("submit_for_approval", "approver", json!({})),
                ("approve", "approver", json!({})),
                ("return_result", "clerk", json!({"return_channel": "desk"})),
            ];
            for n in 0.. {
                let body = json!({"procedure_code": "1.001193", "channel": "desk", "applicant": {"name": format!("Bàn {w} hồ sơ {n}")}});
                let Some(d) = post(&client, format!("{base}/api/v1/dossiers/intake"), &clerk, body).await else { return };
                let id = d["id"].as_str().unwrap().to_owned();
                acks.lock().unwrap().push((id.clone(), d["version"].as_i64().unwrap(), "receive".to_owned()));
                for (action, who, body) in &plan {
                    let token = if *who == "clerk" { &clerk } else { &approver };
                    let Some(d) = post(&client, format!("{base}/api/v1/dossiers/{id}/{action}"), token, body.clone()).await else { return };
                    acks.lock().unwrap().push((id.clone(), d["version"].as_i64().unwrap(), (*action).to_owned()));
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acks = acks.lock().unwrap().clone();
    assert!(
        acks.len() > 20,
        "the stream was running: {} acknowledged",
        acks.len()
    );

    // Read the database as the killed server left it.
    let db = motcua::db::Db::connect(&url, 2).unwrap();
    let mut seen = HashMap::new();
    for (id, version, action) in &acks {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        let (row, history) = db
            .read_blocking(|c| {
                Ok((
                    motcua::dossiers::store::get(c, uuid)?.unwrap(),
                    motcua::dossiers::store::history(c, uuid)?,
                ))
            })
            .unwrap();
        assert!(
            i64::from(row.version) >= *version,
            "{id}: acknowledged version {version} lost"
        );
        let e = history
            .iter()
            .find(|e| i64::from(e.seq) == *version)
            .unwrap_or_else(|| panic!("{id}: event {version} lost"));
        assert_eq!(e.action.as_str(), action);
        seen.insert(id.clone(), ());
    }
    let ids: Vec<String> = db
        .read_blocking(|c| {
            Ok(motcua::db::schema::dossiers::table
                .select(motcua::db::schema::dossiers::id)
                .load::<String>(c)?)
        })
        .unwrap();
    for id in &ids {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        let (row, history) = db
            .read_blocking(|c| {
                Ok((
                    motcua::dossiers::store::get(c, uuid)?.unwrap(),
                    motcua::dossiers::store::history(c, uuid)?,
                ))
            })
            .unwrap();
        let last = history.last().unwrap();
        assert_eq!(
            row.state(),
            last.to_state,
            "{id}: state differs from its last event"
        );
        assert_eq!(
            i64::from(row.version),
            i64::from(last.seq),
            "{id}: one event per version"
        );
        assert_eq!(
            history.len(),
            row.version as usize,
            "{id}: no gap in the history"
        );
    }
    assert!(ids.len() >= seen.len());
    drop(db);
    drop(pg);
}
