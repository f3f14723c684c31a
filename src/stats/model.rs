//! The processing report's figures (DOMAIN §5), defined once, on one dossier's life at a time.
//! Pure: the reference path folds every dossier of a subtree through `Report::add`, and any
//! faster path must give the same numbers.
//!
//! Periods are whole local days `[from, to)` (Asia/Ho_Chi_Minh): a figure "at `to`" is judged
//! at the first instant of `to`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::model::{classify, to_utc, Timeliness};
use crate::dossiers::model::State;
use crate::dossiers::store::{Channel, Event};

/// Whole local days from `from` to the day before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    /// The first day after the period.
    pub to: NaiveDate,
}

impl Period {
    /// `None` unless `from` is before `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Period> {
        (from < to).then_some(Period { from, to })
    }

    pub fn start(&self) -> DateTime<Utc> {
        to_utc(self.from.and_time(chrono::NaiveTime::MIN))
    }

    pub fn end(&self) -> DateTime<Utc> {
        to_utc(self.to.and_time(chrono::NaiveTime::MIN))
    }

    /// The report's instant (DOMAIN §5): the dossiers still open are judged at the period's
    /// end, or at `now` while the period runs (a dossier due later in the period is not
    /// overdue yet).
    pub fn judged_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.end().min(now)
    }

    /// Whether the period has not ended at `now`.
    pub fn runs_at(&self, now: DateTime<Utc>) -> bool {
        now < self.end()
    }
}

/// How a dossier's processing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Resolved(Timeliness),
    Withdrawn,
    Rejected,
    Stopped,
}

/// The dossier's clock after one event: its due instant, and since when it stands still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockMark {
    pub at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub paused_since: Option<DateTime<Utc>>,
}

/// What the rates read of a dossier besides its history: its current record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// A fee was asked (`request_payment`).
    pub fee_asked: bool,
    /// When the fee was paid, and whether online.
    pub paid: Option<(DateTime<Utc>, bool)>,
    /// The result went back electronically.
    pub returned_electronically: bool,
    /// Every document received has an electronic copy made at intake.
    pub documents_digitised: bool,
    /// An electronic result document is attached.
    pub result_electronic: bool,
    /// The applicant's rating, when given, and whether satisfied.
    pub rating: Option<(DateTime<Utc>, bool)>,
}

/// What the report reads of one dossier, taken from its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Life {
    pub channel: Channel,
    pub received_at: Option<DateTime<Utc>>,
    pub ended: Option<(DateTime<Utc>, Ending)>,
    /// From receipt on, one mark per event, oldest first.
    pub clock: Vec<ClockMark>,
    pub facts: Facts,
}

fn waits(state: State) -> bool {
    matches!(state, State::SupplementRequested | State::AwaitingPayment)
}

impl Life {
    /// Reads the life from the history (oldest first).
    pub fn from_history(channel: Channel, history: &[Event]) -> Life {
        let mut life = Life {
            channel,
            received_at: None,
            ended: None,
            clock: Vec::new(),
            facts: Facts::default(),
        };
        let mut paused_since = None;
        for e in history {
            if life.ended.is_some() {
                break;
            }
            if life.received_at.is_none() && e.to_state == State::Received {
                life.received_at = Some(e.at);
            }
            let ending = match e.to_state {
                State::Resolved => e.due_at.map(|due| Ending::Resolved(classify(e.at, due))),
                State::Withdrawn => Some(Ending::Withdrawn),
                State::Rejected => Some(Ending::Rejected),
                State::Stopped => Some(Ending::Stopped),
                _ => None,
            };
            if let Some(ending) = ending {
                life.ended = Some((e.at, ending));
            }
            if life.received_at.is_some() {
                paused_since = if waits(e.to_state) {
                    paused_since.or(Some(e.at))
                } else {
                    None
                };
                life.clock.push(ClockMark {
                    at: e.at,
                    due_at: e.due_at,
                    paused_since,
                });
            }
        }
        life
    }

    /// Whether the dossier, open at `x`, is past its due instant then (DOMAIN §4: a paused
    /// clock is judged as of its pause).
    pub fn overdue_at(&self, x: DateTime<Utc>) -> bool {
        let Some(mark) = self.clock.iter().rev().find(|m| m.at < x) else {
            return false;
        };
        match mark.due_at {
            Some(due) => mark.paused_since.unwrap_or(x) > due,
            None => false,
        }
    }

    /// With the facts the rates read.
    pub fn with(self, facts: Facts) -> Life {
        Life { facts, ..self }
    }

    /// Received before `x` and not finished before it.
    pub fn open_at(&self, x: DateTime<Utc>) -> bool {
        self.received_at.is_some_and(|r| r < x) && self.ended.is_none_or(|(t, _)| t >= x)
    }
}

/// The processing report of DOMAIN §5 for one set of dossiers and one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    /// Received before the period, not finished at its start (kỳ trước chuyển qua).
    pub carried_over: u64,
    /// Received in the period (mới tiếp nhận), and by channel.
    pub new: u64,
    pub new_online: u64,
    pub new_desk: u64,
    pub new_post: u64,
    /// Resolved in the period (đã giải quyết): early + on time + late.
    pub resolved: u64,
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    /// Not finished at the report's instant (đang giải quyết): within time + overdue.
    pub unresolved: u64,
    pub within_time: u64,
    pub overdue: u64,
    /// Ended in the period without a decision.
    pub withdrawn: u64,
    pub rejected: u64,
    pub stopped: u64,
}

impl Report {
    /// Counts one dossier's life into the report for `p`, read at `now`.
    pub fn add(&mut self, life: &Life, p: &Period, now: DateTime<Utc>) {
        let (start, end) = (p.start(), p.end());
        let judged = p.judged_at(now);
        if life.open_at(start) {
            self.carried_over += 1;
        }
        if life.received_at.is_some_and(|r| (start..end).contains(&r)) {
            self.new += 1;
            match life.channel {
                Channel::Online => self.new_online += 1,
                Channel::Desk => self.new_desk += 1,
                Channel::Post => self.new_post += 1,
            }
        }
        if life.open_at(judged) {
            self.unresolved += 1;
            if life.overdue_at(judged) {
                self.overdue += 1;
            } else {
                self.within_time += 1;
            }
        }
        if let Some((_, ending)) = life.ended.filter(|(t, _)| (start..end).contains(t)) {
            match ending {
                Ending::Resolved(t) => {
                    self.resolved += 1;
                    match t {
                        Timeliness::Early => self.early += 1,
                        Timeliness::OnTime => self.on_time += 1,
                        Timeliness::Late => self.late += 1,
                    }
                }
                Ending::Withdrawn => self.withdrawn += 1,
                Ending::Rejected => self.rejected += 1,
                Ending::Stopped => self.stopped += 1,
            }
        }
    }

    /// Adds another report's figures (a child's, a day's).
    pub fn merge(&mut self, o: &Report) {
        self.carried_over += o.carried_over;
        self.new += o.new;
        self.new_online += o.new_online;
        self.new_desk += o.new_desk;
        self.new_post += o.new_post;
        self.resolved += o.resolved;
        self.early += o.early;
        self.on_time += o.on_time;
        self.late += o.late;
        self.unresolved += o.unresolved;
        self.within_time += o.within_time;
        self.overdue += o.overdue;
        self.withdrawn += o.withdrawn;
        self.rejected += o.rejected;
        self.stopped += o.stopped;
    }
}

/// A rate as its numerator over its denominator; `value` is `null` when nothing was counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    /// numerator ÷ denominator, 0–1.
    pub value: Option<f64>,
}

impl Rate {
    fn count(&mut self, counted: bool) {
        self.denominator += 1;
        if counted {
            self.numerator += 1;
        }
    }

    fn merge(&mut self, o: &Rate) {
        self.numerator += o.numerator;
        self.denominator += o.denominator;
    }

    /// Sets `value` from the counts.
    pub fn finish(&mut self) {
        self.value =
            (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64);
    }
}

/// The service-quality rates of DOMAIN §5 that dossiers give, for one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rates {
    /// New dossiers filed online ÷ new dossiers.
    pub online_filing: Rate,
    /// Resolved early or on time ÷ resolved.
    pub on_time: Rate,
    /// Resolved dossiers filed online, paid online (or without a fee) and returned
    /// electronically ÷ resolved (toàn trình).
    pub fully_online: Rate,
    /// Fees paid online ÷ fees paid, by when they were paid.
    pub online_payment: Rate,
    /// New dossiers whose documents were digitised at intake ÷ new dossiers.
    pub digitisation: Rate,
    /// Resolved dossiers with an electronic result ÷ resolved.
    pub result_digitisation: Rate,
    /// "Satisfied" ÷ ratings given, by when they were given.
    pub satisfaction: Rate,
}

impl Rates {
    /// Counts one dossier into the rates for `p`.
    pub fn add(&mut self, life: &Life, p: &Period) {
        let (start, end) = (p.start(), p.end());
        let within = |t: DateTime<Utc>| (start..end).contains(&t);
        let f = &life.facts;
        if life.received_at.is_some_and(within) {
            self.online_filing.count(life.channel == Channel::Online);
            self.digitisation.count(f.documents_digitised);
        }
        if let Some((_, Ending::Resolved(t))) = life.ended.filter(|(at, _)| within(*at)) {
            self.on_time.count(t != Timeliness::Late);
            let paid_online_or_free = match f.paid {
                Some((_, online)) => online,
                None => !f.fee_asked,
            };
            self.fully_online.count(
                life.channel == Channel::Online && paid_online_or_free && f.returned_electronically,
            );
            self.result_digitisation.count(f.result_electronic);
        }
        if let Some((_, online)) = f.paid.filter(|(at, _)| within(*at)) {
            self.online_payment.count(online);
        }
        if let Some((_, satisfied)) = f.rating.filter(|(at, _)| within(*at)) {
            self.satisfaction.count(satisfied);
        }
    }

    pub fn merge(&mut self, o: &Rates) {
        self.online_filing.merge(&o.online_filing);
        self.on_time.merge(&o.on_time);
        self.fully_online.merge(&o.fully_online);
        self.online_payment.merge(&o.online_payment);
        self.digitisation.merge(&o.digitisation);
        self.result_digitisation.merge(&o.result_digitisation);
        self.satisfaction.merge(&o.satisfaction);
    }

    /// Computes each value from its counts.
    pub fn finish(mut self) -> Rates {
        for r in [
            &mut self.online_filing,
            &mut self.on_time,
            &mut self.fully_online,
            &mut self.online_payment,
            &mut self.digitisation,
            &mut self.result_digitisation,
            &mut self.satisfaction,
        ] {
            r.finish();
        }
        self
    }
}

/// The report and the rates, counted in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub report: Report,
    pub rates: Rates,
}

impl Figures {
    /// Counts one dossier's life into the figures for `p`, read at `now`.
    pub fn add(&mut self, life: &Life, p: &Period, now: DateTime<Utc>) {
        self.report.add(life, p, now);
        self.rates.add(life, p);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::accounts::model::Role;
    use crate::dossiers::model::Action;
    use proptest::prelude::*;

    /// Minutes after 00:00 local on 1 March 2025.
    fn t(minutes: i64) -> DateTime<Utc> {
        to_utc(
            NaiveDate::from_ymd_opt(2025, 3, 1)
                .unwrap()
                .and_time(chrono::NaiveTime::MIN),
        ) + chrono::Duration::minutes(minutes)
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    const DAY: i64 = 24 * 60;

    fn ev(at: i64, to: State, due: Option<i64>) -> Event {
        Event {
            seq: 0,
            action: Action::Receive,
            action_label: Action::Receive.label_vi(),
            from_state: None,
            to_state: to,
            actor_id: None,
            actor_role: Role::Clerk,
            unit_id: None,
            at: t(at),
            note: None,
            due_at: due.map(t),
            step: None,
            step_due_at: None,
            holder_unit_id: None,
        }
    }

    /// The report for 1 March + `from` … `to`, read long after it.
    fn report(lives: &[Life], from: u32, to: u32) -> Report {
        report_at(lives, from, to, DateTime::<Utc>::MAX_UTC)
    }

    fn report_at(lives: &[Life], from: u32, to: u32, now: DateTime<Utc>) -> Report {
        let p = Period::new(day(from), day(to)).unwrap();
        let mut r = Report::default();
        for l in lives {
            r.add(l, &p, now);
        }
        r
    }

    #[test]
    fn a_running_period_judges_open_dossiers_at_the_reading() {
        use State as S;
        // Received 2 March, due 20 March 17:00, still in progress.
        let open = Life::from_history(
            Channel::Desk,
            &[
                ev(DAY + 600, S::Received, Some(19 * DAY + 1020)),
                ev(DAY + 700, S::InProgress, Some(19 * DAY + 1020)),
            ],
        );
        let one = std::slice::from_ref(&open);
        // The March report read on 7 March 10:00: within time, not overdue.
        let r = report_at(one, 1, 31, t(6 * DAY + 600));
        assert_eq!((r.unresolved, r.within_time, r.overdue), (1, 1, 0));
        // Read on the due day, a minute before and a minute after the due time.
        let r = report_at(one, 1, 31, t(19 * DAY + 1019));
        assert_eq!((r.within_time, r.overdue), (1, 0));
        let r = report_at(one, 1, 31, t(19 * DAY + 1021));
        assert_eq!((r.within_time, r.overdue), (0, 1));
        // Once the period has ended, it is judged at its end whenever it is read.
        assert_eq!(report(one, 1, 31).overdue, 1);
        assert_eq!(report_at(one, 1, 15, t(6 * DAY + 600)).within_time, 1);
        let p = Period::new(day(1), day(31)).unwrap();
        assert!(p.runs_at(t(6 * DAY)) && !p.runs_at(t(31 * DAY)));
        assert_eq!(p.judged_at(t(6 * DAY)), t(6 * DAY));
        assert_eq!(p.judged_at(t(40 * DAY)), p.end());
    }

    #[test]
    fn a_dossier_counts_where_its_life_crosses_the_period() {
        use State as S;
        // Received 2 March 09:00, due 4 March 17:00, resolved 6 March: late.
        let late = Life::from_history(
            Channel::Online,
            &[
                ev(DAY + 540, S::Submitted, None),
                ev(DAY + 600, S::Received, Some(3 * DAY + 1020)),
                ev(2 * DAY, S::InProgress, Some(3 * DAY + 1020)),
                ev(5 * DAY + 600, S::Resolved, Some(3 * DAY + 1020)),
                ev(5 * DAY + 700, S::Returned, Some(3 * DAY + 1020)),
            ],
        );
        assert_eq!(late.received_at, Some(t(DAY + 600)));
        assert_eq!(
            late.ended,
            Some((t(5 * DAY + 600), Ending::Resolved(Timeliness::Late)))
        );
        // March 1–2: new, online, unresolved and within time on the 3rd.
        let r = report(std::slice::from_ref(&late), 1, 3);
        assert_eq!(
            (r.new, r.new_online, r.unresolved, r.within_time),
            (1, 1, 1, 1)
        );
        // March 3–5: carried over; overdue at the start of the 5th.
        let r = report(std::slice::from_ref(&late), 3, 5);
        assert_eq!((r.carried_over, r.new, r.overdue), (1, 0, 1));
        // March 6: resolved late.
        let r = report(std::slice::from_ref(&late), 6, 7);
        assert_eq!(
            (r.carried_over, r.resolved, r.late, r.unresolved),
            (1, 1, 1, 0)
        );
    }

    #[test]
    fn a_wait_for_the_applicant_is_judged_as_of_its_start() {
        use State as S;
        // Due 3 March 17:00; a supplement asked on the 3rd at 10:00, still awaited on the 10th.
        let waiting = Life::from_history(
            Channel::Desk,
            &[
                ev(DAY + 600, S::Received, Some(2 * DAY + 1020)),
                ev(2 * DAY + 600, S::SupplementRequested, Some(2 * DAY + 1020)),
            ],
        );
        let r = report(std::slice::from_ref(&waiting), 9, 10);
        assert_eq!((r.unresolved, r.within_time, r.overdue), (1, 1, 0));
        // Asked only on the 4th: it was overdue already.
        let late_wait = Life::from_history(
            Channel::Desk,
            &[
                ev(DAY + 600, S::Received, Some(2 * DAY + 1020)),
                ev(3 * DAY + 600, S::SupplementRequested, Some(2 * DAY + 1020)),
            ],
        );
        assert_eq!(report(std::slice::from_ref(&late_wait), 9, 10).overdue, 1);
    }

    #[test]
    fn fully_online_needs_online_filing_online_payment_or_none_and_an_electronic_return() {
        use State as S;
        let history = [
            ev(DAY + 600, S::Received, Some(3 * DAY + 1020)),
            ev(2 * DAY, S::Resolved, Some(3 * DAY + 1020)),
        ];
        let p = Period::new(day(1), day(5)).unwrap();
        let rates = |channel, facts| {
            let mut r = Rates::default();
            r.add(&Life::from_history(channel, &history).with(facts), &p);
            r.finish().fully_online.numerator
        };
        let online_free = Facts {
            returned_electronically: true,
            ..Facts::default()
        };
        assert_eq!(rates(Channel::Online, online_free), 1);
        assert_eq!(rates(Channel::Desk, online_free), 0);
        let unpaid = Facts {
            fee_asked: true,
            ..online_free
        };
        assert_eq!(rates(Channel::Online, unpaid), 0);
        let paid_at_desk = Facts {
            paid: Some((t(DAY + 700), false)),
            ..unpaid
        };
        assert_eq!(rates(Channel::Online, paid_at_desk), 0);
        let paid_online = Facts {
            paid: Some((t(DAY + 700), true)),
            ..unpaid
        };
        assert_eq!(rates(Channel::Online, paid_online), 1);
        let on_paper = Facts {
            returned_electronically: false,
            ..online_free
        };
        assert_eq!(rates(Channel::Online, on_paper), 0);
    }

    #[test]
    fn refused_and_withdrawn_before_receipt_count_only_as_such() {
        use State as S;
        let refused = Life::from_history(
            Channel::Online,
            &[ev(60, S::Submitted, None), ev(120, S::Rejected, None)],
        );
        let r = report(std::slice::from_ref(&refused), 1, 2);
        assert_eq!(
            r,
            Report {
                rejected: 1,
                ..Report::default()
            }
        );
    }

    /// A random life through the state machine: actions tried in turn (impossible ones
    /// skipped), minutes apart, the due date moved forward by waits.
    fn any_life() -> impl Strategy<Value = Life> {
        lives_over(10, 3)
    }

    /// As `any_life`, starting within `span` days of 1 March 2025, steps at most `gap` days
    /// apart.
    pub(crate) fn lives_over(span: i64, gap: i64) -> impl Strategy<Value = Life> {
        let step = (
            0usize..Action::ALL.len(),
            1i64..(gap * DAY),
            0i64..(2 * DAY),
        );
        (
            0u8..3,
            0i64..(span * DAY),
            1i64..(6 * DAY),
            proptest::collection::vec(step, 0..14),
        )
            .prop_map(|(channel, start, allowance, steps)| {
                let channel = [Channel::Online, Channel::Desk, Channel::Post][usize::from(channel)];
                let mut state = if channel == Channel::Online {
                    State::Submitted
                } else {
                    State::Received
                };
                let mut at = start;
                let mut due = (state == State::Received).then_some(start + allowance);
                let mut history = vec![ev(at, state, due)];
                for (a, gap, shift) in steps {
                    let Ok(next) = state.after(Action::ALL[a]) else {
                        continue;
                    };
                    at += gap;
                    if next == State::Received {
                        due = Some(at + allowance);
                    } else if waits(state) && !waits(next) {
                        due = due.map(|d| d + shift);
                    }
                    state = next;
                    history.push(ev(at, state, due));
                }
                let paid = history
                    .iter()
                    .find(|e| e.to_state == State::InProgress && waits_payment(&history, e))
                    .map(|e| (e.at, start % 2 == 0));
                Life::from_history(channel, &history).with(Facts {
                    fee_asked: history.iter().any(|e| e.to_state == State::AwaitingPayment),
                    paid,
                    returned_electronically: allowance % 3 == 0,
                    documents_digitised: allowance % 2 == 0,
                    result_electronic: start % 3 == 0,
                    rating: history
                        .iter()
                        .find(|e| e.to_state == State::Returned)
                        .map(|e| (e.at, allowance % 5 != 0)),
                })
            })
    }

    /// Whether `e` ends a wait for payment.
    fn waits_payment(history: &[Event], e: &Event) -> bool {
        history
            .iter()
            .take_while(|x| x.at < e.at)
            .last()
            .is_some_and(|prev| prev.to_state == State::AwaitingPayment)
    }

    proptest! {
        #[test]
        fn adjacent_periods_add_up_and_hand_over_what_is_open(
            lives in proptest::collection::vec(any_life(), 0..40),
            from in 1u32..6,
            len1 in 1u32..8,
            len2 in 1u32..8,
        ) {
            let mid = from + len1;
            let to = mid + len2;
            let (a, b, all) = (report(&lives, from, mid), report(&lives, mid, to), report(&lives, from, to));
            // Flows add up over the two halves.
            prop_assert_eq!(all.new, a.new + b.new);
            prop_assert_eq!(all.new_online + all.new_desk + all.new_post, all.new);
            prop_assert_eq!(all.resolved, a.resolved + b.resolved);
            prop_assert_eq!(all.early + all.on_time + all.late, all.resolved);
            prop_assert_eq!(all.late, a.late + b.late);
            prop_assert_eq!(
                (all.withdrawn, all.rejected, all.stopped),
                (a.withdrawn + b.withdrawn, a.rejected + b.rejected, a.stopped + b.stopped)
            );
            // What is open at the middle is what the second half carries over.
            prop_assert_eq!(a.unresolved, b.carried_over);
            prop_assert_eq!((all.carried_over, all.unresolved, all.overdue), (a.carried_over, b.unresolved, b.overdue));
            prop_assert_eq!(all.within_time + all.overdue, all.unresolved);
            // Every received dossier is accounted for: what came in is what went out or stayed.
            let p = Period::new(day(from), day(to)).unwrap();
            let ended_unresolved = lives
                .iter()
                .filter(|l| l.received_at.is_some())
                .filter(|l| l.ended.is_some_and(|(t, e)| {
                    (p.start()..p.end()).contains(&t) && !matches!(e, Ending::Resolved(_))
                }))
                .count() as u64;
            prop_assert_eq!(
                all.carried_over + all.new,
                all.resolved + all.unresolved + ended_unresolved
            );
            // The rates count the same dossiers as the report.
            let mut rates = Rates::default();
            for l in &lives {
                rates.add(l, &p);
            }
            let rates = rates.finish();
            prop_assert_eq!((rates.online_filing.numerator, rates.online_filing.denominator), (all.new_online, all.new));
            prop_assert_eq!((rates.on_time.numerator, rates.on_time.denominator), (all.early + all.on_time, all.resolved));
            prop_assert_eq!(rates.fully_online.denominator, all.resolved);
            prop_assert!(rates.fully_online.numerator <= all.resolved);
            prop_assert_eq!(rates.result_digitisation.denominator, all.resolved);
            prop_assert_eq!(rates.digitisation.denominator, all.new);
            prop_assert_eq!(rates.on_time.value.is_none(), all.resolved == 0);
        }
    }
}
