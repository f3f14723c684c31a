//! What people do with dossiers, each in one transaction with its history event: filing
//! online, intake at the desk or by post, and the transitions. Checks the actor's role
//! (403), scope (404), the state machine (409 naming the state) and the dossier's version
//! (409 when another change won). Handlers call these inside `Db::write`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::clock::{step_due, Allowance, Clock, Wait};
use super::ledger::Ledger;
use super::model::{Action, State};
use super::permit;
use super::store::{self, Changes, Channel, DossierRow, NewDossier, NewEvent, Placed};
use crate::accounts::model::Role;
use crate::auth::{Caller, Scope};
use crate::calendar::model::{to_local, Calendar, Calendars};
use crate::catalogue::model::{OnlineLevel, SupplementPolicy};
use crate::catalogue::store::ProcedureDetail;
use crate::error::{AppError, AppResult, Validator};
use crate::units::model::{path_contains, Level, Unit};

/// Whether `caller` may see the dossier: its applicant; staff whose scope holds the unit it
/// was filed at or the unit that holds it now.
pub fn visible(caller: &Caller, p: &Placed) -> bool {
    let row = &p.row;
    match caller.scope() {
        Scope::All => true,
        Scope::Citizen(me) => row.applicant() == Some(me),
        Scope::Unit(u) => row.unit() == u || row.holder() == u || row.receiving() == u,
        Scope::Subtree(root) => {
            path_contains(&p.filed_path, root)
                || path_contains(&p.holder_path, root)
                || p.receiving_path
                    .as_deref()
                    .is_some_and(|path| path_contains(path, root))
        }
    }
}

/// The dossier and its places if the caller may see it, else 404.
pub fn load_placed<L: Ledger + ?Sized>(
    conn: &mut L,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Placed> {
    match conn.placed(id)? {
        Some(p) if visible(caller, &p) => Ok(p),
        _ => Err(AppError::NotFound),
    }
}

/// The dossier if the caller may see it, else 404.
pub fn load_visible<L: Ledger + ?Sized>(
    conn: &mut L,
    caller: &Caller,
    id: Uuid,
) -> AppResult<DossierRow> {
    Ok(load_placed(conn, caller, id)?.row)
}

/// The dossier's situation for the permit rules, as `caller` sees it at `at`.
pub fn situation<'a>(
    caller: &Caller,
    p: &'a Placed,
    procedure: &'a ProcedureDetail,
    at: DateTime<Utc>,
) -> permit::Situation<'a> {
    permit::Situation {
        row: &p.row,
        holder_in_subtree: situation_in_subtree(caller, p),
        steps: &procedure.steps,
        now: at,
    }
}

/// Whether the unit holding the dossier lies in the caller's subtree.
fn situation_in_subtree(caller: &Caller, p: &Placed) -> bool {
    caller
        .unit_id
        .is_some_and(|root| path_contains(&p.holder_path, root))
}

/// The dossier with the actions its reader may take, its due date judged against the
/// published calendar.
pub fn shown(row: &DossierRow, allowed: Vec<Action>, cals: &Calendars) -> super::store::Dossier {
    let mut d = row.view_with(allowed);
    d.calendar_provisional = d.due_at.is_some_and(|t| cals.base().is_provisional(t));
    d
}

/// What `caller` may do with `row` now under `procedure` (nothing without one).
fn actions(
    caller: &Caller,
    row: &DossierRow,
    procedure: Option<&ProcedureDetail>,
    holder_in_subtree: bool,
    at: DateTime<Utc>,
) -> Vec<Action> {
    procedure.map_or_else(Vec::new, |p| {
        permit::allowed(
            caller,
            &permit::Situation {
                row,
                holder_in_subtree,
                steps: &p.steps,
                now: at,
            },
        )
    })
}

/// The dossier as `caller` sees it, with the actions they may take on it now.
pub fn view<L: Ledger + ?Sized>(
    conn: &mut L,
    cals: &Calendars,
    caller: &Caller,
    p: &Placed,
    at: DateTime<Utc>,
) -> AppResult<super::store::Dossier> {
    let procedure = conn.procedure(crate::db::id_of(&p.row.procedure_version_id))?;
    let in_subtree = situation_in_subtree(caller, p);
    let allowed = actions(caller, &p.row, procedure.as_deref(), in_subtree, at);
    Ok(shown(&p.row, allowed, cals))
}

/// One dossier just written, as `caller` sees it now.
pub fn view_row<L: Ledger + ?Sized>(
    conn: &mut L,
    cals: &Calendars,
    caller: &Caller,
    row: &DossierRow,
    at: DateTime<Utc>,
) -> AppResult<super::store::Dossier> {
    let in_subtree = match (caller.role, caller.unit_id) {
        (Role::Approver, Some(root)) => conn.unit(row.holder())?.is_some_and(|u| u.is_within(root)),
        _ => false,
    };
    let procedure = conn.procedure(crate::db::id_of(&row.procedure_version_id))?;
    let allowed = actions(caller, row, procedure.as_deref(), in_subtree, at);
    Ok(shown(row, allowed, cals))
}

/// Dossiers of a list as `caller` sees them: every one is held where the list reached
/// (a work queue's holders are in the caller's unit or subtree).
pub fn view_listed<L: Ledger + ?Sized>(
    conn: &mut L,
    cals: &Calendars,
    caller: &Caller,
    rows: &[DossierRow],
    at: DateTime<Utc>,
) -> AppResult<Vec<super::store::Dossier>> {
    // A page holds a few procedures: each is looked up once.
    let mut versions: Vec<(&str, Option<Arc<ProcedureDetail>>)> = Vec::new();
    let in_subtree = caller.role == Role::Approver;
    rows.iter()
        .map(|row| {
            let version = row.procedure_version_id.as_str();
            let procedure = match versions.iter().find(|(v, _)| *v == version) {
                Some((_, p)) => p.clone(),
                None => {
                    let p = conn.procedure(crate::db::id_of(version))?;
                    versions.push((version, p.clone()));
                    p
                }
            };
            let allowed = actions(caller, row, procedure.as_deref(), in_subtree, at);
            Ok(shown(row, allowed, cals))
        })
        .collect()
}

/// The processing time that applies to a channel (DOMAIN §2: it may differ by channel).
pub fn allowance(p: &ProcedureDetail, channel: Channel) -> AppResult<Allowance> {
    let by_channel = match channel {
        Channel::Online => p.channel_days.online,
        Channel::Desk => p.channel_days.desk,
        Channel::Post => p.channel_days.post,
    };
    let days = by_channel.or(p.summary.processing_days).ok_or_else(|| {
        AppError::invalid(
            "procedure_code",
            "this procedure has no published processing time; it cannot take dossiers yet",
        )
    })?;
    Ok(Allowance {
        days,
        unit: p.summary.time_unit,
        supplement_policy: p.supplement_policy,
    })
}

/// The current version of an active procedure: one query for the code, the content from
/// the process-wide version cache.
fn procedure_for_filing<L: Ledger + ?Sized>(
    conn: &mut L,
    code: &str,
) -> AppResult<Arc<ProcedureDetail>> {
    let missing = || AppError::invalid("procedure_code", "no such active procedure");
    match conn.current_procedure(code)? {
        Some((version, true)) => conn.procedure(version)?.ok_or_else(missing),
        _ => Err(missing()),
    }
}

fn check_documents(v: &mut Validator, p: &ProcedureDetail, documents: &[u32]) {
    let n = p.required_documents.len();
    for (i, d) in documents.iter().enumerate() {
        v.check(
            (*d as usize) < n,
            format!("documents[{i}]"),
            format!("must be a position below {n}"),
        );
        v.check(
            !documents[..i].contains(d),
            format!("documents[{i}]"),
            "is repeated",
        );
    }
}

/// Receiving a dossier checks that every mandatory document of its procedure version was
/// provided; each missing one is named by its position and name (422).
/// Each quantity names a document that was handed in, once, with at least one paper.
pub fn check_quantities(
    v: &mut Validator,
    documents: &[u32],
    quantities: &[super::store::DocumentQuantity],
) {
    for (i, q) in quantities.iter().enumerate() {
        let field = format!("document_quantities[{i}]");
        v.check(
            documents.contains(&q.index),
            &field,
            "names a document not in `documents`",
        );
        v.check(
            !quantities[..i].iter().any(|o| o.index == q.index),
            &field,
            "names a document already counted",
        );
        v.check(
            q.originals <= 99 && q.copies <= 99,
            &field,
            "originals and copies are 0–99 each",
        );
        v.check(
            u16::from(q.originals) + u16::from(q.copies) > 0,
            &field,
            "at least one original or copy",
        );
    }
}

fn check_mandatory(p: &ProcedureDetail, documents: &[u32]) -> AppResult<()> {
    let mut v = Validator::new();
    for (i, d) in p.required_documents.iter().enumerate() {
        let provided = u32::try_from(i).is_ok_and(|i| documents.contains(&i));
        v.check(
            !d.mandatory || provided,
            "documents",
            format!("mandatory document {i} is missing: {}", d.name),
        );
    }
    v.finish()
}

/// The unit a dossier is filed at: it must exist today.
fn receiving_unit<L: Ledger + ?Sized>(
    conn: &mut L,
    id: Uuid,
    field: &str,
    at: DateTime<Utc>,
) -> AppResult<Unit> {
    let today = to_local(at).date();
    match conn.unit(id)? {
        Some(u) if u.valid_on(today) => Ok(u),
        _ => Err(AppError::invalid(
            field,
            format!("no such unit in operation on {}", today.format("%d/%m/%Y")),
        )),
    }
}

/// The unit that resolves a dossier received at `desk` at `at`: the one named, else the desk's
/// own unit where the procedure is handled at its level, else the desk's nearest ancestor at
/// a level the procedure lists (a provincial procedure taken at a commune desk). The unit must
/// be at a level the procedure lists, and the rule in force on the receipt date must let the
/// desk receive for it (`receiving::may_receive`): else 422.
fn resolving_unit<L: Ledger + ?Sized>(
    conn: &mut L,
    p: &ProcedureDetail,
    desk: &Unit,
    named: Option<Uuid>,
    at: DateTime<Utc>,
) -> AppResult<Unit> {
    let levels = &p.summary.levels;
    let resolving = match named {
        Some(id) if id == desk.id => desk.clone(),
        Some(id) => receiving_unit(conn, id, "resolving_unit_id", at)?,
        None if levels.contains(&desk.level) => desk.clone(),
        None => conn
            .ancestors_on_path(&desk.path)?
            .into_iter()
            .rev()
            .find(|u| levels.contains(&u.level))
            .ok_or_else(|| {
                AppError::invalid(
                    "procedure_code",
                    format!(
                        "{} is resolved at the {} level, not by {}: name the resolving unit",
                        p.summary.code,
                        level_names(levels),
                        desk.name
                    ),
                )
            })?,
    };
    if !levels.contains(&resolving.level) {
        return Err(AppError::invalid(
            "procedure_code",
            format!(
                "{} is resolved at the {} level; {} is a {} unit",
                p.summary.code,
                level_names(levels),
                resolving.name,
                resolving.level.as_str()
            ),
        ));
    }
    fn place(u: &Unit) -> super::receiving::Place<'_> {
        super::receiving::Place {
            id: u.id,
            level: u.level,
            path: &u.path,
        }
    }
    super::receiving::may_receive(to_local(at).date(), place(desk), place(&resolving))
        .map_err(|why| AppError::invalid("resolving_unit_id", why))?;
    Ok(resolving)
}

fn level_names(levels: &[Level]) -> String {
    levels
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Allocates the dossier's code at the receiving unit for the local day of `at`.
fn allocate_code<L: Ledger + ?Sized>(
    conn: &mut L,
    unit: &Unit,
    at: DateTime<Utc>,
) -> AppResult<String> {
    let prefix = unit
        .agency_code
        .clone()
        .unwrap_or_else(|| unit.code.clone());
    let day = to_local(at).date();
    let n = conn.next_sequence(&prefix, day)?;
    if n > 9999 {
        return Err(AppError::Unavailable(format!(
            "unit {prefix} has used every code of {day}"
        )));
    }
    Ok(store::format_code(&prefix, day, n))
}

/// Inserts a new dossier and the event that created it, by `action` of `caller`.
fn create<L: Ledger + ?Sized>(
    conn: &mut L,
    caller: &Caller,
    action: Action,
    new: NewDossier<'_>,
) -> AppResult<DossierRow> {
    let (to, unit, at) = (new.state, new.unit_id, new.at);
    let row = conn.insert(new)?;
    conn.record(NewEvent {
        dossier: &row,
        action,
        from: None,
        to,
        actor: Some(caller.user_id),
        role: caller.role,
        unit: Some(unit),
        at,
        note: None,
    })?;
    Ok(row)
}

pub struct OnlineFiling<'a> {
    pub procedure_code: &'a str,
    /// The desk that receives it.
    pub unit_id: Uuid,
    /// The unit that resolves it (default: see `resolving_unit`).
    pub resolving_unit_id: Option<Uuid>,
    pub documents: &'a [u32],
    pub idempotency_key: Option<&'a str>,
}

/// A citizen files online: the dossier waits, `submitted`, for the desk. With an idempotency
/// key, a repeat returns the first dossier (`false`: not created now).
pub fn file_online<L: Ledger + ?Sized>(
    conn: &mut L,
    caller: &Caller,
    f: OnlineFiling<'_>,
    at: DateTime<Utc>,
) -> AppResult<(DossierRow, bool)> {
    caller.require(Action::Submit.roles())?;
    if let Some(key) = f.idempotency_key {
        if let Some(existing) = conn.by_idempotency_key(caller.user_id, key)? {
            let same = existing.procedure_code == f.procedure_code.trim()
                && existing.receiving() == f.unit_id
                && f.resolving_unit_id.is_none_or(|r| r == existing.unit())
                && existing.document_positions() == f.documents;
            if !same {
                return Err(AppError::invalid(
                    "Idempotency-Key",
                    "this key was already used for a different filing; use a new key",
                ));
            }
            return Ok((existing, false));
        }
    }
    let p = procedure_for_filing(conn, f.procedure_code)?;
    let mut v = Validator::new();
    v.check(
        p.summary.online_level != OnlineLevel::None,
        "procedure_code",
        "this procedure is not offered online",
    );
    check_documents(&mut v, &p, f.documents);
    v.finish()?;
    allowance(&p, Channel::Online)?;
    let unit = receiving_unit(conn, f.unit_id, "unit_id", at)?;
    let resolving = resolving_unit(conn, &p, &unit, f.resolving_unit_id, at)?;
    let me = conn.account(caller.user_id)?.ok_or(AppError::NotFound)?;
    let code = allocate_code(conn, &unit, at)?;
    let naive = at.naive_utc();
    let row = create(
        conn,
        caller,
        Action::Submit,
        NewDossier {
            code: &code,
            procedure_version_id: p.summary.version_id,
            procedure_code: &p.summary.code,
            unit_id: resolving.id,
            receiving_unit_id: unit.id,
            // The receiving desk checks it first.
            holder_unit_id: unit.id,
            channel: Channel::Online,
            state: State::Submitted,
            applicant_user_id: Some(caller.user_id),
            applicant_name: &me.full_name,
            applicant_id_number: me.citizen_id.as_deref().or(me.tax_code.as_deref()),
            applicant_phone: me.phone.as_deref(),
            applicant_address: None,
            documents: f.documents,
            document_quantities: &[],
            idempotency_key: f.idempotency_key,
            at: naive,
            received_at: None,
            due_at: None,
            current_step: None,
            step_due_at: None,
        },
    )?;
    Ok((row, true))
}

pub struct DeskApplicant<'a> {
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub address: Option<&'a str>,
}

pub struct DeskIntake<'a> {
    pub procedure_code: &'a str,
    /// The unit that resolves it (default: see `resolving_unit`).
    pub resolving_unit_id: Option<Uuid>,
    pub channel: Channel,
    pub applicant: DeskApplicant<'a>,
    pub documents: &'a [u32],
    /// Originals and copies of each document received (optional; one entry per document).
    pub document_quantities: &'a [super::store::DocumentQuantity],
}

/// A clerk takes a dossier at the desk or from the post: received at once, clock running.
pub fn intake<L: Ledger + ?Sized>(
    conn: &mut L,
    cals: &Calendars,
    caller: &Caller,
    input: DeskIntake<'_>,
    at: DateTime<Utc>,
) -> AppResult<DossierRow> {
    let DeskIntake {
        procedure_code,
        resolving_unit_id,
        channel,
        applicant,
        documents,
        document_quantities,
    } = input;
    caller.require(Action::Receive.roles())?;
    let unit_id = caller.unit_id.ok_or(AppError::Forbidden)?;
    let p = procedure_for_filing(conn, procedure_code)?;
    let mut v = Validator::new();
    v.check(
        channel != Channel::Online,
        "channel",
        "desk intake is `desk` or `post`; online filings come from citizens",
    );
    check_documents(&mut v, &p, documents);
    check_quantities(&mut v, documents, document_quantities);
    v.finish()?;
    check_mandatory(&p, documents)?;
    let a = allowance(&p, channel)?;
    let unit = receiving_unit(conn, unit_id, "unit_id", at)?;
    let resolving = resolving_unit(conn, &p, &unit, resolving_unit_id, at)?;
    // Deadlines count in the hours of the resolving unit's province (the same as the desk's).
    let cal = cals.for_path(&resolving.path);
    let clock =
        Clock::start(cal, at, a).map_err(|e| AppError::invalid("procedure_code", e.to_string()))?;
    let first_step_due = step_deadline(cal, &p, 0, at, a)?;
    let code = allocate_code(conn, &unit, at)?;
    let naive = at.naive_utc();
    let row = create(
        conn,
        caller,
        Action::Receive,
        NewDossier {
            code: &code,
            procedure_version_id: p.summary.version_id,
            procedure_code: &p.summary.code,
            unit_id: resolving.id,
            receiving_unit_id: unit.id,
            // Received: in the resolving unit's queue.
            holder_unit_id: resolving.id,
            channel,
            state: State::Received,
            applicant_user_id: None,
            applicant_name: applicant.name,
            applicant_id_number: applicant.id_number,
            applicant_phone: applicant.phone,
            applicant_address: applicant.address,
            documents,
            document_quantities,
            idempotency_key: None,
            at: naive,
            received_at: Some(naive),
            due_at: Some(clock.due_at.naive_utc()),
            current_step: Some(0),
            step_due_at: first_step_due,
        },
    )?;
    Ok(row)
}

/// A transition request: the action, the version the caller saw, a note, and what some
/// actions need besides.
#[derive(Default)]
pub struct Act<'a> {
    pub action: Option<Action>,
    pub expected_version: Option<i32>,
    pub note: Option<&'a str>,
    /// `assign` / `advance`: the staff member who takes the next step.
    pub assignee_id: Option<Uuid>,
    /// `pay` recorded by the desk: `online` or `desk` (a citizen's payment is online).
    pub payment_channel: Option<PaymentChannel>,
    /// `request_payment`: the amount asked, in đồng (default: the procedure's published fees).
    pub amount_vnd: Option<i64>,
    /// `return_result`: how the result went back.
    pub return_channel: Option<ReturnChannel>,
    /// `apologise`: the new appointment.
    pub new_due_at: Option<DateTime<Utc>>,
    /// `receive`: the originals and copies of each document the applicant brought to the
    /// desk (an online filing's paper, Mẫu 01's Số lượng).
    pub document_quantities: &'a [super::store::DocumentQuantity],
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentChannel {
    Online,
    Desk,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReturnChannel {
    Desk,
    Post,
    Electronic,
}

/// The deadline of step `index` if it starts at `at`.
fn step_deadline(
    cal: &Calendar,
    p: &ProcedureDetail,
    index: usize,
    at: DateTime<Utc>,
    a: Allowance,
) -> AppResult<Option<chrono::NaiveDateTime>> {
    match p.steps.get(index) {
        Some(step) => Ok(Some(
            step_due(cal, at, a, step.share_percent)
                .map_err(|e| AppError::invalid("procedure_code", e.to_string()))?
                .naive_utc(),
        )),
        None => Ok(None),
    }
}

/// The unit that performs a step at `level` (its id and name): the resolving unit, or its
/// ancestor at that level (an inter-level procedure forwards the dossier up and back). The
/// return of the result (a desk step after the decision) is the receiving desk's.
fn step_unit<L: Ledger + ?Sized>(
    conn: &mut L,
    p: &Placed,
    level: Level,
    returns_result: bool,
    on: chrono::NaiveDate,
) -> AppResult<(Uuid, String)> {
    if returns_result && p.row.receiving() != p.row.unit() {
        let desk = live_unit(conn, p.row.receiving(), on)?;
        return Ok((desk.id, desk.name));
    }
    // A resolving unit retired by a reorganisation works on through its successor, once the
    // reorganisation has handed the dossier over (a dossier still held where it was filed
    // keeps its old routing).
    let retired = p.filed_valid_to.is_some_and(|to| to < on) && p.row.holder() != p.row.unit();
    let (id, unit_level, path, name) = if retired {
        let u = live_unit(conn, p.row.unit(), on)?;
        (u.id, u.level, u.path, u.name)
    } else {
        (
            p.row.unit(),
            p.filed_level,
            p.filed_path.clone(),
            p.filed_name.clone(),
        )
    };
    if unit_level == level {
        return Ok((id, name));
    }
    if let Some(u) = conn
        .ancestors_on_path(&path)?
        .into_iter()
        .rev()
        .find(|u| u.level == level)
    {
        return Ok((u.id, u.name));
    }
    // A level a reorganisation abolished (the districts in 2025): its steps stay with the unit
    // that took the dossier over.
    if retired {
        if let Some(holder) = conn.unit(p.row.holder())? {
            return Ok((holder.id, holder.name));
        }
    }
    Err(AppError::Conflict(format!(
        "no {} unit above {name} to forward the dossier to",
        level.as_str(),
    )))
}

/// The unit `id`, or the unit that succeeded it, in operation on `on` (the last one found if
/// none is).
fn live_unit<L: Ledger + ?Sized>(conn: &mut L, id: Uuid, on: chrono::NaiveDate) -> AppResult<Unit> {
    let mut unit = conn.unit(id)?.ok_or(AppError::NotFound)?;
    for _ in 0..16 {
        match unit.successor_id {
            Some(next) if !unit.valid_on(on) => {
                unit = conn.unit(next)?.ok_or(AppError::NotFound)?;
            }
            _ => break,
        }
    }
    Ok(unit)
}

/// Staff act where the dossier is held (a leader anywhere in their subtree); the receiving
/// desk also attaches to it; a citizen acts on their own (`permit::acts_here`). Else 403.
pub(super) fn require_at_holder(
    caller: &Caller,
    p: &Placed,
    receiving_desk_too: bool,
) -> AppResult<()> {
    if permit::acts_here(
        caller,
        &p.row,
        situation_in_subtree(caller, p),
        receiving_desk_too,
    ) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The fee a payment request asks: the amount given, else the procedure's published amounts.
fn fee_asked(p: &ProcedureDetail, given: Option<i64>) -> AppResult<i64> {
    const MAX_VND: i64 = 1_000_000_000_000;
    match given {
        Some(a) if (1..=MAX_VND).contains(&a) => Ok(a),
        Some(_) => Err(AppError::invalid(
            "amount_vnd",
            "must be a whole number of đồng between 1 and 1,000,000,000,000",
        )),
        None => {
            let published: i64 = p.fees.iter().filter_map(|f| f.amount_vnd).sum();
            if published > 0 {
                Ok(published)
            } else {
                Err(AppError::invalid(
                    "amount_vnd",
                    "the procedure publishes no amount: give the amount asked",
                ))
            }
        }
    }
}

/// Checks that `assignee` is staff with the step's role at the unit that now holds the dossier.
fn check_assignee<L: Ledger + ?Sized>(
    conn: &mut L,
    assignee: Option<Uuid>,
    (unit, unit_name): (Uuid, &str),
    role: Role,
) -> AppResult<Option<Option<Uuid>>> {
    let Some(id) = assignee else {
        return Ok(Some(None));
    };
    match conn.account(id)? {
        Some(u)
            if u.unit() == Some(unit)
                && (u.role() == role || u.role() == Role::Approver)
                && !u.disabled =>
        {
            Ok(Some(Some(id)))
        }
        _ => Err(AppError::invalid(
            "assignee_id",
            format!("must be an active {} of {unit_name}", role.as_str()),
        )),
    }
}

/// The unit that would take the dossier's next step on `action` (`assign` or `advance`) at
/// `at`: the one whose staff may be named as its assignee (for an advance to another level,
/// the district's or province's). `None` when the workflow has no such step.
pub fn next_step_unit<L: Ledger + ?Sized>(
    conn: &mut L,
    caller: &Caller,
    id: Uuid,
    action: Action,
    at: DateTime<Utc>,
) -> AppResult<Option<(Uuid, String)>> {
    let placed = load_placed(conn, caller, id)?;
    let p = conn
        .procedure(crate::db::id_of(&placed.row.procedure_version_id))?
        .ok_or(AppError::NotFound)?;
    let next = permit::next_step(action, &p.steps, permit::current_step(&placed.row));
    let Some(step) = p.steps.get(next) else {
        return Ok(None);
    };
    let returns_result =
        step.role == Role::Clerk && permit::approval_step(&p.steps).is_some_and(|ap| next > ap);
    step_unit(
        conn,
        &placed,
        step.unit_level,
        returns_result,
        to_local(at).date(),
    )
    .map(Some)
}

/// Applies one transition: the shared prologue (load, permit, version, state machine), the
/// changes of the action's family, and the shared epilogue (the row, its history event and the
/// statistics' mark, all in `Ledger::apply`). Everything before `apply` only reads; `apply`
/// writes the change and its event atomically (one statement on PostgreSQL), so this runs
/// under `Db::write_atomic`.
pub fn transition<L: Ledger + ?Sized>(
    conn: &mut L,
    cals: &Calendars,
    caller: &Caller,
    id: Uuid,
    act: Act<'_>,
    at: DateTime<Utc>,
) -> AppResult<DossierRow> {
    let m = prologue(conn, cals, caller, id, &act, at)?;
    let changes = match m.action {
        Action::Receive => receive(&m, &act)?,
        Action::Reject | Action::Withdraw | Action::Stop => Changes {
            state: Some(m.to),
            ..Changes::default()
        },
        Action::Assign | Action::Advance => hand_on(conn, &m, &act)?,
        Action::RequestSupplement | Action::RequestPayment => pause(&m, &act)?,
        Action::Supplement | Action::Pay => resume(&m, caller, &act)?,
        Action::SubmitForApproval => submit_for_approval(conn, &m)?,
        Action::Approve | Action::Deny => decide(conn, &m)?,
        Action::ReturnResult => Changes {
            state: Some(m.to),
            returned_at: Some(m.naive),
            return_channel: Some(match act.return_channel.unwrap_or(ReturnChannel::Desk) {
                ReturnChannel::Desk => "desk",
                ReturnChannel::Post => "post",
                ReturnChannel::Electronic => "electronic",
            }),
            ..Changes::default()
        },
        Action::Apologise => apologise(&m, &act)?,
        // Both refused by the permit rules before this point.
        Action::Submit | Action::Transfer => {
            return Err(AppError::Conflict(
                "this is not an action a person takes on a dossier".to_owned(),
            ))
        }
    };
    epilogue(conn, &m, caller, changes, act.note)
}

/// A transition under way: what the prologue loaded and checked, which every action's
/// changes are computed from.
struct Move<'c> {
    action: Action,
    from: State,
    to: State,
    placed: Placed,
    procedure: Arc<ProcedureDetail>,
    /// The working hours of the province the dossier was filed in.
    cal: &'c Calendar,
    allowance: Allowance,
    /// The step the dossier is at.
    current: usize,
    at: DateTime<Utc>,
    naive: chrono::NaiveDateTime,
}

impl Move<'_> {
    fn row(&self) -> &DossierRow {
        &self.placed.row
    }

    fn clock(&self) -> Clock {
        let row = self.row();
        Clock {
            received_at: row.received_at.map(crate::db::utc).unwrap_or(self.at),
            due_at: row.due_at.map(crate::db::utc).unwrap_or(self.at),
            paused_since: row.paused_since.map(crate::db::utc),
        }
    }

    fn step_deadline(&self, index: usize) -> AppResult<Option<chrono::NaiveDateTime>> {
        step_deadline(self.cal, &self.procedure, index, self.at, self.allowance)
    }

    /// Moving to step `index`: who holds the dossier then, and that step's deadline.
    fn enter<L: Ledger + ?Sized>(
        &self,
        conn: &mut L,
        index: usize,
    ) -> AppResult<((Uuid, String), Changes)> {
        let steps = &self.procedure.steps;
        let step = steps
            .get(index)
            .ok_or_else(|| AppError::Conflict("the workflow has no further step".to_owned()))?;
        let returns_result =
            step.role == Role::Clerk && permit::approval_step(steps).is_some_and(|ap| index > ap);
        let unit = step_unit(
            conn,
            &self.placed,
            step.unit_level,
            returns_result,
            to_local(self.at).date(),
        )?;
        let ch = Changes {
            current_step: Some(i32::try_from(index).unwrap_or(i32::MAX)),
            holder_unit_id: Some(unit.0),
            step_started_at: Some(self.naive),
            step_due_at: self.step_deadline(index)?,
            ..Changes::default()
        };
        Ok((unit, ch))
    }
}

/// Loads the dossier in the caller's scope (404), checks the caller may take the action now
/// (403), the version the caller acted on (409), the state machine (409) and what every
/// action asks of its body.
fn prologue<'c, L: Ledger + ?Sized>(
    conn: &mut L,
    cals: &'c Calendars,
    caller: &Caller,
    id: Uuid,
    act: &Act<'_>,
    at: DateTime<Utc>,
) -> AppResult<Move<'c>> {
    let action = act
        .action
        .ok_or_else(|| AppError::BadRequest("no action".to_owned()))?;
    let placed = load_placed(conn, caller, id)?;
    let row = &placed.row;
    let cal = cals.for_path(&placed.filed_path);
    let procedure = conn
        .procedure(crate::db::id_of(&row.procedure_version_id))?
        .ok_or(AppError::NotFound)?;
    permit::check(caller, &situation(caller, &placed, &procedure, at), action)?;
    if let Some(v) = act.expected_version.filter(|v| *v != row.version) {
        return Err(AppError::Conflict(format!(
            "dossier {} is at version {}, not {v}; reload it",
            row.code, row.version
        )));
    }
    let from = row.state();
    let to = from
        .after(action)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    if action.needs_note() && act.note.is_none_or(|n| n.trim().is_empty()) {
        return Err(AppError::invalid(
            "note",
            "a reason is required for this action",
        ));
    }
    if !act.document_quantities.is_empty() && action != Action::Receive {
        return Err(AppError::invalid(
            "document_quantities",
            "paper counts are recorded when the desk receives the dossier",
        ));
    }
    let allowance = allowance(&procedure, Channel::parse(&row.channel))?;
    let current = permit::current_step(row);
    Ok(Move {
        action,
        from,
        to,
        placed,
        procedure,
        cal,
        allowance,
        current,
        at,
        naive: at.naive_utc(),
    })
}

/// Writes the changes with their history event (and the statistics' mark) in one statement.
fn epilogue<L: Ledger + ?Sized>(
    conn: &mut L,
    m: &Move<'_>,
    caller: &Caller,
    changes: Changes,
    note: Option<&str>,
) -> AppResult<DossierRow> {
    let row = m.row();
    conn.apply(
        row,
        changes,
        store::Transition {
            action: m.action,
            from: m.from,
            to: m.to,
            actor: Some(caller.user_id),
            role: caller.role,
            unit: caller.unit_id.or(Some(row.holder())),
            note: note.map(str::trim),
        },
        m.naive,
    )
}

/// `receive`: the mandatory documents and the paper counts checked, the clock started, the
/// dossier into the resolving unit's queue at the first step.
fn receive(m: &Move<'_>, act: &Act<'_>) -> AppResult<Changes> {
    let row = m.row();
    check_mandatory(&m.procedure, &row.document_positions())?;
    let mut v = Validator::new();
    check_quantities(&mut v, &row.document_positions(), act.document_quantities);
    v.finish()?;
    let document_quantities = if act.document_quantities.is_empty() {
        None
    } else {
        Some(serde_json::to_string(act.document_quantities).map_err(AppError::internal)?)
    };
    let started = Clock::start(m.cal, m.at, m.allowance)
        .map_err(|e| AppError::invalid("procedure_code", e.to_string()))?;
    Ok(Changes {
        state: Some(m.to),
        holder_unit_id: (row.holder() != row.unit()).then(|| row.unit()),
        received_at: Some(m.naive),
        due_at: Some(started.due_at.naive_utc()),
        current_step: Some(0),
        step_started_at: Some(m.naive),
        step_due_at: m.step_deadline(0)?,
        document_quantities,
        ..Changes::default()
    })
}

/// `assign`, `advance`: into the next step, at its unit, to the assignee named (checked).
fn hand_on<L: Ledger + ?Sized>(conn: &mut L, m: &Move<'_>, act: &Act<'_>) -> AppResult<Changes> {
    let steps = &m.procedure.steps;
    let next = permit::next_step(m.action, steps, m.current);
    let (unit, mut ch) = m.enter(conn, next)?;
    let role = steps.get(next).map_or(Role::Officer, |s| s.role);
    ch.assignee_id = check_assignee(conn, act.assignee_id, (unit.0, &unit.1), role)?;
    ch.state = Some(m.to);
    Ok(ch)
}

/// `request_supplement`, `request_payment`: the clock stops; a payment request names its fee.
fn pause(m: &Move<'_>, act: &Act<'_>) -> AppResult<Changes> {
    let paused = m
        .clock()
        .pause(m.at)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let supplement = m.action == Action::RequestSupplement;
    Ok(Changes {
        state: Some(m.to),
        paused_since: Some(paused.paused_since.map(|t| t.naive_utc())),
        supplement_count: supplement.then_some(m.row().supplement_count + 1),
        fee_vnd: if supplement {
            None
        } else {
            Some(fee_asked(&m.procedure, act.amount_vnd)?)
        },
        ..Changes::default()
    })
}

/// `supplement`, `pay`: the clock runs again, and the due dates move by the pause.
fn resume(m: &Move<'_>, caller: &Caller, act: &Act<'_>) -> AppResult<Changes> {
    let row = m.row();
    let pay = m.action == Action::Pay;
    let wait = if pay { Wait::Payment } else { Wait::Supplement };
    let resumed = m
        .clock()
        .resume(m.cal, m.at, wait, m.allowance)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    // The step's deadline moves as the dossier's does: afresh after a supplement under
    // `restart`, else by the working time spent waiting.
    let step_due_at = match (wait, m.allowance.supplement_policy) {
        (Wait::Supplement, SupplementPolicy::Restart) => m.step_deadline(m.current)?,
        _ => match (row.step_due_at, row.paused_since) {
            (Some(due), Some(since)) => Some(
                m.cal
                    .shift_by_pause(
                        crate::db::utc(due),
                        m.cal.working_seconds_between(crate::db::utc(since), m.at),
                    )
                    .map_err(|e| AppError::Conflict(e.to_string()))?
                    .naive_utc(),
            ),
            (due, _) => due,
        },
    };
    let payment_channel = pay.then_some(match (caller.role, act.payment_channel) {
        (Role::Citizen, _) | (_, Some(PaymentChannel::Online)) => "online",
        _ => "desk",
    });
    Ok(Changes {
        state: Some(m.to),
        due_at: Some(resumed.due_at.naive_utc()),
        step_due_at,
        paused_since: Some(None),
        payment_channel,
        paid_at: pay.then_some(m.naive),
        ..Changes::default()
    })
}

/// `submit_for_approval`: to the next approval step, unassigned.
fn submit_for_approval<L: Ledger + ?Sized>(conn: &mut L, m: &Move<'_>) -> AppResult<Changes> {
    let target = m
        .procedure
        .steps
        .iter()
        .enumerate()
        .skip(m.current + 1)
        .find(|(_, s)| s.role == Role::Approver)
        .map(|(i, _)| i);
    let mut ch = match target {
        Some(i) => m.enter(conn, i)?.1,
        None => Changes::default(),
    };
    ch.state = Some(m.to);
    ch.assignee_id = Some(None);
    Ok(ch)
}

/// `approve`, `deny`: resolved, and on to the step after approval (the return desk).
fn decide<L: Ledger + ?Sized>(conn: &mut L, m: &Move<'_>) -> AppResult<Changes> {
    let steps = &m.procedure.steps;
    let after = permit::approval_step(steps).map_or(m.current, |ap| ap.max(m.current)) + 1;
    let mut ch = if after < steps.len() {
        m.enter(conn, after)?.1
    } else {
        Changes::default()
    };
    ch.state = Some(m.to);
    ch.resolved_at = Some(m.naive);
    ch.outcome = Some(if m.action == Action::Approve {
        "approved"
    } else {
        "denied"
    });
    ch.assignee_id = Some(None);
    Ok(ch)
}

/// `apologise`: a new appointment after the current due date and within a year of it; the
/// due date stays the reference for lateness.
fn apologise(m: &Move<'_>, act: &Act<'_>) -> AppResult<Changes> {
    let due = m.clock().due_at;
    let new_due = act
        .new_due_at
        .ok_or_else(|| AppError::invalid("new_due_at", "the new appointment is required"))?;
    if new_due <= due {
        return Err(AppError::invalid(
            "new_due_at",
            "must be after the current due date",
        ));
    }
    // A new appointment within a year of the one missed (not the year 10000).
    if new_due > due + chrono::Duration::days(366) {
        return Err(AppError::invalid(
            "new_due_at",
            "must be within one year after the current due date",
        ));
    }
    Ok(Changes {
        new_appointment_at: Some(new_due.naive_utc()),
        ..Changes::default()
    })
}
