//! PostgreSQL's migration lock, taken per transaction so that neither a crash nor a
//! transaction pooler (PgBouncer) can leave it held, and waited for with a timeout that
//! names who holds it.
//!
//! sqlx's migrator takes a session lock (`pg_advisory_lock`) for the whole run. Behind a
//! transaction pooler the session is PgBouncer's, not ours: the lock lands on whatever server
//! connection ran that statement, the unlock on another, and the lock stays held by an idle
//! server connection until PgBouncer closes it. Here each migration runs in a transaction
//! that first takes `pg_advisory_xact_lock` on the same key (so sqlx's own migrator and this
//! one still exclude each other) and reads `_sqlx_migrations` again under it: the lock ends
//! with the transaction, whatever happens, and a migration another run applied meanwhile is
//! seen as such.

use std::time::Duration;

use anyhow::Result;
use sqlx::postgres::{PgConnection, Postgres};
use sqlx::{AssertSqlSafe, Connection, Transaction};

use crate::output::Printer;

/// How long to wait for the migration lock, and where to say that we wait.
pub struct Wait<'a> {
    /// `Duration::ZERO` waits as long as it takes.
    pub timeout: Duration,
    pub printer: &'a Printer,
}

/// Starts a transaction on a connection that may be a transaction pooler's: drops every
/// prepared statement of the server connection first, since that connection may have served
/// other clients, whose statements (sqlx names them `sqlx_s_1`, `sqlx_s_2`, … on every
/// connection) would clash with the ones this transaction prepares.
pub async fn begin(c: &mut PgConnection) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
    let mut tx = c.begin().await?;
    sqlx::raw_sql("DEALLOCATE ALL").execute(&mut *tx).await?;
    Ok(tx)
}

/// Takes the migration lock of the current database until the transaction `tx` ends. When
/// another run holds it, prints who that is, then waits at most `wait.timeout`.
pub async fn lock(tx: &mut PgConnection, wait: &Wait<'_>) -> Result<()> {
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut *tx)
        .await?;
    let key = lock_id(&database);
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
    if got {
        return Ok(());
    }
    let holder = holder(tx, key).await?;
    wait.printer.line(&format!(
        "Waiting for the migration lock on {database}, held by {holder}..."
    ));
    let timeout = wait.timeout.as_millis();
    sqlx::raw_sql(AssertSqlSafe(format!("SET LOCAL lock_timeout = {timeout}")))
        .execute(&mut *tx)
        .await?;
    let locked = sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(&mut *tx)
        .await;
    match locked {
        Ok(_) => {}
        Err(err) if err.as_database_error().and_then(|e| e.code()).as_deref() == Some("55P03") => {
            anyhow::bail!(
                "gave up after waiting {}s for the migration lock on {database}, held by {holder}; \
                 nothing was changed (wait longer with --lock-timeout SECS, or end that session, \
                 e.g. `SELECT pg_terminate_backend(PID)` with its PID)",
                wait.timeout.as_secs()
            )
        }
        Err(err) => return Err(err.into()),
    }
    sqlx::raw_sql("SET LOCAL lock_timeout TO DEFAULT")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A lock holder's process id, user, application, address, state and since when.
type HolderRow = (
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Who holds the advisory lock `key` on the current database, from `pg_locks` and
/// `pg_stat_activity`: `process 123 (user postgres, application "x", from 127.0.0.1, idle
/// since 2026-01-01 12:00:00+00)`.
async fn holder(tx: &mut PgConnection, key: i64) -> Result<String> {
    // A bigint advisory key shows in pg_locks as classid (high half) and objid (low half).
    let row: Option<HolderRow> = sqlx::query_as(
        "SELECT a.pid, a.usename::text, a.application_name, host(a.client_addr), a.state, \
                    to_char(a.state_change, 'YYYY-MM-DD HH24:MI:SSOF') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid = (($1 >> 32) & 4294967295)::bigint::oid \
               AND l.objid = ($1 & 4294967295)::bigint::oid AND l.objsubid = 1 \
             LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((pid, user, application, from, state, since)) = row else {
        return Ok("another session (it has just let go, or is not visible to this user)".into());
    };
    let mut parts = Vec::new();
    if let Some(user) = user.filter(|u| !u.is_empty()) {
        parts.push(format!("user {user}"));
    }
    if let Some(application) = application.filter(|a| !a.is_empty()) {
        parts.push(format!("application {application:?}"));
    }
    if let Some(from) = from {
        parts.push(format!("from {from}"));
    }
    match (state, since) {
        (Some(state), Some(since)) => parts.push(format!("{state} since {since}")),
        (Some(state), None) => parts.push(state),
        _ => {}
    }
    Ok(format!("process {pid} ({})", parts.join(", ")))
}

/// The key sqlx's migrator locks for `database` (see sqlx-postgres's `generate_lock_id`).
fn lock_id(database: &str) -> i64 {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    0x3d32_ad9e_i64 * i64::from(CRC.checksum(database.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lock_key_is_the_one_sqlx_takes() {
        // 0x3d32ad9e * crc32("postgres") = 0x3d32ad9e * 0x156a8775
        assert_eq!(
            super::lock_id("postgres"),
            0x3d32_ad9e_i64 * 0x156a_8775_i64
        );
    }
}
