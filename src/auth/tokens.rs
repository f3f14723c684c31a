//! Access tokens (JWT, HS256 only; `exp`, `iat`, `iss`, `aud` checked, no leeway) and opaque
//! refresh tokens (random, stored as SHA-256 digests).

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::accounts::model::Role;

pub const ISSUER: &str = "motcua";
pub const AUDIENCE: &str = "motcua-api";
/// The web client's session cookie: never accepted as a bearer token, nor the reverse.
pub const WEB_AUDIENCE: &str = "motcua-web";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    pub role: Role,
    /// The staff member's home unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Uuid>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    /// The sign-in this token belongs to (its refresh-token family): signing out ends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// The account's full name (web sessions: the page header shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    web_validation: Validation,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let mut web_validation = validation.clone();
        web_validation.set_audience(&[WEB_AUDIENCE]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            web_validation,
            access_ttl_secs,
        }
    }

    pub fn issue(
        &self,
        user: Uuid,
        role: Role,
        unit: Option<Uuid>,
        session: Option<Uuid>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            role,
            unit,
            iat: now,
            exp: now + self.access_ttl_secs,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            jti: Uuid::now_v7(),
            sid: session,
            name: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// A web session's token (the cookie's value), valid `ttl_secs`, in sign-in `session`.
    pub fn issue_web(
        &self,
        user: &crate::accounts::store::User,
        session: Uuid,
        ttl_secs: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.id,
            role: user.role,
            unit: user.unit_id,
            iat: now,
            exp: now + ttl_secs,
            iss: ISSUER.to_owned(),
            aud: WEB_AUDIENCE.to_owned(),
            jti: Uuid::now_v7(),
            sid: Some(session),
            name: Some(user.full_name.clone()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        self.verify_with(token, &self.validation)
    }

    /// Checks a web session's token (its audience is the web client's).
    pub fn verify_web(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        self.verify_with(token, &self.web_validation)
    }

    fn verify_with(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<Claims, jsonwebtoken::errors::Error> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, validation)?;
        if data.claims.iat > Utc::now().timestamp() + 60 {
            return Err(jsonwebtoken::errors::ErrorKind::ImmatureSignature.into());
        }
        Ok(data.claims)
    }
}

/// A new opaque refresh token (256 random bits, URL-safe).
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a refresh token.
pub fn digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_token_verifies() {
        let keys = TokenKeys::new(SECRET, 900);
        let user = Uuid::now_v7();
        let t = keys.issue(user, Role::Clerk, None, None).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!(c.sub, user);
        assert_eq!(c.role, Role::Clerk);
    }

    #[test]
    fn other_secret_expired_and_alg_none_are_refused() {
        let keys = TokenKeys::new(SECRET, 900);
        let other = TokenKeys::new(b"another-secret-another-secret-xx", 900);
        let t = other
            .issue(Uuid::now_v7(), Role::Admin, None, None)
            .unwrap();
        assert!(keys.verify(&t).is_err());

        let expired = TokenKeys::new(SECRET, -10)
            .issue(Uuid::now_v7(), Role::Admin, None, None)
            .unwrap();
        assert!(keys.verify(&expired).is_err());

        let t = keys.issue(Uuid::now_v7(), Role::Admin, None, None).unwrap();
        let payload = t.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            payload
        );
        assert!(keys.verify(&none).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_digested() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
    }
}
