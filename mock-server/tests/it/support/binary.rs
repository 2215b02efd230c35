//! The `cwlogs-mock` binary as CI runs it: started on a free port, its endpoint read from the
//! first stdout line, killed on drop. Only with the `cli` feature, which builds the binary.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cwlogs-mock");

/// A running binary. Its stdout stays open until it exits: `println!` panics on a closed pipe.
pub struct Running {
    /// The process.
    pub child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion must not leave the binary running; after a clean exit this is a no-op.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and reads the endpoint from its first stdout line.
pub fn spawn<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Running, SocketAddr) {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    // The binary installs its SIGINT/SIGTERM handlers before it prints these lines, so once the first
    // one is read a SIGTERM is always handled (a clean shutdown), with no pause needed.
    let mut second = String::new();
    stdout.read_line(&mut second).expect("a second line");
    let endpoint = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no endpoint in {first:?}"));
    let addr = endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("host:port");
    (
        Running {
            child,
            _stdout: stdout,
        },
        addr,
    )
}
