//! The fast path's arithmetic, pure: one dossier's life as a few dated counter changes, and
//! the figures of any period read back from sums of those changes.
//!
//! Every figure of DOMAIN §5 is either a flow (what happened on a day: received, resolved,
//! paid, rated…) or a stock judged at an instant (open, overdue). Periods are whole local
//! days, so a flow is counted on the local day it happened, and a stock at the first instant
//! of day `X` is the sum of its day-to-day changes on the days before `X`. Hence one rule for
//! both: with `P(X)` the sum of every change dated before `X`,
//!
//! - a flow over `[from, to)` is `P(to) − P(from)`;
//! - a stock at the start of the period is `P(from)`, at its end `P(to)`.
//!
//! The changes are summed into day, month and year buckets, and `P(X)` reads the year buckets
//! before `X`'s year, the month buckets of that year before `X`'s month and the day buckets of
//! that month before `X`: at most 1 + 11 + 30 rows per unit, whatever the history's length.
//!
//! A stock's changes come from evaluating the reference's own predicates (`Life::open_at`,
//! `Life::overdue_at`) at the day boundaries next to each instant where they may change, so
//! the two paths cannot disagree on a boundary.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::model::{Ending, Figures, Life, Rate, Rates, Report};
use crate::calendar::model::{to_local, Timeliness};
use crate::dossiers::store::Channel;

/// The counters kept per bucket, in their column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Counter {
    New,
    NewOnline,
    NewDesk,
    NewPost,
    Early,
    OnTime,
    Late,
    Withdrawn,
    Rejected,
    Stopped,
    /// New, with documents digitised at intake.
    Digitised,
    /// Resolved, filed online, paid online or free, returned electronically.
    FullyOnline,
    /// Resolved, with an electronic result.
    ResultElectronic,
    Paid,
    PaidOnline,
    Rated,
    Satisfied,
    /// Change of the number of open dossiers (a stock).
    Open,
    /// Change of the number of open and overdue dossiers (a stock).
    Overdue,
}

pub const COUNTERS: usize = 19;

impl Counter {
    pub const ALL: [Counter; COUNTERS] = [
        Counter::New,
        Counter::NewOnline,
        Counter::NewDesk,
        Counter::NewPost,
        Counter::Early,
        Counter::OnTime,
        Counter::Late,
        Counter::Withdrawn,
        Counter::Rejected,
        Counter::Stopped,
        Counter::Digitised,
        Counter::FullyOnline,
        Counter::ResultElectronic,
        Counter::Paid,
        Counter::PaidOnline,
        Counter::Rated,
        Counter::Satisfied,
        Counter::Open,
        Counter::Overdue,
    ];

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Counter values, indexed by `Counter`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts(pub [i64; COUNTERS]);

impl Counts {
    pub fn get(&self, c: Counter) -> i64 {
        self.0[c.index()]
    }

    pub fn bump(&mut self, c: Counter, by: i64) {
        self.0[c.index()] += by;
    }

    pub fn add(&mut self, o: &Counts) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a += b;
        }
    }

    pub fn sub(&mut self, o: &Counts) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a -= b;
        }
    }

    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0)
    }
}

/// A day as a number: days since 1970-01-01. The buckets' key.
pub fn day_number(d: NaiveDate) -> i32 {
    // Dates stay within chrono's range, whose day count fits an i32.
    i32::try_from((d - NaiveDate::default()).num_days()).unwrap_or(i32::MAX)
}

pub fn from_day_number(n: i32) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(i64::from(n))
}

/// The local (Asia/Ho_Chi_Minh) date of an instant.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    to_local(t).date()
}

/// One change of one counter on one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Part {
    pub day: i32,
    pub counter: Counter,
    pub delta: i64,
}

/// One dossier's contribution to the buckets: its dated counter changes, merged per (day,
/// counter) and without zeros, in order.
pub fn contribution(life: &Life) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut put = |t: DateTime<Utc>, counter: Counter| {
        parts.push(Part {
            day: day_number(local_day(t)),
            counter,
            delta: 1,
        })
    };
    let f = &life.facts;
    if let Some(r) = life.received_at {
        put(r, Counter::New);
        put(
            r,
            match life.channel {
                Channel::Online => Counter::NewOnline,
                Channel::Desk => Counter::NewDesk,
                Channel::Post => Counter::NewPost,
            },
        );
        if f.documents_digitised {
            put(r, Counter::Digitised);
        }
    }
    if let Some((t, ending)) = life.ended {
        match ending {
            Ending::Resolved(timeliness) => {
                put(
                    t,
                    match timeliness {
                        Timeliness::Early => Counter::Early,
                        Timeliness::OnTime => Counter::OnTime,
                        Timeliness::Late => Counter::Late,
                    },
                );
                let paid_online_or_free = match f.paid {
                    Some((_, online)) => online,
                    None => !f.fee_asked,
                };
                if life.channel == Channel::Online
                    && paid_online_or_free
                    && f.returned_electronically
                {
                    put(t, Counter::FullyOnline);
                }
                if f.result_electronic {
                    put(t, Counter::ResultElectronic);
                }
            }
            Ending::Withdrawn => put(t, Counter::Withdrawn),
            Ending::Rejected => put(t, Counter::Rejected),
            Ending::Stopped => put(t, Counter::Stopped),
        }
    }
    if let Some((t, online)) = f.paid {
        put(t, Counter::Paid);
        if online {
            put(t, Counter::PaidOnline);
        }
    }
    if let Some((t, satisfied)) = f.rating {
        put(t, Counter::Rated);
        if satisfied {
            put(t, Counter::Satisfied);
        }
    }
    stock_changes(life, &mut parts);
    parts.sort();
    let mut merged: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        match merged.last_mut() {
            Some(last) if last.day == p.day && last.counter == p.counter => last.delta += p.delta,
            _ => merged.push(p),
        }
    }
    merged.retain(|p| p.delta != 0);
    merged
}

/// The first instant of a local day.
fn day_start(day: i32) -> DateTime<Utc> {
    crate::calendar::model::to_utc(from_day_number(day).and_time(chrono::NaiveTime::MIN))
}

/// The stocks' changes. A stock at the start of day `D` changes from day `D − 1` only if one
/// of the life's instants lies in `(start(D − 1), start(D)]`, so `D` is that instant's day or
/// the day after; the change `stock(D) − stock(D − 1)` is dated `D − 1`, the last day before
/// it shows.
fn stock_changes(life: &Life, parts: &mut Vec<Part>) {
    let mut instants: Vec<DateTime<Utc>> = Vec::new();
    instants.extend(life.received_at);
    instants.extend(life.ended.map(|(t, _)| t));
    for m in &life.clock {
        instants.push(m.at);
        instants.extend(m.due_at);
        instants.extend(m.paused_since);
    }
    let mut days: Vec<i32> = instants
        .iter()
        .flat_map(|t| {
            let d = day_number(local_day(*t));
            [d, d.saturating_add(1)]
        })
        .collect();
    days.sort_unstable();
    days.dedup();
    let stocks = |day: i32| {
        let x = day_start(day);
        let open = life.open_at(x);
        (i64::from(open), i64::from(open && life.overdue_at(x)))
    };
    for d in days {
        let (open, overdue) = stocks(d);
        let (open_before, overdue_before) = stocks(d - 1);
        for (counter, delta) in [
            (Counter::Open, open - open_before),
            (Counter::Overdue, overdue - overdue_before),
        ] {
            if delta != 0 {
                parts.push(Part {
                    day: d - 1,
                    counter,
                    delta,
                });
            }
        }
    }
}

/// The size of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Day,
    Month,
    Year,
}

impl Grain {
    pub const ALL: [Grain; 3] = [Grain::Day, Grain::Month, Grain::Year];

    /// The first day of the bucket of this grain that holds `day`.
    pub fn bucket(self, day: i32) -> i32 {
        let d = from_day_number(day);
        match self {
            Grain::Day => day,
            Grain::Month => day_number(d.with_day(1).unwrap_or(d)),
            Grain::Year => day_number(NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d)),
        }
    }

    /// Whether the bucket starting on `start` is one of those `P(x)` sums.
    pub fn counts_before(self, start: i32, x: NaiveDate) -> bool {
        let x_day = day_number(x);
        let month_start = Grain::Month.bucket(x_day);
        let year_start = Grain::Year.bucket(x_day);
        match self {
            Grain::Year => start < year_start,
            Grain::Month => start >= year_start && start < month_start,
            Grain::Day => start >= month_start && start < x_day,
        }
    }
}

/// `ranges` cut wherever `counts_before` may change for one of `cuts`: within each piece every
/// bucket counts (or not) alike for every cut, so a query may sum a piece's rows into one,
/// dated at the piece's first day.
pub fn split_at_cuts(ranges: &[(Grain, i32, i32)], cuts: &[NaiveDate]) -> Vec<(Grain, i32, i32)> {
    let mut out = Vec::new();
    for &(grain, lo, hi) in ranges {
        let mut edges: Vec<i32> = cuts
            .iter()
            .flat_map(|x| {
                let x = day_number(*x);
                let (month, year) = (Grain::Month.bucket(x), Grain::Year.bucket(x));
                match grain {
                    Grain::Year => vec![year],
                    Grain::Month => vec![year, month],
                    Grain::Day => vec![month, x],
                }
            })
            .filter(|e| lo < *e && *e < hi)
            .collect();
        edges.sort_unstable();
        edges.dedup();
        let mut start = lo;
        for e in edges.into_iter().chain(std::iter::once(hi)) {
            out.push((grain, start, e));
            start = e;
        }
    }
    out
}

/// The bucket ranges `[lo, hi)` (by first day, per grain) that hold every bucket `P(x)` sums
/// for any `x` from `from` to `to` that is `from`, `to` or the first of a month: what a query
/// must read. Empty ranges are left out.
pub fn ranges_for(from: NaiveDate, to: NaiveDate) -> Vec<(Grain, i32, i32)> {
    let (f, t) = (day_number(from), day_number(to));
    [
        (Grain::Year, i32::MIN, Grain::Year.bucket(t)),
        (Grain::Month, Grain::Year.bucket(f), Grain::Month.bucket(t)),
        (Grain::Day, Grain::Month.bucket(f), f),
        (Grain::Day, Grain::Month.bucket(t).max(f), t),
    ]
    .into_iter()
    .filter(|(_, lo, hi)| lo < hi)
    .collect()
}

/// Buckets that cover `[from, to)` exactly once, each lying wholly inside it: the days up to
/// the first month start, the months up to the first year start, the whole years, then months
/// and days again. Enough for flows over the period (not for stocks), in fewer rows.
pub fn cover(from: NaiveDate, to: NaiveDate) -> Vec<(Grain, i32, i32)> {
    let (mut at, end) = (day_number(from), day_number(to));
    let mut out: Vec<(Grain, i32, i32)> = Vec::new();
    let mut push = |g: Grain, lo: i32, hi: i32| {
        if lo < hi {
            match out.last_mut() {
                Some(last) if last.0 == g && last.2 == lo => last.2 = hi,
                _ => out.push((g, lo, hi)),
            }
        }
    };
    while at < end {
        let grain = if Grain::Year.bucket(at) == at && next_year(at) <= end {
            Grain::Year
        } else if Grain::Month.bucket(at) == at && next_month_start(at) <= end {
            Grain::Month
        } else {
            Grain::Day
        };
        let next = match grain {
            Grain::Year => next_year(at),
            Grain::Month => next_month_start(at),
            Grain::Day => at + 1,
        };
        push(grain, at, next);
        at = next;
    }
    out
}

fn next_month_start(day: i32) -> i32 {
    let d = from_day_number(day);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).map_or(i32::MAX, day_number)
}

fn next_year(day: i32) -> i32 {
    let d = from_day_number(day);
    NaiveDate::from_ymd_opt(d.year() + 1, 1, 1).map_or(i32::MAX, day_number)
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn rate(numerator: i64, denominator: i64) -> Rate {
    Rate {
        numerator: count(numerator),
        denominator: count(denominator),
        value: None,
    }
}

/// The figures of a period from `P(from)` and `P(to)`.
pub fn figures(at_from: &Counts, at_to: &Counts) -> Figures {
    let mut flow = *at_to;
    flow.sub(at_from);
    let g = |c| flow.get(c);
    let unresolved = at_to.get(Counter::Open);
    let overdue = at_to.get(Counter::Overdue);
    let resolved = g(Counter::Early) + g(Counter::OnTime) + g(Counter::Late);
    let report = Report {
        carried_over: count(at_from.get(Counter::Open)),
        new: count(g(Counter::New)),
        new_online: count(g(Counter::NewOnline)),
        new_desk: count(g(Counter::NewDesk)),
        new_post: count(g(Counter::NewPost)),
        resolved: count(resolved),
        early: count(g(Counter::Early)),
        on_time: count(g(Counter::OnTime)),
        late: count(g(Counter::Late)),
        unresolved: count(unresolved),
        within_time: count(unresolved - overdue),
        overdue: count(overdue),
        withdrawn: count(g(Counter::Withdrawn)),
        rejected: count(g(Counter::Rejected)),
        stopped: count(g(Counter::Stopped)),
    };
    let rates = Rates {
        online_filing: rate(g(Counter::NewOnline), g(Counter::New)),
        on_time: rate(g(Counter::Early) + g(Counter::OnTime), resolved),
        fully_online: rate(g(Counter::FullyOnline), resolved),
        online_payment: rate(g(Counter::PaidOnline), g(Counter::Paid)),
        digitisation: rate(g(Counter::Digitised), g(Counter::New)),
        result_digitisation: rate(g(Counter::ResultElectronic), resolved),
        satisfaction: rate(g(Counter::Satisfied), g(Counter::Rated)),
    };
    Figures { report, rates }
}

/// Buckets as a map, for folding and for tests: (grain, bucket start) → counts.
pub type Buckets = std::collections::BTreeMap<(Grain, i32), Counts>;

/// Adds (or, with `sign = -1`, takes away) a contribution into buckets of every grain.
pub fn spread(parts: &[Part], sign: i64, into: &mut Buckets) {
    for p in parts {
        for g in Grain::ALL {
            into.entry((g, g.bucket(p.day)))
                .or_default()
                .bump(p.counter, sign * p.delta);
        }
    }
}

/// `P(x)` over buckets.
pub fn before(buckets: &Buckets, x: NaiveDate) -> Counts {
    let mut sum = Counts::default();
    for ((g, start), counts) in buckets {
        if g.counts_before(*start, x) {
            sum.add(counts);
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::model::tests::lives_over;
    use crate::stats::model::Period;
    use proptest::prelude::*;

    fn reference(lives: &[Life], p: &Period) -> Figures {
        let mut f = Figures::default();
        for l in lives {
            f.add(l, p, DateTime::<Utc>::MAX_UTC);
        }
        f
    }

    #[test]
    fn buckets_before_a_day_cover_every_earlier_day_once() {
        let mut buckets = Buckets::new();
        let first = day_number(NaiveDate::from_ymd_opt(2023, 11, 20).unwrap());
        for d in first..first + 900 {
            spread(
                &[Part {
                    day: d,
                    counter: Counter::New,
                    delta: 1,
                }],
                1,
                &mut buckets,
            );
        }
        for x in (first - 3..first + 905).step_by(7) {
            let want = (x - first).clamp(0, 900);
            assert_eq!(
                before(&buckets, from_day_number(x)).get(Counter::New),
                i64::from(want),
                "{}",
                from_day_number(x)
            );
        }
    }

    proptest! {
        #[test]
        fn split_ranges_count_alike_throughout_for_every_cut(
            from in 0i64..900,
            len in 1i64..400,
            months in proptest::bool::ANY,
        ) {
            let base = NaiveDate::from_ymd_opt(2024, 11, 20).unwrap();
            let from = base + chrono::Duration::days(from);
            let to = from + chrono::Duration::days(len);
            let mut cuts = vec![from, to];
            if months {
                cuts.extend(
                    crate::stats::reference::months(&Period::new(from, to).unwrap())
                        .iter()
                        .map(|m| m.from),
                );
            }
            let ranges = ranges_for(from, to);
            let pieces = split_at_cuts(&ranges, &cuts);
            // The pieces tile the ranges exactly.
            let floor = day_number(base) - 800;
            let days = |rs: &[(Grain, i32, i32)], g: Grain| -> Vec<i32> {
                rs.iter()
                    .filter(|r| r.0 == g)
                    .flat_map(|r| r.1.max(floor)..r.2)
                    .collect()
            };
            for g in Grain::ALL {
                prop_assert_eq!(days(&pieces, g), days(&ranges, g));
            }
            for (grain, lo, hi) in pieces {
                prop_assert!(lo < hi);
                // Every bucket start in the piece (years and months: their first days) counts
                // as its first day does.
                let starts: Vec<i32> = (lo.max(floor)..hi)
                    .filter(|d| grain.bucket(*d) == *d)
                    .collect();
                for x in &cuts {
                    for d in &starts {
                        prop_assert_eq!(
                            grain.counts_before(*d, *x),
                            grain.counts_before(lo, *x),
                            "{:?} [{}, {}) at {}", grain, lo, hi, x
                        );
                    }
                }
            }
        }

        #[test]
        fn buckets_give_the_reference_figures_for_any_period(
            lives in proptest::collection::vec(lives_over(700, 40), 0..30),
            from in 0i64..900,
            len in 1i64..400,
        ) {
            let mut buckets = Buckets::new();
            for l in &lives {
                spread(&contribution(l), 1, &mut buckets);
            }
            let base = NaiveDate::from_ymd_opt(2025, 1, 20).unwrap();
            let from = base + chrono::Duration::days(from);
            let to = from + chrono::Duration::days(len);
            let p = Period::new(from, to).unwrap();
            // What a query reads (the ranges) is all that `P(from)` and `P(to)` need.
            let ranges = ranges_for(from, to);
            let read: Buckets = buckets
                .iter()
                .filter(|((g, start), _)| {
                    ranges.iter().any(|(rg, lo, hi)| rg == g && (*lo..*hi).contains(start))
                })
                .map(|(k, v)| (*k, *v))
                .collect();
            prop_assert_eq!(before(&read, from), before(&buckets, from));
            prop_assert_eq!(before(&read, to), before(&buckets, to));
            let mut fast = figures(&before(&read, from), &before(&read, to));
            let mut slow = reference(&lives, &p);
            fast.rates = fast.rates.finish();
            slow.rates = slow.rates.finish();
            prop_assert_eq!(fast, slow);
            // The cover of the period gives its flows.
            let covered: Counts = buckets
                .iter()
                .filter(|((g, start), _)| {
                    cover(from, to).iter().any(|(cg, lo, hi)| cg == g && (*lo..*hi).contains(start))
                })
                .fold(Counts::default(), |mut sum, (_, c)| {
                    sum.add(c);
                    sum
                });
            let mut flows = before(&buckets, to);
            flows.sub(&before(&buckets, from));
            for c in Counter::ALL.iter().filter(|c| !matches!(c, Counter::Open | Counter::Overdue)) {
                prop_assert_eq!(covered.get(*c), flows.get(*c), "{:?}", c);
            }
        }

        #[test]
        fn taking_a_contribution_back_leaves_nothing(
            lives in proptest::collection::vec(lives_over(700, 40), 1..10),
        ) {
            let mut buckets = Buckets::new();
            for l in &lives {
                spread(&contribution(l), 1, &mut buckets);
            }
            for l in &lives {
                spread(&contribution(l), -1, &mut buckets);
            }
            prop_assert!(buckets.values().all(Counts::is_zero));
        }
    }
}
