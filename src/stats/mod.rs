//! Statistics (DOMAIN §5): the processing report and the service-quality rates.

pub mod buckets;
pub mod export;
pub mod fast;
pub mod model;
pub mod reference;
