//! Read-only replicas: every axgen command that writes refuses a read-only standby with one
//! sentence naming the server and exit 2, before it changes anything; `migrations` and
//! `migrate --dry-run` work there and show what the primary replicated.
//!
//! PostgreSQL: the test starts its own PostgreSQL 15 primary (`initdb` into a tempdir, trust
//! auth, `wal_level=replica`) and a streaming replica made with `pg_basebackup -R`, each on a
//! free loopback port; both are stopped by process id when the test ends, however it ends.
//! MariaDB: its own `mariadbd --read-only` with its own data folder. The shared servers of
//! `AXGEN_TEST_POSTGRES_URL` / `AXGEN_TEST_MYSQL_URL` are never used; those variables only say
//! that server tests run (without them, each test skips with a notice). PostgreSQL and MariaDB
//! refuse to run as root: then their processes run as the `postgres` / `mysql` user.
//!
//! A generated app given `DATABASE_REPLICA_URL` reads its index and show pages from the
//! replica, except for a client that has just written, whose reads stay on the primary.

use std::fs::{self, File};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, Row};

use crate::faults::{Server, axgen, free_port};
use crate::process::Process;
use crate::{Axgen, Run, served, server_url};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

const V1: &str = "20260101000000";
const V2: &str = "20260102000000";

/// On a PostgreSQL streaming replica, `migrate`, `rollback`, `seed` and every `db` task say in
/// one sentence that the server is a read-only standby and exit 2 (before asking to confirm a
/// drop), changing nothing; `migrations`, `migrate --dry-run` and `rollback --dry-run` show
/// the state replicated from the primary, before and after the primary migrates.
#[test]
fn writers_refuse_a_postgres_standby_and_readers_work_there() {
    if server_url("AXGEN_TEST_POSTGRES_URL").is_none() {
        return;
    }
    let started = Instant::now();
    let cluster = Cluster::start();
    eprintln!("replica: primary and replica up in {:?}", started.elapsed());
    let primary = cluster.primary.url("notes");
    let replica = cluster.replica.url("notes");
    let app = TestApp::new("postgres", &primary);
    app.run(&["db", "create"]).assert_code(0);
    app.run(&["migrate", "--step", "1"]).assert_code(0);
    app.run(&["seed"]).assert_code(0);
    cluster.wait_for_replay();

    let on_replica = |args: &[&str]| app.run_at(&replica, args);
    let status = on_replica(&["migrations"]);
    status.assert_code(0);
    assert_eq!(
        status_lines(&status),
        [format!("up {V1}"), format!("down {V2}")]
    );
    let dry = on_replica(&["migrate", "--dry-run"]);
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains(&format!("== Would run {V2} add_tag (up)")),
        "{}",
        dry.transcript()
    );
    on_replica(&["rollback", "--dry-run"]).assert_code(0);

    let standby = format!(
        "error: the database server at 127.0.0.1:{} is a read-only standby (it is in recovery), so nothing was changed\n",
        cluster.replica.port
    );
    let hint = "hint: use the primary server's URL (this one came from --database-url); \
                a standby serves only reads such as `axgen migrations` and `axgen migrate --dry-run`\n";
    let writers: &[&[&str]] = &[
        &["migrate"],
        &["rollback"],
        &["seed"],
        &["db", "drop", "--yes"],
        &["db", "drop"],
        &["db", "reset", "--yes"],
        &["db", "setup"],
        &["db", "create"],
    ];
    for args in writers {
        let run = on_replica(args);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (2, format!("{standby}{hint}").as_str()),
            "{args:?}\n{}",
            run.transcript()
        );
    }
    // `db create` of a database the standby does not have: the check runs on the server's
    // maintenance database.
    let run = app.run_at(&cluster.replica.url("missing"), &["db", "create"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, format!("{standby}{hint}").as_str()),
        "{}",
        run.transcript()
    );
    // Where the URL came from is named in the hint.
    let run = Axgen::in_dir(app.path())
        .env("DATABASE_URL", &replica)
        .args(["migrate"])
        .run();
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("hint: use the primary server's URL (this one came from DATABASE_URL)"),
        "{}",
        run.transcript()
    );

    // Nothing changed, on the primary or the replica.
    for url in [&primary, &replica] {
        assert_eq!(
            scalar(url, "SELECT COUNT(*)::text FROM _sqlx_migrations"),
            "1"
        );
        assert_eq!(scalar(url, "SELECT COUNT(*)::text FROM notes"), "1");
        assert_eq!(
            scalar(
                url,
                "SELECT COUNT(*)::text FROM pg_database WHERE datname IN ('notes', 'missing')"
            ),
            "1"
        );
    }

    // The primary migrates; the replica shows it.
    app.run(&["migrate"]).assert_code(0);
    cluster.wait_for_replay();
    let status = on_replica(&["migrations"]);
    status.assert_code(0);
    assert_eq!(
        status_lines(&status),
        [format!("up {V1}"), format!("up {V2}")]
    );
    let dry = on_replica(&["migrate", "--dry-run"]);
    dry.assert_code(0);
    assert!(
        dry.stdout.contains("Already up to date"),
        "{}",
        dry.transcript()
    );
    eprintln!("replica: test done in {:?}", started.elapsed());
}

/// A database error reaches the user once, not once per error that wraps it: `migrate` as a
/// user who may not create tables prints PostgreSQL's message a single time.
#[test]
fn a_database_error_is_printed_once() {
    if server_url("AXGEN_TEST_POSTGRES_URL").is_none() {
        return;
    }
    let scratch = Scratch::new();
    let server = Postgres::primary(&scratch);
    let admin = server.url("postgres");
    let app = TestApp::new("postgres", &server.url("notes"));
    app.run(&["db", "create"]).assert_code(0);
    exec(&admin, "CREATE ROLE reader LOGIN");
    let reader = format!("postgres://reader@127.0.0.1:{}/notes", server.port);
    let run = app.run_at(&reader, &["migrate"]);
    run.assert_code(1);
    // Once, without PostgreSQL's `at line N` (a line of its C sources, not of the SQL).
    assert_eq!(
        run.stderr,
        "error: while executing migrations: error returned from database: \
         permission denied for schema public\n",
    );
}

/// On a MariaDB server started with `--read-only`, the writers refuse in one sentence and
/// exit 2 (root, who could write there anyway, included), and the readers work.
#[test]
fn writers_refuse_a_read_only_mariadb_and_readers_work_there() {
    if server_url("AXGEN_TEST_MYSQL_URL").is_none() {
        return;
    }
    let started = Instant::now();
    let server = MariaDb::start_read_only();
    eprintln!("replica: read-only MariaDB up in {:?}", started.elapsed());
    let url = server.url("notes");
    let app = TestApp::new("mysql", &url);
    let standby = format!(
        "error: the database server at 127.0.0.1:{} is a read-only standby (read_only is ON), so nothing was changed\n",
        server.port
    );
    let refused = |run: &Run| {
        assert_eq!(
            (run.code, run.stderr.lines().next().unwrap_or_default()),
            (2, standby.trim_end()),
            "{}",
            run.transcript()
        );
        assert_eq!(run.stderr.lines().count(), 2, "{}", run.transcript());
    };
    // The database does not exist yet: the check runs without it.
    refused(&app.run(&["db", "create"]));
    assert_eq!(
        server
            .scalar("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'notes'"),
        "0"
    );

    // Set the database up while writes are allowed, then make the server read-only again.
    server.exec("SET GLOBAL read_only = OFF");
    app.run(&["db", "create"]).assert_code(0);
    app.run(&["migrate", "--step", "1"]).assert_code(0);
    app.run(&["seed"]).assert_code(0);
    server.exec("SET GLOBAL read_only = ON");

    for args in [
        &["migrate"][..],
        &["rollback"],
        &["seed"],
        &["db", "drop", "--yes"],
        &["db", "reset", "--yes"],
        &["db", "setup"],
        &["db", "create"],
    ] {
        refused(&app.run(args));
    }
    let status = app.run(&["migrations"]);
    status.assert_code(0);
    assert_eq!(
        status_lines(&status),
        [format!("up {V1}"), format!("down {V2}")]
    );
    app.run(&["migrate", "--dry-run"]).assert_code(0);
    assert_eq!(
        server.scalar("SELECT COUNT(*) FROM notes._sqlx_migrations"),
        "1"
    );
    assert_eq!(server.scalar("SELECT COUNT(*) FROM notes.notes"), "1");
    eprintln!("replica: MariaDB test done in {:?}", started.elapsed());
}

// ------------------------------------------------------------------------------- the app

/// A generated JSON app run with `DATABASE_URL` on the primary and `DATABASE_REPLICA_URL` on
/// the replica, whose replay is paused: the client that creates a row gets the `wrote` cookie
/// and, sending it, reads the row back from the primary; a client without it reads the
/// replica, where the row is not yet, until replay resumes.
#[test]
fn a_generated_app_reads_from_the_replica_except_after_a_write() {
    if server_url("AXGEN_TEST_POSTGRES_URL").is_none() {
        return;
    }
    let copy = served::POSTGRES.copy();
    let app = copy.path();
    let cluster = Cluster::start();
    let primary = cluster.primary.url("shop");
    let replica = cluster.replica.url("shop");
    axgen(&app, &["db", "create", "--database-url", &primary]);
    axgen(&app, &["migrate", "--database-url", &primary]);
    cluster.wait_for_replay();

    let binary = copy.binary();
    let env = [
        ("DATABASE_URL", &*primary),
        ("DATABASE_REPLICA_URL", &*replica),
    ];
    let mut server = Server::start_with(&binary, &app, free_port(), &env);
    server.wait_until_listening();
    let base = format!("http://127.0.0.1:{}/api/items", server.port);
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let get = |url: &str, cookie: Option<&str>| {
        let mut request = agent.get(url);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let mut response = request.call().unwrap();
        let body = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), body)
    };

    exec(&replica, "SELECT pg_wal_replay_pause()");
    let mut created = agent
        .post(&base)
        .send_json(serde_json::json!({ "item": { "name": "fresh" } }))
        .unwrap();
    assert_eq!(created.status(), 201);
    let cookie = created
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("a create answers with the cookie of a recent write")
        .to_owned();
    assert!(cookie.starts_with("wrote=1; Max-Age=2;"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap();
    let body: serde_json::Value = created.body_mut().read_json().unwrap();
    let shown = format!("{base}/{}", body["data"]["id"]);

    // The writer reads the primary.
    let (status, body) = get(&shown, Some(cookie));
    assert_eq!(status, 200, "{body}");
    assert!(get(&base, Some(cookie)).1.contains("fresh"));
    // Anyone else reads the replica, which has not replayed the insert.
    let (status, body) = get(&shown, None);
    assert_eq!(status, 404, "{body}");
    let (status, body) = get(&base, None);
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("fresh"), "{body}");

    exec(&replica, "SELECT pg_wal_replay_resume()");
    cluster.wait_for_replay();
    assert!(get(&base, None).1.contains("fresh"));
    assert_eq!(get(&shown, None).0, 200);
    server.assert_running();
    drop(server);
    drop(cluster);
}

/// An app folder: `axgen.toml` naming `url`, two migrations and a seed file.
struct TestApp {
    dir: tempfile::TempDir,
}

impl TestApp {
    fn new(adapter: &str, url: &str) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "axgen.toml",
            &format!(
                "[app]\nname = \"notes\"\n\n[database]\nadapter = \"{adapter}\"\nurl = \"{url}\"\n"
            ),
        );
        let id = if adapter == "postgres" {
            "BIGSERIAL"
        } else {
            "BIGINT AUTO_INCREMENT"
        };
        write(
            &format!("migrations/{V1}_create_notes.up.sql"),
            &format!("CREATE TABLE notes (id {id} PRIMARY KEY, body TEXT NOT NULL);\n"),
        );
        write(
            &format!("migrations/{V1}_create_notes.down.sql"),
            "DROP TABLE notes;\n",
        );
        write(
            &format!("migrations/{V2}_add_tag.up.sql"),
            "ALTER TABLE notes ADD COLUMN tag TEXT;\n",
        );
        write(
            &format!("migrations/{V2}_add_tag.down.sql"),
            "ALTER TABLE notes DROP COLUMN tag;\n",
        );
        write("seeds/notes.csv", "body\nhello\n");
        TestApp { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `axgen ARGS` with the URL of `axgen.toml`.
    fn run(&self, args: &[&str]) -> Run {
        Axgen::in_dir(self.path()).args(args).run()
    }

    /// `axgen ARGS --database-url URL`.
    fn run_at(&self, url: &str, args: &[&str]) -> Run {
        Axgen::in_dir(self.path())
            .args(args)
            .args(["--database-url", url])
            .run()
    }
}

/// The `status version` pairs of `axgen migrations`' table.
fn status_lines(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let status = words.next()?;
            let version = words.next()?;
            (matches!(status, "up" | "down") && version.parse::<i64>().is_ok())
                .then(|| format!("{status} {version}"))
        })
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The single text `sql` answers on the PostgreSQL database at `url`.
fn scalar(url: &str, sql: &str) -> String {
    runtime().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let value: String = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
        conn.close().await.unwrap();
        value
    })
}

/// Runs `sql` on the PostgreSQL database at `url`.
fn exec(url: &str, sql: &str) {
    runtime().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
        conn.close().await.unwrap();
    });
}

// ------------------------------------------------------------------------- own servers

/// A folder for a server's files, owned by the user the server runs as.
struct Scratch {
    dir: tempfile::TempDir,
    /// The uid and gid to run as when the tests run as root.
    user: Option<(u32, u32)>,
}

impl Scratch {
    /// A folder for PostgreSQL's files.
    fn new() -> Scratch {
        Scratch::owned_by("postgres")
    }

    fn owned_by(name: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let user = is_root().then(|| {
            let user = system_user(name);
            chown(dir.path(), user);
            user
        });
        Scratch { dir, user }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `program` as the folder's user, in the folder, its output appended to `log`.
    fn command(&self, program: &Path, log: &str) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        let out = File::options()
            .create(true)
            .append(true)
            .open(self.path().join(log))
            .unwrap();
        command
            .current_dir(self.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        command
    }

    /// Runs `program ARGS` to completion; panics with its output when it fails.
    fn run(&self, program: &Path, args: &[&str], log: &str) {
        let status = self
            .command(program, log)
            .args(args)
            .status()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot run {}: {err} (these tests need the postgresql-15 and \
                     mariadb-server packages)",
                    program.display()
                )
            });
        assert!(
            status.success(),
            "{} {args:?} failed ({status})\n{}",
            program.display(),
            self.read(log)
        );
    }

    fn read(&self, log: &str) -> String {
        fs::read_to_string(self.path().join(log)).unwrap_or_default()
    }
}

/// One PostgreSQL 15 server of the test.
struct Postgres {
    _process: Process,
    port: u16,
}

impl Postgres {
    /// A new primary: `initdb` into `scratch/primary`, trust auth, replication allowed from
    /// 127.0.0.1.
    fn primary(scratch: &Scratch) -> Postgres {
        let data = scratch.path().join("primary");
        scratch.run(
            &bin("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ],
            "initdb.log",
        );
        let mut hba = File::options()
            .append(true)
            .open(data.join("pg_hba.conf"))
            .unwrap();
        std::io::Write::write_all(&mut hba, b"host replication all 127.0.0.1/32 trust\n").unwrap();
        Postgres::start(scratch, &data, "primary.log")
    }

    /// A streaming replica of `primary`: `pg_basebackup -R` into `scratch/replica`.
    fn replica_of(primary: &Postgres, scratch: &Scratch) -> Postgres {
        let data = scratch.path().join("replica");
        scratch.run(
            &bin("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                data.to_str().unwrap(),
                "-R",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
            "basebackup.log",
        );
        Postgres::start(scratch, &data, "replica.log")
    }

    /// Starts `postgres` on the data folder `data`, on a free loopback port, and waits until
    /// it accepts connections.
    fn start(scratch: &Scratch, data: &Path, log: &'static str) -> Postgres {
        let port = free_port();
        let mut process = Process::spawn(
            "postgres",
            scratch
                .command(&bin("postgres"), log)
                .arg("-D")
                .arg(data)
                .args(["-p", &port.to_string()])
                .args(["-c", "listen_addresses=127.0.0.1"])
                .args(["-c", "unix_socket_directories="])
                .args(["-c", "wal_level=replica"])
                .args(["-c", "fsync=off"])
                .args(["-c", "full_page_writes=off"])
                .args(["-c", "max_connections=30"]),
        )
        .quit_on_drop();
        let port_text = port.to_string();
        process.wait_until(
            Duration::from_secs(30),
            || {
                Command::new(bin("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &port_text])
                    .status()
                    .is_ok_and(|status| status.success())
            },
            || scratch.read(log),
        );
        Postgres {
            _process: process,
            port,
        }
    }

    /// The URL of `database` on this server, as the superuser.
    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

/// A PostgreSQL primary and its streaming replica, in one scratch folder (declared last, so
/// removed after both servers stopped).
struct Cluster {
    replica: Postgres,
    primary: Postgres,
    _scratch: Scratch,
}

impl Cluster {
    fn start() -> Cluster {
        let scratch = Scratch::new();
        let primary = Postgres::primary(&scratch);
        let replica = Postgres::replica_of(&primary, &scratch);
        let cluster = Cluster {
            replica,
            primary,
            _scratch: scratch,
        };
        assert_eq!(
            scalar(
                &cluster.replica.url("postgres"),
                "SELECT pg_is_in_recovery()::text"
            ),
            "true"
        );
        cluster
    }

    /// Waits until the replica has replayed everything the primary wrote so far.
    fn wait_for_replay(&self) {
        let written = scalar(
            &self.primary.url("postgres"),
            "SELECT pg_current_wal_lsn()::text",
        );
        let replayed = format!("SELECT (pg_last_wal_replay_lsn() >= '{written}')::text");
        let started = Instant::now();
        while scalar(&self.replica.url("postgres"), &replayed) != "true" {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the replica did not replay up to {written} within 10s"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn bin(name: &str) -> PathBuf {
    Path::new(PG_BIN).join(name)
}

/// A MariaDB server of the test, in its own data folder, on a free loopback port.
struct MariaDb {
    _process: Process,
    port: u16,
    _scratch: Scratch,
}

impl MariaDb {
    /// `mariadb-install-db`, then `mariadbd --read-only`; root has no password.
    fn start_read_only() -> MariaDb {
        let scratch = Scratch::owned_by("mysql");
        let folder = scratch.path().to_str().unwrap().to_owned();
        let user = scratch.user.map(|_| "--user=mysql");
        let mut install = vec![
            "--no-defaults".to_owned(),
            format!("--datadir={folder}/data"),
            "--auth-root-authentication-method=normal".to_owned(),
            "--skip-test-db".to_owned(),
        ];
        install.extend(user.map(str::to_owned));
        let install: Vec<&str> = install.iter().map(String::as_str).collect();
        // It runs as root (with --user) or as the caller: it switches users itself.
        let status = Command::new("mariadb-install-db")
            .args(&install)
            .current_dir(scratch.path())
            .stdout(Stdio::null())
            .stderr(File::create(scratch.path().join("install.log")).unwrap())
            .status()
            .expect("running mariadb-install-db");
        assert!(
            status.success(),
            "mariadb-install-db failed\n{}",
            scratch.read("install.log")
        );
        let port = free_port();
        let mut command = Command::new("/usr/sbin/mariadbd");
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={folder}/data"))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={folder}/mariadb.sock"))
            .arg(format!("--pid-file={folder}/mariadb.pid"))
            .arg(format!("--log-error={folder}/mariadb.log"))
            .args([
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
                "--read-only",
            ])
            .args(user)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut process = Process::spawn("mariadbd", &mut command).quit_on_drop();
        let url = format!("mysql://root@127.0.0.1:{port}/mysql");
        process.wait_until(
            Duration::from_secs(30),
            || {
                runtime().block_on(async {
                    match sqlx::MySqlConnection::connect(&url).await {
                        Ok(conn) => conn.close().await.is_ok(),
                        Err(_) => false,
                    }
                })
            },
            || scratch.read("mariadb.log"),
        );
        MariaDb {
            _process: process,
            port,
            _scratch: scratch,
        }
    }

    fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    fn exec(&self, sql: &str) {
        let url = self.url("mysql");
        runtime().block_on(async {
            let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|err| panic!("{sql}: {err}"));
            conn.close().await.unwrap();
        });
    }

    fn scalar(&self, sql: &str) -> String {
        let url = self.url("mysql");
        runtime().block_on(async {
            let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
            let row = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .fetch_one(&mut conn)
                .await
                .unwrap_or_else(|err| panic!("{sql}: {err}"));
            let value: i64 = row.try_get(0).unwrap();
            conn.close().await.unwrap();
            value.to_string()
        })
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The uid and gid of the system user `name`, from `/etc/passwd`.
fn system_user(name: &str) -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&name))
                .then(|| (fields[2].parse().unwrap(), fields[3].parse().unwrap()))
        })
        .unwrap_or_else(|| panic!("no user {name} in /etc/passwd: is its server installed?"))
}

fn chown(path: &Path, (uid, gid): (u32, u32)) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}
