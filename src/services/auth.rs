//! `/api/v1/auth`: login (password → access + refresh token), refresh (rotation with replay
//! detection), logout.

use actix_web::{web, HttpRequest};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::store::{self as users, User, UserRow};
use crate::auth::{password, store, tokens};
use crate::error::{AppError, AppResult};
use crate::state::{client_address, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Staff user name, or a citizen's personal ID number / an organisation's tax code.
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; exchange it once at `/api/v1/auth/refresh`.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub user: User,
}

pub fn bad_credentials() -> AppError {
    AppError::Unauthorized("wrong user name or password".to_owned())
}

/// Issues a new access token and a refresh token in `family` (a new family on login).
pub fn issue_pair(
    state: &AppState,
    conn: &mut crate::db::DbConn,
    user: &UserRow,
    family: &str,
) -> AppResult<TokenPair> {
    let access = state
        .tokens
        .issue(
            user.uuid(),
            user.role(),
            user.unit(),
            Uuid::parse_str(family).ok(),
        )
        .map_err(AppError::internal)?;
    let refresh_token = tokens::new_refresh_token();
    let ttl = state.refresh_ttl;
    store::insert(
        conn,
        user.uuid(),
        family,
        &tokens::digest(&refresh_token),
        (Utc::now() + ttl).naive_utc(),
    )?;
    Ok(TokenPair {
        access_token: access,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs,
        refresh_token,
        refresh_expires_in: ttl.num_seconds(),
        user: user.view(),
    })
}

/// An account whose user name and password were right.
pub struct SignedIn {
    pub user: UserRow,
    /// Its failed attempts or lock are to be cleared.
    clear_failures: bool,
}

impl SignedIn {
    /// Records the success (clears the failures) in the caller's transaction, the one that
    /// opens the sign-in's token family.
    pub fn record(&self, conn: &mut crate::db::DbConn) -> AppResult<()> {
        if self.clear_failures {
            users::record_success(conn, self.user.uuid())?;
        }
        Ok(())
    }
}

/// Checks a user name and password, with the throttles: the account signing in (the API's
/// login and the web client's both come here). Failures are counted at once; a success is
/// recorded by `SignedIn::record`, in the write that opens the sign-in.
pub async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    username: &str,
    pw: String,
) -> AppResult<SignedIn> {
    let username = username.trim().to_lowercase();
    if username.is_empty() || username.len() > 64 || pw.is_empty() || pw.chars().count() > 1024 {
        return Err(bad_credentials());
    }
    let ip = client_address(state, req);
    if let Some(secs) = ip.and_then(|ip| state.address_throttle.locked_for(ip)) {
        crate::metrics::throttled(crate::metrics::Throttle::Address);
        return Err(AppError::TooManyRequests {
            retry_after_secs: secs,
        });
    }
    let lookup = username.clone();
    let user = state
        .db
        .read(move |c| users::by_username(c, &lookup))
        .await?;
    let policy = &state.login;
    if let Some(u) = &user {
        if let Some(until) = u
            .locked_until
            .map(crate::db::utc)
            .filter(|t| *t > Utc::now())
        {
            let secs = (until - Utc::now()).num_seconds().max(1);
            crate::metrics::throttled(crate::metrics::Throttle::Account);
            return Err(AppError::TooManyRequests {
                retry_after_secs: secs.unsigned_abs(),
            });
        }
        let failures = u32::try_from(u.failed_logins).unwrap_or(0);
        if failures >= policy.slow_after {
            let delay = policy.delay_step * (failures - policy.slow_after + 1);
            actix_web::rt::time::sleep(delay.min(policy.max_delay)).await;
        }
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = web::block(move || match stored {
        Some(hash) => password::verify(&pw, &hash),
        None => {
            password::verify_dummy(&pw);
            false
        }
    })
    .await?;
    let known_id = user.as_ref().map(UserRow::uuid);
    let Some(user) = user.filter(|_| ok) else {
        crate::metrics::sign_in_failed();
        if let Some(ip) = ip {
            state.address_throttle.record(ip);
        }
        if let Some(u) = known_id {
            let (lock_after, lock_for) = (
                policy.lock_after,
                chrono::Duration::from_std(policy.lock_for).unwrap_or_default(),
            );
            state
                .db
                .write(move |c| users::record_failure(c, u, lock_after, lock_for))
                .await?;
        }
        return Err(bad_credentials());
    };
    if user.disabled {
        return Err(AppError::Unauthorized(
            "this account is disabled".to_owned(),
        ));
    }
    if let Some(ip) = ip {
        state.address_throttle.record_success(ip);
    }
    let clear_failures = user.failed_logins != 0 || user.locked_until.is_some();
    Ok(SignedIn {
        user,
        clear_failures,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub enum Rotation {
    Issued(Box<TokenPair>),
    Refused(&'static str),
}
