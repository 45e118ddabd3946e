//! TLS to the database, and a generated app's limits on slow clients.
//!
//! Each test starts a database server of its own on a free loopback port, with a certificate
//! signed by a CA the test makes with `openssl`, that accepts TLS connections only: whatever
//! connects has really used TLS. PostgreSQL (`initdb` and `pg_ctl`, as the `postgres` user
//! when run as root) gets `ssl=on` and a `pg_hba.conf` with `hostssl` lines and `hostnossl ...
//! reject`; MariaDB (`mariadb-install-db`, `mariadbd`) gets `require_secure_transport`. The
//! server is stopped and its folder removed at the end, pass or fail. The tests are skipped
//! with a notice when the server's binaries are not installed.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::faults::{Server, Site, free_port, read_log};
use crate::process::Process;
use crate::{Axgen, Run, served};

/// The generated app's `HEADER_READ_TIMEOUT` (`src/lib.rs`).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The generated app's `REQUEST_TIMEOUT` (`src/web/mod.rs`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How much later than its timeout the app may act, on a slow machine.
const SLACK: Duration = Duration::from_secs(10);

/// `axgen db create`, `migrate` and `migrations` reach a server that refuses plaintext with
/// `sslmode=require`, `verify-full` against the server's CA, and the default `prefer`; a
/// plaintext connection is refused (so the others did use TLS), and `verify-full` without the
/// CA fails because the certificate is not signed by a public CA.
#[test]
fn axgen_connects_to_postgres_over_tls() {
    let Some(postgres) = TlsPostgres::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path();
    let require = postgres.url("blog", "sslmode=require");
    fs::write(
        app.join("axgen.toml"),
        format!(
            "[app]\nname = \"blog\"\n\n[database]\nadapter = \"postgres\"\nurl = \"{require}\"\n"
        ),
    )
    .unwrap();
    fs::create_dir(app.join("migrations")).unwrap();
    fs::write(
        app.join("migrations/20260101000000_create_posts.up.sql"),
        "CREATE TABLE posts (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL);\n",
    )
    .unwrap();
    let axgen = |args: &[&str]| Axgen::in_dir(app).args(args).run();

    axgen(&["db", "create"]).assert_code(0);
    let verify_full = postgres.url(
        "blog",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            postgres.ca().display()
        ),
    );
    axgen(&["migrate", "--database-url", &verify_full]).assert_code(0);
    let listed = axgen(&["migrations", "--database-url", &postgres.url("blog", "")]);
    listed.assert_code(0);
    assert!(
        listed.stdout.contains("create_posts"),
        "{}",
        listed.transcript()
    );

    let plaintext = axgen(&[
        "migrations",
        "--database-url",
        &postgres.url("blog", "sslmode=disable"),
    ]);
    expect_failure(&plaintext, "no encryption");
    let public_roots = axgen(&[
        "migrations",
        "--database-url",
        &postgres.url("blog", "sslmode=verify-full"),
    ]);
    expect_failure(&public_roots, "certificate");
}

/// `axgen db create` and `migrate` reach a MariaDB server that requires secure transport with
/// `ssl-mode=REQUIRED` and `VERIFY_IDENTITY` against the server's CA; a plaintext connection
/// is refused, and `VERIFY_IDENTITY` without the CA fails.
#[test]
fn axgen_connects_to_mariadb_over_tls() {
    let Some(mariadb) = TlsMariaDb::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path();
    fs::write(
        app.join("axgen.toml"),
        format!(
            "[app]\nname = \"blog\"\n\n[database]\nadapter = \"mysql\"\nurl = \"{}\"\n",
            mariadb.url("ssl-mode=REQUIRED")
        ),
    )
    .unwrap();
    fs::create_dir(app.join("migrations")).unwrap();
    fs::write(
        app.join("migrations/20260101000000_create_posts.up.sql"),
        "CREATE TABLE posts (id BIGINT PRIMARY KEY, title TEXT NOT NULL);\n",
    )
    .unwrap();
    let axgen = |args: &[&str]| Axgen::in_dir(app).args(args).run();

    axgen(&["db", "create"]).assert_code(0);
    let verify_identity = mariadb.url(&format!(
        "ssl-mode=VERIFY_IDENTITY&ssl-ca={}",
        mariadb.dir.path().join("ca.crt").display()
    ));
    axgen(&["migrate", "--database-url", &verify_identity]).assert_code(0);
    let listed = axgen(&["migrations"]);
    listed.assert_code(0);
    assert!(
        listed.stdout.contains("create_posts"),
        "{}",
        listed.transcript()
    );

    let plaintext = axgen(&[
        "migrations",
        "--database-url",
        &mariadb.url("ssl-mode=DISABLED"),
    ]);
    expect_failure(&plaintext, "denied");
    let public_roots = axgen(&[
        "migrations",
        "--database-url",
        &mariadb.url("ssl-mode=VERIFY_IDENTITY"),
    ]);
    expect_failure(&public_roots, "certificate");
}

/// A generated app refuses an `APP_URL` without a scheme and reaches its database with
/// `sslmode=require`; a client that sends half a
/// request line is disconnected after the header timeout, and one that stops sending its body
/// gets 408 Request Timeout: neither holds a connection for ever.
#[test]
fn a_generated_app_uses_tls_and_drops_stalled_clients() {
    let Some(postgres) = TlsPostgres::start() else {
        return;
    };
    let copy = served::POSTGRES.copy();
    let app = copy.path();
    let require = postgres.url("tls_app", "sslmode=require");
    Axgen::in_dir(&app)
        .args(["db", "create", "--database-url", &require])
        .run()
        .assert_code(0);
    let binary = copy.binary();
    let refused = Command::new(&binary)
        .current_dir(&app)
        .env("DATABASE_URL", &require)
        .env("APP_URL", "example.com")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let output =
        String::from_utf8_lossy(&refused.stdout) + String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && output.contains("APP_URL must start with http:// or https://"),
        "{output}"
    );

    let port = free_port();
    let mut server = Server::start(&binary, &app, port, &require);
    server.wait_until_listening();
    let health = Site::new(port).get("/health");
    assert_eq!(health.status, 200, "{}\n{}", health.body, server.log());

    thread::scope(|scope| {
        let half_line = scope.spawn(|| {
            let mut client = connect(port);
            client.write_all(b"GET /health HT").unwrap();
            wait_for_close(&mut client)
        });
        let half_body = scope.spawn(|| {
            let mut client = connect(port);
            client
                .write_all(
                    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                      Content-Type: application/x-www-form-urlencoded\r\n\
                      Content-Length: 100\r\n\r\n_csrf_token=",
                )
                .unwrap();
            wait_for_close(&mut client)
        });

        let (answer, took) = half_line.join().unwrap();
        assert_eq!(answer, "", "half a request line gets no answer");
        assert!(
            took >= HEADER_READ_TIMEOUT - Duration::from_secs(1),
            "closed after {took:?}, before the header timeout"
        );
        let (answer, took) = half_body.join().unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "after {took:?}: {answer}"
        );
        assert!(
            took >= REQUEST_TIMEOUT - Duration::from_secs(1),
            "answered after {took:?}, before the request timeout"
        );
    });
    server.assert_running();
}

/// A raw TCP connection to the app on `port`, which gives up reading well after the app's
/// timeouts should have acted.
fn connect(port: u16) -> TcpStream {
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(REQUEST_TIMEOUT + SLACK))
        .unwrap();
    client
}

/// Everything the app sends until it closes the connection, and how long that took; panics
/// when it is still open after the read timeout.
fn wait_for_close(client: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    match client.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
        Err(err) => panic!(
            "the connection is still open after {:?} ({err}); received {:?}",
            started.elapsed(),
            String::from_utf8_lossy(&answer)
        ),
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// Asserts that axgen failed with exit code 1, with `reason` in its message.
#[track_caller]
fn expect_failure(run: &Run, reason: &str) {
    run.assert_code(1);
    assert!(
        run.stderr.to_lowercase().contains(reason),
        "{reason:?} not in\n{}",
        run.transcript()
    );
}

// ------------------------------------------------------------------------- the server

/// A PostgreSQL server that accepts TLS connections only, stopped when dropped.
struct TlsPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl TlsPostgres {
    /// Its CA certificate, its server certificate and key, `initdb`, then `pg_ctl start`; or
    /// `None` (with a notice) when PostgreSQL is not installed.
    fn start() -> Option<TlsPostgres> {
        let Some(bin) = postgres_bin() else {
            eprintln!(
                "skipping: PostgreSQL's initdb and pg_ctl are not installed \
                 (/usr/lib/postgresql/*/bin), so no TLS test runs"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        if running_as_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path()));
        }
        let postgres = TlsPostgres {
            bin,
            dir,
            port: free_port(),
        };
        let data = postgres.data();
        run(postgres
            .tool("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data));

        let root = postgres.dir.path().display();
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        write!(
            conf,
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{root}'\n\
             ssl = on\nssl_cert_file = '{root}/server.crt'\nssl_key_file = '{root}/server.key'\n\
             fsync = off\n",
            postgres.port
        )
        .unwrap();
        fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all all reject\n",
        )
        .unwrap();

        let log = postgres.dir.path().join("server.log");
        let started = postgres
            .tool("pg_ctl")
            .args(["start", "--wait", "--timeout=30", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .output()
            .unwrap();
        assert!(
            started.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            fs::read_to_string(&log).unwrap_or_default()
        );
        Some(postgres)
    }

    /// The URL of `database` on this server, with `params` as its query.
    fn url(&self, database: &str, params: &str) -> String {
        let query = if params.is_empty() {
            String::new()
        } else {
            format!("?{params}")
        };
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}{query}",
            self.port
        )
    }

    /// The CA that signed the server's certificate.
    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command running PostgreSQL's `tool`, as the `postgres` user when run as root (initdb
    /// and the server refuse to run as root).
    fn tool(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["stop", "--mode=immediate", "--wait", "-D"])
            .arg(self.data())
            .output();
    }
}

/// A MariaDB server that accepts TLS connections only, killed when dropped.
struct TlsMariaDb {
    _server: Process,
    dir: tempfile::TempDir,
    port: u16,
}

impl TlsMariaDb {
    /// Its certificates, `mariadb-install-db`, `mariadbd`, and a user `axgen` without a
    /// password; or `None` (with a notice) when MariaDB is not installed.
    fn start() -> Option<TlsMariaDb> {
        let Some(mariadbd) = ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"]
            .into_iter()
            .find(|path| Path::new(path).exists())
        else {
            eprintln!("skipping: mariadbd is not installed, so no MariaDB TLS test runs");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        if running_as_root() {
            run(Command::new("chown")
                .args(["-R", "mysql:mysql"])
                .arg(dir.path()));
        }
        let root = dir.path().to_path_buf();
        let data = format!("--datadir={}", root.join("data").display());
        run(Command::new("mariadb-install-db")
            .args(["--no-defaults", &data, "--user=mysql"])
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]));

        let port = free_port();
        let socket = root.join("mysqld.sock");
        let mut server = Process::spawn(
            mariadbd,
            Command::new(mariadbd)
                .args([
                    "--no-defaults",
                    &data,
                    "--user=mysql",
                    "--bind-address=127.0.0.1",
                ])
                .arg(format!("--port={port}"))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", root.join("mysqld.pid").display()))
                .arg(format!("--log-error={}", root.join("error.log").display()))
                .arg(format!("--ssl-ca={}", root.join("ca.crt").display()))
                .arg(format!("--ssl-cert={}", root.join("server.crt").display()))
                .arg(format!("--ssl-key={}", root.join("server.key").display()))
                .arg("--require-secure-transport=ON")
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );

        let client = || {
            let mut command = Command::new("mariadb");
            command
                .arg("--no-defaults")
                .arg(format!("--socket={}", socket.display()))
                .args(["--user=root", "--execute"]);
            command
        };
        server.wait_until(
            Duration::from_secs(60),
            || client().arg("SELECT 1").output().unwrap().status.success(),
            || read_log(&root.join("error.log")),
        );
        run(client().arg("CREATE USER axgen@'%'; GRANT ALL ON *.* TO axgen@'%';"));
        Some(TlsMariaDb {
            _server: server,
            dir,
            port,
        })
    }

    /// The URL of the database `blog` on this server, with `params` as its query.
    fn url(&self, params: &str) -> String {
        format!("mysql://axgen@127.0.0.1:{}/blog?{params}", self.port)
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb` and `pg_ctl`.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `ca.crt`, and `server.crt` for `localhost` and 127.0.0.1 signed by it, with `server.key`
/// readable by its owner only, as PostgreSQL requires.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| run(Command::new("openssl").current_dir(dir).args(args));
    let new_key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509", "-days", "2", "-subj", "/CN=axgen test CA"][..],
            &new_key,
            &["-keyout", "ca.key", "-out", "ca.crt"],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req", "-subj", "/CN=localhost"][..],
            &new_key,
            &["-keyout", "server.key", "-out", "server.csr"],
        ]
        .concat(),
    );
    fs::write(
        dir.join("server.ext"),
        "basicConstraints = CA:FALSE\n\
         subjectAltName = DNS:localhost, IP:127.0.0.1\n\
         extendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ]);
    run(Command::new("chmod")
        .args(["600"])
        .arg(dir.join("server.key")));
}

fn running_as_root() -> bool {
    let id = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

/// Runs `command`, panicking with its output when it fails.
#[track_caller]
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
