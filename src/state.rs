//! The state every request shares (`AppState`: the database, keys, caches, limits), and what
//! a request carries that both faces read from it: the signed-in `Caller` of a bearer token
//! and the client's address. It sits below the services, the API and the web client, and
//! above the domains whose caches it holds; nothing under it imports it.

use std::future::{ready, Future};
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use secrecy::ExposeSecret;

use crate::auth::caller::bearer;
use crate::auth::throttle::AddressThrottle;
use crate::auth::tokens::{Claims, TokenKeys};
use crate::auth::Caller;
use crate::config::{Config, LoginPolicy};
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// What every request handler shares.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub login: LoginPolicy,
    pub refresh_ttl: chrono::Duration,
    pub address_throttle: AddressThrottle,
    pub json_limit: usize,
    /// See `Config::request_timeout`.
    pub request_timeout: std::time::Duration,
    pub head_timeout: std::time::Duration,
    pub max_connections: usize,
    pub trust_proxy: bool,
    /// Public tracking look-ups per address.
    pub track_limit: AddressThrottle,
    /// The bearer token `/metrics` asks for (`None`: not served).
    pub metrics_token: Option<String>,
    /// Citizen registrations per address.
    pub register_limit: AddressThrottle,
    /// The working-day calendar, in memory.
    pub calendar: crate::calendar::store::CalendarCache,
    /// The in-memory catalogue that public search reads.
    pub catalogue: crate::catalogue::index::CatalogueCache,
    /// What each procedure version holds (versions never change).
    pub versions: std::sync::Arc<crate::catalogue::versions::VersionCache>,
    /// Uploaded documents.
    pub blobs: crate::blobs::BlobStore,
    /// Whether this instance folds changes into the statistics.
    pub stats_fold: bool,
    /// See `Config::clock_offset`, in microseconds (tests move it on).
    pub clock_offset: std::sync::atomic::AtomicI64,
    /// What authentication last read of each account.
    pub standing: crate::auth::standing::StandingCache,
    /// The key of the web client's CSRF tokens (the JWT secret).
    pub csrf_key: Vec<u8>,
}

impl AppState {
    pub fn new(config: &Config, db: Db) -> AppState {
        let access_ttl = i64::try_from(config.access_token_ttl.as_secs()).unwrap_or(900);
        AppState {
            db,
            tokens: TokenKeys::new(config.jwt_secret.expose_secret(), access_ttl),
            login: config.login.clone(),
            refresh_ttl: chrono::Duration::from_std(config.refresh_token_ttl)
                .unwrap_or_else(|_| chrono::Duration::days(14)),
            address_throttle: AddressThrottle::new(
                config.login.address_lock_after,
                config.login.lock_for,
            ),
            json_limit: config.max_json_bytes,
            request_timeout: config.request_timeout,
            head_timeout: config.head_timeout,
            max_connections: config.max_connections,
            trust_proxy: config.trust_proxy,
            track_limit: AddressThrottle::new(120, std::time::Duration::from_secs(60)),
            metrics_token: config
                .metrics_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            register_limit: AddressThrottle::new(
                config.login.registrations_per_address,
                std::time::Duration::from_secs(3600),
            ),
            calendar: Default::default(),
            catalogue: Default::default(),
            versions: Default::default(),
            blobs: crate::blobs::BlobStore::new(&config.documents_dir, config.max_upload_bytes),
            stats_fold: config.stats_fold,
            clock_offset: std::sync::atomic::AtomicI64::new(
                config.clock_offset.num_microseconds().unwrap_or(0),
            ),
            standing: Default::default(),
            csrf_key: config.jwt_secret.expose_secret().to_owned(),
        }
    }

    /// The instant a dossier change happens at (microsecond precision, as stored).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.clock_offset.load(std::sync::atomic::Ordering::Relaxed);
        crate::dossiers::store::now_instant() + chrono::Duration::microseconds(offset)
    }

    /// Moves the dossier clock so that it reads `at` now (tests only: see `Config::clock_offset`).
    pub fn set_clock(&self, at: chrono::DateTime<chrono::Utc>) {
        let offset = (at - chrono::Utc::now()).num_microseconds().unwrap_or(0);
        self.clock_offset
            .store(offset, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The client's address: the peer, or behind a trusted proxy the address it forwarded.
pub fn client_address(state: &AppState, req: &HttpRequest) -> Option<std::net::IpAddr> {
    if state.trust_proxy {
        let info = req.connection_info();
        let forwarded = info.realip_remote_addr()?;
        forwarded.parse::<std::net::IpAddr>().ok().or_else(|| {
            forwarded
                .parse::<std::net::SocketAddr>()
                .ok()
                .map(|a| a.ip())
        })
    } else {
        req.peer_addr().map(|a| a.ip())
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = verify(req);
        Box::pin(async move { authenticate(verified?).await })
    }
}

/// For public routes that serve signed-in callers more: no `Authorization` header is an
/// anonymous caller; a header with a bad token is still 401.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequest for MaybeCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(header::AUTHORIZATION) {
            return Box::pin(ready(Ok(MaybeCaller(None))));
        }
        let verified = verify(req);
        Box::pin(async move { Ok(MaybeCaller(Some(authenticate(verified?).await?))) })
    }
}

/// The token's claims, checked (signature, expiry, issuer, audience), with the state to check
/// the account's standing against.
fn verify(req: &HttpRequest) -> AppResult<(web::Data<AppState>, Claims)> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unavailable("application state missing".to_owned()))?;
    let token = bearer(req)
        .ok_or_else(|| AppError::Unauthorized("a bearer access token is required".to_owned()))?;
    let claims = state
        .tokens
        .verify(token)
        .map_err(|_| AppError::Unauthorized("the access token is invalid or expired".to_owned()))?;
    Ok((state, claims))
}

/// The caller as the account stands now: refused if it was disabled or its tokens were ended
/// after this one was issued; with its current role and unit (a reorganisation may have moved
/// it since it signed in).
async fn authenticate((state, claims): (web::Data<AppState>, Claims)) -> AppResult<Caller> {
    let ttl = chrono::Duration::seconds(state.tokens.access_ttl_secs);
    authenticate_claims(&state, &claims, ttl).await
}

/// The caller of checked `claims` (from a token that lives at most `ttl`), as the account
/// stands now.
pub async fn authenticate_claims(
    state: &AppState,
    claims: &Claims,
    ttl: chrono::Duration,
) -> AppResult<Caller> {
    let standing = state.standing.get(&state.db, claims.sub, ttl).await?;
    match standing {
        Some(s) if s.accepts(crate::auth::standing::issued_ms(claims), claims.sid) => Ok(Caller {
            user_id: claims.sub,
            role: s.role,
            unit_id: s.unit_id,
        }),
        _ => Err(AppError::Unauthorized(
            "the access token is no longer valid for this account; sign in again".to_owned(),
        )),
    }
}
