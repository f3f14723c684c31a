//! Who may take which action on a dossier now: the caller's role, where the dossier is held,
//! the workflow step and its role, and the state. One rule set serves both the transition
//! (which answers the refusal) and `allowed_actions` (which lists what would not be refused),
//! so a client that builds its buttons from the list never offers a 403 or a 409. Pure.

use chrono::{DateTime, Utc};

use super::model::Action;
use super::store::DossierRow;
use crate::accounts::model::Role;
use crate::auth::Caller;
use crate::catalogue::model::Step;
use crate::error::AppError;

/// Where the dossier stands relative to the caller, and what its workflow says.
pub struct Situation<'a> {
    pub row: &'a DossierRow,
    /// Whether the unit holding the dossier lies in an approver's subtree.
    pub holder_in_subtree: bool,
    pub steps: &'a [Step],
    pub now: DateTime<Utc>,
}

/// Staff act where the dossier is held (a leader anywhere in their subtree); the desk that
/// received the dossier also records supplements, payments, withdrawals and the return; a
/// citizen acts on their own. Anyone else may at most see the dossier: 404, as outside scope.
fn at_holder(caller: &Caller, s: &Situation<'_>, action: Action) -> bool {
    let receiving_desk_too = matches!(
        action,
        Action::Supplement | Action::Pay | Action::Withdraw | Action::ReturnResult
    );
    acts_here(caller, s.row, s.holder_in_subtree, receiving_desk_too)
}

/// Whether `caller` works where `row` is: its applicant; staff of the unit holding it (or of
/// the receiving desk, with `receiving_desk_too`); a leader whose subtree holds it.
pub fn acts_here(
    caller: &Caller,
    row: &DossierRow,
    holder_in_subtree: bool,
    receiving_desk_too: bool,
) -> bool {
    match caller.role {
        Role::Citizen => row.applicant() == Some(caller.user_id),
        Role::Clerk | Role::Officer => {
            caller.unit_id == Some(row.holder())
                || (receiving_desk_too && caller.unit_id == Some(row.receiving()))
        }
        Role::Approver => holder_in_subtree,
        Role::Admin | Role::Supervisor => false,
    }
}

/// The current step's index (0 before any).
pub fn current_step(row: &DossierRow) -> usize {
    row.current_step
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0)
}

/// The step an `assign` or `advance` leads to.
pub fn next_step(action: Action, steps: &[Step], current: usize) -> usize {
    if action == Action::Assign && steps.len() <= 1 {
        current
    } else {
        current + 1
    }
}

/// The last approval step of the workflow, if it has one.
pub fn approval_step(steps: &[Step]) -> Option<usize> {
    steps.iter().rposition(|s| s.role == Role::Approver)
}

/// Whether the caller's role performs the current step (a leader may act on any step).
fn performs_step(caller: &Caller, s: &Situation<'_>) -> bool {
    let step_role = s.steps.get(current_step(s.row)).map(|st| st.role);
    caller.role == Role::Approver || step_role == Some(caller.role)
}

/// Why an action is refused: built without allocating, since `allowed` asks for every action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller does not act on this dossier (answered as outside their scope).
    NotHere,
    /// Their role may not take the action (on this step).
    Role,
    /// The state does not allow it.
    State(super::model::ImpossibleTransition),
    /// Conflicts with the workflow or the clock.
    Workflow(&'static str),
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> AppError {
        match r {
            Refusal::NotHere => AppError::NotFound,
            Refusal::Role => AppError::Forbidden,
            Refusal::State(e) => AppError::Conflict(e.to_string()),
            Refusal::Workflow(why) => AppError::Conflict(why.to_owned()),
        }
    }
}

/// Why `action` would be refused to `caller` now, if it would: 404 when the caller may not act
/// on this dossier at all, 403 when their role may not take the action, 409 when the state or
/// the workflow does not allow it. What an action needs besides (a note, an amount) is checked
/// where the request is read.
pub fn check(caller: &Caller, s: &Situation<'_>, action: Action) -> Result<(), Refusal> {
    if action == Action::Submit {
        return Err(Refusal::Workflow(
            "filing creates a dossier; it is not an action on one",
        ));
    }
    // Administrators and supervisors never act on dossiers.
    if matches!(caller.role, Role::Admin | Role::Supervisor) {
        return Err(Refusal::Role);
    }
    // Not where the caller works: as if outside their scope, whatever the action.
    if !at_holder(caller, s, action) {
        return Err(Refusal::NotHere);
    }
    if !action.roles().contains(&caller.role) {
        return Err(Refusal::Role);
    }
    s.row.state().after(action).map_err(Refusal::State)?;
    let needs_step_role = matches!(
        action,
        Action::Stop
            | Action::Advance
            | Action::RequestSupplement
            | Action::RequestPayment
            | Action::SubmitForApproval
    );
    if needs_step_role && !performs_step(caller, s) {
        return Err(Refusal::Role);
    }
    match action {
        Action::Assign | Action::Advance => {
            let next = next_step(action, s.steps, current_step(s.row));
            if s.steps.get(next).is_none() {
                return Err(Refusal::Workflow("the workflow has no further step"));
            }
            if action == Action::Advance
                && (s
                    .steps
                    .get(next)
                    .is_some_and(|st| st.role == Role::Approver)
                    || approval_step(s.steps).is_some_and(|ap| next > ap))
            {
                return Err(Refusal::Workflow(
                    "the next step is approval or after it: use submit_for_approval",
                ));
            }
        }
        Action::Apologise => {
            let past_due = s.row.due_at.is_some_and(|due| s.now > crate::db::utc(due));
            if past_due {
                return Err(Refusal::Workflow(
                    "an apology is issued before the due date passes",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The actions `check` would let the caller take now, in declaration order.
pub fn allowed(caller: &Caller, s: &Situation<'_>) -> Vec<super::model::Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| check(caller, s, *a).is_ok())
        .collect()
}
