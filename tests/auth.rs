//! Sign-in, tokens and their refusal, refresh rotation and replay, throttling, registration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::{TestApp, ADMIN_PASSWORD, SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn forge(claims: Value, secret: &[u8], alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn login_returns_tokens_and_me_reads_the_account() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let claims = claims_of(&token);
    assert_eq!(claims["iss"], "motcua");
    assert_eq!(claims["aud"], "motcua-api");
    assert_eq!(claims["role"], "admin");
    let ttl = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(
        ttl > 0 && ttl <= 3600,
        "short-lived access token, got {ttl}s"
    );
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "root");
    assert!(me.body.get("password_hash").is_none());
}

#[tokio::test]
async fn expired_tampered_wrong_audience_and_alg_none_tokens_get_401() {
    let app = TestApp::spawn().await;
    let good = app.admin().await;
    let mut c = claims_of(&good);
    let now = chrono::Utc::now().timestamp();

    let mut expired = c.clone();
    expired["iat"] = json!(now - 3600);
    expired["exp"] = json!(now - 60);
    let mut wrong_aud = c.clone();
    wrong_aud["aud"] = json!("another-service");
    let mut wrong_iss = c.clone();
    wrong_iss["iss"] = json!("someone-else");
    c["role"] = json!("admin");
    let header_none = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!(
        "{header_none}.{}.",
        B64.encode(serde_json::to_vec(&c).unwrap())
    );
    // Same claims, signature of a different payload: tampering.
    let parts: Vec<&str> = good.split('.').collect();
    let mut tampered_claims = claims_of(&good);
    tampered_claims["role"] = json!("supervisor");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(serde_json::to_vec(&tampered_claims).unwrap()),
        parts[2]
    );

    let cases = [
        (
            "expired",
            forge(expired, SECRET.as_bytes(), Algorithm::HS256),
        ),
        (
            "wrong audience",
            forge(wrong_aud, SECRET.as_bytes(), Algorithm::HS256),
        ),
        (
            "wrong issuer",
            forge(wrong_iss, SECRET.as_bytes(), Algorithm::HS256),
        ),
        (
            "other secret",
            forge(
                claims_of(&good),
                b"not-the-server-secret-not-the-server",
                Algorithm::HS256,
            ),
        ),
        (
            "HS512",
            forge(claims_of(&good), SECRET.as_bytes(), Algorithm::HS512),
        ),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in cases {
        let r = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(r.status, 401, "{what} token must be refused");
        assert!(r.is_problem(), "{what}: {}", r.body);
        assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
    }
    assert_eq!(app.get("/api/v1/me", None).await.status, 401);
    assert_eq!(app.get("/api/v1/me", Some(&good)).await.status, 200);
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let first = app.login_pair("root", ADMIN_PASSWORD).await;
    let r1 = first.body["refresh_token"].as_str().unwrap().to_owned();

    let second = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotation gives a new refresh token");
    let access = second.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(access)).await.status, 200);

    // r1 is spent: presenting it again is a replay and revokes r2 too.
    let replay = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(replay.status, 401);
    assert!(replay.is_problem());
    let after = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r2}))
        .await;
    assert_eq!(after.status, 401, "the family is revoked");

    // Another sign-in is a new family and unaffected.
    let other = app.login_pair("root", ADMIN_PASSWORD).await;
    let r3 = other.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": r3}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let pair = app.login_pair("root", ADMIN_PASSWORD).await;
    let rt = pair.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": rt}))
            .await
            .status,
        204
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": rt}))
            .await
            .status,
        401
    );
    // Idempotent.
    assert_eq!(
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": rt}))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn logout_ends_that_sign_ins_access_token_at_once_and_no_other() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let desk = app.login_pair("root", ADMIN_PASSWORD).await;
    let phone = app.login_pair("root", ADMIN_PASSWORD).await;
    let access = |p: &common::Resp| p.body["access_token"].as_str().unwrap().to_owned();
    let (desk_at, phone_at) = (access(&desk), access(&phone));
    assert_eq!(app.get("/api/v1/me", Some(&desk_at)).await.status, 200);
    let rt = desk.body["refresh_token"].as_str().unwrap();
    let out = app
        .post("/api/v1/auth/logout", None, json!({"refresh_token": rt}))
        .await;
    assert_eq!(out.status, 204);
    let after = app.get("/api/v1/me", Some(&desk_at)).await;
    assert_eq!(after.status, 401, "{}", after.body);
    assert!(after.is_problem());
    // The other sign-in of the same account goes on.
    assert_eq!(app.get("/api/v1/me", Some(&phone_at)).await.status, 200);
    // A token refreshed in the ended family is refused as well.
    let pr = phone.body["refresh_token"].as_str().unwrap();
    let rotated = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": pr}))
        .await;
    assert_eq!(rotated.status, 200);
    let new_at = access(&rotated);
    assert_eq!(app.get("/api/v1/me", Some(&new_at)).await.status, 200);
    let new_rt = rotated.body["refresh_token"].as_str().unwrap();
    app.post(
        "/api/v1/auth/logout",
        None,
        json!({"refresh_token": new_rt}),
    )
    .await;
    assert_eq!(app.get("/api/v1/me", Some(&new_at)).await.status, 401);
    assert_eq!(app.get("/api/v1/me", Some(&phone_at)).await.status, 401);
}

#[tokio::test]
async fn wrong_password_is_401_then_the_account_locks_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.login.slow_after = 2;
        c.login.delay_step = std::time::Duration::from_millis(20);
        c.login.lock_after = 4;
    })
    .await;
    app.admin().await;
    for _ in 0..4 {
        let r = app.login_pair("root", "wrong-password").await;
        assert_eq!(r.status, 401);
        assert!(r.is_problem());
    }
    let locked = app.login_pair("root", ADMIN_PASSWORD).await;
    assert_eq!(
        locked.status, 429,
        "even the right password waits out the lock"
    );
    assert!(locked.is_problem());
    let retry: u64 = locked
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
}

#[tokio::test]
async fn one_address_failing_on_many_accounts_is_locked() {
    let app = TestApp::spawn_with(|c| c.login.address_lock_after = 5).await;
    app.admin().await;
    for i in 0..5 {
        let r = app
            .login_pair(&format!("nobody{i}"), "whatever-password")
            .await;
        assert_eq!(r.status, 401);
    }
    let r = app.login_pair("root", ADMIN_PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(r.headers.get("retry-after").is_some());
}

#[tokio::test]
async fn a_citizen_registers_with_an_id_number_and_signs_in() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"citizen_id": "006095001234", "full_name": "Nguyễn Thị Hoa", "phone": "+84 912 345 678",
                   "email": "hoa@example.vn", "password": "mat-khau-cua-hoa"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let token = app.login("006095001234", "mat-khau-cua-hoa").await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["full_name"], "Nguyễn Thị Hoa");
    assert_eq!(me.body["citizen_id"], "006095001234");
    assert_eq!(me.body["role"], "citizen");
    assert_eq!(me.body["phone"], "0912345678", "phone normalised");

    // The same number again: the same answer as a new one, and the account is untouched.
    let again = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"citizen_id": "006095001234", "full_name": "X", "phone": "0912345678", "password": "another-password"}),
        )
        .await;
    assert_eq!(again.status, r.status);
    assert_eq!(
        again.body, r.body,
        "registration tells nobody who is registered"
    );
    assert_eq!(
        app.login_pair("006095001234", "another-password")
            .await
            .status,
        401
    );
    let token = app.login("006095001234", "mat-khau-cua-hoa").await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["full_name"], "Nguyễn Thị Hoa");

    let org = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"tax_code": "4700123456", "full_name": "Công ty TNHH Ba Bể", "phone": "0209 3870 123", "password": "mat-khau-cong-ty"}),
        )
        .await;
    assert_eq!(org.status, 202, "{}", org.body);
    app.login("4700123456", "mat-khau-cong-ty").await;
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = TestApp::spawn_with(|c| c.login.registrations_per_address = 3).await;
    for i in 0..3 {
        let r = app
            .post(
                "/api/v1/citizens",
                None,
                json!({"citizen_id": format!("00609500100{i}"), "full_name": "Lò Văn A", "phone": "0912345678", "password": "mat-khau-du-dai"}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
    }
    let r = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"citizen_id": "006095001009", "full_name": "Lò Văn B", "phone": "0912345678", "password": "mat-khau-du-dai"}),
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.is_problem());
    assert_eq!(
        app.login_pair("006095001009", "mat-khau-du-dai")
            .await
            .status,
        401,
        "the refused registration made no account"
    );
}

#[tokio::test]
async fn registration_reports_every_bad_field() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/citizens",
            None,
            json!({"citizen_id": "12345", "full_name": "", "phone": "12", "email": "no-at", "password": "short"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["citizen_id", "full_name", "phone", "email", "password"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_or_refresh() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let (id, token) = app
        .staff(&admin, "giamsat", "supervisor", Some(&province))
        .await;
    let pair = app.login_pair("giamsat", "giamsat-mat-khau-1").await;
    let rt = pair.body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);
    let r = app
        .post(
            &format!("/api/v1/users/{id}/disable"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["disabled"], true);
    // Its access token stops at once, not when it expires.
    let r = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.is_problem());
    assert_eq!(
        app.login_pair("giamsat", "giamsat-mat-khau-1").await.status,
        401
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": rt}))
            .await
            .status,
        401
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/users/{id}/enable"),
            Some(&admin),
            json!({})
        )
        .await
        .status,
        200
    );
    let fresh = app.login("giamsat", "giamsat-mat-khau-1").await;
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status, 200);
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        401,
        "re-enabling does not revive the old token"
    );
}

#[tokio::test]
async fn password_reset_replaces_the_password() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let province = app
        .unit(&admin, "06", "Tỉnh Bắc Kạn", "province", None)
        .await;
    let (id, _) = app
        .staff(&admin, "lanhdao", "approver", Some(&province))
        .await;
    let r = app
        .post(
            &format!("/api/v1/users/{id}/reset-password"),
            Some(&admin),
            json!({"new_password": "mat-khau-moi-2026"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        app.login_pair("lanhdao", "lanhdao-mat-khau-1").await.status,
        401
    );
    app.login("lanhdao", "mat-khau-moi-2026").await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled_not_the_proxy() {
    let app = TestApp::spawn_with(|c| {
        c.trust_proxy = true;
        c.login.address_lock_after = 3;
    })
    .await;
    app.admin().await;
    let attempt = |from: &'static str, password: &'static str| {
        app.client
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("x-forwarded-for", from)
            .json(&json!({"username": "root", "password": password}))
            .send()
    };
    for _ in 0..3 {
        // Unknown accounts, so the per-account lock stays out of it.
        let r = app
            .client
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"username": "nobody", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    assert_eq!(
        attempt("203.0.113.7", ADMIN_PASSWORD)
            .await
            .unwrap()
            .status(),
        429
    );
    assert_eq!(
        attempt("198.51.100.20", ADMIN_PASSWORD)
            .await
            .unwrap()
            .status(),
        200
    );
}
