//! One-time form tokens: every form that changes something carries a fresh `_once` value, and
//! the server acts on the first post of it only. A repeat (a double click, Back and resend, a
//! retry on a slow link) gets the first post's answer again, usually the 303 to the dossier or
//! the receipt, and never a second record nor an error page. A repeat that arrives while the
//! first is still being handled waits for its answer.
//!
//! The token is reserved (a `form_once` row without an answer) before the handler runs, and
//! `record` stores the answer after it: a success (below 400) is kept for a day, a refusal is
//! forgotten, so the corrected form can be posted again with the same token.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use base64::Engine;
use diesel::prelude::*;
use rand::RngCore;
use uuid::Uuid;

use super::WebError;
use crate::db::schema::form_once;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The form field (and, for a multipart upload, the query parameter) that carries the token.
pub const FIELD: &str = "_once";

/// How long an answer is replayed.
const KEPT: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// A reservation older than this without an answer was abandoned.
const ABANDONED: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Answers larger than this are kept without their body (a success page, not a redirect).
const MAX_BODY: usize = 512 * 1024;

/// A fresh token for one rendering of a form.
pub fn token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `t` looks like a token this module hands out (22 base64url characters).
fn well_formed(t: &str) -> bool {
    t.len() == 22
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The answer a first post got.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

impl Stored {
    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut res = HttpResponse::build(status);
        if let Some(l) = &self.location {
            res.insert_header((header::LOCATION, l.as_str()));
        }
        if let Some(t) = &self.content_type {
            res.insert_header((header::CONTENT_TYPE, t.as_str()));
        }
        res.insert_header((header::CONTENT_SECURITY_POLICY, super::CSP))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"));
        res.body(self.body.clone().unwrap_or_default())
    }
}

/// The token of the request being handled, reserved: `record` answers it.
#[derive(Debug, Clone)]
struct Reserved {
    user: String,
    token: String,
}

/// A `form_once` row's answer: status (none while handled), location, content type, body.
type StoredRow = (Option<i32>, Option<String>, Option<String>, Option<String>);

enum Begun {
    Fresh,
    Done(Stored),
    Busy,
}

/// Reserves `token` for `user`, or finds the answer a first post got. Old answers go.
fn begin(conn: &mut crate::db::DbConn, user: &str, token: &str) -> AppResult<Begun> {
    let now = chrono::Utc::now().naive_utc();
    diesel::delete(form_once::table.filter(form_once::created_at.lt(now - KEPT))).execute(conn)?;
    let row: Option<StoredRow> = form_once::table
        .find((user, token))
        .select((
            form_once::status,
            form_once::location,
            form_once::content_type,
            form_once::body,
        ))
        .first(conn)
        .optional()?;
    match row {
        Some((Some(status), location, content_type, body)) => {
            return Ok(Begun::Done(Stored {
                status: u16::try_from(status).unwrap_or(200),
                location,
                content_type,
                body,
            }))
        }
        Some((None, ..)) => {
            // A reservation nobody answered (the instance stopped mid-request) is taken over.
            let taken = diesel::update(
                form_once::table
                    .find((user, token))
                    .filter(form_once::status.is_null())
                    .filter(form_once::created_at.lt(now - ABANDONED)),
            )
            .set(form_once::created_at.eq(now))
            .execute(conn)?;
            return Ok(if taken == 1 {
                Begun::Fresh
            } else {
                Begun::Busy
            });
        }
        None => {}
    }
    // Two first posts at once (PostgreSQL): one insert wins, the other's conflict is `Busy`.
    diesel::insert_into(form_once::table)
        .values((
            form_once::user_id.eq(user),
            form_once::token.eq(token),
            form_once::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Begun::Fresh)
}

/// Before a form's handler acts: the first post of a token goes on (the token reserved for
/// `record`); a repeat is answered with what the first got (`WebError::Replay`), waiting for
/// it while the first is still being handled. A post without a token goes on as before.
pub async fn guard(req: &HttpRequest, user: Uuid, token: Option<&str>) -> Result<(), WebError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    if !well_formed(token) {
        return Err(AppError::invalid(FIELD, "is not a token of this form").into());
    }
    let state = super::session::state_of(req)?;
    let (user, token) = (user.to_string(), token.to_owned());
    // A first post is answered within the request timeout; wait a little longer than most.
    for _ in 0..300 {
        let (u, t) = (user.clone(), token.clone());
        let begun = match state.db.write(move |c| begin(c, &u, &t)).await {
            Err(AppError::Conflict(_)) => Begun::Busy,
            other => other?,
        };
        match begun {
            Begun::Fresh => {
                req.extensions_mut().insert(Reserved { user, token });
                return Ok(());
            }
            Begun::Done(stored) => return Err(WebError::Replay(Box::new(stored))),
            Begun::Busy => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Err(
        AppError::Conflict("the same form is still being handled; reload the page".to_owned())
            .into(),
    )
}

/// After the handler: keeps a success's answer for the token, forgets a refusal's.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(reserved) = res.request().extensions().get::<Reserved>().cloned() else {
        return Ok(res.map_into_boxed_body());
    };
    let Some(state) = res
        .request()
        .app_data::<actix_web::web::Data<AppState>>()
        .cloned()
    else {
        return Ok(res.map_into_boxed_body());
    };
    let status = res.status();
    let Reserved { user, token } = reserved;
    if status.as_u16() >= 400 {
        let _ = state
            .db
            .write(move |c| {
                diesel::delete(form_once::table.find((user, token))).execute(c)?;
                Ok(())
            })
            .await;
        return Ok(res.map_into_boxed_body());
    }
    let header_of = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, content_type) = (header_of(header::LOCATION), header_of(header::CONTENT_TYPE));
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("the answer could not be read"))?;
    let kept = (bytes.len() <= MAX_BODY)
        .then(|| String::from_utf8(bytes.to_vec()).ok())
        .flatten();
    let code = i32::from(status.as_u16());
    let _ = state
        .db
        .write(move |c| {
            diesel::update(form_once::table.find((user, token)))
                .set((
                    form_once::status.eq(Some(code)),
                    form_once::location.eq(location),
                    form_once::content_type.eq(content_type),
                    form_once::body.eq(kept),
                ))
                .execute(c)?;
            Ok(())
        })
        .await;
    let res = res.set_body(bytes).map_into_boxed_body();
    Ok(ServiceResponse::new(req, res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_and_well_formed() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert!(well_formed(&a) && well_formed(&b), "{a} {b}");
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}!", &a[..21])));
    }
}
