//! Running the `xpay` binary in tests: a cleared environment, the given variables, stdin fed
//! from a thread, and assertions on the CLI contract (exit codes, one-line errors, one JSON
//! document).
#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What one run of `xpay` did.
pub struct Run {
    /// The exit code.
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(self.stderr.is_empty(), "stderr not empty: {}", self.stderr);
        &self.stdout
    }

    /// Exit 1, nothing on stdout, exactly one `error: …` line on stderr; returns that line.
    pub fn fails(&self) -> &str {
        assert_eq!(
            self.code,
            Some(1),
            "expected exit 1\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout not empty: {}", self.stdout);
        assert!(self.stderr.ends_with('\n'), "stderr: {:?}", self.stderr);
        let line = self.stderr.trim_end_matches('\n');
        assert!(
            !line.contains('\n'),
            "more than one stderr line: {:?}",
            self.stderr
        );
        assert!(line.starts_with("error: "), "stderr: {line}");
        line
    }

    /// Fails as [`fails`](Self::fails) does, with a line that mentions every one of `words`
    /// and none of `secrets`.
    pub fn fails_with(&self, words: &[&str], secrets: &[&str]) -> String {
        let line = self.fails().to_string();
        for w in words {
            assert!(line.contains(w), "`{w}` not in: {line}");
        }
        for s in secrets {
            assert!(!line.contains(s), "a secret leaked: {line}");
        }
        line
    }

    /// One JSON document on one line.
    pub fn json(&self) -> Value {
        let out = self.ok();
        assert!(
            out.ends_with('\n') && out.matches('\n').count() == 1,
            "one line: {out:?}"
        );
        serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}

/// Runs `xpay` with `stdin` fed from a thread: the command may stop reading early (an
/// oversized body), and a write it no longer takes is not a failure of the test.
pub fn xpay_with_stdin(args: &[&str], vars: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xpay"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xpay");
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for xpay");
    writer.join().expect("stdin writer");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs `xpay` with empty stdin.
pub fn xpay(args: &[&str], vars: &[(&str, &str)]) -> Run {
    xpay_with_stdin(args, vars, b"")
}

/// Writes a file under cargo's per-target temp directory.
pub fn temp_file(name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

/// Serves `app` on a free loopback port from a thread of its own (the tests themselves are
/// synchronous: they run the binary), and returns its base URL.
pub fn serve_on_thread(app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{addr}")
}
