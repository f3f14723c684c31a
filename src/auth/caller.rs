//! `Caller`: the authenticated user of a request, from its bearer token, and the unit scope
//! that every read and write is checked against (outside the scope the answer is 404).

use std::future::{ready, Future};
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use uuid::Uuid;

use super::tokens::Claims;
use crate::accounts::model::Role;
use crate::app::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    pub unit_id: Option<Uuid>,
}

/// Which units a caller may see and act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every unit (an administrator without a home unit).
    All,
    /// The unit and everything under it (approver, supervisor, an administrator of a unit).
    Subtree(Uuid),
    /// The unit alone (clerk, officer).
    Unit(Uuid),
    /// No unit: a citizen, who sees only their own records.
    Citizen(Uuid),
}

impl Caller {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn scope(&self) -> Scope {
        match (self.role, self.unit_id) {
            (Role::Citizen, _) => Scope::Citizen(self.user_id),
            (Role::Admin, None) => Scope::All,
            (role, Some(unit)) if role.sees_subtree() => Scope::Subtree(unit),
            (_, Some(unit)) => Scope::Unit(unit),
            // Staff without a unit see nothing; the nil unit matches no row.
            (_, None) => Scope::Unit(Uuid::nil()),
        }
    }
}

pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = verify(req);
        Box::pin(async move { authenticate(verified?).await })
    }
}

/// For public routes that serve signed-in callers more: no `Authorization` header is an
/// anonymous caller; a header with a bad token is still 401.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequest for MaybeCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(header::AUTHORIZATION) {
            return Box::pin(ready(Ok(MaybeCaller(None))));
        }
        let verified = verify(req);
        Box::pin(async move { Ok(MaybeCaller(Some(authenticate(verified?).await?))) })
    }
}

/// The token's claims, checked (signature, expiry, issuer, audience), with the state to check
/// the account's standing against.
fn verify(req: &HttpRequest) -> AppResult<(web::Data<AppState>, Claims)> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unavailable("application state missing".to_owned()))?;
    let token = bearer(req)
        .ok_or_else(|| AppError::Unauthorized("a bearer access token is required".to_owned()))?;
    let claims = state
        .tokens
        .verify(token)
        .map_err(|_| AppError::Unauthorized("the access token is invalid or expired".to_owned()))?;
    Ok((state, claims))
}

/// The caller as the account stands now: refused if it was disabled or its tokens were ended
/// after this one was issued; with its current role and unit (a reorganisation may have moved
/// it since it signed in).
async fn authenticate((state, claims): (web::Data<AppState>, Claims)) -> AppResult<Caller> {
    let ttl = chrono::Duration::seconds(state.tokens.access_ttl_secs);
    authenticate_claims(&state, &claims, ttl).await
}

/// The caller of checked `claims` (from a token that lives at most `ttl`), as the account
/// stands now.
pub async fn authenticate_claims(
    state: &AppState,
    claims: &Claims,
    ttl: chrono::Duration,
) -> AppResult<Caller> {
    let standing = state.standing.get(&state.db, claims.sub, ttl).await?;
    match standing {
        Some(s) if s.accepts(super::standing::issued_ms(claims), claims.sid) => Ok(Caller {
            user_id: claims.sub,
            role: s.role,
            unit_id: s.unit_id,
        }),
        _ => Err(AppError::Unauthorized(
            "the access token is no longer valid for this account; sign in again".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, unit: Option<Uuid>) -> Caller {
        Caller {
            user_id: Uuid::now_v7(),
            role,
            unit_id: unit,
        }
    }

    #[test]
    fn scopes_follow_roles() {
        let u = Uuid::now_v7();
        assert_eq!(caller(Role::Admin, None).scope(), Scope::All);
        assert_eq!(caller(Role::Admin, Some(u)).scope(), Scope::Subtree(u));
        assert_eq!(caller(Role::Supervisor, Some(u)).scope(), Scope::Subtree(u));
        assert_eq!(caller(Role::Approver, Some(u)).scope(), Scope::Subtree(u));
        assert_eq!(caller(Role::Clerk, Some(u)).scope(), Scope::Unit(u));
        assert_eq!(caller(Role::Officer, Some(u)).scope(), Scope::Unit(u));
        assert_eq!(
            caller(Role::Officer, None).scope(),
            Scope::Unit(Uuid::nil())
        );
        let c = caller(Role::Citizen, None);
        assert_eq!(c.scope(), Scope::Citizen(c.user_id));
    }

    #[test]
    fn require_is_403_for_other_roles() {
        assert!(caller(Role::Admin, None).require(&[Role::Admin]).is_ok());
        assert!(matches!(
            caller(Role::Clerk, None).require(&[Role::Admin]),
            Err(AppError::Forbidden)
        ));
    }
}
