//! Logging: `tracing` with an EnvFilter, pretty or JSON lines, and a root span per request
//! carrying the request id (also sent back in `x-request-id`). The span records the route's
//! path only, never its query string, which may carry personal data.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; a second call (tests) is a no-op. Colours only on a
/// terminal: a log file or journald gets plain text.
pub fn init(filter: &str, format: LogFormat) {
    use std::io::IsTerminal;
    install(
        filter,
        format,
        std::io::stdout,
        std::io::stdout().is_terminal(),
    );
}

/// As `init`, writing to `writer` without colours (tests capture logs this way).
pub fn init_with_writer<W>(filter: &str, format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    install(filter, format, writer, false);
}

fn install<W>(filter: &str, format: LogFormat, writer: W, ansi: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The root span of a request: method, matched route pattern, request id; no query string.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = %route,
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if let Ok(res) = outcome {
            span.record("status", res.status().as_u16());
            tracing::info!(parent: &span, status = res.status().as_u16(), "request done");
        } else {
            DefaultRootSpanBuilder::on_request_end(span, outcome);
        }
    }
}
