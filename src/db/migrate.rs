//! `axgen migrate` and `axgen rollback`: sqlx's `Migrate` machinery (its lock, its
//! `_sqlx_migrations` table and checksums, its per-migration transactions), one migration at a
//! time so each can be printed and timed.

use std::time::Duration;

use anyhow::Result;
use sqlx::migrate::{Migrate, MigrateError, Migration};
use sqlx::mysql::MySqlConnection;

use super::advisory::{self, Wait};
use super::conn::{Conn, Db, each_db};
use super::galera;
use super::migrations::{self, Applied, MigrationFile, Reach, TABLE};
use super::notices;
use super::standby;
use super::{App, MigrateRequest, RollbackRequest, Show, duration};
use crate::adapter::Adapter;
use crate::error::UsageError;
use crate::output::Printer;

/// `axgen migrate`: applies pending migrations in version order.
pub async fn up(app: &App, request: &MigrateRequest, printer: &Printer) -> Result<()> {
    let MigrateRequest {
        reach,
        order,
        show,
        lock_timeout,
    } = *request;
    check_steps(reach)?;
    if show.log_sql {
        notices::keep();
    }
    let files = migrations::load(&app.migrations)?;
    let mut conn = if show.dry_run {
        app.database.connect_or_empty(printer).await?
    } else {
        let conn = app.database.connect_or_create(printer).await?;
        standby::writable(&app.database, conn).await?
    };
    let _lock = lock_sqlite(app, show, printer)?;
    let wait = Wait {
        timeout: lock_timeout,
        printer,
    };
    let cluster =
        galera::Lock::take_on_cluster(&mut conn, &app.database, show.dry_run, &wait).await?;
    let result = apply_pending(
        &mut conn,
        (&files, &app.migrations.label),
        reach,
        order,
        show,
        &wait,
        cluster.as_ref(),
    )
    .await;
    if let Some(lock) = cluster {
        lock.release(&mut conn, printer).await;
    }
    conn.close().await;
    result
}

/// `axgen rollback`: reverts applied migrations, newest first.
pub async fn down(app: &App, request: &RollbackRequest, printer: &Printer) -> Result<()> {
    let RollbackRequest {
        reach,
        show,
        lock_timeout,
    } = *request;
    check_steps(reach)?;
    if show.log_sql {
        notices::keep();
    }
    let (files, conn) = open(app).await?;
    let mut conn = if show.dry_run {
        conn
    } else {
        standby::writable(&app.database, conn).await?
    };
    let _lock = lock_sqlite(app, show, printer)?;
    let wait = Wait {
        timeout: lock_timeout,
        printer,
    };
    let cluster =
        galera::Lock::take_on_cluster(&mut conn, &app.database, show.dry_run, &wait).await?;
    let result = revert_applied(
        &mut conn,
        (&files, &app.migrations.label),
        reach,
        show,
        &wait,
        cluster.as_ref(),
    )
    .await;
    if let Some(lock) = cluster {
        lock.release(&mut conn, printer).await;
    }
    conn.close().await;
    result
}

/// The app's migration files and a connection to its database.
pub async fn open(app: &App) -> Result<(Vec<MigrationFile>, Conn)> {
    let files = migrations::load(&app.migrations)?;
    Ok((files, app.database.connect().await?))
}

/// SQLite has no lock of its own for a migration run (sqlx's is a no-op there): this one,
/// held until the returned file drops, makes a run wait for another to finish, which then
/// leaves it nothing to do. A dry run takes none.
fn lock_sqlite(app: &App, show: Show, printer: &Printer) -> Result<Option<std::fs::File>> {
    if show.dry_run {
        return Ok(None);
    }
    app.database.lock_migrations(|| {
        printer.line(&format!(
            "Waiting for another migration run on {} to finish...",
            app.database.name()
        ));
    })
}

/// Refuses `--step 0`, which would do nothing.
fn check_steps(reach: Reach) -> Result<()> {
    if reach != Reach::Step(0) {
        return Ok(());
    }
    Err(UsageError::new("--step 0 would do nothing")
        .with_hint("give --step a number of migrations of at least 1")
        .into())
}

/// Takes sqlx's migration lock (GET_LOCK on MySQL, nothing on SQLite, which [`lock_sqlite`]
/// covers), creates `_sqlx_migrations` if needed, then reads it. A dry run takes no lock and
/// creates nothing.
///
/// PostgreSQL does that in a transaction under its transaction-scoped lock, which ends with
/// it: each migration takes it again (see `advisory.rs`). On a Galera cluster the run already
/// holds the cluster's lock (`cluster`, see `galera.rs`) instead of GET_LOCK, which holds on
/// one node only.
async fn applied_under_lock(
    conn: &mut Conn,
    dry_run: bool,
    wait: &Wait<'_>,
    cluster: Option<&galera::Lock>,
) -> Result<Vec<Applied>> {
    if let Conn::Postgres(c) = conn {
        let mut tx = advisory::begin(c).await?;
        if !dry_run {
            advisory::lock(&mut tx, wait).await?;
            Migrate::ensure_migrations_table(&mut *tx, TABLE).await?;
        }
        let applied = migrations::applied(&mut Db::Postgres(&mut tx)).await?;
        tx.commit().await?;
        return Ok(applied);
    }
    let db = &mut conn.db();
    if !dry_run {
        match db {
            Db::Mysql(_) if cluster.is_some() => {}
            Db::Mysql(c) => lock_mysql(c, wait).await?,
            _ => each_db!(db, c => Migrate::lock(&mut **c).await?),
        }
        // On a cluster `CREATE TABLE IF NOT EXISTS` is a schema change even when the table
        // exists: it would replicate and abort other sessions' reads of the table.
        if cluster.is_none() || !migrations::table_exists(db).await? {
            each_db!(db, c => Migrate::ensure_migrations_table(&mut **c, TABLE).await?);
        }
    }
    let applied = migrations::applied(db).await?;
    let unfinished = cluster.and_then(|lock| {
        let row = applied.iter().find(|a| !a.success)?;
        lock.unfinished_after_takeover(row, &repair_advice(row.version))
    });
    if let Some(message) = unfinished {
        anyhow::bail!("{message}");
    }
    Ok(applied)
}

/// sqlx's MySQL lock asks `GET_LOCK(name, -1)`, which MariaDB answers with NULL (it has no
/// infinite timeout), so there it never locks. This takes the same named lock (so it still
/// excludes sqlx's own migrator on MySQL) with a finite timeout. When another session holds
/// it, prints who that is, then waits at most `wait.timeout` (`Duration::ZERO`: as long as it
/// takes).
async fn lock_mysql(c: &mut MySqlConnection, wait: &Wait<'_>) -> Result<()> {
    let database: String = sqlx::query_scalar("SELECT DATABASE()")
        .fetch_one(&mut *c)
        .await?;
    let name = mysql_lock_name(&database);
    let got = get_lock(c, &name, 0.0).await?;
    if got == 1 {
        return Ok(());
    }
    let holder = mysql_holder(c, &name).await?;
    wait.printer.line(&format!(
        "Waiting for the migration lock on {database}, held by {holder}..."
    ));
    let seconds = if wait.timeout.is_zero() {
        30.0
    } else {
        wait.timeout.as_secs_f64()
    };
    loop {
        if get_lock(c, &name, seconds).await? == 1 {
            return Ok(());
        }
        if !wait.timeout.is_zero() {
            anyhow::bail!(
                "gave up after waiting {}s for the migration lock on {database}, held by {holder}; \
                 nothing was changed (wait longer with --lock-timeout SECS, or end that session, \
                 e.g. `KILL ID` with its connection ID)",
                wait.timeout.as_secs()
            )
        }
    }
}

/// `GET_LOCK(name, seconds)`: 1 when it got the lock, 0 when the time ran out.
async fn get_lock(c: &mut MySqlConnection, name: &str, seconds: f64) -> Result<i64> {
    let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
        .bind(name)
        .bind(seconds)
        .fetch_one(&mut *c)
        .await?;
    got.ok_or_else(|| {
        anyhow::anyhow!("MySQL refused the migration lock {name} (GET_LOCK returned NULL)")
    })
}

/// A connection's id, user, host, command and seconds in it, from the process list.
type ProcessRow = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Who holds the named lock `name`, from `IS_USED_LOCK` and the process list: `connection 12
/// (user root, from localhost:51234, Sleep for 3 s)`.
async fn mysql_holder(c: &mut MySqlConnection, name: &str) -> Result<String> {
    let row: Option<ProcessRow> = sqlx::query_as(
        "SELECT CAST(p.ID AS SIGNED), p.USER, p.HOST, p.COMMAND, CAST(p.TIME AS SIGNED) \
             FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)",
    )
    .bind(name)
    .fetch_optional(&mut *c)
    .await?;
    let Some((id, user, host, command, time)) = row else {
        return Ok("another session (it has just let go, or is not visible to this user)".into());
    };
    let mut parts = Vec::new();
    if let Some(user) = user.filter(|u| !u.is_empty()) {
        parts.push(format!("user {user}"));
    }
    if let Some(host) = host.filter(|h| !h.is_empty()) {
        parts.push(format!("from {host}"));
    }
    match (command, time) {
        (Some(command), Some(time)) => parts.push(format!("{command} for {time} s")),
        (Some(command), None) => parts.push(command),
        _ => {}
    }
    Ok(format!("connection {id} ({})", parts.join(", ")))
}

/// The lock name sqlx uses for `database` (see sqlx-mysql's `generate_lock_id`).
fn mysql_lock_name(database: &str) -> String {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    format!(
        "{:x}",
        0x3d32_ad9e_i64 * i64::from(CRC.checksum(database.as_bytes()))
    )
}

/// Lets go of sqlx's migration lock (PostgreSQL's ends with each transaction; a Galera
/// cluster's is let go by `up` and `down`, whatever happened).
async fn unlock(conn: &mut Conn, dry_run: bool, cluster: Option<&galera::Lock>) -> Result<()> {
    if !dry_run && cluster.is_none() && !matches!(conn, Conn::Postgres(_)) {
        let db = &mut conn.db();
        each_db!(db, c => Migrate::unlock(&mut **c).await?);
    }
    Ok(())
}

/// What `migrate` does with a pending migration older than the newest applied one (one
/// merged from a branch, say): Ecto and Rails apply it with a warning; `--strict-version-order`
/// refuses instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Apply it, with a warning.
    Warn,
    /// Refuse it.
    Strict,
}

/// Applies the pending migrations of `files`, read from `folder` (as messages name it).
async fn apply_pending(
    conn: &mut Conn,
    (files, folder): (&[MigrationFile], &str),
    reach: Reach,
    order: Order,
    show: Show,
    wait: &Wait<'_>,
    cluster: Option<&galera::Lock>,
) -> Result<()> {
    let printer = wait.printer;
    let applied = applied_under_lock(conn, show.dry_run, wait, cluster).await?;
    if let Some(before) = cluster.and_then(galera::Lock::applied_before) {
        for row in applied
            .iter()
            .filter(|a| a.success && !before.contains(&a.version))
        {
            printer.line(&format!(
                "== {} was applied meanwhile by another migration run",
                row.version
            ));
        }
    }
    check_applied(files, &applied, folder)?;
    let todo = migrations::pending(files, &applied, reach);
    if todo.is_empty() {
        printer.line("Already up to date: no migration to run.");
    }
    if let Some(newest) = applied.last() {
        let newest_name = newest.description.replace(' ', "_");
        for file in todo.iter().filter(|f| f.version < newest.version) {
            let what = format!(
                "migration {} {} is older than {} {newest_name}, which has already run",
                file.version, file.name, newest.version
            );
            if order == Order::Strict {
                unlock(conn, show.dry_run, cluster).await?;
                return Err(UsageError::new(format!("{what}, and --strict-version-order was given"))
                    .with_hint(format!(
                        "give it a version after {} (rename both of its files), or migrate without --strict-version-order",
                        newest.version
                    ))
                    .into());
            }
            printer.warn(&format!(
                "{what}; it runs now, but a `rollback` reverts {} first",
                newest.version
            ));
        }
    }
    let mut last_good = applied
        .last()
        .map(|a| (a.version, a.description.replace(' ', "_")));
    for file in &todo {
        announce(printer, file.version, &file.name, "up", &file.up, show);
        if show.dry_run {
            continue;
        }
        let Some(elapsed) = apply_one(conn, file, last_good.as_ref(), wait, cluster).await? else {
            printer.line(&format!(
                "== {} was applied meanwhile by another migration run",
                file.version
            ));
            continue;
        };
        print_notices(printer, show);
        printer.line(&format!(
            "== Migrated {} in {}",
            file.version,
            duration(elapsed)
        ));
        last_good = Some((file.version, file.name.clone()));
    }
    finish(conn, printer, cluster, show, todo.len(), "run").await
}

async fn finish(
    conn: &mut Conn,
    printer: &Printer,
    cluster: Option<&galera::Lock>,
    show: Show,
    count: usize,
    verb: &str,
) -> Result<()> {
    unlock(conn, show.dry_run, cluster).await?;
    if show.dry_run && count > 0 {
        printer.line(&format!(
            "Dry run: {count} migration{} would {verb}; nothing was changed.",
            plural(count)
        ));
    }
    Ok(())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn announce(printer: &Printer, version: i64, name: &str, way: &str, sql: &Migration, show: Show) {
    let verb = if show.dry_run { "Would run" } else { "Running" };
    printer.line(&format!("== {verb} {version} {name} ({way})"));
    if show.log_sql {
        printer.line(sql.sql.as_str().trim_end());
    }
}

/// With `--log-sql`, what PostgreSQL noticed while the migration ran.
fn print_notices(printer: &Printer, show: Show) {
    if show.log_sql {
        for notice in notices::take() {
            printer.line(&notice);
        }
    }
}

/// Refuses to go on from a migration that failed part-way (MySQL).
fn check_not_dirty(files: &[MigrationFile], applied: &[Applied]) -> Result<()> {
    match applied.iter().find(|a| !a.success) {
        Some(failed) => {
            let name = migrations::name_of(failed.version, files, applied);
            anyhow::bail!("{}", dirty_message(failed.version, &name))
        }
        None => Ok(()),
    }
}

/// Refuses to migrate over a failed, vanished or edited migration.
fn check_applied(files: &[MigrationFile], applied: &[Applied], folder: &str) -> Result<()> {
    check_not_dirty(files, applied)?;
    for row in applied {
        let Some(file) = files.iter().find(|f| f.version == row.version) else {
            return Err(vanished(row, folder));
        };
        if file.up.checksum.as_ref() != row.checksum.as_slice() {
            return Err(edited(file));
        }
    }
    Ok(())
}

fn vanished(row: &Applied, folder: &str) -> anyhow::Error {
    let name = row.description.replace(' ', "_");
    UsageError::new(format!(
        "migration {} {name} is applied in the database but its file is gone from {folder}/",
        row.version,
    ))
    .with_hint("restore the file (e.g. from version control); `axgen migrations` shows it as ** FILE NOT FOUND **")
    .into()
}

fn edited(file: &MigrationFile) -> anyhow::Error {
    UsageError::new(format!(
        "{} was edited after it was applied (its checksum no longer matches {TABLE}), so migrate stopped",
        file.up_file
    ))
    .with_hint(format!(
        "restore the file as it was applied (e.g. `git checkout -- {}`) and put the change in a new migration (`axgen gen migration <name>`), or roll it back with the original file first, then edit it",
        file.up_file
    ))
    .into()
}

fn dirty_message(version: i64, name: &str) -> String {
    format!(
        "migration {version} {name} failed part-way and is marked failed in {TABLE}; {}",
        repair_advice(version)
    )
}

fn repair_advice(version: i64) -> String {
    format!(
        "MySQL cannot roll back schema changes, so repair the schema by hand, then run `DELETE FROM {TABLE} WHERE version = {version}` and `axgen migrate` again"
    )
}

/// Applies one migration; `None` when, on PostgreSQL, another run applied it meanwhile.
async fn apply_one(
    conn: &mut Conn,
    file: &MigrationFile,
    last_good: Option<&(i64, String)>,
    wait: &Wait<'_>,
    cluster: Option<&galera::Lock>,
) -> Result<Option<Duration>> {
    let applied = match conn {
        Conn::Postgres(c) if !file.up.no_tx => {
            let mut tx = advisory::begin(c).await?;
            advisory::lock(&mut tx, wait).await?;
            let applied = migrations::applied(&mut Db::Postgres(&mut tx)).await?;
            if applied.iter().any(|a| a.version == file.version) {
                return Ok(None);
            }
            match Migrate::apply(&mut *tx, TABLE, &file.up).await {
                Ok(elapsed) => tx.commit().await.map(|()| elapsed).map_err(Into::into),
                Err(err) => Err(err),
            }
        }
        // A migration that must run outside a transaction (`-- no-transaction`) takes sqlx's
        // session lock: run it on a direct connection, not through a transaction pooler.
        Conn::Postgres(c) => {
            Migrate::lock(&mut *c).await?;
            let applied = Migrate::apply(&mut *c, TABLE, &file.up).await;
            Migrate::unlock(&mut *c).await?;
            applied
        }
        _ => {
            if let Some(lock) = cluster {
                lock.renew(conn).await?;
            }
            let db = &mut conn.db();
            each_db!(db, c => Migrate::apply(&mut **c, TABLE, &file.up).await)
        }
    };
    match applied {
        Ok(elapsed) => Ok(Some(elapsed)),
        Err(err) => {
            // A run that lost the cluster's lock meanwhile failed because another took over.
            if let Some(lock) = cluster {
                lock.renew(conn).await?;
            }
            Err(apply_failed(&mut conn.db(), file, last_good, &err).await)
        }
    }
}

async fn apply_failed(
    db: &mut Db<'_>,
    file: &MigrationFile,
    last_good: Option<&(i64, String)>,
    err: &MigrateError,
) -> anyhow::Error {
    let reason = migrate_reason(err);
    let dirty = db.adapter() == Adapter::Mysql
        && migrations::applied(db)
            .await
            .is_ok_and(|rows| rows.iter().any(|r| r.version == file.version));
    if dirty {
        return anyhow::anyhow!(
            "{} failed: {reason}; {}",
            file.up_file,
            dirty_message(file.version, &file.name)
        );
    }
    let at = match last_good {
        Some((version, name)) => format!("stays at {version} {name}"),
        None => "has no migration applied".to_string(),
    };
    anyhow::anyhow!(
        "{} failed: {reason}; nothing of it was applied and the database {at}",
        file.up_file
    )
}

/// The database's own message for a failed migration statement.
fn migrate_reason(err: &MigrateError) -> String {
    match err {
        MigrateError::ExecuteMigration(inner, _) | MigrateError::Execute(inner) => {
            match inner.as_database_error() {
                Some(db) => db.message().to_string(),
                None => inner.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// Reverts the applied migrations of `files`, read from `folder` (as messages name it).
async fn revert_applied(
    conn: &mut Conn,
    (files, folder): (&[MigrationFile], &str),
    reach: Reach,
    show: Show,
    wait: &Wait<'_>,
    cluster: Option<&galera::Lock>,
) -> Result<()> {
    let printer = wait.printer;
    let applied = applied_under_lock(conn, show.dry_run, wait, cluster).await?;
    if let Some(before) = cluster.and_then(galera::Lock::applied_before) {
        let reverted = before.iter().rev();
        for version in reverted.filter(|v| !applied.iter().any(|a| a.version == **v)) {
            printer.line(&format!(
                "== {version} was rolled back meanwhile by another migration run"
            ));
        }
    }
    check_not_dirty(files, &applied)?;
    if let Reach::To(version) = reach {
        migrations::check_version(version, files, &applied)?;
    }
    let todo = migrations::to_revert(&applied, reach);
    if todo.is_empty() {
        printer.line("Nothing to roll back: no migration is applied past that point.");
    }
    for (done, version) in todo.iter().enumerate() {
        let name = migrations::name_of(*version, files, &applied);
        let Some((file, down)) = reversible(files, *version) else {
            return Err(no_down(files, *version, &name, done, folder));
        };
        announce(printer, *version, &name, "down", down, show);
        if show.dry_run {
            continue;
        }
        let reverted = revert_one(conn, *version, down, wait, cluster).await?;
        let Some(elapsed) = reverted.map_err(|err| {
            anyhow::anyhow!(
                "{} failed: {}; the migration stays applied",
                file.down_file,
                migrate_reason(&err)
            )
        })?
        else {
            printer.line(&format!(
                "== {version} was rolled back meanwhile by another migration run"
            ));
            continue;
        };
        print_notices(printer, show);
        printer.line(&format!("== Reverted {version} in {}", duration(elapsed)));
    }
    finish(conn, printer, cluster, show, todo.len(), "roll back").await
}

/// Reverts one migration: the outer error is the lock's, the inner the migration's; `None`
/// when, on PostgreSQL, another run reverted it meanwhile.
async fn revert_one(
    conn: &mut Conn,
    version: i64,
    down: &Migration,
    wait: &Wait<'_>,
    cluster: Option<&galera::Lock>,
) -> Result<Result<Option<Duration>, MigrateError>> {
    match conn {
        Conn::Postgres(c) if !down.no_tx => {
            let mut tx = advisory::begin(c).await?;
            advisory::lock(&mut tx, wait).await?;
            let applied = migrations::applied(&mut Db::Postgres(&mut tx)).await?;
            if !applied.iter().any(|a| a.version == version) {
                return Ok(Ok(None));
            }
            let reverted = match Migrate::revert(&mut *tx, TABLE, down).await {
                Ok(elapsed) => tx.commit().await.map(|()| elapsed).map_err(Into::into),
                Err(err) => Err(err),
            };
            Ok(reverted.map(Some))
        }
        Conn::Postgres(c) => {
            Migrate::lock(&mut *c).await?;
            let reverted = Migrate::revert(&mut *c, TABLE, down).await;
            Migrate::unlock(&mut *c).await?;
            Ok(reverted.map(Some))
        }
        _ => {
            if let Some(lock) = cluster {
                lock.renew(conn).await?;
            }
            let db = &mut conn.db();
            let reverted = each_db!(db, c => Migrate::revert(&mut **c, TABLE, down).await);
            if let (Err(_), Some(lock)) = (&reverted, cluster) {
                lock.renew(conn).await?;
            }
            Ok(reverted.map(Some))
        }
    }
}

fn reversible(files: &[MigrationFile], version: i64) -> Option<(&MigrationFile, &Migration)> {
    let file = files.iter().find(|f| f.version == version)?;
    Some((file, file.down.as_ref()?))
}

/// The rollback stops before a migration it cannot revert; exit 2 only if nothing changed.
fn no_down(
    files: &[MigrationFile],
    version: i64,
    name: &str,
    reverted: usize,
    folder: &str,
) -> anyhow::Error {
    let missing = match files.iter().find(|f| f.version == version) {
        Some(file) => format!("{} does not exist", file.down_file),
        None => format!("its files are gone from {folder}/"),
    };
    let message = format!(
        "migration {version} {name} cannot be rolled back because {missing}, so it stays applied"
    );
    let fix = "write its .down.sql to make it reversible";
    if reverted == 0 {
        return UsageError::new(message).with_hint(fix).into();
    }
    anyhow::anyhow!(
        "rolled back {reverted} migration{}, then stopped: {message}; {fix}",
        plural(reverted)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mysql_lock_is_named_like_sqlx_names_it() {
        // 0x3d32ad9e * crc32("test") = 0x3d32ad9e * 0xd87f7e0c
        assert_eq!(
            mysql_lock_name("test"),
            format!("{:x}", 0x3d32_ad9e_i64 * 0xd87f_7e0c_i64)
        );
    }

    #[test]
    fn zero_steps_are_refused() {
        assert!(check_steps(Reach::Step(1)).is_ok());
        assert!(check_steps(Reach::All).is_ok());
        assert_eq!(
            crate::error::exit_code(&check_steps(Reach::Step(0)).unwrap_err()),
            2
        );
    }
}
