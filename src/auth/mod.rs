//! Authentication and authorisation: argon2id passwords, HS256 access tokens, rotating refresh
//! tokens, the `Caller` extractor, unit scopes and the failed-login throttle.

pub mod caller;
pub mod password;
pub mod standing;
pub mod store;
pub mod throttle;
pub mod tokens;

pub use caller::{Caller, Scope};
