//! The dossier state machine of DOMAIN §3, in one place: states, actions, which action leads
//! where, which roles may take it, and the national portal's status codes. Pure; no I/O.
//!
//! ```text
//! submitted ──receive──▶ received ──assign──▶ in_progress ─┬─advance──▶ in_progress
//!     │                     │                    │          ├─request_supplement──▶ supplement_requested ──supplement──▶ in_progress
//!     └─reject──▶ rejected  └─reject──▶ rejected │          ├─request_payment──▶ awaiting_payment ──pay──▶ in_progress
//!                                                │          ├─submit_for_approval──▶ awaiting_approval ─approve/deny──▶ resolved
//!                                                │          └─stop──▶ stopped
//!  any state before resolved ──withdraw──▶ withdrawn                 resolved ──return_result──▶ returned
//! ```
//! An apology with a new appointment (Mẫu 04) is recorded in any open state and changes none.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Filed online, not yet checked by the desk.
    Submitted,
    /// Taken in; the receipt (Mẫu 01) is issued and the clock runs.
    Received,
    InProgress,
    /// Waiting for the applicant's supplement (Mẫu 02).
    SupplementRequested,
    /// Waiting for a fee.
    AwaitingPayment,
    AwaitingApproval,
    /// Decided: approved (a result) or denied (reasons).
    Resolved,
    /// The result went back to the applicant.
    Returned,
    /// Refused at intake (Mẫu 03).
    Rejected,
    /// Withdrawn at the applicant's request.
    Withdrawn,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Filing online (creates the dossier; not a transition).
    Submit,
    Receive,
    Reject,
    Assign,
    Advance,
    RequestSupplement,
    Supplement,
    RequestPayment,
    Pay,
    SubmitForApproval,
    Approve,
    Deny,
    Stop,
    Withdraw,
    ReturnResult,
    Apologise,
    /// A reorganisation hands the dossier to the unit that succeeds its holder: the holder
    /// changes, the state and the due date do not. Taken by no one's request.
    Transfer,
}

macro_rules! names {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}

names!(State {
    Submitted => "submitted",
    Received => "received",
    InProgress => "in_progress",
    SupplementRequested => "supplement_requested",
    AwaitingPayment => "awaiting_payment",
    AwaitingApproval => "awaiting_approval",
    Resolved => "resolved",
    Returned => "returned",
    Rejected => "rejected",
    Withdrawn => "withdrawn",
    Stopped => "stopped",
});

names!(Action {
    Submit => "submit",
    Receive => "receive",
    Reject => "reject",
    Assign => "assign",
    Advance => "advance",
    RequestSupplement => "request_supplement",
    Supplement => "supplement",
    RequestPayment => "request_payment",
    Pay => "pay",
    SubmitForApproval => "submit_for_approval",
    Approve => "approve",
    Deny => "deny",
    Stop => "stop",
    Withdraw => "withdraw",
    ReturnResult => "return_result",
    Apologise => "apologise",
    Transfer => "transfer",
});

/// An action the current state does not allow (answered 409, naming the state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a dossier in state `{}` cannot `{}`", state.as_str(), action.as_str())]
pub struct ImpossibleTransition {
    pub state: State,
    pub action: Action,
}

impl State {
    /// Before resolution: the dossier is still being handled (and can be withdrawn).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            State::Submitted
                | State::Received
                | State::InProgress
                | State::SupplementRequested
                | State::AwaitingPayment
                | State::AwaitingApproval
        )
    }

    /// No action leads anywhere from here.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Returned | State::Rejected | State::Withdrawn | State::Stopped
        )
    }

    /// Whether the processing clock stands still (waiting for the applicant).
    pub fn clock_paused(self) -> bool {
        matches!(self, State::SupplementRequested | State::AwaitingPayment)
    }

    /// The national public-service portal's status code (DOMAIN §3).
    pub fn portal_code(self) -> u8 {
        match self {
            State::Submitted => 1,
            State::Received => 2,
            State::Rejected => 3,
            State::InProgress | State::AwaitingApproval => 4,
            State::SupplementRequested => 5,
            State::AwaitingPayment => 6,
            State::Withdrawn => 7,
            State::Stopped => 8,
            State::Resolved => 9,
            State::Returned => 10,
        }
    }

    /// The state `action` leads to from here.
    pub fn after(self, action: Action) -> Result<State, ImpossibleTransition> {
        use Action as A;
        use State as S;
        let next = match (self, action) {
            (S::Submitted, A::Receive) => S::Received,
            (S::Submitted | S::Received, A::Reject) => S::Rejected,
            (S::Received, A::Assign) => S::InProgress,
            (S::InProgress, A::Advance) => S::InProgress,
            (S::InProgress, A::RequestSupplement) => S::SupplementRequested,
            (S::SupplementRequested, A::Supplement) => S::InProgress,
            (S::InProgress, A::RequestPayment) => S::AwaitingPayment,
            (S::AwaitingPayment, A::Pay) => S::InProgress,
            (S::InProgress, A::SubmitForApproval) => S::AwaitingApproval,
            (S::AwaitingApproval, A::Approve | A::Deny) => S::Resolved,
            (S::InProgress, A::Stop) => S::Stopped,
            (s, A::Withdraw) if s.is_open() => S::Withdrawn,
            (S::Resolved, A::ReturnResult) => S::Returned,
            (s, A::Apologise) if s.is_open() && s != S::Submitted => s,
            (s, A::Transfer) if !s.is_final() => s,
            _ => {
                return Err(ImpossibleTransition {
                    state: self,
                    action,
                })
            }
        };
        Ok(next)
    }

    /// The actions allowed here, in declaration order.
    pub fn allowed(self) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| self.after(*a).is_ok())
            .collect()
    }
}

impl Action {
    /// The roles that may take this action at all. Whether *this* person may take it on *this*
    /// dossier also depends on the unit and the step (see the dossier service).
    pub fn roles(self) -> &'static [Role] {
        use Action as A;
        match self {
            A::Submit => &[Role::Citizen],
            A::Receive | A::Reject | A::ReturnResult => &[Role::Clerk],
            A::Assign => &[Role::Clerk, Role::Approver],
            A::Advance
            | A::RequestSupplement
            | A::RequestPayment
            | A::SubmitForApproval
            | A::Stop => &[Role::Officer, Role::Approver, Role::Clerk],
            // The applicant supplies and pays online; the desk records it for desk and post.
            A::Supplement | A::Pay => &[Role::Citizen, Role::Clerk],
            A::Approve | A::Deny => &[Role::Approver],
            A::Withdraw => &[Role::Citizen, Role::Clerk],
            A::Apologise => &[Role::Clerk, Role::Approver],
            // Only a reorganisation, applied by an administrator, transfers dossiers.
            A::Transfer => &[],
        }
    }

    /// Whether the action needs a written reason (refusal, denial, stop, supplement list…).
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            Action::Reject
                | Action::Deny
                | Action::Stop
                | Action::RequestSupplement
                | Action::Apologise
                | Action::Withdraw
        )
    }
}

impl State {
    /// The state's name as the desk and the citizen read it.
    pub fn label_vi(self) -> &'static str {
        match self {
            State::Submitted => "Mới nộp trực tuyến",
            State::Received => "Đã tiếp nhận",
            State::InProgress => "Đang giải quyết",
            State::SupplementRequested => "Chờ bổ sung",
            State::AwaitingPayment => "Chờ nộp phí",
            State::AwaitingApproval => "Chờ phê duyệt",
            State::Resolved => "Đã có kết quả",
            State::Returned => "Đã trả kết quả",
            State::Rejected => "Từ chối tiếp nhận",
            State::Withdrawn => "Đã rút",
            State::Stopped => "Dừng xử lý",
        }
    }
}

impl Action {
    /// The action's name as its button reads.
    pub fn label_vi(self) -> &'static str {
        match self {
            Action::Submit => "Nộp hồ sơ",
            Action::Receive => "Tiếp nhận",
            Action::Reject => "Từ chối tiếp nhận",
            Action::Assign => "Phân công",
            Action::Advance => "Chuyển bước tiếp",
            Action::RequestSupplement => "Yêu cầu bổ sung",
            Action::Supplement => "Đã bổ sung",
            Action::RequestPayment => "Yêu cầu nộp phí",
            Action::Pay => "Ghi nhận nộp phí",
            Action::SubmitForApproval => "Trình phê duyệt",
            Action::Approve => "Phê duyệt",
            Action::Deny => "Từ chối giải quyết",
            Action::Stop => "Dừng xử lý",
            Action::Withdraw => "Rút hồ sơ",
            Action::ReturnResult => "Trả kết quả",
            Action::Apologise => "Xin lỗi, hẹn lại",
            Action::Transfer => "Chuyển do sắp xếp đơn vị",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_state_and_action_has_its_own_vietnamese_label() {
        let states: std::collections::HashSet<_> =
            State::ALL.iter().map(|s| s.label_vi()).collect();
        assert_eq!(states.len(), State::ALL.len());
        let actions: std::collections::HashSet<_> =
            Action::ALL.iter().map(|a| a.label_vi()).collect();
        assert_eq!(actions.len(), Action::ALL.len());
    }

    #[test]
    fn the_happy_path_of_an_online_dossier() {
        use Action::*;
        let path = [
            Receive,
            Assign,
            Advance,
            RequestSupplement,
            Supplement,
            RequestPayment,
            Pay,
            SubmitForApproval,
            Approve,
            ReturnResult,
        ];
        let mut s = State::Submitted;
        for a in path {
            s = s.after(a).unwrap();
        }
        assert_eq!(s, State::Returned);
        assert!(s.is_final());
    }

    #[test]
    fn impossible_transitions_name_the_state() {
        let e = State::Received.after(Action::Approve).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a dossier in state `received` cannot `approve`"
        );
        assert!(
            State::Resolved.after(Action::Withdraw).is_err(),
            "too late to withdraw"
        );
        assert!(
            State::Submitted.after(Action::Assign).is_err(),
            "receive first"
        );
        assert!(State::AwaitingApproval.after(Action::Advance).is_err());
    }

    #[test]
    fn portal_codes_cover_one_to_ten() {
        let mut codes: Vec<u8> = State::ALL.iter().map(|s| s.portal_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, (1..=10).collect::<Vec<u8>>());
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
    }

    proptest! {
        /// Any sequence of actions, applied where allowed, keeps the dossier in a consistent
        /// state: final states allow nothing, the clock pauses only while waiting, and once
        /// resolved a dossier can only be returned.
        #[test]
        fn random_walks_respect_the_rules(steps in proptest::collection::vec(0usize..17, 0..60)) {
            let mut s = State::Submitted;
            let mut resolved = false;
            for i in steps {
                let a = Action::ALL[i % Action::ALL.len()];
                match s.after(a) {
                    Ok(next) => {
                        prop_assert!(!s.is_final(), "{:?} allowed {:?}", s, a);
                        if resolved {
                            prop_assert!(matches!(next, State::Resolved | State::Returned));
                        }
                        resolved |= next == State::Resolved;
                        s = next;
                    }
                    Err(e) => prop_assert_eq!(e.state, s),
                }
                prop_assert_eq!(s.is_final(), s.allowed().is_empty());
            }
        }

        #[test]
        fn withdraw_is_possible_exactly_before_resolution(i in 0usize..11) {
            let s = State::ALL[i];
            prop_assert_eq!(s.after(Action::Withdraw).is_ok(), s.is_open());
        }
    }
}
