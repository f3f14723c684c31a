//! What people do with dossiers, each in one transaction with its history event: filing
//! online, intake at the desk or by post, and the transitions. Checks the actor's role
//! (403), scope (404), the state machine (409 naming the state) and the dossier's version
//! (409 when another change won). Handlers call these inside `Db::write`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::clock::{Allowance, Clock};
use super::model::{Action, State};
use super::store::{self, Changes, Channel, DossierRow, NewDossier, NewEvent};
use crate::accounts::model::Role;
use crate::auth::{Caller, Scope};
use crate::calendar::model::{to_local, Calendar};
use crate::catalogue::model::OnlineLevel;
use crate::catalogue::store::{self as catalogue, ProcedureDetail};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, Validator};
use crate::units::model::Unit;
use crate::units::store as units;

/// Whether `caller` may see the dossier: its applicant; staff whose scope holds the unit it
/// was filed at or the unit that holds it now.
pub fn visible(conn: &mut DbConn, caller: &Caller, row: &DossierRow) -> AppResult<bool> {
    let within = |conn: &mut DbConn, unit: Uuid, root: Uuid| -> AppResult<bool> {
        Ok(units::get(conn, unit)?.is_some_and(|u| u.is_within(root)))
    };
    Ok(match caller.scope() {
        Scope::All => true,
        Scope::Citizen(me) => row.applicant() == Some(me),
        Scope::Unit(u) => row.unit() == u || row.holder() == u,
        Scope::Subtree(root) => {
            within(conn, row.unit(), root)? || within(conn, row.holder(), root)?
        }
    })
}

/// The dossier if the caller may see it, else 404.
pub fn load_visible(conn: &mut DbConn, caller: &Caller, id: Uuid) -> AppResult<DossierRow> {
    match store::get(conn, id)? {
        Some(row) if visible(conn, caller, &row)? => Ok(row),
        _ => Err(AppError::NotFound),
    }
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

fn procedure_for_filing(conn: &mut DbConn, code: &str) -> AppResult<ProcedureDetail> {
    match catalogue::by_code(conn, code, None)? {
        Some(p) if p.summary.active => Ok(p),
        _ => Err(AppError::invalid(
            "procedure_code",
            "no such active procedure",
        )),
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

/// The unit a dossier is filed at: it must exist today.
fn receiving_unit(conn: &mut DbConn, id: Uuid, field: &str, at: DateTime<Utc>) -> AppResult<Unit> {
    match units::get(conn, id)? {
        Some(u) if u.valid_on(to_local(at).date()) => Ok(u),
        _ => Err(AppError::invalid(field, "no such unit in operation today")),
    }
}

/// Allocates the dossier's code at the receiving unit for the local day of `at`.
fn allocate_code(conn: &mut DbConn, unit: &Unit, at: DateTime<Utc>) -> AppResult<String> {
    let prefix = unit
        .agency_code
        .clone()
        .unwrap_or_else(|| unit.code.clone());
    let day = to_local(at).date();
    let n = store::next_sequence(conn, &prefix, day)?;
    if n > 9999 {
        return Err(AppError::Unavailable(format!(
            "unit {prefix} has used every code of {day}"
        )));
    }
    Ok(store::format_code(&prefix, day, n))
}

pub struct OnlineFiling<'a> {
    pub procedure_code: &'a str,
    pub unit_id: Uuid,
    pub documents: &'a [u32],
    pub idempotency_key: Option<&'a str>,
}

/// A citizen files online: the dossier waits, `submitted`, for the desk. With an idempotency
/// key, a repeat returns the first dossier (`false`: not created now).
pub fn file_online(
    conn: &mut DbConn,
    caller: &Caller,
    f: OnlineFiling<'_>,
    at: DateTime<Utc>,
) -> AppResult<(DossierRow, bool)> {
    caller.require(Action::Submit.roles())?;
    if let Some(key) = f.idempotency_key {
        if let Some(existing) = store::by_idempotency_key(conn, caller.user_id, key)? {
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
    let me = crate::accounts::store::get(conn, caller.user_id)?.ok_or(AppError::NotFound)?;
    let code = allocate_code(conn, &unit, at)?;
    let naive = at.naive_utc();
    let row = store::insert(
        conn,
        NewDossier {
            code: &code,
            procedure_version_id: p.summary.version_id,
            procedure_code: &p.summary.code,
            unit_id: unit.id,
            channel: Channel::Online,
            state: State::Submitted,
            applicant_user_id: Some(caller.user_id),
            applicant_name: &me.full_name,
            applicant_id_number: me.citizen_id.as_deref().or(me.tax_code.as_deref()),
            applicant_phone: me.phone.as_deref(),
            applicant_address: None,
            documents: f.documents,
            idempotency_key: f.idempotency_key,
            at: naive,
            received_at: None,
            due_at: None,
        },
    )?;
    store::record(
        conn,
        NewEvent {
            dossier: &row,
            action: Action::Submit,
            from: None,
            to: State::Submitted,
            actor: Some(caller.user_id),
            role: caller.role,
            unit: Some(unit.id),
            at: naive,
            note: None,
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
    pub channel: Channel,
    pub applicant: DeskApplicant<'a>,
    pub documents: &'a [u32],
}

/// A clerk takes a dossier at the desk or from the post: received at once, clock running.
pub fn intake(
    conn: &mut DbConn,
    cal: &Calendar,
    caller: &Caller,
    input: DeskIntake<'_>,
    at: DateTime<Utc>,
) -> AppResult<DossierRow> {
    let DeskIntake {
        procedure_code,
        channel,
        applicant,
        documents,
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
    v.finish()?;
    let a = allowance(&p, channel)?;
    let unit = receiving_unit(conn, unit_id, "unit_id", at)?;
    let clock =
        Clock::start(cal, at, a).map_err(|e| AppError::invalid("procedure_code", e.to_string()))?;
    let code = allocate_code(conn, &unit, at)?;
    let naive = at.naive_utc();
    let row = store::insert(
        conn,
        NewDossier {
            code: &code,
            procedure_version_id: p.summary.version_id,
            procedure_code: &p.summary.code,
            unit_id: unit.id,
            channel,
            state: State::Received,
            applicant_user_id: None,
            applicant_name: applicant.name,
            applicant_id_number: applicant.id_number,
            applicant_phone: applicant.phone,
            applicant_address: applicant.address,
            documents,
            idempotency_key: None,
            at: naive,
            received_at: Some(naive),
            due_at: Some(clock.due_at.naive_utc()),
        },
    )?;
    store::record(
        conn,
        NewEvent {
            dossier: &row,
            action: Action::Receive,
            from: None,
            to: State::Received,
            actor: Some(caller.user_id),
            role: caller.role,
            unit: Some(unit.id),
            at: naive,
            note: None,
        },
    )?;
    Ok(row)
}

/// A transition request: the action, the version the caller saw, and a note.
pub struct Act<'a> {
    pub action: Action,
    pub expected_version: Option<i32>,
    pub note: Option<&'a str>,
}

/// Applies one transition (the ones this version supports: receive, reject, withdraw).
pub fn transition(
    conn: &mut DbConn,
    cal: &Calendar,
    caller: &Caller,
    id: Uuid,
    act: Act<'_>,
    at: DateTime<Utc>,
) -> AppResult<DossierRow> {
    let row = load_visible(conn, caller, id)?;
    caller.require(act.action.roles())?;
    if caller.role == Role::Citizen && row.applicant() != Some(caller.user_id) {
        return Err(AppError::NotFound);
    }
    // Desk actions belong to the desk that holds the dossier.
    if caller.role == Role::Clerk && caller.unit_id != Some(row.holder()) {
        return Err(AppError::Forbidden);
    }
    if let Some(v) = act.expected_version.filter(|v| *v != row.version) {
        return Err(AppError::Conflict(format!(
            "dossier {} is at version {}, not {v}; reload it",
            row.code, row.version
        )));
    }
    let from = row.state();
    let to = from
        .after(act.action)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    if act.action.needs_note() && act.note.is_none_or(|n| n.trim().is_empty()) {
        return Err(AppError::invalid(
            "note",
            "a reason is required for this action",
        ));
    }
    let naive = at.naive_utc();
    let changes = match act.action {
        Action::Receive => {
            let p = catalogue::version_by_id(conn, crate::db::id_of(&row.procedure_version_id))?
                .ok_or(AppError::NotFound)?;
            let a = allowance(&p, Channel::parse(&row.channel))?;
            let clock = Clock::start(cal, at, a)
                .map_err(|e| AppError::invalid("procedure_code", e.to_string()))?;
            Changes {
                state: Some(to),
                received_at: Some(naive),
                due_at: Some(clock.due_at.naive_utc()),
                ..Changes::default()
            }
        }
        Action::Reject | Action::Withdraw => Changes {
            state: Some(to),
            ..Changes::default()
        },
        other => {
            return Err(AppError::Conflict(format!(
                "`{}` is not available in this version of motcua yet",
                other.as_str()
            )));
        }
    };
    let updated = store::update(conn, &row, changes, naive)?;
    store::record(
        conn,
        NewEvent {
            dossier: &updated,
            action: act.action,
            from: Some(from),
            to,
            actor: Some(caller.user_id),
            role: caller.role,
            unit: caller.unit_id.or(Some(row.holder())),
            at: naive,
            note: act.note.map(str::trim),
        },
    )?;
    Ok(updated)
}
