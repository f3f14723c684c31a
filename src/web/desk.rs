//! The staff pages: the desk's queues, search by code / name / ID / phone, desk intake, the
//! dossier page with its timeline, documents and exactly the actions `allowed_actions` gives,
//! the printed forms, and the officer's and approver's own work.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::view::{self, dossier_table, when, when_opt};
use super::{
    csrf_field, layout, ok, page, see_other, Chrome, Posted, WebError, WebResult, WebUser,
};
use crate::accounts::model::Role;
use crate::app::AppState;
use crate::catalogue::versions::VersionContents;
use crate::dossiers::forms::FormKind;
use crate::dossiers::model::{Action, State};
use crate::dossiers::routes::{
    self as api, ActionBody, ApplicantInput, IntakeDossier, QueueQuery, StateFilter,
};
use crate::dossiers::service::{PaymentChannel, ReturnChannel};
use crate::dossiers::store::{Channel, DocumentQuantity, Dossier};
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mot-cua", web::get().to(queues))
        .route("/viec-cua-toi", web::get().to(my_work))
        .route("/tim", web::get().to(search))
        .route("/tiep-nhan", web::get().to(intake_page))
        .route("/tiep-nhan", web::post().to(intake))
        .route("/ho-so/{id}", web::get().to(dossier_page))
        .route("/ho-so/{id}/xu-ly/{action}", web::post().to(act))
        .route("/ho-so/{id}/in/{form}", web::get().to(print))
        .route("/ho-so/{id}/tai-lieu", web::post().to(upload))
        .route("/ho-so/{id}/tai-lieu/{doc}", web::get().to(download));
}

fn staff_only(user: &WebUser) -> Result<(), WebError> {
    if user.role() == Role::Citizen {
        return Err(AppError::Forbidden.into());
    }
    Ok(())
}

/// One of the desk's queues.
struct Queue {
    key: &'static str,
    label: &'static str,
    query: fn(&WebUser) -> QueueQuery,
}

fn query() -> QueueQuery {
    QueueQuery {
        state: None,
        overdue: None,
        assignee: None,
        unit_id: None,
        receiving_unit_id: None,
        resolving_unit_id: None,
        q: None,
        received_on: None,
        due_within_days: None,
        page: None,
        per_page: None,
    }
}

const DESK_QUEUES: &[Queue] = &[
    Queue {
        key: "cho-tiep-nhan",
        label: "Nộp trực tuyến chờ tiếp nhận",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::Submitted)),
            ..query()
        },
    },
    Queue {
        key: "hom-nay",
        label: "Tiếp nhận hôm nay",
        query: |_| QueueQuery {
            state: Some(StateFilter::All),
            received_on: Some(crate::calendar::model::local_today()),
            ..query()
        },
    },
    Queue {
        key: "cho-bo-sung",
        label: "Chờ bổ sung",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::SupplementRequested)),
            ..query()
        },
    },
    Queue {
        key: "sap-den-han",
        label: "Sắp đến hạn (2 ngày)",
        query: |_| QueueQuery {
            due_within_days: Some(2),
            ..query()
        },
    },
    Queue {
        key: "qua-han",
        label: "Quá hạn",
        query: |_| QueueQuery {
            overdue: Some(true),
            ..query()
        },
    },
    Queue {
        key: "tra-ket-qua",
        label: "Chờ trả kết quả",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::Resolved)),
            ..query()
        },
    },
    Queue {
        key: "tat-ca",
        label: "Tất cả hồ sơ đang xử lý",
        query: |_| query(),
    },
];

const WORK_QUEUES: &[Queue] = &[
    Queue {
        key: "duoc-giao",
        label: "Được giao cho tôi",
        query: |_| QueueQuery {
            assignee: Some("me".to_owned()),
            ..query()
        },
    },
    Queue {
        key: "cho-phe-duyet",
        label: "Chờ phê duyệt",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::AwaitingApproval)),
            ..query()
        },
    },
    Queue {
        key: "qua-han",
        label: "Quá hạn",
        query: |_| QueueQuery {
            overdue: Some(true),
            ..query()
        },
    },
];

#[derive(Deserialize)]
pub struct ListQuery {
    hang: Option<String>,
    trang: Option<u32>,
}

const PER_PAGE: u32 = 30;

/// Where a queue page lives and how it is titled.
struct Listing<'a> {
    path: &'a str,
    title: &'a str,
    active: &'a str,
}

/// The counts of every queue and the rows of the chosen one.
async fn queue_page(
    state: &AppState,
    user: &WebUser,
    queues: &[Queue],
    chosen: Option<&str>,
    page_no: u32,
    listing: Listing<'_>,
) -> WebResult {
    let Listing {
        path,
        title,
        active,
    } = listing;
    let chosen = queues
        .iter()
        .find(|q| Some(q.key) == chosen)
        .unwrap_or(&queues[0]);
    // One read for the counts of every tab, one for the chosen tab's rows.
    let all: Vec<QueueQuery> = queues.iter().map(|q| (q.query)(user)).collect();
    let counts = api::queue_counts(state, user.caller.clone(), all).await?;
    let total = queues
        .iter()
        .position(|q| q.key == chosen.key)
        .and_then(|i| counts.get(i).copied())
        .unwrap_or(0);
    let items = api::queue_rows(
        state,
        user.caller.clone(),
        QueueQuery {
            page: Some(page_no.max(1)),
            per_page: Some(PER_PAGE),
            ..(chosen.query)(user)
        },
    )
    .await?;
    let names = view::read_names(state, &items).await?;
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let base = format!("{path}?hang={}", chosen.key);
    Ok(ok(layout(
        &Chrome::of(title, user, active),
        html! {
            div data-desk="1" {
                h1 { (title) }
                nav.tabs {
                    @for (q, n) in queues.iter().zip(&counts) {
                        a href={ (path) "?hang=" (q.key) } class=[(q.key == chosen.key).then_some("on")] {
                            (q.label) span.n { (n) }
                        }
                    }
                }
                (dossier_table(&items, &names, cals.base(), now))
                (view::pager(&base, page_no.max(1), PER_PAGE, total))
                p.muted { "Màu của dòng: xanh — đã dùng dưới 3/4 thời gian làm việc; vàng — từ 3/4; đỏ — quá hạn (tính theo ngày làm việc)." }
            }
        },
    )))
}

async fn queues(req: HttpRequest, user: WebUser, q: web::Query<ListQuery>) -> WebResult {
    staff_only(&user)?;
    let state = super::session::state_of(&req)?;
    let title = match user.role() {
        Role::Clerk => "Bộ phận một cửa",
        _ => "Hồ sơ của đơn vị",
    };
    queue_page(
        &state,
        &user,
        DESK_QUEUES,
        q.hang.as_deref(),
        q.trang.unwrap_or(1),
        Listing {
            path: "/mot-cua",
            title,
            active: "queue",
        },
    )
    .await
}

async fn my_work(req: HttpRequest, user: WebUser, q: web::Query<ListQuery>) -> WebResult {
    staff_only(&user)?;
    let state = super::session::state_of(&req)?;
    let queues = if user.role() == Role::Approver {
        WORK_QUEUES
    } else {
        &[WORK_QUEUES[0].clone_ref(), WORK_QUEUES[2].clone_ref()][..]
    };
    queue_page(
        &state,
        &user,
        queues,
        q.hang.as_deref(),
        q.trang.unwrap_or(1),
        Listing {
            path: "/viec-cua-toi",
            title: "Việc của tôi",
            active: "mine",
        },
    )
    .await
}

impl Queue {
    const fn clone_ref(&self) -> Queue {
        Queue {
            key: self.key,
            label: self.label,
            query: self.query,
        }
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    trang: Option<u32>,
}

/// A code typed or scanned opens its dossier; anything else lists what matches.
async fn search(req: HttpRequest, user: WebUser, q: web::Query<SearchQuery>) -> WebResult {
    staff_only(&user)?;
    let state = super::session::state_of(&req)?;
    let text = q.q.clone().unwrap_or_default().trim().to_owned();
    if text.is_empty() {
        return Ok(see_other(super::home_of(user.role())));
    }
    let found = api::queue(
        &state,
        user.caller.clone(),
        QueueQuery {
            state: Some(StateFilter::All),
            q: Some(text.clone()),
            page: Some(q.trang.unwrap_or(1).max(1)),
            per_page: Some(PER_PAGE),
            ..query()
        },
    )
    .await?;
    if let Some(d) = found
        .items
        .iter()
        .find(|d| d.code.eq_ignore_ascii_case(&text))
    {
        return Ok(see_other(&format!("/ho-so/{}", d.id)));
    }
    let items = found.items;
    let names = view::read_names(&state, &items).await?;
    let cals = state.calendar.get(&state.db).await?;
    let base = format!("/tim?q={}", super::urlencode(&text));
    Ok(ok(layout(
        &Chrome::of("Tìm hồ sơ", &user, ""),
        html! {
            h1 { "Kết quả tìm “" (text) "”" }
            (dossier_table(&items, &names, cals.base(), state.now()))
            (view::pager(&base, q.trang.unwrap_or(1).max(1), PER_PAGE, found.total))
        },
    )))
}

// ---------------------------------------------------------------- the dossier page

/// What the page shows when an action failed: which, why, and what was typed.
struct Failed {
    action: Action,
    error: AppError,
    form: ActForm,
}

async fn dossier_page(req: HttpRequest, user: WebUser, id: web::Path<Uuid>) -> WebResult {
    let state = super::session::state_of(&req)?;
    render_dossier(&state, &user, id.into_inner(), None, StatusCode::OK)
        .await
        .map_err(|e| e.for_user(&user))
}

/// What the dossier page needs beside the dossier: names, the procedure, the documents and
/// the staff who can be chosen as assignee (read in one go).
struct Around {
    names: view::Names,
    procedure: std::sync::Arc<VersionContents>,
    documents: Vec<crate::dossiers::documents::Document>,
    /// Who may be named for the next step, per action (`assign`, `advance`): the staff of
    /// the unit that takes it, which for an advance may be another level's.
    staff: Vec<(Action, Vec<StaffMember>)>,
}

/// A staff member to pick: id, name, role.
type StaffMember = (Uuid, String, Role);

async fn render_dossier(
    state: &AppState,
    user: &WebUser,
    id: Uuid,
    failed: Option<Failed>,
    status: StatusCode,
) -> WebResult {
    let full = api::with_history(state, user.caller.clone(), id).await?;
    let d = &full.dossier;
    let (version, holder) = (d.procedure_version_id, d.holder_unit_id);
    let units: Vec<Uuid> = [d.receiving_unit_id, d.resolving_unit_id, d.holder_unit_id]
        .into_iter()
        .chain(full.steps.iter().filter_map(|s| s.unit_id))
        .collect();
    let actors: Vec<Uuid> = full
        .history
        .iter()
        .filter_map(|e| e.actor_id)
        .chain(d.assignee_id)
        .collect();
    let picks: Vec<Action> = d
        .allowed_actions
        .iter()
        .copied()
        .filter(|a| matches!(a, Action::Assign | Action::Advance))
        .collect();
    let (caller, at) = (user.caller.clone(), state.now());
    let versions = state.versions.clone();
    let around = state
        .db
        .read(move |c| {
            let names = view::names(c, units, [], actors)?;
            let procedure = versions.get(c, version)?;
            let documents = crate::dossiers::documents::list(c, id)?;
            let mut staff = Vec::new();
            for a in picks {
                let unit = crate::dossiers::service::next_step_unit(c, &caller, id, a, at)?
                    .map_or(holder, |(u, _)| u);
                staff.push((a, crate::accounts::store::staff_of(c, unit)?));
            }
            Ok(Around {
                names,
                procedure,
                documents,
                staff,
            })
        })
        .await?;
    let cals = state.calendar.get(&state.db).await?;
    let cal = cals.base();
    let now = state.now();
    let (level, _) = view::urgency(d, cal, now);
    let n = &around.names;
    let p = &around.procedure;
    let title = format!("Hồ sơ {}", d.code);
    let printable = printable_forms(&full.history, d);
    let body = html! {
        @if let Some(f) = &failed {
            section.notice.error role="alert" {
                strong { (f.action.label_vi()) ": " (super::error_title(&f.error)) }
                p { (super::error_detail(&f.error)) }
            }
        }
        section.box {
            h1 { "Hồ sơ " (d.code) " " span class={ "badge " (level.class().unwrap_or("")) } { (d.state.label_vi()) } }
            dl.facts {
                dt { "Thủ tục" } dd { (p.name) " (" (p.code) ")" }
                dt { "Người nộp" } dd { (d.applicant.name)
                    @if let Some(idn) = &d.applicant.id_number { " · CCCD " (idn) }
                    @if let Some(ph) = &d.applicant.phone { " · ĐT " (ph) } }
                @if let Some(a) = &d.applicant.address { dt { "Địa chỉ" } dd { (a) } }
                dt { "Kênh nộp" } dd { (d.channel.label_vi()) }
                dt { "Nơi tiếp nhận" } dd { (n.unit(d.receiving_unit_id)) }
                dt { "Đơn vị giải quyết" } dd { (n.unit(d.resolving_unit_id)) }
                @if d.holder_unit_id != d.resolving_unit_id { dt { "Đang giữ" } dd { (n.unit(d.holder_unit_id)) } }
                @if d.assignee_id.is_some() { dt { "Cán bộ xử lý" } dd { (n.user(d.assignee_id)) } }
                dt { "Tiếp nhận" } dd { (when_opt(d.received_at)) }
                dt { "Hạn trả kết quả" } dd {
                    (when_opt(d.due_at))
                    @if let Some(c) = level.class() { " " span class={ "badge " (c) } { (view::remaining(d, cal, now)) } }
                    @if d.calendar_provisional { " " span.muted { "(dự kiến: lịch nghỉ năm sau chưa công bố)" } }
                }
                @if let Some(t) = d.new_appointment_at { dt { "Hẹn lại" } dd { (when(t)) } }
                @if let Some(fee) = d.fee_vnd { dt { "Phí, lệ phí" } dd { (super::money(fee)) @if d.paid_at.is_some() { " — đã nộp" } } }
            }
            @if !printable.is_empty() {
                p.noprint { "In: "
                    @for (kind, label) in &printable {
                        a.button href={ "/ho-so/" (d.id) "/in/" (form_slug(*kind)) } target="_blank" rel="noopener" { (label) } " "
                    }
                }
            }
        }
        div.grid {
            section.box {
                h2 { "Quá trình giải quyết" }
                table {
                    thead { tr { th { "Bước" } th { "Đơn vị" } th { "Nhận" } th { "Hạn" } th { "Chuyển" } th { "Kết quả" } } }
                    tbody {
                        @for s in &full.steps {
                            @let name = usize::try_from(s.step).ok().and_then(|i| p.steps.get(i)).map_or("", |x| x.name.as_str());
                            tr {
                                td { (s.step + 1) ". " (name) }
                                td { (s.unit_id.map(|u| n.unit(u)).unwrap_or("")) }
                                td { (when(s.started_at)) }
                                td { (when_opt(s.due_at)) }
                                td { (when_opt(s.ended_at)) }
                                td { (step_status(s.status)) }
                            }
                        }
                        @if full.steps.is_empty() { tr { td colspan="6" .muted { "Chưa có bước xử lý." } } }
                    }
                }
                h2 { "Lịch sử" }
                ol.history {
                    @for e in &full.history {
                        li { (when(e.at)) " — " strong { (e.action.label_vi()) } " → " (e.to_state.label_vi())
                            @if e.actor_id.is_some() { " · " (n.user(e.actor_id)) }
                            @if let Some(note) = &e.note { br; span.muted { (note) } } }
                    }
                }
            }
            section.box {
                h2 { "Thành phần hồ sơ" }
                ul.doclist {
                    @for (i, r) in p.required_documents.iter().enumerate() {
                        @let given = d.documents.contains(&u32::try_from(i).unwrap_or(u32::MAX));
                        li { (if given { "☑ " } else { "☐ " }) (r.name) @if !r.mandatory { span.muted { " (nếu có)" } } }
                    }
                }
                h2 { "Tệp đính kèm" }
                ul.doclist {
                    @for doc in &around.documents {
                        li { a href={ "/ho-so/" (d.id) "/tai-lieu/" (doc.id) } target="_blank" rel="noopener" { (doc.filename) }
                            " " span.muted { (doc_kind(doc.kind)) " · " (doc.size_bytes / 1024 + 1) " KB · " (when(doc.uploaded_at)) } }
                    }
                    @if around.documents.is_empty() { li.muted { "Chưa có tệp." } }
                }
                (upload_form(user, d, p))
            }
        }
        @if user.role() == Role::Citizen && d.state == State::Returned {
            section.box.actions {
                h2 { "Đánh giá mức độ hài lòng" }
                form method="post" action={ "/ho-so/" (d.id) "/danh-gia" } {
                    (csrf_field(user))
                    label.check { input type="radio" name="rating" value="satisfied" required; " Hài lòng" }
                    label.check { input type="radio" name="rating" value="not_satisfied"; " Không hài lòng" }
                    label { "Góp ý" textarea name="comment" maxlength="2000" {} }
                    button.primary type="submit" { "Gửi đánh giá" }
                }
            }
        }
        @if !d.allowed_actions.is_empty() {
            section.box.actions {
                h2 { "Xử lý" }
                @for a in &d.allowed_actions {
                    @let kept = failed.as_ref().filter(|f| f.action == *a).map(|f| &f.form);
                    (action_form(user, d, *a, around.staff.iter().find(|(x, _)| x == a).map_or(&[][..], |(_, s)| s), &around.procedure.required_documents, kept))
                }
            }
        }
    };
    Ok(page(status, layout(&Chrome::of(&title, user, ""), body)))
}

fn step_status(s: crate::dossiers::slip::StepStatus) -> &'static str {
    use crate::dossiers::slip::StepStatus as S;
    match s {
        S::Early => "Trước hạn",
        S::OnTime => "Đúng hạn",
        S::Late => "Quá hạn",
        S::WithinTime => "Đang xử lý, còn hạn",
        S::Overdue => "Đang xử lý, quá hạn",
    }
}

fn doc_kind(k: crate::dossiers::documents::DocumentKind) -> &'static str {
    use crate::dossiers::documents::DocumentKind as K;
    match k {
        K::Application => "Hồ sơ nộp",
        K::Supplement => "Bổ sung",
        K::Result => "Kết quả",
    }
}

fn form_slug(k: FormKind) -> &'static str {
    match k {
        FormKind::Receipt => "mau-01",
        FormKind::SupplementRequest => "mau-02",
        FormKind::Refusal => "mau-03",
        FormKind::Apology => "mau-04",
        FormKind::ControlSlip => "mau-06",
    }
}

fn form_of_slug(s: &str) -> Option<FormKind> {
    [
        FormKind::Receipt,
        FormKind::SupplementRequest,
        FormKind::Refusal,
        FormKind::Apology,
        FormKind::ControlSlip,
    ]
    .into_iter()
    .find(|k| form_slug(*k) == s)
}

/// The forms the dossier's history calls for.
fn printable_forms(
    history: &[crate::dossiers::store::Event],
    d: &Dossier,
) -> Vec<(FormKind, &'static str)> {
    let has = |a: Action| history.iter().any(|e| e.action == a);
    let mut out = Vec::new();
    if d.received_at.is_some() {
        out.push((FormKind::Receipt, "Giấy tiếp nhận (Mẫu 01)"));
    }
    if has(Action::RequestSupplement) {
        out.push((FormKind::SupplementRequest, "Yêu cầu bổ sung (Mẫu 02)"));
    }
    if has(Action::Reject) {
        out.push((FormKind::Refusal, "Từ chối (Mẫu 03)"));
    }
    if has(Action::Apologise) {
        out.push((FormKind::Apology, "Xin lỗi, hẹn lại (Mẫu 04)"));
    }
    if d.received_at.is_some() {
        out.push((FormKind::ControlSlip, "Phiếu kiểm soát (Mẫu 06)"));
    }
    out
}

fn upload_form(user: &WebUser, d: &Dossier, p: &VersionContents) -> Markup {
    use crate::dossiers::documents::DocumentKind as K;
    let kind = match (user.role(), d.state) {
        (_, State::SupplementRequested) => Some(K::Supplement),
        (Role::Citizen, State::Submitted) => Some(K::Application),
        (Role::Clerk, State::Submitted | State::Received) => Some(K::Application),
        (Role::Citizen, _) => None,
        (_, State::Resolved | State::InProgress | State::AwaitingApproval) => Some(K::Result),
        _ => None,
    };
    html! {
        @if let Some(kind) = kind {
            form.noprint method="post" enctype="multipart/form-data"
                action={ "/ho-so/" (d.id) "/tai-lieu?_csrf=" (user.csrf) "&_once=" (super::once::token()) "&kind=" (kind.as_str()) } {
                label { "Tải lên (" (doc_kind(kind)) "): PDF, ảnh JPEG/PNG, văn bản"
                    input type="file" name="file" required; }
                @if kind == K::Application {
                    label { "Là thành phần"
                        select name="required_index" {
                            option value="" { "—" }
                            @for (i, r) in p.required_documents.iter().enumerate() { option value=(i) { (r.name) } }
                        }
                    }
                }
                button type="submit" { "Tải lên" }
            }
        }
    }
}

/// The form of one action: the fields it asks for, and its button.
fn action_form(
    user: &WebUser,
    d: &Dossier,
    a: Action,
    staff: &[(Uuid, String, Role)],
    required: &[crate::catalogue::model::RequiredDocument],
    kept: Option<&ActForm>,
) -> Markup {
    let note = kept.and_then(|k| k.note.clone()).unwrap_or_default();
    let confirm = matches!(
        a,
        Action::Reject | Action::Deny | Action::Stop | Action::Withdraw
    )
    .then_some("Xác nhận thao tác này?");
    let note_label = match a {
        Action::RequestSupplement => "Nội dung cần bổ sung (in trên Mẫu 02)",
        Action::Reject => "Lý do từ chối (in trên Mẫu 03)",
        Action::Apologise => "Lý do chậm trễ (in trên Mẫu 04)",
        Action::Deny | Action::Stop | Action::Withdraw => "Lý do",
        _ => "Ghi chú",
    };
    html! {
        form method="post" action={ "/ho-so/" (d.id) "/xu-ly/" (a.as_str()) } data-confirm=[confirm] {
            (csrf_field(user))
            input type="hidden" name="expected_version" value=(d.version);
            @if matches!(a, Action::Assign | Action::Advance) && !staff.is_empty() {
                label { "Giao cho"
                    select name="assignee_id" {
                        option value="" { "— để đơn vị tự phân công —" }
                        @for (id, name, role) in staff {
                            option value=(id) selected[kept.and_then(|k| k.assignee_id) == Some(*id)] { (name) " (" (role.label_vi()) ")" }
                        }
                    }
                }
            }
            @if a == Action::RequestPayment {
                label { "Số tiền (đồng; để trống: theo mức phí công bố)"
                    input type="number" name="amount_vnd" min="0" step="1000" value=[kept.and_then(|k| k.amount_vnd)]; }
            }
            // Receiving an online filing: the paper the applicant brought, for Mẫu 01.
            @if a == Action::Receive && !d.documents.is_empty() {
                fieldset.quantities {
                    legend { "Số lượng giấy tờ nhận tại quầy (để 0 nếu người nộp không mang bản giấy)" }
                    @for (k, i) in d.documents.iter().enumerate() {
                        @let name = required.get(*i as usize).map_or("", |r| r.name.as_str());
                        div.document {
                            input type="hidden" name="q_index" value=(i);
                            span.name { (name) }
                            span.qty {
                                label { "Bản chính " input type="number" name="originals" min="0" max="99"
                                    value=(kept.and_then(|f| f.originals.get(k).cloned()).unwrap_or_else(|| "0".to_owned())); }
                                label { "Bản sao " input type="number" name="copies" min="0" max="99"
                                    value=(kept.and_then(|f| f.copies.get(k).cloned()).unwrap_or_else(|| "0".to_owned())); }
                            }
                        }
                    }
                }
            }
            @if a == Action::Pay {
                label { "Hình thức nộp"
                    select name="payment_channel" { option value="desk" { "Tại quầy" } option value="online" { "Trực tuyến" } } }
            }
            @if a == Action::ReturnResult {
                label { "Hình thức trả"
                    select name="return_channel" { option value="desk" { "Tại quầy" } option value="post" { "Bưu chính" } option value="electronic" { "Điện tử" } } }
            }
            @if a == Action::Apologise {
                label { "Ngày hẹn trả mới (ngày/tháng/năm giờ:phút)"
                    input name="new_due_at" required placeholder="ngày/tháng/năm giờ:phút" inputmode="numeric" autocomplete="off"
                        value=[kept.and_then(|k| k.new_due_at.clone())]; }
            }
            @if a.needs_note() || matches!(a, Action::Advance | Action::SubmitForApproval | Action::Approve) {
                label { (note_label)
                    textarea name="note" required[a.needs_note()] maxlength="2000" { (note) } }
            }
            button type="submit" class=(if matches!(a, Action::Reject | Action::Deny | Action::Stop) { "danger" } else { "primary" }) { (a.label_vi()) }
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct ActForm {
    expected_version: Option<i32>,
    #[serde(default, deserialize_with = "empty_none")]
    note: Option<String>,
    #[serde(default, deserialize_with = "empty_none")]
    assignee_id: Option<Uuid>,
    #[serde(default, deserialize_with = "empty_none")]
    amount_vnd: Option<i64>,
    #[serde(default)]
    payment_channel: Option<PaymentChannel>,
    #[serde(default)]
    return_channel: Option<ReturnChannel>,
    /// `05/02/2025 08:00`, local time.
    #[serde(default, deserialize_with = "empty_none")]
    new_due_at: Option<String>,
    /// `receive`: per document of the dossier (its position), the originals and copies.
    #[serde(default)]
    q_index: Vec<u32>,
    #[serde(default)]
    originals: Vec<String>,
    #[serde(default)]
    copies: Vec<String>,
}

impl ActForm {
    /// The paper counts typed at reception, a field at fault named as the API names it.
    fn quantities(&self) -> Result<Vec<crate::dossiers::store::DocumentQuantity>, AppError> {
        let count = |list: &[String], i: usize, default: u8| -> Result<u8, AppError> {
            match list.get(i).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(v) => v.parse::<u8>().map_err(|_| {
                    AppError::invalid(
                        format!("document_quantities[{i}]"),
                        "Nhập số bản chính và bản sao từ 0 đến 99",
                    )
                }),
            }
        };
        // A document with no paper (left at 0 and 0) is not counted.
        let mut out = Vec::new();
        for (i, index) in self.q_index.iter().enumerate() {
            let q = crate::dossiers::store::DocumentQuantity {
                index: *index,
                originals: count(&self.originals, i, 0)?,
                copies: count(&self.copies, i, 0)?,
            };
            if q.originals > 0 || q.copies > 0 {
                out.push(q);
            }
        }
        Ok(out)
    }
}

/// An empty form field is an absent one.
pub fn empty_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A local date and time typed as dd/mm/yyyy HH:MM (as the client shows them, whatever the
/// browser's language), or as `datetime-local` sends it, as an instant.
fn local_instant(field: &str, s: &str) -> Result<DateTime<Utc>, AppError> {
    let s = s.trim();
    chrono::NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .map(crate::calendar::model::to_utc)
        .map_err(|_| {
            AppError::invalid(
                field,
                "Nhập ngày giờ theo dạng ngày/tháng/năm giờ:phút, ví dụ 05/02/2026 08:00",
            )
        })
}

async fn act(
    req: HttpRequest,
    path: web::Path<(Uuid, String)>,
    posted: Posted<ActForm>,
) -> WebResult {
    let state = super::session::state_of(&req)?;
    let (id, action) = path.into_inner();
    let action = Action::parse(&action)
        .filter(|a| !matches!(a, Action::Submit | Action::Transfer))
        .ok_or(AppError::NotFound)?;
    let Posted { user, form, .. } = posted;
    let new_due_at = match form.new_due_at.as_deref() {
        Some(s) => match local_instant("new_due_at", s) {
            Ok(t) => Some(t),
            Err(error) => {
                let failed = Failed {
                    action,
                    error,
                    form,
                };
                return render_dossier(
                    &state,
                    &user,
                    id,
                    Some(failed),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
        None => None,
    };
    let document_quantities = match (action, form.quantities()) {
        (Action::Receive, Ok(q)) => q,
        (Action::Receive, Err(e)) => {
            let failed = Failed {
                action,
                error: e,
                form,
            };
            return render_dossier(
                &state,
                &user,
                id,
                Some(failed),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        _ => Vec::new(),
    };
    let body = ActionBody {
        expected_version: form.expected_version,
        note: form.note.clone(),
        assignee_id: form.assignee_id,
        payment_channel: form.payment_channel,
        amount_vnd: form.amount_vnd,
        return_channel: form.return_channel,
        new_due_at,
        document_quantities,
    };
    match api::act(&state, user.caller.clone(), id, action, body).await {
        Ok(_) => Ok(see_other(&format!("/ho-so/{id}"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::Forbidden)) => {
            let status = actix_web::ResponseError::status_code(&e);
            let failed = Failed {
                action,
                error: e,
                form,
            };
            render_dossier(&state, &user, id, Some(failed), status).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- printed forms

async fn print(req: HttpRequest, user: WebUser, path: web::Path<(Uuid, String)>) -> WebResult {
    print_form(req, &user, path.into_inner())
        .await
        .map_err(|e| e.for_user(&user))
}

async fn print_form(req: HttpRequest, user: &WebUser, path: (Uuid, String)) -> WebResult {
    let user = user.clone();
    let state = super::session::state_of(&req)?;
    let (id, slug) = path;
    let kind = form_of_slug(&slug).ok_or(AppError::NotFound)?;
    let form = api::printed(&state, user.caller.clone(), id, kind).await?;
    if kind == FormKind::ControlSlip {
        let rows = slip_rows(&state, &user, id).await?;
        return Ok(ok(super::citizen::control_slip_page(&form, &rows)));
    }
    let track = format!(
        "{}/tra-cuu?ma={}",
        origin(&req),
        super::urlencode(&form.dossier_code)
    );
    Ok(ok(super::citizen::printed_page(&form, &track)))
}

/// The hand-overs of the control slip: each event that moved the dossier, who handed it over
/// (the actor and their unit), who received it (the unit holding it after), when, and how the
/// step it closed went.
async fn slip_rows(
    state: &AppState,
    user: &WebUser,
    id: Uuid,
) -> Result<Vec<super::citizen::SlipRow>, WebError> {
    let full = api::with_history(state, user.caller.clone(), id).await?;
    let units: Vec<Uuid> = full
        .history
        .iter()
        .flat_map(|e| [e.unit_id, e.holder_unit_id])
        .flatten()
        .collect();
    let actors: Vec<Uuid> = full.history.iter().filter_map(|e| e.actor_id).collect();
    let names = state
        .db
        .read(move |c| view::names(c, units, [], actors))
        .await?;
    let mut rows = Vec::new();
    let mut holder: Option<Uuid> = None;
    for e in &full.history {
        let moved = e.holder_unit_id.is_some() && e.holder_unit_id != holder
            || matches!(
                e.action,
                Action::Receive
                    | Action::Assign
                    | Action::Advance
                    | Action::SubmitForApproval
                    | Action::Approve
                    | Action::Deny
                    | Action::ReturnResult
            );
        if !moved || e.action == Action::Apologise {
            continue;
        }
        let from_unit = e
            .unit_id
            .map(|u| names.unit(u).to_owned())
            .unwrap_or_default();
        let from = match e.actor_id {
            Some(_) => format!("{} ({from_unit})", names.user(e.actor_id)),
            None if e.action == Action::Submit => "Người nộp (trực tuyến)".to_owned(),
            None => from_unit,
        };
        let to = match (e.action, e.holder_unit_id) {
            (Action::ReturnResult, _) => "Người nộp hồ sơ".to_owned(),
            (_, Some(h)) => names.unit(h).to_owned(),
            (_, None) => String::new(),
        };
        let closed = full.steps.iter().find(|s| s.ended_at == Some(e.at));
        rows.push(super::citizen::SlipRow {
            from,
            to,
            at: when(e.at),
            result: closed
                .map(|s| step_status(s.status))
                .unwrap_or("")
                .to_owned(),
        });
        holder = e.holder_unit_id.or(holder);
    }
    Ok(rows)
}

/// `http://host:port` as the browser reached us.
pub fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

// ---------------------------------------------------------------- documents

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(rename = "_once", default)]
    once: Option<String>,
    kind: crate::dossiers::documents::DocumentKind,
}

/// A file from the page's upload form (multipart): checked as the API checks it, stored, and
/// attached; back to the dossier page.
async fn upload(
    req: HttpRequest,
    user: WebUser,
    id: web::Path<Uuid>,
    q: web::Query<UploadQuery>,
    mut form: actix_multipart::Multipart,
) -> WebResult {
    let state = super::session::state_of(&req)?;
    if super::session::cross_site(&req) || !super::session::same_token(&q.csrf, &user.csrf) {
        return Err(WebError::Csrf);
    }
    super::once::guard(&req, user.caller.user_id, q.once.as_deref()).await?;
    let id = id.into_inner();
    let mut required_index = None;
    let mut stored = None;
    let mut filename = None;
    while let Some(field) = form.next().await {
        let field = field
            .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "required_index" => {
                let text = small_field(field).await?;
                required_index = match text.trim() {
                    "" => None,
                    t => Some(t.parse::<u32>().map_err(|_| {
                        AppError::invalid("required_index", "phải là số thứ tự thành phần")
                    })?),
                };
            }
            "file" => {
                filename = field
                    .content_disposition()
                    .and_then(|c| c.get_filename().map(str::to_owned));
                let attach = crate::dossiers::documents::Attach {
                    kind: q.kind,
                    required_index,
                    filename: filename.clone(),
                    digitised: user.role() == Role::Clerk,
                };
                let who = user.caller.clone();
                state
                    .db
                    .read(move |c| {
                        crate::dossiers::documents::check(c, &who, id, &attach).map(|_| ())
                    })
                    .await?;
                stored = Some(state.blobs.put(field, state.request_timeout).await?);
            }
            _ => {
                small_field(field).await?;
            }
        }
    }
    let stored = stored.ok_or_else(|| AppError::invalid("file", "chọn một tệp để tải lên"))?;
    let attach = crate::dossiers::documents::Attach {
        kind: q.kind,
        required_index,
        filename,
        digitised: user.role() == Role::Clerk,
    };
    let caller = user.caller.clone();
    state
        .db
        .write(move |c| {
            crate::dossiers::documents::attach(
                c,
                &caller,
                id,
                &attach,
                &stored,
                crate::dossiers::store::now_instant().naive_utc(),
            )
        })
        .await?;
    Ok(see_other(&format!("/ho-so/{id}")))
}

/// A short text field of a multipart form (at most 1 KiB).
async fn small_field(mut field: actix_multipart::Field) -> Result<String, AppError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk
            .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?;
        out.extend_from_slice(&chunk);
        if out.len() > 1024 {
            return Err(AppError::PayloadTooLarge(1024));
        }
    }
    String::from_utf8(out).map_err(|_| AppError::BadRequest("a form field is not UTF-8".to_owned()))
}

/// Opens an attached file in the browser (PDF and images show inline), audited.
async fn download(req: HttpRequest, user: WebUser, path: web::Path<(Uuid, Uuid)>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let (id, doc_id) = path.into_inner();
    let reader = user.caller.clone();
    let caller = user.caller.clone();
    let doc = state
        .db
        .read(move |c| {
            crate::dossiers::service::load_visible(c, &caller, id)?;
            crate::dossiers::documents::get(c, id, doc_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    api::audited(
        &state,
        reader,
        crate::audit::Access::DownloadDocument,
        id,
        Some(doc_id),
    )
    .await?;
    let file_path = state.blobs.path_of(&doc.sha256).ok_or(AppError::NotFound)?;
    let file = actix_files::NamedFile::open_async(&file_path)
        .await
        .map_err(AppError::internal)?;
    let media_type = doc
        .media_type
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    let inline = doc.media_type == "application/pdf" || doc.media_type.starts_with("image/");
    let ascii: String = doc
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = file
        .set_content_type(media_type)
        .set_content_disposition(ContentDisposition {
            disposition: if inline {
                DispositionType::Inline
            } else {
                DispositionType::Attachment
            },
            parameters: vec![DispositionParam::Filename(ascii)],
        })
        .into_response(&req);
    let headers = res.headers_mut();
    use actix_web::http::header;
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        ),
    );
    Ok(res)
}

// ---------------------------------------------------------------- desk intake

#[derive(Deserialize)]
pub struct IntakeQuery {
    q: Option<String>,
    #[serde(rename = "thu-tuc")]
    procedure: Option<String>,
}

/// What the clerk typed, kept when the intake is refused.
#[derive(Debug, Default, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    procedure_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    citizen_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    documents: Vec<u32>,
    /// Originals and copies handed in, one field of each per required document, in order.
    #[serde(default)]
    originals: Vec<String>,
    #[serde(default)]
    copies: Vec<String>,
}

impl IntakeForm {
    /// The count typed at position `i` of `list`, or `default` (blank or absent).
    fn count(list: &[String], i: usize, default: u8) -> Result<u8, ()> {
        match list.get(i).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s.parse().map_err(|_| ()),
        }
    }

    /// The quantities of the ticked documents (one original each unless typed otherwise).
    fn quantities(&self) -> Result<Vec<DocumentQuantity>, AppError> {
        let bad = || AppError::invalid("document_quantities", "số bản là số từ 0 đến 99");
        self.documents
            .iter()
            .map(|&index| {
                let i = usize::try_from(index).unwrap_or(usize::MAX);
                Ok(DocumentQuantity {
                    index,
                    originals: Self::count(&self.originals, i, 1).map_err(|()| bad())?,
                    copies: Self::count(&self.copies, i, 0).map_err(|()| bad())?,
                })
            })
            .collect()
    }
}

/// A procedure page's summary line from the catalogue's index.
#[derive(Deserialize)]
pub struct Listed {
    pub code: String,
    pub name: String,
    pub field: String,
    pub processing_days: Option<f64>,
    pub online_level: crate::catalogue::model::OnlineLevel,
}

/// Procedures whose code, name or field hold the words (diacritics ignored).
pub async fn find_procedures(
    state: &AppState,
    q: &str,
    per_page: u32,
) -> Result<(Vec<Listed>, usize), AppError> {
    crate::http::check_query_text("q", Some(q))?;
    let index = state.catalogue.get(&state.db).await?;
    let filter = crate::catalogue::store::ProcedureFilter {
        q: Some(q.to_owned()),
        field: None,
        level: None,
        online_level: None,
        include_inactive: false,
    };
    let paging = crate::http::PageParams {
        page: Some(1),
        per_page: Some(per_page),
    }
    .paging()?;
    let (items, total) = index.search(&filter, paging);
    let listed = items
        .into_iter()
        .filter_map(|j| serde_json::from_str::<Listed>(j).ok())
        .collect();
    Ok((listed, total))
}

async fn intake_page(req: HttpRequest, user: WebUser, q: web::Query<IntakeQuery>) -> WebResult {
    user.caller
        .require(&[Role::Clerk])
        .map_err(WebError::from)?;
    let state = super::session::state_of(&req)?;
    let q = q.into_inner();
    if let Some(code) = q.procedure.filter(|c| !c.trim().is_empty()) {
        let form = IntakeForm {
            procedure_code: code,
            channel: "desk".to_owned(),
            ..IntakeForm::default()
        };
        return intake_form(&state, &user, form, None, StatusCode::OK).await;
    }
    let text = q.q.unwrap_or_default();
    let (found, total) = if text.trim().is_empty() {
        (Vec::new(), 0)
    } else {
        find_procedures(&state, &text, 20).await?
    };
    Ok(ok(layout(
        &Chrome::of("Tiếp nhận hồ sơ", &user, "intake"),
        html! {
            h1 { "Tiếp nhận hồ sơ tại quầy" }
            form.filters method="get" action="/tiep-nhan" {
                label { "Tìm thủ tục (gõ không dấu cũng được)"
                    input type="search" name="q" value=(text) placeholder="vd: khai sinh" data-autosubmit="1" autocomplete="off"; }
                button type="submit" { "Tìm" }
            }
            @if !text.trim().is_empty() {
                p.muted { (total) " thủ tục" }
                table {
                    thead { tr { th { "Mã" } th { "Tên thủ tục" } th { "Lĩnh vực" } th.num { "Thời hạn" } } }
                    tbody {
                        @for p in &found {
                            tr {
                                td { (p.code) }
                                td { a href={ "/tiep-nhan?thu-tuc=" (super::urlencode(&p.code)) } { (p.name) } }
                                td { (p.field) }
                                td.num { (p.processing_days.map(|d| format!("{d} ngày")).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        },
    )))
}

/// The intake form for one procedure: its documents to tick, its fees, and the due date a
/// receipt issued now would carry.
async fn intake_form(
    state: &AppState,
    user: &WebUser,
    form: IntakeForm,
    error: Option<AppError>,
    status: StatusCode,
) -> WebResult {
    let code = form.procedure_code.clone();
    let unit = user.caller.unit_id;
    let (procedure, unit) = state
        .db
        .read(move |c| {
            let p = crate::catalogue::store::by_code(c, &code, None)?.ok_or(AppError::NotFound)?;
            let unit = match unit {
                Some(u) => crate::units::store::get(c, u)?,
                None => None,
            };
            Ok((p, unit))
        })
        .await?;
    let cals = state.calendar.get(&state.db).await?;
    let cal = unit
        .as_ref()
        .map_or(cals.base(), |u| cals.for_path(&u.path));
    let now = state.now();
    let due = crate::dossiers::service::allowance(&procedure, Channel::Desk)
        .ok()
        .and_then(|a| cal.due_at(now, a.days, a.unit).ok());
    let p = &procedure;
    let fees: i64 = p.fees.iter().filter_map(|f| f.amount_vnd).sum();
    let field_errors: Vec<(String, String)> = match &error {
        Some(AppError::Validation(errs)) => errs
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let err_of = |f: &str| {
        field_errors
            .iter()
            .find(|(k, _)| k == f || k.strip_prefix(f).is_some_and(|r| r.starts_with('[')))
            .map(|(_, m)| m.clone())
    };
    // Each field at fault: its anchor and label, for the summary at the top.
    let labelled = |f: &str| -> (&'static str, &'static str) {
        match f.split('[').next().unwrap_or(f) {
            "applicant.name" => ("f-name", "Họ tên người nộp"),
            "applicant.citizen_id" => ("f-citizen-id", "Số CCCD"),
            "applicant.phone" => ("f-phone", "Số điện thoại"),
            "applicant.address" => ("f-address", "Địa chỉ"),
            "channel" => ("f-channel", "Hình thức nộp"),
            _ => ("f-documents", "Thành phần hồ sơ"),
        }
    };
    let summary: Vec<(String, String)> = field_errors
        .iter()
        .map(|(f, m)| {
            let (id, label) = labelled(f);
            (
                id.to_owned(),
                format!("{label}: {}", crate::i18n::detail(m)),
            )
        })
        .collect();
    let invalid = |f: &str| err_of(f).is_some().then_some("true");
    let body = html! {
        h1 { "Tiếp nhận: " (p.summary.name) }
        @if !summary.is_empty() {
            (super::error_summary(&summary))
        } @else if let Some(e) = &error {
            section.notice.error role="alert" { strong { (super::error_title(e)) } p { (super::error_detail(e)) } }
        }
        div.grid {
            section.box {
                dl.facts {
                    dt { "Mã thủ tục" } dd { (p.summary.code) }
                    dt { "Lĩnh vực" } dd { (p.summary.field) }
                    dt { "Thời hạn giải quyết" } dd { (p.summary.processing_days.map(|d| format!("{d} ngày làm việc")).unwrap_or_else(|| "chưa công bố".to_owned())) }
                    dt { "Hẹn trả nếu tiếp nhận bây giờ" } dd id="due" { strong { (due.map(crate::dossiers::forms::vietnamese_instant).unwrap_or_else(|| "—".to_owned())) } }
                    dt { "Phí, lệ phí" } dd id="fees" {
                        @if p.fees.is_empty() { "Không" }
                        @for f in &p.fees { (f.description) br; }
                        @if fees > 0 { strong { "Tổng: " (super::money(fees)) } }
                    }
                }
            }
            section.box {
                form method="post" action="/tiep-nhan" {
                    (csrf_field(user))
                    input type="hidden" name="procedure_code" value=(p.summary.code);
                    label for="f-name" { "Họ tên người nộp" }
                    input id="f-name" name="name" value=(form.name) required maxlength="200" autocomplete="off"
                        aria-invalid=[invalid("applicant.name")] aria-describedby=[invalid("applicant.name").map(|_| "e-name")];
                    @if let Some(m) = err_of("applicant.name") { p.error id="e-name" { (crate::i18n::detail(&m)) } }
                    label for="f-citizen-id" { "Số CCCD (12 số)" }
                    input id="f-citizen-id" name="citizen_id" value=(form.citizen_id) inputmode="numeric" maxlength="12" autocomplete="off"
                        aria-invalid=[invalid("applicant.citizen_id")] aria-describedby=[invalid("applicant.citizen_id").map(|_| "e-citizen-id")];
                    @if let Some(m) = err_of("applicant.citizen_id") { p.error id="e-citizen-id" { (crate::i18n::detail(&m)) } }
                    label for="f-phone" { "Số điện thoại" }
                    input id="f-phone" name="phone" value=(form.phone) inputmode="tel" autocomplete="off"
                        aria-invalid=[invalid("applicant.phone")] aria-describedby=[invalid("applicant.phone").map(|_| "e-phone")];
                    @if let Some(m) = err_of("applicant.phone") { p.error id="e-phone" { (crate::i18n::detail(&m)) } }
                    label for="f-address" { "Địa chỉ" }
                    input id="f-address" name="address" value=(form.address) maxlength="500" autocomplete="off";
                    label { "Hình thức nộp"
                        select id="f-channel" name="channel" {
                            option value="desk" selected[form.channel != "post"] { "Trực tiếp tại quầy" }
                            option value="post" selected[form.channel == "post"] { "Qua bưu chính" }
                        }
                    }
                    fieldset id="f-documents" tabindex="-1" {
                        legend { "Thành phần hồ sơ đã nhận" }
                        @for (k, r) in p.required_documents.iter().enumerate() {
                            @let i = u32::try_from(k).unwrap_or(u32::MAX);
                            div.document {
                                label.check { input type="checkbox" name="documents" value=(i) checked[form.documents.contains(&i)];
                                    " " (r.name) @if r.mandatory { " *" } }
                                span.qty {
                                    label { "Bản chính " input type="number" name="originals" min="0" max="99" value=(form.originals.get(k).map_or("1", String::as_str)); }
                                    label { "Bản sao " input type="number" name="copies" min="0" max="99" value=(form.copies.get(k).map_or("0", String::as_str)); }
                                }
                            }
                        }
                        @if let Some(m) = err_of("documents") { p.error { (crate::i18n::detail(&m)) } }
                        @if let Some(m) = err_of("document_quantities") { p.error { (crate::i18n::detail(&m)) } }
                    }
                    button.primary type="submit" { "Tiếp nhận và cấp giấy hẹn" }
                }
            }
        }
    };
    Ok(page(
        status,
        layout(&Chrome::of("Tiếp nhận hồ sơ", user, "intake"), body),
    ))
}

async fn intake(req: HttpRequest, posted: Posted<IntakeForm>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let Posted { user, form, .. } = posted;
    user.caller
        .require(&[Role::Clerk])
        .map_err(WebError::from)?;
    let opt = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_owned())
    };
    let document_quantities = match form.quantities() {
        Ok(q) => q,
        Err(e) => {
            let status = actix_web::ResponseError::status_code(&e);
            return intake_form(&state, &user, form, Some(e), status).await;
        }
    };
    let input = IntakeDossier {
        procedure_code: form.procedure_code.clone(),
        resolving_unit_id: None,
        channel: if form.channel == "post" {
            Channel::Post
        } else {
            Channel::Desk
        },
        applicant: ApplicantInput {
            name: form.name.clone(),
            citizen_id: opt(&form.citizen_id),
            phone: opt(&form.phone),
            address: opt(&form.address),
        },
        documents: form.documents.clone(),
        document_quantities,
    };
    match api::take_in(&state, user.caller.clone(), input).await {
        Ok(d) => Ok(see_other(&format!("/ho-so/{}", d.id))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = actix_web::ResponseError::status_code(&e);
            intake_form(&state, &user, form, Some(e), status).await
        }
        Err(e) => Err(e.into()),
    }
}
