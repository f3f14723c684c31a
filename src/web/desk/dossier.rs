//! The dossier page: header, timeline, documents and exactly the actions the rules allow now.

use super::*;

// ---------------------------------------------------------------- the dossier page

/// What the page shows when an action failed: which, why, and what was typed.
pub(super) struct Failed {
    action: Action,
    error: AppError,
    form: ActForm,
}

pub(super) async fn dossier_page(
    req: HttpRequest,
    user: WebUser,
    id: web::Path<Uuid>,
) -> WebResult {
    let state = crate::web::session::state_of(&req)?;
    render_dossier(&state, &user, id.into_inner(), None, StatusCode::OK)
        .await
        .map_err(|e| e.for_user(&user))
}

/// What the dossier page needs beside the dossier: names, the procedure, the documents and
/// the staff who can be chosen as assignee (read in one go).
pub(super) struct Around {
    names: view::Names,
    procedure: std::sync::Arc<VersionContents>,
    documents: Vec<crate::dossiers::documents::Document>,
    /// Who may be named for the next step, per action (`assign`, `advance`): the staff of
    /// the unit that takes it, which for an advance may be another level's.
    staff: Vec<(Action, Vec<StaffMember>)>,
}

/// A staff member to pick: id, name, role.
pub(super) type StaffMember = (Uuid, String, Role);

pub(super) async fn render_dossier(
    state: &AppState,
    user: &WebUser,
    id: Uuid,
    failed: Option<Failed>,
    status: StatusCode,
) -> WebResult {
    let full = service::with_history(state, user.caller.clone(), id).await?;
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
                strong { (f.action.label_vi()) ": " (crate::web::error_title(&f.error)) }
                p { (crate::web::error_detail(&f.error)) }
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
                @if let Some(fee) = d.fee_vnd { dt { "Phí, lệ phí" } dd { (crate::web::money(fee)) @if d.paid_at.is_some() { " — đã nộp" } } }
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

pub(super) fn step_status(s: crate::dossiers::slip::StepStatus) -> &'static str {
    use crate::dossiers::slip::StepStatus as S;
    match s {
        S::Early => "Trước hạn",
        S::OnTime => "Đúng hạn",
        S::Late => "Quá hạn",
        S::WithinTime => "Đang xử lý, còn hạn",
        S::Overdue => "Đang xử lý, quá hạn",
    }
}

pub(super) fn doc_kind(k: crate::dossiers::documents::DocumentKind) -> &'static str {
    use crate::dossiers::documents::DocumentKind as K;
    match k {
        K::Application => "Hồ sơ nộp",
        K::Supplement => "Bổ sung",
        K::Result => "Kết quả",
    }
}

pub(super) fn form_slug(k: FormKind) -> &'static str {
    match k {
        FormKind::Receipt => "mau-01",
        FormKind::SupplementRequest => "mau-02",
        FormKind::Refusal => "mau-03",
        FormKind::Apology => "mau-04",
        FormKind::ControlSlip => "mau-06",
    }
}

pub(super) fn form_of_slug(s: &str) -> Option<FormKind> {
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
pub(super) fn printable_forms(
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

pub(super) fn upload_form(user: &WebUser, d: &Dossier, p: &VersionContents) -> Markup {
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
                action={ "/ho-so/" (d.id) "/tai-lieu?_csrf=" (user.csrf) "&_once=" (crate::web::once::token()) "&kind=" (kind.as_str()) } {
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
pub(super) fn action_form(
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
/// browser's language), or as `datetime-local` sends it, as an instant.
pub(super) fn local_instant(field: &str, s: &str) -> Result<DateTime<Utc>, AppError> {
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

pub(super) async fn act(
    req: HttpRequest,
    path: web::Path<(Uuid, String)>,
    posted: Posted<ActForm>,
) -> WebResult {
    let state = crate::web::session::state_of(&req)?;
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
    match service::act(&state, user.caller.clone(), id, action, body).await {
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
