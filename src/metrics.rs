//! Metrics in the Prometheus text format, served at `GET /metrics` (`api::metrics`) to a scraper that holds
//! `MOTCUA_METRICS_TOKEN` (404 to anyone else, and when no token is configured).
//!
//! One registry per process (an instance is a process): counters and histograms are updated
//! where things happen; the pool's use, the statistics' backlog and lag are read at each
//! scrape. Routes are labelled by their template (`/api/v1/dossiers/{id}`), never by the
//! raw path, so that ids and codes neither multiply the series nor reach the scraper.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::LazyLock;
use std::time::Instant;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_wait: Histogram,
    pool_size: IntGauge,
    pool_in_use: IntGauge,
    pool_max: IntGauge,
    transitions: IntCounterVec,
    sign_in_failures: IntCounter,
    throttled: IntCounterVec,
    fold_backlog: IntGauge,
    fold_lag: Gauge,
    /// When this instance's fold last found nothing to fold (Unix ms; 0: never yet).
    fold_caught_up_at: AtomicI64,
}

/// Latency buckets, in seconds: from a cached read to a slow report.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("motcua".to_owned()), None)?;
    let requests = IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests answered, by route template and status",
        ),
        &["method", "route", "status"],
    )?;
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
        )
        .buckets(BUCKETS.to_vec()),
        &["method", "route"],
    )?;
    let pool_wait = Histogram::with_opts(
        HistogramOpts::new(
            "db_pool_wait_seconds",
            "Time spent waiting for a database connection from the pool",
        )
        .buckets(BUCKETS.to_vec()),
    )?;
    let pool_size = IntGauge::new("db_pool_connections", "Database connections open")?;
    let pool_in_use = IntGauge::new(
        "db_pool_connections_in_use",
        "Database connections lent out",
    )?;
    let pool_max = IntGauge::new(
        "db_pool_connections_max",
        "The pool's size (MOTCUA_DB_POOL_SIZE)",
    )?;
    let transitions = IntCounterVec::new(
        Opts::new(
            "dossier_transitions_total",
            "Dossier state changes committed, by action",
        ),
        &["action"],
    )?;
    let sign_in_failures = IntCounter::new(
        "sign_in_failures_total",
        "Sign-ins refused for a wrong user name or password",
    )?;
    let throttled = IntCounterVec::new(
        Opts::new(
            "throttled_total",
            "Requests refused with 429, by what limited them",
        ),
        &["kind"],
    )?;
    let fold_backlog = IntGauge::new(
        "stats_fold_backlog",
        "Dossier changes not yet folded into the statistics' buckets",
    )?;
    let fold_lag = Gauge::new(
        "stats_fold_lag_seconds",
        "On the instance that folds: how long since the fold last had nothing left to do (0 when caught up)",
    )?;
    registry.register(Box::new(requests.clone()))?;
    registry.register(Box::new(latency.clone()))?;
    registry.register(Box::new(pool_wait.clone()))?;
    registry.register(Box::new(pool_size.clone()))?;
    registry.register(Box::new(pool_in_use.clone()))?;
    registry.register(Box::new(pool_max.clone()))?;
    registry.register(Box::new(transitions.clone()))?;
    registry.register(Box::new(sign_in_failures.clone()))?;
    registry.register(Box::new(throttled.clone()))?;
    registry.register(Box::new(fold_backlog.clone()))?;
    registry.register(Box::new(fold_lag.clone()))?;
    Ok(Metrics {
        registry,
        requests,
        latency,
        pool_wait,
        pool_size,
        pool_in_use,
        pool_max,
        transitions,
        sign_in_failures,
        throttled,
        fold_backlog,
        fold_lag,
        fold_caught_up_at: AtomicI64::new(0),
    })
}

/// The process's metrics; `None` only if the registry could not be built (never in practice:
/// the names are fixed), in which case nothing is counted and `/metrics` says so.
static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match build() {
    Ok(m) => Some(m),
    Err(e) => {
        tracing::error!(error = %e, "metrics registry not built");
        None
    }
});

fn metrics() -> Option<&'static Metrics> {
    METRICS.as_ref()
}

/// What limited a request that was answered 429.
#[derive(Debug, Clone, Copy)]
pub enum Throttle {
    /// Too many failed sign-ins on one account.
    Account,
    /// Too many failed sign-ins from one address.
    Address,
    Registration,
    Tracking,
}

impl Throttle {
    fn label(self) -> &'static str {
        match self {
            Throttle::Account => "sign_in_account",
            Throttle::Address => "sign_in_address",
            Throttle::Registration => "registration",
            Throttle::Tracking => "tracking",
        }
    }
}

pub fn throttled(kind: Throttle) {
    if let Some(m) = metrics() {
        m.throttled.with_label_values(&[kind.label()]).inc();
    }
}

pub fn sign_in_failed() {
    if let Some(m) = metrics() {
        m.sign_in_failures.inc();
    }
}

pub fn transition(action: &str) {
    if let Some(m) = metrics() {
        m.transitions.with_label_values(&[action]).inc();
    }
}

/// Times a wait for a pooled connection.
pub fn pool_waited(since: Instant) {
    if let Some(m) = metrics() {
        m.pool_wait.observe(since.elapsed().as_secs_f64());
    }
}

/// The fold found nothing left to fold.
pub fn fold_caught_up() {
    if let Some(m) = metrics() {
        m.fold_caught_up_at
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }
}

/// Counts and times every request by its route template.
pub async fn observe(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let res = next.call(req).await?;
    if let Some(m) = metrics() {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let status = res.status().as_u16().to_string();
        m.requests
            .with_label_values(&[method.as_str(), &route, &status])
            .inc();
        m.latency
            .with_label_values(&[method.as_str(), &route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res.map_into_boxed_body().map_into_left_body())
}

/// What the pool looks like at a scrape.
pub struct PoolFigures {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// The registry in the text format, after setting the figures read at each scrape: the pool,
/// the statistics' backlog and (when this instance folds) their lag. `None` when the registry
/// could not be built.
pub fn render(
    pool: PoolFigures,
    backlog: i64,
    folding: bool,
) -> Option<Result<Vec<u8>, prometheus::Error>> {
    let m = metrics()?;
    m.pool_size.set(i64::from(pool.connections));
    m.pool_in_use
        .set(i64::from(pool.connections.saturating_sub(pool.idle)));
    m.pool_max.set(i64::from(pool.max));
    m.fold_backlog.set(backlog);
    if folding {
        let caught_up = m.fold_caught_up_at.load(Ordering::Relaxed);
        let lag = if backlog == 0 || caught_up == 0 {
            0.0
        } else {
            (chrono::Utc::now().timestamp_millis() - caught_up).max(0) as f64 / 1000.0
        };
        m.fold_lag.set(lag);
    }
    let mut out = Vec::new();
    Some(
        TextEncoder::new()
            .encode(&m.registry.gather(), &mut out)
            .map(|()| out),
    )
}

/// Compares a presented token with the expected one in time that does not depend on where
/// they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
