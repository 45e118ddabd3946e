//! Faults: a generated app whose database goes away answers 503 with a clean JSON body or
//! error page, and serves again by itself once the database is back, without a restart.
//!
//! PostgreSQL: the shared server cannot be stopped, so the app reaches it through a TCP proxy
//! on a free loopback port: stopping the proxy closes its port and cuts every connection it
//! carries, as a database server that goes down does; restarting it listens on the same port
//! again. Each test runs its own copy of the shared app (`served.rs`) with its own database,
//! dropped at the end, and runs when `AXGEN_TEST_POSTGRES_URL` is set.
//!
//! SQLite: the app's file is moved away, replaced, made read-only and dropped under the
//! running app; every test runs.

use std::fs::File;
use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

use crate::process::Process;
use crate::served::{self, AppCopy};
use crate::{Axgen, Run, cargo_in_app, server_url};

/// The longest a request may take to answer 503 once the database is gone: the pool's
/// acquire timeout (2 s in the generated `src/db.rs`), plus slack for a slow machine.
const DOWN_ANSWER_WITHIN: Duration = Duration::from_secs(4);

/// The longest the app may take to serve again once the database is back.
const RECOVERY_WITHIN: Duration = Duration::from_secs(20);

/// `GET /health` of a fresh app answers 503 while the database is unreachable (from the start,
/// then after it went down with connections open in the pool) and 200 again by itself once the
/// database is back.
#[test]
fn health_answers_503_while_postgres_is_down_and_recovers_by_itself() {
    let Some(mut faulty) = Faulty::new(false) else {
        return;
    };

    // The app starts while its database is unreachable: it serves, and says so.
    faulty.proxy().stop();
    faulty.start_app();
    faulty.expect_health_down();
    faulty.proxy().restart();
    faulty.expect_recovery("/health", |answer| {
        assert_eq!(answer.json(), json!({ "status": "ok" }));
    });

    // The database goes down under a running app whose pool holds open connections.
    faulty.proxy().stop();
    faulty.expect_health_down();
    faulty.expect_health_down();
    faulty.proxy().restart();
    faulty.expect_recovery("/health", |answer| {
        assert_eq!(answer.json(), json!({ "status": "ok" }));
    });
}

/// With a JSON resource and an HTML one over the same context, every route that needs the
/// database answers 503 while it is down, the API with `{"errors":{"detail":...}}` and the pages
/// with the error page; nothing is written meanwhile, and every route serves again once it is
/// back.
#[test]
fn resources_answer_503_while_postgres_is_down_and_recover_by_themselves() {
    let Some(mut faulty) = Faulty::new(true) else {
        return;
    };
    faulty.start_app();
    let site = faulty.site();
    let created = site.post_json("/api/posts", &json!({ "post": { "title": "Before" } }));
    faulty.check(&created, 201);
    let posts = site.get("/api/posts");
    faulty.check(&posts, 200);
    assert_eq!(posts.json()["data"].as_array().map(Vec::len), Some(1));
    faulty.check(&site.get("/posts"), 200);

    faulty.proxy().stop();
    // Four requests at once, as users would send them, each answered within the bound.
    let down = Instant::now();
    let answers: Vec<Answer> = thread::scope(|scope| {
        let requests = [
            scope.spawn(|| site.get("/api/posts")),
            scope.spawn(|| site.post_json("/api/posts", &json!({ "post": { "title": "Lost" } }))),
            scope.spawn(|| site.get("/posts")),
            scope.spawn(|| site.get("/health")),
        ];
        requests.map(|request| request.join().unwrap()).into()
    });
    eprintln!("faults: four requests answered 503 in {:?}", down.elapsed());
    let unavailable = json!({ "errors": { "detail": "Service Unavailable" } });
    for api in &answers[..2] {
        faulty.check_down(api, "application/json");
        assert_eq!(api.json(), unavailable);
    }
    let page = &answers[2];
    faulty.check_down(page, "text/html");
    for text in [
        "Service Unavailable",
        "503",
        "Please try again in a moment.",
    ] {
        assert!(page.body.contains(text), "{text:?} not in\n{}", page.body);
    }
    faulty.check_down(&answers[3], "application/json");
    assert_eq!(answers[3].json(), json!({ "status": "unavailable" }));
    // Nothing of the failure's details reaches the client.
    let proxy_port = faulty.proxy().port.to_string();
    for answer in &answers {
        let body = answer.body.to_lowercase();
        for internal in [
            "database",
            "timed out",
            "refused",
            "pool",
            "sqlx::",
            &proxy_port,
        ] {
            assert!(
                !body.contains(internal),
                "{internal:?} leaked in\n{}",
                answer.body
            );
        }
    }

    faulty.proxy().restart();
    faulty.expect_recovery("/api/posts", |answer| {
        let posts = answer.json();
        let titles: Vec<&str> = posts["data"]
            .as_array()
            .expect("a list of posts")
            .iter()
            .filter_map(|post| post["title"].as_str())
            .collect();
        assert_eq!(
            titles,
            ["Before"],
            "the post sent while the database was down"
        );
    });
    let page = site.get("/posts");
    faulty.check(&page, 200);
    assert!(page.body.contains("Before"), "{}", page.body);
    faulty.check(&site.get("/health"), 200);
}

/// A SQLite app never creates its database file: while it is missing (from the start, or
/// moved away under the running app) `/health` and every request answer 503, not 500, and
/// nothing is written; once it is back, or replaced by a new database under connections that
/// still hold the old one, every request serves the file at the path, by itself.
#[test]
fn a_sqlite_app_answers_503_while_its_file_is_gone_and_follows_it_back() {
    let mut faulty = Faulty::sqlite();
    let db = faulty.app().join("dev.db");

    // Started before `axgen db create`: it serves, and says the database is unavailable.
    faulty.start_app();
    let site = faulty.site();
    faulty.expect_health_down();
    faulty.expect_api_down(&site.get("/api/posts"));
    faulty.expect_api_down(&site.post_json("/api/posts", &json!({ "post": { "title": "Lost" } })));
    assert!(!db.exists(), "the app created its database file");

    faulty.axgen(&["db", "create"]).assert_code(0);
    faulty.axgen(&["migrate"]).assert_code(0);
    faulty.expect_recovery("/api/posts", |answer| {
        assert_eq!(titles(answer), Vec::<String>::new());
    });
    let before = site.post_json("/api/posts", &json!({ "post": { "title": "Before" } }));
    faulty.check(&before, 201);

    // Moved away under the running app, whose pool holds connections to it.
    let away = faulty.app().join("away");
    std::fs::create_dir(&away).unwrap();
    let files = ["dev.db", "dev.db-wal", "dev.db-shm"];
    move_files(&faulty.app(), &away, &files);
    faulty.expect_health_down();
    faulty.expect_api_down(&site.get("/api/posts"));
    faulty.expect_api_down(&site.post_json("/api/posts", &json!({ "post": { "title": "Lost" } })));
    assert!(!db.exists(), "the app created a new database file");

    // Back: the app serves it again, and only it.
    move_files(&away, &faulty.app(), &files);
    faulty.expect_recovery("/api/posts", |answer| {
        assert_eq!(titles(answer), ["Before"]);
    });
    faulty.expect_steady_titles(&["Before"]);

    // Deleted and made anew while the pool still holds connections to the deleted file: the
    // app serves the new, empty database, never the deleted one.
    for file in files {
        let _ = std::fs::remove_file(faulty.app().join(file));
    }
    faulty.axgen(&["db", "create"]).assert_code(0);
    faulty.axgen(&["migrate"]).assert_code(0);
    faulty.expect_recovery("/api/posts", |answer| {
        assert_eq!(
            titles(answer),
            Vec::<String>::new(),
            "the deleted database was served"
        );
    });
    faulty.expect_steady_titles(&[]);
    let after = site.post_json("/api/posts", &json!({ "post": { "title": "After" } }));
    faulty.check(&after, 201);
    faulty.check(&site.get("/health"), 200);
}

/// A SQLite database that cannot be written when the app starts: SQLite opens it read-only
/// without a word (when its WAL files are in place, as while another process has it open), so
/// the app answers 503 (reads and writes alike, and `/health`) rather than fail every write,
/// and once the file is writable again every write succeeds, without a restart.
#[test]
fn a_sqlite_app_whose_file_is_read_only_recovers_once_it_is_writable() {
    let mut faulty = Faulty::sqlite();
    faulty.axgen(&["db", "create"]).assert_code(0);
    faulty.axgen(&["migrate"]).assert_code(0);
    let db = faulty.app().join("dev.db");
    // Another process (this test) has the database open in WAL mode, as the app will.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let holder = runtime.block_on(async {
        let options = SqliteConnectOptions::new()
            .filename(&db)
            .journal_mode(SqliteJournalMode::Wal);
        let mut holder = options.connect().await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM posts")
            .execute(&mut holder)
            .await
            .unwrap();
        holder
    });
    // As root, permissions do not stop a write; the immutable attribute does.
    let Some(immutable) = Immutable::set(&db) else {
        return;
    };
    faulty.start_app();
    let site = faulty.site();
    faulty.expect_health_down();
    faulty.expect_api_down(&site.get("/api/posts"));
    faulty.expect_api_down(&site.post_json("/api/posts", &json!({ "post": { "title": "Lost" } })));
    drop(immutable);
    runtime.block_on(holder.close()).unwrap();

    // Writable again: writes succeed once the app notices, every one of them.
    let started = Instant::now();
    loop {
        let answer = site.post_json("/api/posts", &json!({ "post": { "title": "Written" } }));
        if answer.status == 201 {
            break;
        }
        faulty.check(&answer, 503);
        assert!(started.elapsed() < RECOVERY_WITHIN, "writes still fail");
        thread::sleep(Duration::from_millis(100));
    }
    for n in 0..20 {
        let title = format!("Written {n}");
        faulty.check(
            &site.post_json("/api/posts", &json!({ "post": { "title": title } })),
            201,
        );
    }
    faulty.check(&site.get("/health"), 200);
}

/// A SQLite app started before `axgen migrate` warns of the pending migrations, and names
/// them in the error of a request that failed on a missing table; its log, written to a pipe,
/// has no colour codes. Then `axgen db reset` and `db drop` refuse to delete the database
/// while the app has it open (it would go on serving the deleted file) and leave it as it
/// was; once the app is stopped, they go ahead.
#[test]
fn db_reset_and_drop_refuse_while_a_sqlite_app_has_the_database_open() {
    let mut faulty = Faulty::sqlite();
    faulty.axgen(&["db", "create"]).assert_code(0);

    // Started before `axgen migrate`: it warns at start-up, and a request that fails on the
    // missing table names the pending migration (a debug build, as `cargo run` makes).
    faulty.start_app();
    let pending = faulty.eventually_logged("migrations are pending: ");
    assert!(
        pending.contains("_create_posts; run `axgen migrate`"),
        "{pending}"
    );
    let failed = faulty.site().get("/api/posts");
    faulty.check(&failed, 500);
    let names = failed.json()["errors"]["pending_migrations"].clone();
    assert!(
        names.as_array().is_some_and(
            |names| names.len() == 1 && names[0].as_str().unwrap().ends_with("_create_posts")
        ),
        "{}",
        failed.body
    );
    faulty.server = None;
    faulty.axgen(&["migrate"]).assert_code(0);

    faulty.start_app();
    let site = faulty.site();
    faulty.check(
        &site.post_json("/api/posts", &json!({ "post": { "title": "Kept" } })),
        201,
    );
    assert!(
        !faulty.log().contains('\x1b'),
        "the log, written to a pipe, has colour codes:\n{}",
        faulty.log()
    );

    for command in [&["db", "reset", "--yes"][..], &["db", "drop", "--yes"]] {
        let run = faulty.axgen(command);
        run.assert_code(2);
        assert!(
            run.stderr.contains(
                "is open in another process (is the app running?), so it was not dropped"
            ),
            "{command:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("hint: stop the app"), "{}", run.stderr);
        assert!(faulty.app().join("dev.db").exists());
        let posts = site.get("/api/posts");
        faulty.check(&posts, 200);
        assert_eq!(titles(&posts), ["Kept"], "{command:?} changed the data");
    }

    faulty.server = None;
    faulty.axgen(&["db", "reset", "--yes"]).assert_code(0);
    faulty.start_app();
    let posts = faulty.site().get("/api/posts");
    faulty.check(&posts, 200);
    assert_eq!(titles(&posts), Vec::<String>::new());
}

/// The titles in a `GET /api/posts` answer.
#[track_caller]
fn titles(answer: &Answer) -> Vec<String> {
    answer.json()["data"]
        .as_array()
        .expect("a list of posts")
        .iter()
        .filter_map(|post| post["title"].as_str().map(str::to_owned))
        .collect()
}

/// Moves `files` (those that exist) from one folder to another.
fn move_files(from: &Path, to: &Path, files: &[&str]) {
    for file in files {
        if from.join(file).exists() {
            std::fs::rename(from.join(file), to.join(file)).unwrap();
        }
    }
}

/// The immutable attribute on a file (`chattr +i`), taken off again on drop: the one way to
/// make a file unwritable for root.
struct Immutable(PathBuf);

impl Immutable {
    /// `None`, with a notice, where `chattr` is missing or not allowed.
    fn set(path: &Path) -> Option<Immutable> {
        let done = Command::new("chattr").arg("+i").arg(path).status();
        if !done.is_ok_and(|status| status.success()) {
            eprintln!("skipping: chattr +i is not available here");
            return None;
        }
        Some(Immutable(path.to_owned()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

// ------------------------------------------------------------------------------------ the app

/// A copy of a shared generated app, and once started, its process. On
/// PostgreSQL it has its own database on the server, reached through a [`Proxy`]; on SQLite
/// its `dev.db` in the app's folder.
///
/// Fields drop in order: the app process, then the proxy, then the database, then the folder.
struct Faulty {
    server: Option<Server>,
    proxy: Option<Proxy>,
    database: Option<Database>,
    app: AppCopy,
}

impl Faulty {
    /// A copy of the shared PostgreSQL app ([`served::POSTGRES`]) with a database of its own,
    /// created through the proxy, and migrated there when `migrated`; or `None` (with a
    /// notice) when no PostgreSQL server is configured.
    fn new(migrated: bool) -> Option<Faulty> {
        let server = ServerUrl::parse(&server_url("AXGEN_TEST_POSTGRES_URL")?);
        let app = served::POSTGRES.copy();

        let proxy = Proxy::start(server.socket_addr());
        let database = Database {
            app: app.path(),
            server,
            name: format!(
                "axgen_faults_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst)
            ),
        };
        let proxied = database.url_via(proxy.port);
        axgen(&app.path(), &["db", "create", "--database-url", &proxied]);
        if migrated {
            axgen(&app.path(), &["migrate", "--database-url", &proxied]);
        }
        Some(Faulty {
            server: None,
            proxy: Some(proxy),
            database: Some(database),
            app,
        })
    }

    /// A copy of the shared SQLite app ([`served::SQLITE`]); its database (`dev.db`, from
    /// `.env`) is not created.
    fn sqlite() -> Faulty {
        Faulty {
            server: None,
            proxy: None,
            database: None,
            app: served::SQLITE.copy(),
        }
    }

    fn app(&self) -> PathBuf {
        self.app.path()
    }

    /// The PostgreSQL app's proxy.
    fn proxy(&mut self) -> &mut Proxy {
        self.proxy.as_mut().expect("a PostgreSQL app")
    }

    /// The URL the app connects with: through the proxy, or its SQLite file.
    fn database_url(&self) -> String {
        match (&self.database, &self.proxy) {
            (Some(database), Some(proxy)) => database.url_via(proxy.port),
            _ => SQLITE_URL.to_owned(),
        }
    }

    /// Runs `axgen ARGS` in the app, with its database URL.
    fn axgen(&self, args: &[&str]) -> Run {
        Axgen::in_dir(&self.app())
            .args(args)
            .args(["--database-url", &self.database_url()])
            .run()
    }

    /// Runs the app's binary on a free port, and waits until it listens.
    fn start_app(&mut self) {
        let port = free_port();
        let mut server = Server::start(&self.app.binary(), &self.app(), port, &self.database_url());
        server.wait_until_listening();
        self.server = Some(server);
    }

    /// A client of the running app.
    fn site(&self) -> Site {
        Site::new(self.server.as_ref().expect("the app runs").port)
    }

    /// The app's output so far, for failure messages.
    fn log(&self) -> String {
        self.server.as_ref().map(Server::log).unwrap_or_default()
    }

    /// The first line of the app's log that contains `text`, waiting a few seconds for it.
    #[track_caller]
    fn eventually_logged(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|line| line.contains(text)) {
                return line.to_owned();
            }
            assert!(
                started.elapsed() < RECOVERY_WITHIN,
                "the app did not log {text:?}:\n{log}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asserts the status of an answer, showing it and the app's log when it differs.
    #[track_caller]
    fn check(&self, answer: &Answer, status: u16) {
        assert_eq!(
            answer.status,
            status,
            "{} {} answered {} {}\n----- app log -----\n{}",
            answer.method,
            answer.path,
            answer.status,
            answer.body,
            self.log()
        );
    }

    /// Asserts that an answer is a timely 503 of the given content type.
    #[track_caller]
    fn check_down(&self, answer: &Answer, content_type: &str) {
        self.check(answer, 503);
        assert!(
            answer.content_type.starts_with(content_type),
            "{} {}: content type {:?}, not {content_type}",
            answer.method,
            answer.path,
            answer.content_type
        );
        assert!(
            answer.took <= DOWN_ANSWER_WITHIN,
            "{} {} took {:?} to answer 503",
            answer.method,
            answer.path,
            answer.took
        );
    }

    /// `GET /health` answers a timely 503 `{"status":"unavailable"}`.
    #[track_caller]
    fn expect_health_down(&self) {
        let answer = self.site().get("/health");
        self.check_down(&answer, "application/json");
        assert_eq!(answer.json(), json!({ "status": "unavailable" }));
        eprintln!("faults: /health answered 503 in {:?}", answer.took);
    }

    /// Asserts that a JSON API answer is a timely 503 that tells nothing of the failure.
    #[track_caller]
    fn expect_api_down(&self, answer: &Answer) {
        self.check_down(answer, "application/json");
        assert_eq!(
            answer.json(),
            json!({ "errors": { "detail": "Service Unavailable" } })
        );
    }

    /// Twenty `GET /api/posts`, four at a time, all answer 200 with the same titles: no
    /// pooled connection serves another file.
    #[track_caller]
    fn expect_steady_titles(&self, expected: &[&str]) {
        let site = self.site();
        for _ in 0..5 {
            let answers: Vec<Answer> = thread::scope(|scope| {
                let requests: Vec<_> = (0..4)
                    .map(|_| scope.spawn(|| site.get("/api/posts")))
                    .collect();
                requests.into_iter().map(|r| r.join().unwrap()).collect()
            });
            for answer in &answers {
                self.check(answer, 200);
                assert_eq!(titles(answer), expected);
            }
        }
    }

    /// Polls `GET path` until it answers 200 (each answer before that must be a 503), then
    /// checks that answer.
    #[track_caller]
    fn expect_recovery(&self, path: &str, check: impl FnOnce(&Answer)) {
        let site = self.site();
        let started = Instant::now();
        loop {
            let answer = site.get(path);
            if answer.status == 200 {
                eprintln!(
                    "faults: {path} answered 200 again after {:?}",
                    started.elapsed()
                );
                check(&answer);
                return;
            }
            self.check(&answer, 503);
            assert!(
                started.elapsed() < RECOVERY_WITHIN,
                "GET {path} still answers 503 {:?} after the database came back\n\
                 ----- app log -----\n{}",
                started.elapsed(),
                self.log()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The SQLite app's database, relative to its folder (as `axgen new` writes it in `.env`).
const SQLITE_URL: &str = "sqlite:dev.db";

/// Builds the app, timing it.
pub(crate) fn build(app: &Path, name: &str) {
    let build = Instant::now();
    cargo_in_app(app, &["build"], None);
    eprintln!("faults: {name} built in {:?}", build.elapsed());
}

/// Runs `axgen ARGS` in `dir`, asserting success.
#[track_caller]
pub(crate) fn axgen(dir: &Path, args: &[&str]) {
    Axgen::in_dir(dir).args(args).run().assert_code(0);
}

/// A TCP port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub(crate) static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The test's own database, dropped (on the server itself, not through the proxy) at the end.
pub(crate) struct Database {
    pub(crate) app: PathBuf,
    pub(crate) server: ServerUrl,
    pub(crate) name: String,
}

impl Database {
    /// Its URL through the proxy listening on `port`.
    pub(crate) fn url_via(&self, port: u16) -> String {
        self.server.with(&format!("127.0.0.1:{port}"), &self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let url = self.server.with(&self.server.address, &self.name);
        let _ = Axgen::in_dir(&self.app)
            .args(["db", "drop", "--yes", "--database-url", &url])
            .run();
    }
}

/// A server URL taken apart: `postgres://user@` + `host:port` + `?query`.
pub(crate) struct ServerUrl {
    head: String,
    pub(crate) address: String,
    query: String,
}

impl ServerUrl {
    pub(crate) fn parse(url: &str) -> ServerUrl {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let scheme_end = base.find("://").expect("a URL with a scheme") + 3;
        let authority = base[scheme_end..].split('/').next().unwrap();
        let (head, address) = match authority.rsplit_once('@') {
            Some((user, address)) => (format!("{}{user}@", &base[..scheme_end]), address),
            None => (base[..scheme_end].to_owned(), authority),
        };
        let has_port = address
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
        let address = if has_port {
            address.to_owned()
        } else {
            format!("{address}:5432")
        };
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        ServerUrl {
            head,
            address,
            query,
        }
    }

    /// The server's socket address.
    fn socket_addr(&self) -> SocketAddr {
        self.address
            .to_socket_addrs()
            .expect("the server's address resolves")
            .next()
            .expect("an address of the server")
    }

    /// The URL of `database` at `address`, with the same user and options.
    pub(crate) fn with(&self, address: &str, database: &str) -> String {
        format!("{}{address}/{database}{}", self.head, self.query)
    }
}

// ---------------------------------------------------------------------------------- the proxy

/// A TCP proxy on a loopback port in front of the database server: the database as the app
/// sees it.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    /// Both sockets of every connection carried so far, to cut them when the proxy stops.
    links: Arc<Mutex<Vec<TcpStream>>>,
    /// While the proxy listens: the flag that stops its accepting thread, and the thread.
    listening: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Proxy {
    /// A proxy to `upstream` listening on a free loopback port below the ephemeral range.
    ///
    /// While the proxy is down its port is free. A port from `bind(0)` is one the kernel
    /// also hands out as the source port of outgoing connections (and to other `bind(0)`s),
    /// so in that window another test's connection could take it: the proxy could not
    /// listen again, or a connection to it would reach that socket. Below the range, only
    /// an explicit bind to that very port can.
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = bind_below_ephemeral_ports();
        let mut proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            upstream,
            links: Arc::default(),
            listening: None,
        };
        proxy.listen(listener);
        proxy
    }

    fn listen(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (stopped, links, upstream) = (stop.clone(), self.links.clone(), self.upstream);
        let accepting = thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => forward(client, upstream, &links),
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(err) => panic!("the proxy cannot accept: {err}"),
                }
            }
            // The listener drops here: the port refuses connections from now on.
        });
        self.listening = Some((stop, accepting));
    }

    /// Goes down like a database server: the port refuses connections, and every open
    /// connection is closed under its client.
    fn stop(&mut self) {
        self.go_down();
        assert!(
            TcpStream::connect(("127.0.0.1", self.port)).is_err(),
            "the stopped proxy still accepts connections"
        );
    }

    fn go_down(&mut self) {
        if let Some((stop, accepting)) = self.listening.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = accepting.join();
        }
        for socket in self.links.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Comes back: listens on the same port again.
    fn restart(&mut self) {
        assert!(self.listening.is_none(), "the proxy is already listening");
        let started = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(listener) => break listener,
                Err(err) if started.elapsed() < Duration::from_secs(5) => {
                    eprintln!("faults: the proxy cannot listen again yet: {err}");
                    thread::sleep(Duration::from_millis(100));
                }
                Err(err) => panic!("the proxy cannot listen on its port again: {err}"),
            }
        };
        self.listen(listener);
    }
}

/// A loopback listener on a free port under the kernel's ephemeral range (32768 by default,
/// `/proc/sys/net/ipv4/ip_local_port_range`), from 10000 up; each test process starts at its
/// own place, so tests running at once seldom try the same ports.
fn bind_below_ephemeral_ports() -> TcpListener {
    let first_ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let ports = 10_000..first_ephemeral.max(10_100);
    let count = usize::from(ports.end - ports.start);
    let start =
        (std::process::id() as usize * 7919 + NEXT.fetch_add(1, Ordering::SeqCst) * 97) % count;
    (0..count)
        .map(|step| ports.start + ((start + step) % count) as u16)
        .find_map(|port| TcpListener::bind(("127.0.0.1", port)).ok())
        .expect("a free loopback port below the ephemeral range")
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.go_down();
    }
}

/// Carries one client connection to a new connection to `upstream`, both ways, each way on
/// its own thread; when either side closes, both are closed.
fn forward(client: TcpStream, upstream: SocketAddr, links: &Mutex<Vec<TcpStream>>) {
    let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) else {
        return;
    };
    client.set_nonblocking(false).unwrap();
    for socket in [&client, &server] {
        socket.set_nodelay(true).unwrap();
    }
    let mut links = links.lock().unwrap();
    links.push(client.try_clone().unwrap());
    links.push(server.try_clone().unwrap());
    pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
    pipe(server, client);
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}

// ------------------------------------------------------------------------- the app's process

/// The app's process, killed when the test ends however it ends; its output goes to a file.
pub(crate) struct Server {
    process: Process,
    pub(crate) port: u16,
    log: PathBuf,
}

impl Server {
    pub(crate) fn start(binary: &Path, app: &Path, port: u16, database_url: &str) -> Server {
        Server::start_with(binary, app, port, &[("DATABASE_URL", database_url)])
    }

    /// Starts the app with the settings `env` (`DATABASE_URL` among them).
    pub(crate) fn start_with(binary: &Path, app: &Path, port: u16, env: &[(&str, &str)]) -> Server {
        // One log per port: several instances of the app may run in its folder.
        let log = app.join(format!("server-{port}.log"));
        let out = File::create(&log).unwrap();
        let process = Process::spawn(
            &binary.display().to_string(),
            Command::new(binary)
                .current_dir(app)
                .env("HOST", "127.0.0.1")
                .env("PORT", port.to_string())
                .envs(env.iter().copied())
                .env("RUST_LOG", "info")
                .env("NO_COLOR", "1")
                .stdout(out.try_clone().unwrap())
                .stderr(out),
        );
        Server { process, port, log }
    }

    pub(crate) fn log(&self) -> String {
        read_log(&self.log)
    }

    /// Waits until the app listens on its port; panics with its output if it exits or takes
    /// too long.
    pub(crate) fn wait_until_listening(&mut self) {
        let log = &self.log;
        self.process
            .wait_for_port(self.port, Duration::from_secs(30), || read_log(log));
    }

    /// Panics with the app's output if it has exited.
    #[track_caller]
    pub(crate) fn assert_running(&mut self) {
        let log = &self.log;
        self.process.assert_running(|| read_log(log));
    }
}

/// The text of the log file `path`, empty while there is none.
pub(crate) fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

// ------------------------------------------------------------------------------ HTTP client

/// A client of the app that reports every status as an answer, never as an error.
pub(crate) struct Site {
    base: String,
    agent: ureq::Agent,
}

/// What the app answered, and how long it took.
pub(crate) struct Answer {
    method: &'static str,
    path: String,
    pub(crate) status: u16,
    content_type: String,
    pub(crate) body: String,
    took: Duration,
}

impl Answer {
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| {
            panic!(
                "{} {}: not JSON ({err}): {}",
                self.method, self.path, self.body
            )
        })
    }
}

impl Site {
    pub(crate) fn new(port: u16) -> Site {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Site {
            base: format!("http://127.0.0.1:{port}"),
            agent: ureq::Agent::new_with_config(config),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Answer {
        let started = Instant::now();
        let response = self.agent.get(format!("{}{path}", self.base)).call();
        Self::answer("GET", path, started, response)
    }

    pub(crate) fn post_json(&self, path: &str, body: &Value) -> Answer {
        let started = Instant::now();
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_json(body);
        Self::answer("POST", path, started, response)
    }

    pub(crate) fn put_json(&self, path: &str, body: &Value) -> Answer {
        let started = Instant::now();
        let response = self
            .agent
            .put(format!("{}{path}", self.base))
            .send_json(body);
        Self::answer("PUT", path, started, response)
    }

    pub(crate) fn delete(&self, path: &str) -> Answer {
        let started = Instant::now();
        let response = self.agent.delete(format!("{}{path}", self.base)).call();
        Self::answer("DELETE", path, started, response)
    }

    fn answer(
        method: &'static str,
        path: &str,
        started: Instant,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Answer {
        let mut response =
            response.unwrap_or_else(|err| panic!("{method} {path}: no answer: {err}"));
        let body = response.body_mut().read_to_string().unwrap();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Answer {
            method,
            path: path.to_owned(),
            status: response.status().as_u16(),
            content_type,
            body,
            took: started.elapsed(),
        }
    }
}
