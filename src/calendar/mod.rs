//! The working-day calendar (lịch làm việc): holidays, compensatory days off and swapped
//! working Saturdays as data, working hours, and the deadline rules of DOMAIN §4.

pub mod import;
pub mod model;
pub mod store;
