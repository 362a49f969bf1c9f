//! A local AWS KMS endpoint for tests and benchmarks: moto's server (`pip install
//! 'moto[server]'`, command `moto_server`) on 127.0.0.1 at a free port, stopped on drop;
//! and a TCP relay in front of it that can be killed and restarted on the same port
//! (moto keeps its keys in process memory, so killing moto itself would lose them, which
//! a real KMS outage never does).
#![allow(dead_code)]

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Dummy credentials moto accepts.
pub(crate) const ACCESS_KEY: &str = "testing";
pub(crate) const SECRET_KEY: &str = "testing";
pub(crate) const REGION: &str = "us-east-1";

/// Whether `moto_server` is on PATH.
pub(crate) fn moto_available() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("moto_server").is_file())
    })
}

/// A running `moto_server`, killed on drop.
pub(crate) struct Moto {
    child: Child,
    pub(crate) port: u16,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it accepts connections.
    /// `None` (with a loud message on stderr) if `moto_server` is not on PATH, unless
    /// `PRIVKIT_REQUIRE_MOTO=1`, when that is a failure.
    pub(crate) fn start(what: &str) -> Option<Self> {
        if !moto_available() {
            if std::env::var("PRIVKIT_REQUIRE_MOTO").as_deref() == Ok("1") {
                panic!("PRIVKIT_REQUIRE_MOTO=1 but moto_server is not on PATH");
            }
            // Straight to the process's stderr: the test harness captures `eprintln!`.
            let _ = writeln!(
                io::stderr(),
                "\n!!!!!!!! SKIPPED {what}: moto_server not on PATH \
                 (pip install 'moto[server]'; CI sets PRIVKIT_REQUIRE_MOTO=1) !!!!!!!!\n"
            );
            return None;
        }
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        let moto = Self { child, port };
        wait_for_port(port, Duration::from_secs(60));
        Some(moto)
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

fn wait_for_port(port: u16, limit: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < limit,
            "moto_server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP relay on a loopback port to an upstream address. `kill` closes the port and
/// resets every open connection; `start_on` the same port brings it back.
pub(crate) struct Relay {
    pub(crate) port: u16,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<JoinHandle<()>>,
}

impl Relay {
    pub(crate) fn start(upstream: SocketAddr) -> Self {
        Self::start_on(free_port(), upstream)
    }

    pub(crate) fn start_on(port: u16, upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind relay port");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (stop2, conns2) = (Arc::clone(&stop), Arc::clone(&conns));
        let accept = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        if let Err(e) = relay(client, upstream, &conns2) {
                            eprintln!("relay: {e}");
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => eprintln!("relay accept: {e}"),
                }
            }
        });
        Self {
            port,
            stop,
            conns,
            accept: Some(accept),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes the listening port and resets every connection.
    pub(crate) fn kill(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn relay(client: TcpStream, upstream: SocketAddr, conns: &Mutex<Vec<TcpStream>>) -> io::Result<()> {
    client.set_nonblocking(false)?;
    let server = TcpStream::connect(upstream)?;
    {
        let mut conns = conns.lock().unwrap();
        conns.push(client.try_clone()?);
        conns.push(server.try_clone()?);
    }
    for (mut from, mut to) in [(client.try_clone()?, server.try_clone()?), (server, client)] {
        std::thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        });
    }
    Ok(())
}
