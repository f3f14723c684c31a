//! `/api/v1/auth`: login (password → access + refresh token), refresh (rotation with replay
//! detection), logout.

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use uuid::Uuid;

use crate::accounts::store::{self as users};
use crate::auth::{store, tokens};
use crate::error::{AppError, AppResult};
use crate::http::Json;
use crate::services::auth::*;
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

/// Signs in. Repeated failures on one account are slowed, then locked for a while (429 with
/// `Retry-After`); so are repeated failures from one address.
#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair),
        (status = 401, description = "Wrong or empty user name or password, or a disabled account", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> AppResult<web::Json<TokenPair>> {
    let LoginRequest {
        username,
        password: pw,
    } = body.0;
    let signed = sign_in(&state, &req, &username, pw).await?;
    let st = state.clone();
    let pair = state
        .db
        .write(move |c| {
            signed.record(c)?;
            issue_pair(&st, c, &signed.user, &Uuid::now_v7().to_string())
        })
        .await?;
    tracing::info!(user_id = %pair.user.id, role = pair.user.role.as_str(), "signed in");
    Ok(web::Json(pair))
}

/// Exchanges a refresh token for a new pair. A token can be spent once: presenting a spent
/// token again revokes its whole family (every token from the same sign-in).
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 200, body = TokenPair),
    (status = 401, description = "Unknown, empty, expired, spent or revoked refresh token", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<web::Json<TokenPair>> {
    let digest = tokens::digest(body.0.refresh_token.trim());
    let st = state.clone();
    // The revocation must commit even though the caller is refused, so refusals are values here.
    let outcome = state
        .db
        .write(move |c| {
            let Some(row) = store::by_digest(c, &digest)? else {
                return Ok(Rotation::Refused("unknown refresh token"));
            };
            if row.revoked_at.is_some() {
                return Ok(Rotation::Refused("the refresh token was revoked"));
            }
            if row.used_at.is_some() || !store::spend(c, &row.id)? {
                store::revoke_family(c, &row.family_id)?;
                tracing::warn!(family = %row.family_id, "spent refresh token replayed; family revoked");
                return Ok(Rotation::Refused("the refresh token was already used; sign in again"));
            }
            if crate::db::utc(row.expires_at) <= Utc::now() {
                return Ok(Rotation::Refused("the refresh token expired"));
            }
            let user = users::get(c, crate::db::id_of(&row.user_id))?;
            match user {
                Some(u) if !u.disabled => Ok(Rotation::Issued(Box::new(issue_pair(&st, c, &u, &row.family_id)?))),
                _ => {
                    store::revoke_family(c, &row.family_id)?;
                    Ok(Rotation::Refused("this account is disabled"))
                }
            }
        })
        .await?;
    match outcome {
        Rotation::Issued(pair) => Ok(web::Json(*pair)),
        Rotation::Refused(why) => Err(AppError::Unauthorized(why.to_owned())),
    }
}

/// Signs out: revokes the refresh token's family, and with it the access tokens of that
/// sign-in (at once on this instance, within seconds on the others). Idempotent.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 204, description = "Signed out")))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let digest = tokens::digest(body.0.refresh_token.trim());
    let signed_out = state
        .db
        .write(move |c| {
            let row = store::by_digest(c, &digest)?;
            if let Some(row) = &row {
                store::revoke_family(c, &row.family_id)?;
            }
            Ok(row.map(|r| r.user_id))
        })
        .await?;
    if let Some(user) = signed_out {
        state.standing.forget(crate::db::id_of(&user));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The `auth` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}
