//! Statistics (DOMAIN §5): the processing report and the service-quality rates.

pub mod export;
pub mod model;
pub mod reference;
pub mod routes;
