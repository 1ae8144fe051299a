//! Real HTTP servers on 127.0.0.1 for the health tests: a `std::net::TcpListener` on port 0
//! in a thread, writing raw HTTP/1.1 answers. No mock library: the checker talks TCP to a
//! real socket, as it does to a real service.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status, extra headers and body, after a delay.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        delay: Duration,
    },
    /// Accept, read the request, and never answer (until the server stops).
    Hang,
    /// Send the status line and headers, then the body one byte every `every`.
    Dribble { body: String, every: Duration },
}

impl Reply {
    pub fn ok(body: &str) -> Reply {
        Reply::status(200, body)
    }

    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn slow(delay: Duration, body: &str) -> Reply {
        Reply::Respond {
            status: 200,
            headers: Vec::new(),
            body: body.to_string(),
            delay,
        }
    }

    /// A redirect to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::Respond {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: String::new(),
            delay: Duration::ZERO,
        }
    }
}

type Handler = dyn Fn(&str) -> Reply + Send + Sync + 'static;

pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// Requests seen (for "did it reach the server").
    pub hits: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves every request with `reply`.
    pub fn start(reply: Reply) -> Server {
        Server::with(move |_| reply.clone())
    }

    /// Serves each request with what `handler` says for its path.
    pub fn with(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
        Server::bind("127.0.0.1:0", Arc::new(handler))
    }

    /// Serves on a given port (to bring a stopped server back on the same address).
    pub fn on(addr: SocketAddr, reply: Reply) -> Server {
        Server::bind(&addr.to_string(), Arc::new(move |_: &str| reply.clone()))
    }

    fn bind(addr: &str, handler: Arc<Handler>) -> Server {
        let listener = TcpListener::bind(addr).expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicUsize::new(0));
        let (s, h) = (stop.clone(), hits.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (s, h, handler) = (s.clone(), h.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, &*handler, &s, &h));
            }
        });
        Server {
            addr,
            stop,
            hits,
            accept: Some(accept),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting and closes the port (connections then are refused).
    pub fn stop(mut self) -> SocketAddr {
        self.shutdown();
        self.addr
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve(mut stream: TcpStream, handler: &Handler, stop: &AtomicBool, hits: &AtomicUsize) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    if stop.load(Ordering::SeqCst) {
        return;
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    match handler(&path) {
        Reply::Respond {
            status,
            headers,
            body,
            delay,
        } => {
            sleep_unless_stopped(delay, stop);
            let mut out = format!(
                "HTTP/1.1 {status} Status\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = stream.write_all(out.as_bytes());
        }
        Reply::Hang => sleep_unless_stopped(Duration::from_secs(120), stop),
        Reply::Dribble { body, every } => {
            let headers = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(headers.as_bytes());
            for b in body.bytes() {
                sleep_unless_stopped(every, stop);
                if stop.load(Ordering::SeqCst) || stream.write_all(&[b]).is_err() {
                    return;
                }
            }
        }
    }
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10).min(d));
    }
}

/// A server that answers whatever arrives (a TLS hello included) with `text` at once, as a
/// plain-HTTP server does to bytes it cannot parse, then closes.
pub fn raw_server(text: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(text.as_bytes());
        }
    });
    addr
}

/// A port on 127.0.0.1 with nothing listening (bound, then closed).
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}
