//! The use cases both faces call: the JSON API (`crate::api`) and the web client
//! (`crate::web`). Each takes the shared state, the signed-in caller and typed input, checks
//! role and unit scope, runs one transaction per change through the domain's store, and
//! returns typed output. Nothing here reads a request or writes a response.

pub mod accounts;
pub mod auth;
pub mod calendar;
pub mod catalogue;
pub mod dossiers;
pub mod stats;
pub mod units;
