//! Administrative units (đơn vị hành chính): a tree of any depth with validity periods and
//! successors across reorganisations, and the agencies (cơ quan) that belong to units.

pub mod model;
pub mod store;
