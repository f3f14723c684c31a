//! Accounts: staff (with a role and a home unit) and citizens (keyed by their personal ID
//! number or an organisation's tax code).

pub mod model;
pub mod store;
