//! The process-control slip (Mẫu 06) as data: the dossier's history cut into the spans during
//! which one unit held one workflow step, each judged against that step's deadline, so that
//! lateness is attributed to the unit that held the step (DOMAIN §3). Pure; no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{Action, State};
use super::store::Event;
use crate::calendar::model::{classify, Timeliness};

/// How a step went: once done, against its deadline (DOMAIN §4's classification); while open,
/// whether its deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Early,
    OnTime,
    Late,
    /// Still held, deadline not passed.
    WithinTime,
    /// Still held, deadline passed.
    Overdue,
}

/// One unit holding one step of the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StepSpan {
    /// Index in the procedure's steps.
    pub step: i32,
    /// The unit that held the dossier for this step: a late step is that unit's.
    pub unit_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    /// The step's deadline (its share of the processing time), shifted by waits for the
    /// applicant as the dossier's own deadline is.
    pub due_at: Option<DateTime<Utc>>,
    /// When the dossier left the step; `null` while it is held.
    pub ended_at: Option<DateTime<Utc>>,
    pub status: StepStatus,
}

fn is_final(state: State) -> bool {
    matches!(
        state,
        State::Returned | State::Rejected | State::Withdrawn | State::Stopped
    )
}

/// Ends the open span at `at`; returns that no span is open any more.
fn close(spans: &mut [StepSpan], at: DateTime<Utc>) -> bool {
    if let Some(last) = spans.last_mut() {
        last.ended_at = Some(at);
    }
    false
}

/// Cuts `history` (oldest first) into step spans. An open span is judged at `judged_at`:
/// now, or when the clock was paused if the dossier is waiting for the applicant.
pub fn spans(history: &[Event], judged_at: DateTime<Utc>) -> Vec<StepSpan> {
    let mut out: Vec<StepSpan> = Vec::new();
    let mut open = false;
    for e in history {
        let Some(step) = e.step else {
            if open && is_final(e.to_state) {
                open = close(&mut out, e.at);
            }
            continue;
        };
        // Events recorded before the holder was kept name the acting unit instead.
        let holder = e.holder_unit_id.or(e.unit_id);
        let entered = match out.last() {
            Some(last) if open => last.step != step || last.unit_id != holder,
            _ => true,
        };
        let decided = matches!(e.action, Action::Approve | Action::Deny);
        if open && (entered || decided || is_final(e.to_state)) {
            open = close(&mut out, e.at);
        }
        if is_final(e.to_state) || (decided && !entered) {
            // Nothing is held any more, or the decision had no step after it.
            continue;
        }
        if entered {
            out.push(StepSpan {
                step,
                unit_id: holder,
                started_at: e.at,
                due_at: e.step_due_at,
                ended_at: None,
                status: StepStatus::WithinTime,
            });
            open = true;
        } else if let Some(last) = out.last_mut() {
            // Same step, same unit: a wait for the applicant may have moved its deadline.
            last.due_at = e.step_due_at.or(last.due_at);
        }
    }
    for s in &mut out {
        s.status = match (s.ended_at, s.due_at) {
            (Some(end), Some(due)) => match classify(end, due) {
                Timeliness::Early => StepStatus::Early,
                Timeliness::OnTime => StepStatus::OnTime,
                Timeliness::Late => StepStatus::Late,
            },
            (Some(_), None) => StepStatus::OnTime,
            (None, Some(due)) if judged_at > due => StepStatus::Overdue,
            (None, _) => StepStatus::WithinTime,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::Role;
    use proptest::prelude::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        // Monday 17 March 2025, 08:00 in Vietnam.
        "2025-03-17T01:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + chrono::Duration::minutes(minutes)
    }

    fn unit(n: u128) -> Option<Uuid> {
        Some(Uuid::from_u128(n))
    }

    fn ev(
        at: i64,
        action: Action,
        to: State,
        step: Option<i32>,
        holder: Option<Uuid>,
        step_due: Option<i64>,
    ) -> Event {
        Event {
            seq: 0,
            action,
            action_label: action.label_vi(),
            from_state: None,
            to_state: to,
            actor_id: None,
            actor_role: Role::Officer,
            unit_id: None,
            at: t(at),
            note: None,
            due_at: None,
            step,
            step_due_at: step_due.map(t),
            holder_unit_id: holder,
        }
    }

    const COMMUNE: u128 = 1;
    const DISTRICT: u128 = 2;

    /// Commune desk → district processing (with a supplement) → district approval → commune return.
    fn inter_level() -> Vec<Event> {
        use Action as A;
        use State as S;
        let (c, d) = (unit(COMMUNE), unit(DISTRICT));
        vec![
            ev(0, A::Receive, S::Received, Some(0), c, Some(60)),
            ev(30, A::Assign, S::InProgress, Some(1), d, Some(600)),
            ev(
                100,
                A::RequestSupplement,
                S::SupplementRequested,
                Some(1),
                d,
                Some(600),
            ),
            ev(400, A::Supplement, S::InProgress, Some(1), d, Some(900)),
            ev(
                800,
                A::SubmitForApproval,
                S::AwaitingApproval,
                Some(2),
                d,
                Some(1000),
            ),
            // The return step's deadline is two days on: done the same day is early.
            ev(1100, A::Approve, S::Resolved, Some(3), c, Some(4080)),
            ev(1150, A::ReturnResult, S::Returned, Some(3), c, Some(4080)),
        ]
    }

    #[test]
    fn each_step_is_judged_against_its_own_deadline_and_held_by_its_unit() {
        let s = spans(&inter_level(), t(5000));
        let got: Vec<_> = s
            .iter()
            .map(|s| (s.step, s.unit_id, s.ended_at, s.status))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, unit(COMMUNE), Some(t(30)), StepStatus::OnTime),
                // Its deadline moved by the supplement wait: done at 800, due at 900.
                (1, unit(DISTRICT), Some(t(800)), StepStatus::OnTime),
                // Approval came after its deadline: the district's lateness.
                (2, unit(DISTRICT), Some(t(1100)), StepStatus::Late),
                (3, unit(COMMUNE), Some(t(1150)), StepStatus::Early),
            ]
        );
        assert_eq!(s[1].due_at, Some(t(900)));
    }

    #[test]
    fn an_open_step_is_within_time_until_its_deadline_passes() {
        let history = &inter_level()[..2];
        let within = spans(history, t(599));
        assert_eq!(within.len(), 2);
        assert_eq!(within[1].ended_at, None);
        assert_eq!(within[1].status, StepStatus::WithinTime);
        assert_eq!(spans(history, t(601))[1].status, StepStatus::Overdue);
    }

    #[test]
    fn a_decision_without_a_further_step_closes_the_last_one() {
        use Action as A;
        use State as S;
        let c = unit(COMMUNE);
        let history = vec![
            ev(0, A::Receive, S::Received, Some(0), c, Some(60)),
            ev(
                10,
                A::SubmitForApproval,
                S::AwaitingApproval,
                Some(0),
                c,
                Some(60),
            ),
            ev(70, A::Approve, S::Resolved, Some(0), c, Some(60)),
            ev(80, A::ReturnResult, S::Returned, Some(0), c, Some(60)),
        ];
        let s = spans(&history, t(5000));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].ended_at, Some(t(70)));
        assert_eq!(s[0].status, StepStatus::Late);
    }

    #[test]
    fn events_before_receipt_and_after_a_final_state_hold_nothing() {
        use Action as A;
        use State as S;
        let c = unit(COMMUNE);
        let history = vec![
            ev(0, A::Submit, S::Submitted, None, c, None),
            ev(5, A::Receive, S::Received, Some(0), c, Some(60)),
            ev(9, A::Withdraw, S::Withdrawn, Some(0), c, Some(60)),
        ];
        let s = spans(&history, t(5000));
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].started_at, s[0].ended_at), (t(5), Some(t(9))));
    }

    fn any_event() -> impl Strategy<Value = (i64, u8, u8, Option<i32>, u8)> {
        (
            1i64..300,
            0u8..16,
            0u8..10,
            proptest::option::of(0i32..4),
            0u8..3,
        )
    }

    proptest! {
        #[test]
        fn spans_follow_each_other_and_only_the_last_is_open(raw in proptest::collection::vec(any_event(), 0..30)) {
            let mut at = 0;
            let history: Vec<Event> = raw
                .into_iter()
                .map(|(gap, action, to, step, holder)| {
                    at += gap;
                    let action = Action::ALL[usize::from(action) % Action::ALL.len()];
                    let to = State::ALL[usize::from(to) % State::ALL.len()];
                    ev(at, action, to, step, unit(u128::from(holder)), Some(at + 100))
                })
                .collect();
            let s = spans(&history, t(at + 1));
            for w in s.windows(2) {
                prop_assert!(w[0].ended_at.is_some(), "only the last span may be open");
                prop_assert!(w[0].ended_at.unwrap() <= w[1].started_at);
                prop_assert!(w[0].started_at <= w[1].started_at);
            }
            for span in &s {
                prop_assert!(span.ended_at.is_none_or(|e| e >= span.started_at));
                prop_assert_eq!(span.ended_at.is_none(), matches!(span.status, StepStatus::WithinTime | StepStatus::Overdue));
            }
            if history.last().is_some_and(|e| is_final(e.to_state)) {
                prop_assert!(s.last().is_none_or(|l| l.ended_at.is_some()));
            }
        }
    }
}
