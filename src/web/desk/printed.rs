//! The printed forms (Mẫu 01–04, 06), opened from the dossier page.

use super::*;

// ---------------------------------------------------------------- printed forms

pub(super) async fn print(
    req: HttpRequest,
    user: WebUser,
    path: web::Path<(Uuid, String)>,
) -> WebResult {
    print_form(req, &user, path.into_inner())
        .await
        .map_err(|e| e.for_user(&user))
}

pub(super) async fn print_form(
    req: HttpRequest,
    user: &WebUser,
    path: (Uuid, String),
) -> WebResult {
    let user = user.clone();
    let state = crate::web::session::state_of(&req)?;
    let (id, slug) = path;
    let kind = form_of_slug(&slug).ok_or(AppError::NotFound)?;
    let form = service::printed(&state, user.caller.clone(), id, kind).await?;
    if kind == FormKind::ControlSlip {
        let rows = slip_rows(&state, &user, id).await?;
        return Ok(ok(crate::web::citizen::control_slip_page(&form, &rows)));
    }
    let track = format!(
        "{}/tra-cuu?ma={}",
        origin(&req),
        crate::web::urlencode(&form.dossier_code)
    );
    Ok(ok(crate::web::citizen::printed_page(&form, &track)))
}

/// The hand-overs of the control slip: each event that moved the dossier, who handed it over
/// (the actor and their unit), who received it (the unit holding it after), when, and how the
/// step it closed went.
pub(super) async fn slip_rows(
    state: &AppState,
    user: &WebUser,
    id: Uuid,
) -> Result<Vec<crate::web::citizen::SlipRow>, WebError> {
    let full = service::with_history(state, user.caller.clone(), id).await?;
    let units: Vec<Uuid> = full
        .history
        .iter()
        .flat_map(|e| [e.unit_id, e.holder_unit_id])
        .flatten()
        .collect();
    let actors: Vec<Uuid> = full.history.iter().filter_map(|e| e.actor_id).collect();
    let names = state
        .db
        .read(move |c| view::names(c, units, [], actors))
        .await?;
    let mut rows = Vec::new();
    let mut holder: Option<Uuid> = None;
    for e in &full.history {
        let moved = e.holder_unit_id.is_some() && e.holder_unit_id != holder
            || matches!(
                e.action,
                Action::Receive
                    | Action::Assign
                    | Action::Advance
                    | Action::SubmitForApproval
                    | Action::Approve
                    | Action::Deny
                    | Action::ReturnResult
            );
        if !moved || e.action == Action::Apologise {
            continue;
        }
        let from_unit = e
            .unit_id
            .map(|u| names.unit(u).to_owned())
            .unwrap_or_default();
        let from = match e.actor_id {
            Some(_) => format!("{} ({from_unit})", names.user(e.actor_id)),
            None if e.action == Action::Submit => "Người nộp (trực tuyến)".to_owned(),
            None => from_unit,
        };
        let to = match (e.action, e.holder_unit_id) {
            (Action::ReturnResult, _) => "Người nộp hồ sơ".to_owned(),
            (_, Some(h)) => names.unit(h).to_owned(),
            (_, None) => String::new(),
        };
        let closed = full.steps.iter().find(|s| s.ended_at == Some(e.at));
        rows.push(crate::web::citizen::SlipRow {
            from,
            to,
            at: when(e.at),
            result: closed
                .map(|s| step_status(s.status))
                .unwrap_or("")
                .to_owned(),
        });
        holder = e.holder_unit_id.or(holder);
    }
    Ok(rows)
}
