//! Refresh tokens: stored as digests, rotated on every use, grouped in families so that a
//! replayed (already spent) token revokes every token descended from the same login.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::refresh_tokens;
use crate::db::{now, DbConn};
use crate::error::AppResult;

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    user: Uuid,
    family: &str,
    digest: &str,
    expires_at: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7().to_string()),
            refresh_tokens::user_id.eq(user.to_string()),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::token_hash.eq(digest),
            refresh_tokens::expires_at.eq(expires_at),
            refresh_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_digest(conn: &mut DbConn, digest: &str) -> AppResult<Option<RefreshRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest))
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the token spent; false if someone else spent it first.
pub fn spend(conn: &mut DbConn, id: &str) -> AppResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(now())))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke_family(conn: &mut DbConn, family: &str) -> AppResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}

/// The sign-ins (refresh-token families) of `user` ended at or after `since`.
pub fn families_ended_since(
    conn: &mut DbConn,
    user: Uuid,
    since: chrono::NaiveDateTime,
) -> AppResult<Vec<String>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user.to_string()))
        .filter(refresh_tokens::revoked_at.ge(since))
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)?)
}

/// Signs a user out everywhere (disabled account, password reset).
pub fn revoke_user(conn: &mut DbConn, user: Uuid) -> AppResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user.to_string()))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}
