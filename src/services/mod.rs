//! The use cases both faces call: the JSON API (`crate::api`) and the web client
//! (`crate::web`). Each takes the shared state, the signed-in caller and typed input, checks
//! role and unit scope, runs one transaction per change through the domain's store, and
//! returns typed output. Still reading a request or writing a response, to move to `api` when
//! next touched: `auth::sign_in` and `dossiers::tracking` (the client's address, for their
//! throttles), `dossiers::idempotency_key` (a header) and `stats::send` (the export formats).

pub mod accounts;
pub mod auth;
pub mod calendar;
pub mod catalogue;
pub mod dossiers;
pub mod stats;
pub mod units;
