//! User queries, including the per-account failed-login counters (kept in the database so
//! every instance sees them).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::Role;
use crate::db::schema::{units, users};
use crate::db::{contains_pattern, id_of, now, utc, DbBackend, DbConn};
use crate::error::{AppError, AppResult};
use crate::http::Paging;
use crate::text;
use crate::units::model::subtree_bounds;
use crate::units::model::Scope;

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub role: String,
    pub unit_id: Option<String>,
    pub full_name: String,
    pub password_hash: String,
    pub citizen_id: Option<String>,
    pub tax_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An account as the API shows it (to its owner and to administrators).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub full_name: String,
    /// Personal ID number (citizens).
    pub citizen_id: Option<String>,
    /// Tax code (organisations).
    pub tax_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Citizen)
    }

    pub fn uuid(&self) -> Uuid {
        id_of(&self.id)
    }

    pub fn unit(&self) -> Option<Uuid> {
        self.unit_id.as_deref().map(id_of)
    }

    pub fn view(&self) -> User {
        User {
            id: self.uuid(),
            username: self.username.clone(),
            role: self.role(),
            unit_id: self.unit(),
            full_name: self.full_name.clone(),
            citizen_id: self.citizen_id.clone(),
            tax_code: self.tax_code.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            disabled: self.disabled,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub citizen_id: Option<&'a str>,
    pub tax_code: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub fn insert(conn: &mut DbConn, new: NewUser<'_>) -> AppResult<UserRow> {
    let id = Uuid::now_v7();
    let at = now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id.to_string()),
            users::username.eq(new.username),
            users::role.eq(new.role.as_str()),
            users::unit_id.eq(new.unit_id.map(|u| u.to_string())),
            users::full_name.eq(new.full_name),
            users::search_text.eq(text::fold(&format!("{} {}", new.username, new.full_name))),
            users::password_hash.eq(new.password_hash),
            users::citizen_id.eq(new.citizen_id),
            users::tax_code.eq(new.tax_code),
            users::phone.eq(new.phone),
            users::email.eq(new.email),
            users::disabled.eq(false),
            users::failed_logins.eq(0),
            users::created_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    get(conn, id)?.ok_or(AppError::NotFound)
}

pub fn get(conn: &mut DbConn, id: Uuid) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .find(id.to_string())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn username_taken(conn: &mut DbConn, username: &str) -> AppResult<bool> {
    Ok(users::table
        .filter(users::username.eq(username))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Whether an administrator with `scope` manages this account: staff of units in the scope;
/// citizens and unit-less administrators only for a global administrator.
pub fn manageable(conn: &mut DbConn, user: &UserRow, scope: Scope) -> AppResult<bool> {
    Ok(match (scope, user.unit()) {
        (Scope::All, _) => true,
        (Scope::Subtree(root), Some(unit)) => {
            crate::units::store::get(conn, unit)?.is_some_and(|u| u.is_within(root))
        }
        _ => false,
    })
}

#[derive(Debug, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub unit: Option<Uuid>,
    pub disabled: Option<bool>,
    pub q: Option<String>,
}

/// Accounts an administrator with `scope` manages.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &UserFilter,
    paging: Paging,
) -> AppResult<(Vec<User>, i64)> {
    let range = match scope {
        Scope::All => None,
        Scope::Subtree(root) => match crate::units::store::get(conn, root)? {
            Some(u) => Some(subtree_bounds(&u.path)),
            None => return Ok((Vec::new(), 0)),
        },
        Scope::Unit(_) | Scope::Citizen(_) => return Ok((Vec::new(), 0)),
    };
    // The same filtered query twice: once to count, once for the page.
    macro_rules! filtered {
        () => {{
            let mut q = users::table
                .left_join(units::table.on(users::unit_id.eq(units::id.nullable())))
                .into_boxed::<DbBackend>();
            if let Some((lo, hi)) = &range {
                q = q.filter(units::path.ge(lo).and(units::path.lt(hi)));
            }
            if let Some(role) = filter.role {
                q = q.filter(users::role.eq(role.as_str()));
            }
            if let Some(unit) = filter.unit {
                q = q.filter(users::unit_id.eq(unit.to_string()));
            }
            if let Some(d) = filter.disabled {
                q = q.filter(users::disabled.eq(d));
            }
            for term in filter
                .q
                .as_deref()
                .map(text::query_terms)
                .unwrap_or_default()
            {
                q = q.filter(
                    users::search_text
                        .like(contains_pattern(&term))
                        .escape('\\'),
                );
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let rows: Vec<UserRow> = filtered!()
        .select(UserRow::as_select())
        .order(users::username.asc())
        .limit(paging.limit())
        .offset(paging.offset())
        .load(conn)?;
    Ok((rows.iter().map(UserRow::view).collect(), total))
}

/// The enabled staff of a unit (id, full name, role), by name: whom a dossier can be
/// assigned to there.
pub fn staff_of(conn: &mut DbConn, unit: Uuid) -> AppResult<Vec<(Uuid, String, Role)>> {
    let rows: Vec<(String, String, String)> = users::table
        .filter(users::unit_id.eq(unit.to_string()))
        .filter(users::disabled.eq(false))
        .filter(users::role.eq_any([
            Role::Clerk.as_str(),
            Role::Officer.as_str(),
            Role::Approver.as_str(),
        ]))
        .order(users::full_name.asc())
        .select((users::id, users::full_name, users::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, role)| Some((crate::db::id_of(&id), name, Role::parse(&role)?)))
        .collect())
}

pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub unit_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub fn update(conn: &mut DbConn, user: &UserRow, ch: UserChanges) -> AppResult<UserRow> {
    let full_name = ch.full_name.unwrap_or_else(|| user.full_name.clone());
    diesel::update(users::table.find(&user.id))
        .set((
            users::search_text.eq(text::fold(&format!("{} {}", user.username, full_name))),
            users::full_name.eq(&full_name),
            users::role.eq(ch.role.unwrap_or_else(|| user.role()).as_str()),
            users::unit_id.eq(ch
                .unit_id
                .map(|u| u.to_string())
                .or_else(|| user.unit_id.clone())),
            users::phone.eq(ch.phone.or_else(|| user.phone.clone())),
            users::email.eq(ch.email.or_else(|| user.email.clone())),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, user.uuid())?.ok_or(AppError::NotFound)
}

pub fn set_disabled(conn: &mut DbConn, id: Uuid, disabled: bool) -> AppResult<()> {
    diesel::update(users::table.find(id.to_string()))
        .set((users::disabled.eq(disabled), users::updated_at.eq(now())))
        .execute(conn)?;
    if disabled {
        end_access(conn, id)?;
    }
    Ok(())
}

/// Every access token issued to the account until now stops authenticating it (checked at
/// each request, cached a few seconds: `auth::standing`).
pub fn end_access(conn: &mut DbConn, id: Uuid) -> AppResult<()> {
    diesel::update(users::table.find(id.to_string()))
        .set(users::tokens_valid_after.eq(Some(now())))
        .execute(conn)?;
    Ok(())
}

/// What authentication checks of an account at each request.
#[derive(Debug, Clone, Queryable)]
pub struct StandingRow {
    pub role: String,
    pub unit_id: Option<String>,
    pub disabled: bool,
    pub tokens_valid_after: Option<NaiveDateTime>,
}

pub fn standing(conn: &mut DbConn, id: Uuid) -> AppResult<Option<StandingRow>> {
    Ok(users::table
        .find(id.to_string())
        .select((
            users::role,
            users::unit_id,
            users::disabled,
            users::tokens_valid_after,
        ))
        .first(conn)
        .optional()?)
}

/// Sets a new password hash and clears any lock.
pub fn set_password(conn: &mut DbConn, id: Uuid, hash: &str) -> AppResult<()> {
    diesel::update(users::table.find(id.to_string()))
        .set((
            users::password_hash.eq(hash),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts a failed login; locks the account for `lock_for` once `lock_after` is reached.
/// Returns the failures counted so far.
pub fn record_failure(
    conn: &mut DbConn,
    id: Uuid,
    lock_after: u32,
    lock_for: chrono::Duration,
) -> AppResult<i32> {
    diesel::update(users::table.find(id.to_string()))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .execute(conn)?;
    let failures: i32 = users::table
        .find(id.to_string())
        .select(users::failed_logins)
        .first(conn)?;
    if failures >= i32::try_from(lock_after).unwrap_or(i32::MAX) {
        diesel::update(users::table.find(id.to_string()))
            .set((
                users::locked_until.eq(Some(now() + lock_for)),
                users::failed_logins.eq(0),
            ))
            .execute(conn)?;
    }
    Ok(failures)
}

pub fn record_success(conn: &mut DbConn, id: Uuid) -> AppResult<()> {
    diesel::update(users::table.find(id.to_string()))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn count_admins(conn: &mut DbConn) -> AppResult<i64> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)?)
}
