//! The platform: health, request ids, the OpenAPI document, Swagger UI, schema parity between
//! the two backends' migrations, and concurrent writes (no "database is locked" on SQLite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::TestApp;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

#[tokio::test]
async fn health_and_request_ids() {
    let app = TestApp::spawn().await;
    let live = app.get("/health/live", None).await;
    assert_eq!(live.status, 200);
    assert_eq!(live.body["status"], "ok");
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["database"], app.backend);
    let a = live
        .headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let b = ready
        .headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&a).is_ok());
    assert_ne!(a, b);
}

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = serde_json::to_value(motcua::app::openapi()).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("api-spec/openapi.json").expect("api-spec/openapi.json"),
    )
    .unwrap();
    assert!(
        generated == committed,
        "api-spec/openapi.json is stale: run `cargo run -- openapi > api-spec/openapi.json` and commit it"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let spec = serde_json::to_value(motcua::app::openapi()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path}: no success response"
            );
            if path.starts_with("/api/") {
                assert!(responses.contains_key("500"), "{method} {path}: no 500");
            }
            if op.get("security").is_some() {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path}: secured without 401"
                );
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(s),
                        "{method} {path}: body without {s}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn swagger_ui_and_the_served_spec() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
    let spec = app.get("/api-spec/openapi.json", None).await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.body["info"]["title"], "motcua");
}

#[derive(QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

fn sqlite_columns(path: &str) -> BTreeMap<String, Vec<String>> {
    let mut conn = diesel::SqliteConnection::establish(path).unwrap();
    let rows: Vec<Col> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations' ORDER BY 1, 2",
    )
    .load(&mut conn)
    .unwrap();
    group(rows)
}

fn group(rows: Vec<Col>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.table_name).or_default().push(r.column_name);
    }
    out
}

#[test]
fn both_backends_expose_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.db");
    let url = format!("sqlite://{}", path.display());
    motcua::db::Db::connect(&url, 1).unwrap();
    let sqlite = sqlite_columns(path.to_str().unwrap());
    let tables: Vec<&str> = sqlite.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = motcua::db::schema::TABLES.to_vec();
    expected.sort_unstable();
    assert_eq!(tables, expected, "SQLite tables vs schema.rs");

    let Some(scratch) = common::ScratchPg::new() else {
        eprintln!("TEST_DATABASE_URL unset: PostgreSQL half of the schema comparison skipped");
        return;
    };
    let pg_url = scratch.url.clone();
    motcua::db::Db::connect(&pg_url, 1).unwrap();
    let mut pg = diesel::PgConnection::establish(&pg_url).unwrap();
    let rows: Vec<Col> = diesel::sql_query(
        // Partitions (of stat_buckets, PostgreSQL only) are storage, not tables of the schema.
        "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
         AND NOT (SELECT relispartition FROM pg_class WHERE oid = ('public.' || quote_ident(table_name))::regclass) \
         ORDER BY 1, 2",
    )
    .load(&mut pg)
    .unwrap();
    drop(pg);
    let postgres = group(rows);
    drop(scratch);
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
}

#[tokio::test]
async fn concurrent_writes_all_succeed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let mut tasks = Vec::new();
    for i in 0..48 {
        let (client, base, admin, province) = (
            app.client.clone(),
            app.base.clone(),
            admin.clone(),
            province.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(format!("{base}/api/v1/units"))
                .bearer_auth(&admin)
                .json(&json!({"code": format!("{:05}", 10_000 + i), "name": format!("Xã số {i}"), "kind": "commune", "parent_id": province}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
    }
    let list = app
        .get(&format!("/api/v1/units?parent={province}"), Some(&admin))
        .await;
    assert_eq!(list.body["total"], 48);
}

/// Tables left in the public schema, besides diesel's bookkeeping.
fn pg_tables(conn: &mut diesel::PgConnection) -> Vec<String> {
    let rows: Vec<Col> = diesel::sql_query(
        "SELECT table_name::text AS table_name, ''::text AS column_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load(conn)
    .unwrap();
    rows.into_iter().map(|r| r.table_name).collect()
}

#[test]
fn every_down_migration_undoes_its_up_migration() {
    use motcua::db::{revert_all_migrations, run_migrations, DbConn};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("down.db");
    motcua::db::Db::connect(&format!("sqlite://{}", path.display()), 1).unwrap();
    let before = sqlite_columns(path.to_str().unwrap());
    let mut conn =
        DbConn::Sqlite(diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap());
    revert_all_migrations(&mut conn).unwrap();
    assert!(
        sqlite_columns(path.to_str().unwrap()).is_empty(),
        "SQLite: tables left after reverting"
    );
    run_migrations(&mut conn).unwrap();
    assert_eq!(sqlite_columns(path.to_str().unwrap()), before);

    let Some(scratch) = common::ScratchPg::new() else {
        eprintln!("TEST_DATABASE_URL unset: PostgreSQL half skipped");
        return;
    };
    let pg_url = scratch.url.clone();
    {
        let mut conn = DbConn::Postgres(diesel::PgConnection::establish(&pg_url).unwrap());
        run_migrations(&mut conn).unwrap();
        let mut probe = diesel::PgConnection::establish(&pg_url).unwrap();
        let tables = pg_tables(&mut probe);
        revert_all_migrations(&mut conn).unwrap();
        assert!(
            pg_tables(&mut probe).is_empty(),
            "PostgreSQL: tables left after reverting"
        );
        run_migrations(&mut conn).unwrap();
        assert_eq!(pg_tables(&mut probe), tables);
    }
    drop(scratch);
}
