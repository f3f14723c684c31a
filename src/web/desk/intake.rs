//! Desk intake: the procedure search, the form with its documents and fees, the receipt.

use super::*;

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

pub(super) async fn intake_page(
    req: HttpRequest,
    user: WebUser,
    q: web::Query<IntakeQuery>,
) -> WebResult {
    user.caller
        .require(&[Role::Clerk])
        .map_err(WebError::from)?;
    let state = crate::web::session::state_of(&req)?;
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
                                td { a href={ "/tiep-nhan?thu-tuc=" (crate::web::urlencode(&p.code)) } { (p.name) } }
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
pub(super) async fn intake_form(
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
            (crate::web::error_summary(&summary))
        } @else if let Some(e) = &error {
            section.notice.error role="alert" { strong { (crate::web::error_title(e)) } p { (crate::web::error_detail(e)) } }
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
                        @if fees > 0 { strong { "Tổng: " (crate::web::money(fees)) } }
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

pub(super) async fn intake(req: HttpRequest, posted: Posted<IntakeForm>) -> WebResult {
    let state = crate::web::session::state_of(&req)?;
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
    match service::take_in(&state, user.caller.clone(), input).await {
        Ok(d) => Ok(see_other(&format!("/ho-so/{}", d.id))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = actix_web::ResponseError::status_code(&e);
            intake_form(&state, &user, form, Some(e), status).await
        }
        Err(e) => Err(e.into()),
    }
}
