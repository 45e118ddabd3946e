//! The migration lock on a MariaDB Galera cluster, where `GET_LOCK` holds on one node only:
//! a row of `_axgen_lock` claimed with a replicated write, renewed while held, and taken over
//! once its holder has stopped renewing it.
//!
//! Galera replicates a transaction's writes when it commits and certifies them in one order on
//! every node: of two transactions that wrote the same row without seeing each other, the
//! second fails (MySQL error 1213, "deadlock"). So `UPDATE _axgen_lock SET token = mine WHERE
//! token IS NULL`, committed on its own, succeeds for one run of the whole cluster; the others
//! see the row taken, or fail certification and look again. The row is read and written with
//! plain statements on the node the run talks to, and `_sqlx_migrations` is read after the
//! lock is taken: the previous holder's writes, its schema changes included, come before its
//! release in the cluster's order, so they are applied on this node before the release is.
//!
//! Schema changes replicate outside transactions, in total order isolation (TOI, which each
//! run sets for its session): while one runs, no write commits anywhere in the cluster. A
//! holder therefore cannot prove it is alive by time alone. It renews the row every second
//! from a second connection, and on the main connection before each migration; a waiting run
//! that has seen no renewal for [`STALE`] commits a write of its own (the "probe", which can
//! only commit once no schema change is running on its node), then waits [`GRACE`] more. A
//! live holder renews within that time; only then is the lock taken over, with a write that
//! certification again makes exclusive. A run killed, or cut off from the cluster, thus
//! loses its lock after about 15 s, and a holder that finds its lock taken stops before its
//! next migration. The one case this cannot tell apart is a holder whose node finishes a
//! schema change more than [`GRACE`] after the waiting run's node: the waiting run then finds
//! that migration unfinished and says it may still be running (see
//! [`Lock::unfinished_after_takeover`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use sqlx::Connection;
use sqlx::mysql::{MySqlConnection, MySqlDatabaseError};

use super::advisory::Wait;
use super::conn::{Conn, Database, Db};
use super::migrations::{self, Applied};
use crate::output::Printer;

/// The lock table, beside `_sqlx_migrations`; only created on a Galera cluster.
pub const TABLE: &str = "_axgen_lock";

/// The row `migrate` and `rollback` take.
const NAME: &str = "migrate";

/// How often the holder renews the lock.
const BEAT: Duration = Duration::from_secs(1);

/// How long a waiting run sees no renewal before it checks whether the holder is gone.
const STALE: Duration = Duration::from_secs(5);

/// How long after its probe committed a waiting run still waits for a renewal.
const GRACE: Duration = Duration::from_secs(10);

/// Whether the server is a node of a Galera cluster (`wsrep_on`; MySQL without Galera has
/// no such variable).
pub async fn is_cluster(c: &mut MySqlConnection) -> Result<bool, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as("SHOW GLOBAL VARIABLES LIKE 'wsrep\\_on'")
        .fetch_optional(c)
        .await?;
    Ok(row.is_some_and(|(_, value)| value.eq_ignore_ascii_case("ON")))
}

/// The migration lock of one run, held across the cluster until [`Lock::release`].
pub struct Lock {
    token: String,
    database: String,
    /// Who held it before, when this run took it over from a holder that stopped renewing it.
    took_over_from: Option<String>,
    /// The versions applied when this run started waiting; `None` when it did not wait.
    applied_before: Option<Vec<i64>>,
    heartbeat: Heartbeat,
}

impl Lock {
    /// Takes the lock when `conn` is a node of a Galera cluster (and this is not a dry run);
    /// `None` otherwise. Prints who holds it while waiting, and gives up after
    /// `wait.timeout`.
    pub async fn take_on_cluster(
        conn: &mut Conn,
        database: &Database,
        dry_run: bool,
        wait: &Wait<'_>,
    ) -> Result<Option<Lock>> {
        let Conn::Mysql(c) = conn else {
            return Ok(None);
        };
        if dry_run || !is_cluster(c).await? {
            return Ok(None);
        }
        Lock::take(c, database, wait).await.map(Some)
    }

    async fn take(c: &mut MySqlConnection, database: &Database, wait: &Wait<'_>) -> Result<Lock> {
        replicate_schema_changes(c).await?;
        let name: String = sqlx::query_scalar("SELECT DATABASE()")
            .fetch_one(&mut *c)
            .await?;
        ensure_row(c).await?;
        let token = new_token()?;
        let started = Instant::now();
        let mut applied_before = None;
        // The holder's token and renewal count as last seen, and since when (our clock).
        let mut seen: Option<(String, i64, Instant)> = None;
        let mut probed: Option<Instant> = None;
        let took_over_from = loop {
            if claim(c, &token, None).await? {
                break None;
            }
            let Some(holder) = retrying(c, holder).await? else {
                pause(10, 30).await;
                continue;
            };
            if applied_before.is_none() {
                applied_before = Some(retrying(c, versions).await?);
                wait.printer.line(&format!(
                    "Waiting for the migration lock on {name}, held by {}...",
                    holder.describe()
                ));
            }
            let now = Instant::now();
            let since = match &seen {
                Some((token, beat, since)) if *token == holder.token && *beat == holder.beat => {
                    *since
                }
                _ => {
                    seen = Some((holder.token.clone(), holder.beat, now));
                    probed = None;
                    now
                }
            };
            let deadline = (!wait.timeout.is_zero()).then(|| started + wait.timeout);
            let give_up = || gave_up(&name, wait.timeout, &holder);
            if now - since >= STALE || holder.silent >= STALE {
                match probed {
                    None => {
                        // Commits only once no schema change is running on this node.
                        let remaining = deadline.map(|d| d.saturating_duration_since(now));
                        let probe = probe(c, &holder);
                        let committed = match remaining {
                            Some(remaining) => tokio::time::timeout(remaining, probe)
                                .await
                                .map_err(|_| give_up())??,
                            None => probe.await?,
                        };
                        if committed {
                            probed = Some(Instant::now());
                        }
                    }
                    Some(at) if at.elapsed() >= GRACE => {
                        if claim(c, &token, Some(&holder)).await? {
                            break Some(holder.describe());
                        }
                    }
                    Some(_) => {}
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(give_up());
            }
            pause(100, 300).await;
        };
        if let Some(from) = &took_over_from {
            wait.printer.warn(&format!(
                "took over the migration lock on {name} from {from}, which had stopped renewing it (killed, or cut off from the cluster)"
            ));
        }
        let heartbeat = match Heartbeat::start(database, &token).await {
            Ok(heartbeat) => heartbeat,
            Err(err) => {
                let _ = let_go(c, &token).await;
                return Err(err);
            }
        };
        Ok(Lock {
            token,
            database: name,
            took_over_from,
            applied_before,
            heartbeat,
        })
    }

    /// The versions applied when this run started waiting for the lock, if it waited: those
    /// applied now but not then were applied by the run that held it.
    pub fn applied_before(&self) -> Option<&[i64]> {
        self.applied_before.as_deref()
    }

    /// When this run took the lock over from a holder that stopped renewing it, and `row` is
    /// a migration not marked done: what to say instead of "failed part-way", since that
    /// holder may still be running it. `repair` says how to repair a failed one.
    pub fn unfinished_after_takeover(&self, row: &Applied, repair: &str) -> Option<String> {
        let from = self.took_over_from.as_deref()?;
        Some(format!(
            "migration {} {} was started by {from}, which then stopped renewing the migration lock on {}, so this run took it over; if that run is still going (a long schema change on a slower node), let it finish and run `axgen migrate` again; if it was killed, the migration stopped part-way: {repair}",
            row.version,
            row.description.replace(' ', "_"),
            self.database
        ))
    }

    /// Renews the lock before a migration, making sure this run still holds it.
    pub async fn renew(&self, conn: &mut Conn) -> Result<()> {
        let Conn::Mysql(c) = conn else {
            return Ok(());
        };
        let deadline = Instant::now() + GRACE;
        loop {
            match beat(c, &self.token).await {
                Ok(0) => break,
                Ok(_) => return Ok(()),
                Err(err) if is_conflict(&err) && Instant::now() < deadline => pause(20, 80).await,
                Err(err) => return Err(err.into()),
            }
        }
        let who = match retrying(c, holder).await? {
            Some(holder) => format!("another run, {},", holder.describe()),
            None => "another run".to_string(),
        };
        anyhow::bail!(
            "this run lost the migration lock on {}: {who} took it over when this run had not renewed it for a while (was the process paused?), so it stopped; `axgen migrations` shows where the migrations stand",
            self.database
        )
    }

    /// Lets go of the lock; when that fails, warns that other runs take it over shortly.
    pub async fn release(self, conn: &mut Conn, printer: &Printer) {
        self.heartbeat.stop().await;
        let Conn::Mysql(c) = conn else {
            return;
        };
        if let Err(err) = let_go(c, &self.token).await {
            printer.warn(&format!(
                "could not let go of the migration lock on {} ({err}); other runs take it over after about {}s",
                self.database,
                (STALE + GRACE).as_secs()
            ));
        }
    }
}

/// The message of a run that waited `timeout` for the lock without getting it.
fn gave_up(database: &str, timeout: Duration, holder: &Holder) -> anyhow::Error {
    anyhow::anyhow!(
        "gave up after waiting {}s for the migration lock on {database}, held by {}; nothing was changed (wait longer with --lock-timeout SECS: a lock whose holder stopped renewing it, e.g. because it was killed, is taken over after about {}s)",
        timeout.as_secs(),
        holder.describe(),
        (STALE + GRACE).as_secs()
    )
}

/// Makes this session's schema changes replicate in total order (TOI), whatever the server's
/// default: in rolling schema upgrade mode (RSU) a migration would change one node only
/// while `_sqlx_migrations` says it ran on all.
async fn replicate_schema_changes(c: &mut MySqlConnection) -> Result<()> {
    let method: String = sqlx::query_scalar("SELECT CAST(@@SESSION.wsrep_OSU_method AS CHAR)")
        .fetch_one(&mut *c)
        .await?;
    if method.eq_ignore_ascii_case("TOI") {
        return Ok(());
    }
    sqlx::raw_sql("SET SESSION wsrep_OSU_method = 'TOI'")
        .execute(&mut *c)
        .await
        .map_err(|err| {
            anyhow::anyhow!(
                "this Galera node replicates schema changes with wsrep_OSU_method = {method}, which would apply migrations to this node only, and setting it to TOI for this session failed: {err}"
            )
        })?;
    Ok(())
}

/// Creates the lock table and its row when missing. Both are created at once by every run
/// that finds them missing: `IF NOT EXISTS` and `INSERT IGNORE` make the later ones no-ops.
async fn ensure_row(c: &mut MySqlConnection) -> Result<()> {
    let tables: i64 = retrying(c, async |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_axgen_lock'",
        )
        .fetch_one(c)
        .await
    })
    .await?;
    if tables == 0 {
        retrying(c, async |c| sqlx::raw_sql(CREATE_TABLE).execute(c).await).await?;
    }
    retrying(c, async |c| {
        sqlx::query("INSERT IGNORE INTO _axgen_lock (name) VALUES (?)")
            .bind(NAME)
            .execute(c)
            .await
    })
    .await?;
    Ok(())
}

/// The lock table: one row per lock, with who holds it (a random token per run, its process
/// id, user and host, node and connection), since when, and its renewals.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _axgen_lock (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    token CHAR(32) NULL,
    pid BIGINT NULL,
    client VARCHAR(255) NULL,
    node VARCHAR(255) NULL,
    connection_id BIGINT UNSIGNED NULL,
    acquired_at DATETIME(6) NULL,
    beat BIGINT NOT NULL DEFAULT 0,
    renewed_at DATETIME(6) NULL,
    probed_at DATETIME(6) NULL
) ENGINE = InnoDB";

/// `UPDATE _axgen_lock` making this run the holder, where `$condition` holds.
macro_rules! claim_sql {
    ($condition:literal) => {
        concat!(
            "UPDATE _axgen_lock SET token = ?, pid = ?, client = USER(), ",
            "node = @@wsrep_node_name, connection_id = CONNECTION_ID(), ",
            "acquired_at = UTC_TIMESTAMP(6), beat = 0, renewed_at = UTC_TIMESTAMP(6), ",
            "probed_at = NULL WHERE name = ? AND ",
            $condition
        )
    };
}

/// Claims the lock for `token`: when it is free, or with `from`, when `from` still holds it
/// as it was seen (a takeover). False when it is taken, or another run claimed it at once.
async fn claim(c: &mut MySqlConnection, token: &str, from: Option<&Holder>) -> Result<bool> {
    let pid = i64::from(std::process::id());
    let claimed = match from {
        None => {
            sqlx::query(claim_sql!("token IS NULL"))
                .bind(token)
                .bind(pid)
                .bind(NAME)
                .execute(&mut *c)
                .await
        }
        Some(holder) => {
            sqlx::query(claim_sql!("token = ? AND beat = ?"))
                .bind(token)
                .bind(pid)
                .bind(NAME)
                .bind(&holder.token)
                .bind(holder.beat)
                .execute(&mut *c)
                .await
        }
    };
    match claimed {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(err) if is_conflict(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Commits a write that says the holder `seen` has not renewed the lock since: true once it
/// committed with the lock still as seen. It waits for any schema change running on this
/// node, during which no holder can renew.
async fn probe(c: &mut MySqlConnection, seen: &Holder) -> Result<bool> {
    let probed = sqlx::query(
        "UPDATE _axgen_lock SET probed_at = UTC_TIMESTAMP(6) \
         WHERE name = ? AND token = ? AND beat = ?",
    )
    .bind(NAME)
    .bind(&seen.token)
    .bind(seen.beat)
    .execute(&mut *c)
    .await;
    match probed {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(err) if is_conflict(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Renews the lock `token` holds: the rows changed, 0 when another run holds it now.
async fn beat(c: &mut MySqlConnection, token: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE _axgen_lock SET beat = beat + 1, renewed_at = UTC_TIMESTAMP(6) \
         WHERE name = ? AND token = ?",
    )
    .bind(NAME)
    .bind(token)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

/// Frees the lock `token` holds (nothing when it no longer does).
async fn let_go(c: &mut MySqlConnection, token: &str) -> Result<(), sqlx::Error> {
    retrying(c, async |c| {
        sqlx::query(
            "UPDATE _axgen_lock SET token = NULL, probed_at = NULL WHERE name = ? AND token = ?",
        )
        .bind(NAME)
        .bind(token)
        .execute(c)
        .await
    })
    .await?;
    Ok(())
}

/// Runs `attempt` again while it fails with a conflict, a few dozen times at most. Reads fail
/// so too: a schema change replicated from another node aborts the statements of this one
/// that use the table it changes, even `CREATE TABLE IF NOT EXISTS` of a table that exists.
async fn retrying<T>(
    c: &mut MySqlConnection,
    mut attempt: impl AsyncFnMut(&mut MySqlConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let mut conflicts = 0;
    loop {
        match attempt(&mut *c).await {
            Err(err) if is_conflict(&err) && conflicts < 50 => {
                conflicts += 1;
                pause(10, 50).await;
            }
            done => return done,
        }
    }
}

/// The holder of the lock as a waiting run sees it.
struct Holder {
    token: String,
    beat: i64,
    pid: Option<i64>,
    /// `user@host`, as the server saw the holder.
    client: Option<String>,
    node: Option<String>,
    connection: Option<u64>,
    since: Option<String>,
    /// How long ago it last renewed the lock, by the server's clock.
    silent: Duration,
}

type HolderRow = (
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<u64>,
    Option<String>,
    Option<i64>,
);

/// Who holds the lock; `None` when it is free.
async fn holder(c: &mut MySqlConnection) -> Result<Option<Holder>, sqlx::Error> {
    let row: Option<HolderRow> = sqlx::query_as(
        "SELECT token, beat, pid, client, node, connection_id, \
                DATE_FORMAT(acquired_at, '%Y-%m-%d %H:%i:%s'), \
                TIMESTAMPDIFF(MICROSECOND, renewed_at, UTC_TIMESTAMP(6)) \
         FROM _axgen_lock WHERE name = ?",
    )
    .bind(NAME)
    .fetch_optional(&mut *c)
    .await?;
    let Some((Some(token), beat, pid, client, node, connection, since, silent)) = row else {
        return Ok(None);
    };
    Ok(Some(Holder {
        token,
        beat,
        pid,
        client,
        node,
        connection,
        since,
        silent: Duration::from_micros(silent.unwrap_or(0).max(0).unsigned_abs()),
    }))
}

impl Holder {
    /// `axgen process 1234 (user root, from 127.0.0.1, on node n2 as connection 17, since
    /// 2026-12-02 10:00:00 UTC, renewed 0s ago)`.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(client) = &self.client {
            match client.split_once('@') {
                Some((user, host)) => {
                    parts.push(format!("user {user}"));
                    parts.push(format!("from {host}"));
                }
                None => parts.push(format!("user {client}")),
            }
        }
        match (&self.node, self.connection) {
            (Some(node), Some(id)) if !node.is_empty() => {
                parts.push(format!("on node {node} as connection {id}"));
            }
            (_, Some(id)) => parts.push(format!("connection {id}")),
            _ => {}
        }
        if let Some(since) = &self.since {
            parts.push(format!("since {since} UTC"));
        }
        parts.push(format!("renewed {}s ago", self.silent.as_secs()));
        let process = match self.pid {
            Some(pid) => format!("axgen process {pid}"),
            None => "a migration run".to_string(),
        };
        format!("{process} ({})", parts.join(", "))
    }
}

/// The versions applied in full (a migration being applied has its row already).
async fn versions(c: &mut MySqlConnection) -> Result<Vec<i64>, sqlx::Error> {
    let applied = migrations::applied(&mut Db::Mysql(c)).await?;
    Ok(applied
        .into_iter()
        .filter(|a| a.success)
        .map(|a| a.version)
        .collect())
}

/// The renewals of a held lock, on a connection of their own, so that they go on while a
/// migration runs on the main one.
struct Heartbeat {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    async fn start(database: &Database, token: &str) -> Result<Heartbeat> {
        let mut conn = connect(database).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, token, database) = (stop.clone(), token.to_owned(), database.clone());
        let task = tokio::spawn(async move {
            let mut next = Instant::now() + BEAT;
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    next = Instant::now() + BEAT;
                    match conn.as_mut() {
                        // The connection broke: open another one, and renew on it at once.
                        None => {
                            conn = connect(&database).await.ok().flatten();
                            if conn.is_some() {
                                next = Instant::now();
                            }
                        }
                        Some(c) => match beat(c, &token).await {
                            // Another run holds it: the main connection says so before the
                            // next migration.
                            Ok(0) => break,
                            Ok(_) => {}
                            Err(err) if is_conflict(&err) => next = Instant::now() + jitter(20, 80),
                            Err(_) => conn = None,
                        },
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if let Some(c) = conn {
                let _ = c.close().await;
            }
        });
        Ok(Heartbeat { stop, task })
    }

    /// Stops the renewals and closes their connection (at most a few seconds: a renewal
    /// waiting on a schema change is abandoned).
    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(3), self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

/// A new connection to a MySQL `database`.
async fn connect(database: &Database) -> Result<Option<MySqlConnection>> {
    match database.connect().await? {
        Conn::Mysql(c) => Ok(Some(c)),
        _ => Ok(None),
    }
}

/// Whether a write failed certification or lost a deadlock: MySQL error 1213, SQLSTATE
/// 40001. Galera reports a conflicting write on another node that way.
fn is_conflict(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("40001")
            || db
                .try_downcast_ref::<MySqlDatabaseError>()
                .is_some_and(|e| e.number() == 1213)
    })
}

/// A random lock token: 32 hex digits.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| anyhow::anyhow!("getting random bytes: {err}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A random duration from `low` to `high` milliseconds, so that runs retrying at once spread.
fn jitter(low: u64, high: u64) -> Duration {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    Duration::from_millis(low + u64::from_le_bytes(bytes) % (high - low).max(1))
}

async fn pause(low: u64, high: u64) {
    tokio::time::sleep(jitter(low, high)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_reads_like_a_process() {
        let holder = Holder {
            token: "x".into(),
            beat: 3,
            pid: Some(1234),
            client: Some("root@127.0.0.1".into()),
            node: Some("n2".into()),
            connection: Some(17),
            since: Some("2026-12-02 10:00:00".into()),
            silent: Duration::from_millis(2_400),
        };
        assert_eq!(
            holder.describe(),
            "axgen process 1234 (user root, from 127.0.0.1, on node n2 as connection 17, since 2026-12-02 10:00:00 UTC, renewed 2s ago)"
        );
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
