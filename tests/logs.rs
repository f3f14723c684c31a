//! Personal data stays out of the logs: a registration and a sign-in, logged at the most
//! verbose level, leave no ID number or phone number behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::TestApp;
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn registration_and_login_logs_hold_no_personal_data() {
    let capture = Capture::default();
    motcua::telemetry::init_with_writer("trace", motcua::config::LogFormat::Json, capture.clone());
    let app = TestApp::spawn().await;
    let id = "006095007777";
    let phone = "0977123456";
    let r = app
        .post("/api/v1/citizens", None, json!({"citizen_id": id, "full_name": "Hoàng Văn Cường", "phone": phone, "password": "mat-khau-cuong-1"}))
        .await;
    assert_eq!(r.status, 202);
    app.login(id, "mat-khau-cuong-1").await;
    assert_eq!(app.login_pair(id, "wrong-password-x").await.status, 401);
    let r = app.get(&format!("/api/v1/units?q={id}"), None).await;
    assert_eq!(r.status, 401);
    // The wrong JSON type: the field and the expected type are named, the value is not.
    for body in [
        json!({"citizen_id": "006095008888", "full_name": "A", "phone": 987650124_u64, "password": "mat-khau-cuong-2"}),
        json!({"citizen_id": 6095008888_u64, "full_name": "A", "phone": "0987650124", "password": "mat-khau-cuong-2"}),
        json!({"citizen_id": "006095008888", "full_name": "A", "phone": ["0987650124"], "password": "mat-khau-cuong-2"}),
    ] {
        let r = app.post("/api/v1/citizens", None, body).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let text = r.body.to_string();
        assert!(text.contains("must be"), "{text}");
        for value in ["987650124", "6095008888"] {
            assert!(!text.contains(value), "{value} in the answer: {text}");
        }
    }
    let admin = app.admin().await;
    let r = app.get("/api/v1/units?kind=0987650124", Some(&admin)).await;
    assert_eq!(r.status, 400);
    assert!(!r.body.to_string().contains("0987650124"), "{}", r.body);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("citizen registered"),
        "the capture works: {}",
        &logs[..logs.len().min(2000)]
    );
    assert!(logs.contains("request_id"), "request ids are logged");
    for secret in [
        id,
        phone,
        "0977 123 456",
        "mat-khau-cuong-1",
        "987650124",
        "6095008888",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}
