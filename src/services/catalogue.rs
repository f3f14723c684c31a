//! `/api/v1/procedures`: the public catalogue (list/search, get, versions) and its
//! administration (create, new version, deactivate/activate).

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::catalogue::model::{valid_procedure_code, OnlineLevel};
use crate::catalogue::store::{self, ProcedureDetail};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::units::model::Level;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProcedureListQuery {
    /// Words in the code, name or field, ignoring case and diacritics (`khai sinh`).
    pub q: Option<String>,
    /// Field (lĩnh vực), e.g. `Hộ tịch` (diacritics ignored).
    pub field: Option<String>,
    /// Only procedures handled at this level.
    pub level: Option<Level>,
    pub online_level: Option<OnlineLevel>,
    /// Include deactivated procedures (administrators only).
    pub include_inactive: Option<bool>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A version number; default the current version.
    #[param(minimum = 1, maximum = 2147483647)]
    pub version: Option<i32>,
}

pub fn check_code(code: &str) -> AppResult<()> {
    if valid_procedure_code(code) {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "the procedure code in the path is malformed".to_owned(),
        ))
    }
}

pub async fn set_active(
    state: web::Data<AppState>,
    caller: Caller,
    code: String,
    active: bool,
) -> AppResult<web::Json<ProcedureDetail>> {
    caller.require(&[Role::Admin])?;
    check_code(&code)?;
    let detail = state
        .db
        .write(move |c| store::set_active(c, &code, active))
        .await?;
    state.catalogue.invalidate();
    Ok(web::Json(detail))
}
