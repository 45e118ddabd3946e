//! `GET /health`: whether the app is up and its database answers, for load
//! balancers and uptime checks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::db::{self, Pool};

/// 200 `{"status":"ok"}` when the database answers a query ([`db::check`]), else
/// 503 `{"status":"unavailable"}`.
pub async fn show(State(db): State<Pool>) -> (StatusCode, Json<Value>) {
    match db::check(&db).await {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(err) => {
            tracing::warn!(error = %err, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}
