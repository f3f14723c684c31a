//! Dossiers (hồ sơ): the lifecycle of DOMAIN §3 and the deadline clock of DOMAIN §4.

pub mod clock;
pub mod documents;
pub mod forms;
pub mod ledger;
pub mod model;
pub mod permit;
pub mod receiving;
pub mod service;
pub mod slip;
pub mod store;
