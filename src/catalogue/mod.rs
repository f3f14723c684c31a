//! The procedure catalogue (danh mục thủ tục hành chính): procedures with versions, workflow
//! steps, fees and required documents; import of a whole catalogue from JSON.

pub mod import;
pub mod index;
pub mod model;
pub mod store;
pub mod versions;
