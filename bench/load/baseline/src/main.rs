//! A minimal hand-written axum + sqlx JSON API over the `items` table of the app that
//! bench/load.sh generates: what this stack can do with no layers, logging or changesets,
//! so the generated routes have a limit to be measured against.
//!
//! `GET /api/items/{id}`, `GET /api/items?page=&limit=` (20 by default, by id, with the
//! same SQL as the generated context's page query, LIMIT and OFFSET bound as parameters),
//! `POST /api/items` (body `{"item": {"name": ..., "price": ...}}`; 201 + `Location`) and,
//! to show what those parameters cost, `GET /fixed/items` (the first 20 with `LIMIT 20`
//! written into the SQL), on `DATABASE_URL`
//! (`sqlite:` or `postgres:`), served on `HOST`:`PORT`. Pools use sqlx's defaults, and SQLite
//! opens in WAL mode with `synchronous = NORMAL`, like the generated app's.

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Serialize, sqlx::FromRow)]
struct Item {
    id: i64,
    name: String,
    price: i32,
    inserted_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

/// `?page=&limit=` of the index: 20 rows by default, 100 at most, as in the generated API.
#[derive(Deserialize)]
struct Paging {
    page: Option<i64>,
    limit: Option<i64>,
}

impl Paging {
    fn limit_offset(&self) -> (i64, i64) {
        let limit = self.limit.filter(|limit| *limit > 0).unwrap_or(20).min(100);
        let page = self.page.filter(|page| *page > 0).unwrap_or(1);
        (limit, (page - 1) * limit)
    }
}

/// The first page with its size written into the SQL: not what a paginated index can do
/// (its LIMIT and OFFSET are parameters), measured beside it to show what the parameters
/// cost on each database.
const FIXED_FIRST_PAGE: &str =
    "SELECT id, name, price, inserted_at, updated_at FROM items ORDER BY id LIMIT 20";

#[derive(Deserialize)]
struct Params {
    item: NewItem,
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
    price: i32,
}

fn failure(err: sqlx::Error) -> Response {
    match err {
        sqlx::Error::RowNotFound => StatusCode::NOT_FOUND.into_response(),
        err => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

fn created(item: Item) -> Response {
    let location = format!("/api/items/{}", item.id);
    (
        StatusCode::CREATED,
        [(LOCATION, location)],
        Json(Data { data: item }),
    )
        .into_response()
}

mod sqlite {
    use super::*;

    pub fn routes(db: SqlitePool) -> Router {
        Router::new()
            .route("/api/items", get(index).post(create))
            .route("/api/items/{id}", get(show))
            .route("/fixed/items", get(fixed_first_page))
            .with_state(db)
    }

    async fn show(
        State(db): State<SqlitePool>,
        Path(id): Path<i64>,
    ) -> Result<Json<Data<Item>>, Response> {
        let item = sqlx::query_as(
            "SELECT id, name, price, inserted_at, updated_at FROM items WHERE id = ?",
        )
        .bind(id)
        .fetch_one(&db)
        .await
        .map_err(failure)?;
        Ok(Json(Data { data: item }))
    }

    async fn index(
        State(db): State<SqlitePool>,
        Query(paging): Query<Paging>,
    ) -> Result<Json<Data<Vec<Item>>>, Response> {
        let (limit, offset) = paging.limit_offset();
        // CAST: SQLite re-prepares a statement whose LIMIT is a bare parameter at every
        // execution (see the generated context's comment).
        let items = sqlx::query_as(
            "SELECT id, name, price, inserted_at, updated_at FROM items ORDER BY id \
             LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&db)
        .await
        .map_err(failure)?;
        Ok(Json(Data { data: items }))
    }

    async fn fixed_first_page(
        State(db): State<SqlitePool>,
    ) -> Result<Json<Data<Vec<Item>>>, Response> {
        let items = sqlx::query_as(FIXED_FIRST_PAGE)
            .fetch_all(&db)
            .await
            .map_err(failure)?;
        Ok(Json(Data { data: items }))
    }

    async fn create(
        State(db): State<SqlitePool>,
        Json(params): Json<Params>,
    ) -> Result<Response, Response> {
        let now = Utc::now().trunc_subsecs(0);
        let item = sqlx::query_as(
            "INSERT INTO items (name, price, inserted_at, updated_at) VALUES (?, ?, ?, ?) \
             RETURNING id, name, price, inserted_at, updated_at",
        )
        .bind(params.item.name)
        .bind(params.item.price)
        .bind(now)
        .bind(now)
        .fetch_one(&db)
        .await
        .map_err(failure)?;
        Ok(created(item))
    }
}

mod postgres {
    use super::*;

    pub fn routes(db: PgPool) -> Router {
        Router::new()
            .route("/api/items", get(index).post(create))
            .route("/api/items/{id}", get(show))
            .route("/fixed/items", get(fixed_first_page))
            .with_state(db)
    }

    async fn show(
        State(db): State<PgPool>,
        Path(id): Path<i64>,
    ) -> Result<Json<Data<Item>>, Response> {
        let item = sqlx::query_as(
            "SELECT id, name, price, inserted_at, updated_at FROM items WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&db)
        .await
        .map_err(failure)?;
        Ok(Json(Data { data: item }))
    }

    async fn index(
        State(db): State<PgPool>,
        Query(paging): Query<Paging>,
    ) -> Result<Json<Data<Vec<Item>>>, Response> {
        let (limit, offset) = paging.limit_offset();
        let items = sqlx::query_as(
            "SELECT id, name, price, inserted_at, updated_at FROM items ORDER BY id \
             LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&db)
        .await
        .map_err(failure)?;
        Ok(Json(Data { data: items }))
    }

    async fn fixed_first_page(State(db): State<PgPool>) -> Result<Json<Data<Vec<Item>>>, Response> {
        let items = sqlx::query_as(FIXED_FIRST_PAGE)
            .fetch_all(&db)
            .await
            .map_err(failure)?;
        Ok(Json(Data { data: items }))
    }

    async fn create(
        State(db): State<PgPool>,
        Json(params): Json<Params>,
    ) -> Result<Response, Response> {
        let now = Utc::now().trunc_subsecs(0);
        let item = sqlx::query_as(
            "INSERT INTO items (name, price, inserted_at, updated_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, price, inserted_at, updated_at",
        )
        .bind(params.item.name)
        .bind(params.item.price)
        .bind(now)
        .bind(now)
        .fetch_one(&db)
        .await
        .map_err(failure)?;
        Ok(created(item))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = std::env::var("PORT").map_or(Ok(4001), |port| port.parse())?;
    let app = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(&url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        sqlite::routes(SqlitePool::connect_with(options).await?)
    } else {
        postgres::routes(PgPool::connect(&url).await?)
    };
    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
