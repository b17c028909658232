//! `xpay mock` as a separate process, driven from outside with the `xpay` binary itself and
//! plain HTTP: the eight `XPAY_NAME=value` lines (exact order and format), a ledger that
//! stays consistent across `xpay call`s, duplicates and overdrafts as one-line errors with
//! their errcodes, a clean exit 0 on SIGTERM/SIGINT, and a taken port as a one-line error.
//!
//! Every child is held by a [`Child`] guard that kills and reaps it when dropped, so a failed
//! assertion never leaves a server running.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const NAMES: [&str; 8] = [
    "XPAY_APP_ID",
    "XPAY_APP_SECRET",
    "XPAY_OFFER_ID",
    "XPAY_APP_KEY",
    "XPAY_SANDBOX_APP_KEY",
    "XPAY_CALLBACK_TOKEN",
    "XPAY_ENCODING_AES_KEY",
    "XPAY_BASE_URL",
];

const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// The mock child
// ---------------------------------------------------------------------------------------------

/// A running `xpay …` child: killed and reaped on drop, whatever happened.
struct Child {
    child: std::process::Child,
    /// stdout lines, read by a thread as they come.
    stdout: mpsc::Receiver<String>,
    /// All of stderr, once the child closed it.
    stderr: mpsc::Receiver<String>,
}

impl Child {
    fn spawn(args: &[&str]) -> Child {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xpay"))
            .args(args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start xpay");
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let (line_tx, stdout) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                match line {
                    Ok(l) => {
                        if line_tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let (err_tx, stderr) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(err).read_to_string(&mut text);
            let _ = err_tx.send(text);
        });
        Child {
            child,
            stdout,
            stderr,
        }
    }

    /// The next stdout line, or `None` once stdout is closed; panics after [`WAIT`].
    fn line(&self) -> Option<String> {
        match self.stdout.recv_timeout(WAIT) {
            Ok(l) => Some(l),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("no stdout line within {WAIT:?}"),
        }
    }

    /// Waits for the exit (panics after [`WAIT`]); returns the code and what remained on
    /// stdout and stderr.
    fn finish(&mut self) -> (Option<i32>, Vec<String>, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(start.elapsed() < WAIT, "xpay did not exit within {WAIT:?}");
            thread::sleep(Duration::from_millis(20));
        };
        let mut rest = Vec::new();
        while let Some(l) = self.line() {
            rest.push(l);
        }
        let stderr = self.stderr.recv_timeout(WAIT).expect("stderr");
        (status.code(), rest, stderr)
    }

    #[cfg(unix)]
    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill -{name} failed");
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mock started with `--port 0`, its printed lines and the variables they set.
struct Mock {
    child: Child,
    lines: Vec<String>,
    vars: Vec<(String, String)>,
}

impl Mock {
    fn start() -> Mock {
        let child = Child::spawn(&["mock", "--port", "0"]);
        let mut lines = Vec::new();
        loop {
            let line = child.line().unwrap_or_else(|| {
                panic!("xpay mock closed stdout after {lines:?}");
            });
            let last = line.starts_with("XPAY_BASE_URL=");
            lines.push(line);
            if last {
                break;
            }
            assert!(lines.len() < NAMES.len(), "too many lines: {lines:?}");
        }
        let vars = lines
            .iter()
            .map(|l| {
                let (name, value) = l.split_once('=').expect("NAME=value");
                (name.to_string(), value.to_string())
            })
            .collect();
        Mock { child, lines, vars }
    }

    fn var(&self, name: &str) -> &str {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name} not printed"))
    }

    fn base_url(&self) -> &str {
        self.var("XPAY_BASE_URL")
    }

    /// `host:port` of the base URL.
    fn authority(&self) -> &str {
        self.base_url()
            .strip_prefix("http://")
            .expect("http:// base URL")
    }

    /// Runs `xpay ARGS` with exactly the printed variables as its environment.
    fn xpay(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_xpay"))
            .args(args)
            .env_clear()
            .envs(self.vars.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("run xpay");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        }
    }

    /// `xpay call ACTION --json BODY [--session-key KEY]`.
    fn call(&self, action: &str, body: &Value, session_key: Option<&str>) -> Run {
        let body = body.to_string();
        let mut args = vec!["call", action, "--json", body.as_str()];
        if let Some(k) = session_key {
            args.push("--session-key");
            args.push(k);
        }
        self.xpay(&args)
    }

    /// A plain HTTP/1.1 request to the mock; the status and the parsed JSON body.
    fn http(&self, method: &str, target: &str, body: Option<&Value>) -> (u16, Value) {
        http(self.authority(), method, target, body)
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit 0, empty stderr, one JSON document on stdout.
    fn json(&self) -> Value {
        assert_eq!(
            self.code,
            Some(0),
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(self.stderr.is_empty(), "stderr: {}", self.stderr);
        assert_eq!(self.stdout.matches('\n').count(), 1, "{:?}", self.stdout);
        serde_json::from_str(&self.stdout).expect("JSON on stdout")
    }

    /// Exit 1, empty stdout, one `error: …` line on stderr; returns it.
    fn fails(&self) -> &str {
        assert_eq!(
            self.code,
            Some(1),
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        let line = self.stderr.strip_suffix('\n').expect("newline-terminated");
        assert!(!line.contains('\n'), "one line: {:?}", self.stderr);
        assert!(line.starts_with("error: "), "{line}");
        line
    }
}

/// A minimal HTTP/1.1 client (`Connection: close`, Content-Length or chunked answers).
fn http(authority: &str, method: &str, target: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect(authority).expect("connect to the mock");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if body.is_some() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            payload.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer");
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let (head, rest) = text.split_once("\r\n\r\n").expect("headers");
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}")),
    )
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").expect("chunk size");
        let n = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn mock_prints_eight_lines_in_order_then_serves_quietly() {
    let mock = Mock::start();
    assert_eq!(mock.lines.len(), NAMES.len(), "{:?}", mock.lines);
    for (line, name) in mock.lines.iter().zip(NAMES) {
        let value = line
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
            .unwrap_or_else(|| panic!("expected {name}=…, got {line}"));
        assert!(!value.is_empty(), "{line}");
        assert!(
            !value
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\''),
            "{line}"
        );
    }
    let base = mock.base_url();
    let port = base
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{base}"));
    assert!(!port.ends_with('/'), "{base}");
    let port: u16 = port.parse().expect("a port number");
    assert_ne!(port, 0);
    assert_eq!(mock.var("XPAY_ENCODING_AES_KEY").len(), 43);
    // Nothing more is written while it serves, even as it answers requests.
    let (status, login) = mock.http("POST", "/mock/login", Some(&json!({"js_code": "c"})));
    assert_eq!(status, 200, "{login}");
    assert!(
        mock.child
            .stdout
            .recv_timeout(Duration::from_millis(300))
            .is_err(),
        "xpay mock wrote more to stdout"
    );
}

#[test]
fn the_ledger_stays_consistent_when_driven_from_outside() {
    let mock = Mock::start();

    // Log a user in the way a backend does: GET /sns/jscode2session.
    let target = format!(
        "/sns/jscode2session?appid={}&secret={}&js_code=outside-user&grant_type=authorization_code",
        mock.var("XPAY_APP_ID"),
        mock.var("XPAY_APP_SECRET")
    );
    let (status, login) = mock.http("GET", &target, None);
    assert_eq!(status, 200, "{login}");
    let openid = login["openid"].as_str().expect("openid").to_string();
    let session_key = login["session_key"]
        .as_str()
        .expect("session_key")
        .to_string();
    let sk = Some(session_key.as_str());

    let mut presented = 0;
    let mut paid = 0;
    let mut cancelled = 0;

    let gift = json!({"openid": openid, "order_id": "gift_0001", "amount": 100});
    let v = mock.call("present_currency", &gift, None).json();
    assert_eq!(v["errcode"], 0, "{v}");
    presented += 100;
    assert_eq!(v["balance"], presented, "{v}");

    let spend = |order_id: &str, amount: i64| {
        json!({
            "openid": openid, "user_ip": "127.0.0.1", "amount": amount, "order_id": order_id,
            "payitem": json!([{"productid": "sword", "unit_price": amount, "quantity": 1}]).to_string(),
            "remark": "outside",
        })
    };
    let v = mock
        .call("currency_pay", &spend("spend_0001", 30), sk)
        .json();
    paid += 30;
    assert_eq!(v["balance"], presented - paid, "{v}");
    let v = mock
        .call("currency_pay", &spend("spend_0002", 20), sk)
        .json();
    paid += 20;
    assert_eq!(v["order_id"], "spend_0002", "{v}");

    // A repeated order_id moves nothing and exits 1 with 268490004.
    let line = mock
        .call("currency_pay", &spend("spend_0001", 30), sk)
        .fails()
        .to_string();
    assert!(line.contains("268490004"), "{line}");
    let line = mock
        .call("present_currency", &gift, None)
        .fails()
        .to_string();
    assert!(line.contains("268490004"), "{line}");

    // An overdraft exits 1 with 268490006 and its meaning.
    let line = mock
        .call("currency_pay", &spend("spend_0003", 10_000), sk)
        .fails()
        .to_string();
    assert!(line.contains("268490006"), "{line}");
    assert!(line.contains("insufficient token balance"), "{line}");

    let cancel = json!({
        "openid": openid, "user_ip": "127.0.0.1", "pay_order_id": "spend_0001",
        "order_id": "cancel_0001", "amount": 30,
    });
    // By its yansongda alias: the same action.
    let v = mock.call("currency_cancel", &cancel, sk).json();
    assert_eq!(v["errcode"], 0, "{v}");
    cancelled += 30;
    let line = mock
        .call("cancel_currency_pay", &cancel, sk)
        .fails()
        .to_string();
    assert!(line.contains("268490004"), "{line}");

    // A pay+user call without the session key never leaves the machine.
    let query = json!({"openid": openid, "user_ip": "127.0.0.1"});
    mock.call("query_user_balance", &query, None).fails();

    let v = mock.call("query_user_balance", &query, sk).json();
    let want = presented - paid + cancelled;
    assert_eq!(want, 80);
    assert_eq!(v["balance"], want, "{v}");
    assert_eq!(v["sum_present"], presented, "{v}");
    assert_eq!(v["sum_cost"], paid - cancelled, "{v}");

    // The mock's own view agrees.
    let (status, b) = mock.http("GET", &format!("/mock/balance?openid={openid}"), None);
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["balance"], want, "{b}");
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_stop_it_cleanly() {
    for signal in ["TERM", "INT"] {
        let mut mock = Mock::start();
        // It answers before the signal...
        let (status, _) = mock.http("POST", "/mock/login", Some(&json!({"js_code": "x"})));
        assert_eq!(status, 200);
        mock.child.signal(signal);
        let (code, rest, stderr) = mock.child.finish();
        assert_eq!(code, Some(0), "SIG{signal}: stderr {stderr}");
        assert!(rest.is_empty(), "SIG{signal}: more stdout {rest:?}");
        assert!(stderr.is_empty(), "SIG{signal}: stderr {stderr}");
        // ...and the port is closed after it.
        let authority = mock.authority().to_string();
        assert!(TcpStream::connect(&authority).is_err(), "still listening");
    }
}

#[test]
fn a_taken_port_is_one_line_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let mut child = Child::spawn(&["mock", "--port", &port]);
    let (code, stdout, stderr) = child.finish();
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(stdout.is_empty(), "{stdout:?}");
    let line = stderr.strip_suffix('\n').expect("newline-terminated");
    assert!(!line.contains('\n'), "one line: {stderr:?}");
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
}

#[test]
fn a_bad_port_is_an_argument_error() {
    for args in [
        &["mock", "--port", "http"][..],
        &["mock", "--port", "70000"],
        &["mock", "--port"],
        &["mock", "extra"],
    ] {
        let mut child = Child::spawn(args);
        let (code, stdout, stderr) = child.finish();
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout:?}");
        assert_eq!(stderr.matches('\n').count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}
