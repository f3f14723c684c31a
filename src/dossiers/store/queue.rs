//! The work queues: their filters (decided in SQL, or from the index's facts for the web
//! client's tabs), pages and counts, and the overdue list's facts.

use super::*;

/// The states whose clock runs (received, not yet decided): the only ones that can be overdue.
pub(super) fn clock_states() -> Vec<&'static str> {
    State::ALL
        .iter()
        .filter(|s| s.is_open() && **s != State::Submitted)
        .map(|s| s.as_str())
        .collect()
}

pub(super) type OverdueAt = diesel::dsl::And<
    diesel::dsl::Lt<dossiers::due_at, NaiveDateTime>,
    diesel::dsl::Or<
        diesel::dsl::IsNull<dossiers::paused_since>,
        diesel::dsl::Gt<dossiers::paused_since, dossiers::due_at>,
    >,
>;

/// Past its due instant at `now` (DOMAIN §4; a paused clock is judged at its pause, which
/// is never later than now). Written as "due before now, and not paused before it" so that
/// the due date bounds the index range: the overdue list reads only what is overdue.
pub(super) fn overdue_at(now: NaiveDateTime) -> OverdueAt {
    dossiers::due_at.lt(now).and(
        dossiers::paused_since
            .is_null()
            .or(dossiers::paused_since.gt(dossiers::due_at)),
    )
}

diesel::define_sql_function! {
    /// When a dossier is due, or (not yet received) when it was filed: its place in the queue.
    #[sql_name = "COALESCE"]
    fn queue_time(
        due: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
        filed: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
        created: diesel::sql_types::Timestamp,
    ) -> diesel::sql_types::Timestamp;
}

/// The filters of a work queue.
#[derive(Debug, Default, Clone)]
pub struct QueueFilter {
    pub state: Option<State>,
    /// Only dossiers overdue at `now` (DOMAIN §4; a paused clock is judged at its pause).
    pub overdue_at: Option<NaiveDateTime>,
    pub assignee: Option<Uuid>,
    pub holder: Option<Uuid>,
    /// Received at this desk.
    pub receiving: Option<Uuid>,
    /// Received at one of these desks (unit ids).
    pub received_at_desks: Option<Vec<String>>,
    /// Resolved by this unit.
    pub resolving: Option<Uuid>,
    pub q: Option<String>,
    /// Every state, final ones too (`state=all`).
    pub all_states: bool,
    /// Received in [from, to).
    pub received_between: Option<(NaiveDateTime, NaiveDateTime)>,
    /// Running (not paused) and due in [from, to).
    pub due_between: Option<(NaiveDateTime, NaiveDateTime)>,
}

/// What a queue search that looks like an identifier matches exactly: the applicant's ID
/// number, or their phone in its national form.
pub(super) fn exact_identifiers(q: &str) -> Option<(String, Option<String>)> {
    let compact: String = q
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    (digits.len() >= 9 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| {
        (
            compact.clone(),
            crate::accounts::model::normalize_phone(&compact),
        )
    })
}

/// Which holders a staff member's queue covers.
pub enum QueueReach {
    All,
    Unit(Uuid),
    Subtree(String, String),
}

/// The dossiers held in `reach` that match, by due date (undated last), with the total.
pub fn work_queue(
    conn: &mut DbConn,
    reach: &QueueReach,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<DossierRow>, i64)> {
    queue_rows(conn, reach, f, Some((limit, offset)), true)
}

/// A page of the dossiers held in `reach` that match, without counting them all.
pub fn work_queue_page(
    conn: &mut DbConn,
    reach: &QueueReach,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<DossierRow>> {
    Ok(queue_rows(conn, reach, f, Some((limit, offset)), false)?.0)
}

/// How many dossiers held in `reach` match.
pub fn queue_count(conn: &mut DbConn, reach: &QueueReach, f: &QueueFilter) -> AppResult<i64> {
    Ok(queue_rows(conn, reach, f, None, true)?.1)
}

/// The total of a queue (when `count`, or without `window`) and, when `window` is (limit,
/// offset), that page of its rows.
pub(super) fn queue_rows(
    conn: &mut DbConn,
    reach: &QueueReach,
    f: &QueueFilter,
    window: Option<(i64, i64)>,
    count: bool,
) -> AppResult<(Vec<DossierRow>, i64)> {
    use crate::db::schema::units;
    use crate::db::DbBackend;
    let open = clock_states();
    let pending: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    let terms =
        f.q.as_deref()
            .map(crate::text::query_terms)
            .unwrap_or_default();
    let exact = f.q.as_deref().and_then(exact_identifiers);
    macro_rules! filtered {
        () => {{
            let mut q = dossiers::table
                .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
                .into_boxed::<DbBackend>();
            match reach {
                QueueReach::All => {}
                QueueReach::Unit(u) => q = q.filter(dossiers::holder_unit_id.eq(u.to_string())),
                QueueReach::Subtree(lo, hi) => {
                    q = q.filter(units::path.ge(lo.clone()).and(units::path.lt(hi.clone())))
                }
            }
            let clock_only = f.overdue_at.is_some() || f.due_between.is_some();
            match f.state {
                Some(s) => q = q.filter(dossiers::state.eq(s.as_str())),
                // The clock states are all still to do: one list of states, not two.
                None if f.all_states || clock_only => {}
                // By default the queue is the work still to do: nothing final.
                None => q = q.filter(dossiers::state.eq_any(pending.clone())),
            }
            if let Some(now) = f.overdue_at {
                q = q
                    .filter(dossiers::state.eq_any(open.clone()))
                    .filter(overdue_at(now));
            }
            if let Some(a) = f.assignee {
                q = q.filter(dossiers::assignee_id.eq(a.to_string()));
            }
            if let Some((from, to)) = f.received_between {
                q = q.filter(
                    dossiers::received_at
                        .ge(from)
                        .and(dossiers::received_at.lt(to)),
                );
            }
            if let Some((from, to)) = f.due_between {
                q = q
                    .filter(dossiers::state.eq_any(open.clone()))
                    .filter(dossiers::paused_since.is_null())
                    .filter(dossiers::due_at.ge(from).and(dossiers::due_at.lt(to)));
            }
            if let Some(h) = f.holder {
                q = q.filter(dossiers::holder_unit_id.eq(h.to_string()));
            }
            if let Some(r) = f.resolving {
                q = q.filter(dossiers::unit_id.eq(r.to_string()));
            }
            if let Some(desks) = &f.received_at_desks {
                q = q.filter(
                    dossiers::receiving_unit_id.eq_any(desks.clone()).or(
                        dossiers::receiving_unit_id
                            .is_null()
                            .and(dossiers::unit_id.eq_any(desks.clone())),
                    ),
                );
            }
            if let Some(r) = f.receiving {
                let r = r.to_string();
                q = q.filter(
                    dossiers::receiving_unit_id
                        .eq(r.clone())
                        .or(dossiers::receiving_unit_id
                            .is_null()
                            .and(dossiers::unit_id.eq(r))),
                );
            }
            match &exact {
                // An ID number or a phone (typed or scanned): the exact value, or a code.
                Some((id_number, phone)) => {
                    // A receipt code is digits and dashes too: matched as typed or scanned.
                    let typed = f.q.as_deref().unwrap_or("").trim().to_uppercase();
                    q = q.filter(
                        dossiers::code
                            .eq(typed)
                            .or(dossiers::applicant_id_number.eq(id_number.clone()))
                            .or(dossiers::applicant_phone.eq(phone.clone()))
                            .or(dossiers::search_text
                                .like(crate::db::contains_pattern(id_number))
                                .escape('\\')
                                .nullable()),
                    )
                }
                None => {
                    for t in &terms {
                        q = q.filter(
                            dossiers::search_text
                                .like(crate::db::contains_pattern(t))
                                .escape('\\'),
                        );
                    }
                }
            }
            q
        }};
    }
    let Some((limit, offset)) = window else {
        return Ok((Vec::new(), filtered!().count().get_result(conn)?));
    };
    macro_rules! page {
        () => {
            filtered!()
                // A filing not yet received has no due date: it waits in line by when it was
                // filed, among the dossiers due then (the desk should take it in before later
                // work). A typed function, not an SQL literal: diesel keeps it prepared.
                .order((
                    queue_time(
                        dossiers::due_at,
                        dossiers::submitted_at,
                        dossiers::created_at,
                    )
                    .asc(),
                    dossiers::created_at.asc(),
                ))
                .limit(limit)
                .offset(offset)
        };
    }
    if !f.on_facts() {
        // A filter on a column the index lacks reads the table's rows anyway.
        let total = match count {
            true => filtered!().count().get_result(conn)?,
            false => -1,
        };
        let rows = page!().select(DossierRow::as_select()).load(conn)?;
        return Ok((rows, total));
    }
    // The page's ids from the index alone (`dossiers_holder_state_due` carries the order's
    // columns), counted in the same scan, then only those rows: a district's overdue list
    // sorts thousands of index entries, not thousands of rows.
    let (ids, total): (Vec<String>, i64) = if count {
        let counted: Vec<(String, i64)> = page!()
            .select((dossiers::id, diesel::dsl::count(dossiers::id).over()))
            .load(conn)?;
        let total = match counted.first() {
            Some((_, n)) => *n,
            // A page past the end shows nothing, and says how many there are.
            None if offset > 0 => filtered!().count().get_result(conn)?,
            None => 0,
        };
        (counted.into_iter().map(|(id, _)| id).collect(), total)
    } else {
        (page!().select(dossiers::id).load(conn)?, -1)
    };
    let mut rows: Vec<DossierRow> = dossiers::table
        .filter(dossiers::id.eq_any(&ids))
        .select(DossierRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok((rows, total))
}

/// The columns the queue's state and due-date filters read, all in the index
/// `dossiers_holder_state_due`: counting from them reads no table rows.
#[derive(Debug, Clone, Queryable)]
pub struct QueueFacts {
    pub state: String,
    pub due_at: Option<NaiveDateTime>,
    pub paused_since: Option<NaiveDateTime>,
}

/// `a < b` as SQL has it: false when either is NULL.
pub(super) fn before(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a < b)
}

impl QueueFilter {
    /// Whether `admits` decides it: it filters on the state, the due date and `overdue`
    /// alone, and finds only work still to do (the web client's tabs, but "received today").
    fn on_facts(&self) -> bool {
        let pending = match self.state {
            Some(s) => !s.is_final(),
            None => !self.all_states || self.overdue_at.is_some() || self.due_between.is_some(),
        };
        pending
            && self.assignee.is_none()
            && self.holder.is_none()
            && self.receiving.is_none()
            && self.received_at_desks.is_none()
            && self.resolving.is_none()
            && self.q.is_none()
            && self.received_between.is_none()
    }

    /// What `work_queue` decides in SQL, for a filter that is `on_facts`.
    pub fn admits(&self, f: &QueueFacts) -> bool {
        let state = State::parse(&f.state);
        let clock = state.is_some_and(|s| s.is_open() && s != State::Submitted);
        let state_ok = match self.state {
            Some(s) => state == Some(s),
            None => self.all_states || state.is_some_and(|s| !s.is_final()),
        };
        let overdue_ok = self.overdue_at.is_none_or(|now| {
            clock
                && before(f.due_at, Some(now))
                && (f.paused_since.is_none() || before(f.due_at, f.paused_since))
        });
        let due_ok = self.due_between.is_none_or(|(from, to)| {
            clock
                && f.paused_since.is_none()
                && f.due_at.is_some_and(|d| d >= from)
                && before(f.due_at, Some(to))
        });
        state_ok && overdue_ok && due_ok
    }
}

/// How many dossiers held in `reach` each filter finds. The filters `admits` decides are
/// counted from one read of the work still to do there (from the index alone); the others
/// one by one.
pub fn queue_counts(
    conn: &mut DbConn,
    reach: &QueueReach,
    filters: &[QueueFilter],
) -> AppResult<Vec<i64>> {
    use crate::db::schema::units;
    use crate::db::DbBackend;
    let mut counts = vec![0; filters.len()];
    if filters.iter().any(QueueFilter::on_facts) {
        let pending: Vec<&str> = State::ALL
            .iter()
            .filter(|s| !s.is_final())
            .map(|s| s.as_str())
            .collect();
        let facts: Vec<QueueFacts> = match reach {
            QueueReach::Unit(u) => dossiers::table
                .filter(dossiers::holder_unit_id.eq(u.to_string()))
                .filter(dossiers::state.eq_any(pending))
                .select((dossiers::state, dossiers::due_at, dossiers::paused_since))
                .load(conn)?,
            _ => {
                let mut q = dossiers::table
                    .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
                    .filter(dossiers::state.eq_any(pending))
                    .select((dossiers::state, dossiers::due_at, dossiers::paused_since))
                    .into_boxed::<DbBackend>();
                if let QueueReach::Subtree(lo, hi) = reach {
                    q = q.filter(units::path.ge(lo.clone()).and(units::path.lt(hi.clone())));
                }
                q.load(conn)?
            }
        };
        for (i, f) in filters.iter().enumerate().filter(|(_, f)| f.on_facts()) {
            counts[i] =
                i64::try_from(facts.iter().filter(|r| f.admits(r)).count()).unwrap_or(i64::MAX);
        }
    }
    for (i, f) in filters.iter().enumerate().filter(|(_, f)| !f.on_facts()) {
        counts[i] = queue_count(conn, reach, f)?;
    }
    Ok(counts)
}

/// The holder (id, name) and procedure code of every dossier held in `reach` and overdue at
/// `now`: the overdue list's counts are made from these.
pub fn overdue_holders(
    conn: &mut DbConn,
    reach: &QueueReach,
    now: NaiveDateTime,
) -> AppResult<Vec<(String, String, String)>> {
    Ok(overdue_facts(conn, reach, None, now)?
        .into_iter()
        .map(|f| (f.holder_id, f.holder_name, f.procedure_code))
        .collect())
}

/// One dossier overdue now: who holds it, the desk that received it, its procedure.
#[derive(Debug, Clone)]
pub struct OverdueFact {
    pub holder_id: String,
    pub holder_name: String,
    /// The receiving desk (the resolving unit where the dossier names none).
    pub desk_id: String,
    pub procedure_code: String,
}

/// The dossiers held in `reach` and, with `desks`, received at one of them, overdue at `now`.
pub fn overdue_facts(
    conn: &mut DbConn,
    reach: &QueueReach,
    desks: Option<&[String]>,
    now: NaiveDateTime,
) -> AppResult<Vec<OverdueFact>> {
    use crate::db::schema::units;
    use crate::db::DbBackend;
    let mut q = dossiers::table
        .inner_join(units::table.on(units::id.eq(dossiers::holder_unit_id)))
        .filter(dossiers::state.eq_any(clock_states()))
        .filter(overdue_at(now))
        .select((
            units::id,
            units::name,
            dossiers::receiving_unit_id,
            dossiers::unit_id,
            dossiers::procedure_code,
        ))
        .into_boxed::<DbBackend>();
    if let Some(desks) = desks {
        q = q.filter(
            dossiers::receiving_unit_id
                .eq_any(desks.to_vec())
                .or(dossiers::receiving_unit_id
                    .is_null()
                    .and(dossiers::unit_id.eq_any(desks.to_vec()))),
        );
    }
    match reach {
        QueueReach::All => {}
        QueueReach::Unit(u) => q = q.filter(dossiers::holder_unit_id.eq(u.to_string())),
        QueueReach::Subtree(lo, hi) => {
            q = q.filter(units::path.ge(lo.clone()).and(units::path.lt(hi.clone())))
        }
    }
    let rows: Vec<(String, String, Option<String>, String, String)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(holder_id, holder_name, desk, unit, procedure_code)| OverdueFact {
                holder_id,
                holder_name,
                desk_id: desk.unwrap_or(unit),
                procedure_code,
            },
        )
        .collect())
}
