//! The web client's sessions: signing in with the same accounts as the API (and the same
//! throttles), a session cookie (HttpOnly, SameSite=Strict, Secure over TLS) holding a signed
//! token of its own audience, and CSRF protection on every form post.
//!
//! A web sign-in is a refresh-token family like the API's (its token is never handed out):
//! signing out revokes the family, which ends the session at once on this instance and within
//! seconds on the others, as for the API (`auth::standing`). The CSRF token is an HMAC of the
//! sign-in's id with the JWT secret: it changes with each sign-in and needs no storage. Before
//! sign-in, the login form is protected by a random value in a cookie and the form alike.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::WebError;
use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "motcua_phien";
pub const LOGIN_COOKIE: &str = "motcua_dn";
/// A web session lasts a working day and a half; then the user signs in again.
pub const SESSION_HOURS: i64 = 12;

/// The signed-in person of a web request.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub caller: Caller,
    pub name: String,
    pub session: Uuid,
    /// The value every form of this session posts back.
    pub csrf: String,
}

impl WebUser {
    pub fn role(&self) -> Role {
        self.caller.role
    }
}

/// The CSRF token of sign-in `session`.
pub fn csrf_token(state: &AppState, session: Uuid) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.csrf_key).unwrap_or_else(|_| unreachable_mac());
    mac.update(b"csrf:");
    mac.update(session.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// HMAC takes keys of any length; this is never reached.
fn unreachable_mac() -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(b"motcua").unwrap_or_else(|_| unreachable_mac())
}

/// Compares in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Whether the request came over TLS (directly, or through a trusted proxy that says so).
pub fn secure(state: &AppState, req: &HttpRequest) -> bool {
    if state.trust_proxy {
        req.connection_info().scheme() == "https"
    } else {
        req.app_config().secure()
    }
}

/// A cookie as every cookie of the client is: HttpOnly, SameSite=Strict, path `/`.
pub fn cookie<'a>(
    state: &AppState,
    req: &HttpRequest,
    name: &'a str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state, req))
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

/// Opens a session for `user`: its family row (so that signing out can end it) and the cookie.
pub async fn open(
    state: &AppState,
    req: &HttpRequest,
    signed: crate::services::auth::SignedIn,
) -> Result<Cookie<'static>, AppError> {
    let user = &signed.user;
    let family = Uuid::now_v7();
    let ttl = chrono::Duration::hours(SESSION_HOURS);
    let (uid, fam) = (user.uuid(), family.to_string());
    // The family's token is never handed out: the row exists to be revoked.
    let digest = crate::auth::tokens::digest(&crate::auth::tokens::new_refresh_token());
    let expires = (chrono::Utc::now() + ttl).naive_utc();
    // The success and the session's family in one transaction.
    let signed = state
        .db
        .write(move |c| {
            signed.record(c)?;
            crate::auth::store::insert(c, uid, &fam, &digest, expires)?;
            Ok(signed)
        })
        .await?;
    let user = &signed.user;
    let token = state
        .tokens
        .issue_web(&user.view(), family, ttl.num_seconds())
        .map_err(AppError::internal)?;
    tracing::info!(user_id = %uid, role = user.role().as_str(), "signed in (web)");
    Ok(cookie(state, req, SESSION_COOKIE, token, ttl.num_seconds()))
}

/// Ends the session: its family is revoked and the account's cached standing forgotten.
pub async fn close(state: &AppState, user: &WebUser) -> Result<(), AppError> {
    let family = user.session.to_string();
    state
        .db
        .write(move |c| crate::auth::store::revoke_family(c, &family))
        .await?;
    state.standing.forget(user.caller.user_id);
    Ok(())
}

/// The session of a request, if it has a valid one.
pub async fn current(state: &AppState, req: &HttpRequest) -> Result<Option<WebUser>, AppError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Ok(claims) = state.tokens.verify_web(cookie.value()) else {
        return Ok(None);
    };
    let Some(session) = claims.sid else {
        return Ok(None);
    };
    let ttl = chrono::Duration::hours(SESSION_HOURS);
    match crate::state::authenticate_claims(state, &claims, ttl).await {
        Ok(caller) => Ok(Some(WebUser {
            caller,
            name: claims.name.unwrap_or_default(),
            session,
            csrf: csrf_token(state, session),
        })),
        Err(AppError::Unauthorized(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

impl FromRequest for WebUser {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            match current(&state, &req).await.map_err(WebError::from)? {
                Some(user) => {
                    req.extensions_mut().insert(user.clone());
                    Ok(user)
                }
                None => Err(WebError::SignIn(next_of(&req))),
            }
        })
    }
}

/// The person if signed in, for pages that anyone may open.
pub struct MaybeUser(pub Option<WebUser>);

impl FromRequest for MaybeUser {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            let user = current(&state, &req).await.map_err(WebError::from)?;
            if let Some(u) = &user {
                req.extensions_mut().insert(u.clone());
            }
            Ok(MaybeUser(user))
        })
    }
}

pub fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::from(AppError::Unavailable("state missing".to_owned())))
}

/// Where to come back after signing in: this page (GET only), else the home page.
fn next_of(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
    } else {
        // A form posted after the session ended: back to the page the form was on (this
        // site's, as the browser's Referer says), where the page's script restores it.
        let info = req.connection_info();
        let origin = format!("{}://{}", info.scheme(), info.host());
        req.headers()
            .get(actix_web::http::header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.strip_prefix(origin.as_str()))
            .filter(|p| p.starts_with('/') && !p.starts_with("//"))
            .map_or_else(|| "/".to_owned(), str::to_owned)
    }
}

/// Whether the browser says the request came from another site (`Origin`, else
/// `Sec-Fetch-Site`); a request that says nothing is judged by its token alone.
pub fn cross_site(req: &HttpRequest) -> bool {
    use actix_web::http::header;
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req.connection_info().host().to_owned();
        let origin = origin.to_str().unwrap_or("");
        let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
        return origin == "null" || !origin_host.eq_ignore_ascii_case(&host);
    }
    req.headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
}

/// A form post: the signed-in person, the form's fields, checked against CSRF (the token
/// posted back must be this session's, and the browser must not say it came from elsewhere).
pub struct Posted<T> {
    pub user: WebUser,
    pub form: T,
    /// The form's one-time token (`once`), already checked: a repeat never reaches a handler.
    /// An online filing also hands it to the service as its idempotency key.
    pub once: Option<String>,
}

/// The largest form a page posts (file uploads are multipart and go elsewhere).
const FORM_LIMIT: usize = 64 * 1024;

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let user = WebUser::from_request(&req, &mut Payload::None).await?;
            let body = body.await.map_err(|_| {
                WebError::from(AppError::BadRequest(
                    "the form could not be read".to_owned(),
                ))
            })?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::PayloadTooLarge(FORM_LIMIT).into());
            }
            let token = form_urlencoded::parse(&body)
                .find(|(k, _)| k == "_csrf")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            if cross_site(&req) || !same_token(&token, &user.csrf) {
                return Err(WebError::Csrf);
            }
            let once = form_urlencoded::parse(&body)
                .find(|(k, _)| k == super::once::FIELD)
                .map(|(_, v)| v.into_owned());
            super::once::guard(&req, user.caller.user_id, once.as_deref()).await?;
            let form = serde_html_form::from_bytes::<T>(&body)
                .map_err(|e| WebError::from(AppError::invalid("form", e.to_string())))?;
            Ok(Posted { user, form, once })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", "a"));
    }
}
