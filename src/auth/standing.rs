//! An account's standing at each request: whether it is still enabled, the role and unit it
//! has now, and from when its access tokens count. A token says who signed in; the standing
//! says whether that still holds, so disabling an account, resetting its password or a
//! reorganisation ends or moves its access at once rather than when the token expires. Read
//! from the database at most every `FRESH_FOR` per account and instance.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::accounts::model::Role;
use crate::db::Db;
use crate::error::AppResult;

/// How long an instance trusts what it read of an account (other instances' changes reach it
/// within this).
pub const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub disabled: bool,
    /// Tokens issued at or before this instant (Unix milliseconds) no longer count.
    pub tokens_valid_after: Option<i64>,
    /// Sign-ins ended (signed out, or a replayed refresh token) recently enough that their
    /// access tokens may not have expired yet.
    pub ended_sessions: Vec<Uuid>,
}

impl Standing {
    /// Whether a token issued at `issued_ms` (Unix milliseconds) in sign-in `session` still
    /// authenticates the account.
    pub fn accepts(&self, issued_ms: i64, session: Option<Uuid>) -> bool {
        !self.disabled
            && self
                .tokens_valid_after
                .is_none_or(|after| issued_ms > after)
            && session.is_none_or(|s| !self.ended_sessions.contains(&s))
    }
}

/// When a token was issued, to the millisecond: its id is a UUID v7, which carries it; else
/// its `iat` second.
pub fn issued_ms(claims: &super::tokens::Claims) -> i64 {
    match claims.jti.get_timestamp() {
        Some(t) => {
            let (secs, nanos) = t.to_unix();
            i64::try_from(secs).unwrap_or(i64::MAX / 1000) * 1000 + i64::from(nanos / 1_000_000)
        }
        None => claims.iat.saturating_mul(1000),
    }
}

#[derive(Default)]
pub struct StandingCache {
    read: RwLock<HashMap<Uuid, (Instant, Option<Standing>)>>,
}

impl StandingCache {
    /// The standing of `user` (`None`: no such account), fresh within `FRESH_FOR`; sign-ins
    /// ended within the last `token_ttl` are listed.
    pub async fn get(
        &self,
        db: &Db,
        user: Uuid,
        token_ttl: chrono::Duration,
    ) -> AppResult<Option<Standing>> {
        if let Some((at, s)) = self
            .read
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&user)
        {
            if at.elapsed() < FRESH_FOR {
                return Ok(s.clone());
            }
        }
        let since = (chrono::Utc::now() - token_ttl).naive_utc();
        let (row, ended) = db
            .read(move |c| {
                let row = crate::accounts::store::standing(c, user)?;
                let ended = match row {
                    Some(_) => crate::auth::store::families_ended_since(c, user, since)?,
                    None => Vec::new(),
                };
                Ok((row, ended))
            })
            .await?;
        let standing = row.and_then(|r| {
            Some(Standing {
                role: Role::parse(&r.role)?,
                unit_id: r.unit_id.as_deref().map(crate::db::id_of),
                disabled: r.disabled,
                tokens_valid_after: r.tokens_valid_after.map(|t| t.and_utc().timestamp_millis()),
                ended_sessions: ended.iter().map(|f| crate::db::id_of(f)).collect(),
            })
        });
        let mut map = self.read.write().unwrap_or_else(|p| p.into_inner());
        // Bounded: an instance serving many accounts drops what is stale.
        if map.len() > 100_000 {
            map.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
        }
        map.insert(user, (Instant::now(), standing.clone()));
        Ok(standing)
    }

    /// Forgets `user`, after this instance changed the account.
    pub fn forget(&self, user: Uuid) {
        self.read
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user);
    }

    /// Forgets everyone (after a reorganisation moved or disabled staff).
    pub fn clear(&self) {
        self.read.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_before_the_cut_and_disabled_accounts_are_refused() {
        let mut s = Standing {
            role: Role::Clerk,
            unit_id: None,
            disabled: false,
            tokens_valid_after: None,
            ended_sessions: Vec::new(),
        };
        assert!(s.accepts(1_000, None));
        s.tokens_valid_after = Some(1_000);
        assert!(!s.accepts(999, None) && !s.accepts(1_000, None));
        assert!(s.accepts(1_001, None));
        let (ended, live) = (Uuid::now_v7(), Uuid::now_v7());
        s.ended_sessions.push(ended);
        assert!(!s.accepts(1_001, Some(ended)));
        assert!(s.accepts(1_001, Some(live)));
        s.disabled = true;
        assert!(!s.accepts(2_000, None));
    }
}
