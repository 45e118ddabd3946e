//! Real browsers on generated apps: headless Chromium, driven over WebDriver by the smallest
//! client of chromedriver's HTTP API, clicks through the pages `gen html` and `gen auth`
//! write. Each test is skipped, with a notice, without Chromium and chromedriver.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::faults::free_port;
use crate::gen_web::{BOOK_USERS, BOOK_VIDEOS, axgen};
use crate::process::Process;
use crate::{apps_target_dir, cargo_in_app};

/// A program on `PATH`, by any of `names`.
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Calls `check` until it returns `Some`, for at most `seconds`.
fn eventually<T>(seconds: u64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The smallest WebDriver client: a session of chromedriver, driven over its HTTP API.
struct Browser {
    agent: ureq::Agent,
    session: String,
}

/// The key of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// A new headless Chromium session of the chromedriver at `driver`.
    fn start(driver: &str, chromium: &Path) -> Browser {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            },
        }}});
        let mut browser = Browser {
            agent,
            session: format!("{driver}/session"),
        };
        let answer = browser.send("POST", "", Some(capabilities));
        let id = answer["sessionId"].as_str().expect("a session id");
        browser.session = format!("{driver}/session/{id}");
        browser
    }

    /// Sends a command of the session; its `value`, or a panic with the driver's error.
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_send(method, path, body)
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    /// Sends a command of the session: its `value`, or the driver's error.
    fn try_send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}{path}", self.session);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self.agent.post(&url).send_json(body.unwrap_or(json!({}))),
        };
        let mut response = response.unwrap_or_else(|err| panic!("{method} {url}: {err}"));
        let ok = response.status().is_success();
        let answer: Value = response.body_mut().read_json().unwrap();
        if ok {
            Ok(answer["value"].clone())
        } else {
            Err(answer["value"].clone())
        }
    }

    fn open(&self, url: &str) {
        self.send("POST", "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.send("GET", "/url", None).as_str().unwrap().to_string()
    }

    /// The element found with `using` (`css selector`, `link text`...) and `value`, once the
    /// page has it.
    fn find(&self, using: &str, value: &str) -> String {
        eventually(10, value, || {
            let query = json!({ "using": using, "value": value });
            let found = self.try_send("POST", "/element", Some(query)).ok()?;
            Some(found[ELEMENT].as_str()?.to_string())
        })
    }

    fn click(&self, element: &str) {
        self.send("POST", &format!("/element/{element}/click"), None);
    }

    fn fill(&self, element: &str, text: &str) {
        self.send("POST", &format!("/element/{element}/clear"), None);
        let body = json!({ "text": text });
        self.send("POST", &format!("/element/{element}/value"), Some(body));
    }

    /// The visible text of the page; `None` while a page is loading or an alert is open.
    fn text(&self) -> Option<String> {
        let using = json!({ "using": "css selector", "value": "body" });
        let body = self.try_send("POST", "/element", Some(using)).ok()?;
        let body = body[ELEMENT].as_str()?;
        let text = self.try_send("GET", &format!("/element/{body}/text"), None);
        Some(text.ok()?.as_str()?.to_string())
    }

    /// Waits until the page shows `expected`, and returns its text.
    fn wait_for_text(&self, expected: &str) -> String {
        eventually(10, expected, || {
            self.text().filter(|text| text.contains(expected))
        })
    }

    /// What the JavaScript `body` returns, run in the page.
    fn script(&self, body: &str) -> Value {
        let script = json!({ "script": body, "args": [] });
        self.send("POST", "/execute/sync", Some(script))
    }

    /// Resizes the window to `width` × `height` CSS pixels.
    fn resize(&self, width: u32, height: u32) {
        let rect = json!({ "width": width, "height": height });
        self.send("POST", "/window/rect", Some(rect));
    }

    /// The cookies of the page's site, as the driver reports them.
    fn cookies(&self) -> Vec<Value> {
        let cookies = self.send("GET", "/cookie", None);
        cookies.as_array().expect("a list of cookies").clone()
    }

    /// Replaces the cookies of the page's site by `cookies` (names and values): the
    /// browser then holds the session they belong to.
    fn set_cookies(&self, cookies: &[Value]) {
        self.send("DELETE", "/cookie", None);
        for cookie in cookies {
            let cookie = json!({ "cookie": {
                "name": cookie["name"],
                "value": cookie["value"],
                "path": "/",
            }});
            self.send("POST", "/cookie", Some(cookie));
        }
    }

    /// Saves a PNG of the window at `path`.
    fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let encoded = self.send("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("a base64 screenshot"))
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.session).call();
    }
}

/// A generated app running on a free port, with a headless Chromium session to drive it.
/// Fields drop in order: the session ends before chromedriver, the app and its folder go.
struct BrowsedApp {
    browser: Browser,
    site: String,
    _driver: Process,
    _server: Process,
    _dir: tempfile::TempDir,
}

/// `axgen new NAME`, each of `gens` (`axgen gen …`), `axgen db setup` and one build, then the
/// app and chromedriver started on free ports and a browser session on the app. `None`, with
/// a notice, without Chromium and chromedriver.
fn browse(name: &str, gens: &[&[&str]]) -> Option<BrowsedApp> {
    let (Some(chromium), Some(chromedriver)) = (
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
        find_program(&["chromedriver"]),
    ) else {
        eprintln!("skipping: chromium and chromedriver are needed for the browser test");
        return None;
    };
    // A name of its own per test: the binary is run after its build, when another test may
    // already be building an app of another name into the shared target folder.
    let dir = tempfile::tempdir().unwrap();
    axgen(dir.path(), &["new", name], 0);
    let app = dir.path().join(name);
    for args in gens {
        axgen(&app, args, 0);
    }
    axgen(&app, &["db", "setup"], 0);
    cargo_in_app(&app, &["build"], None);

    let port = free_port();
    let server = Process::spawn(
        name,
        Command::new(apps_target_dir().join("debug").join(name))
            .current_dir(&app)
            .env_remove("DATABASE_URL")
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let site = format!("http://127.0.0.1:{port}");
    eventually(30, "the app", || {
        ureq::get(&format!("{site}/health")).call().ok()
    });

    let driver_port = free_port();
    let driver = Process::spawn(
        "chromedriver",
        Command::new(chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let driver_url = format!("http://127.0.0.1:{driver_port}");
    eventually(30, "chromedriver", || {
        let mut response = ureq::get(&format!("{driver_url}/status")).call().ok()?;
        let status: Value = response.body_mut().read_json().ok()?;
        status["value"]["ready"].as_bool().filter(|ready| *ready)
    });
    Some(BrowsedApp {
        browser: Browser::start(&driver_url, &chromium),
        site,
        _driver: driver,
        _server: server,
        _dir: dir,
    })
}

/// The folder of the browser tests' screenshots.
fn screenshots() -> PathBuf {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// Asserts that the page in `browser` does not scroll sideways at its width.
fn assert_no_sideways_scroll(browser: &Browser, what: &str) {
    let page_width = browser.script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
    );
    let (scroll, client) = (page_width[0].as_u64(), page_width[1].as_u64());
    assert!(scroll <= client, "{what}: {scroll:?} > {client:?}");
}

/// A real browser uses the pages of a generated app: it lists posts, creates one through the
/// form, sees the flash and the post, gets the field error of an invalid edit, and deletes
/// the post. Skipped, with a notice, without Chromium and chromedriver.
#[test]
fn a_browser_creates_edits_and_deletes_a_post() {
    // Enough columns that the index is wider than a phone.
    let posts = [
        "gen",
        "html",
        "Blog",
        "Post",
        "posts",
        "title:string",
        "body:text:optional",
        "published:boolean",
        "subtitle:string:optional",
        "category:string:optional",
        "views:integer:optional",
        "published_on:date:optional",
    ];
    let Some(app) = browse("browser_blog", &[&posts]) else {
        return;
    };
    let (browser, site) = (&app.browser, &app.site);

    browser.open(&format!("{site}/posts"));
    assert!(
        browser
            .wait_for_text("Listing Posts")
            .contains("No posts yet.")
    );
    browser.click(&browser.find("link text", "New Post"));
    browser.wait_for_text("Save Post");
    browser.click(&browser.find("css selector", "#post_published"));
    submit(
        browser,
        &[
            ("#post_title", "Hello <b>browser</b>"),
            ("#post_body", "Typed by Chromium."),
        ],
    );
    let shown = browser.wait_for_text("Post created successfully.");
    assert!(shown.contains("Hello <b>browser</b>"), "{shown}");
    assert!(shown.contains("Typed by Chromium."), "{shown}");
    let post_url = browser.url();
    assert!(
        post_url.starts_with(&format!("{site}/posts/")),
        "{post_url}"
    );
    // The flash can be dismissed.
    browser.click(&browser.find("css selector", ".flash .flash-close"));
    eventually(10, "the flash gone", || {
        let text = browser.text()?;
        (!text.contains("Post created successfully.")).then_some(())
    });

    // The index on a desktop and on a 390-px-wide phone: the page never scrolls sideways
    // (a wide table scrolls within itself).
    let shots = screenshots();
    for (width, file) in [(1280, "posts-1280.png"), (390, "posts-390.png")] {
        browser.resize(width, 844);
        browser.open(&format!("{site}/posts"));
        browser.wait_for_text("Hello <b>browser</b>");
        assert_no_sideways_scroll(browser, &format!("the posts at {width} px"));
        browser.screenshot(&shots.join(file));
    }
    browser.open(&post_url);

    browser.click(&browser.find("link text", "Edit"));
    browser.wait_for_text("Edit Post");
    submit(browser, &[("#post_title", "")]);
    let invalid = browser.wait_for_text("can't be blank");
    assert!(invalid.contains("Oops, something went wrong!"), "{invalid}");

    browser.open(&post_url);
    browser.wait_for_text("Hello <b>browser</b>");
    browser.click(&browser.find("css selector", "form button.button-danger"));
    browser.send("POST", "/alert/accept", None);
    let listed = browser.wait_for_text("Post deleted successfully.");
    assert!(listed.contains("No posts yet."), "{listed}");
    assert!(!listed.contains("Hello <b>browser</b>"), "{listed}");
    browser.open(&post_url);
    browser.wait_for_text("Not Found");
}

/// The book's Rumbl flow in a real browser (issue 13): a user is created, a video is
/// created choosing that user by username in the form's select, the video's index and page
/// show the username, the page links to the user, whose page lists the video; the pages
/// are reached through the navigation bar, and photographed at 1280 and 390 px, where no
/// page scrolls sideways. Skipped, with a notice, without Chromium and chromedriver.
#[test]
fn a_browser_follows_the_books_users_and_videos() {
    let users = BOOK_USERS;
    let videos = BOOK_VIDEOS;
    let Some(app) = browse("browser_rumbl", &[&users, &videos]) else {
        return;
    };
    let (browser, site) = (&app.browser, &app.site);
    let nav = |path: &str| {
        let link = browser.find("css selector", &format!("nav.resources a[href='{path}']"));
        browser.click(&link);
    };

    browser.open(site);
    nav("/users");
    browser.wait_for_text("Listing Users");
    browser.click(&browser.find("link text", "New User"));
    browser.wait_for_text("Save User");
    submit(
        browser,
        &[("#user_username", "jvalim"), ("#user_name", "José Valim")],
    );
    browser.wait_for_text("User created successfully.");
    let user_url = browser.url();

    // The form offers the user by username, and submits their id.
    nav("/videos");
    browser.wait_for_text("Listing Videos");
    browser.click(&browser.find("link text", "New Video"));
    browser.wait_for_text("Save Video");
    let option = browser.find(
        "xpath",
        "//select[@id='video_user_id']/option[normalize-space()='jvalim']",
    );
    let value = browser.send("GET", &format!("/element/{option}/property/value"), None);
    assert_eq!(
        Some(user_url.rsplit('/').next().unwrap()),
        value.as_str(),
        "{user_url}"
    );
    browser.click(&option);
    submit(
        browser,
        &[
            ("#video_url", "https://example.com/phoenix"),
            ("#video_title", "Phoenix in 15 minutes"),
            ("#video_description", "The book's first video."),
        ],
    );
    let shown = browser.wait_for_text("Video created successfully.");
    assert!(shown.contains("Phoenix in 15 minutes"), "{shown}");
    let video_url = browser.url();

    // The index reads the username; the video's page links to the user, whose page lists
    // the video.
    nav("/videos");
    let listed = browser.wait_for_text("Listing Videos");
    assert!(listed.contains("jvalim"), "{listed}");
    assert!(listed.contains("Phoenix in 15 minutes"), "{listed}");
    let link = browser.find("link text", "jvalim");
    let href = browser.send("GET", &format!("/element/{link}/property/href"), None);
    assert_eq!(href.as_str(), Some(user_url.as_str()));
    browser.open(&video_url);
    browser.click(&browser.find("link text", "jvalim"));
    let user_page = browser.wait_for_text("José Valim");
    assert_eq!(browser.url(), user_url);
    assert!(user_page.contains("Phoenix in 15 minutes"), "{user_page}");
    browser.click(&browser.find("link text", "Phoenix in 15 minutes"));
    browser.wait_for_text("The book's first video.");
    assert_eq!(browser.url(), video_url);

    let shots = screenshots();
    for width in [1280, 390] {
        browser.resize(width, 844);
        for (page, url) in [
            ("videos", format!("{site}/videos")),
            ("video", video_url.clone()),
            ("user", user_url.clone()),
        ] {
            browser.open(&url);
            browser.wait_for_text("jvalim");
            assert_no_sideways_scroll(browser, &format!("the {page} page at {width} px"));
            if page == "videos" {
                browser.screenshot(&shots.join(format!("rumbl-videos-{width}.png")));
            }
        }
    }
}

/// Fills the fields of the page's form (CSS selector, text) and submits it with its button
/// (not the navigation bar's log-out button).
fn submit(browser: &Browser, fields: &[(&str, &str)]) {
    for (selector, text) in fields {
        browser.fill(&browser.find("css selector", selector), text);
    }
    browser.click(&browser.find(
        "css selector",
        "form:not(.site-nav form) button[type=submit]",
    ));
}

/// Registers `email` with `password` through the registration page.
fn register(browser: &Browser, site: &str, email: &str, password: &str) {
    browser.open(&format!("{site}/users/register"));
    browser.wait_for_text("Register for an account");
    submit(
        browser,
        &[("#user_email", email), ("#user_password", password)],
    );
    let home = browser.wait_for_text("User created successfully.");
    assert!(
        home.contains(email),
        "the navigation bar names the user: {home}"
    );
}

/// Logs in through the log-in page; the page it lands on.
fn log_in(browser: &Browser, site: &str, email: &str, password: &str) -> String {
    browser.open(&format!("{site}/users/log-in"));
    browser.wait_for_text("Keep me logged in");
    submit(
        browser,
        &[("#user_email", email), ("#user_password", password)],
    );
    eventually(10, "the page after logging in", || {
        let text = browser.text()?;
        (text.contains("Welcome back!") || text.contains("Invalid email or password"))
            .then_some(text)
    })
}

/// Logs out with the navigation bar's button on the home page.
fn log_out(browser: &Browser, site: &str) {
    browser.open(site);
    browser.click(&browser.find("css selector", ".site-nav button[type=submit]"));
    let home = browser.wait_for_text("Logged out successfully.");
    assert!(home.contains("Log in"), "{home}");
}

/// Issue 12's flow in a real browser, on a `gen auth` app with a scoped `gen html` resource:
/// a user registers, logs out, logs back in and creates a post; a second user registers and
/// neither sees the first user's post listed nor can open it (404); the first user resets
/// their password through the link in `/dev/mailbox`, after which the session the browser
/// held before is logged out and only the new password logs in. Skipped, with a notice,
/// without Chromium and chromedriver.
#[test]
fn a_browser_registers_logs_in_and_sees_only_its_own_posts() {
    let auth = ["gen", "auth", "Accounts", "User", "users"];
    let posts = [
        "gen",
        "html",
        "Blog",
        "Post",
        "posts",
        "title:string",
        "body:text",
    ];
    let Some(app) = browse("browser_auth", &[&auth, &posts]) else {
        return;
    };
    let (browser, site) = (&app.browser, &app.site);
    let (ada, grace) = ("ada@example.com", "grace@example.com");
    let (password, new_password) = ("analytical engine", "difference engine");

    register(browser, site, ada, password);
    log_out(browser, site);
    let welcome = log_in(browser, site, ada, password);
    assert!(welcome.contains("Welcome back!"), "{welcome}");
    browser.open(&format!("{site}/posts/new"));
    browser.wait_for_text("Save Post");
    submit(
        browser,
        &[
            ("#post_title", "Notes on the engine"),
            ("#post_body", "By Ada."),
        ],
    );
    browser.wait_for_text("Post created successfully.");
    let post_url = browser.url();
    let ada_session = browser.cookies();
    log_out(browser, site);

    // Another user sees none of it.
    register(browser, site, grace, "a compiler of her own");
    browser.open(&format!("{site}/posts"));
    let listed = browser.wait_for_text("Listing Posts");
    assert!(!listed.contains("Notes on the engine"), "{listed}");
    browser.open(&post_url);
    browser.wait_for_text("Not Found");
    log_out(browser, site);

    // The first user forgets the password and resets it through the mailed link.
    browser.open(&format!("{site}/users/log-in"));
    browser.click(&browser.find("link text", "Forgot your password?"));
    browser.wait_for_text("Forgot your password?");
    submit(browser, &[("#user_email", ada)]);
    browser.wait_for_text("If your email is in our system");
    browser.open(&format!("{site}/dev/mailbox"));
    let mailbox = browser.wait_for_text("Reset password instructions");
    let link = mailbox
        .split_whitespace()
        .find(|word| word.starts_with(&format!("{site}/users/reset-password/")))
        .unwrap_or_else(|| panic!("a reset link in the mailbox: {mailbox}"))
        .to_owned();
    browser.open(&link);
    browser.wait_for_text("Reset password");
    submit(
        browser,
        &[
            ("#user_password", new_password),
            ("#user_password_confirmation", new_password),
        ],
    );
    browser.wait_for_text("Password reset successfully. Please log in.");

    // The session the browser held before the reset no longer logs anyone in.
    browser.set_cookies(&ada_session);
    browser.open(&format!("{site}/posts"));
    browser.wait_for_text("You must log in to access this page.");
    assert!(
        browser.url().ends_with("/users/log-in"),
        "{}",
        browser.url()
    );
    let refused = log_in(browser, site, ada, password);
    assert!(refused.contains("Invalid email or password"), "{refused}");
    let welcome = log_in(browser, site, ada, new_password);
    assert!(welcome.contains("Welcome back!"), "{welcome}");
    browser.open(&format!("{site}/posts"));
    browser.wait_for_text("Notes on the engine");
}
