//! `/api/v1/stats`: the processing report and the rates, scoped to the caller's subtree.

use actix_web::HttpResponse;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::auth::{Caller, Scope};
use crate::dossiers::store::{self as dossiers, Dossier, QueueFilter, QueueReach};
use crate::error::{AppError, AppResult};
use crate::http::{Page, PageParams};
use crate::state::AppState;
use crate::stats::export::{self, Format, Table};
use crate::stats::fast;
use crate::stats::model::{Period, Rate, Rates, Report};
use crate::stats::reference::{self, Computed, GroupBy, Root, Tree};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// The unit (default: the caller's own). An administrator without a home unit who names
    /// none gets the whole country, with the provinces as its children.
    pub unit: Option<Uuid>,
    /// First day of the period (local date, YYYY-MM-DD).
    pub from: NaiveDate,
    /// The day after the period (so `from=2025-01-01&to=2026-01-01` is the year 2025).
    pub to: NaiveDate,
    pub group_by: Option<GroupBy>,
    /// `filed` (default) or `current`.
    pub tree: Option<Tree>,
    /// Count each dossier at the unit that resolves it (`resolving`, default) or at the desk
    /// that received it (`receiving`): since 1 July 2025 the two may differ.
    pub by: Option<crate::dossiers::store::Basis>,
    /// `json` (default), `csv` (UTF-8, Vietnamese headings), `csv_semicolon` (the same with
    /// `;` separators and decimal commas, as Excel set to Vietnamese reads it) or `xlsx` (a
    /// sheet for the total and one for the grouping, under a title, the unit and the period).
    pub format: Option<Format>,
    /// `fast` (default): from the pre-summed buckets; `reference`: straight from every
    /// dossier's history (slow; for audits). Both give the same figures.
    pub path: Option<StatsPath>,
}

/// How the figures are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsPath {
    #[default]
    Fast,
    Reference,
}

/// The answer in the asked format: JSON as is, or the tables as a download.
pub fn send<T: Serialize>(
    format: Format,
    json: &T,
    tables: impl FnOnce() -> Vec<Table>,
    name: &str,
    heading: impl FnOnce() -> export::Heading,
) -> AppResult<HttpResponse> {
    let disposition = |ext: &str| format!("attachment; filename=\"{name}.{ext}\"");
    let style = match format {
        Format::Json => return Ok(HttpResponse::Ok().json(json)),
        Format::Xlsx => {
            return Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header(("content-disposition", disposition("xlsx")))
                .body(export::xlsx_titled(&tables(), &heading()).map_err(AppError::internal)?))
        }
        Format::Csv => export::CsvStyle::Plain,
        Format::CsvSemicolon => export::CsvStyle::Vietnamese,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", disposition("csv")))
        .body(export::csv_titled(&tables(), style, &heading()).map_err(AppError::internal)?))
}

/// The period's last day (the day before `to`).
pub fn last_day(on: &ReportOn) -> NaiveDate {
    on.to.pred_opt().unwrap_or(on.to)
}

/// `bao-cao-19-2025-01-01_2025-12-31`: ASCII, safe in a header, the period's last day included
/// as a person reads it.
pub fn file_name(kind: &str, on: &ReportOn) -> String {
    let code: String = on
        .unit_code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    format!("{kind}-{code}-{}_{}", on.from, last_day(on))
}

/// The heading of a download's sheets.
pub fn heading(title: &str, on: &ReportOn) -> export::Heading {
    let d = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    let mut period = format!("từ ngày {} đến hết ngày {}", d(on.from), d(last_day(on)));
    if let Some(until) = on.running_until() {
        period = format!("{period}, {until}");
    }
    export::Heading {
        title: title.to_owned(),
        unit: on.unit_name.clone(),
        period,
    }
}

pub const REPORT_TITLE: &str = "BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH";
pub const RATES_TITLE: &str = "CÁC CHỈ SỐ ĐÁNH GIÁ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH";

/// How the whole country is named in a national report.
pub const COUNTRY_CODE: &str = "VN";
pub const COUNTRY_NAME: &str = "Cả nước";

/// The unit and period a figure is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOn {
    /// Absent for the whole country (an administrator without a home unit naming none).
    pub unit_id: Option<Uuid>,
    pub unit_code: String,
    pub unit_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tree: Tree,
    pub group_by: Option<GroupBy>,
    /// Each dossier counted at its resolving unit or at its receiving desk.
    pub by: crate::dossiers::store::Basis,
    /// The report's instant, when the dossiers still open were judged within time or overdue:
    /// the first instant of `to`, or, while the period runs, the instant the report was read.
    pub judged_at: DateTime<Utc>,
}

impl ReportOn {
    /// "tính đến 10:05 ngày 07/12/2026" while the period runs (DOMAIN §5), else `None`.
    pub fn running_until(&self) -> Option<String> {
        let end = crate::calendar::model::to_utc(self.to.and_time(chrono::NaiveTime::MIN));
        (self.judged_at < end).then(|| {
            let local = crate::calendar::model::to_local(self.judged_at);
            format!("tính đến {}", local.format("%H:%M ngày %d/%m/%Y"))
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportGroup {
    /// A unit id, a procedure code, a field, or `YYYY-MM`.
    pub key: String,
    pub label: String,
    pub report: Report,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportAnswer {
    #[serde(flatten)]
    pub on: ReportOn,
    /// The unit's whole subtree.
    pub total: Report,
    /// By `group_by`: children (with the unit itself for dossiers filed at it), procedures,
    /// fields or months; empty without `group_by`.
    pub groups: Vec<ReportGroup>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatesGroup {
    pub key: String,
    pub label: String,
    pub rates: Rates,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatesAnswer {
    #[serde(flatten)]
    pub on: ReportOn,
    pub total: Rates,
    /// Procedures offered fully online (toàn trình) ÷ active procedures in the catalogue.
    pub catalogue_full: Rate,
    /// Procedures offered online that received an online dossier in the period ÷ those
    /// offered online that received any dossier.
    pub online_used: Rate,
    pub groups: Vec<RatesGroup>,
}

/// Longest period a report covers.
pub const MAX_DAYS: i64 = 366 * 10;

/// Checks the query and computes every figure for it (the reference path).
pub async fn compute(
    state: &AppState,
    caller: &Caller,
    q: StatsQuery,
    with_online_used: bool,
) -> AppResult<(ReportOn, Computed)> {
    caller.require(&[Role::Supervisor, Role::Approver, Role::Admin])?;
    let period =
        Period::new(q.from, q.to).ok_or_else(|| AppError::invalid("to", "must be after `from`"))?;
    if (q.to - q.from).num_days() > MAX_DAYS {
        return Err(AppError::invalid("to", "a report covers at most ten years"));
    }
    // An administrator without a home unit (scope: everything) who names no unit gets the
    // whole country, by province.
    let unit_id = match (q.unit.or(caller.unit_id), caller.scope()) {
        (Some(id), _) => Some(id),
        (None, Scope::All) => None,
        (None, _) => return Err(AppError::invalid("unit", "name the unit to report on")),
    };
    let (tree, group_by, scope) = (q.tree.unwrap_or_default(), q.group_by, caller.scope());
    let by = q.by.unwrap_or_default();
    let path = q.path.unwrap_or_default();
    let now = Utc::now();
    let judged_at = period.judged_at(now);
    state
        .db
        .read(move |c| {
            let unit = match unit_id {
                Some(id) => Some(crate::units::store::get_in_scope(c, id, scope)?),
                None => None,
            };
            let root = unit.as_ref().map_or(Root::Country, Root::Unit);
            let computed = match path {
                StatsPath::Fast => fast::in_snapshot(c, |c| {
                    fast::compute(c, root, &period, tree, group_by, with_online_used, by, now)
                })?,
                StatsPath::Reference => {
                    reference::compute(c, root, &period, tree, group_by, by, now)?
                }
            };
            let (unit_id, unit_code, unit_name) = match unit {
                Some(u) => (Some(u.id), u.code, u.name),
                None => (None, COUNTRY_CODE.to_owned(), COUNTRY_NAME.to_owned()),
            };
            Ok((
                ReportOn {
                    unit_id,
                    unit_code,
                    unit_name,
                    from: q.from,
                    to: q.to,
                    tree,
                    group_by,
                    by,
                    judged_at,
                },
                computed,
            ))
        })
        .await
}

/// The tables of a report's download.
pub fn report_tables(answer: &ReportAnswer) -> Vec<Table> {
    let groups: Vec<(String, Report)> = answer
        .groups
        .iter()
        .map(|g| (g.label.clone(), g.report))
        .collect();
    export::report_tables(
        &answer.on.unit_name,
        &answer.total,
        answer.on.group_by,
        &groups,
    )
}

/// The processing report (the route and the web client).
pub async fn report(state: &AppState, caller: &Caller, q: StatsQuery) -> AppResult<ReportAnswer> {
    let (on, computed) = compute(state, caller, q, false).await?;
    Ok(ReportAnswer {
        on,
        total: computed.total.report,
        groups: computed
            .groups
            .into_iter()
            .map(|g| ReportGroup {
                key: g.key,
                label: g.label,
                report: g.figures.report,
            })
            .collect(),
    })
}

/// The tables of a rates download.
pub fn rates_tables(answer: &RatesAnswer) -> Vec<Table> {
    let groups: Vec<(String, Rates)> = answer
        .groups
        .iter()
        .map(|g| (g.label.clone(), g.rates))
        .collect();
    export::rates_tables(
        &answer.on.unit_name,
        &answer.total,
        &[
            (
                "Tỷ lệ thủ tục cung cấp trực tuyến toàn trình",
                answer.catalogue_full,
            ),
            (
                "Tỷ lệ thủ tục trực tuyến phát sinh hồ sơ trực tuyến",
                answer.online_used,
            ),
        ],
        answer.on.group_by,
        &groups,
    )
}

/// The rates (the route and the web client).
pub async fn rates_of(state: &AppState, caller: &Caller, q: StatsQuery) -> AppResult<RatesAnswer> {
    let (on, computed) = compute(state, caller, q, true).await?;
    Ok(RatesAnswer {
        on,
        total: computed.total.rates.finish(),
        catalogue_full: computed.catalogue_full,
        online_used: computed.online_used,
        groups: computed
            .groups
            .into_iter()
            .map(|g| RatesGroup {
                key: g.key,
                label: g.label,
                rates: g.figures.rates.finish(),
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverdueQuery {
    /// The unit (default: the caller's own; required of an account with no unit, such as a
    /// national administrator: 422 without it); dossiers held anywhere in its subtree, or with
    /// `by=receiving` received at a desk of it (wherever they are held now).
    pub unit: Option<Uuid>,
    /// `resolving` (default: the dossiers held in the subtree) or `receiving` (those its desks
    /// received).
    pub by: Option<crate::dossiers::store::Basis>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Count {
    /// A unit id or a procedure code.
    pub key: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueDossier {
    pub dossier: Dossier,
    /// The unit holding it: its lateness is that unit's.
    pub holder_unit_name: String,
    /// The staff member it is assigned to, if any.
    pub assignee_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueAnswer {
    pub unit_id: Uuid,
    pub unit_name: String,
    /// When "overdue" was judged.
    pub at: chrono::DateTime<Utc>,
    pub total: u64,
    /// Which dossiers: held in the subtree (`resolving`) or received at its desks (`receiving`).
    pub by: crate::dossiers::store::Basis,
    /// By the unit holding them, most first.
    pub by_holder: Vec<Count>,
    /// By the desk that received them, most first.
    pub by_receiving: Vec<Count>,
    /// By procedure, most first.
    pub by_procedure: Vec<Count>,
    /// The dossiers, longest overdue first.
    pub dossiers: Page<OverdueDossier>,
}

pub fn counted(counts: std::collections::HashMap<String, (String, u64)>) -> Vec<Count> {
    let mut out: Vec<Count> = counts
        .into_iter()
        .map(|(key, (label, count))| Count { key, label, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    out
}

/// The overdue dossiers (the route and the web client).
pub async fn overdue_of(
    state: &AppState,
    caller: &Caller,
    q: OverdueQuery,
) -> AppResult<OverdueAnswer> {
    caller.require(&[Role::Supervisor, Role::Approver, Role::Admin])?;
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .paging()?;
    let unit_id = q
        .unit
        .or(caller.unit_id)
        .ok_or_else(|| AppError::invalid("unit", "name the unit to report on"))?;
    let scope = caller.scope();
    let by = q.by.unwrap_or_default();
    let at = Utc::now();
    state
        .db
        .read(move |c| {
            let unit = crate::units::store::get_in_scope(c, unit_id, scope)?;
            let (lo, hi) = crate::units::model::subtree_bounds(&unit.path);
            // By receiving desk: the subtree's desks, wherever their dossiers are held now.
            let (reach, desks) = match by {
                dossiers::Basis::Resolving => (QueueReach::Subtree(lo, hi), None),
                dossiers::Basis::Receiving => {
                    let desks: Vec<String> = crate::units::store::subtree(c, &unit, None)?
                        .into_iter()
                        .map(|u| u.id.to_string())
                        .collect();
                    (QueueReach::All, Some(desks))
                }
            };
            let now = at.naive_utc();
            let mut by_holder = std::collections::HashMap::new();
            let mut by_receiving = std::collections::HashMap::new();
            let mut by_procedure = std::collections::HashMap::new();
            let facts = dossiers::overdue_facts(c, &reach, desks.as_deref(), now)?;
            let total = facts.len() as u64;
            let names: std::collections::HashMap<String, String> = crate::units::store::all(c)?
                .into_iter()
                .map(|u| (u.id.to_string(), u.name))
                .collect();
            for f in facts {
                by_holder.entry(f.holder_id).or_insert((f.holder_name, 0)).1 += 1;
                let desk = names.get(&f.desk_id).cloned().unwrap_or_default();
                by_receiving.entry(f.desk_id).or_insert((desk, 0)).1 += 1;
                by_procedure
                    .entry(f.procedure_code.clone())
                    .or_insert((f.procedure_code, 0))
                    .1 += 1;
            }
            let filter = QueueFilter {
                overdue_at: Some(now),
                received_at_desks: desks,
                ..QueueFilter::default()
            };
            let (rows, listed) =
                dossiers::work_queue(c, &reach, &filter, paging.limit(), paging.offset())?;
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                let holder_unit_name = names.get(&row.holder_unit_id).cloned().unwrap_or_default();
                let assignee_name = match row.assignee_id.as_deref() {
                    Some(a) => {
                        crate::accounts::store::get(c, crate::db::id_of(a))?.map(|u| u.full_name)
                    }
                    None => None,
                };
                items.push(OverdueDossier {
                    dossier: row.view(),
                    holder_unit_name,
                    assignee_name,
                });
            }
            Ok(OverdueAnswer {
                unit_id: unit.id,
                unit_name: unit.name,
                at,
                total,
                by,
                by_holder: counted(by_holder),
                by_receiving: counted(by_receiving),
                by_procedure: counted(by_procedure),
                dossiers: Page::new(items, listed, paging),
            })
        })
        .await
}
