//! A private `redis-server` per test, on a free loopback port, that the test can stop and
//! start again on the same port without touching any other Redis on the machine.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TempDir;

/// How long a redis-server may take to answer PING.
const START_DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

/// A running (or stopped) private redis-server, killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
}

/// A port nobody listens on right now (bound to 0, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

impl RedisServer {
    /// Starts one on a free port (another port if that one was taken meanwhile).
    pub fn start() -> Self {
        let mut dir = TempDir::new();
        for _ in 0..5 {
            let mut server = Self {
                child: None,
                port: free_port(),
                dir,
            };
            if server.try_spawn() {
                return server;
            }
            dir = server.take_dir();
        }
        panic!("cannot start a private redis-server");
    }

    fn take_dir(self) -> TempDir {
        let mut me = std::mem::ManuallyDrop::new(self);
        let dir = std::mem::replace(&mut me.dir, TempDir::new());
        if let Some(mut c) = me.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        dir
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn try_spawn(&mut self) -> bool {
        let mut child = Command::new("redis-server")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg("no")
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if pong(self.port) {
                self.child = Some(child);
                return true;
            }
            if let Ok(Some(_)) = child.try_wait() {
                return false; // the port was taken
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Kills it (SIGKILL: like a crash; its data is gone).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        for _ in 0..50 {
            if self.try_spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("cannot restart redis-server on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
