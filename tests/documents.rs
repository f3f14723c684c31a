//! Documents over HTTP: upload by content type, the size limit (declared and streamed), the
//! content-addressed store, the digitised and electronic-result flags, scope on every read
//! and write, and nothing left behind by a refused upload.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Resp, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A small but real PDF.
fn pdf(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

struct World {
    admin: String,
    commune: String,
    other_unit: String,
    clerk: String,
    officer: String,
    other_clerk: String,
    citizen: String,
    other_citizen: String,
}

async fn citizen(app: &TestApp, id: &str, name: &str, phone: &str) -> String {
    let password = format!("mat-khau-{id}");
    let r = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"citizen_id": id, "full_name": name, "phone": phone, "password": password}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    app.login(id, &password).await
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let commune = app
        .unit(&admin, "01843", "Phường Bắc Kạn", "ward", Some(&province))
        .await;
    let other = app
        .unit(
            &admin,
            "01849",
            "Xã Phong Quang",
            "commune",
            Some(&province),
        )
        .await;
    let (_, clerk) = app.staff(&admin, "clerk", "clerk", Some(&commune)).await;
    let (_, officer) = app
        .staff(&admin, "officer", "officer", Some(&commune))
        .await;
    let (_, other_clerk) = app.staff(&admin, "other", "clerk", Some(&other)).await;
    let spec = json!({
        "code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch", "levels": ["commune"],
        "agency": "UBND cấp xã", "processing_days": 3, "processing_note": null,
        "required_documents": [{"name": "Tờ khai", "mandatory": true}, {"name": "Giấy chứng sinh", "mandatory": true}],
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
    let citizen_token = citizen(app, "006095001234", "Nguyễn Văn An", "0912345678").await;
    let other_citizen = citizen(app, "006095009999", "Trần Thị Bình", "0987654321").await;
    World {
        admin,
        commune,
        other_unit: other.clone(),
        clerk,
        officer,
        other_clerk,
        citizen: citizen_token,
        other_citizen,
    }
}

async fn file_online(app: &TestApp, w: &World) -> String {
    let r = app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen),
            json!({"procedure_code": "1.001193", "unit_id": w.commune, "documents": [0, 1]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn upload(
    app: &TestApp,
    token: &str,
    dossier: &str,
    query: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Resp {
    let res = app
        .client
        .post(format!(
            "{}/api/v1/dossiers/{dossier}/documents?{query}",
            app.base
        ))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    TestApp::read(res).await
}

/// Files in the document store, and files left in its temporary area.
fn store_files(app: &TestApp) -> (usize, usize) {
    let root = app.state.blobs.root().to_owned();
    let mut stored = 0;
    let mut tmp = 0;
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return (0, 0);
    };
    for d in dirs {
        let d = d.unwrap();
        let n = std::fs::read_dir(d.path()).unwrap().count();
        if d.file_name() == "tmp" {
            tmp += n;
        } else {
            stored += n;
        }
    }
    (stored, tmp)
}

async fn dossier(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/dossiers/{id}"), Some(token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["dossier"].clone()
}

#[tokio::test]
async fn copies_are_stored_by_content_and_mark_the_dossier_digitised() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = file_online(&app, &w).await;

    // The applicant attaches the first paper before the desk has looked at it; the type comes
    // from the bytes, not from the header.
    let bytes = pdf("Tờ khai đăng ký khai sinh");
    let r = upload(
        &app,
        &w.citizen,
        &id,
        "kind=application&required_index=0&filename=T%E1%BB%9D%20khai.pdf",
        "application/octet-stream",
        bytes.clone(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["media_type"], "application/pdf");
    assert_eq!(r.body["filename"], "Tờ khai.pdf");
    assert_eq!(r.body["size_bytes"], bytes.len());
    assert_eq!(r.body["digitised"], false);
    let digest = format!("{:x}", Sha256::digest(&bytes));
    assert_eq!(r.body["sha256"], digest.as_str());
    let doc = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        dossier(&app, &w.citizen, &id).await["documents_digitised"],
        false
    );

    // The desk receives it and scans the second paper: now every provided paper has a copy.
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/receive"),
            Some(&w.clerk),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = upload(
        &app,
        &w.clerk,
        &id,
        "kind=application&required_index=1&digitised=true&filename=giay-chung-sinh.png",
        "image/png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["media_type"], "image/png");
    assert_eq!(r.body["digitised"], true);
    let d = dossier(&app, &w.clerk, &id).await;
    assert_eq!(d["documents_digitised"], true);
    assert_eq!(d["result_electronic"], false);

    // The same content again is a second record of one stored file.
    let r = upload(
        &app,
        &w.clerk,
        &id,
        "kind=application&required_index=0",
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(store_files(&app), (2, 0));

    let list = app
        .get(
            &format!("/api/v1/dossiers/{id}/documents"),
            Some(&w.citizen),
        )
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);

    // Download: the same bytes, the recognised type, the Vietnamese name kept.
    let res = app
        .client
        .get(format!("{}/api/v1/dossiers/{id}/documents/{doc}", app.base))
        .bearer_auth(&w.citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''T%E1%BB%9D%20khai.pdf"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Once processing starts, application copies are closed; the result is the officer's.
    let r = app
        .post(
            &format!("/api/v1/dossiers/{id}/assign"),
            Some(&w.clerk),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = upload(
        &app,
        &w.clerk,
        &id,
        "kind=application&required_index=0",
        "application/pdf",
        pdf("muộn"),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.is_problem());
    assert!(r.body["detail"].as_str().unwrap().contains("in_progress"));
    let r = upload(
        &app,
        &w.citizen,
        &id,
        "kind=result",
        "application/pdf",
        pdf("kết quả"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = upload(
        &app,
        &w.officer,
        &id,
        "kind=result&filename=trich-luc.pdf",
        "application/pdf",
        pdf("Trích lục khai sinh"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        dossier(&app, &w.officer, &id).await["result_electronic"],
        true
    );
}

#[tokio::test]
async fn documents_are_invisible_outside_scope() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = file_online(&app, &w).await;
    let r = upload(
        &app,
        &w.citizen,
        &id,
        "kind=application&required_index=0",
        "application/pdf",
        pdf("a"),
    )
    .await;
    assert_eq!(r.status, 201);
    let doc = r.body["id"].as_str().unwrap().to_owned();
    for token in [&w.other_citizen, &w.other_clerk] {
        let r = upload(
            &app,
            token,
            &id,
            "kind=application&required_index=1",
            "application/pdf",
            pdf("b"),
        )
        .await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(r.is_problem());
        let r = app
            .get(&format!("/api/v1/dossiers/{id}/documents"), Some(token))
            .await;
        assert_eq!(r.status, 404);
        let r = app
            .get(
                &format!("/api/v1/dossiers/{id}/documents/{doc}"),
                Some(token),
            )
            .await;
        assert_eq!(r.status, 404);
    }
    // A document id under another dossier is not found there.
    let other = file_online(&app, &w).await;
    let r = app
        .get(
            &format!("/api/v1/dossiers/{other}/documents/{doc}"),
            Some(&w.citizen),
        )
        .await;
    assert_eq!(r.status, 404);
    // The administrator sees dossiers but does not attach papers to them.
    let r = upload(
        &app,
        &w.admin,
        &id,
        "kind=application&required_index=1",
        "application/pdf",
        pdf("c"),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = app
        .get(
            "/api/v1/dossiers/00000000-0000-0000-0000-000000000000/documents",
            Some(&w.citizen),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn refused_uploads_leave_nothing_behind() {
    let app = TestApp::spawn_with(|c| c.max_upload_bytes = 4096).await;
    let w = world(&app).await;
    let id = file_online(&app, &w).await;

    // Not a document type, whatever the header says.
    for (ct, body) in [
        (
            "application/pdf",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "image/png",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec(),
        ),
        ("application/pdf", Vec::new()),
    ] {
        let r = upload(
            &app,
            &w.citizen,
            &id,
            "kind=application&required_index=0",
            ct,
            body,
        )
        .await;
        assert!(
            r.status == 415 || r.status == 400,
            "{}: {}",
            r.status,
            r.body
        );
        assert!(r.is_problem(), "{}", r.body);
    }
    // Too large, declared up front.
    let mut big = pdf("lớn");
    big.resize(5000, b' ');
    let r = upload(
        &app,
        &w.citizen,
        &id,
        "kind=application&required_index=0",
        "application/pdf",
        big.clone(),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.is_problem());
    // Too large, streamed without a length: cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let res = app
        .client
        .post(format!(
            "{}/api/v1/dossiers/{id}/documents?kind=application&required_index=0",
            app.base
        ))
        .bearer_auth(&w.citizen)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    // The server may answer before reading the whole body, or close the connection.
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    // Bad parameters.
    for q in [
        "kind=photo",
        "kind=application&required_index=7",
        "kind=application&digitised=true",
        "kind=result&required_index=0",
    ] {
        let r = upload(&app, &w.citizen, &id, q, "application/pdf", pdf("x")).await;
        assert!(
            r.status == 400 || r.status == 422 || r.status == 403 || r.status == 409,
            "{q}: {} {}",
            r.status,
            r.body
        );
        assert!(r.is_problem(), "{q}: {}", r.body);
    }
    let r = app
        .get(
            &format!("/api/v1/dossiers/{id}/documents"),
            Some(&w.citizen),
        )
        .await;
    assert_eq!(r.body["items"], json!([]));
    assert_eq!(store_files(&app), (0, 0));
    let d = dossier(&app, &w.citizen, &id).await;
    assert_eq!(d["documents_digitised"], false);
    assert_eq!(d["version"], 1, "a refused upload changes nothing");
}

#[tokio::test]
async fn an_upload_that_stops_arriving_is_answered_408_and_stores_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|c| c.request_timeout = std::time::Duration::from_secs(1)).await;
    let w = world(&app).await;
    let id = file_online(&app, &w).await;
    let mut s = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/dossiers/{id}/documents?kind=application&required_index=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n",
        w.citizen
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&pdf("the start of a long file")).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        s.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(
        store_files(&app),
        (0, 0),
        "nothing kept of the cut-off upload"
    );
    let docs = app
        .get(
            &format!("/api/v1/dossiers/{id}/documents"),
            Some(&w.citizen),
        )
        .await;
    assert_eq!(docs.body["items"].as_array().unwrap().len(), 0);
}

/// Files online, receives and attaches a copy, `rounds` times; returns each dossier's id and
/// the version its last acknowledged change left it at.
async fn write_load(app: &TestApp, w: &World, rounds: usize, tag: usize) -> Vec<(String, i64)> {
    let mut acked = Vec::new();
    for i in 0..rounds {
        let id = file_online(app, w).await;
        let r = app
            .post(
                &format!("/api/v1/dossiers/{id}/receive"),
                Some(&w.clerk),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = upload(
            app,
            &w.clerk,
            &id,
            "kind=application&required_index=0&digitised=true",
            "application/pdf",
            pdf(&format!("bản sao {tag}-{i}")),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let version = dossier(app, &w.clerk, &id).await["version"]
            .as_i64()
            .unwrap();
        acked.push((id, version));
    }
    acked
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_every_acknowledged_change_and_checks_clean() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let before = write_load(&app, &w, 4, 0).await;
    // Writers keep going while the backup runs.
    let load = async {
        let mut all = Vec::new();
        for tag in 1..=3 {
            all.extend(write_load(&app, &w, 3, tag).await);
        }
        all
    };
    let backup_dir = tempfile::tempdir().unwrap();
    let target = backup_dir.path().join("copy");
    let (db, blobs) = (app.db.clone(), app.state.blobs.root().to_owned());
    let take = {
        let target = target.clone();
        tokio::task::spawn_blocking(move || {
            std::thread::sleep(std::time::Duration::from_millis(150));
            let store = motcua::blobs::BlobStore::new(&blobs, 1 << 20);
            motcua::ops::backup(&db, &store, &target).unwrap()
        })
    };
    let (during, report) = tokio::join!(load, take);
    let report = report.unwrap();
    assert!(report.documents >= before.len(), "{report:?}");

    // The live installation checks clean, after the load as during it.
    let db = app.db.clone();
    let blobs = app.state.blobs.root().to_owned();
    let live = tokio::task::spawn_blocking(move || {
        motcua::ops::check(&db, &motcua::blobs::BlobStore::new(&blobs, 1 << 20), false).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(live.faults(), 0, "{live:?}");
    assert_eq!(live.dossiers, before.len() + during.len());

    if app.backend != "sqlite" {
        // On PostgreSQL the database is taken by pg_dump; the documents were copied.
        assert!(report.database.is_none());
        return;
    }
    // Restore into a fresh directory and serve from it.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(target.join("motcua.db"), restored.path().join("motcua.db")).unwrap();
    let docs = restored.path().join("documents");
    copy_tree(&target.join("documents"), &docs);
    let url = format!("sqlite://{}", restored.path().join("motcua.db").display());
    let again = TestApp::spawn_with(|c| {
        c.database_url = url.clone().into();
        c.documents_dir = docs.clone();
    })
    .await;
    let clerk = again.login("clerk", "clerk-mat-khau-1").await;
    for (id, version) in &before {
        let d = dossier(&again, &clerk, id).await;
        assert!(d["version"].as_i64().unwrap() >= *version, "{id}: {d}");
        let files = again
            .get(&format!("/api/v1/dossiers/{id}/documents"), Some(&clerk))
            .await;
        let doc = files.body["items"][0]["id"].as_str().unwrap();
        let file = again
            .client
            .get(format!(
                "{}/api/v1/dossiers/{id}/documents/{doc}",
                again.base
            ))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
    }
    let db = again.db.clone();
    let restored_check = tokio::task::spawn_blocking(move || {
        motcua::ops::check(&db, &motcua::blobs::BlobStore::new(&docs, 1 << 20), false).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(restored_check.faults(), 0, "{restored_check:?}");
    assert!(restored_check.orphans.is_empty(), "{restored_check:?}");
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn check_finds_each_kind_of_fault_and_removes_old_orphans() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let acked = write_load(&app, &w, 3, 0).await;
    let root = app.state.blobs.root().to_owned();
    let run = |repair: bool| {
        let (db, root) = (app.db.clone(), root.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                motcua::ops::check(&db, &motcua::blobs::BlobStore::new(&root, 1 << 20), repair)
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    // Let the fold catch up, then all is well.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let clean = run(false).await;
    assert_eq!(clean.faults(), 0, "{clean:?}");

    let (first, _) = &acked[0];
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|d| d.file_name() != "tmp")
        .flat_map(|d| {
            std::fs::read_dir(d.path())
                .unwrap()
                .flatten()
                .map(|f| f.path())
        })
        .collect();
    assert_eq!(files.len(), 3);
    std::fs::write(&files[0], b"%PDF-1.4 altered").unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    let orphan_dir = root.join("ff");
    std::fs::create_dir_all(&orphan_dir).unwrap();
    let orphan = orphan_dir.join("ff".repeat(32));
    std::fs::write(&orphan, b"left over").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let db = app.db.clone();
    let id = first.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|c| {
            c.batch_execute(&format!(
                "UPDATE dossiers SET state = 'returned' WHERE id = '{id}';
                 UPDATE stat_buckets SET new_all = new_all + 5 WHERE grain = 2;"
            ))?;
            Ok(())
        })
        .unwrap()
    })
    .await
    .unwrap();

    let found = run(true).await;
    assert_eq!(found.state_mismatches, vec![first.clone()]);
    assert_eq!(found.corrupt_files.len(), 1, "{found:?}");
    assert_eq!(found.missing_files.len(), 1, "{found:?}");
    assert!(!found.wrong_buckets.is_empty(), "{found:?}");
    assert_eq!(found.orphans.len(), 1, "{found:?}");
    assert_eq!(found.orphans_removed, 1);
    assert!(!orphan.exists());
}

#[tokio::test]
async fn officials_views_of_personal_data_are_recorded_for_the_administrator() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let acked = write_load(&app, &w, 1, 0).await;
    let id = &acked[0].0;
    // The applicant reading their own dossier is not recorded; the desk's reads are.
    dossier(&app, &w.citizen, id).await;
    dossier(&app, &w.clerk, id).await;
    let form = app
        .get(
            &format!("/api/v1/dossiers/{id}/forms/receipt"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    let docs = app
        .get(&format!("/api/v1/dossiers/{id}/documents"), Some(&w.clerk))
        .await;
    let doc = docs.body["items"][0]["id"].as_str().unwrap().to_owned();
    let file = app
        .client
        .get(format!("{}/api/v1/dossiers/{id}/documents/{doc}", app.base))
        .bearer_auth(&w.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);

    let log = app
        .get(
            &format!("/api/v1/access-log?dossier_id={id}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.body["items"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|r| {
            (
                r["actor_username"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first; write_load's own read of the dossier (the clerk's) comes first in time.
    assert_eq!(
        seen,
        vec![
            ("officer", "download_document"),
            ("clerk", "print_form"),
            ("clerk", "read_dossier"),
            ("clerk", "read_dossier"),
        ]
    );
    assert_eq!(log.body["total"], 4);
    assert_eq!(items[0]["document_id"], doc.as_str());

    // By account: what the officer saw.
    let officer = app
        .get("/api/v1/users?q=officer", Some(&w.admin))
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_actor = app
        .get(
            &format!("/api/v1/access-log?actor_id={officer}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(by_actor.body["total"], 1, "{}", by_actor.body);

    // Administrators only; outside their scope it does not exist.
    let r = app
        .get(
            &format!("/api/v1/access-log?dossier_id={id}"),
            Some(&w.clerk),
        )
        .await;
    assert_eq!(r.status, 403);
    let (_, other_admin) = app
        .staff(&w.admin, "admin.other", "admin", Some(&w.other_unit))
        .await;
    let r = app
        .get(
            &format!("/api/v1/access-log?dossier_id={id}"),
            Some(&other_admin),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app.get("/api/v1/access-log", Some(&w.admin)).await;
    assert_eq!(r.status, 422);
}
