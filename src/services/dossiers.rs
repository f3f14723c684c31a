//! `/api/v1/dossiers` and `/api/v1/track`: filing online (idempotent), intake at the desk,
//! reading a dossier with its history, the citizen's own list, one route per transition, and
//! public tracking by code without personal data.

use actix_web::HttpRequest;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::{normalize_phone, CitizenId, Role};
use crate::audit::Access;
use crate::auth::Caller;
use crate::calendar::model::{session_name, to_local};
use crate::dossiers::forms::{self, Form, FormKind};
use crate::dossiers::model::{Action, State};
use crate::dossiers::service::{
    self, Act, DeskApplicant, DeskIntake, OnlineFiling, PaymentChannel, ReturnChannel,
};
use crate::dossiers::store::{self, Channel, Dossier, Event};
use crate::error::{AppError, AppResult, Validator};
use crate::http::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DossierWithHistory {
    pub dossier: Dossier,
    /// Every hand-over, oldest first.
    pub history: Vec<Event>,
    /// The process-control slip (Mẫu 06): each step, the unit that held it, its deadline and
    /// whether it was done early, on time or late (or is still within time, or overdue).
    pub steps: Vec<crate::dossiers::slip::StepSpan>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileDossier {
    /// The procedure's national code; the current version is pinned.
    pub procedure_code: String,
    /// The unit whose desk receives it.
    pub unit_id: Uuid,
    /// The unit that resolves it, if not that desk's own: since 1 July 2025 any desk of the
    /// province receives for any commune or the province (Nghị định 118/2025). By default the
    /// desk's unit, or its province for a provincial procedure.
    pub resolving_unit_id: Option<Uuid>,
    /// Positions in the procedure's required documents that are provided.
    #[serde(default)]
    pub documents: Vec<u32>,
}

pub fn idempotency_key(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=100).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    key.map(|k| Some(k.to_owned())).ok_or_else(|| {
        AppError::BadRequest("Idempotency-Key must be 1–100 visible ASCII characters".to_owned())
    })
}

/// Files a dossier online (the route and the web client): the dossier, and whether this call
/// created it (`false`: the idempotency key had filed it already).
pub async fn file(
    state: &AppState,
    caller: Caller,
    input: FileDossier,
    key: Option<String>,
) -> AppResult<(Dossier, bool)> {
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let (row, created) = state
        .db
        .write(move |c| {
            let filing = OnlineFiling {
                procedure_code: &input.procedure_code,
                resolving_unit_id: input.resolving_unit_id,
                unit_id: input.unit_id,
                documents: &input.documents,
                idempotency_key: key.as_deref(),
            };
            let (row, created) = service::file_online(c, &caller, filing, now)?;
            Ok((service::view_row(c, &cals, &caller, &row, now)?, created))
        })
        .await?;
    if created {
        crate::metrics::transition("file");
    }
    Ok((row, created))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// 12-digit personal ID number, if shown.
    #[schema(pattern = r"^[0-9]{12}$")]
    pub citizen_id: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeDossier {
    pub procedure_code: String,
    /// The unit that resolves it, if not the clerk's own: since 1 July 2025 a desk receives
    /// for any commune or the province (Nghị định 118/2025). By default the clerk's unit, or
    /// its province for a provincial procedure.
    pub resolving_unit_id: Option<Uuid>,
    /// `desk` or `post`.
    pub channel: Channel,
    pub applicant: ApplicantInput,
    #[serde(default)]
    pub documents: Vec<u32>,
    /// How many originals (bản chính) and copies (bản sao) of each document were handed in,
    /// printed on the receipt (Mẫu 01); one entry per document of `documents`, optional.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub document_quantities: Vec<store::DocumentQuantity>,
}

/// Takes a dossier in at the desk (the route and the web client).
pub async fn take_in(state: &AppState, caller: Caller, input: IntakeDossier) -> AppResult<Dossier> {
    let mut v = Validator::new();
    v.text("applicant.name", &input.applicant.name, 200);
    service::check_quantities(&mut v, &input.documents, &input.document_quantities);
    v.opt_text("applicant.address", input.applicant.address.as_deref(), 500);
    if let Some(id) = &input.applicant.citizen_id {
        if let Err(why) = CitizenId::parse(id) {
            v.add("applicant.citizen_id", why);
        }
    }
    let phone = input.applicant.phone.as_deref().map(|p| {
        let n = normalize_phone(p);
        v.check(
            n.is_some(),
            "applicant.phone",
            "must be a Vietnamese phone number",
        );
        n.unwrap_or_default()
    });
    v.finish()?;
    let cal = state.calendar.get(&state.db).await?;
    let now = state.now();
    let row = state
        .db
        .write(move |c| {
            let applicant = DeskApplicant {
                name: input.applicant.name.trim(),
                id_number: input.applicant.citizen_id.as_deref().map(str::trim),
                phone: phone.as_deref(),
                address: input.applicant.address.as_deref().map(str::trim),
            };
            let desk = DeskIntake {
                procedure_code: &input.procedure_code,
                resolving_unit_id: input.resolving_unit_id,
                channel: input.channel,
                applicant,
                documents: &input.documents,
                document_quantities: &input.document_quantities,
            };
            let row = service::intake(c, &cal, &caller, desk, now)?;
            service::view_row(c, &cal, &caller, &row, now)
        })
        .await?;
    crate::metrics::transition("intake");
    Ok(row)
}

/// A queue's `state`: one state, or `all`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub enum StateFilter {
    One(State),
    All,
}

impl TryFrom<String> for StateFilter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "all" {
            return Ok(StateFilter::All);
        }
        State::parse(&s).map(StateFilter::One).ok_or_else(|| {
            let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
            format!("state must be one of {} or `all`", names.join(", "))
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Only dossiers in this state, or `all`; by default every dossier not yet final
    /// (returned, rejected, withdrawn or stopped ones are left out).
    #[param(value_type = Option<String>, example = "in_progress",
        pattern = "^(submitted|received|in_progress|supplement_requested|awaiting_payment|awaiting_approval|resolved|returned|rejected|withdrawn|stopped|all)$")]
    pub state: Option<StateFilter>,
    /// Only dossiers past their due date now.
    pub overdue: Option<bool>,
    /// `me`: only dossiers assigned to the caller.
    #[param(pattern = "^me$")]
    pub assignee: Option<String>,
    /// Only dossiers held by this unit (within the caller's scope).
    pub unit_id: Option<Uuid>,
    /// Only dossiers received at this desk.
    pub receiving_unit_id: Option<Uuid>,
    /// Only dossiers this unit resolves.
    pub resolving_unit_id: Option<Uuid>,
    /// Words in the code or the applicant's name, ignoring diacritics; or the applicant's
    /// ID number or phone, matched exactly.
    pub q: Option<String>,
    /// Only dossiers received on this local day (YYYY-MM-DD).
    pub received_on: Option<NaiveDate>,
    /// Only dossiers whose clock runs and that fall due within this many working days from
    /// now (not those already overdue).
    #[param(minimum = 1, maximum = 30)]
    pub due_within_days: Option<u32>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// The work queue (the route and the web client).
pub async fn queue(state: &AppState, caller: Caller, q: QueueQuery) -> AppResult<Page<Dossier>> {
    let (items, total, paging) = listing(state, caller, q, true).await?;
    Ok(Page::new(items, total, paging))
}

/// A page of the work queue without its total (the web client counts its tabs in one read
/// with `queue_counts`, the shown tab among them).
pub async fn queue_rows(
    state: &AppState,
    caller: Caller,
    q: QueueQuery,
) -> AppResult<Vec<Dossier>> {
    Ok(listing(state, caller, q, false).await?.0)
}

/// A page of the queue, with its total when `count` (else -1).
pub async fn listing(
    state: &AppState,
    caller: Caller,
    q: QueueQuery,
    count: bool,
) -> AppResult<(Vec<Dossier>, i64, crate::http::Paging)> {
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let (page, per_page) = (q.page, q.per_page);
    let filter = queue_filter(&caller, &cals, now, q)?;
    let paging = PageParams { page, per_page }.paging()?;
    let scope = caller.scope();
    let (items, total) = state
        .db
        .read(move |c| {
            let Some(reach) = queue_reach(c, scope, &filter)? else {
                return Ok((Vec::new(), 0));
            };
            let (limit, offset) = (paging.limit(), paging.offset());
            let (rows, total) = if count {
                store::work_queue(c, &reach, &filter, limit, offset)?
            } else {
                (
                    store::work_queue_page(c, &reach, &filter, limit, offset)?,
                    -1,
                )
            };
            Ok((service::view_listed(c, &cals, &caller, &rows, now)?, total))
        })
        .await?;
    Ok((items, total, paging))
}

/// How many dossiers each of `queries` finds (its paging ignored), in one read: the web
/// client's queue tabs.
pub async fn queue_counts(
    state: &AppState,
    caller: Caller,
    queries: Vec<QueueQuery>,
) -> AppResult<Vec<i64>> {
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let filters = queries
        .into_iter()
        .map(|q| queue_filter(&caller, &cals, now, q))
        .collect::<AppResult<Vec<_>>>()?;
    let scope = caller.scope();
    state
        .db
        .read(move |c| {
            // Each unit a filter names is checked against the scope; the reach is the scope's.
            for filter in &filters {
                if let Some(unit) = filter.holder {
                    crate::units::store::get_in_scope(c, unit, scope)?;
                }
            }
            let none = store::QueueFilter::default();
            match queue_reach(c, scope, &none)? {
                Some(reach) => store::queue_counts(c, &reach, &filters),
                None => Ok(vec![0; filters.len()]),
            }
        })
        .await
}

/// A queue request's filters, checked.
pub fn queue_filter(
    caller: &Caller,
    cals: &crate::calendar::model::Calendars,
    now: DateTime<Utc>,
    q: QueueQuery,
) -> AppResult<store::QueueFilter> {
    if caller.role == Role::Citizen {
        return Err(AppError::Forbidden);
    }
    crate::http::check_query_text("q", q.q.as_deref())?;
    let assignee = match q.assignee.as_deref() {
        None => None,
        Some("me") => Some(caller.user_id),
        Some(_) => return Err(AppError::invalid("assignee", "the only value is `me`")),
    };
    if q.due_within_days.is_some_and(|d| !(1..=30).contains(&d)) {
        return Err(AppError::invalid("due_within_days", "must be 1–30"));
    }
    let received_between = q.received_on.map(|day| {
        let from = crate::calendar::model::to_utc(day.and_time(chrono::NaiveTime::MIN));
        (
            from.naive_utc(),
            (from + chrono::Duration::days(1)).naive_utc(),
        )
    });
    let due_between = match q.due_within_days {
        Some(days) => {
            let cal = cals.base();
            let span = cal.hours().day_seconds() * i64::from(days);
            let until = cal
                .add_working_seconds(now, span)
                .map_err(|e| AppError::invalid("due_within_days", e.to_string()))?;
            Some((now.naive_utc(), until.naive_utc()))
        }
        None => None,
    };
    Ok(store::QueueFilter {
        received_between,
        due_between,
        state: match q.state {
            Some(StateFilter::One(s)) => Some(s),
            _ => None,
        },
        all_states: matches!(q.state, Some(StateFilter::All)),
        overdue_at: q.overdue.filter(|o| *o).map(|_| Utc::now().naive_utc()),
        assignee,
        holder: q.unit_id,
        receiving: q.receiving_unit_id,
        received_at_desks: None,
        resolving: q.resolving_unit_id,
        q: q.q,
    })
}

/// The holders a staff member's queue covers (`None`: nothing), after checking that a unit
/// the filter names is in scope (outside it, the unit is answered as not there).
pub fn queue_reach(
    c: &mut crate::db::DbConn,
    scope: crate::auth::Scope,
    filter: &store::QueueFilter,
) -> AppResult<Option<store::QueueReach>> {
    if let Some(unit) = filter.holder {
        crate::units::store::get_in_scope(c, unit, scope)?;
    }
    Ok(match scope {
        crate::auth::Scope::All => Some(store::QueueReach::All),
        crate::auth::Scope::Unit(u) => Some(store::QueueReach::Unit(u)),
        crate::auth::Scope::Subtree(root) => crate::units::store::get(c, root)?.map(|u| {
            let (lo, hi) = crate::units::model::subtree_bounds(&u.path);
            store::QueueReach::Subtree(lo, hi)
        }),
        crate::auth::Scope::Citizen(_) => None,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MineQuery {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// The citizen's own dossiers (the route and the web client).
pub async fn mine(state: &AppState, caller: Caller, query: MineQuery) -> AppResult<Page<Dossier>> {
    caller.require(&[Role::Citizen])?;
    let paging = PageParams {
        page: query.page,
        per_page: query.per_page,
    }
    .paging()?;
    let me = caller.user_id;
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let (items, total) = state
        .db
        .read(move |c| {
            let (rows, total) = store::of_applicant(c, me, paging.limit(), paging.offset())?;
            Ok((service::view_listed(c, &cals, &caller, &rows, now)?, total))
        })
        .await?;
    Ok(Page::new(items, total, paging))
}

/// A dossier with its history, audited (the route and the web client).
pub async fn with_history(
    state: &AppState,
    caller: Caller,
    id: Uuid,
) -> AppResult<DossierWithHistory> {
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let reader = caller.clone();
    let out = state
        .db
        .read(move |c| {
            let placed = service::load_placed(c, &caller, id)?;
            let history = store::history(c, id)?;
            let row = &placed.row;
            let judged_at = row.paused_since.map_or_else(Utc::now, crate::db::utc);
            Ok(DossierWithHistory {
                dossier: service::view(c, &cals, &caller, &placed, now)?,
                steps: crate::dossiers::slip::spans(&history, judged_at),
                history,
            })
        })
        .await?;
    audited(state, reader, Access::ReadDossier, id, None).await?;
    Ok(out)
}

/// Records that `caller` saw the dossier's personal data (see `audit`), before it is sent.
pub async fn audited(
    state: &AppState,
    caller: Caller,
    access: Access,
    id: Uuid,
    document: Option<Uuid>,
) -> AppResult<()> {
    if caller.role == Role::Citizen {
        return Ok(());
    }
    state
        .db
        .write(move |c| crate::audit::record(c, &caller, access, id, document))
        .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The `version` the caller acted on; a different current version is a 409.
    #[schema(minimum = 1, maximum = 2147483647)]
    pub expected_version: Option<i32>,
    /// Reasons (required to reject, withdraw, deny, stop, request a supplement, apologise).
    pub note: Option<String>,
    /// `assign`, `advance`: who takes the next step (staff of the unit that will hold it).
    pub assignee_id: Option<Uuid>,
    /// `pay` recorded at the desk: `online` or `desk`.
    pub payment_channel: Option<PaymentChannel>,
    /// `request_payment`: the amount asked, in đồng (default: the sum of the procedure's
    /// published fee amounts; required when it publishes none).
    #[schema(minimum = 1, maximum = 1000000000000_i64)]
    pub amount_vnd: Option<i64>,
    /// `return_result`: `desk`, `post` or `electronic` (default `desk`).
    pub return_channel: Option<ReturnChannel>,
    /// `apologise`: the new appointment (Mẫu 04).
    pub new_due_at: Option<DateTime<Utc>>,
    /// `receive`: the originals and copies of each document the applicant handed in on paper
    /// (an online filing brought to the desk; each names one of the dossier's documents).
    #[serde(default)]
    pub document_quantities: Vec<store::DocumentQuantity>,
}

/// Takes `action` on the dossier (every transition route, and the web client).
pub async fn act(
    state: &AppState,
    caller: Caller,
    id: Uuid,
    action: Action,
    body: ActionBody,
) -> AppResult<Dossier> {
    if body
        .note
        .as_deref()
        .is_some_and(|n| n.chars().count() > 2000)
    {
        return Err(AppError::invalid("note", "must be at most 2000 characters"));
    }
    let cal = state.calendar.get(&state.db).await?;
    let now = state.now();
    let row = state
        .db
        .write_atomic(move |c| {
            let request = Act {
                action: Some(action),
                expected_version: body.expected_version,
                note: body.note.as_deref(),
                assignee_id: body.assignee_id,
                payment_channel: body.payment_channel,
                amount_vnd: body.amount_vnd,
                return_channel: body.return_channel,
                new_due_at: body.new_due_at,
                document_quantities: &body.document_quantities,
            };
            let row = service::transition(c, &cal, &caller, id, request, now)?;
            service::view_row(c, &cal, &caller, &row, now)
        })
        .await?;
    crate::metrics::transition(action.as_str());
    Ok(row)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FormQuery {
    /// `json` (default) or `html` (a printable page).
    pub format: Option<FormFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormFormat {
    Json,
    Html,
}

/// A printed form of the dossier, audited (the route and the web client).
pub async fn printed(
    state: &AppState,
    caller: Caller,
    id: Uuid,
    kind: FormKind,
) -> AppResult<Form> {
    let cals = state.calendar.get(&state.db).await?;
    let reader = caller.clone();
    let built = state
        .db
        .read(move |c| {
            let row = service::load_visible(c, &caller, id)?;
            let p = crate::catalogue::store::version_by_id(
                c,
                crate::db::id_of(&row.procedure_version_id),
            )?
            .ok_or(AppError::NotFound)?;
            // The form is issued by the desk that received the dossier.
            let unit = crate::units::store::get(c, row.receiving())?.ok_or(AppError::NotFound)?;
            let resolving = if row.receiving() == row.unit() {
                unit.name.clone()
            } else {
                crate::units::store::get(c, row.unit())?
                    .ok_or(AppError::NotFound)?
                    .name
            };
            let history = store::history(c, id)?;
            let mut steps = Vec::new();
            if kind == FormKind::ControlSlip {
                let judged_at = row.paused_since.map_or_else(Utc::now, crate::db::utc);
                for span in crate::dossiers::slip::spans(&history, judged_at) {
                    let name = match span.unit_id {
                        Some(u) => crate::units::store::get(c, u)?.map(|u| u.name),
                        None => None,
                    };
                    steps.push((span, name.unwrap_or_default()));
                }
            }
            let shown = service::shown(&row, Vec::new(), &cals);
            let mut built =
                forms::build(kind, &shown, &p, (&unit.name, &resolving), &history, &steps)
                    .ok_or(AppError::NotFound)?;
            // Who issued it: the officer who received it (Mẫu 01, 06) or took the action.
            let issuing = match kind {
                FormKind::Receipt | FormKind::ControlSlip => Action::Receive,
                FormKind::SupplementRequest => Action::RequestSupplement,
                FormKind::Refusal => Action::Reject,
                FormKind::Apology => Action::Apologise,
            };
            let actor = history
                .iter()
                .rev()
                .find(|e| e.action == issuing)
                .and_then(|e| e.actor_id);
            if let Some(a) = actor {
                built.officer_name = crate::accounts::store::get(c, a)?.map(|u| u.full_name);
            }
            // A receipt taken outside the working sessions says so.
            if let (FormKind::Receipt, Some(received)) = (kind, shown.received_at) {
                if !cals.for_path(&unit.path).is_working_instant(received) {
                    for l in built
                        .lines
                        .iter_mut()
                        .filter(|l| l.label == "Tiếp nhận lúc")
                    {
                        l.value = forms::vietnamese_instant_outside_hours(received);
                    }
                }
            }
            Ok(built)
        })
        .await?;
    audited(state, reader, Access::PrintForm, id, None).await?;
    Ok(built)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateDossier {
    pub rating: store::Rating,
    pub comment: Option<String>,
}

/// The applicant's rating, once the result is back (the route and the web client).
pub async fn rate_dossier(
    state: &AppState,
    caller: Caller,
    id: Uuid,
    rating: store::Rating,
    comment: Option<String>,
) -> AppResult<()> {
    caller.require(&[Role::Citizen])?;
    let mut v = Validator::new();
    v.opt_text("comment", comment.as_deref(), 2000);
    v.finish()?;
    state
        .db
        .write(move |c| {
            let row = service::load_visible(c, &caller, id)?;
            if row.state() != State::Returned {
                return Err(AppError::Conflict(format!(
                    "a dossier in state `{}` cannot be rated yet",
                    row.state().as_str()
                )));
            }
            crate::dossiers::ledger::Ledger::rate(
                c,
                id,
                rating,
                comment.as_deref().map(str::trim),
                store::now_instant().naive_utc(),
            )
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackStep {
    pub action: Action,
    pub action_label: &'static str,
    pub to_state: State,
    pub to_state_label: &'static str,
    pub at: DateTime<Utc>,
}

/// What anyone holding the receipt code may see: no names, numbers or notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tracking {
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub state: State,
    pub state_label: &'static str,
    pub portal_status: u8,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// Local date and session (sáng/chiều) of the due instant.
    pub due_date: Option<NaiveDate>,
    pub due_session: Option<&'static str>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub history: Vec<TrackStep>,
}

/// What the receipt code shows anyone, rate-limited per address (the route and the web
/// client's public tracking page).
pub async fn tracking(state: &AppState, req: &HttpRequest, code: String) -> AppResult<Tracking> {
    if let Some(ip) = crate::state::client_address(state, req) {
        if let Some(secs) = state.track_limit.locked_for(ip) {
            crate::metrics::throttled(crate::metrics::Throttle::Tracking);
            return Err(AppError::TooManyRequests {
                retry_after_secs: secs,
            });
        }
        state.track_limit.record(ip);
    }
    if code.len() > 64
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(AppError::BadRequest(
            "a receipt code has letters, digits, '.' and '-'".to_owned(),
        ));
    }
    state
        .db
        .read(move |c| {
            let row = store::by_code(c, &code)?.ok_or(AppError::NotFound)?;
            let p = crate::catalogue::store::version_by_id(
                c,
                crate::db::id_of(&row.procedure_version_id),
            )?
            .ok_or(AppError::NotFound)?;
            let history = store::history(c, row.uuid())?;
            let due = row.due_at.map(crate::db::utc);
            Ok(Tracking {
                code: row.code.clone(),
                procedure_code: row.procedure_code.clone(),
                procedure_name: p.summary.name,
                state: row.state(),
                state_label: row.state().label_vi(),
                portal_status: row.state().portal_code(),
                received_at: row.received_at.map(crate::db::utc),
                due_at: due,
                due_date: due.map(|d| to_local(d).date()),
                due_session: due.map(session_name),
                resolved_at: row.resolved_at.map(crate::db::utc),
                history: history
                    .into_iter()
                    .map(|e| TrackStep {
                        action: e.action,
                        action_label: e.action.label_vi(),
                        to_state: e.to_state,
                        to_state_label: e.to_state.label_vi(),
                        at: e.at,
                    })
                    .collect(),
            })
        })
        .await
}

/// One code and its Vietnamese name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Label {
    pub code: &'static str,
    pub label: &'static str,
}

/// The Vietnamese names of every state, channel and action (a client's buttons and filters).
#[derive(Debug, Serialize, ToSchema)]
pub struct Labels {
    pub states: Vec<Label>,
    pub channels: Vec<Label>,
    pub actions: Vec<Label>,
}
