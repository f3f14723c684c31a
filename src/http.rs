//! The HTTP edge shared by every handler: a JSON body extractor that bounds size and names the
//! field at fault, error handlers for query strings and paths, and pagination.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, FieldError};

/// Largest JSON body accepted when the app did not configure one.
pub const DEFAULT_JSON_LIMIT: usize = 256 * 1024;

/// The configured JSON body limit, kept in app data.
#[derive(Clone, Copy)]
pub struct JsonLimit(pub usize);

/// How long a request's body may take to arrive once its head has (`MOTCUA_REQUEST_TIMEOUT`),
/// kept in app data. Past it the answer is 408 and the connection closes.
#[derive(Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

/// Default for `BodyTimeout` when the app did not configure one.
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A JSON request body. Unlike `web::Json`, a wrong type or unknown enum value is answered
/// 422 with the path of the field at fault, malformed JSON 400, an oversized body 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<JsonLimit>()
            .map_or(DEFAULT_JSON_LIMIT, |l| l.0);
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let deadline = req
            .app_data::<BodyTimeout>()
            .map_or(DEFAULT_BODY_TIMEOUT, |t| t.0);
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "content type must be application/json".to_owned(),
                ));
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge(limit));
            }
            let read = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk
                        .map_err(|e| AppError::BadRequest(format!("cannot read body: {e}")))?;
                    if body.len() + chunk.len() > limit {
                        return Err(AppError::PayloadTooLarge(limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            let body = actix_web::rt::time::timeout(deadline, read)
                .await
                .map_err(|_| AppError::RequestTimeout(deadline.as_secs()))??;
            parse_json(&body).map(Json)
        })
    }
}

/// Parses a JSON body, naming the field at fault on a data error. Text is taken in NFC.
/// A control character in any string (other than tab and line breaks, which notes hold) is
/// refused with 422 naming the field: PostgreSQL cannot store U+0000, and none belongs in a
/// dossier.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    if let Some(field) = control_character_in_json(body) {
        return Err(AppError::invalid(field, CONTROL_MESSAGE));
    }
    let body = crate::text::nfc_bytes(body);
    let de = &mut serde_json::Deserializer::from_slice(&body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let (named, why) = plain_words(&inner.to_string());
                    let field = match (named, path.as_str()) {
                        // A missing or unknown field is named inside the object at `path`.
                        (Some(f), ".") => f,
                        (Some(f), p) => format!("{p}.{f}"),
                        (None, ".") => "body".to_owned(),
                        (None, _) => path,
                    };
                    Err(AppError::Validation(vec![FieldError::new(field, why)]))
                }
                _ => Err(AppError::BadRequest(format!("malformed JSON: {inner}"))),
            }
        }
    }
}

const CONTROL_MESSAGE: &str = "must not contain control characters";

/// Whether `c` is refused in text: the C0 and C1 controls and DEL, but tab and line breaks.
fn refused_in_text(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The path (as serde_path_to_error writes it) of the first JSON string holding a refused
/// control character. Raw control bytes are malformed JSON already; only an escape (`\u…`),
/// DEL or a C1 control can bring one, so other bodies are not parsed twice.
fn control_character_in_json(body: &[u8]) -> Option<String> {
    let may_hold = body
        .windows(2)
        .any(|w| w == b"\\u" || w[0] == 0x7f || (w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])))
        || body.last() == Some(&0x7f);
    if !may_hold {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    fn walk(v: &serde_json::Value, path: &mut Vec<String>) -> Option<String> {
        let here = |path: &[String]| {
            if path.is_empty() {
                "body".to_owned()
            } else {
                path.concat().trim_start_matches('.').to_owned()
            }
        };
        match v {
            serde_json::Value::String(s) if s.chars().any(refused_in_text) => Some(here(path)),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                path.push(format!("[{i}]"));
                let found = walk(item, path);
                path.pop();
                found
            }),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                path.push(format!(".{k}"));
                let found = if k.chars().any(refused_in_text) {
                    Some(here(path))
                } else {
                    walk(item, path)
                };
                path.pop();
                found
            }),
            _ => None,
        }
    }
    walk(&value, &mut Vec::new())
}

/// The query parameter or path at fault when either holds a control character (decoded as
/// the router and the query extractor decode them), so that no handler sees one.
pub fn control_character_in_request(req: &actix_web::dev::ServiceRequest) -> Option<String> {
    let path = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    if path.chars().any(char::is_control) {
        return Some("path".to_owned());
    }
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, v)| k.chars().any(char::is_control) || v.chars().any(char::is_control))
        .map(|(k, _)| {
            if k.chars().any(char::is_control) {
                "query".to_owned()
            } else {
                k.into_owned()
            }
        })
}

/// Refuses a request whose path or query holds a control character: 422 naming the parameter.
pub async fn refuse_control_characters(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<actix_web::body::BoxBody>>,
    actix_web::Error,
> {
    if let Some(field) = control_character_in_request(&req) {
        let res =
            actix_web::ResponseError::error_response(&AppError::invalid(field, CONTROL_MESSAGE));
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next
        .call(req)
        .await?
        .map_into_boxed_body()
        .map_into_left_body())
}

/// A deserializer's message with every value from the request taken out, so that a phone
/// number sent as a JSON number never reaches an error `detail` or a log line: "invalid type:
/// integer `987650124`, expected a string" becomes "invalid type: integer, expected a string".
/// Field names stay (they are the schema's, or the client's mistake to see); so does what was
/// expected. serde_json's " at line L column C" goes too: the field path says more.
pub fn without_values(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    if message.contains("UUID parsing failed") || message.starts_with("invalid character") {
        return "expected a UUID".to_owned();
    }
    let (head, expected) = match message.find(", expected ") {
        Some(i) => (&message[..i], Some(&message[i + 2..])),
        None => (message, None),
    };
    let names_a_field = ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|p| head.starts_with(p));
    let head = if names_a_field {
        head.to_owned()
    } else {
        drop_quoted(head)
    };
    match expected {
        Some(e) => format!("{head}, {e}"),
        None => head,
    }
}

/// `s` without its `…` and "…" spans (how serde quotes the values it read), nor ", found …".
fn drop_quoted(s: &str) -> String {
    let s = s.split(", found").next().unwrap_or(s);
    let mut out = String::with_capacity(s.len());
    let mut quote = None;
    let mut escaped = false;
    for c in s.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '`' || c == '"' => quote = Some(c),
            None => out.push(c),
        }
    }
    let mut out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    while out.ends_with(':') || out.ends_with(',') {
        out.pop();
    }
    out
}

/// What a deserializer's message means to a person, with no Rust type in it: "missing field
/// `from`" is "is required", "invalid type: string, expected i32" is "must be a whole number".
/// Values are taken out first (`without_values`). Returns the field the message names, if it
/// names one, and the message.
pub fn plain_words(message: &str) -> (Option<String>, String) {
    let m = without_values(message);
    let quoted = |s: &str| {
        s.split('`')
            .nth(1)
            .map(str::to_owned)
            .filter(|f| !f.is_empty())
    };
    if m.starts_with("missing field") {
        return (quoted(&m), "is required".to_owned());
    }
    if m.starts_with("unknown field") || m.starts_with("duplicate field") {
        let what = if m.starts_with("unknown") {
            "is not a known field"
        } else {
            "is given twice"
        };
        let known = m
            .split_once("expected ")
            .map(|(_, e)| format!(" (expected {})", e.replace('`', "")))
            .unwrap_or_default();
        return (quoted(&m), format!("{what}{known}"));
    }
    let expected = m.split_once("expected ").map_or("", |(_, e)| e);
    let whole = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
    ];
    let text = if m.starts_with("unknown variant") {
        format!(
            "must be one of {}",
            expected.trim_start_matches("one of ").replace('`', "")
        )
    } else if whole
        .iter()
        .any(|t| expected == *t || expected.starts_with(&format!("{t} ")))
    {
        "must be a whole number".to_owned()
    } else if expected.starts_with("f64") || expected.starts_with("f32") {
        "must be a number".to_owned()
    } else if expected.contains("a boolean") || m.contains("`true` or `false`") {
        "must be true or false".to_owned()
    } else if expected.starts_with("a string") || expected.starts_with("a borrowed string") {
        "must be text".to_owned()
    } else if expected.starts_with("a sequence") {
        "must be a list".to_owned()
    } else if expected.starts_with("struct") || expected.starts_with("a map") {
        "must be an object".to_owned()
    } else if m.contains("UUID") {
        "must be a UUID".to_owned()
    } else if m.contains("invalid digit")
        || m.contains("empty string")
        || m.contains("number too large")
    {
        "must be a whole number".to_owned()
    } else if m.contains("input contains invalid characters")
        || m.contains("premature end of input")
        || m.contains("trailing input")
        || m.contains("input is out of range")
        || m.contains("input is not enough")
    {
        "must be a date (YYYY-MM-DD) or an instant (YYYY-MM-DDThh:mm:ssZ)".to_owned()
    } else {
        m.clone()
    };
    (None, text)
}

/// A query string parsed into `T`; a value that does not fit is 400 problem+json naming the
/// parameter and what it must be (never a Rust type, nor the value).
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| {
        let path = err.path().to_string();
        let (named, why) = plain_words(&err.into_inner().to_string());
        let field = named.or((path != ".").then_some(path));
        match field {
            Some(f) => AppError::BadQuery(vec![FieldError::new(f, why)]),
            None => AppError::BadRequest(format!("invalid query parameters: {why}")),
        }
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Bad query strings: 400 problem+json naming what failed to parse, not the value.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let why = match &err {
        actix_web::error::QueryPayloadError::Deserialize(e) => without_values(&e.to_string()),
        _ => "the query string cannot be read".to_owned(),
    };
    AppError::BadRequest(format!("invalid query parameters: {why}")).into()
}

/// Bad path segments (e.g. a malformed UUID): 400 problem+json, without the value.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    let actix_web::error::PathError::Deserialize(e) = &err else {
        return AppError::BadRequest("invalid path parameter".to_owned()).into();
    };
    AppError::BadRequest(format!(
        "invalid path parameter: {}",
        plain_words(&e.to_string()).1
    ))
    .into()
}

/// The methods each path template of the API takes, from the OpenAPI document (which every
/// route is registered through), to answer a method a path does not take with 405 and `Allow`.
pub struct Routes(Vec<(actix_web::dev::ResourceDef, Vec<&'static str>)>);

impl Routes {
    pub fn from_spec(api: &utoipa::openapi::OpenApi) -> Routes {
        let table = api
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, has)| has.then_some(m))
                .collect();
                (actix_web::dev::ResourceDef::new(template.as_str()), methods)
            })
            .collect();
        Routes(table)
    }

    /// The methods `path` takes, in a stable order; empty when no route has that path.
    pub fn allowed(&self, path: &str) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for (def, methods) in &self.0 {
            if def.is_match(path) {
                for m in methods {
                    if !out.contains(m) {
                        out.push(m);
                    }
                }
            }
        }
        out
    }
}

/// Any request no route took: 405 with `Allow` when the path exists with other methods, else 404.
pub async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    let allowed = req
        .app_data::<web::Data<Routes>>()
        .map(|r| r.allowed(req.path()))
        .unwrap_or_default();
    if allowed.is_empty() {
        Err(AppError::NotFound)
    } else {
        Err(AppError::MethodNotAllowed(allowed.join(", ")))
    }
}

/// `?page=&per_page=` on every list route.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number, at most 1,000,000.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<u32>,
    /// Items per page, 1–200.
    #[param(minimum = 1, maximum = 200, default = 20)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

impl PageParams {
    pub fn paging(&self) -> AppResult<Paging> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(20);
        let mut errs = Vec::new();
        if page == 0 || page > 1_000_000 {
            errs.push(FieldError::new("page", "must be between 1 and 1000000"));
        }
        if per_page == 0 || per_page > 200 {
            errs.push(FieldError::new("per_page", "must be between 1 and 200"));
        }
        if errs.is_empty() {
            Ok(Paging { page, per_page })
        } else {
            Err(AppError::Validation(errs))
        }
    }
}

/// One page of a list, with the total number of matching items.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: i64, paging: Paging) -> Self {
        Page {
            items,
            total,
            page: paging.page,
            per_page: paging.per_page,
        }
    }

    /// The page `paging` asks for of a whole list read at once (short lists: a unit's
    /// ancestors, a dossier's documents…), so that every list route answers alike.
    pub fn of_all(all: Vec<T>, paging: Paging) -> Self {
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let items = all
            .into_iter()
            .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(paging.limit()).unwrap_or(0))
            .collect();
        Page::new(items, total, paging)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// A free-text query parameter: bounded length.
pub fn check_query_text(field: &str, q: Option<&str>) -> AppResult<()> {
    match q {
        Some(q) if q.chars().count() > 200 => {
            Err(AppError::invalid(field, "must be at most 200 characters"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn messages_keep_the_field_and_the_expectation_but_not_the_value() {
        for (raw, want) in [
            (
                "invalid type: integer `987650124`, expected a string at line 1 column 20",
                "invalid type: integer, expected a string",
            ),
            (
                "invalid type: string \"0912 \\\"345\", expected u32",
                "invalid type: string, expected u32",
            ),
            (
                "unknown variant `0912345678`, expected one of `province`, `commune`",
                "unknown variant, expected one of `province`, `commune`",
            ),
            (
                "invalid value: integer `-5`, expected a positive amount",
                "invalid value: integer, expected a positive amount",
            ),
            ("unknown field `foo`, expected `q`", "unknown field `foo`, expected `q`"),
            ("missing field `unit`", "missing field `unit`"),
            (
                "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `0` at 1",
                "expected a UUID",
            ),
            ("input contains invalid characters", "input contains invalid characters"),
            ("cannot parse `0977123456` as a date", "cannot parse as a date"),
        ] {
            assert_eq!(without_values(raw), want, "{raw}");
        }
    }
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: u8,
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err =
            parse_json::<Input>(br#"{"name":"x","items":[{"n":1},{"n":"two"}]}"#).unwrap_err();
        match err {
            AppError::Validation(f) => assert_eq!(f[0].field, "items[1].n"),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Input>(b"{\"name\":"),
            Err(AppError::BadRequest(_))
        ));
    }

    #[test]
    fn paging_bounds() {
        assert!(PageParams {
            page: Some(0),
            per_page: None
        }
        .paging()
        .is_err());
        assert!(PageParams {
            page: None,
            per_page: Some(201)
        }
        .paging()
        .is_err());
        let p = PageParams {
            page: Some(3),
            per_page: Some(10),
        }
        .paging()
        .unwrap();
        assert_eq!((p.offset(), p.limit()), (20, 10));
    }
}
