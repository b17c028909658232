//! A throwaway `redis-server` for the Redis tests: started on a free loopback port with no
//! persistence, checked with PING, killed on drop.
//!
//! When no `redis-server` binary can be found the tests are skipped with a loud notice, unless
//! `XPAY_REQUIRE_REDIS=1`, which makes that a failure. `XPAY_REDIS_SERVER` may name the binary.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer PING after it is started.
const STARTUP: Duration = Duration::from_secs(10);

/// A running `redis-server`, killed when dropped.
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    password: Option<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server, or `None` (after a loud notice) when `redis-server` is not installed
    /// and `XPAY_REQUIRE_REDIS` is not `1`. `test` names the test in the notice.
    pub fn start(test: &str) -> Option<Self> {
        Self::start_inner(test, None)
    }

    /// Like [`start`](Self::start), with `requirepass` set.
    pub fn start_with_password(test: &str, password: &str) -> Option<Self> {
        Self::start_inner(test, Some(password.to_owned()))
    }

    fn start_inner(test: &str, password: Option<String>) -> Option<Self> {
        let Some(binary) = find_binary() else {
            if std::env::var("XPAY_REQUIRE_REDIS").is_ok_and(|v| v == "1") {
                panic!(
                    "{test}: redis-server not found on PATH (or XPAY_REDIS_SERVER), and \
                     XPAY_REQUIRE_REDIS=1 requires it; install it (apt-get install redis-server)"
                );
            }
            // Straight to stderr, not through `eprintln!`, which the test harness captures
            // (and hides) for a passing test.
            let bar = "!".repeat(78);
            let _ = writeln!(
                std::io::stderr(),
                "\n{bar}\n!! SKIPPED {test}: no redis-server (looked on PATH, or XPAY_REDIS_SERVER).\n\
                 !! The Redis token-store tests need it: apt-get install redis-server\n\
                 !! (or XPAY_REDIS_SERVER=/path/to/redis-server). Set XPAY_REQUIRE_REDIS=1 to make\n\
                 !! a missing server a test failure instead of a skip.\n{bar}\n"
            );
            return None;
        };
        let mut last_error = String::new();
        // A port found free can be taken before the server binds it: try a few.
        for _ in 0..5 {
            let mut server = RedisServer {
                binary: binary.clone(),
                port: free_port(),
                password: password.clone(),
                child: None,
            };
            match server.spawn() {
                Ok(()) => return Some(server),
                Err(error) => last_error = error,
            }
        }
        panic!("{test}: cannot start {}: {last_error}", binary.display());
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://[:password@]127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// Kills the server (SIGKILL, as in a crash) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty (there is no persistence).
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + STARTUP;
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(error) if Instant::now() >= deadline => {
                    panic!("cannot restart redis-server on port {}: {error}", self.port)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A direct connection, to look at or change keys behind the store's back.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("redis URL")
            .get_multiplexed_async_connection()
            .await
            .expect("a direct redis connection")
    }

    fn spawn(&mut self) -> Result<(), String> {
        let port = self.port.to_string();
        let dir = std::env::temp_dir();
        let mut command = Command::new(&self.binary);
        command
            .args(["--port", &port, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(&dir);
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run it: {e}"))?;
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("it exited with {status} (port {port} taken?)"));
            }
            // Any RESP reply means it is up (`-NOAUTH` when a password is required).
            if let Ok(reply) = raw_request(self.port, "PING\r\n")
                && (reply.starts_with('+') || reply.starts_with('-'))
            {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no answer to PING on port {port} within {STARTUP:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends `request` and reads the first reply line.
fn raw_request(port: u16, request: &str) -> std::io::Result<String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    stream.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 256];
    while !reply.contains(&b'\n') {
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..n]);
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn find_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("XPAY_REDIS_SERVER") {
        let path = PathBuf::from(path);
        return is_executable(&path).then_some(path);
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|dir| dir.join("redis-server"))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
