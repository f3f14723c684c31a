//! What each procedure version holds, kept in memory. A version never changes once it exists
//! (editing a procedure makes a new one), so what a dossier is read against — its procedure's
//! name, documents and steps — can be read once per instance and shared.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::model::{RequiredDocument, Step};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// The unchanging contents of one procedure version.
#[derive(Debug)]
pub struct VersionContents {
    pub code: String,
    pub name: String,
    pub required_documents: Vec<RequiredDocument>,
    pub steps: Vec<Step>,
}

/// Versions read so far. Bounded: past `LIMIT` entries it starts again (a province has about
/// 2,000 procedures, each with a few versions).
#[derive(Default)]
pub struct VersionCache {
    map: RwLock<HashMap<Uuid, Arc<VersionContents>>>,
}

const LIMIT: usize = 20_000;

impl VersionCache {
    /// The contents of version `id`, read from the database the first time.
    pub fn get(&self, conn: &mut DbConn, id: Uuid) -> AppResult<Arc<VersionContents>> {
        if let Some(v) = self.map.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(v);
        }
        let d = super::store::version_by_id(conn, id)?.ok_or(AppError::NotFound)?;
        let v = Arc::new(VersionContents {
            code: d.summary.code,
            name: d.summary.name,
            required_documents: d.required_documents,
            steps: d.steps,
        });
        if let Ok(mut m) = self.map.write() {
            if m.len() >= LIMIT {
                m.clear();
            }
            m.insert(id, v.clone());
        }
        Ok(v)
    }
}
