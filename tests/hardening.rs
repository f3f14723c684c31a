//! The edge under abuse: bodies that stop arriving, a swarm of connections whose heads never
//! finish (slowloris), and the errors the HTTP layer itself gives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn quick_app() -> TestApp {
    TestApp::spawn_with(|c| {
        c.request_timeout = Duration::from_secs(1);
        c.head_timeout = Duration::from_secs(1);
    })
    .await
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads what the server sends until it closes the connection or `within` passes.
async fn read_answer(stream: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_problem_json() {
    let app = quick_app().await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let started = Instant::now();
    s.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    let answer = read_answer(&mut s, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(
        answer.contains("urn:motcua:problem:request-timeout"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_slowloris_swarm_does_not_slow_the_service_and_is_cut_off() {
    let app = quick_app().await;
    let admin = app.admin().await;
    let mut swarm = Vec::new();
    for _ in 0..250 {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        swarm.push(s);
    }
    let drip = tokio::spawn(async move {
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            for s in swarm.iter_mut() {
                let _ = s.write_all(b"a").await;
            }
        }
        swarm
    });
    let mut worst = Duration::ZERO;
    for i in 0..20 {
        let t = Instant::now();
        let r = if i % 2 == 0 {
            app.get("/health/live", None).await
        } else {
            app.get("/api/v1/procedures?q=khai%20sinh&per_page=5", Some(&admin))
                .await
        };
        assert_eq!(r.status, 200, "{}", r.body);
        worst = worst.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(worst < Duration::from_millis(100), "worst {worst:?}");
    let mut swarm = drip.await.unwrap();
    // By now each has been sending its head for longer than the head timeout: cut off.
    let mut cut = 0;
    for s in swarm.iter_mut() {
        let answer = read_answer(s, Duration::from_millis(500)).await;
        if answer.is_empty() || answer.starts_with("HTTP/1.1 408") {
            let mut probe = [0u8; 1];
            if matches!(s.read(&mut probe).await, Ok(0) | Err(_)) {
                cut += 1;
            }
        }
    }
    assert_eq!(cut, 250, "connections still open after the head timeout");
}

/// Sends `raw` on a new connection and returns the whole answer.
async fn exchange(app: &TestApp, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(addr(app)).await.unwrap();
    let _ = s.write_all(raw).await;
    read_answer(&mut s, Duration::from_secs(5)).await
}

fn problem_in(answer: &str) -> serde_json::Value {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[tokio::test]
async fn what_the_http_parser_refuses_is_answered_problem_json() {
    let app = quick_app().await;
    let mut many = String::from("GET /health/live HTTP/1.1\r\nHost: x\r\n");
    for i in 0..120 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let answer = exchange(&app, many.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(problem_in(&answer)["status"], 431);

    let long = format!(
        "GET /api/v1/units?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let answer = exchange(&app, long.as_bytes()).await;
    let status: u16 = answer[9..12].parse().unwrap();
    assert!(status == 431 || status == 400, "{answer:.200}");
    assert_eq!(problem_in(&answer)["status"], status);

    let answer = exchange(&app, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(
        problem_in(&answer)["type"],
        "urn:motcua:problem:bad-request"
    );

    let answer = exchange(&app, b"GET /health/live HTTP/1.1\r\nHost: x\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(
        problem_in(&answer)["type"],
        "urn:motcua:problem:request-timeout"
    );

    // The connection carries on normally otherwise: two requests on one connection.
    let answer = exchange(
        &app,
        b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2, "{answer}");
}
