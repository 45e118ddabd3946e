//! Refuses to write to a read-only standby before anything is changed: a PostgreSQL server in
//! recovery (a streaming replica), or a MySQL/MariaDB server with `read_only` or
//! `super_read_only` set. Without it, the first write fails with the database's own message,
//! which never says that the URL points at a replica.

use anyhow::Result;
use sqlx::Row as _;

use super::conn::{Conn, Database};
use crate::error::UsageError;

/// Fails (exit 2) when the server behind `conn`, a connection of `database`, is a read-only
/// standby; commands that write call it on their connection before their first change, and
/// `db create`/`db drop` on the server's maintenance connection. SQLite is never one.
pub async fn refuse(database: &Database, conn: &mut Conn) -> Result<()> {
    let why = match conn {
        Conn::Sqlite(_) => None,
        Conn::Postgres(c) => {
            // The simple query protocol: one round trip, safe behind a transaction pooler.
            let row = sqlx::raw_sql("SELECT pg_is_in_recovery()")
                .fetch_one(&mut *c)
                .await
                .map_err(|err| checking(database, &err))?;
            let in_recovery: bool = row.try_get(0).map_err(|err| checking(database, &err))?;
            in_recovery.then(|| "it is in recovery".to_string())
        }
        Conn::Mysql(c) => {
            // `SELECT @@super_read_only` fails on MariaDB, which has no such variable; both
            // answer SHOW, with the rows of the variables they have.
            let rows = sqlx::raw_sql(
                "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only')",
            )
            .fetch_all(&mut *c)
            .await
            .map_err(|err| checking(database, &err))?;
            let mut set = Vec::new();
            for row in rows {
                let name: String = row.try_get(0).map_err(|err| checking(database, &err))?;
                let value: String = row.try_get(1).map_err(|err| checking(database, &err))?;
                if is_on(&value) {
                    set.push(name.to_ascii_lowercase());
                }
            }
            set.sort();
            set.first().map(|name| format!("{name} is ON"))
        }
    };
    match why {
        None => Ok(()),
        Some(why) => Err(standby(database, &why)),
    }
}

/// [`refuse`] on `conn`, which it closes when it refuses and gives back otherwise.
pub async fn writable(database: &Database, mut conn: Conn) -> Result<Conn> {
    match refuse(database, &mut conn).await {
        Ok(()) => Ok(conn),
        Err(err) => {
            conn.close().await;
            Err(err)
        }
    }
}

/// Connects to the server of `database` without its database (which `db create` has not made
/// yet) and refuses a standby there; nothing to do for SQLite.
pub async fn refuse_server(database: &Database) -> Result<()> {
    let Some(mut conn) = database.connect_maintenance().await? else {
        return Ok(());
    };
    let refused = refuse(database, &mut conn).await;
    conn.close().await;
    refused
}

/// A MySQL boolean variable as SHOW prints it.
fn is_on(value: &str) -> bool {
    value.eq_ignore_ascii_case("ON") || value == "1"
}

fn standby(database: &Database, why: &str) -> anyhow::Error {
    UsageError::new(format!(
        "the database server at {} is a read-only standby ({why}), so nothing was changed",
        database.server()
    ))
    .with_hint(format!(
        "use the primary server's URL (this one came from {}); a standby serves only reads such as `axgen migrations` and `axgen migrate --dry-run`",
        database.url_source()
    ))
    .into()
}

fn checking(database: &Database, err: &sqlx::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "could not ask the database server at {} whether it is a read-only standby: {}",
        database.server(),
        database.reason(err)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_booleans_read_as_show_prints_them() {
        assert!(is_on("ON"));
        assert!(is_on("on"));
        assert!(is_on("1"));
        assert!(!is_on("OFF"));
        assert!(!is_on("0"));
    }
}
