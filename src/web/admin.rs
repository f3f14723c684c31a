//! The administrator's pages: the unit tree with validity and successors, the accounts, and a
//! reorganisation (sắp xếp đơn vị): units merged into a successor, tried as a dry run first,
//! then applied.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::view::date;
use super::{csrf_field, layout, ok, page, Chrome, Posted, WebError, WebResult, WebUser};
use crate::accounts::model::Role;
use crate::error::AppError;
use crate::reorganise::{Outcome, Plan, Retirement, StaffFate};
use crate::units::model::Unit;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/quan-tri", web::get().to(units))
        .route("/quan-tri/tai-khoan", web::get().to(accounts))
        .route("/quan-tri/sap-xep", web::get().to(reorganise_page))
        .route("/quan-tri/sap-xep", web::post().to(reorganise));
}

fn admin_only(user: &WebUser) -> Result<(), WebError> {
    user.caller.require(&[Role::Admin]).map_err(WebError::from)
}

/// The units the administrator manages, as a tree (children by name under each parent).
async fn tree(req: &HttpRequest, user: &WebUser) -> Result<Vec<Unit>, WebError> {
    let state = super::session::state_of(req)?;
    let scope = user.caller.scope();
    let mut all = state
        .db
        .read(move |c| {
            Ok(crate::units::store::all(c)?
                .into_iter()
                .filter(|u| crate::units::store::visible(u, scope))
                .collect::<Vec<_>>())
        })
        .await?;
    all.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(all)
}

fn branch(
    u: &Unit,
    children: &HashMap<Option<Uuid>, Vec<&Unit>>,
    names: &HashMap<Uuid, &str>,
) -> Markup {
    let retired = u.valid_to.is_some();
    html! {
        li {
            span class=[retired.then_some("retired")] { (u.name) } " "
            span.muted { "(" (u.code) ", từ " (date(u.valid_from))
                @if let Some(to) = u.valid_to { " đến " (date(to)) }
                ")" }
            @if let Some(s) = u.successor_id { " → " (names.get(&s).copied().unwrap_or("")) }
            @if let Some(kids) = children.get(&Some(u.id)) {
                ul { @for k in kids { (branch(k, children, names)) } }
            }
        }
    }
}

async fn units(req: HttpRequest, user: WebUser) -> WebResult {
    admin_only(&user)?;
    let all = tree(&req, &user).await?;
    let ids: std::collections::HashSet<Uuid> = all.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<&Unit>> = HashMap::new();
    for u in &all {
        // A unit whose parent is out of view is a root here.
        let parent = u.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(u);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let names: HashMap<Uuid, &str> = all.iter().map(|u| (u.id, u.name.as_str())).collect();
    Ok(ok(layout(
        &Chrome::of("Đơn vị hành chính", &user, "units"),
        html! {
            h1 { "Đơn vị hành chính" }
            p.muted { (all.len()) " đơn vị; gạch ngang: đã hết hiệu lực, mũi tên: đơn vị kế thừa." }
            div.tree.box {
                ul { @for r in children.get(&None).map(Vec::as_slice).unwrap_or(&[]) { (branch(r, &children, &names)) } }
            }
        },
    )))
}

#[derive(Deserialize)]
pub struct AccountsQuery {
    q: Option<String>,
    trang: Option<u32>,
}

async fn accounts(req: HttpRequest, user: WebUser, q: web::Query<AccountsQuery>) -> WebResult {
    admin_only(&user)?;
    let state = super::session::state_of(&req)?;
    let text = q.q.clone().unwrap_or_default();
    crate::http::check_query_text("q", Some(&text))?;
    let page_no = q.trang.unwrap_or(1).max(1);
    let paging = crate::http::PageParams {
        page: Some(page_no),
        per_page: Some(50),
    }
    .paging()?;
    let scope = user.caller.scope();
    let filter = crate::accounts::store::UserFilter {
        q: (!text.trim().is_empty()).then(|| text.clone()),
        ..Default::default()
    };
    let (rows, total, names) = state
        .db
        .read(move |c| {
            let (rows, total) = crate::accounts::store::list(c, scope, &filter, paging)?;
            let names = super::view::names(c, rows.iter().filter_map(|u| u.unit_id), [], [])?;
            Ok((rows, total, names))
        })
        .await?;
    Ok(ok(layout(
        &Chrome::of("Tài khoản", &user, "accounts"),
        html! {
            h1 { "Tài khoản" }
            form.filters method="get" action="/quan-tri/tai-khoan" {
                label { "Tìm theo tên, tên đăng nhập" input type="search" name="q" value=(text); }
                button type="submit" { "Tìm" }
            }
            table {
                thead { tr { th { "Tên đăng nhập" } th { "Họ tên" } th { "Vai trò" } th { "Đơn vị" } th { "Trạng thái" } } }
                tbody {
                    @for u in &rows {
                        tr {
                            td { (u.username) } td { (u.full_name) } td { (u.role.label_vi()) }
                            td { (u.unit_id.map(|x| names.unit(x)).unwrap_or("")) }
                            td { @if u.disabled { span.badge.red { "Đã khóa" } } @else { span.badge.green { "Hoạt động" } } }
                        }
                    }
                }
            }
            (super::view::pager(&format!("/quan-tri/tai-khoan?q={}", super::urlencode(&text)), page_no, 50, total))
        },
    )))
}

/// What the administrator fills in: the plan's name and date, the units retired, the unit
/// that takes them over, and what becomes of their staff.
#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    name: String,
    /// As typed (dd/mm/yyyy).
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    effective_from: Option<String>,
    #[serde(default)]
    retire: Vec<Uuid>,
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    successor: Option<Uuid>,
    #[serde(default)]
    staff: String,
    /// `thu` (dry run) or `ap-dung` (apply).
    #[serde(default)]
    mode: String,
}

async fn reorganise_page(req: HttpRequest, user: WebUser) -> WebResult {
    admin_only(&user)?;
    let all = tree(&req, &user).await?;
    Ok(ok(plan_page(&user, &all, &PlanForm::default(), None, None)))
}

fn plan_page(
    user: &WebUser,
    all: &[Unit],
    form: &PlanForm,
    outcome: Option<&Outcome>,
    error: Option<&AppError>,
) -> Markup {
    let today = crate::calendar::model::local_today();
    let current: Vec<&Unit> = all.iter().filter(|u| u.valid_on(today)).collect();
    layout(
        &Chrome::of("Sắp xếp đơn vị hành chính", user, "reorganise"),
        html! {
            h1 { "Sắp xếp đơn vị hành chính" }
            @if let Some(e) = error {
                section.notice.error role="alert" { strong { (super::error_title(e)) } p { (super::error_detail(e)) } }
            }
            @if let Some(o) = outcome { (outcome_view(o)) }
            form.box method="post" action="/quan-tri/sap-xep" {
                (csrf_field(user))
                label { "Căn cứ (tên nghị quyết, quyết định)"
                    input name="name" value=(form.name) required maxlength="300" placeholder="Nghị quyết 1683/NQ-UBTVQH15"; }
                label { "Có hiệu lực từ ngày (ngày/tháng/năm)"
                    input name="effective_from" required placeholder="ngày/tháng/năm" inputmode="numeric" autocomplete="off"
                        value=[form.effective_from.as_deref().map(|v| super::reports::parse_date(v).map_or_else(|| v.to_owned(), date))]; }
                fieldset {
                    legend { "Các đơn vị thôi tồn tại" }
                    div.tree { @for u in &current {
                        label.check { input type="checkbox" name="retire" value=(u.id) checked[form.retire.contains(&u.id)];
                            " " (u.name) " " span.muted { "(" (u.code) ")" } }
                    } }
                }
                label { "Đơn vị kế thừa (tiếp nhận hồ sơ, cán bộ)"
                    select name="successor" required {
                        option value="" { "—" }
                        @for u in &current { option value=(u.id) selected[form.successor == Some(u.id)] { (u.name) " (" (u.code) ")" } }
                    }
                }
                label { "Cán bộ của đơn vị thôi tồn tại"
                    select name="staff" {
                        option value="rehome" selected[form.staff != "disable"] { "Chuyển sang đơn vị kế thừa" }
                        option value="disable" selected[form.staff == "disable"] { "Khóa tài khoản" }
                    }
                }
                button type="submit" name="mode" value="thu" { "Chạy thử (không thay đổi gì)" } " "
                button.danger type="submit" name="mode" value="ap-dung" { "Áp dụng" }
            }
        },
    )
}

fn outcome_view(o: &Outcome) -> Markup {
    html! {
        section.box id="outcome" {
            h2 { @if o.applied { "Đã áp dụng: " } @else if o.dry_run { "Chạy thử: " } @else { "Chưa áp dụng: " } (o.name) }
            p { "Hiệu lực từ " (date(o.effective_from)) ". "
                (o.totals.units_retired) " đơn vị thôi tồn tại; "
                (o.totals.dossiers_moved) " hồ sơ đang xử lý được chuyển; "
                (o.totals.staff_rehomed) " cán bộ chuyển đơn vị; "
                (o.totals.staff_disabled) " tài khoản bị khóa." }
            table {
                thead { tr { th { "Đơn vị" } th { "Kế thừa" } th.num { "Hồ sơ" } th.num { "Cán bộ" } th.num { "Đơn vị con" } } }
                tbody { @for m in &o.moves { tr {
                    td { (m.unit_name) @if m.implied { " " small { "(không có trong phương án: hết hiệu lực cùng ngày)" } } }
                    td { (m.successor_name.as_deref().unwrap_or("")) }
                    td.num { (m.open_dossiers) } td.num { (m.staff_accounts) } td.num { (m.children_moved) }
                } } }
            }
            @if !o.conflicts.is_empty() {
                h2.error { "Vướng mắc (" (o.conflicts.len()) ")" }
                ul { @for c in &o.conflicts { li { @if let Some(code) = &c.unit_code { (code) ": " } (c.message) } } }
            }
        }
    }
}

async fn reorganise(req: HttpRequest, posted: Posted<PlanForm>) -> WebResult {
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let state = super::session::state_of(&req)?;
    let all = tree(&req, &user).await?;
    let fail = |e: AppError, form: &PlanForm| {
        let status = actix_web::ResponseError::status_code(&e);
        Ok(page(status, plan_page(&user, &all, form, None, Some(&e))))
    };
    let Some(effective_from) = form
        .effective_from
        .as_deref()
        .and_then(super::reports::parse_date)
    else {
        return fail(
            AppError::invalid(
                "effective_from",
                "Nhập ngày có hiệu lực theo dạng ngày/tháng/năm, ví dụ 01/07/2025",
            ),
            &form,
        );
    };
    if form.retire.is_empty() {
        return fail(
            AppError::invalid("retire", "chọn ít nhất một đơn vị"),
            &form,
        );
    }
    let staff = if form.staff == "disable" {
        StaffFate::Disable
    } else {
        StaffFate::Rehome
    };
    let plan = Plan {
        name: form.name.clone(),
        effective_from,
        create: Vec::new(),
        retire: form
            .retire
            .iter()
            .map(|id| Retirement {
                unit_id: *id,
                successor_id: form.successor,
                successor_ref: None,
                staff,
            })
            .collect(),
        default_staff: staff,
        dry_run: form.mode != "ap-dung",
    };
    match crate::services::units::apply_plan(&state, &user.caller, plan).await {
        Ok(o) => {
            let all = if o.applied {
                tree(&req, &user).await?
            } else {
                all.clone()
            };
            Ok(page(
                StatusCode::OK,
                plan_page(&user, &all, &form, Some(&o), None),
            ))
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::NotFound)) => {
            fail(e, &form)
        }
        Err(e) => Err(e.into()),
    }
}
