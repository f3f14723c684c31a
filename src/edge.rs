//! The connection under the HTTP layer. actix-http answers a request it cannot parse (400), a
//! head too large or with too many headers (431) and a head that never finishes (408) itself,
//! before any middleware runs, with an empty body. `ProblemIo` wraps each accepted connection
//! and rewrites exactly those answers, as they are written, into problem+json, so that a client
//! sees one error format even for what never reached the application.
//!
//! It recognises them by what only they look like on the wire: a 400, 408 or 431 status line,
//! `content-length: 0` and no `content-type` (every error the application gives has a
//! problem+json body). Everything else passes through untouched.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{problem_type, Problem};

/// A connection whose parser-level error answers are rewritten as problem+json.
pub struct ProblemIo<T> {
    inner: T,
    /// A rewritten answer still to be written, and how much of it has been.
    pending: Vec<u8>,
    written: usize,
}

impl<T> ProblemIo<T> {
    pub fn new(inner: T) -> Self {
        ProblemIo {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// The problem document for a status the parser answers with, and its `detail`.
fn problem_for(status: u16) -> Option<(&'static str, &'static str, &'static str)> {
    match status {
        400 => Some((
            "bad-request",
            "Bad request",
            "the request could not be parsed as HTTP/1.1 (request line or headers)",
        )),
        408 => Some((
            "request-timeout",
            "Request timeout",
            "the request's head did not arrive in time",
        )),
        431 => Some((
            "request-header-fields-too-large",
            "Request header fields too large",
            "the request line or headers are too large, or there are too many headers (at most 96)",
        )),
        _ => None,
    }
}

/// If `buf` begins with a whole bodiless parser error answer, its length and the answer to
/// write instead.
pub fn rewrite(buf: &[u8]) -> Option<(usize, Vec<u8>)> {
    if buf.len() < 12 || !buf.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let status: u16 = std::str::from_utf8(&buf[9..12]).ok()?.parse().ok()?;
    let (slug, title, detail) = problem_for(status)?;
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut headers = Vec::new();
    let mut empty_body = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("content-type:") {
            return None;
        }
        if let Some(v) = lower.strip_prefix("content-length:") {
            empty_body = v.trim() == "0";
            continue;
        }
        headers.push(line);
    }
    if !empty_body {
        return None;
    }
    let body = serde_json::to_vec(&Problem {
        type_: problem_type(slug),
        title: title.to_owned(),
        status,
        detail: detail.to_owned(),
        errors: Vec::new(),
    })
    .ok()?;
    let mut out = Vec::with_capacity(end + body.len() + 80);
    out.extend_from_slice(status_line.as_bytes());
    out.extend_from_slice(b"\r\ncontent-type: application/problem+json\r\n");
    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    Some((end, out))
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Writes what is pending of a rewritten answer; ready when nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = match Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]) {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map(|r| r.map(|()| 0)),
        }
        if let Some((consumed, answer)) = rewrite(buf) {
            this.pending = answer;
            // Written now if the socket takes it, else by the next write, flush or shutdown.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(consumed));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn parser_answers_become_problem_json_and_others_pass() {
        let raw = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: Tue, 01 Dec 2026 23:00:00 GMT\r\n\r\n";
        let (n, out) = rewrite(raw).unwrap();
        assert_eq!(n, raw.len());
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains("connection: close"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"], 431);
        assert_eq!(
            v["type"],
            "urn:motcua:problem:request-header-fields-too-large"
        );

        // What the application answers has a type and a body: left alone.
        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 20\r\ncontent-type: application/problem+json\r\n\r\n{\"status\":400,\"x\":1}";
        assert!(rewrite(app).is_none());
        assert!(rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        // An incomplete head is not touched.
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n").is_none());
    }
}
