//! `Caller`: the authenticated user of a request, and the unit scope that every read and
//! write is checked against (outside the scope the answer is 404). The extractors that build
//! it from a bearer token live in `crate::state`, beside the state they read.

use actix_web::{http::header, HttpRequest};
use uuid::Uuid;

use crate::accounts::model::Role;
pub use crate::units::model::Scope;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    pub unit_id: Option<Uuid>,
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
