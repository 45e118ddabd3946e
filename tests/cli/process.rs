//! The processes tests start themselves (generated apps, HAProxy, PgBouncer, database
//! servers): one way to start them, wait until they are ready while checking they still run,
//! and stop them by their process id when the test ends, however it ends.

use std::net::TcpStream;
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

/// A process of a test, stopped when dropped.
pub struct Process {
    child: Child,
    name: String,
    quit_first: bool,
}

impl Process {
    /// Starts `command`, called `name` in messages; killed (SIGKILL) when dropped.
    pub fn spawn(name: &str, command: &mut Command) -> Process {
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {name}: {err}"));
        Process {
            child,
            name: name.to_owned(),
            quit_first: false,
        }
    }

    /// Stopped with SIGQUIT when dropped (PostgreSQL's immediate shutdown, which stops its
    /// children too; MariaDB exits on it as well), then SIGKILL if it has not exited within
    /// 5 s.
    pub fn quit_on_drop(mut self) -> Process {
        self.quit_first = true;
        self
    }

    /// Panics with `log()` if the process has exited.
    #[track_caller]
    pub fn assert_running(&mut self, log: impl Fn() -> String) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status})\n{}", self.name, log());
        }
    }

    /// Waits until `ready` holds, for at most `within`, while the process runs; panics with
    /// `log()` otherwise.
    #[track_caller]
    pub fn wait_until(
        &mut self,
        within: Duration,
        mut ready: impl FnMut() -> bool,
        log: impl Fn() -> String,
    ) {
        let started = Instant::now();
        while !ready() {
            self.assert_running(&log);
            assert!(
                started.elapsed() < within,
                "{} is not ready after {within:?}\n{}",
                self.name,
                log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the process listens on the loopback `port`, for at most `within`.
    #[track_caller]
    pub fn wait_for_port(&mut self, port: u16, within: Duration, log: impl Fn() -> String) {
        self.wait_until(
            within,
            || TcpStream::connect(("127.0.0.1", port)).is_ok(),
            || format!("(not listening on port {port})\n{}", log()),
        );
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.quit_first {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-QUIT", &pid]).status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
