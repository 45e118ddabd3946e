//! Connection poolers: `axgen migrate`, `rollback`, `migrations` and `seed` through PgBouncer
//! (the Debian package, with its defaults) in session and transaction pooling, without leaking
//! the migration lock; and the message of a run that gives up waiting for that lock.
//!
//! PgBouncer runs on a free loopback port with its own folder, in front of the PostgreSQL
//! server of `AXGEN_TEST_POSTGRES_URL` (tests skip with a notice when it is unset); the test
//! installs the package when `/usr/sbin/pgbouncer` is missing, and stops the process when it
//! ends, however it ends.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use sqlx::Connection;

use serde_json::{Value, json};

use crate::faults::{Answer, Database, NEXT, Server, ServerUrl, Site, axgen, free_port, read_log};
use crate::process::Process;
use crate::{Axgen, Run, served, server_url};

const PGBOUNCER: &str = "/usr/sbin/pgbouncer";

/// `migrate` ×2 at once, `migrations`, `rollback`, `migrate` again and `seed` (100,000 CSV rows,
/// then 10 more) all work through PgBouncer in each pooling mode; then a `migrate` straight to
/// PostgreSQL finishes at once: no lock was left behind.
#[test]
fn migrate_rollback_and_seed_work_through_pgbouncer_in_both_modes() {
    let Some(server) = server_url("AXGEN_TEST_POSTGRES_URL") else {
        return;
    };
    let server = ServerUrl::parse(&server);
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", "pooled", "--database", "postgres"]);
    let app = dir.path().join("pooled");
    axgen(
        &app,
        &[
            "gen",
            "schema",
            "Post",
            "posts",
            "title:string",
            "ratio:float",
        ],
    );
    for (version, column) in [
        (29_990_101_000_001_i64, "body"),
        (29_990_101_000_002, "notes"),
    ] {
        let file = app.join(format!("migrations/{version}_add_{column}_to_posts"));
        let up = format!("ALTER TABLE posts ADD COLUMN {column} TEXT;\n");
        fs::write(file.with_extension("up.sql"), up).unwrap();
        let down = format!("ALTER TABLE posts DROP COLUMN {column};\n");
        fs::write(file.with_extension("down.sql"), down).unwrap();
    }
    let migrations = fs::read_dir(app.join("migrations"))
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".up.sql")
        })
        .count();
    assert_eq!(migrations, 3);
    // 100,000 rows, as the issue asks, then 10 more: a second seed works too.
    let csv = |rows: std::ops::Range<i32>| {
        let lines = rows.map(|n| format!("Post {n},{}\n", f64::from(n) / 3.0));
        ["title,ratio\n".to_string()]
            .into_iter()
            .chain(lines)
            .collect::<String>()
    };
    fs::write(app.join("posts.csv"), csv(0..100_000)).unwrap();
    fs::create_dir(app.join("more")).unwrap();
    fs::write(app.join("more/posts.csv"), csv(100_000..100_010)).unwrap();

    for mode in ["session", "transaction"] {
        let bouncer = PgBouncer::start(mode);
        let database = test_database(&app, &server);
        let direct = database
            .server
            .with(&database.server.address, &database.name);
        axgen(&app, &["db", "create", "--database-url", &direct]);
        let pooled = database.url_via(bouncer.port);
        let run = |args: &[&str]| -> Run {
            Axgen::in_dir(&app)
                .args(args)
                .args(["--database-url", &pooled])
                .run()
        };

        let both: Vec<Run> = thread::scope(|scope| {
            let runs = [
                scope.spawn(|| run(&["migrate"])),
                scope.spawn(|| run(&["migrate"])),
            ];
            runs.map(|r| r.join().unwrap()).into()
        });
        for done in &both {
            done.assert_code(0);
        }
        let applied: usize = both
            .iter()
            .map(|done| done.stdout.matches("== Migrated").count())
            .sum();
        assert_eq!(
            applied, migrations,
            "{mode}: each migration runs once\n{both:#?}"
        );
        assert_eq!(count(&direct, "SELECT COUNT(*) FROM _sqlx_migrations"), 3);

        let status = run(&["migrations"]);
        status.assert_code(0);
        assert_eq!(
            status.stdout.matches(" up ").count(),
            3,
            "{}",
            status.stdout
        );
        run(&["rollback"]).assert_code(0);
        assert_eq!(count(&direct, "SELECT COUNT(*) FROM _sqlx_migrations"), 2);
        let again = run(&["migrate"]);
        again.assert_code(0);
        assert!(again.stdout.contains("== Migrated"), "{}", again.stdout);

        let started = Instant::now();
        let seeded = run(&["seed", "posts.csv"]);
        seeded.assert_code(0);
        eprintln!(
            "pooler: {mode}: 100,000 rows seeded in {:?}",
            started.elapsed()
        );
        run(&["seed", "more/posts.csv"]).assert_code(0);
        assert_eq!(count(&direct, "SELECT COUNT(*) FROM posts"), 100_010);
        // Floats arrive exactly, though extra_float_digits is no longer sent.
        assert_eq!(
            text(
                &direct,
                "SELECT ratio::text FROM posts WHERE title = 'Post 1' LIMIT 1"
            ),
            (1.0_f64 / 3.0).to_string()
        );

        // Straight to PostgreSQL, while PgBouncer still holds its server connections.
        let direct_run = Axgen::in_dir(&app)
            .args(["migrate", "--lock-timeout", "5", "--database-url", &direct])
            .run();
        direct_run.assert_code(0);
        assert!(
            direct_run.stdout.contains("Already up to date"),
            "{}",
            direct_run.stdout
        );
        drop(bouncer);
    }
}

/// A generated JSON app served through PgBouncer with PgBouncer's defaults, in session
/// pooling, then in transaction pooling with `DATABASE_POOLER=transaction` (as its README
/// says): 16 clients at once read posts everyone knows, and create, read, update and delete
/// posts of their own; every answer is right, no row is lost, none is a 5xx. The same app in
/// transaction pooling without `DATABASE_POOLER` fails that load (sqlx's named statements
/// collide there), which shows the load can tell.
#[test]
fn a_generated_app_serves_through_pgbouncer_in_both_modes() {
    let Some(server) = server_url("AXGEN_TEST_POSTGRES_URL") else {
        return;
    };
    let server = ServerUrl::parse(&server);
    let copy = served::POSTGRES.copy();
    let app = copy.path();
    let database = test_database(&app, &server);
    let direct = database
        .server
        .with(&database.server.address, &database.name);
    axgen(&app, &["db", "create", "--database-url", &direct]);
    axgen(&app, &["migrate", "--database-url", &direct]);

    for (mode, pooler, clean) in [
        ("session", None, true),
        ("transaction", None, false),
        ("transaction", Some("transaction"), true),
    ] {
        let bouncer = PgBouncer::start(mode);
        let pooled = database.url_via(bouncer.port);
        let mut env = vec![("DATABASE_URL", pooled.as_str())];
        env.extend(pooler.map(|pooler| ("DATABASE_POOLER", pooler)));
        let port = free_port();
        let binary = copy.binary();
        let mut app_server = Server::start_with(&binary, &app, port, &env);
        app_server.wait_until_listening();
        let run = format!("{mode}-{}", pooler.unwrap_or("unset"));
        let known = known_posts(&direct, &run);
        let started = Instant::now();
        let mut served = serve(&Site::new(port), &run, &known);
        let took = started.elapsed();
        let mine = format!("SELECT COUNT(*) FROM posts WHERE title LIKE '{run} client %'");
        let kept = format!("SELECT COUNT(*) FROM posts WHERE title LIKE '{run} known %'");
        served.lost += usize::try_from(16 - count(&direct, &kept)).unwrap_or(0);
        // Each client keeps its 6 posts of even rounds, each updated.
        let kept = count(&direct, &mine);
        served.lost += usize::try_from(16 * 6 - kept).unwrap_or(0);
        served.wrong += usize::try_from(kept - 16 * 6).unwrap_or(0);
        served.wrong += count(&direct, &format!("{mine} AND views < 100")) as usize;
        eprintln!(
            "pooler: app, {mode} pooling, DATABASE_POOLER={pooler:?}: {served:?} in {took:?}"
        );
        if clean {
            assert_eq!(
                (served.wrong, served.lost, served.failed),
                (0, 0, 0),
                "{mode}, DATABASE_POOLER={pooler:?}: {served:?}\n{}",
                app_server.log()
            );
        } else {
            assert!(
                served.wrong + served.lost + served.failed > 0,
                "{mode} without DATABASE_POOLER went through without a fault: the load no \
                 longer shows why the setting is needed: {served:?}"
            );
        }
        drop(app_server);
        drop(bouncer);
    }
}

/// The ids of 16 new posts every client of `run` reads, `<run> known 0` … `<run> known 15`.
fn known_posts(url: &str, run: &str) -> Vec<i64> {
    let ids = text(
        url,
        &format!(
            "WITH added AS (INSERT INTO posts (title, views, inserted_at, updated_at) \
             SELECT '{run} known ' || n, n, now(), now() FROM generate_series(0, 15) AS n \
             RETURNING id) SELECT string_agg(id::text, ',' ORDER BY id) FROM added"
        ),
    );
    ids.split(',').map(|id| id.parse().unwrap()).collect()
}

/// What the clients of [`serve`] saw.
#[derive(Debug, Default)]
struct Served {
    answers: usize,
    /// Answers with another status or value than the request called for.
    wrong: usize,
    /// 404s for rows that exist, and rows missing at the end.
    lost: usize,
    /// 5xx answers.
    failed: usize,
    /// The first few faults, to show.
    samples: Vec<String>,
}

impl Served {
    /// Counts `answer`: right if its status is `status` and `right` holds for its JSON.
    fn check(&mut self, answer: &Answer, status: u16, right: impl Fn(&Value) -> bool) -> bool {
        self.answers += 1;
        let fault = if answer.status >= 500 {
            &mut self.failed
        } else if answer.status == 404 && status != 404 {
            &mut self.lost
        } else if answer.status != status
            || (status != 404 && status != 204 && !right(&answer.json()))
        {
            &mut self.wrong
        } else {
            return true;
        };
        *fault += 1;
        if self.samples.len() < 3 {
            self.samples
                .push(format!("{} {}", answer.status, answer.body));
        }
        false
    }
}

/// 16 clients at once, 12 rounds each: read a known post, create a post, read it back,
/// update it and read the update back, and delete every other one (then it is a 404).
fn serve(site: &Site, run: &str, known: &[i64]) -> Served {
    let results: Vec<Served> = thread::scope(|scope| {
        let clients: Vec<_> = (0..16_usize)
            .map(|client| {
                scope.spawn(move || {
                    let mut served = Served::default();
                    for n in 0..12_usize {
                        let k = (client + n) % known.len();
                        let read = site.get(&format!("/api/posts/{}", known[k]));
                        let title = format!("{run} known {k}");
                        served.check(&read, 200, |body| body["data"]["title"] == title.as_str());
                        let title = format!("{run} client {client} post {n}");
                        let post = json!({ "post": { "title": title, "views": n } });
                        let created = site.post_json("/api/posts", &post);
                        if !served.check(&created, 201, |body| {
                            body["data"]["title"] == title.as_str()
                        }) {
                            continue;
                        }
                        let path = format!("/api/posts/{}", created.json()["data"]["id"]);
                        let shown = site.get(&path);
                        served.check(&shown, 200, |body| body["data"]["views"] == n);
                        let post = json!({ "post": { "views": n + 100 } });
                        let updated = site.put_json(&path, &post);
                        served.check(&updated, 200, |body| body["data"]["views"] == n + 100);
                        let shown = site.get(&path);
                        served.check(&shown, 200, |body| body["data"]["views"] == n + 100);
                        if n % 2 == 1 {
                            served.check(&site.delete(&path), 204, |_| true);
                            served.check(&site.get(&path), 404, |_| true);
                        }
                    }
                    served
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let mut total = Served::default();
    for served in results {
        total.answers += served.answers;
        total.wrong += served.wrong;
        total.lost += served.lost;
        total.failed += served.failed;
        total.samples.extend(served.samples.into_iter().take(1));
    }
    total
}

/// A `migrate` that finds the migration lock held says who holds it, waits `--lock-timeout`
/// seconds, then gives up with exit 1 and changes nothing.
#[test]
fn migrate_names_the_holder_of_the_lock_and_gives_up_after_the_timeout() {
    let Some(server) = server_url("AXGEN_TEST_POSTGRES_URL") else {
        return;
    };
    let server = ServerUrl::parse(&server);
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", "locked", "--database", "postgres"]);
    let app = dir.path().join("locked");
    axgen(&app, &["gen", "schema", "Post", "posts", "title:string"]);
    let database = test_database(&app, &server);
    let direct = database
        .server
        .with(&database.server.address, &database.name);
    axgen(&app, &["db", "create", "--database-url", &direct]);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (holder, pid) = runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&direct).await.unwrap();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(lock_key(&database.name))
            .execute(&mut conn)
            .await
            .unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        (conn, pid)
    });

    let held_by = format!("process {pid} (user postgres");
    assert_migrate_gives_up(&app, &direct, &database.name, &held_by);
    assert_eq!(
        count(
            &direct,
            "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'posts'"
        ),
        0
    );
    runtime.block_on(async { holder.close().await.unwrap() });
}

/// On MySQL (MariaDB) likewise: a `migrate` that finds the migration lock (`GET_LOCK`) held
/// names the connection that holds it, from the process list, waits `--lock-timeout` seconds,
/// then gives up with exit 1 and changes nothing.
#[test]
fn migrate_names_the_holder_of_the_mysql_lock_and_gives_up_after_the_timeout() {
    let Some(url) = server_url("AXGEN_TEST_MYSQL_URL") else {
        return;
    };
    let server = ServerUrl::parse(&url);
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", "locked", "--database", "mysql"]);
    let app = dir.path().join("locked");
    axgen(&app, &["gen", "schema", "Post", "posts", "title:string"]);
    let database = Database {
        app: app.clone(),
        server: ServerUrl::parse(&url),
        name: format!(
            "axgen_lock_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ),
    };
    let direct = server.with(&server.address, &database.name);
    axgen(&app, &["db", "create", "--database-url", &direct]);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut holder, id) = runtime.block_on(async {
        let mut conn = sqlx::MySqlConnection::connect(&direct).await.unwrap();
        let got: i64 = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(format!("{:x}", lock_key(&database.name)))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(got, 1);
        let id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        (conn, id)
    });

    let held_by = format!("connection {id} (user ");
    assert_migrate_gives_up(&app, &direct, &database.name, &held_by);
    let tables: i64 = runtime.block_on(async {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts'",
        )
        .fetch_one(&mut holder)
        .await
        .unwrap()
    });
    assert_eq!(tables, 0, "nothing was migrated");
    runtime.block_on(async { holder.close().await.unwrap() });
}

/// Runs `migrate --lock-timeout 1` on `url` while `held_by` (e.g. `process 123 (user
/// postgres`) holds the migration lock of `database`: it says it waits for that holder, then
/// gives up within 10 s with exit 1, saying so.
fn assert_migrate_gives_up(app: &Path, url: &str, database: &str, held_by: &str) {
    let started = Instant::now();
    let run = Axgen::in_dir(app)
        .args(["migrate", "--lock-timeout", "1", "--database-url", url])
        .run();
    let waited = started.elapsed();
    run.assert_code(1);
    let lock = format!("migration lock on {database}, held by {held_by}");
    assert!(
        run.stdout.contains(&format!("Waiting for the {lock}")),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr
            .contains(&format!("gave up after waiting 1s for the {lock}")),
        "{}",
        run.transcript()
    );
    assert!(waited < Duration::from_secs(10), "{waited:?}");
}

/// The key of sqlx's migration lock for `database` (a number on PostgreSQL, its hex digits
/// on MySQL).
fn lock_key(database: &str) -> i64 {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    0x3d32_ad9e_i64 * i64::from(CRC.checksum(database.as_bytes()))
}

/// A fresh database name on the test server, dropped when the returned value drops.
fn test_database(app: &Path, server: &ServerUrl) -> Database {
    Database {
        app: app.to_path_buf(),
        server: ServerUrl::parse(&server.with(&server.address, "postgres")),
        name: format!(
            "axgen_pooler_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ),
    }
}

/// The single number `sql` answers on `url`.
fn count(url: &str, sql: &str) -> i64 {
    text(url, &format!("SELECT ({sql})::text")).parse().unwrap()
}

/// The single text `sql` answers on `url`, read with the simple query protocol (text format).
fn text(url: &str, sql: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        value
    })
}

// ------------------------------------------------------------------------------- PgBouncer

/// A PgBouncer process on a free loopback port in front of the test server, in a folder of
/// its own; killed (by its process id) when dropped.
pub(crate) struct PgBouncer {
    _process: Process,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl PgBouncer {
    /// Starts PgBouncer with the Debian package's settings, except what a test needs: its
    /// port, `pool_mode` (`session` or `transaction`), trust for the local server's user, and
    /// its files in its own folder. Installs the package first when it is missing. PgBouncer
    /// refuses to run as root: then it runs as `nobody`.
    pub(crate) fn start(mode: &str) -> PgBouncer {
        install();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let folder = dir.path().display();
        fs::write(
            dir.path().join("pgbouncer.ini"),
            format!(
                "[databases]\n\
                 * = host=127.0.0.1 port=5432\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {folder}/userlist.txt\n\
                 pool_mode = {mode}\n\
                 logfile = {folder}/pgbouncer.log\n\
                 pidfile = {folder}/pgbouncer.pid\n"
            ),
        )
        .unwrap();
        fs::write(dir.path().join("userlist.txt"), "\"postgres\" \"\"\n").unwrap();
        let mut command = Command::new(PGBOUNCER);
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "nobody"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown of PgBouncer's folder failed");
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
            command.args(["-u", "nobody"]);
        }
        let out = File::create(dir.path().join("output.log")).unwrap();
        let mut process = Process::spawn(
            PGBOUNCER,
            command
                .arg(dir.path().join("pgbouncer.ini"))
                .stdout(out.try_clone().unwrap())
                .stderr(out),
        );
        process.wait_for_port(port, Duration::from_secs(10), || log(dir.path()));
        PgBouncer {
            _process: process,
            port,
            dir,
        }
    }

    fn log(&self) -> String {
        log(self.dir.path())
    }
}

/// PgBouncer's output and its log file in its folder `dir`.
fn log(dir: &Path) -> String {
    let read = |name: &str| read_log(&dir.join(name));
    format!("{}{}", read("output.log"), read("pgbouncer.log"))
}

/// Installs Debian's PgBouncer package when its binary is missing.
fn install() {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if Path::new(PGBOUNCER).exists() {
        return;
    }
    eprintln!("pooler: installing pgbouncer (apt-get install -y pgbouncer)");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq", "pgbouncer"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        installed && Path::new(PGBOUNCER).exists(),
        "PgBouncer is missing and `apt-get install -y pgbouncer` failed"
    );
}

pub(crate) fn is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|uids| uids.split_whitespace().next().map(str::to_owned))
        .is_some_and(|uid| uid == "0")
}

// --------------------------------------------------- sqlx behind PgBouncer's transaction pooling

/// How the load below sends its statements through PgBouncer in transaction pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statements {
    /// sqlx's default: named statements (`sqlx_s_N`), prepared once per connection and cached.
    Named,
    /// `.persistent(false)`: the unnamed statement, parsed anew each time, outside a transaction.
    Unnamed,
    /// `.persistent(false)`, each statement in a transaction of its own.
    UnnamedInTransaction,
}

/// What a run of the load saw.
#[derive(Debug, Default)]
struct Outcome {
    /// Statements that failed (e.g. `prepared statement "sqlx_s_3" already exists`).
    errors: usize,
    /// Reads that answered another value than the client had just written.
    wrong: usize,
    /// Reads that found no row where the client's row must be.
    lost: usize,
    /// The first few errors, to show.
    samples: Vec<String>,
    elapsed: Duration,
}

/// Why a generated app cannot just turn prepared statements off behind PgBouncer 1.18 in
/// transaction pooling (which does not track them): sqlx parses a statement (Parse, Describe,
/// Sync) and then runs it (Bind, Execute, Sync) in two round trips, and outside a transaction
/// PgBouncer may hand the server connection to another client at every Sync. So the unnamed
/// statement a client binds may be another client's: 16 clients updating, reading, inserting
/// and deleting rows of their own, through one PgBouncer, see errors, wrong values and lost
/// rows with named statements and with unnamed ones alike; unnamed statements each in a
/// transaction of its own see none. The figures (and those of the same load straight to
/// PostgreSQL, with named statements) are printed (`--nocapture`).
#[test]
fn behind_pgbouncer_in_transaction_mode_sqlx_is_safe_only_with_unnamed_statements_in_transactions()
{
    let Some(server) = server_url("AXGEN_TEST_POSTGRES_URL") else {
        return;
    };
    let server = ServerUrl::parse(&server);
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", "pooled", "--database", "postgres"]);
    let app = dir.path().join("pooled");
    let bouncer = PgBouncer::start("transaction");
    let database = test_database(&app, &server);
    let direct = database
        .server
        .with(&database.server.address, &database.name);
    axgen(&app, &["db", "create", "--database-url", &direct]);
    let pooled = database.url_via(bouncer.port);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let baseline = runtime.block_on(load(&direct, &direct, Statements::Named));
    eprintln!("pooler: Named, straight to PostgreSQL: {baseline:?}");
    assert_eq!(
        (baseline.errors, baseline.wrong, baseline.lost),
        (0, 0, 0),
        "{baseline:?}"
    );
    let outcomes: Vec<(Statements, Outcome)> = [
        Statements::Named,
        Statements::Unnamed,
        Statements::UnnamedInTransaction,
    ]
    .into_iter()
    .map(|statements| {
        let outcome = runtime.block_on(load(&direct, &pooled, statements));
        eprintln!("pooler: {statements:?}: {outcome:?}");
        (statements, outcome)
    })
    .collect();
    for (statements, outcome) in &outcomes {
        let clean = outcome.errors == 0 && outcome.wrong == 0 && outcome.lost == 0;
        if *statements == Statements::UnnamedInTransaction {
            assert!(clean, "{statements:?}: {outcome:?}\n{}", bouncer.log());
        } else {
            assert!(
                !clean,
                "{statements:?} went through without a fault: the load no longer shows why \
                 transactions are needed: {outcome:?}"
            );
        }
    }
    drop(bouncer);
}

/// 16 clients, each with a row of its own (`items.id` = the client's number), 150 rounds
/// each: set the row's value, read it back, insert a scratch row and delete it. Every
/// statement takes a connection from a pool of 16 through PgBouncer, as the app's context
/// functions do.
async fn load(direct: &str, pooled: &str, statements: Statements) -> Outcome {
    use sqlx::Executor;
    const CLIENTS: i32 = 16;
    const ROUNDS: i32 = 150;

    let mut setup = sqlx::PgConnection::connect(direct).await.unwrap();
    setup
        .execute(
            "DROP TABLE IF EXISTS items; \
             CREATE TABLE items (id integer PRIMARY KEY, value integer NOT NULL); \
             INSERT INTO items SELECT n, -1 FROM generate_series(0, 15) AS n",
        )
        .await
        .unwrap();
    setup.close().await.unwrap();
    let options = sqlx::postgres::PgConnectOptions::from_str(pooled)
        .unwrap()
        .extra_float_digits(None);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .unwrap();

    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let pool = pool.clone();
        clients.spawn(async move {
            let mut outcome = Outcome::default();
            let note = |err: sqlx::Error, outcome: &mut Outcome| {
                outcome.errors += 1;
                if outcome.samples.len() < 3 {
                    outcome.samples.push(err.to_string());
                }
            };
            for round in 0..ROUNDS {
                let scratch = 1_000_000 + client * 1_000 + round;
                let steps: [(&str, Vec<i32>); 4] = [
                    (
                        "UPDATE items SET value = $2 WHERE id = $1",
                        vec![client, round],
                    ),
                    ("SELECT value FROM items WHERE id = $1", vec![client]),
                    (
                        "INSERT INTO items (id, value) VALUES ($1, $2)",
                        vec![scratch, round],
                    ),
                    ("DELETE FROM items WHERE id = $1", vec![scratch]),
                ];
                for (sql, binds) in steps {
                    match run(&pool, statements, sql, &binds).await {
                        Ok(value) if sql.starts_with("SELECT") => match value {
                            Some(value) if value == round => {}
                            Some(_) => outcome.wrong += 1,
                            None => outcome.lost += 1,
                        },
                        Ok(_) => {}
                        Err(err) => note(err, &mut outcome),
                    }
                }
            }
            outcome
        });
    }
    let mut total = Outcome::default();
    while let Some(outcome) = clients.join_next().await {
        let outcome = outcome.unwrap();
        total.errors += outcome.errors;
        total.wrong += outcome.wrong;
        total.lost += outcome.lost;
        if total.samples.len() < 4 {
            total.samples.extend(outcome.samples.into_iter().take(1));
        }
    }
    total.elapsed = started.elapsed();
    pool.close().await;
    total
}

/// Runs `sql` with `binds` as `statements` says; a `SELECT`'s value, if any.
async fn run(
    pool: &sqlx::PgPool,
    statements: Statements,
    sql: &'static str,
    binds: &[i32],
) -> Result<Option<i32>, sqlx::Error> {
    let mut query = sqlx::query_scalar::<_, i32>(sql);
    for bind in binds {
        query = query.bind(*bind);
    }
    match statements {
        Statements::Named => query.fetch_optional(pool).await,
        Statements::Unnamed => query.persistent(false).fetch_optional(pool).await,
        Statements::UnnamedInTransaction => {
            let mut transaction = pool.begin().await?;
            let value = query
                .persistent(false)
                .fetch_optional(&mut *transaction)
                .await?;
            transaction.commit().await?;
            Ok(value)
        }
    }
}
