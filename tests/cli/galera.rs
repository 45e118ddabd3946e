//! A MariaDB Galera cluster: `axgen migrate` and `axgen rollback` started at once against
//! different nodes apply (or revert) each migration once, all exiting 0, none printing the
//! "failed part-way" repair advice; a lock left by a run that stopped is waited for with a
//! timeout that names its holder, then taken over. A generated app, one process per node,
//! retries the writes that lost to another node's, and never answers 500.
//!
//! The cluster is the test's own: three `mariadbd` of the Debian packages (`mariadb-server`,
//! `galera-4`, installed when missing) on free loopback ports, each with its data folder in a
//! tempdir, killed by process id when the test ends, however it ends. It runs with the other
//! MariaDB tests, when `AXGEN_TEST_MYSQL_URL` is set, and never touches that server.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection;
use sqlx::mysql::MySqlConnection;

use crate::faults::{Server, Site, axgen, build, free_port};
use crate::pooler::is_root;
use crate::process::Process;
use crate::{Axgen, Run, server_url};

const MARIADBD: &str = "/usr/sbin/mariadbd";
const INSTALL_DB: &str = "/usr/bin/mariadb-install-db";
const GALERA: &str = "/usr/lib/galera/libgalera_smm.so";

/// How many migrations each round applies: ten tables created, then altered.
const MIGRATIONS: usize = 20;

/// Five rounds of four `migrate` at once against the three nodes (each round in a new
/// database): each migration applied once, on every node; then four `rollback --all` at once:
/// each reverted once. Then a lock whose holder stopped renewing it: `--lock-timeout 1` gives
/// up naming the holder and changes nothing; a run without it takes the lock over and
/// migrates.
#[test]
fn migrate_at_once_on_different_galera_nodes_applies_each_migration_once() {
    if server_url("AXGEN_TEST_MYSQL_URL").is_none() {
        return;
    }
    let started = Instant::now();
    let cluster = Cluster::start();
    eprintln!("galera: 3 nodes synced in {:?}", started.elapsed());
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", "galera_app", "--database", "mysql"]);
    let app = dir.path().join("galera_app");
    let versions = write_migrations(&app);

    let mut database = String::new();
    for round in 0..5 {
        database = format!("round_{round}");
        axgen(
            &app,
            &["db", "create", "--database-url", &cluster.url(0, &database)],
        );
        let round_started = Instant::now();
        let runs = at_once(&app, &cluster, &database, round, &["migrate"]);
        eprintln!(
            "galera: round {round}: 4 migrate at once in {:?}",
            round_started.elapsed()
        );
        check_each_once(&runs, &versions, "== Migrated");
        for node in 0..3 {
            let url = cluster.url(node, &database);
            let applied = applied(&url);
            assert_eq!(
                applied,
                versions.iter().map(|v| (*v, true)).collect::<Vec<_>>(),
                "round {round}, node {node}: _sqlx_migrations\n{runs:#?}"
            );
            assert_eq!(
                count(
                    &url,
                    "SELECT COUNT(*) FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 't%' AND COLUMN_NAME = 'note'"
                ),
                10,
                "round {round}, node {node}: the ten tables with their added column"
            );
            assert_eq!(
                count(
                    &url,
                    "SELECT COUNT(*) FROM _axgen_lock WHERE token IS NOT NULL"
                ),
                0,
                "round {round}, node {node}: the lock is free"
            );
        }
    }

    let runs = at_once(&app, &cluster, &database, 5, &["rollback", "--all"]);
    check_each_once(&runs, &versions, "== Reverted");
    for node in 0..3 {
        let url = cluster.url(node, &database);
        assert_eq!(applied(&url), [], "node {node}: all rolled back\n{runs:#?}");
        assert_eq!(
            count(
                &url,
                "SELECT COUNT(*) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 't%'"
            ),
            0,
            "node {node}: the tables are gone"
        );
    }

    // A run that was killed holding the lock: it stopped renewing it a minute ago.
    execute(
        &cluster.url(0, &database),
        "UPDATE _axgen_lock SET token = REPEAT('a', 32), pid = 4000000, \
         client = 'deploy@10.0.0.9', node = 'n9', connection_id = 99, \
         acquired_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE, beat = 7, \
         renewed_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHERE name = 'migrate'",
    );
    let holder = "axgen process 4000000 (user deploy, from 10.0.0.9, on node n9 as connection 99";
    let gave_up = Axgen::in_dir(&app)
        .args(["migrate", "--lock-timeout", "1", "--database-url"])
        .args([cluster.url(1, &database)])
        .run();
    gave_up.assert_code(1);
    assert!(
        gave_up.stdout.contains(&format!(
            "Waiting for the migration lock on {database}, held by {holder}"
        )),
        "{}",
        gave_up.transcript()
    );
    assert!(
        gave_up.stderr.contains(&format!(
            "gave up after waiting 1s for the migration lock on {database}, held by {holder}"
        )),
        "{}",
        gave_up.transcript()
    );
    assert_eq!(applied(&cluster.url(1, &database)), []);

    let taking_over = Instant::now();
    let took_over = Axgen::in_dir(&app)
        .args(["migrate", "--database-url", &cluster.url(2, &database)])
        .run();
    took_over.assert_code(0);
    eprintln!(
        "galera: a stopped holder's lock taken over and migrated in {:?}",
        taking_over.elapsed()
    );
    assert!(
        took_over.stderr.contains(&format!(
            "warning: took over the migration lock on {database} from {holder}"
        )),
        "{}",
        took_over.transcript()
    );
    assert_eq!(
        took_over.stdout.matches("== Migrated").count(),
        MIGRATIONS,
        "{}",
        took_over.transcript()
    );
    assert_eq!(applied(&cluster.url(0, &database)).len(), MIGRATIONS);
    eprintln!("galera: whole test in {:?}", started.elapsed());
    drop(cluster);
}

/// How many updates of the one row [`concurrent_updates_of_one_row_over_every_node_are_never_a_500`]
/// sends, and from how many clients at once.
const UPDATES: usize = 300;
const CLIENTS: usize = 30;

/// A generated JSON app, one process per node, under 300 updates of one row at once, spread
/// over the three: Galera reports a write that lost its certification to another node's as a
/// deadlock (1213), which the app retries; none is answered 500, and the row holds one of the
/// values sent.
#[test]
fn concurrent_updates_of_one_row_over_every_node_are_never_a_500() {
    if server_url("AXGEN_TEST_MYSQL_URL").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", "galera_web", "--database", "mysql"]);
    let app = dir.path().join("galera_web");
    axgen(
        &app,
        &[
            "gen",
            "json",
            "Shop",
            "Item",
            "items",
            "name:string",
            "stock:integer",
        ],
    );
    build(&app, "galera_web");
    let cluster = Cluster::start();
    axgen(
        &app,
        &["db", "create", "--database-url", &cluster.url(0, "shop")],
    );
    axgen(
        &app,
        &["migrate", "--database-url", &cluster.url(0, "shop")],
    );

    let binary = crate::apps_target_dir().join("debug").join("galera_web");
    let mut servers: Vec<Server> = (0..3)
        .map(|node| Server::start(&binary, &app, free_port(), &cluster.url(node, "shop")))
        .collect();
    for server in &mut servers {
        server.wait_until_listening();
    }
    let sites: Vec<Site> = servers
        .iter()
        .map(|server| Site::new(server.port))
        .collect();
    let created = sites[0].post_json(
        "/api/items",
        &json!({ "item": { "name": "hot", "stock": 0 } }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let path = format!("/api/items/{}", created.json()["data"]["id"]);

    let started = Instant::now();
    let statuses: Vec<u16> = thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (site, path) = (&sites[client % 3], &path);
                scope.spawn(move || {
                    (0..UPDATES / CLIENTS)
                        .map(|n| {
                            let stock = client * 1000 + n + 1;
                            let body = json!({ "item": { "stock": stock } });
                            let answer = site.put_json(path, &body);
                            assert!(
                                matches!(answer.status, 200 | 503),
                                "PUT {path}: {} {}",
                                answer.status,
                                answer.body
                            );
                            answer.status
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    let took = started.elapsed();
    let unavailable = statuses.iter().filter(|status| **status == 503).count();
    let conflicts: i64 = (0..3)
        .map(|node| conflicts(&cluster.url(node, "shop")))
        .sum();
    eprintln!(
        "galera: {UPDATES} updates of one row from {CLIENTS} clients over 3 nodes in {took:?}: \
         {} answered 200, {unavailable} 503, none 500; {conflicts} writes lost to another node's",
        UPDATES - unavailable
    );
    assert_eq!(statuses.len(), UPDATES);
    assert!(
        unavailable <= UPDATES / 10,
        "{unavailable} of {UPDATES} updates gave up: the retries do not get past the conflicts"
    );
    let stock = count(
        &cluster.url(1, "shop"),
        "SELECT stock FROM items WHERE name = 'hot'",
    );
    assert!(
        stock > 0 && stock % 1000 <= (UPDATES / CLIENTS) as i64,
        "stock {stock}"
    );
    drop(servers);
    drop(cluster);
}

/// Writes the app's migrations: `CREATE TABLE t1..t10`, then `ALTER TABLE` adding `note`
/// to each, all reversible; returns their versions.
fn write_migrations(app: &Path) -> Vec<i64> {
    let mut versions = Vec::new();
    for table in 1..=10 {
        let version = 29_990_101_000_000 + table;
        let file = app.join(format!("migrations/{version}_create_t{table}"));
        let up = format!(
            "CREATE TABLE t{table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"
        );
        fs::write(file.with_extension("up.sql"), up).unwrap();
        fs::write(
            file.with_extension("down.sql"),
            format!("DROP TABLE t{table};\n"),
        )
        .unwrap();
        versions.push(version);
    }
    for table in 1..=10 {
        let version = 29_990_101_000_100 + table;
        let file = app.join(format!("migrations/{version}_add_note_to_t{table}"));
        let up = format!("ALTER TABLE t{table} ADD COLUMN note TEXT;\n");
        fs::write(file.with_extension("up.sql"), up).unwrap();
        let down = format!("ALTER TABLE t{table} DROP COLUMN note;\n");
        fs::write(file.with_extension("down.sql"), down).unwrap();
        versions.push(version);
    }
    assert_eq!(versions.len(), MIGRATIONS);
    versions
}

/// Four `axgen ARGS` at once on `database`, against nodes 0, 1, 2, 0 (shifted by `round`).
fn at_once(app: &Path, cluster: &Cluster, database: &str, round: usize, args: &[&str]) -> Vec<Run> {
    thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|run| {
                let url = cluster.url((round + run) % 3, database);
                scope.spawn(move || {
                    Axgen::in_dir(app)
                        .args(args)
                        .args(["--database-url", &url])
                        .run()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

/// Every run exited 0 without repair advice, and each version was `done` ("== Migrated",
/// "== Reverted") by exactly one of them.
#[track_caller]
fn check_each_once(runs: &[Run], versions: &[i64], done: &str) {
    for run in runs {
        run.assert_code(0);
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !output.contains("failed part-way") && !output.contains("DELETE FROM"),
            "{}",
            run.transcript()
        );
    }
    for version in versions {
        let line = format!("{done} {version} in ");
        let times: usize = runs.iter().map(|r| r.stdout.matches(&line).count()).sum();
        assert_eq!(times, 1, "{line}…: {times} times\n{runs:#?}");
    }
}

// ---------------------------------------------------------------------------------- queries

/// Runs `work` on a connection to `url`.
fn on<T>(url: &str, work: impl AsyncFnOnce(&mut MySqlConnection) -> T) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut conn = MySqlConnection::connect(url)
                .await
                .unwrap_or_else(|err| panic!("connecting to {url}: {err}"));
            // Reads see every write the cluster committed before them, whichever node made it.
            sqlx::raw_sql("SET SESSION wsrep_sync_wait = 1")
                .execute(&mut conn)
                .await
                .unwrap();
            let value = work(&mut conn).await;
            conn.close().await.unwrap();
            value
        })
}

/// The rows of `_sqlx_migrations`: version and success.
fn applied(url: &str) -> Vec<(i64, bool)> {
    on(url, async |c| {
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(c)
            .await
            .unwrap()
    })
}

fn count(url: &str, sql: &'static str) -> i64 {
    on(url, async |c| {
        sqlx::query_scalar(sql).fetch_one(c).await.unwrap()
    })
}

/// How many local transactions node `url` rolled back for a conflict with another node's:
/// failed certification, or aborted by a replicated write.
fn conflicts(url: &str) -> i64 {
    on(url, async |c| {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SHOW STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')",
        )
        .fetch_all(c)
        .await
        .unwrap();
        rows.iter()
            .map(|(_, value)| value.parse::<i64>().unwrap())
            .sum()
    })
}

fn execute(url: &str, sql: &'static str) {
    on(url, async |c| sqlx::raw_sql(sql).execute(c).await.unwrap());
}

// ---------------------------------------------------------------------------------- cluster

/// Three Galera nodes on loopback ports, with their data folders in a tempdir; killed (by
/// process id) when dropped.
struct Cluster {
    nodes: Vec<Node>,
    dir: tempfile::TempDir,
}

struct Node {
    process: Process,
    port: u16,
    folder: PathBuf,
}

impl Cluster {
    /// Starts three nodes that form a cluster at once, without state transfer: their data
    /// folders are copies of one `mariadb-install-db`, with the same Galera state (a cluster
    /// id at seqno 0, `grastate.dat`) and the same saved primary view of all three
    /// (`gvwstate.dat`), which Galera restores when all its members are back (`pc.recovery`),
    /// as after a whole cluster was shut down. 5 to 9 s on the 2-core CI machine, 3.5 s of it
    /// `mariadb-install-db`. Bootstrapping one node and letting the others join costs a state
    /// transfer each, and rsync's, run as root, cannot write the joiners' folders.
    fn start() -> Cluster {
        install();
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        let mut install_db = Command::new(INSTALL_DB);
        install_db
            .arg("--no-defaults")
            .arg(format!("--datadir={}", base.display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
                "--innodb-buffer-pool-size=16M",
            ]);
        if is_root() {
            install_db.arg("--user=root");
        }
        let output = install_db.output().expect("running mariadb-install-db");
        assert!(
            output.status.success(),
            "mariadb-install-db failed\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );

        let ports: Vec<[u16; 4]> = (0..3)
            .map(|_| [free_port(), free_port(), free_port(), free_port()])
            .collect();
        let members = ports
            .iter()
            .map(|[_, gcomm, ..]| format!("127.0.0.1:{gcomm}"))
            .collect::<Vec<_>>()
            .join(",");
        let state = uuid();
        let ids: Vec<String> = (0..3).map(|_| uuid()).collect();
        let mut cluster = Cluster {
            nodes: Vec::new(),
            dir,
        };
        for (n, [sql, gcomm, ist, sst]) in ports.iter().enumerate() {
            let folder = cluster.dir.path().join(format!("n{n}"));
            let copied = Command::new("cp")
                .arg("-a")
                .arg(&base)
                .arg(&folder)
                .status()
                .is_ok_and(|status| status.success());
            assert!(copied, "copying the data folder failed");
            fs::write(
                folder.join("grastate.dat"),
                format!(
                    "# GALERA saved state\nversion: 2.1\nuuid:    {state}\nseqno:   0\nsafe_to_bootstrap: 0\n"
                ),
            )
            .unwrap();
            let view: String = ids.iter().map(|id| format!("member: {id} 0\n")).collect();
            fs::write(
                folder.join("gvwstate.dat"),
                format!(
                    "my_uuid: {}\n#vwbeg\nview_id: 3 {} 1\nbootstrap: 0\n{view}#vwend\n",
                    ids[n], ids[0]
                ),
            )
            .unwrap();
            let data = folder.display();
            let user = if is_root() { "user = root\n" } else { "" };
            fs::write(
                folder.with_extension("cnf"),
                format!(
                    "[mariadbd]\n\
                     datadir = {data}\n\
                     socket = {data}.sock\n\
                     pid-file = {data}.pid\n\
                     log-error = {data}.err\n\
                     port = {sql}\n\
                     bind-address = 127.0.0.1\n\
                     {user}\
                     skip-name-resolve\n\
                     binlog_format = ROW\n\
                     innodb_autoinc_lock_mode = 2\n\
                     innodb_buffer_pool_size = 16M\n\
                     innodb_log_file_size = 8M\n\
                     innodb_flush_log_at_trx_commit = 2\n\
                     wsrep_on = ON\n\
                     wsrep_provider = {GALERA}\n\
                     wsrep_cluster_name = axgen_test\n\
                     wsrep_cluster_address = gcomm://{members}\n\
                     wsrep_node_name = n{n}\n\
                     wsrep_node_address = 127.0.0.1:{gcomm}\n\
                     wsrep_node_incoming_address = 127.0.0.1:{sql}\n\
                     wsrep_provider_options = \"gmcast.listen_addr=tcp://127.0.0.1:{gcomm};ist.recv_addr=127.0.0.1:{ist};gcache.size=16M;pc.recovery=true\"\n\
                     wsrep_sst_method = rsync\n\
                     wsrep_sst_receive_address = 127.0.0.1:{sst}\n"
                ),
            )
            .unwrap();
            let out = File::create(folder.with_extension("out")).unwrap();
            let process = Process::spawn(
                &format!("node {n} ({MARIADBD})"),
                Command::new(MARIADBD)
                    .arg(format!(
                        "--defaults-file={}",
                        folder.with_extension("cnf").display()
                    ))
                    .stdout(out.try_clone().unwrap())
                    .stderr(out),
            );
            cluster.nodes.push(Node {
                process,
                port: *sql,
                folder,
            });
        }
        cluster.wait_until_synced();
        cluster
    }

    /// The URL of `database` on node `n`.
    fn url(&self, n: usize, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.nodes[n].port)
    }

    /// Waits until each node is synced in the cluster of 3, for at most 90 s each.
    fn wait_until_synced(&mut self) {
        for node in &mut self.nodes {
            let (port, folder) = (node.port, &node.folder);
            node.process.wait_until(
                Duration::from_secs(90),
                || is_synced(port),
                || node_log(folder),
            );
        }
    }
}

/// Whether the node on `port` answers, synced, in a cluster of 3 (a node starting up accepts
/// connections before it answers them: hence the timeout).
fn is_synced(port: u16) -> bool {
    let url = format!("mysql://root@127.0.0.1:{port}/");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
            let status = async {
                let mut conn = MySqlConnection::connect(&url).await.ok()?;
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size')",
                )
                .fetch_all(&mut conn)
                .await
                .ok()?;
                let _ = conn.close().await;
                Some(rows)
            };
            let Ok(Some(rows)) = tokio::time::timeout(Duration::from_secs(2), status).await else {
                return false;
            };
            let value = |name: &str| rows.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            value("wsrep_local_state_comment") == Some("Synced")
                && value("wsrep_cluster_size") == Some("3")
        })
}

/// The end of the error log of the node whose data folder is `folder`.
fn node_log(folder: &Path) -> String {
    let read = |ext: &str| fs::read_to_string(folder.with_extension(ext)).unwrap_or_default();
    let log = format!("{}{}", read("out"), read("err"));
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// A random UUID in its text form.
fn uuid() -> String {
    fs::read_to_string("/proc/sys/kernel/random/uuid")
        .unwrap()
        .trim()
        .to_owned()
}

/// Installs Debian's Galera and MariaDB server packages when their files are missing.
fn install() {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let missing: Vec<&str> = [(GALERA, "galera-4"), (MARIADBD, "mariadb-server")]
        .into_iter()
        .filter(|(file, _)| !Path::new(file).exists())
        .map(|(_, package)| package)
        .collect();
    if missing.is_empty() {
        return;
    }
    eprintln!(
        "galera: installing {} (apt-get install -y)",
        missing.join(" ")
    );
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        installed && Path::new(GALERA).exists() && Path::new(MARIADBD).exists(),
        "{} missing and `apt-get install -y {}` failed",
        missing.join(" and "),
        missing.join(" ")
    );
}
