//! The web client: server-rendered Vietnamese pages for the desk, processing, supervision,
//! citizens and administration, served under `/` by the same binary (the API stays under
//! `/api/v1`). Pages are maud templates (checked at compile time, every value escaped); a
//! little JavaScript (`assets/app.js`) only enhances them. Each page reads its data through
//! the same functions the API's routes call, so the rules (roles, scope, states) are one.
//!
//! Every response carries a Content-Security-Policy with no inline script; sessions and CSRF
//! are in `session`.

pub mod admin;
pub mod assets;
pub mod citizen;
pub mod desk;
pub mod once;
pub mod reports;
pub mod session;
pub mod view;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::accounts::model::Role;
use crate::error::AppError;
pub use session::{MaybeUser, Posted, WebUser};

/// What a page may load: its own scripts, styles and images, nothing inline, no frames.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every page of the client.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/tai-nguyen/{name}", web::get().to(assets::serve))
        .route("/dang-nhap", web::get().to(login_page))
        .route("/dang-nhap", web::post().to(login))
        .route("/dang-xuat", web::post().to(logout));
    desk::configure(cfg);
    citizen::configure(cfg);
    reports::configure(cfg);
    admin::configure(cfg);
}

/// Where no route matches: a browser asking for a page gets the client's "not found" page
/// (under the signed-in header when there is a session); anything else the API's problem.
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let wants_page = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) && !req.path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if !wants_page {
        return Ok(crate::http::no_route(req).await?);
    }
    let user = match session::state_of(&req) {
        Ok(state) => session::current(&state, &req).await.ok().flatten(),
        Err(_) => None,
    };
    let error = match user {
        Some(u) => WebError::Shown(AppError::NotFound, Box::new(u)),
        None => WebError::App(AppError::NotFound),
    };
    Ok(actix_web::ResponseError::error_response(&error))
}

/// An HTML answer with the client's security headers.
pub fn page(status: StatusCode, body: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body.into_string())
}

pub fn ok(body: Markup) -> HttpResponse {
    page(StatusCode::OK, body)
}

/// 303 to `to` (after a form post, or to sign in).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Why a page could not be shown, as a page.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: to the sign-in page, then back to this path.
    SignIn(String),
    /// A form post without this session's token, or from another site.
    Csrf,
    App(AppError),
    /// An error shown to a signed-in person: the page keeps their menu.
    Shown(AppError, Box<WebUser>),
    /// A form posted again: the first post's answer (`once`).
    Replay(Box<once::Stored>),
}

impl WebError {
    /// The same error, on a page framed for `user`.
    pub fn for_user(self, user: &WebUser) -> WebError {
        match self {
            WebError::App(e) => WebError::Shown(e, Box::new(user.clone())),
            other => other,
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError::App(e)
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::SignIn(_) => f.write_str("sign in"),
            WebError::Csrf => f.write_str("csrf"),
            WebError::Replay(_) => f.write_str("a repeated form"),
            WebError::App(e) | WebError::Shown(e, _) => e.fmt(f),
        }
    }
}

pub type WebResult<T = HttpResponse> = Result<T, WebError>;

/// The Vietnamese title of an error.
pub fn error_title(e: &AppError) -> &'static str {
    match e {
        AppError::Validation(_) => "Thông tin chưa hợp lệ",
        AppError::BadRequest(_) | AppError::BadQuery(_) => "Yêu cầu không hợp lệ",
        AppError::Unauthorized(_) => "Chưa đăng nhập hoặc phiên đã hết hạn",
        AppError::Forbidden => "Vai trò của bạn không được làm việc này",
        AppError::NotFound => "Không tìm thấy",
        AppError::Conflict(_) => "Không thực hiện được ở trạng thái hiện tại",
        AppError::MethodNotAllowed(_) => "Phương thức không được hỗ trợ",
        AppError::RequestTimeout(_) => "Yêu cầu đến quá chậm",
        AppError::TooManyRequests { .. } => "Quá nhiều lần thử, vui lòng thử lại sau",
        AppError::PayloadTooLarge(_) => "Tệp hoặc biểu mẫu quá lớn",
        AppError::UnsupportedMediaType(_) => "Định dạng không được hỗ trợ",
        AppError::Unavailable(_) => "Hệ thống tạm thời không phục vụ được",
        AppError::Internal(_) => "Lỗi hệ thống (đã được ghi nhận)",
    }
}

/// The Vietnamese explanation of an error (`i18n`'s phrases; a message none covers stays as
/// the service wrote it).
pub fn error_detail(e: &AppError) -> String {
    match e {
        AppError::NotFound => {
            "Không có hồ sơ hoặc trang này, hoặc nó nằm ngoài phạm vi của bạn.".to_owned()
        }
        AppError::Forbidden => {
            "Tài khoản của bạn không có quyền thực hiện thao tác này.".to_owned()
        }
        AppError::Internal(_) => "Đã xảy ra lỗi; lỗi đã được ghi lại.".to_owned(),
        AppError::Validation(errs) => errs
            .iter()
            .map(|f| format!("{}: {}", f.field, crate::i18n::detail(&f.message)))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Unauthorized(_) => "Sai tên đăng nhập hoặc mật khẩu.".to_owned(),
        other => crate::i18n::detail(&other.problem().detail),
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn(_) => StatusCode::SEE_OTHER,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::Replay(stored) => {
                StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK)
            }
            WebError::App(e) | WebError::Shown(e, _) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, detail) = match self {
            WebError::SignIn(next) => {
                let to = format!("/dang-nhap?next={}", urlencode(next));
                return see_other(&to);
            }
            WebError::Replay(stored) => return stored.response(),
            WebError::Csrf => (
                "Yêu cầu bị từ chối",
                "Biểu mẫu này không đến từ phiên làm việc của bạn (có thể phiên đã hết hạn). Hãy tải lại trang và thử lại.".to_owned(),
            ),
            WebError::App(e) | WebError::Shown(e, _) => {
                if matches!(e, AppError::Internal(_) | AppError::Unavailable(_)) {
                    // Logged once, as the API does.
                    let _ = e.error_response();
                }
                (error_title(e), error_detail(e))
            }
        };
        let chrome = match self {
            WebError::Shown(_, user) => Chrome::of(title, user, ""),
            _ => Chrome::bare(title),
        };
        let body = layout(
            &chrome,
            html! {
                // A refused form (`Csrf`: signed in again elsewhere) is kept for its page.
                section.notice.error data-form-refused[matches!(self, WebError::Csrf)] {
                    h1 { (title) }
                    p { (detail) }
                    p { a href="/" { "Về trang chủ" } }
                }
            },
        );
        let mut res = page(self.status_code(), body);
        if let WebError::App(AppError::TooManyRequests { retry_after_secs })
        | WebError::Shown(AppError::TooManyRequests { retry_after_secs }, _) = self
        {
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// What frames a page: its title, who is signed in, which menu entry is lit.
pub struct Chrome<'a> {
    pub title: &'a str,
    pub user: Option<&'a WebUser>,
    pub active: &'a str,
}

impl<'a> Chrome<'a> {
    pub fn bare(title: &'a str) -> Self {
        Chrome {
            title,
            user: None,
            active: "",
        }
    }
    pub fn of(title: &'a str, user: &'a WebUser, active: &'a str) -> Self {
        Chrome {
            title,
            user: Some(user),
            active,
        }
    }
}

/// The menu of each role: (key, label, path).
fn menu(role: Role) -> &'static [(&'static str, &'static str, &'static str)] {
    match role {
        Role::Clerk => &[
            ("queue", "Một cửa", "/mot-cua"),
            ("intake", "Tiếp nhận", "/tiep-nhan"),
            ("track", "Tra cứu", "/tra-cuu"),
        ],
        Role::Officer => &[
            ("mine", "Việc của tôi", "/viec-cua-toi"),
            ("queue", "Hồ sơ của đơn vị", "/mot-cua"),
        ],
        Role::Approver => &[
            ("mine", "Việc của tôi", "/viec-cua-toi"),
            ("queue", "Hồ sơ của đơn vị", "/mot-cua"),
            ("stats", "Thống kê", "/thong-ke"),
        ],
        Role::Supervisor => &[("stats", "Thống kê", "/thong-ke")],
        Role::Citizen => &[
            ("mine", "Hồ sơ của tôi", "/cua-toi"),
            ("catalogue", "Thủ tục", "/thu-tuc"),
            ("track", "Tra cứu", "/tra-cuu"),
        ],
        Role::Admin => &[
            ("units", "Đơn vị", "/quan-tri"),
            ("accounts", "Tài khoản", "/quan-tri/tai-khoan"),
            ("reorganise", "Sắp xếp đơn vị", "/quan-tri/sap-xep"),
            ("catalogue", "Thủ tục", "/thu-tuc"),
            ("stats", "Thống kê", "/thong-ke"),
        ],
    }
}

/// The home page of each role.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Clerk => "/mot-cua",
        Role::Officer | Role::Approver => "/viec-cua-toi",
        Role::Supervisor => "/thong-ke",
        Role::Citizen => "/cua-toi",
        Role::Admin => "/quan-tri",
    }
}

/// The hidden field every form of a session posts.
/// After a failed submit: what to fix, at the top of the page, each item a link to its field
/// (`#id`); the page's script gives it focus, so a screen reader reads it first.
pub fn error_summary(items: &[(String, String)]) -> Markup {
    html! {
        div.error-summary role="alert" tabindex="-1" data-error-summary aria-labelledby="error-summary-title" {
            h2 id="error-summary-title" { "Có thông tin cần sửa" }
            ul { @for (id, text) in items { li { a href={ "#" (id) } { (text) } } } }
        }
    }
}

/// The hidden fields of a form that changes something: this session's CSRF token and a fresh
/// one-time token (`once`: a repeat of the post acts once).
pub fn csrf_field(user: &WebUser) -> Markup {
    html! {
        input type="hidden" name="_csrf" value=(user.csrf);
        input type="hidden" name=(once::FIELD) value=(once::token());
    }
}

/// The frame of every page: header with the menu and the person, then `body`.
pub fn layout(chrome: &Chrome<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (chrome.title) " – Một cửa điện tử" }
                link rel="stylesheet" href=(assets::css_path());
                script src=(assets::js_path()) defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "Một cửa điện tử" }
                    @if let Some(u) = chrome.user {
                        nav {
                            @for (key, label, path) in menu(u.role()) {
                                a href=(path) class=[(chrome.active == *key).then_some("on")] { (label) }
                            }
                        }
                        @if u.role() != Role::Citizen {
                            form.search method="get" action="/tim" {
                                input type="search" name="q" placeholder="Mã hồ sơ, tên, CCCD, điện thoại" aria-label="Tìm hồ sơ" data-scan="1";
                            }
                        }
                        span.who { (u.name) " · " (u.role().label_vi()) }
                        form.out method="post" action="/dang-xuat" data-no-hold {
                            (csrf_field(u))
                            button type="submit" { "Đăng xuất" }
                        }
                    } @else {
                        nav {
                            a href="/thu-tuc" { "Thủ tục" }
                            a href="/tra-cuu" { "Tra cứu hồ sơ" }
                            a href="/dang-nhap" { "Đăng nhập" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// `/`: the role's home page when signed in; else what anyone can do.
async fn home(user: MaybeUser) -> WebResult {
    if let Some(u) = user.0 {
        return Ok(see_other(home_of(u.role())));
    }
    Ok(ok(layout(
        &Chrome::bare("Trang chủ"),
        html! {
            section.hero {
                h1 { "Hệ thống thông tin giải quyết thủ tục hành chính" }
                p { "Nộp hồ sơ trực tuyến, theo dõi tiến độ giải quyết và nhận kết quả." }
                div.cards {
                    a.card href="/thu-tuc" { strong { "Tìm thủ tục" } span { "Thành phần hồ sơ, phí, thời hạn, mức độ trực tuyến" } }
                    a.card href="/tra-cuu" { strong { "Tra cứu hồ sơ" } span { "Bằng mã trên giấy tiếp nhận" } }
                    a.card href="/dang-nhap" { strong { "Đăng nhập" } span { "Cán bộ, công dân, doanh nghiệp" } }
                }
            }
        },
    )))
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a path of this site (never `//host` or a scheme) is a place to come back to.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 2000
    })
}

fn login_form(token: &str, next: Option<&str>, username: &str, error: Option<&str>) -> Markup {
    layout(
        &Chrome::bare("Đăng nhập"),
        html! {
            // After a post whose session had ended (`next` set), the page's script keeps
            // what was typed for the form's page, and says so.
            section.narrow data-form-refused[next.is_some()] {
                h1 { "Đăng nhập" }
                p.notice data-held-note hidden { "Phiên làm việc đã kết thúc. Sau khi đăng nhập lại, nội dung bạn vừa nhập sẽ được khôi phục trên biểu mẫu." }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/dang-nhap" data-no-hold {
                    input type="hidden" name="_csrf" value=(token);
                    @if let Some(n) = next { input type="hidden" name="next" value=(n); }
                    label { "Tên đăng nhập hoặc số CCCD"
                        input name="username" value=(username) autocomplete="username" required autofocus; }
                    label { "Mật khẩu"
                        input type="password" name="password" autocomplete="current-password" required; }
                    button.primary type="submit" { "Đăng nhập" }
                }
            }
        },
    )
}

/// The sign-in form, with a fresh anti-forgery value in a cookie and in the form.
async fn login_page(req: HttpRequest, q: web::Query<NextQuery>) -> WebResult {
    let state = session::state_of(&req)?;
    let token = crate::auth::tokens::new_refresh_token();
    let mut res = ok(login_form(&token, safe_next(q.next.as_deref()), "", None));
    let cookie = session::cookie(&state, &req, session::LOGIN_COOKIE, token, 3600);
    res.add_cookie(&cookie).map_err(AppError::internal)?;
    Ok(res)
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(req: HttpRequest, form: web::Form<LoginForm>) -> WebResult {
    let state = session::state_of(&req)?;
    let form = form.into_inner();
    let expected = req
        .cookie(session::LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty()
        || session::cross_site(&req)
        || !session::same_token(&form.csrf, &expected)
    {
        return Err(WebError::Csrf);
    }
    let next = safe_next(form.next.as_deref()).map(str::to_owned);
    let user =
        match crate::services::auth::sign_in(&state, &req, &form.username, form.password).await {
            Ok(u) => u,
            Err(e @ (AppError::Unauthorized(_) | AppError::TooManyRequests { .. })) => {
                let why = match &e {
                    AppError::TooManyRequests { retry_after_secs } => format!(
                        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {} giây.",
                        retry_after_secs
                    ),
                    _ => "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đã bị khóa.".to_owned(),
                };
                let status = e.status_code();
                return Ok(page(
                    status,
                    login_form(&expected, next.as_deref(), &form.username, Some(&why)),
                ));
            }
            Err(e) => return Err(e.into()),
        };
    let role = user.user.role();
    let cookie = session::open(&state, &req, user).await?;
    let mut res = see_other(next.as_deref().unwrap_or(home_of(role)));
    res.add_cookie(&cookie).map_err(AppError::internal)?;
    res.add_removal_cookie(&session::cookie(
        &state,
        &req,
        session::LOGIN_COOKIE,
        String::new(),
        0,
    ))
    .map_err(AppError::internal)?;
    Ok(res)
}

#[derive(serde::Deserialize)]
struct Empty {}

async fn logout(req: HttpRequest, posted: Posted<Empty>) -> WebResult {
    let state = session::state_of(&req)?;
    session::close(&state, &posted.user).await?;
    let mut res = see_other("/dang-nhap");
    res.add_removal_cookie(&session::cookie(
        &state,
        &req,
        session::SESSION_COOKIE,
        String::new(),
        0,
    ))
    .map_err(AppError::internal)?;
    Ok(res)
}

/// `1.250.000 đ`.
pub fn money(vnd: i64) -> String {
    let digits = vnd.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}{out} đ", if vnd < 0 { "-" } else { "" })
}

/// Raw markup that the code itself built (an SVG drawn here, never user text).
pub fn trusted(svg: String) -> PreEscaped<String> {
    PreEscaped(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands_with_dots() {
        assert_eq!(money(0), "0 đ");
        assert_eq!(money(50_000), "50.000 đ");
        assert_eq!(money(1_250_000), "1.250.000 đ");
        assert_eq!(money(-999), "-999 đ");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/ho-so/1")), Some("/ho-so/1"));
        assert_eq!(safe_next(Some("//evil.example/")), None);
        assert_eq!(safe_next(Some("https://evil.example/")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(None), None);
    }
}
