//! motcua: the backend of Vietnam's electronic one-stop system for administrative procedures
//! (Một cửa điện tử). See README.md for the map of the code.

pub mod accounts;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod calendar;
pub mod catalogue;
pub mod config;
pub mod csvin;
pub mod db;
pub mod demo;
pub mod dossiers;
pub mod edge;
pub mod error;
pub mod http;
pub mod i18n;
pub mod metrics;
pub mod ops;
pub mod reorganise;
pub mod seed;
pub mod services;
pub mod simulate;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod text;
pub mod units;
pub mod web;

use std::net::TcpListener;

use secrecy::ExposeSecret;

use crate::config::Config;
use crate::db::Db;

/// Opens (and migrates) the configured database.
pub fn open_db(config: &Config) -> Result<Db, db::DbSetupError> {
    Db::connect(config.database_url.expose_secret(), config.db_pool_size)
}

/// Serves on the configured address until SIGINT/SIGTERM, then drains in-flight requests.
pub async fn serve(config: Config, db: Db) -> std::io::Result<()> {
    let listener = TcpListener::bind(config.bind).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", config.bind))
    })?;
    let workers = config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    tracing::info!(address = %config.bind, backend = config.backend_name(), workers, "motcua listening");
    let state = actix_web::web::Data::new(state::AppState::new(&config, db));
    app::server(state, listener, workers)?.await
}
