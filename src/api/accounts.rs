//! `/api/v1/users` (administrators), `/api/v1/citizens` (self-registration), `/api/v1/me`.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use crate::accounts::model::{self, CitizenId, Role};
use crate::accounts::store::{self, NewUser, User, UserChanges, UserFilter};
use crate::auth::{store as tokens_store, Caller};
use crate::error::{AppError, AppResult, Validator};
use crate::http::{check_query_text, Json, Page, PageParams};
use crate::services::accounts::*;
use crate::state::AppState;
use crate::units::store as units;
use utoipa_actix_web::service_config::ServiceConfig;

/// The caller's own account.
#[utoipa::path(tag = "accounts", security(("bearer" = [])), responses((status = 200, body = User)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<User>> {
    let id = caller.user_id;
    let user = state
        .db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(web::Json(user.view()))
}

/// Self-registration of a citizen or an organisation. The ID number (or tax code) becomes the
/// user name for signing in. The answer is the same whether or not the number already had an
/// account (an existing account is left unchanged), so that registration does not tell who
/// is registered; the applicant finds out by signing in. Limited per client address.
#[utoipa::path(tag = "accounts", request_body = RegisterCitizen,
    responses((status = 202, body = RegistrationAccepted),
        (status = 429, description = "Too many registrations from this address; `Retry-After` says when to try again", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/citizens")]
pub async fn register_citizen(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: Json<RegisterCitizen>,
) -> AppResult<HttpResponse> {
    if let Some(ip) = crate::state::client_address(&state, &req) {
        if let Some(secs) = state.register_limit.locked_for(ip) {
            crate::metrics::throttled(crate::metrics::Throttle::Registration);
            return Err(AppError::TooManyRequests {
                retry_after_secs: secs,
            });
        }
        state.register_limit.record(ip);
    }
    let input = body.0;
    let mut v = Validator::new();
    let citizen_id = match (&input.citizen_id, &input.tax_code) {
        (Some(id), None) => match CitizenId::parse(id) {
            Ok(id) => Some(id),
            Err(why) => {
                v.add("citizen_id", why);
                None
            }
        },
        (None, Some(code)) => {
            v.check(
                model::valid_tax_code(code.trim()),
                "tax_code",
                "must be 10 digits, or 10 digits-3 digits",
            );
            None
        }
        _ => {
            v.add("citizen_id", "give exactly one of citizen_id and tax_code");
            None
        }
    };
    v.text("full_name", &input.full_name, 200);
    let phone = model::normalize_phone(&input.phone);
    v.check(
        phone.is_some(),
        "phone",
        "must be a Vietnamese phone number",
    );
    if let Some(e) = &input.email {
        v.check(
            model::valid_email(e.trim()),
            "email",
            "must be an e-mail address",
        );
    }
    model::check_password(&mut v, "password", &input.password);
    v.finish()?;
    let tax_code = input.tax_code.as_deref().map(str::trim).map(str::to_owned);
    let username = citizen_id
        .as_ref()
        .map(|c| c.as_str().to_owned())
        .or_else(|| tax_code.clone())
        .unwrap_or_default();
    // Hashed either way, so that an existing number answers no faster than a new one.
    let pw_hash = hash(input.password).await?;
    let created = state
        .db
        .write(move |c| {
            if store::username_taken(c, &username)? {
                return Ok(None);
            }
            store::insert(
                c,
                NewUser {
                    username: &username,
                    role: Role::Citizen,
                    unit_id: None,
                    full_name: input.full_name.trim(),
                    password_hash: &pw_hash,
                    citizen_id: citizen_id.as_ref().map(CitizenId::as_str),
                    tax_code: tax_code.as_deref(),
                    phone: phone.as_deref(),
                    email: input.email.as_deref().map(str::trim),
                },
            )
            .map(Some)
        })
        .await;
    match created {
        Ok(Some(user)) => tracing::info!(user_id = %user.uuid(), "citizen registered"),
        Ok(None) | Err(AppError::Conflict(_)) => {
            tracing::info!("registration for a number that already has an account; left unchanged")
        }
        Err(e) => return Err(e),
    }
    Ok(HttpResponse::Accepted().json(REGISTRATION_ACCEPTED))
}

/// Accounts the administrator manages (staff of units in their scope).
#[utoipa::path(tag = "accounts", params(UserListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<User>)))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<UserListQuery>,
) -> AppResult<web::Json<Page<User>>> {
    caller.require(&[Role::Admin])?;
    let q = query.into_inner();
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .paging()?;
    check_query_text("q", q.q.as_deref())?;
    let filter = UserFilter {
        role: q.role,
        unit: q.unit_id,
        disabled: q.disabled,
        q: q.q,
    };
    let scope = caller.scope();
    let (items, total) = state
        .db
        .read(move |c| store::list(c, scope, &filter, paging))
        .await?;
    Ok(web::Json(Page::new(items, total, paging)))
}

#[utoipa::path(tag = "accounts", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = User),
        (status = 409, description = "The user name is taken", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateUser>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let input = body.0;
    let username = input.username.trim().to_lowercase();
    let mut v = Validator::new();
    v.check(
        model::valid_username(&username),
        "username",
        "must be 3–64 of a-z, 0-9, '.', '_', '-'",
    );
    v.check(input.role.is_staff(), "role", "must be a staff role");
    v.text("full_name", &input.full_name, 200);
    let phone = check_contact(&mut v, input.phone.as_deref(), input.email.as_deref());
    model::check_password(&mut v, "password", &input.password);
    v.finish()?;
    let pw_hash = hash(input.password).await?;
    let scope = caller.scope();
    let user = state
        .db
        .write(move |c| {
            let unit = home_unit(c, scope, input.role, input.unit_id)?;
            if store::username_taken(c, &username)? {
                return Err(AppError::Conflict(format!("user name {username} is taken")));
            }
            store::insert(
                c,
                NewUser {
                    username: &username,
                    role: input.role,
                    unit_id: unit,
                    full_name: input.full_name.trim(),
                    password_hash: &pw_hash,
                    citizen_id: None,
                    tax_code: None,
                    phone: phone.as_deref(),
                    email: input.email.as_deref().map(str::trim),
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(user.view()))
}

#[utoipa::path(tag = "accounts", security(("bearer" = [])), responses((status = 200, body = User)))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<User>> {
    caller.require(&[Role::Admin])?;
    let (id, scope) = (id.into_inner(), caller.scope());
    Ok(web::Json(
        state.db.read(move |c| managed(c, scope, id)).await?.view(),
    ))
}

#[utoipa::path(tag = "accounts", request_body = UpdateUser, security(("bearer" = [])), responses((status = 200, body = User)))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateUser>,
) -> AppResult<web::Json<User>> {
    caller.require(&[Role::Admin])?;
    let input = body.0;
    let mut v = Validator::new();
    if let Some(n) = &input.full_name {
        v.text("full_name", n, 200);
    }
    if let Some(r) = input.role {
        v.check(r.is_staff(), "role", "must be a staff role");
    }
    let phone = check_contact(&mut v, input.phone.as_deref(), input.email.as_deref());
    v.finish()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let user = state
        .db
        .write(move |c| {
            let user = managed(c, scope, id)?;
            if user.role() == Role::Citizen && (input.role.is_some() || input.unit_id.is_some()) {
                return Err(AppError::invalid(
                    "role",
                    "a citizen account has no role or unit to change",
                ));
            }
            let role = input.role.unwrap_or_else(|| user.role());
            let unit = match input.unit_id {
                Some(u) => home_unit(c, scope, role, Some(u))?,
                None => user.unit(),
            };
            if unit.is_none() && role != Role::Admin && role != Role::Citizen {
                return Err(AppError::invalid("unit_id", "staff need a home unit"));
            }
            store::update(
                c,
                &user,
                UserChanges {
                    full_name: input.full_name.map(|n| n.trim().to_owned()),
                    role: input.role,
                    unit_id: unit,
                    phone,
                    email: input.email.map(|e| e.trim().to_owned()),
                },
            )
        })
        .await?;
    Ok(web::Json(user.view()))
}

/// Disables an account and signs it out everywhere: its access tokens stop working at once on
/// this instance, within seconds on the others.
#[utoipa::path(tag = "accounts", security(("bearer" = [])), responses((status = 200, body = User),
    (status = 409, description = "An administrator cannot disable their own account", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/users/{id}/disable")]
pub async fn disable_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<User>> {
    Ok(web::Json(
        set_disabled(&state, &caller, id.into_inner(), true).await?,
    ))
}

#[utoipa::path(tag = "accounts", security(("bearer" = [])), responses((status = 200, body = User)))]
#[post("/users/{id}/enable")]
pub async fn enable_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<User>> {
    Ok(web::Json(
        set_disabled(&state, &caller, id.into_inner(), false).await?,
    ))
}

/// Sets a new password, clears any lock and signs the account out everywhere.
#[utoipa::path(tag = "accounts", request_body = ResetPassword, security(("bearer" = [])), responses((status = 204, description = "Password reset")))]
#[post("/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ResetPassword>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let mut v = Validator::new();
    model::check_password(&mut v, "new_password", &body.0.new_password);
    v.finish()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    // Check the scope before spending a hash on it.
    state.db.read(move |c| managed(c, scope, id)).await?;
    let pw_hash = hash(body.0.new_password).await?;
    state
        .db
        .write(move |c| {
            let user = managed(c, scope, id)?;
            store::set_password(c, user.uuid(), &pw_hash)?;
            store::end_access(c, user.uuid())?;
            tokens_store::revoke_user(c, user.uuid())
        })
        .await?;
    state.standing.forget(id);
    Ok(HttpResponse::NoContent().finish())
}

/// The enabled clerks, officers and approvers of a unit, by name: the assignee picker of a
/// clerk, officer or approver (no administrator needed). 404 for a unit outside the caller's
/// scope.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "The unit"), StaffQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<StaffMember>)))]
#[get("/units/{id}/staff")]
pub async fn unit_staff(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: crate::http::Query<StaffQuery>,
) -> AppResult<web::Json<Page<StaffMember>>> {
    caller.require(&[
        Role::Clerk,
        Role::Officer,
        Role::Approver,
        Role::Supervisor,
        Role::Admin,
    ])?;
    let paging = PageParams {
        page: query.page,
        per_page: query.per_page,
    }
    .paging()?;
    let (id, scope) = (id.into_inner(), caller.scope());
    let staff = state
        .db
        .read(move |c| {
            units::get_in_scope(c, id, scope)?;
            store::staff_of(c, id)
        })
        .await?;
    let total = i64::try_from(staff.len()).unwrap_or(i64::MAX);
    let items = staff
        .into_iter()
        .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit()).unwrap_or(0))
        .map(|(id, full_name, role)| StaffMember {
            id,
            full_name,
            role,
        })
        .collect();
    Ok(web::Json(Page::new(items, total, paging)))
}

/// The `accounts` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(me)
        .service(register_citizen)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(disable_user)
        .service(enable_user)
        .service(reset_password)
        .service(unit_staff);
}
