//! Errors in Vietnamese: a problem+json answer's `title`, `detail` and field messages are
//! translated when the request prefers Vietnamese (`Accept-Language: vi`, as the web client
//! always sends); otherwise they stay English. The `type` never changes: clients branch on it.
//!
//! The service's messages are English at their source; the phrases below cover the common
//! ones (validation wording, scope, sign-in, state conflicts). A message with no phrase here
//! keeps its English text under a Vietnamese title.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use crate::dossiers::model::{Action, State};

/// Whether the request's `Accept-Language` ranks Vietnamese first (by q-value).
pub fn prefers_vietnamese(accept_language: Option<&str>) -> bool {
    let Some(list) = accept_language else {
        return false;
    };
    let mut best: Option<(f32, bool)> = None;
    for item in list.split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if tag.is_empty() {
            continue;
        }
        let q = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let vi = tag == "vi" || tag.starts_with("vi-");
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, vi));
        }
    }
    best.is_some_and(|(q, vi)| vi && q > 0.0)
}

/// The Vietnamese title of a problem type (its slug).
pub fn title(slug: &str) -> Option<&'static str> {
    Some(match slug {
        "validation" => "Dữ liệu không hợp lệ",
        "bad-request" => "Yêu cầu không hợp lệ",
        "unauthorized" => "Chưa xác thực",
        "forbidden" => "Không có quyền",
        "not-found" => "Không tìm thấy",
        "conflict" => "Xung đột trạng thái",
        "method-not-allowed" => "Phương thức không được hỗ trợ",
        "request-timeout" => "Hết thời gian nhận yêu cầu",
        "too-many-requests" => "Quá nhiều yêu cầu",
        "payload-too-large" => "Nội dung quá lớn",
        "unsupported-media-type" => "Định dạng không được hỗ trợ",
        "unavailable" => "Dịch vụ tạm thời không khả dụng",
        "internal" => "Lỗi hệ thống",
        "request-header-fields-too-large" => "Phần đầu yêu cầu quá lớn",
        "uri-too-long" => "Đường dẫn quá dài",
        _ => return None,
    })
}

/// English phrase (with `{}` standing for any text) → Vietnamese (with `{0}`, `{1}`…).
const PHRASES: &[(&str, &str)] = &[
    (
        "no such resource, or it is outside your scope",
        "không có tài nguyên này, hoặc nó nằm ngoài phạm vi của bạn",
    ),
    (
        "your role may not perform this action",
        "vai trò của bạn không được thực hiện thao tác này",
    ),
    (
        "an internal error occurred; it has been logged",
        "đã xảy ra lỗi nội bộ; lỗi đã được ghi lại",
    ),
    (
        "wrong user name or password",
        "sai tên đăng nhập hoặc mật khẩu",
    ),
    ("this account is disabled", "tài khoản này đã bị khóa"),
    (
        "a bearer access token is required",
        "cần mã truy cập (Bearer)",
    ),
    (
        "the access token is invalid or expired",
        "mã truy cập không hợp lệ hoặc đã hết hạn",
    ),
    (
        "the access token is no longer valid for this account; sign in again",
        "mã truy cập không còn hiệu lực với tài khoản này; hãy đăng nhập lại",
    ),
    (
        "too many attempts; try again later",
        "quá nhiều lần thử; vui lòng thử lại sau",
    ),
    ("{} fields are invalid", "{0} trường không hợp lệ"),
    ("query parameter `{}` {}", "tham số `{0}` {1}"),
    (
        "invalid query parameters: {}",
        "tham số truy vấn không hợp lệ: {0}",
    ),
    (
        "invalid path parameter: {}",
        "tham số đường dẫn không hợp lệ: {0}",
    ),
    ("malformed JSON: {}", "JSON không đúng cú pháp"),
    (
        "request body larger than {} bytes",
        "nội dung yêu cầu lớn hơn {0} byte",
    ),
    (
        "the request did not arrive within {} seconds",
        "yêu cầu không đến đủ trong {0} giây",
    ),
    (
        "a dossier in state `{}` cannot `{}`",
        "hồ sơ ở trạng thái «{0}» không thể «{1}»",
    ),
    (
        "a dossier in state `{}` cannot be rated yet",
        "hồ sơ ở trạng thái «{0}» chưa thể đánh giá",
    ),
    (
        "this dossier has been rated already",
        "hồ sơ này đã được đánh giá",
    ),
    ("is required", "là bắt buộc"),
    ("is repeated", "bị lặp lại"),
    ("is not a known field{}", "không phải là trường hợp lệ{0}"),
    ("is given twice", "được nhập hai lần"),
    ("must not be empty", "không được để trống"),
    ("must be at most {} characters", "tối đa {0} ký tự"),
    (
        "must not contain control characters",
        "không được chứa ký tự điều khiển",
    ),
    ("must be a whole number", "phải là số nguyên"),
    ("must be a number", "phải là số"),
    ("must be true or false", "phải là true hoặc false"),
    ("must be text", "phải là chuỗi ký tự"),
    ("must be a list", "phải là danh sách"),
    ("must be an object", "phải là đối tượng"),
    ("must be a UUID", "phải là UUID"),
    (
        "must be a date (YYYY-MM-DD) or an instant (YYYY-MM-DDThh:mm:ssZ)",
        "phải là ngày (YYYY-MM-DD) hoặc thời điểm (YYYY-MM-DDThh:mm:ssZ)",
    ),
    ("must be one of {}", "phải là một trong: {0}"),
    ("must be exactly 12 digits", "phải gồm đúng 12 chữ số"),
    (
        "must be a Vietnamese phone number",
        "phải là số điện thoại Việt Nam",
    ),
    ("must be an e-mail address", "phải là địa chỉ thư điện tử"),
    ("must be between {} and {}", "phải từ {0} đến {1}"),
    (
        "must be within one year after the current due date",
        "phải trong vòng một năm sau hạn hiện tại",
    ),
    (
        "mandatory document {} is missing: {}",
        "thiếu thành phần bắt buộc số {0}: {1}",
    ),
    (
        "no such active procedure",
        "không có thủ tục đang áp dụng này",
    ),
    (
        "no such unit in your scope",
        "không có đơn vị này trong phạm vi của bạn",
    ),
    ("no such unit", "không có đơn vị này"),
    (
        "this procedure is not offered online",
        "thủ tục này không cung cấp trực tuyến",
    ),
    ("name the unit to report on", "hãy chọn đơn vị cần báo cáo"),
    ("must be after `from`", "phải sau `from`"),
    (
        "a report covers at most ten years",
        "một báo cáo tối đa mười năm",
    ),
    (
        "dossier {} is at version {}, not {}; reload it",
        "hồ sơ {0} đã ở phiên bản {1}, không phải {2}; hãy tải lại",
    ),
    (
        "dossier {} was changed by someone else (now past version {}); reload and retry",
        "hồ sơ {0} vừa được người khác thay đổi (đã qua phiên bản {1}); hãy tải lại và làm lại",
    ),
    (
        "a concurrent change won; retry",
        "một thay đổi đồng thời đã được ghi trước; hãy làm lại",
    ),
    (
        "the workflow has no further step",
        "quy trình không còn bước tiếp theo",
    ),
    (
        "the next step is approval or after it: use submit_for_approval",
        "bước tiếp theo là phê duyệt: hãy dùng «Trình phê duyệt»",
    ),
    (
        "an apology is issued before the due date passes",
        "thư xin lỗi được gửi trước khi quá hạn",
    ),
    (
        "no {} unit above {} to forward the dossier to",
        "không có đơn vị cấp {0} phía trên {1} để chuyển hồ sơ",
    ),
    (
        "the dossier is `{}`: the desk adds copies now",
        "hồ sơ đang «{0}»: bộ phận một cửa bổ sung bản sao lúc này",
    ),
    ("the new appointment is required", "cần có ngày hẹn mới"),
    ("the only value is `me`", "chỉ nhận giá trị `me`"),
    ("must be 1–30", "phải từ 1 đến 30"),
    ("the clock is already paused", "thời hạn đang tạm dừng"),
    ("the clock is not paused", "thời hạn không tạm dừng"),
    (
        "names a document not in `documents`",
        "ghi số lượng cho giấy tờ không có trong hồ sơ",
    ),
    (
        "names a document already counted",
        "giấy tờ này đã được ghi số lượng",
    ),
    (
        "originals and copies are 0–99 each",
        "số bản chính và bản sao mỗi loại từ 0 đến 99",
    ),
    (
        "at least one original or copy",
        "ít nhất một bản chính hoặc bản sao",
    ),
    (
        "desk intake is `desk` or `post`; online filings come from citizens",
        "tiếp nhận tại quầy là «desk» hoặc «post»; hồ sơ trực tuyến do công dân nộp",
    ),
];

/// Matches `pattern` (literal text and `{}` holes) against the whole of `s`.
fn captures(pattern: &str, s: &str) -> Option<Vec<String>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = s.strip_prefix(pieces[0])?;
    let mut caught = Vec::new();
    for (i, lit) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last {
            if lit.is_empty() {
                rest.len()
            } else if rest.ends_with(lit) {
                rest.len() - lit.len()
            } else {
                return None;
            }
        } else {
            rest.find(lit)?
        };
        caught.push(rest[..at].to_owned());
        rest = &rest[at + lit.len()..];
    }
    rest.is_empty().then_some(caught)
}

/// A captured state or action name as its Vietnamese label; other text translated as a
/// phrase where it is one.
fn shown(s: &str) -> String {
    if let Some(st) = State::parse(s) {
        return st.label_vi().to_owned();
    }
    if let Some(a) = Action::parse(s) {
        return a.label_vi().to_owned();
    }
    phrase(s).unwrap_or_else(|| s.to_owned())
}

fn phrase(s: &str) -> Option<String> {
    PHRASES.iter().find_map(|(en, vi)| {
        let caught = captures(en, s)?;
        let mut out = (*vi).to_owned();
        for (i, c) in caught.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), &shown(c));
        }
        Some(out)
    })
}

/// A detail or field message in Vietnamese: each "field: message" part and "; "-separated
/// clause translated where a phrase covers it, else left as it is.
pub fn detail(s: &str) -> String {
    // A phrase may hold "; " itself ("…; reload it"): the whole text first.
    if let Some(t) = phrase(s) {
        return t;
    }
    s.split("; ")
        .map(|part| {
            if let Some(t) = phrase(part) {
                return t;
            }
            match part.split_once(": ") {
                Some((field, msg)) => match phrase(msg) {
                    Some(t) => format!("{field}: {t}"),
                    None => part.to_owned(),
                },
                None => part.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Translates problem+json answers for requests that prefer Vietnamese.
pub async fn translate_problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let vietnamese = prefers_vietnamese(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let res = next.call(req).await?.map_into_boxed_body();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !vietnamese || !is_problem {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    let translated = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) => {
            let slug = v["type"]
                .as_str()
                .and_then(|t| t.rsplit(':').next())
                .unwrap_or("")
                .to_owned();
            if let Some(t) = title(&slug) {
                v["title"] = t.into();
            }
            if let Some(d) = v["detail"].as_str().map(detail) {
                v["detail"] = d.into();
            }
            if let Some(errors) = v["errors"].as_array_mut() {
                for e in errors {
                    if let Some(m) = e["message"].as_str().map(detail) {
                        e["message"] = m.into();
                    }
                }
            }
            serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    let mut out = HttpResponse::build(head.status());
    for (k, v) in head.headers() {
        if k != header::CONTENT_LENGTH {
            out.append_header((k.clone(), v.clone()));
        }
    }
    out.insert_header((header::CONTENT_LANGUAGE, "vi"));
    Ok(ServiceResponse::new(req, out.body(translated)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_is_chosen_by_its_rank() {
        assert!(prefers_vietnamese(Some("vi")));
        assert!(prefers_vietnamese(Some("vi-VN,vi;q=0.9,en;q=0.8")));
        assert!(prefers_vietnamese(Some("en;q=0.5, vi")));
        assert!(!prefers_vietnamese(Some("en-US,en;q=0.9,vi;q=0.8")));
        assert!(!prefers_vietnamese(Some("vi;q=0")));
        assert!(!prefers_vietnamese(None));
    }

    #[test]
    fn phrases_translate_with_what_they_caught() {
        assert_eq!(
            detail("applicant.name: must be at most 200 characters"),
            "applicant.name: tối đa 200 ký tự"
        );
        assert_eq!(
            detail("a dossier in state `submitted` cannot `approve`"),
            "hồ sơ ở trạng thái «Mới nộp trực tuyến» không thể «Phê duyệt»"
        );
        assert_eq!(
            detail("query parameter `page` must be a whole number"),
            "tham số `page` phải là số nguyên"
        );
        assert_eq!(detail("from: is required"), "from: là bắt buộc");
        // A phrase with "; " in it is whole, not two clauses.
        assert_eq!(
            detail("dossier 01843-261110-0001 is at version 4, not 3; reload it"),
            "hồ sơ 01843-261110-0001 đã ở phiên bản 4, không phải 3; hãy tải lại"
        );
        assert_eq!(
            detail("too many attempts; try again later"),
            "quá nhiều lần thử; vui lòng thử lại sau"
        );
        // No phrase: left as it was.
        assert_eq!(detail("something else entirely"), "something else entirely");
    }

    #[test]
    fn holes_match_whole_texts_only() {
        assert_eq!(
            captures("must be between {} and {}", "must be between 1 and 200"),
            Some(vec!["1".to_owned(), "200".to_owned()])
        );
        assert_eq!(captures("is required", "is required!"), None);
        assert_eq!(
            captures("{} fields are invalid", "3 fields are invalid"),
            Some(vec!["3".to_owned()])
        );
    }
}
