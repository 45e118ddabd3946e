//! Several instances of a generated app: two processes of one HTML app behind HAProxy
//! (round robin), sharing the database and `SECRET_KEY_BASE`, serve a browser's form flow
//! (CSRF token, redirect, flash) with each step on the other instance than the step before.
//!
//! HAProxy is the Debian package (`haproxy`, installed when missing), on a free loopback port
//! with its configuration in a tempdir, killed by process id when the test ends. The database
//! is the test's own on the PostgreSQL server of `AXGEN_TEST_POSTGRES_URL`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::faults::{Database, NEXT, Server, ServerUrl, axgen, free_port, read_log};
use crate::process::Process;
use crate::{served, server_url};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// new form → create (with the CSRF token of a page the other instance rendered) → redirect →
/// flash → edit → update → flash → delete → flash, every request on the other instance than
/// the one before.
#[test]
fn two_instances_behind_haproxy_serve_the_html_form_flow() {
    let Some(server) = server_url("AXGEN_TEST_POSTGRES_URL") else {
        return;
    };
    let server = ServerUrl::parse(&server);
    let copy = served::POSTGRES.copy();
    let app = copy.path();
    let database = Database {
        app: app.clone(),
        server: ServerUrl::parse(&server.with(&server.address, "postgres")),
        name: format!(
            "axgen_instances_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ),
    };
    let url = database
        .server
        .with(&database.server.address, &database.name);
    axgen(&app, &["db", "create", "--database-url", &url]);
    axgen(&app, &["migrate", "--database-url", &url]);

    // Both read SECRET_KEY_BASE from the app's `.env`: the same secret.
    let binary = copy.binary();
    let mut apps: Vec<Server> = (0..2)
        .map(|_| Server::start(&binary, &app, free_port(), &url))
        .collect();
    for instance in &mut apps {
        instance.wait_until_listening();
    }
    let proxy = HaProxy::start(&[apps[0].port, apps[1].port]);
    let mut browser = Browser::new(proxy.port);
    let mut served_by = Vec::new();
    let mut step = |page: Page, status: u16, what: &str| -> Page {
        assert_eq!(
            page.status,
            status,
            "{what}: {}\n{}\n{}",
            page.body,
            apps[0].log(),
            apps[1].log()
        );
        served_by.push(page.served_by.clone());
        page
    };

    let form = browser.get("/posts/new");
    let form = step(form, 200, "the new form");
    let token = form.csrf_token();
    let created = browser.post(
        "/posts",
        &[("post[title]", "Across instances"), ("_csrf_token", &token)],
    );
    let created = step(created, 303, "create");
    let show = created.location();
    assert!(show.starts_with("/posts/"), "{show}");
    let shown = browser.get(&show);
    let shown = step(shown, 200, "the new post");
    assert!(
        shown.body.contains("Post created successfully."),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Across instances"), "{}", shown.body);

    let edit = browser.get(&format!("{show}/edit"));
    let edit = step(edit, 200, "the edit form");
    let token = edit.csrf_token();
    let updated = browser.post(
        &show,
        &[
            ("_method", "put"),
            ("post[title]", "Updated across"),
            ("_csrf_token", &token),
        ],
    );
    let updated = step(updated, 303, "update");
    assert_eq!(updated.location(), show);
    let shown = browser.get(&show);
    let shown = step(shown, 200, "the updated post");
    assert!(
        shown.body.contains("Post updated successfully."),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Updated across"), "{}", shown.body);

    let token = shown.csrf_token();
    let deleted = browser.post(&show, &[("_method", "delete"), ("_csrf_token", &token)]);
    let deleted = step(deleted, 303, "delete");
    assert_eq!(deleted.location(), "/posts");
    let index = browser.get("/posts");
    let index = step(index, 200, "the list");
    assert!(
        index.body.contains("Post deleted successfully."),
        "{}",
        index.body
    );
    assert!(!index.body.contains("Updated across"), "{}", index.body);

    // A form without the session's token is refused, whichever instance gets it.
    let forged = browser.post("/posts", &[("post[title]", "Forged"), ("_csrf_token", "x")]);
    assert_eq!(forged.status, 403, "{}", forged.body);

    assert!(
        served_by.windows(2).all(|pair| pair[0] != pair[1]),
        "each step on the other instance: {served_by:?}"
    );
    drop(proxy);
    drop(apps);
}

// ------------------------------------------------------------------------------- browser

/// A browser without JavaScript: keeps cookies, follows no redirect by itself.
struct Browser {
    base: String,
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

/// A response, and which instance HAProxy sent the request to.
struct Page {
    status: u16,
    body: String,
    location: Option<String>,
    served_by: String,
}

impl Page {
    /// The CSRF token of the page's forms.
    #[track_caller]
    fn csrf_token(&self) -> String {
        let start = r#"name="_csrf_token" value=""#;
        let at = self.body.find(start).expect("a form with a CSRF token") + start.len();
        let rest = &self.body[at..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    #[track_caller]
    fn location(&self) -> String {
        self.location.clone().expect("a Location header")
    }
}

impl Browser {
    fn new(port: u16) -> Browser {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Browser {
            base: format!("http://127.0.0.1:{port}"),
            agent: ureq::Agent::new_with_config(config),
            cookies: BTreeMap::new(),
        }
    }

    fn get(&mut self, path: &str) -> Page {
        let request = self.agent.get(format!("{}{path}", self.base));
        let response = match self.cookie_header() {
            Some(cookies) => request.header("cookie", cookies).call(),
            None => request.call(),
        };
        self.page(response)
    }

    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.agent.post(format!("{}{path}", self.base));
        let request = match self.cookie_header() {
            Some(cookies) => request.header("cookie", cookies),
            None => request,
        };
        let response = request.send_form(fields.iter().copied());
        self.page(response)
    }

    fn cookie_header(&self) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn page(&mut self, response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Page {
        let mut response = response.expect("an answer through HAProxy");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let location = header("location");
        let served_by = header("x-served-by").expect("HAProxy names the instance");
        for set_cookie in response.headers().get_all("set-cookie") {
            let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_string().unwrap(),
            location,
            served_by,
        }
    }
}

// -------------------------------------------------------------------------------- HAProxy

/// HAProxy on a free loopback port, balancing round robin over the app instances on
/// `ports`, each response naming its instance in `X-Served-By`; killed (by its process id)
/// when dropped.
struct HaProxy {
    _process: Process,
    port: u16,
    _dir: tempfile::TempDir,
}

impl HaProxy {
    fn start(ports: &[u16]) -> HaProxy {
        install();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(n, app)| format!("    server app{n} 127.0.0.1:{app}\n"))
            .collect();
        let config = dir.path().join("haproxy.cfg");
        fs::write(
            &config,
            format!(
                "defaults\n\
                 \x20   mode http\n\
                 \x20   timeout connect 5s\n\
                 \x20   timeout client 30s\n\
                 \x20   timeout server 30s\n\
                 frontend web\n\
                 \x20   bind 127.0.0.1:{port}\n\
                 \x20   default_backend apps\n\
                 backend apps\n\
                 \x20   balance roundrobin\n\
                 \x20   http-response set-header X-Served-By %[srv_name]\n\
                 {servers}"
            ),
        )
        .unwrap();
        let log = dir.path().join("output.log");
        let out = File::create(&log).unwrap();
        let mut process = Process::spawn(
            HAPROXY,
            Command::new(HAPROXY)
                .arg("-db")
                .arg("-f")
                .arg(&config)
                .stdout(out.try_clone().unwrap())
                .stderr(out),
        );
        process.wait_for_port(port, Duration::from_secs(10), || read_log(&log));
        HaProxy {
            _process: process,
            port,
            _dir: dir,
        }
    }
}

/// Installs Debian's HAProxy package when its binary is missing.
fn install() {
    if Path::new(HAPROXY).exists() {
        return;
    }
    eprintln!("instances: installing haproxy (apt-get install -y haproxy)");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq", "haproxy"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        installed && Path::new(HAPROXY).exists(),
        "HAProxy is missing and `apt-get install -y haproxy` failed"
    );
}
