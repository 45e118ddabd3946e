//! Integration tests: run the real `axgen` binary as a user would, and snapshot what it prints
//! and what it generates. One test binary, one module per command.

mod browser;
mod db;
mod faults;
mod fuzz;
mod galera;
mod gen_auth;
mod gen_migration;
mod gen_schema;
mod gen_update;
mod gen_web;
mod help;
mod instances;
mod names;
mod new;
mod pooler;
mod process;
mod readme;
mod replica;
mod routes;
mod served;
mod spec;
mod templates;
mod tls;

use std::path::{Path, PathBuf};
use std::process::Output;

use axgen::plan::{ApplyOptions, Op, Plan};
use sqlx::Connection;

use crate::db::with_database;

/// Every field type and modifier, and a Rust keyword as a field name: the spec the
/// generator tests use.
pub const ALL_FIELDS: &[&str] = &[
    "title:string:unique",
    "body:text",
    "views:integer",
    "priority:bigint:index",
    "ratio:float",
    "price:decimal:optional",
    "published:boolean",
    "day:date",
    "starts_at:time",
    "local_at:naive_datetime",
    "sent_at:utc_datetime:optional",
    "token:uuid:redact",
    "data:binary:optional",
    "meta:map",
    "tags:array:string",
    "scores:array:integer:optional",
    "status:enum:draft:published",
    "type:string:optional",
    "author_id:references:users",
];

/// Settings shared by every snapshot: stored in the repository's `snapshots/` folder.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// A builder for one run of `axgen`, in the spirit of just's `Test` and uv's `uv_snapshot!`.
pub struct Axgen {
    command: assert_cmd::Command,
    dir: PathBuf,
}

/// The result of a run: exit code and output, with the working folder replaced by `[DIR]`.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Axgen {
    /// `axgen` run in `dir`, with no colour and no database URL from the caller's environment.
    pub fn in_dir(dir: &Path) -> Axgen {
        let mut command = assert_cmd::Command::cargo_bin("axgen").expect("the axgen binary");
        command
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .arg("--color=never");
        Axgen {
            command,
            dir: dir.to_path_buf(),
        }
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Axgen
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Adds `--help`.
    pub fn arg_help(self) -> Axgen {
        self.args(["--help"])
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Axgen {
        self.command.env(key, value);
        self
    }

    /// Runs to completion.
    pub fn run(mut self) -> Run {
        let output: Output = self.command.output().expect("running axgen");
        let clean = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(&self.dir.display().to_string(), "[DIR]")
        };
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: clean(&output.stdout),
            stderr: clean(&output.stderr),
        }
    }
}

impl Run {
    /// Exit code, stdout and stderr as one text, for snapshots.
    pub fn transcript(&self) -> String {
        format!(
            "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            code,
            "unexpected exit code\n{}",
            self.transcript()
        );
        self
    }
}

/// Snapshots a run's exit code, stdout and stderr.
#[macro_export]
macro_rules! axgen_snapshot {
    ($name:expr, $run:expr) => {
        $crate::snapshot_settings().bind(|| insta::assert_snapshot!($name, $run.transcript()))
    };
}

/// Every file below `dir` with its contents, sorted: proves a folder was left untouched.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// The database server URLs from the environment, or a printed notice that tests needing them
/// are skipped.
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipping: {var} is not set, so no server test runs");
            None
        }
    }
}

/// The target folder shared by every generated app the tests build, so their dependencies
/// compile once: `AXGEN_APPS_TARGET_DIR`, else `target/tmp/apps-target`.
pub fn apps_target_dir() -> PathBuf {
    std::env::var_os("AXGEN_APPS_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("apps-target"))
}

/// Runs `cargo ARGS` in a generated app with the shared target folder, and `DATABASE_URL`
/// set to `database_url` (or removed); panics with cargo's output when it fails.
///
/// The app's own crate compiles through `clippy-driver` with `-D warnings`, as under
/// `cargo clippy`, but in the compile that builds it: a build or test run is also its
/// lint, and no second compile (of the app, and of its dependencies' metadata) is spent on
/// `cargo clippy`. `cargo test` compiles every target `cargo clippy --all-targets` lints
/// (generated apps have no benches), with and without `cfg(test)`. The dependencies are
/// compiled by rustc alone, as usual.
///
/// Cargo names the artifacts of a root crate without its path, and stores the paths of its
/// sources relative to the crate: two apps of one name in the shared folder take each other's
/// artifacts, and an app whose files are older than the other's build is taken as built
/// (its tests then link the other app's library). So every app built here has a name of its
/// own, which this checks, and builds run one at a time.
#[track_caller]
pub fn cargo_in_app(app: &Path, args: &[&str], database_url: Option<&str>) {
    // The apps built so far; holding it is a build's turn. A test that failed while holding
    // it poisons it; the next build is still sound.
    static BUILT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(other) = built
        .iter()
        .find(|other| other.file_name() == app.file_name() && *other != app)
    {
        panic!(
            "{} has the name of {}, built before it into the same target folder; \
             give each built app a name of its own",
            app.display(),
            other.display()
        );
    }
    if !built.iter().any(|other| other == app) {
        built.push(app.to_path_buf());
    }
    let mut command = std::process::Command::new(env!("CARGO"));
    command
        .current_dir(app)
        .args(args)
        .env("CARGO_TARGET_DIR", apps_target_dir())
        .env("RUSTC_WORKSPACE_WRAPPER", clippy_driver())
        .env(
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        );
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    // Tests on a server mostly wait for it (each `#[sqlx::test]` creates a database and
    // migrates it), so more of them run at once than there are cores: the auth app's suite on
    // PostgreSQL took 96 s with 2 threads, 41 s with 8 (44 s with 16).
    if database_url.is_some() && std::env::var_os("RUST_TEST_THREADS").is_none() {
        command.env("RUST_TEST_THREADS", "8");
    }
    let started = std::time::Instant::now();
    let output = command.output().expect("running cargo");
    log_build(app, args, started.elapsed());
    if !output.status.success() {
        // What says why: the failing tests and their panics at the end of stdout; the first
        // compiler error and cargo's last words on stderr.
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        panic!(
            "`cargo {}` failed in {}\n{}\n{}\n[...]\n{}",
            args.join(" "),
            app.display(),
            tail(failures(&stdout), 80),
            first_error(&stderr, 40),
            tail(&stderr, 20)
        );
    }
}

/// The toolchain's `clippy-driver`, beside its `cargo`; else the one on `PATH`.
fn clippy_driver() -> PathBuf {
    let beside_cargo = Path::new(env!("CARGO")).with_file_name("clippy-driver");
    if beside_cargo.exists() {
        beside_cargo
    } else {
        PathBuf::from("clippy-driver")
    }
}

/// With `AXGEN_TEST_BUILD_LOG` set to a file, appends a line to it for each cargo run in a
/// generated app: the test, the app, cargo's arguments and the seconds it took (waiting for the
/// target folder included), to see where the tests' time goes.
fn log_build(app: &Path, args: &[&str], took: std::time::Duration) {
    use std::io::Write;
    let Some(log) = std::env::var_os("AXGEN_TEST_BUILD_LOG") else {
        return;
    };
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("the build log opens");
    let app = app.file_name().unwrap().to_string_lossy();
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    let seconds = took.as_secs_f64();
    writeln!(log, "{test}\t{app}\t{}\t{seconds:.1}", args.join(" ")).unwrap();
}

/// `lines` lines of `stderr` from its first error on.
fn first_error(stderr: &str, lines: usize) -> String {
    let all: Vec<&str> = stderr.lines().collect();
    let start = all
        .iter()
        .position(|line| line.starts_with("error"))
        .unwrap_or(0);
    all[start..(start + lines).min(all.len())].join("\n")
}

/// The `failures:` section of a test run's output, else the whole output.
fn failures(stdout: &str) -> &str {
    stdout
        .find("\nfailures:\n")
        .map_or(stdout, |start| &stdout[start..])
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Formats, lints and tests the app; server databases run its tests when their URL is set.
/// The lints of `cargo clippy --all-targets -- -D warnings` run in the compile of its tests
/// (see [`cargo_in_app`]).
pub fn check_app(app: &Path, url_var: Option<&str>) {
    cargo_in_app(app, &["fmt", "--check"], None);
    test_app(app, url_var);
}

/// Runs the app's tests; server databases run them when their URL is set (else they are
/// only built).
pub fn test_app(app: &Path, url_var: Option<&str>) {
    match url_var {
        None => cargo_in_app(app, &["test"], None),
        Some(var) => match server_url(var) {
            Some(url) => {
                let master = TestMaster::create(&url, app);
                cargo_in_app(app, &["test"], Some(&master.url));
            }
            None => cargo_in_app(app, &["build", "--tests"], None),
        },
    }
}

/// The database a generated app's `#[sqlx::test]`s run from (their `DATABASE_URL`), made
/// for one run: sqlx creates each test's database beside it and records its name there,
/// but drops it only when the test passes. Dropping the master drops every test database
/// it recorded, so a failed test leaves nothing behind on the server.
pub struct TestMaster {
    /// The server's URL, connected to for the drops.
    server: String,
    name: String,
    pub url: String,
}

impl TestMaster {
    pub fn create(server: &str, app: &Path) -> TestMaster {
        let app_name = app.file_name().unwrap().to_string_lossy();
        let name = format!("axgen_{app_name}_{}", std::process::id());
        let master = TestMaster {
            server: server.to_string(),
            url: with_database(server, &name),
            name,
        };
        master.on_server(|postgres| {
            let name = master.quoted(postgres, &master.name);
            vec![
                format!("DROP DATABASE IF EXISTS {name}"),
                format!("CREATE DATABASE {name}"),
            ]
        });
        master
    }

    /// `name` quoted as an identifier for PostgreSQL or MySQL.
    fn quoted(&self, postgres: bool, name: &str) -> String {
        if postgres {
            format!("\"{name}\"")
        } else {
            format!("`{name}`")
        }
    }

    /// Runs the statements `sql` (given whether the server is PostgreSQL) on the server.
    fn on_server(&self, sql: impl FnOnce(bool) -> Vec<String>) {
        run_sql(&self.server, sql(self.server.starts_with("postgres")));
    }
}

impl Drop for TestMaster {
    fn drop(&mut self) {
        let postgres = self.server.starts_with("postgres");
        let recorded = if postgres {
            "SELECT db_name FROM _sqlx_test.databases"
        } else {
            "SELECT db_name FROM _sqlx_test_databases"
        };
        // None recorded (no test ran) is not an error.
        let left = query_names(&self.url, recorded);
        self.on_server(|postgres| {
            // PostgreSQL refuses to drop a database with connections; a failed test's may
            // not have closed yet.
            let force = if postgres { " WITH (FORCE)" } else { "" };
            left.iter()
                .chain([&self.name])
                .map(|name| {
                    let name = self.quoted(postgres, name);
                    format!("DROP DATABASE IF EXISTS {name}{force}")
                })
                .collect()
        });
    }
}

/// Runs each statement of `sql` on the database at `url`; panics when one fails.
pub fn run_sql(url: &str, sql: Vec<String>) {
    block_on(async {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        for statement in sql {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await
    })
    .unwrap_or_else(|err| panic!("{url}: {err}"));
}

/// The first column of the rows of `query` on the database at `url`, as text; empty when the
/// query fails (a table that does not exist).
pub fn query_names(url: &str, query: &str) -> Vec<String> {
    block_on(async {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let names = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
            .fetch_all(&mut conn)
            .await;
        conn.close().await?;
        names
    })
    .unwrap_or_default()
}

/// Runs `future` to completion on a runtime of its own, with sqlx's drivers installed.
fn block_on<T>(future: impl Future<Output = T>) -> T {
    sqlx::any::install_default_drivers();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Applies `plan` under `dir` without printing.
pub fn apply(dir: &Path, plan: &Plan) {
    let printer = axgen::output::Printer::new(true, Default::default());
    plan.apply(dir, ApplyOptions::default(), &printer).unwrap();
}

/// Every planned operation with its text, as one reviewable document.
pub fn rendered(plan: &Plan) -> String {
    let ops: String = plan
        .ops
        .iter()
        .map(|op| match op {
            Op::Create { path, contents, .. } => {
                format!("===== {} =====\n{contents}", path.display())
            }
            Op::Inject {
                path, marker, text, ..
            } => format!(
                "===== {} (before `{marker}`) =====\n{text}\n",
                path.display()
            ),
        })
        .collect();
    format!(
        "{ops}===== next steps =====\n{}\n",
        plan.next_steps.join("\n")
    )
}

/// `text` with each migration version (14 digits, from the real clock) as `[VERSION]`.
pub fn mask_versions(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().chain(['\n']) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        out.push_str(if digits.len() == 14 {
            "[VERSION]"
        } else {
            &digits
        });
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}
