//! The citizen's pages — the catalogue, a procedure's page, filing online, their own dossiers,
//! rating — the public tracking page behind the receipt's QR code, and the printed forms.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use super::view::{self, when, when_opt};
use super::{
    csrf_field, layout, ok, page, see_other, Chrome, MaybeUser, Posted, WebResult, WebUser,
};
use crate::accounts::model::Role;
use crate::catalogue::model::OnlineLevel;
use crate::dossiers::forms::{Form, FormKind};
use crate::error::AppError;
use crate::services::dossiers as service;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/thu-tuc", web::get().to(catalogue))
        .route("/thu-tuc/{code}", web::get().to(procedure))
        .route("/thu-tuc/{code}/nop", web::post().to(file))
        .route("/cua-toi", web::get().to(mine))
        .route("/tra-cuu", web::get().to(track))
        .route("/ho-so/{id}/danh-gia", web::post().to(rate));
}

pub fn online_vi(l: OnlineLevel) -> &'static str {
    match l {
        OnlineLevel::Full => "Trực tuyến toàn trình",
        OnlineLevel::Partial => "Trực tuyến một phần",
        OnlineLevel::None => "Chưa cung cấp trực tuyến",
    }
}

#[derive(Deserialize)]
pub struct CatalogueQuery {
    q: Option<String>,
}

async fn catalogue(req: HttpRequest, user: MaybeUser, q: web::Query<CatalogueQuery>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let text = q.q.clone().unwrap_or_default();
    let (found, total) = super::desk::find_procedures(&state, &text, 30).await?;
    let chrome = match &user.0 {
        Some(u) => Chrome::of("Thủ tục hành chính", u, "catalogue"),
        None => Chrome::bare("Thủ tục hành chính"),
    };
    Ok(ok(layout(
        &chrome,
        html! {
            h1 { "Thủ tục hành chính" }
            form.filters method="get" action="/thu-tuc" {
                label { "Tìm theo tên, mã hoặc lĩnh vực (không cần dấu)"
                    input type="search" name="q" value=(text) placeholder="vd: dang ky khai sinh"; }
                button type="submit" { "Tìm" }
            }
            p.muted { (total) " thủ tục" }
            table {
                thead { tr { th { "Mã" } th { "Tên thủ tục" } th { "Lĩnh vực" } th { "Mức độ" } } }
                tbody {
                    @for p in &found {
                        tr {
                            td { (p.code) }
                            td { a href={ "/thu-tuc/" (super::urlencode(&p.code)) } { (p.name) } }
                            td { (p.field) }
                            td { (online_vi(p.online_level)) }
                        }
                    }
                }
            }
        },
    )))
}

async fn procedure(req: HttpRequest, user: MaybeUser, code: web::Path<String>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let code = code.into_inner();
    crate::http::check_query_text("code", Some(&code))?;
    let p = state
        .db
        .read(move |c| crate::catalogue::store::by_code(c, &code, None))
        .await?
        .filter(|p| p.summary.active)
        .ok_or(AppError::NotFound)?;
    let u = user.0.as_ref();
    // Where a citizen may file: the units that handle it, at their levels.
    let desks = match u {
        Some(u) if u.role() == Role::Citizen && p.summary.online_level != OnlineLevel::None => {
            let levels = p.summary.levels.clone();
            state
                .db
                .read(move |c| {
                    let today = crate::calendar::model::local_today();
                    Ok(crate::units::store::all(c)?
                        .into_iter()
                        .filter(|u| u.valid_on(today) && levels.contains(&u.level))
                        .map(|u| (u.id, u.name))
                        .collect::<Vec<_>>())
                })
                .await?
        }
        _ => Vec::new(),
    };
    let chrome = match u {
        Some(u) => Chrome::of(&p.summary.name, u, "catalogue"),
        None => Chrome::bare(&p.summary.name),
    };
    Ok(ok(layout(
        &chrome,
        html! {
            h1 { (p.summary.name) }
            div.grid {
                section.box {
                    dl.facts {
                        dt { "Mã thủ tục" } dd { (p.summary.code) }
                        dt { "Lĩnh vực" } dd { (p.summary.field) }
                        dt { "Cơ quan thực hiện" } dd { (p.summary.agency) }
                        dt { "Thời hạn giải quyết" } dd { (p.summary.processing_days.map(|d| format!("{d} ngày làm việc")).unwrap_or_else(|| "chưa công bố".to_owned())) }
                        dt { "Mức độ trực tuyến" } dd { (online_vi(p.summary.online_level)) }
                        dt { "Phí, lệ phí" } dd { @if p.fees.is_empty() { "Không" } @for f in &p.fees { (f.description) br; } }
                    }
                    h2 { "Thành phần hồ sơ" }
                    ol { @for r in &p.required_documents { li { (r.name) @if !r.mandatory { span.muted { " (nếu có)" } } } } }
                    @if !p.steps.is_empty() {
                        h2 { "Trình tự thực hiện" }
                        ol { @for s in &p.steps { li { (s.name) " (" (s.share_percent) "% thời gian)" } } }
                    }
                }
                @if let Some(u) = u.filter(|u| u.role() == Role::Citizen) {
                    section.box {
                        h2 { "Nộp hồ sơ trực tuyến" }
                        @if desks.is_empty() {
                            p.muted { "Thủ tục này chưa nhận hồ sơ trực tuyến." }
                        } @else {
                            form method="post" action={ "/thu-tuc/" (super::urlencode(&p.summary.code)) "/nop" } {
                                (csrf_field(u))
                                label { "Nộp tại"
                                    select name="unit_id" required {
                                        @for (id, name) in &desks { option value=(id) { (name) } }
                                    }
                                }
                                fieldset {
                                    legend { "Giấy tờ sẽ nộp (tải lên ở bước sau)" }
                                    @for (i, r) in p.required_documents.iter().enumerate() {
                                        label.check { input type="checkbox" name="documents" value=(i) checked[r.mandatory]; " " (r.name) }
                                    }
                                }
                                button.primary type="submit" { "Nộp hồ sơ" }
                            }
                        }
                    }
                }
                @if u.is_none() && p.summary.online_level != OnlineLevel::None {
                    section.box { p { a href={ "/dang-nhap?next=/thu-tuc/" (super::urlencode(&p.summary.code)) } { "Đăng nhập" } " để nộp hồ sơ trực tuyến." } }
                }
            }
        },
    )))
}

#[derive(Deserialize)]
pub struct FileForm {
    unit_id: uuid::Uuid,
    #[serde(default)]
    documents: Vec<u32>,
}

async fn file(req: HttpRequest, code: web::Path<String>, posted: Posted<FileForm>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let Posted { user, form, once } = posted;
    let input = service::FileDossier {
        procedure_code: code.into_inner(),
        unit_id: form.unit_id,
        resolving_unit_id: None,
        documents: form.documents,
    };
    // The form's one-time token is the filing's idempotency key too.
    let (d, _) = service::file(&state, user.caller.clone(), input, once).await?;
    Ok(see_other(&format!("/ho-so/{}", d.id)))
}

async fn mine(req: HttpRequest, user: WebUser) -> WebResult {
    let state = super::session::state_of(&req)?;
    let listed = service::mine(
        &state,
        user.caller.clone(),
        service::MineQuery {
            page: Some(1),
            per_page: Some(100),
        },
    )
    .await?;
    let items = listed.items;
    let names = view::read_names(&state, &items).await?;
    let cals = state.calendar.get(&state.db).await?;
    Ok(ok(layout(
        &Chrome::of("Hồ sơ của tôi", &user, "mine"),
        html! {
            h1 { "Hồ sơ của tôi" }
            p { a.button.primary href="/thu-tuc" { "Nộp hồ sơ mới" } }
            (view::dossier_table(&items, &names, cals.base(), state.now()))
        },
    )))
}

#[derive(Deserialize)]
pub struct RateForm {
    rating: crate::dossiers::store::Rating,
    #[serde(default, deserialize_with = "super::desk::empty_none")]
    comment: Option<String>,
}

async fn rate(req: HttpRequest, id: web::Path<uuid::Uuid>, posted: Posted<RateForm>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let id = id.into_inner();
    let Posted { user, form, .. } = posted;
    service::rate_dossier(&state, user.caller.clone(), id, form.rating, form.comment).await?;
    Ok(see_other(&format!("/ho-so/{id}")))
}

#[derive(Deserialize)]
pub struct TrackQuery {
    ma: Option<String>,
}

/// Anyone with a receipt's code (typed, or from its QR code) sees where the dossier is: no
/// names, numbers or notes.
async fn track(req: HttpRequest, user: MaybeUser, q: web::Query<TrackQuery>) -> WebResult {
    let state = super::session::state_of(&req)?;
    let code = q.ma.clone().unwrap_or_default().trim().to_owned();
    let found = if code.is_empty() {
        None
    } else {
        match service::tracking(&state, &req, code.clone()).await {
            Ok(t) => Some(Ok(t)),
            Err(AppError::NotFound | AppError::BadRequest(_)) => Some(Err(())),
            Err(e) => return Err(e.into()),
        }
    };
    let chrome = match &user.0 {
        Some(u) => Chrome::of("Tra cứu hồ sơ", u, "track"),
        None => Chrome::bare("Tra cứu hồ sơ"),
    };
    let status = if matches!(found, Some(Err(()))) {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok(page(
        status,
        layout(
            &chrome,
            html! {
                h1 { "Tra cứu hồ sơ" }
                form.filters method="get" action="/tra-cuu" {
                    label { "Mã hồ sơ (trên giấy tiếp nhận)" input name="ma" value=(code) required; }
                    button type="submit" { "Tra cứu" }
                }
                @match &found {
                    Some(Ok(t)) => {
                        section.box {
                            h2 { "Hồ sơ " (t.code) }
                            dl.facts {
                                dt { "Thủ tục" } dd { (t.procedure_name) }
                                dt { "Tình trạng" } dd id="state" { strong { (t.state.label_vi()) } }
                                dt { "Tiếp nhận" } dd { (when_opt(t.received_at)) }
                                dt { "Hẹn trả" } dd { (when_opt(t.due_at)) @if let Some(s) = t.due_session { " (buổi " (s) ")" } }
                                @if let Some(r) = t.resolved_at { dt { "Có kết quả" } dd { (when(r)) } }
                            }
                            h2 { "Các bước" }
                            ol { @for s in &t.history { li { (when(s.at)) " — " (s.action.label_vi()) " → " (s.to_state.label_vi()) } } }
                        }
                    }
                    Some(Err(())) => { p.error role="alert" { "Không tìm thấy hồ sơ có mã này." } }
                    None => {}
                }
            },
        ),
    ))
}

// ---------------------------------------------------------------- printed forms

/// The receipt's QR code: the public tracking link, as SVG.
fn qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::new(link.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(110, 110)
            .quiet_zone(false)
            .build(),
    )
}

/// "UBND PHƯỜNG BẾN NGHÉ": the issuing body's first line.
fn issuer(unit_name: &str) -> String {
    format!("UBND {}", unit_name.to_uppercase())
}

/// A printed form as the law lays it out (Thông tư 01/2018/TT-VPCP), ready for A4: the
/// issuing body on two lines beside the national motto, the title, the form's lines, its
/// items, the signature blocks and, on the receipt, the QR code of the tracking link.
pub fn printed_page(f: &Form, track_link: &str) -> Markup {
    let qr = (f.kind == FormKind::Receipt)
        .then(|| qr_svg(track_link))
        .flatten();
    paper(
        f,
        true,
        html! {
                    p.number { (f.number) }
                    h1 { (f.title) }
                    table.lines {
                        @for l in &f.lines { tr { th { (l.label) } td { (l.value) } } }
                    }
                    @if let Some(h) = &f.items_heading {
                        h2 { (h) }
                        table.items {
                            @if f.quantities.is_empty() {
                                thead { tr { th { "TT" } th { "Nội dung" } } }
                                tbody { @for (i, item) in f.items.iter().enumerate() { tr { td.num { (i + 1) } td { (item) } } } }
                            } @else {
                                thead { tr { th { "TT" } th { "Tên giấy tờ" } th { "Số lượng" } } }
                                tbody {
                                    @for (i, (item, n)) in f.items.iter().zip(&f.quantities).enumerate() {
                                        tr { td.num { (i + 1) } td { (item) } td.count { (n) } }
                                    }
                                }
                            }
                        }
                    }
                    // The closing line, the signatures and the QR print on one page, with the
                    // last lines of the list before them (never alone on a page of their own).
                    div.finish {
                        p.closing { (f.closing) }
                        table.signatures {
                            tr {
                                td { strong { "NGƯỜI NỘP HỒ SƠ" } br; em { "(Ký và ghi rõ họ tên)" } div.space {} (f.applicant_name) }
                                td { strong { "NGƯỜI TIẾP NHẬN HỒ SƠ" } br; em { "(Ký và ghi rõ họ tên)" } div.space {} (f.officer_name.as_deref().unwrap_or("")) }
                            }
                        }
                        @if let Some(svg) = qr {
                            div.qr { (super::trusted(svg)) p { "Quét mã để tra cứu: " br; (track_link) } }
                        }
                    }
        },
    )
}

/// Mẫu 06 as the law draws it: a row per hand-over — who handed over, who received, when, how
/// the step went — with signature cells.
pub fn control_slip_page(f: &Form, rows: &[SlipRow]) -> Markup {
    paper(
        f,
        false,
        html! {
                    p.number { (f.number) }
                    h1 { (f.title) }
                    table.lines { @for l in &f.lines { tr { th { (l.label) } td { (l.value) } } } }
                    table.slip {
                        thead { tr {
                            th { "TÊN CƠ QUAN / NGƯỜI GIAO, NHẬN" } th { "THỜI GIAN GIAO, NHẬN HỒ SƠ" }
                            th { "KẾT QUẢ GIẢI QUYẾT" } th { "KÝ (BÊN GIAO)" } th { "KÝ (BÊN NHẬN)" }
                        } }
                        tbody {
                            @for (i, r) in rows.iter().enumerate() {
                                tr {
                                    td { (i + 1) ". Giao: " (r.from) br; "Nhận: " (r.to) }
                                    td { (r.at) }
                                    td { (r.result) }
                                    td.sign {} td.sign {}
                                }
                            }
                        }
                    }
                    p.closing { (f.closing) }
        },
    )
}

/// The page every printed form is on: A4, the issuing body on two lines beside the national
/// motto (and, with `code_row`, the dossier's code and the date), then `body`.
fn paper(f: &Form, code_row: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                title { (f.title) " – " (f.dossier_code) }
                link rel="stylesheet" href=(super::assets::css_path());
                script src=(super::assets::js_path()) defer {}
            }
            body.paper {
                p.noprint { button.primary type="button" data-print="1" { "In" } }
                table.head {
                    tr {
                        td.issuer { span.nowrap { (issuer(&f.unit_name)) } br; strong.nowrap { "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" } div.rule {} }
                        td.motto { strong.nowrap { "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" } br; strong.nowrap.underline { "Độc lập - Tự do - Hạnh phúc" } }
                    }
                    @if code_row {
                        tr {
                            td { "Mã hồ sơ: " (f.dossier_code) }
                            td.place { em { (crate::dossiers::forms::vietnamese_date(f.issued_at)) } }
                        }
                    }
                }
                (body)
            }
        }
    }
}

/// One hand-over on the control slip.
pub struct SlipRow {
    pub from: String,
    pub to: String,
    pub at: String,
    pub result: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuing_body_is_the_units_council_in_capitals() {
        assert_eq!(issuer("Phường Bến Nghé"), "UBND PHƯỜNG BẾN NGHÉ");
        assert_eq!(issuer("Xã Đồng Tâm"), "UBND XÃ ĐỒNG TÂM");
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg("http://localhost:8080/tra-cuu?ma=H12.34-250101-0001").unwrap_or_default();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("<path") || svg.contains("<rect"), "{svg}");
    }
}
