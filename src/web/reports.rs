//! The supervisor's pages: a unit of the tree and a period (month, quarter, six months, year
//! or custom, the end shown inclusive), the processing report in the TT 01/2020 layout with
//! each child unit a link to its own report, the rates with their numerators and
//! denominators, a monthly chart of new, resolved and late dossiers, the overdue list with
//! who holds each, and the downloads of what is on screen.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::view::{self, date};
use super::{layout, ok, Chrome, WebResult, WebUser};
use crate::error::{AppError, FieldError};
use crate::services::stats::{self as service, OverdueQuery, StatsQuery};
use crate::stats::export;
use crate::stats::model::{Rate, Report};
use crate::stats::reference::GroupBy;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/thong-ke", web::get().to(dashboard))
        .route("/thong-ke/tai", web::get().to(download));
}

/// The period picker's values.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(
        rename = "don-vi",
        default,
        deserialize_with = "super::desk::empty_none"
    )]
    unit: Option<Uuid>,
    /// `thang`, `quy`, `6-thang`, `nam`, `tuy-chon`.
    ky: Option<String>,
    // As typed: a value that does not parse comes back on the form with its message.
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    nam: Option<String>,
    /// The month (1–12), quarter (1–4) or half (1–2) of `nam`.
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    so: Option<String>,
    /// Custom: first and last day, both included, as dd/mm/yyyy (or yyyy-mm-dd).
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    tu: Option<String>,
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    den: Option<String>,
    /// Downloads: `bao-cao` (the report) or `chi-so` (the rates); `xlsx` or `csv`; `;` for
    /// CSV with semicolons and decimal commas.
    loai: Option<String>,
    #[serde(rename = "dinh-dang")]
    format: Option<String>,
}

/// A period: its first day and its last day (included), and how a person names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub label: String,
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The last day of the `months` months starting at `y-m-01`.
fn months_from(y: i32, m: u32, months: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = ymd(y, m, 1)?;
    let after = first.checked_add_months(chrono::Months::new(months))?;
    Some((first, after.pred_opt()?))
}

/// The period the picker names, the current month by default.
/// A date typed as dd/mm/yyyy (as every date of the client is shown), or yyyy-mm-dd.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

pub fn span(q: &PeriodQuery, today: NaiveDate) -> Result<Span, AppError> {
    let bad = |f: &str, m: &str| AppError::invalid(f, m);
    let year = match q.nam.as_deref() {
        None => today.year(),
        Some(n) => n
            .trim()
            .parse::<i32>()
            .map_err(|_| bad("nam", "Nhập năm bằng 4 chữ số, ví dụ 2025"))?,
    };
    if !(2000..=2100).contains(&year) {
        return Err(bad("nam", "Năm phải từ 2000 đến 2100"));
    }
    let number = match q.so.as_deref() {
        None => None,
        Some(n) => Some(
            n.trim()
                .parse::<u32>()
                .map_err(|_| bad("so", "Nhập số tháng, quý hoặc nửa năm bằng chữ số"))?,
        ),
    };
    let day = |field: &str, v: &Option<String>, missing: &str| -> Result<NaiveDate, AppError> {
        let v = v.as_deref().ok_or_else(|| bad(field, missing))?;
        parse_date(v).ok_or_else(|| {
            bad(
                field,
                "Nhập ngày theo dạng ngày/tháng/năm, ví dụ 07/12/2026",
            )
        })
    };
    let (first, last, label) = match q.ky.as_deref().unwrap_or("thang") {
        "thang" => {
            let m = number.unwrap_or(today.month());
            let (a, b) =
                months_from(year, m, 1).ok_or_else(|| bad("so", "Tháng phải từ 1 đến 12"))?;
            (a, b, format!("Tháng {m:02}/{year}"))
        }
        "quy" => {
            let n = number.unwrap_or((today.month() - 1) / 3 + 1);
            if !(1..=4).contains(&n) {
                return Err(bad("so", "Quý phải từ 1 đến 4"));
            }
            let (a, b) = months_from(year, (n - 1) * 3 + 1, 3)
                .ok_or_else(|| bad("so", "Quý phải từ 1 đến 4"))?;
            (a, b, format!("Quý {n}/{year}"))
        }
        "6-thang" => {
            let n = number.unwrap_or(if today.month() <= 6 { 1 } else { 2 });
            if !(1..=2).contains(&n) {
                return Err(bad(
                    "so",
                    "Nhập 1 (6 tháng đầu năm) hoặc 2 (6 tháng cuối năm)",
                ));
            }
            let (a, b) =
                months_from(year, (n - 1) * 6 + 1, 6).ok_or_else(|| bad("so", "Nhập 1 hoặc 2"))?;
            let half = if n == 1 {
                "6 tháng đầu năm"
            } else {
                "6 tháng cuối năm"
            };
            (a, b, format!("{half} {year}"))
        }
        "nam" => {
            let (a, b) = months_from(year, 1, 12).ok_or_else(|| bad("nam", "năm không hợp lệ"))?;
            (a, b, format!("Năm {year}"))
        }
        "tuy-chon" => {
            let a = day("tu", &q.tu, "Nhập ngày bắt đầu")?;
            let b = day("den", &q.den, "Nhập ngày kết thúc")?;
            if b < a {
                return Err(bad("den", "Ngày kết thúc phải từ ngày bắt đầu trở đi"));
            }
            (a, b, format!("Từ {} đến {}", date(a), date(b)))
        }
        _ => return Err(bad("ky", "Chọn tháng, quý, 6 tháng, năm hoặc tùy chọn")),
    };
    Ok(Span { first, last, label })
}

impl Span {
    /// The API's query for it: `to` is the day after the last.
    fn query(&self, unit: Option<Uuid>, group_by: Option<GroupBy>) -> StatsQuery {
        StatsQuery {
            unit,
            from: self.first,
            to: self.last.succ_opt().unwrap_or(self.last),
            group_by,
            tree: None,
            by: None,
            format: None,
            path: None,
        }
    }

    /// `2025-01-01_2025-12-31`: the period in a file name, its end as a person reads it.
    pub fn file_part(&self) -> String {
        format!("{}_{}", self.first, self.last)
    }
}

/// The picker's query string for another unit, same period.
fn link_for(q: &PeriodQuery, unit: &str) -> String {
    let mut s = format!("/thong-ke?don-vi={unit}");
    for (k, v) in [
        ("ky", q.ky.clone()),
        ("nam", q.nam.clone()),
        ("so", q.so.clone()),
        ("tu", q.tu.clone()),
        ("den", q.den.clone()),
    ] {
        if let Some(v) = v {
            s.push_str(&format!("&{k}={}", super::urlencode(&v)));
        }
    }
    s
}

fn pct(r: &Rate) -> String {
    match (r.denominator, r.numerator) {
        (0, _) => "—".to_owned(),
        (d, n) => format!("{:.2}%", n as f64 * 100.0 / d as f64).replace('.', ","),
    }
}

/// The TT 01/2020 table's cells of one row.
fn report_cells(r: &Report) -> [u64; 13] {
    [
        r.carried_over + r.new,
        r.carried_over,
        r.new_online,
        r.new_desk + r.new_post,
        r.resolved,
        r.early,
        r.on_time,
        r.late,
        r.unresolved,
        r.within_time,
        r.overdue,
        r.withdrawn + r.rejected + r.stopped,
        r.new,
    ]
}

fn report_head() -> Markup {
    html! {
        thead {
            tr {
                th rowspan="3" { "Đơn vị" }
                th colspan="4" { "Số hồ sơ nhận giải quyết" }
                th colspan="4" { "Số hồ sơ đã giải quyết" }
                th colspan="3" { "Số hồ sơ đang giải quyết" }
                th rowspan="3" { "Rút, từ chối, dừng" }
            }
            tr {
                th rowspan="2" { "Tổng số" }
                th rowspan="2" { "Kỳ trước chuyển qua" }
                th colspan="2" { "Mới tiếp nhận" }
                th rowspan="2" { "Tổng số" }
                th rowspan="2" { "Trước hạn" }
                th rowspan="2" { "Đúng hạn" }
                th rowspan="2" { "Quá hạn" }
                th rowspan="2" { "Tổng số" }
                th rowspan="2" { "Trong hạn" }
                th rowspan="2" { "Quá hạn" }
            }
            tr { th { "Trực tuyến" } th { "Trực tiếp, bưu chính" } }
        }
    }
}

fn report_row(label: Markup, r: &Report) -> Markup {
    let c = report_cells(r);
    html! {
        tr {
            td { (label) }
            @for v in &c[..12] { td.num { (v) } }
        }
    }
}

/// Three bar series by month, drawn here as SVG (it prints, and needs no script).
pub fn month_chart(months: &[(String, Report)]) -> String {
    let (w, h, pad) = (720.0_f64, 220.0_f64, 30.0_f64);
    let max = months
        .iter()
        .map(|(_, r)| r.new.max(r.resolved).max(r.late))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (w - pad * 2.0) / months.len().max(1) as f64;
    let bar = (slot / 4.0).max(1.0);
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Biểu đồ theo tháng">"##
    );
    svg.push_str(&format!(
        r##"<line x1="{pad}" y1="{y}" x2="{x2}" y2="{y}" stroke="#888"/>"##,
        y = h - pad,
        x2 = w - pad
    ));
    for (i, (label, r)) in months.iter().enumerate() {
        let x0 = pad + slot * i as f64 + bar / 2.0;
        for (j, (v, colour)) in [
            (r.new, "#1f5fa8"),
            (r.resolved, "#1d6b2c"),
            (r.late, "#a11d1d"),
        ]
        .into_iter()
        .enumerate()
        {
            let bh = (h - pad * 2.0) * v as f64 / max;
            svg.push_str(&format!(
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{colour}"><title>{v}</title></rect>"##,
                x = x0 + bar * j as f64,
                y = h - pad - bh
            ));
        }
        let short: String = label.chars().skip(5).collect();
        svg.push_str(&format!(
            r##"<text x="{x:.1}" y="{y}" font-size="11" text-anchor="middle">{short}</text>"##,
            x = x0 + bar * 1.5,
            y = h - pad + 14.0
        ));
    }
    svg.push_str(&format!(
        r##"<text x="{pad}" y="16" font-size="12"><tspan fill="#1f5fa8">■ mới tiếp nhận</tspan> <tspan fill="#1d6b2c">■ đã giải quyết</tspan> <tspan fill="#a11d1d">■ quá hạn</tspan> (cao nhất {m})</text></svg>"##,
        m = max as u64
    ));
    svg
}

/// The labels and anchors of the period picker's fields.
fn filter_label(field: &str) -> (&'static str, &'static str) {
    match field {
        "ky" => ("f-ky", "Kỳ báo cáo"),
        "nam" => ("f-nam", "Năm"),
        "so" => ("f-so", "Tháng / quý / nửa năm số"),
        "tu" => ("f-tu", "Từ ngày"),
        _ => ("f-den", "Đến hết ngày"),
    }
}

/// The period picker, with what was typed and, after a bad value, its message by the field.
/// Dates are typed and shown as dd/mm/yyyy, whatever the browser's language.
fn filters(q: &PeriodQuery, here: &str, today: NaiveDate, errors: &[FieldError]) -> Markup {
    let err = |f: &str| {
        errors
            .iter()
            .find(|e| e.field == f)
            .map(|e| e.message.clone())
    };
    let shown_date = |v: &Option<String>| {
        v.as_deref()
            .map(|s| parse_date(s).map_or_else(|| s.to_owned(), date))
    };
    let year = q.nam.clone().unwrap_or_else(|| today.year().to_string());
    html! {
        form.filters method="get" action="/thong-ke" {
            input type="hidden" name="don-vi" value=(here);
            div {
                label for="f-ky" { "Kỳ báo cáo" }
                select id="f-ky" name="ky" {
                    @for (v, l) in [("thang", "Tháng"), ("quy", "Quý"), ("6-thang", "6 tháng"), ("nam", "Năm"), ("tuy-chon", "Tùy chọn")] {
                        option value=(v) selected[q.ky.as_deref().unwrap_or("thang") == v] { (l) }
                    }
                }
            }
            @for (name, value, custom, hint) in [
                ("nam", Some(year), false, None),
                ("so", q.so.clone(), false, None),
                ("tu", shown_date(&q.tu), true, Some("ngày/tháng/năm")),
                ("den", shown_date(&q.den), true, Some("ngày/tháng/năm")),
            ] {
                @let (id, label) = filter_label(name);
                @let message = err(name);
                div data-custom=[custom.then_some("1")] {
                    label for=(id) { (label) }
                    input id=(id) name=(name) value=[value] inputmode="numeric" autocomplete="off"
                        placeholder=[hint] size=(if custom { 10 } else { 6 })
                        aria-invalid=[message.as_ref().map(|_| "true")]
                        aria-describedby=[message.as_ref().map(|_| format!("e-{name}"))];
                    @if let Some(m) = &message { p.error id={ "e-" (name) } { (m) } }
                }
            }
            button.primary type="submit" { "Xem" }
        }
    }
}

async fn dashboard(req: HttpRequest, user: WebUser, q: web::Query<PeriodQuery>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let q = q.into_inner();
    let today = crate::calendar::model::local_today();
    let period = match span(&q, today) {
        Ok(p) => p,
        // A bad value comes back on the same form, under the signed-in header.
        Err(AppError::Validation(errors)) => {
            let here = q.unit.map(|u| u.to_string()).unwrap_or_default();
            let summary: Vec<(String, String)> = errors
                .iter()
                .map(|e| {
                    let (id, label) = filter_label(&e.field);
                    (id.to_owned(), format!("{label}: {}", e.message))
                })
                .collect();
            let body = html! {
                h1 { "Tình hình giải quyết hồ sơ" }
                (super::error_summary(&summary))
                (filters(&q, &here, today, &errors))
            };
            return Ok(super::page(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                layout(&Chrome::of("Thống kê", &user, "stats"), body),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let unit = q.unit.or(user.caller.unit_id);
    let caller = user.caller.clone();
    let report = service::report(&state, &caller, period.query(unit, Some(GroupBy::Child))).await?;
    let months = service::report(&state, &caller, period.query(unit, Some(GroupBy::Month))).await?;
    let rates = service::rates_of(&state, &caller, period.query(unit, None)).await?;
    let overdue = match report.on.unit_id {
        Some(u) => Some(
            service::overdue_of(
                &state,
                &caller,
                OverdueQuery {
                    unit: Some(u),
                    by: None,
                    page: Some(1),
                    per_page: Some(20),
                },
            )
            .await?,
        ),
        None => None,
    };
    let ancestors = match report.on.unit_id {
        Some(u) => {
            let scope = caller.scope();
            state
                .db
                .read(move |c| {
                    let unit = crate::units::store::get_in_scope(c, u, scope)?;
                    let all = crate::units::store::ancestors(c, &unit)?;
                    Ok(all
                        .into_iter()
                        .filter(|a| crate::units::store::visible(a, scope))
                        .map(|a| (a.id, a.name))
                        .collect::<Vec<_>>())
                })
                .await?
        }
        None => Vec::new(),
    };
    let chart: Vec<(String, Report)> = months
        .groups
        .iter()
        .map(|g| (g.key.clone(), g.report))
        .collect();
    let here = report.on.unit_id.map(|u| u.to_string()).unwrap_or_default();
    let download = |loai: &str, fmt: &str| {
        let mut l = link_for(&q, &here).replacen("/thong-ke?", "/thong-ke/tai?", 1);
        l.push_str(&format!("&loai={loai}&dinh-dang={fmt}"));
        l
    };
    let title = format!("Thống kê – {}", report.on.unit_name);
    let cals = state.calendar.get(&state.db).await?;
    let body = html! {
        h1 { "Tình hình giải quyết hồ sơ: " (report.on.unit_name) }
        p.crumbs {
            @for (id, name) in &ancestors { a href=(link_for(&q, &id.to_string())) { (name) } " › " }
            strong { (report.on.unit_name) }
        }
        (filters(&q, &here, today, &[]))
        p { strong id="period" { (period.label) } " — từ ngày " (date(period.first)) " đến hết ngày " (date(period.last))
            @if let Some(until) = report.on.running_until() { ", " span id="judged-at" { (until) } } }
        p.noprint { "Tải về: "
            a.button href=(download("bao-cao", "xlsx")) { "Báo cáo XLSX" } " "
            a.button href=(download("bao-cao", "csv")) { "Báo cáo CSV" } " "
            a.button href=(download("bao-cao", "csv-vn")) { "CSV (dấu ;)" } " "
            a.button href=(download("chi-so", "xlsx")) { "Chỉ số XLSX" } " "
            a.button href=(download("chi-so", "csv")) { "Chỉ số CSV" }
        }
        h2 { "Báo cáo tình hình giải quyết hồ sơ (Thông tư 01/2020/TT-VPCP)" }
        table.report {
            (report_head())
            tbody {
                @for g in &report.groups {
                    @let label = if g.key == here { html! { (g.label) " (trực tiếp)" } } else { html! { a href=(link_for(&q, &g.key)) { (g.label) } } };
                    (report_row(label, &g.report))
                }
            }
            tfoot { (report_row(html! { strong { "Tổng cộng" } }, &report.total)) }
        }
        h2 { "Các chỉ số" }
        table.rates {
            thead { tr { th { "Chỉ số" } th.num { "Tử số" } th.num { "Mẫu số" } th.num { "Tỷ lệ" } } }
            tbody {
                @for (name, r) in export::RATE_NAMES.iter().zip(export::rate_list(&rates.total)) {
                    tr { td { (name) } td.num { (r.numerator) } td.num { (r.denominator) } td.num { (pct(&r)) } }
                }
                tr { td { "Tỷ lệ thủ tục cung cấp trực tuyến toàn trình" } td.num { (rates.catalogue_full.numerator) } td.num { (rates.catalogue_full.denominator) } td.num { (pct(&rates.catalogue_full)) } }
            }
        }
        h2 { "Theo tháng" }
        (super::trusted(month_chart(&chart)))
        @if let Some(o) = &overdue {
            h2 { "Hồ sơ đang quá hạn (" (o.total) ")" }
            table {
                thead { tr { th { "Mã hồ sơ" } th { "Người nộp" } th { "Đơn vị đang giữ" } th { "Cán bộ" } th { "Hạn trả" } th { "Quá hạn" } } }
                tbody {
                    @for x in &o.dossiers.items {
                        tr.red {
                            td { a href={ "/ho-so/" (x.dossier.id) } { (x.dossier.code) } }
                            td { (x.dossier.applicant.name) }
                            td { (x.holder_unit_name) }
                            td { (x.assignee_name.as_deref().unwrap_or("")) }
                            td { (view::when_opt(x.dossier.due_at)) }
                            td { (view::remaining(&x.dossier, cals.base(), state.now())) }
                        }
                    }
                    @if o.dossiers.items.is_empty() { tr { td colspan="6" .muted { "Không có hồ sơ quá hạn." } } }
                }
            }
        }
    };
    Ok(ok(layout(&Chrome::of(&title, &user, "stats"), body)))
}

/// What is on screen, as a file: the report or the rates, XLSX or CSV (`csv-vn`: semicolons
/// and decimal commas, as Excel set to Vietnamese reads them).
async fn download(req: HttpRequest, user: WebUser, q: web::Query<PeriodQuery>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let q = q.into_inner();
    let period = span(&q, crate::calendar::model::local_today())?;
    let unit = q.unit.or(user.caller.unit_id);
    let caller = user.caller.clone();
    let rates = q.loai.as_deref() == Some("chi-so");
    let (tables, on) = if rates {
        let a =
            service::rates_of(&state, &caller, period.query(unit, Some(GroupBy::Child))).await?;
        (service::rates_tables(&a), a.on)
    } else {
        let a = service::report(&state, &caller, period.query(unit, Some(GroupBy::Child))).await?;
        (service::report_tables(&a), a.on)
    };
    let name = service::file_name(if rates { "chi-so" } else { "bao-cao" }, &on);
    let mut heading = service::heading(
        if rates {
            service::RATES_TITLE
        } else {
            service::REPORT_TITLE
        },
        &on,
    );
    heading.period = format!("{} ({})", period.label, heading.period);
    let (body, kind, ext) = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => (
            export::xlsx_titled(&tables, &heading).map_err(AppError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "csv" => (
            export::csv_titled(&tables, export::CsvStyle::Plain, &heading)
                .map_err(AppError::internal)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        "csv-vn" => (
            export::csv_titled(&tables, export::CsvStyle::Vietnamese, &heading)
                .map_err(AppError::internal)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        _ => return Err(AppError::invalid("dinh-dang", "xlsx, csv hoặc csv-vn").into()),
    };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}.{ext}\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(ky: &str, nam: Option<i32>, so: Option<u32>) -> PeriodQuery {
        PeriodQuery {
            ky: Some(ky.to_owned()),
            nam: nam.map(|n| n.to_string()),
            so: so.map(|n| n.to_string()),
            ..PeriodQuery::default()
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn periods_end_on_their_last_day_included() {
        let today = d("2025-08-14");
        let m = span(&q("thang", None, None), today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.first, m.last), (d("2025-08-01"), d("2025-08-31")));
        assert_eq!(m.label, "Tháng 08/2025");
        let feb = span(&q("thang", Some(2024), Some(2)), today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(feb.last, d("2024-02-29"));
        let q3 = span(&q("quy", None, None), today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q3.first, q3.last), (d("2025-07-01"), d("2025-09-30")));
        let h1 = span(&q("6-thang", Some(2025), Some(1)), today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((h1.first, h1.last), (d("2025-01-01"), d("2025-06-30")));
        let y = span(&q("nam", Some(2024), None), today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((y.first, y.last), (d("2024-01-01"), d("2024-12-31")));
        assert_eq!(y.file_part(), "2024-01-01_2024-12-31");
        // The API's `to` is the day after the last.
        assert_eq!(y.query(None, None).to, d("2025-01-01"));
    }

    #[test]
    fn bad_periods_name_the_field() {
        let today = d("2025-08-14");
        for (query, field) in [
            (q("thang", None, Some(13)), "so"),
            (q("quy", None, Some(5)), "so"),
            (q("6-thang", None, Some(3)), "so"),
            (q("nam", Some(1900), None), "nam"),
            (q("tuan", None, None), "ky"),
        ] {
            match span(&query, today) {
                Err(AppError::Validation(errs)) => assert_eq!(errs[0].field, field),
                other => panic!("{other:?}"),
            }
        }
        let custom = |tu: &str, den: &str| PeriodQuery {
            ky: Some("tuy-chon".to_owned()),
            tu: Some(tu.to_owned()),
            den: Some(den.to_owned()),
            ..PeriodQuery::default()
        };
        assert!(matches!(
            span(&custom("10/03/2025", "01/03/2025"), today),
            Err(AppError::Validation(_))
        ));
        // Typed as a person reads a date, whatever the browser's locale; or as a link has it.
        let typed = span(&custom("01/03/2025", "2025-03-31"), today).unwrap();
        assert_eq!(
            (typed.first, typed.last),
            (d("2025-03-01"), d("2025-03-31"))
        );
        for (query, field) in [
            (custom("31/02/2025", "01/03/2025"), "tu"),
            (custom("01/03/2025", "tháng ba"), "den"),
            (q("thang", None, None), "so"),
        ] {
            let query = if field == "so" {
                PeriodQuery {
                    so: Some("năm".to_owned()),
                    ..query
                }
            } else {
                query
            };
            match span(&query, today) {
                Err(AppError::Validation(errs)) => assert_eq!(errs[0].field, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn rates_read_with_a_decimal_comma() {
        let r = Rate {
            numerator: 1,
            denominator: 3,
            value: None,
        };
        assert_eq!(pct(&r), "33,33%");
        let none = Rate {
            numerator: 0,
            denominator: 0,
            value: None,
        };
        assert_eq!(pct(&none), "—");
    }
}
