//! The printed forms of Thông tư 01/2018/TT-VPCP, in Vietnamese: the receipt and appointment
//! slip (Mẫu 01), the supplement request (Mẫu 02), the refusal (Mẫu 03) and the apology with a
//! new appointment (Mẫu 04). Built from a dossier and its history as data, then rendered as
//! JSON or as a printable HTML page. Pure; no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Action;
use super::slip::{StepSpan, StepStatus};
use super::store::{Dossier, Event};
use crate::calendar::model::{session_name, to_local};
use crate::catalogue::store::ProcedureDetail;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    /// Mẫu 01: giấy tiếp nhận hồ sơ và hẹn trả kết quả.
    Receipt,
    /// Mẫu 02: phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
    SupplementRequest,
    /// Mẫu 03: phiếu từ chối tiếp nhận giải quyết hồ sơ.
    Refusal,
    /// Mẫu 04: phiếu xin lỗi và hẹn lại ngày trả kết quả.
    Apology,
    /// Mẫu 06: phiếu kiểm soát quá trình giải quyết hồ sơ.
    ControlSlip,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormLine {
    pub label: String,
    pub value: String,
}

/// A form as data; the HTML page shows exactly this.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Form {
    pub kind: FormKind,
    /// "Mẫu số 01".
    pub number: &'static str,
    pub title: &'static str,
    pub unit_name: String,
    pub dossier_code: String,
    pub lines: Vec<FormLine>,
    /// Documents received, documents missing, or reasons.
    pub items_heading: Option<String>,
    pub items: Vec<String>,
    /// On the receipt, how many of each item were received ("01 bản chính, 01 bản sao"),
    /// in the order of `items`; empty where the desk recorded none, and on other forms.
    pub quantities: Vec<String>,
    pub closing: String,
    pub issued_at: DateTime<Utc>,
    /// Signs as the applicant.
    pub applicant_name: String,
    /// The officer who received the dossier (Mẫu 01) or issued the form, by name.
    pub officer_name: Option<String>,
}

/// "08 giờ 00 phút, ngày 05 tháng 02 năm 2025 (buổi sáng)".
pub fn vietnamese_instant(t: DateTime<Utc>) -> String {
    let l = to_local(t);
    format!(
        "{} giờ {} phút, {} (buổi {})",
        l.format("%H"),
        l.format("%M"),
        vietnamese_date(t),
        session_name(t)
    )
}

/// "ngày 05 tháng 02 năm 2025".
pub fn vietnamese_date(t: DateTime<Utc>) -> String {
    let l = to_local(t);
    format!(
        "ngày {} tháng {} năm {}",
        l.format("%d"),
        l.format("%m"),
        l.format("%Y")
    )
}

/// "01 bản chính, 02 bản sao" (a zero is left out).
pub fn quantity_text(q: &super::store::DocumentQuantity) -> String {
    let mut parts = Vec::new();
    if q.originals > 0 {
        parts.push(format!("{:02} bản chính", q.originals));
    }
    if q.copies > 0 {
        parts.push(format!("{:02} bản sao", q.copies));
    }
    parts.join(", ")
}

/// The part of a published fee text that applies to `channel`. The national catalogue often
/// writes one text for every way of filing ("Trực tuyến: …; Dịch vụ bưu chính: …; Trực tiếp:
/// …", or one fee per channel); the receipt states the one the applicant used. A text without
/// those heads is whole; one that names only other channels is left out (`None`).
pub fn fee_for_channel(text: &str, channel: super::store::Channel) -> Option<String> {
    use super::store::Channel;
    const HEADS: [(&str, Channel); 3] = [
        ("Trực tuyến:", Channel::Online),
        ("Dịch vụ bưu chính:", Channel::Post),
        ("Trực tiếp:", Channel::Desk),
    ];
    let mut found: Vec<(usize, usize, Channel)> = HEADS
        .iter()
        .filter_map(|(head, c)| text.find(head).map(|at| (at, at + head.len(), *c)))
        .collect();
    found.sort_by_key(|f| f.0);
    if found.is_empty() {
        return Some(text.to_owned());
    }
    let i = found.iter().position(|f| f.2 == channel)?;
    let end = found.get(i + 1).map_or(text.len(), |next| next.0);
    let part = text[found[i].1..end].trim().trim_end_matches(';').trim();
    Some(if part.is_empty() { text } else { part }.to_owned())
}

fn line(label: &str, value: impl Into<String>) -> FormLine {
    FormLine {
        label: label.to_owned(),
        value: value.into(),
    }
}

fn last_event(history: &[Event], action: Action) -> Option<&Event> {
    history.iter().rev().find(|e| e.action == action)
}

fn status_vi(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Early => "trước hạn",
        StepStatus::OnTime => "đúng hạn",
        StepStatus::Late => "quá hạn",
        StepStatus::WithinTime => "đang giải quyết, còn hạn",
        StepStatus::Overdue => "đang giải quyết, đã quá hạn",
    }
}

/// One line of the control slip: the step, who held it, when, its deadline and how it went.
fn slip_item(p: &ProcedureDetail, span: &StepSpan, holder: &str) -> String {
    let name = usize::try_from(span.step)
        .ok()
        .and_then(|i| p.steps.get(i))
        .map_or("", |s| s.name.as_str());
    let mut item = format!(
        "Bước {}. {name} — {holder}: nhận lúc {}",
        span.step + 1,
        vietnamese_instant(span.started_at)
    );
    if let Some(due) = span.due_at {
        item.push_str(&format!("; hạn {}", vietnamese_instant(due)));
    }
    if let Some(end) = span.ended_at {
        item.push_str(&format!("; chuyển lúc {}", vietnamese_instant(end)));
    }
    item.push_str(&format!(" — {}.", status_vi(span.status)));
    item
}

/// Builds a form, or `None` when the dossier's history does not call for it (no receipt
/// before receipt, no refusal unless refused…). `steps` are the control slip's spans with
/// the name of the unit that held each (only the control slip reads them).
pub fn build(
    kind: FormKind,
    d: &Dossier,
    p: &ProcedureDetail,
    (unit_name, resolving_name): (&str, &str),
    history: &[Event],
    steps: &[(StepSpan, String)],
) -> Option<Form> {
    let common = vec![
        line("Mã hồ sơ", d.code.clone()),
        line("Người nộp", d.applicant.name.clone()),
        line(
            "Thủ tục",
            format!("{} ({})", p.summary.name, p.summary.code),
        ),
    ];
    let note = |e: &Event| e.note.clone().unwrap_or_default();
    let mut quantities = Vec::new();
    let (number, title, mut lines, items_heading, items, closing, issued_at) = match kind {
        FormKind::Receipt => {
            let received = d.received_at?;
            let due = d.due_at?;
            let (docs, counts): (Vec<String>, Vec<String>) = d
                .documents
                .iter()
                .filter_map(|i| {
                    let doc = p.required_documents.get(*i as usize)?;
                    let count = d
                        .document_quantities
                        .iter()
                        .find(|q| q.index == *i)
                        .map(quantity_text)
                        .unwrap_or_default();
                    Some((doc.name.clone(), count))
                })
                .unzip();
            if counts.iter().any(|c| !c.is_empty()) {
                quantities = counts;
            }
            let mut lines = Vec::new();
            if let Some(a) = &d.applicant.address {
                lines.push(line("Địa chỉ", a.clone()));
            }
            if let Some(id) = &d.applicant.id_number {
                lines.push(line("Số định danh cá nhân", id.clone()));
            }
            lines.extend([
                line("Nơi tiếp nhận", unit_name.to_owned()),
                line("Đơn vị giải quyết", resolving_name.to_owned()),
                line("Tiếp nhận lúc", vietnamese_instant(received)),
            ]);
            lines.push(line("Ngày hẹn trả kết quả", vietnamese_instant(due)));
            let fees: Vec<String> = p
                .fees
                .iter()
                .filter_map(|f| fee_for_channel(&f.description, d.channel))
                .collect();
            lines.push(line(
                "Phí, lệ phí",
                if fees.is_empty() {
                    "không".to_owned()
                } else {
                    fees.join("; ")
                },
            ));
            if d.calendar_provisional {
                lines.push(line(
                    "Lưu ý",
                    format!(
                        "ngày hẹn trả là dự kiến: lịch nghỉ lễ năm {} chưa được công bố, ngày hẹn có thể thay đổi",
                        crate::calendar::model::to_local(due).format("%Y")
                    ),
                ));
            }
            if let Some(phone) = &d.applicant.phone {
                lines.push(line("Số điện thoại", phone.clone()));
            }
            (
                "Mẫu số 01",
                "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                lines,
                Some(format!("Thành phần hồ sơ đã nhận ({})", docs.len())),
                docs,
                format!(
                    "Tra cứu tình trạng hồ sơ bằng mã {} trên Cổng dịch vụ công.",
                    d.code
                ),
                received,
            )
        }
        FormKind::SupplementRequest => {
            let e = last_event(history, Action::RequestSupplement)?;
            (
                "Mẫu số 02",
                "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
                vec![line("Ngày yêu cầu", vietnamese_date(e.at))],
                Some("Nội dung yêu cầu bổ sung, hoàn thiện".to_owned()),
                vec![note(e)],
                "Thời gian chờ bổ sung không tính vào thời hạn giải quyết.".to_owned(),
                e.at,
            )
        }
        FormKind::Refusal => {
            let e = last_event(history, Action::Reject)?;
            (
                "Mẫu số 03",
                "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
                vec![line("Ngày từ chối", vietnamese_date(e.at))],
                Some("Lý do từ chối".to_owned()),
                vec![note(e)],
                "Xin thông báo để ông/bà được biết.".to_owned(),
                e.at,
            )
        }
        FormKind::Apology => {
            let e = last_event(history, Action::Apologise)?;
            let new_due = d.new_appointment_at?;
            let mut lines = vec![line(
                "Ngày hẹn trả ban đầu",
                d.due_at.map(vietnamese_instant).unwrap_or_default(),
            )];
            lines.push(line("Ngày hẹn trả mới", vietnamese_instant(new_due)));
            (
                "Mẫu số 04",
                "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                lines,
                Some("Lý do chậm trễ".to_owned()),
                vec![note(e)],
                "Mong ông/bà thông cảm vì sự chậm trễ này.".to_owned(),
                e.at,
            )
        }
        FormKind::ControlSlip => {
            let received = d.received_at?;
            let last = history.last()?;
            let mut lines = vec![line("Tiếp nhận lúc", vietnamese_instant(received))];
            if let Some(due) = d.due_at {
                lines.push(line("Ngày hẹn trả kết quả", vietnamese_instant(due)));
            }
            if let Some(t) = d.timeliness {
                let verdict = match t {
                    crate::calendar::model::Timeliness::Early => "Trước hạn",
                    crate::calendar::model::Timeliness::OnTime => "Đúng hạn",
                    crate::calendar::model::Timeliness::Late => "Quá hạn",
                };
                lines.push(line("Kết quả giải quyết", verdict));
            }
            (
                "Mẫu số 06",
                "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                lines,
                Some("Quá trình giải quyết".to_owned()),
                steps
                    .iter()
                    .map(|(span, holder)| slip_item(p, span, holder))
                    .collect(),
                "Bước quá hạn thuộc trách nhiệm của đơn vị giữ hồ sơ ở bước đó.".to_owned(),
                last.at,
            )
        }
    };
    let mut all = common;
    all.append(&mut lines);
    Some(Form {
        kind,
        number,
        title,
        unit_name: unit_name.to_owned(),
        dossier_code: d.code.clone(),
        lines: all,
        items_heading,
        items,
        quantities,
        closing,
        issued_at,
        applicant_name: d.applicant.name.clone(),
        officer_name: None,
    })
}

/// "02 giờ 50 phút, ngày 05 tháng 02 năm 2025 (ngoài giờ làm việc)": an instant outside the
/// working sessions, which no "buổi sáng" describes.
pub fn vietnamese_instant_outside_hours(t: DateTime<Utc>) -> String {
    let l = to_local(t);
    format!(
        "{} giờ {} phút, {} (ngoài giờ làm việc)",
        l.format("%H"),
        l.format("%M"),
        vietnamese_date(t)
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A self-contained printable page (A4, no scripts, no external resources).
pub fn render_html(f: &Form) -> String {
    let e = escape_html;
    let mut rows = String::new();
    for l in &f.lines {
        rows.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            e(&l.label),
            e(&l.value)
        ));
    }
    let mut items = String::new();
    if let Some(h) = &f.items_heading {
        items.push_str(&format!("<h2>{}</h2>\n<ol>\n", e(h)));
        for (n, i) in f.items.iter().enumerate() {
            match f.quantities.get(n).filter(|q| !q.is_empty()) {
                Some(q) => items.push_str(&format!("<li>{} — {}</li>\n", e(i), e(q))),
                None => items.push_str(&format!("<li>{}</li>\n", e(i))),
            }
        }
        items.push_str("</ol>\n");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{title} – {code}</title>
<style>
@page {{ size: A4; margin: 20mm; }}
body {{ font-family: "Times New Roman", serif; font-size: 13pt; max-width: 170mm; margin: auto; }}
header {{ display: flex; justify-content: space-between; text-align: center; }}
h1 {{ text-align: center; font-size: 14pt; margin-top: 1.5em; }}
h2 {{ font-size: 13pt; }}
th {{ text-align: left; vertical-align: top; padding-right: 1em; white-space: nowrap; }}
.number {{ text-align: right; font-style: italic; }}
.closing {{ margin-top: 1.5em; font-style: italic; }}
</style>
</head>
<body>
<p class="number">{number}</p>
<header><div><strong>{unit}</strong><br>BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ</div>
<div><strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</strong><br>Độc lập – Tự do – Hạnh phúc</div></header>
<h1>{title}</h1>
<table>
{rows}</table>
{items}<p class="closing">{closing}</p>
<p class="number">Lập {issued}</p>
</body>
</html>
"#,
        title = e(f.title),
        code = e(&f.dossier_code),
        number = e(f.number),
        unit = e(&f.unit_name.to_uppercase()),
        rows = rows,
        items = items,
        closing = e(&f.closing),
        issued = vietnamese_date(f.issued_at),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fee_text_for_every_channel_gives_the_one_used() {
        use crate::dossiers::store::Channel;
        let text = "Trực tuyến: Miễn phí (Mức lệ phí: 0; xem Thông tư 281/2016/TT-BTC); Dịch vụ bưu chính: 8.000 đồng; Trực tiếp: 10.000 đồng/bản";
        let fee = |t: &str, c| super::fee_for_channel(t, c);
        assert_eq!(
            fee(text, Channel::Online).as_deref(),
            Some("Miễn phí (Mức lệ phí: 0; xem Thông tư 281/2016/TT-BTC)")
        );
        assert_eq!(fee(text, Channel::Post).as_deref(), Some("8.000 đồng"));
        assert_eq!(fee(text, Channel::Desk).as_deref(), Some("10.000 đồng/bản"));
        // No heads: the whole text. One fee per channel: only this channel's.
        assert_eq!(
            fee("Lệ phí: 50.000 đồng", Channel::Desk).as_deref(),
            Some("Lệ phí: 50.000 đồng")
        );
        assert_eq!(fee("Trực tuyến: Miễn phí", Channel::Desk), None);
        assert_eq!(
            fee("Trực tiếp: Miễn phí", Channel::Desk).as_deref(),
            Some("Miễn phí")
        );
    }

    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html(r#"<b onclick="x">Lê & Trần's</b>"#),
            "&lt;b onclick=&quot;x&quot;&gt;Lê &amp; Trần&#39;s&lt;/b&gt;"
        );
    }

    #[test]
    fn vietnamese_dates_and_sessions() {
        let t: DateTime<Utc> = "2025-02-05T03:00:00Z".parse().unwrap();
        assert_eq!(
            vietnamese_instant(t),
            "10 giờ 00 phút, ngày 05 tháng 02 năm 2025 (buổi sáng)"
        );
        let t: DateTime<Utc> = "2025-02-05T10:30:00Z".parse().unwrap();
        assert_eq!(
            vietnamese_instant(t),
            "17 giờ 30 phút, ngày 05 tháng 02 năm 2025 (buổi chiều)"
        );
    }
}
