//! A real memory server on 127.0.0.1 for the sync tests, speaking both flavours baton knows
//! (the seed's `POST /memory/store-session` and `GET /memory/get-context`; Mem0's
//! `POST /memories` and `POST /search`). It records every request it receives (method,
//! path, headers, body) and stores each session once per `Idempotency-Key`, as a server
//! that honours the key does: a second delivery with the same key is answered 200 and
//! counted, never stored again. Plain `std::net` in threads, like `http.rs`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How the server answers a request that stores something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Store (once per key) and answer 200.
    Ok,
    /// Answer this status and store nothing.
    Status(u16),
    /// Hold the answer until [`MemoryServer::release`]; then store and answer 200 (if the
    /// client is still there to read it).
    Hold,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// What was stored, by idempotency key (insertion order kept by a counter).
    stored: BTreeMap<String, (usize, Value)>,
    /// Answers written to a client (anything, any status).
    answered: usize,
    mode: Option<Mode>,
    released: bool,
}

pub struct MemoryServer {
    pub addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

/// What `GET /memory/get-context` answers.
pub const SEED_CONTEXT: &str = "Last session shipped the health endpoint\nNext: add TLS";
/// What Mem0's `/search` answers.
pub const MEM0_MEMORY: &str = "The team deploys with rsync";

impl MemoryServer {
    pub fn start(mode: Mode) -> MemoryServer {
        MemoryServer::bind("127.0.0.1:0", mode)
    }

    /// On a given address (to bring a server back up where it was down).
    pub fn start_on(addr: SocketAddr, mode: Mode) -> MemoryServer {
        MemoryServer::bind(&addr.to_string(), mode)
    }

    fn bind(addr: &str, mode: Mode) -> MemoryServer {
        let listener = TcpListener::bind(addr).expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new((
            Mutex::new(State {
                mode: Some(mode),
                ..State::default()
            }),
            Condvar::new(),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (st, sp) = (st.clone(), sp.clone());
                std::thread::spawn(move || serve(stream, &st, &sp));
            }
        });
        MemoryServer {
            addr,
            state,
            stop,
            accept: Some(accept),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        let (lock, cv) = &*self.state;
        lock.lock().unwrap().mode = Some(mode);
        cv.notify_all();
    }

    /// Lets held requests go on (they are stored and answered).
    pub fn release(&self) {
        let (lock, cv) = &*self.state;
        lock.lock().unwrap().released = true;
        cv.notify_all();
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.0.lock().unwrap().received.clone()
    }

    /// Requests to `path`.
    pub fn received_at(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path.split('?').next() == Some(path))
            .collect()
    }

    /// What was stored, in order, once per key.
    pub fn stored(&self) -> Vec<(String, Value)> {
        let state = self.state.0.lock().unwrap();
        let mut list: Vec<(usize, String, Value)> = state
            .stored
            .iter()
            .map(|(k, (n, v))| (*n, k.clone(), v.clone()))
            .collect();
        list.sort_by_key(|(n, _, _)| *n);
        list.into_iter().map(|(_, k, v)| (k, v)).collect()
    }

    pub fn answered(&self) -> usize {
        self.state.0.lock().unwrap().answered
    }

    /// Waits until `n` requests to `path` arrived (panics after 20 s).
    pub fn wait_for(&self, path: &str, n: usize) {
        let start = Instant::now();
        while self.received_at(path).len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "expected {n} requests to {path}, saw {:?}",
                self.received()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `n` items are stored (held requests finish after `release`).
    pub fn wait_stored(&self, n: usize) {
        let start = Instant::now();
        while self.stored().len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "expected {n} stored"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops accepting and closes the port: connections are then refused.
    pub fn stop(mut self) -> SocketAddr {
        self.shutdown();
        self.addr
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.state.1.notify_all();
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MemoryServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then closed): "the server is down".
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    Some(Received {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&data[head_end..head_end + length]).into_owned(),
    })
}

fn serve(mut stream: TcpStream, state: &(Mutex<State>, Condvar), stop: &AtomicBool) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    if stop.load(Ordering::SeqCst) {
        return;
    }
    let (lock, cv) = state;
    let mode = {
        let mut s = lock.lock().unwrap();
        s.received.push(req.clone());
        s.mode.unwrap_or(Mode::Ok)
    };
    let route = req.path.split('?').next().unwrap_or("").to_string();
    let stores = req.method == "POST" && (route == "/memory/store-session" || route == "/memories");
    let (status, body) = match (req.method.as_str(), route.as_str()) {
        ("GET", "/memory/get-context") => (200, json!({ "context": SEED_CONTEXT })),
        ("POST", "/search") => (
            200,
            json!({"results": [{"id": "m1", "memory": MEM0_MEMORY, "score": 0.9}]}),
        ),
        _ if stores => {
            if mode == Mode::Hold {
                let mut s = lock.lock().unwrap();
                while !s.released && !stop.load(Ordering::SeqCst) {
                    s = cv.wait_timeout(s, Duration::from_millis(50)).unwrap().0;
                }
                if stop.load(Ordering::SeqCst) {
                    return;
                }
            }
            match mode {
                Mode::Status(code) => (code, json!({"detail": "internal error"})),
                _ => {
                    let key = req
                        .header("idempotency-key")
                        .unwrap_or("(no key)")
                        .to_string();
                    let mut s = lock.lock().unwrap();
                    let n = s.stored.len();
                    let duplicate = s.stored.contains_key(&key);
                    if !duplicate {
                        s.stored.insert(key, (n, req.json()));
                    }
                    (
                        200,
                        json!({ "status": if duplicate { "duplicate" } else { "stored" } }),
                    )
                }
            }
        }
        _ => (404, json!({"detail": "not found"})),
    };
    let body = body.to_string();
    let out = format!(
        "HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(out.as_bytes()).is_ok() {
        lock.lock().unwrap().answered += 1;
    }
}
