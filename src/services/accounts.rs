//! `/api/v1/users` (administrators), `/api/v1/citizens` (self-registration), `/api/v1/me`.

use actix_web::web;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::{self, Role};
use crate::accounts::store::{self, User};
use crate::auth::{password, store as tokens_store, Caller, Scope};
use crate::error::{AppError, AppResult, Validator};
use crate::state::AppState;
use crate::units::store as units;

pub async fn hash(pw: String) -> AppResult<String> {
    web::block(move || password::hash(&pw))
        .await?
        .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCitizen {
    /// 12-digit personal ID number (số định danh cá nhân); or give `tax_code` for an organisation.
    #[schema(pattern = r"^[0-9]{12}$")]
    pub citizen_id: Option<String>,
    /// An organisation's tax code (mã số thuế): 10 digits, or 10-3 for a branch.
    pub tax_code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub password: String,
}

/// The answer to a registration, the same whether or not the ID number had an account.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct RegistrationAccepted {
    /// Always `accepted`.
    pub status: &'static str,
    /// What to do next, in Vietnamese.
    pub detail: &'static str,
}

pub const REGISTRATION_ACCEPTED: RegistrationAccepted = RegistrationAccepted {
    status: "accepted",
    detail: "Đã nhận đăng ký. Nếu số định danh (mã số thuế) chưa có tài khoản, tài khoản đã được tạo: hãy đăng nhập bằng số định danh và mật khẩu vừa đặt. Nếu đã có, mật khẩu cũ vẫn giữ nguyên: hãy đăng nhập bằng mật khẩu đó hoặc đề nghị cấp lại.",
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    pub role: Option<Role>,
    /// Only staff of this unit.
    pub unit_id: Option<Uuid>,
    pub disabled: Option<bool>,
    /// Words in the user name or full name, ignoring diacritics.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–64 of a-z, 0-9, `.`, `_`, `-`.
    pub username: String,
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    /// A staff role (`citizen` is not allowed here).
    pub role: Role,
    /// Home unit; required except for a global administrator.
    pub unit_id: Option<Uuid>,
    pub password: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub fn check_contact(
    v: &mut Validator,
    phone: Option<&str>,
    email: Option<&str>,
) -> Option<String> {
    if let Some(e) = email {
        v.check(
            model::valid_email(e.trim()),
            "email",
            "must be an e-mail address",
        );
    }
    phone.and_then(|p| {
        let n = model::normalize_phone(p);
        v.check(n.is_some(), "phone", "must be a Vietnamese phone number");
        n
    })
}

/// Resolves and checks a staff member's home unit against the administrator's scope.
pub fn home_unit(
    c: &mut crate::db::DbConn,
    scope: Scope,
    role: Role,
    unit: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    match unit {
        Some(id) => Ok(Some(units::manageable_field(c, id, scope, "unit_id")?.id)),
        None if role == Role::Admin && scope == Scope::All => Ok(None),
        None => Err(AppError::invalid("unit_id", "staff need a home unit")),
    }
}

/// Loads an account the administrator manages, else 404.
pub fn managed(c: &mut crate::db::DbConn, scope: Scope, id: Uuid) -> AppResult<store::UserRow> {
    match store::get(c, id)? {
        Some(u) if store::manageable(c, &u, scope)? => Ok(u),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    /// A staff role; a citizen's role cannot change.
    pub role: Option<Role>,
    pub unit_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub async fn set_disabled(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    disabled: bool,
) -> AppResult<User> {
    caller.require(&[Role::Admin])?;
    if disabled && id == caller.user_id {
        return Err(AppError::Conflict(
            "you cannot disable your own account".to_owned(),
        ));
    }
    let scope = caller.scope();
    let user = state
        .db
        .write(move |c| {
            let user = managed(c, scope, id)?;
            store::set_disabled(c, user.uuid(), disabled)?;
            if disabled {
                tokens_store::revoke_user(c, user.uuid())?;
            }
            Ok(store::get(c, id)?.ok_or(AppError::NotFound)?.view())
        })
        .await?;
    state.standing.forget(id);
    Ok(user)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub new_password: String,
}

/// Someone a dossier can be assigned to: no contact data, only who they are.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct StaffMember {
    pub id: Uuid,
    pub full_name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}
