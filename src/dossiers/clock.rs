//! The deadline clock of a dossier (DOMAIN §2, §4): it starts at receipt, stands still while
//! the dossier waits for the applicant, and after a supplement either resumes (policy `pause`:
//! the waiting time does not count) or starts afresh (policy `restart`). Pure; no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::model::{Calendar, CalendarError};
use crate::catalogue::model::{SupplementPolicy, TimeUnit};

/// What the clock is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    Supplement,
    Payment,
}

/// The processing time a dossier was received under (pinned from its procedure version).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowance {
    pub days: f64,
    pub unit: TimeUnit,
    pub supplement_policy: SupplementPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub received_at: DateTime<Utc>,
    /// The due instant, shifted by every pause.
    pub due_at: DateTime<Utc>,
    /// Set while the clock stands still.
    pub paused_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error("the clock is already paused")]
    AlreadyPaused,
    #[error("the clock is not paused")]
    NotPaused,
    #[error("time cannot run backwards")]
    Backwards,
}

impl Clock {
    pub fn start(
        cal: &Calendar,
        received_at: DateTime<Utc>,
        a: Allowance,
    ) -> Result<Clock, ClockError> {
        Ok(Clock {
            received_at,
            due_at: cal.due_at(received_at, a.days, a.unit)?,
            paused_since: None,
        })
    }

    pub fn pause(self, at: DateTime<Utc>) -> Result<Clock, ClockError> {
        if self.paused_since.is_some() {
            return Err(ClockError::AlreadyPaused);
        }
        if at < self.received_at {
            return Err(ClockError::Backwards);
        }
        Ok(Clock {
            paused_since: Some(at),
            ..self
        })
    }

    /// Resumes after the wait: a supplement under `restart` counts the whole time afresh from
    /// `at`; otherwise the working time spent waiting is added to the due instant.
    pub fn resume(
        self,
        cal: &Calendar,
        at: DateTime<Utc>,
        wait: Wait,
        a: Allowance,
    ) -> Result<Clock, ClockError> {
        let since = self.paused_since.ok_or(ClockError::NotPaused)?;
        if at < since {
            return Err(ClockError::Backwards);
        }
        let due_at = match (wait, a.supplement_policy) {
            (Wait::Supplement, SupplementPolicy::Restart) => cal.due_at(at, a.days, a.unit)?,
            _ => cal.shift_by_pause(self.due_at, cal.working_seconds_between(since, at))?,
        };
        Ok(Clock {
            due_at,
            paused_since: None,
            ..self
        })
    }

    /// Overdue at `x` (DOMAIN §4); a paused clock is judged as of its pause.
    pub fn overdue_at(&self, x: DateTime<Utc>) -> bool {
        self.paused_since.unwrap_or(x) > self.due_at
    }
}

/// A step's deadline: its share of the processing time, walked from when the step starts.
pub fn step_due(
    cal: &Calendar,
    step_start: DateTime<Utc>,
    a: Allowance,
    share_percent: u8,
) -> Result<DateTime<Utc>, CalendarError> {
    cal.due_at(
        step_start,
        a.days * f64::from(share_percent) / 100.0,
        TimeUnit::WorkingDays,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::model::{to_local, to_utc, WorkingHours};
    use chrono::{Duration, NaiveDateTime};
    use proptest::prelude::*;

    fn cal() -> Calendar {
        Calendar::new([], WorkingHours::default())
    }

    fn at(s: &str) -> DateTime<Utc> {
        to_utc(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn local(t: DateTime<Utc>) -> String {
        to_local(t).format("%Y-%m-%d %H:%M").to_string()
    }

    fn allowance(days: f64, policy: SupplementPolicy) -> Allowance {
        Allowance {
            days,
            unit: TimeUnit::WorkingDays,
            supplement_policy: policy,
        }
    }

    #[test]
    fn a_supplement_under_pause_adds_the_waiting_working_time() {
        let c = cal();
        let a = allowance(3.0, SupplementPolicy::Pause);
        // Mon 3/3/2025 08:00 + 3 days → Thu 6/3 08:00.
        let clock = Clock::start(&c, at("2025-03-03 08:00"), a).unwrap();
        assert_eq!(local(clock.due_at), "2025-03-06 08:00");
        // Waiting from Tue 09:00 to Wed 09:00 is 8 working hours: due moves a day.
        let paused = clock.pause(at("2025-03-04 09:00")).unwrap();
        assert!(
            !paused.overdue_at(at("2025-03-20 09:00")),
            "a paused clock does not run"
        );
        let resumed = paused
            .resume(&c, at("2025-03-05 09:00"), Wait::Supplement, a)
            .unwrap();
        assert_eq!(local(resumed.due_at), "2025-03-07 08:00");
    }

    #[test]
    fn a_supplement_under_restart_counts_afresh() {
        let c = cal();
        let a = allowance(3.0, SupplementPolicy::Restart);
        let clock = Clock::start(&c, at("2025-03-03 08:00"), a)
            .unwrap()
            .pause(at("2025-03-04 09:00"))
            .unwrap();
        let resumed = clock
            .resume(&c, at("2025-03-05 14:00"), Wait::Supplement, a)
            .unwrap();
        assert_eq!(local(resumed.due_at), "2025-03-10 14:00");
        // A payment wait pauses whatever the supplement policy says.
        let clock = Clock::start(&c, at("2025-03-03 08:00"), a)
            .unwrap()
            .pause(at("2025-03-04 09:00"))
            .unwrap();
        let paid = clock
            .resume(&c, at("2025-03-04 10:00"), Wait::Payment, a)
            .unwrap();
        assert_eq!(local(paid.due_at), "2025-03-06 09:00");
    }

    #[test]
    fn pausing_twice_or_resuming_unpaused_is_refused() {
        let c = cal();
        let a = allowance(1.0, SupplementPolicy::Pause);
        let clock = Clock::start(&c, at("2025-03-03 08:00"), a).unwrap();
        assert_eq!(
            clock.resume(&c, at("2025-03-03 09:00"), Wait::Payment, a),
            Err(ClockError::NotPaused)
        );
        let p = clock.pause(at("2025-03-03 09:00")).unwrap();
        assert_eq!(
            p.pause(at("2025-03-03 10:00")),
            Err(ClockError::AlreadyPaused)
        );
        assert_eq!(
            p.resume(&c, at("2025-03-03 08:30"), Wait::Payment, a),
            Err(ClockError::Backwards)
        );
    }

    #[test]
    fn step_deadlines_take_their_share() {
        let c = cal();
        let a = allowance(5.0, SupplementPolicy::Pause);
        // 60 % of 5 days = 3 days = 24 working hours.
        assert_eq!(
            local(step_due(&c, at("2025-03-03 08:00"), a, 60).unwrap()),
            "2025-03-06 08:00"
        );
    }

    #[test]
    fn a_wait_outside_working_hours_leaves_a_1730_due_time_alone() {
        let c = cal();
        let a = allowance(1.0, SupplementPolicy::Pause);
        // Mon 3/3/2025 13:30 + 1 day → Tue 4/3 13:30; a day later at 13:30 + 4 h → 17:30.
        let clock = Clock::start(&c, at("2025-03-03 13:30"), a).unwrap();
        let clock = Clock {
            due_at: at("2025-03-04 17:30"),
            ..clock
        };
        // Asked at 18:05 and answered at 19:40 the same evening: no working time waited.
        for wait in [Wait::Supplement, Wait::Payment] {
            let resumed = clock
                .pause(at("2025-03-03 18:05"))
                .unwrap()
                .resume(&c, at("2025-03-03 19:40"), wait, a)
                .unwrap();
            assert_eq!(local(resumed.due_at), "2025-03-04 17:30", "{wait:?}");
        }
        // Over a weekend too (Fri evening → Mon 07:00).
        let friday = Clock {
            due_at: at("2025-03-07 17:30"),
            ..clock
        };
        let resumed = friday
            .pause(at("2025-03-07 17:45"))
            .unwrap()
            .resume(&c, at("2025-03-10 07:00"), Wait::Payment, a)
            .unwrap();
        assert_eq!(local(resumed.due_at), "2025-03-07 17:30");
    }

    proptest! {
        /// A pause shifts the due instant by exactly the working time within it: measured
        /// from the old due instant, the new one is that many working seconds on, and a wait
        /// that spent none leaves the instant unchanged (DOMAIN §4).
        #[test]
        fn a_pause_shifts_the_due_instant_by_the_working_time_waited(
            start in 0i64..(200 * 24 * 60),
            eighths in 0u32..200,
            gap in 0i64..(6 * 24 * 60),
            wait in 0i64..(6 * 24 * 60),
            payment in any::<bool>(),
        ) {
            let c = cal();
            let a = allowance(f64::from(eighths) / 8.0, SupplementPolicy::Pause);
            let received = at("2025-01-01 00:00") + Duration::minutes(start);
            let clock = Clock::start(&c, received, a).unwrap();
            let from = received + Duration::minutes(gap);
            let to = from + Duration::minutes(wait);
            let kind = if payment { Wait::Payment } else { Wait::Supplement };
            let resumed = clock.pause(from).unwrap().resume(&c, to, kind, a).unwrap();
            let waited = c.working_seconds_between(from, to);
            prop_assert_eq!(c.working_seconds_between(clock.due_at, resumed.due_at), waited);
            if waited == 0 {
                prop_assert_eq!(resumed.due_at, clock.due_at);
            } else {
                // Not a second later than it must be: the shifted instant is working time.
                prop_assert!(c.is_working_instant(resumed.due_at));
                prop_assert!(resumed.due_at > clock.due_at);
            }
        }

        /// Under `pause`, the working time from receipt to the due instant, less the working
        /// time spent waiting, is exactly the allowance.
        #[test]
        fn waiting_time_never_counts(
            start in 0i64..(200 * 24 * 60),
            eighths in 1u32..200,
            pauses in proptest::collection::vec((0i64..(5 * 24 * 60), 0i64..(5 * 24 * 60)), 0..4),
        ) {
            let c = cal();
            let a = allowance(f64::from(eighths) / 8.0, SupplementPolicy::Pause);
            let received = at("2025-01-01 00:00") + Duration::minutes(start);
            let mut clock = Clock::start(&c, received, a).unwrap();
            let mut t = received;
            let mut waited = 0;
            for (gap, wait) in pauses {
                let from = t + Duration::minutes(gap);
                let to = from + Duration::minutes(wait);
                clock = clock.pause(from).unwrap().resume(&c, to, Wait::Supplement, a).unwrap();
                waited += c.working_seconds_between(from, to);
                t = to;
            }
            let counted = c.working_seconds_between(received, clock.due_at) - waited;
            prop_assert_eq!(counted, i64::from(eighths) * 3600);
        }
    }
}
