//! `AppError`: the one place an error becomes an HTTP answer, as RFC 9457 problem+json.
//! Each variant has a stable `type` URI and a status chosen on purpose; internal causes are
//! logged once here and never sent to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One field at fault in a validation error. `field` is a JSON path such as `steps[1].share_percent`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// A field error; control characters (which a client's JSON key may hold) are written as
    /// escapes (`\u{1b}`), so that no answer or log line carries one.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: escape_controls(field.into()),
            message: escape_controls(message.into()),
        }
    }
}

fn escape_controls(s: String) -> String {
    if !s.chars().any(char::is_control) {
        return s;
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// An RFC 9457 problem document, as sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:motcua:problem:not-found`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: the fields at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    /// Query parameters that do not parse: 400, naming each.
    #[error("invalid query parameters")]
    BadQuery(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("this role may not do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The path exists, not with this method; the methods it takes, for `Allow`.
    #[error("this path takes {0}")]
    MethodNotAllowed(String),
    /// The request did not arrive whole within the configured time.
    #[error("the request did not arrive within {0} seconds")]
    RequestTimeout(u64),
    #[error("too many attempts; try again later")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("service temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable slug of the problem type.
    pub fn slug(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) | AppError::BadQuery(_) => "bad-request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not-found",
            AppError::Conflict(_) => "conflict",
            AppError::MethodNotAllowed(_) => "method-not-allowed",
            AppError::RequestTimeout(_) => "request-timeout",
            AppError::TooManyRequests { .. } => "too-many-requests",
            AppError::PayloadTooLarge(_) => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "Invalid input",
            AppError::BadRequest(_) | AppError::BadQuery(_) => "Bad request",
            AppError::Unauthorized(_) => "Authentication required",
            AppError::Forbidden => "Forbidden",
            AppError::NotFound => "Not found",
            AppError::Conflict(_) => "Conflict",
            AppError::MethodNotAllowed(_) => "Method not allowed",
            AppError::RequestTimeout(_) => "Request timeout",
            AppError::TooManyRequests { .. } => "Too many requests",
            AppError::PayloadTooLarge(_) => "Payload too large",
            AppError::UnsupportedMediaType(_) => "Unsupported media type",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Internal(_) => "Internal error",
        }
    }

    pub fn problem(&self) -> Problem {
        let detail = match self {
            AppError::Validation(errs) if errs.len() == 1 => {
                format!("{}: {}", errs[0].field, errs[0].message)
            }
            AppError::Validation(errs) => format!("{} fields are invalid", errs.len()),
            AppError::BadQuery(errs) => errs
                .iter()
                .map(|e| format!("query parameter `{}` {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            AppError::NotFound => "no such resource, or it is outside your scope".to_owned(),
            AppError::Forbidden => "your role may not perform this action".to_owned(),
            AppError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        Problem {
            type_: problem_type(self.slug()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors: match self {
                AppError::Validation(errs) | AppError::BadQuery(errs) => errs.clone(),
                _ => Vec::new(),
            },
        }
    }
}

pub fn problem_type(slug: &str) -> String {
    format!("urn:motcua:problem:{slug}")
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) | AppError::BadQuery(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            AppError::Unavailable(why) => tracing::warn!(reason = %why, "unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::MethodNotAllowed(allow) => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            AppError::RequestTimeout(_) => {
                res.insert_header((header::CONNECTION, "close"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("a record with the same key already exists".to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::Conflict("a concurrent change won; retry".to_owned())
            }
            other => AppError::internal(other),
        }
    }
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(e: r2d2_error::PoolError) -> Self {
        AppError::Unavailable(format!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(e)
    }
}

/// Names the r2d2 error type without a direct dependency on r2d2.
mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}

pub type AppResult<T> = Result<T, AppError>;

/// Collects field errors during validation of an input, then fails once with all of them.
#[derive(Default, Debug)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// A required text of 1..=max characters after trimming.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let n = value.trim().chars().count();
        if n == 0 {
            self.add(field, "must not be empty");
        } else if n > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// An optional text of at most max characters.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            if v.chars().count() > max {
                self.add(field, format!("must be at most {max} characters"));
            }
        }
    }

    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}
