//! The checker against real HTTP servers on 127.0.0.1 started here (see `common/http.rs`):
//! healthy, slow, 500, wrong body, nothing listening, never answering, a redirect loop, TLS
//! spoken to a plain-HTTP port, and a service that goes down and comes back, through the
//! thresholds of the pure state machine.

#[path = "common/http.rs"]
mod http;

use std::time::{Duration, Instant};

use baton::domain::services::ServiceConfig;
use baton::health::status::{CheckResult, Kind, Status};
use baton::health::tracker::Tracker;
use baton::health::{check_all, check_once, client};
use chrono::{DateTime, Utc};
use http::{Reply, Server, closed_port, raw_server};
use serde_json::{Value, json};

fn service(url: &str, extra: Value) -> ServiceConfig {
    let mut v = json!({"name": "svc", "url": url});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(v).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One check, and how long it took.
fn check(cfg: &ServiceConfig) -> (CheckResult, Duration) {
    let client = client().expect("client");
    let start = Instant::now();
    let r = rt().block_on(check_once(&client, cfg));
    (r, start.elapsed())
}

#[test]
fn healthy_service_is_up() {
    let s = Server::start(Reply::ok("{\"status\": \"ok\"}"));
    let (r, _) = check(&service(
        &s.url("/health"),
        json!({"json_pointer": "/status", "json_equals": "ok", "body_contains": "ok"}),
    ));
    assert_eq!(
        (r.status, r.kind, r.reason.as_deref()),
        (Status::Up, Kind::Ok, None)
    );
    assert_eq!(r.http_status, Some(200));
    assert!(r.latency_ms.unwrap() < 800);
    assert_eq!(s.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn slow_service_is_degraded() {
    let s = Server::start(Reply::slow(Duration::from_millis(300), "ok"));
    let (r, _) = check(&service(&s.url("/"), json!({"degraded_ms": 100})));
    assert_eq!((r.status, r.kind), (Status::Degraded, Kind::Slow));
    assert!(r.latency_ms.unwrap() >= 300, "{r:?}");
    assert!(r.reason.unwrap().starts_with("slow: "));
}

#[test]
fn status_500_is_down() {
    let s = Server::start(Reply::status(500, "boom"));
    let (r, _) = check(&service(&s.url("/"), json!({})));
    assert_eq!((r.status, r.kind), (Status::Down, Kind::WrongStatus));
    assert_eq!(r.reason.as_deref(), Some("HTTP 500 (expected 200-299)"));
    assert_eq!(r.http_status, Some(500));
    // An expected status list that includes it makes it up.
    let (r, _) = check(&service(&s.url("/"), json!({"expect_status": "200,500"})));
    assert_eq!(r.status, Status::Up);
}

#[test]
fn wrong_body_is_degraded() {
    let s = Server::start(Reply::ok("{\"status\": \"starting\"}"));
    let (r, _) = check(&service(&s.url("/"), json!({"body_contains": "healthy"})));
    assert_eq!((r.status, r.kind), (Status::Degraded, Kind::BodyMismatch));
    assert_eq!(
        r.reason.as_deref(),
        Some("body does not contain \"healthy\"")
    );
    let (r, _) = check(&service(
        &s.url("/"),
        json!({"json_pointer": "/status", "json_equals": "ok"}),
    ));
    assert_eq!((r.status, r.kind), (Status::Degraded, Kind::BodyMismatch));
    assert_eq!(
        r.reason.as_deref(),
        Some("/status is \"starting\", expected \"ok\"")
    );
}

#[test]
fn nothing_listening_is_down_refused() {
    let addr = closed_port();
    let (r, took) = check(&service(&format!("http://{addr}/health"), json!({})));
    assert_eq!((r.status, r.kind), (Status::Down, Kind::Refused));
    assert_eq!(r.reason.as_deref(), Some("connection refused"));
    assert_eq!(r.latency_ms, None);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn never_answering_times_out_within_the_timeout() {
    let s = Server::start(Reply::Hang);
    let (r, took) = check(&service(&s.url("/"), json!({"timeout_ms": 300})));
    assert_eq!((r.status, r.kind), (Status::Down, Kind::Timeout));
    assert_eq!(
        r.reason.as_deref(),
        Some("timeout: no answer within 300 ms")
    );
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn a_body_that_never_ends_times_out_too() {
    let s = Server::start(Reply::Dribble {
        body: "x".repeat(100),
        every: Duration::from_millis(50),
    });
    let (r, took) = check(&service(&s.url("/"), json!({"timeout_ms": 400})));
    assert_eq!((r.status, r.kind), (Status::Down, Kind::Timeout));
    // The whole body would take 5 s.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn redirect_loop_is_down() {
    let s = Server::with(|path| match path {
        "/start" => Reply::redirect("/loop"),
        _ => Reply::redirect("/start"),
    });
    let (r, _) = check(&service(&s.url("/start"), json!({})));
    assert_eq!((r.status, r.kind), (Status::Down, Kind::TooManyRedirects));
    assert_eq!(
        r.reason.as_deref(),
        Some("too many redirects (more than 5)")
    );
    // A short chain is followed.
    let s = Server::with(|path| match path {
        "/old" => Reply::redirect("/new"),
        _ => Reply::ok("here"),
    });
    let (r, _) = check(&service(&s.url("/old"), json!({"body_contains": "here"})));
    assert_eq!(r.status, Status::Up);
}

#[test]
fn tls_errors_are_down_or_degraded_as_configured() {
    // TLS spoken to a plain-HTTP port: the handshake fails (the ring provider is installed,
    // or this would panic).
    let addr = raw_server("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    let url = format!("https://{addr}/");
    let (r, took) = check(&service(&url, json!({"timeout_ms": 2000})));
    assert_eq!((r.status, r.kind), (Status::Down, Kind::Tls), "{r:?}");
    assert!(took < Duration::from_millis(2500));
    let (r, _) = check(&service(
        &url,
        json!({"timeout_ms": 2000, "tls_errors_fatal": false}),
    ));
    assert_eq!((r.status, r.kind), (Status::Degraded, Kind::Tls), "{r:?}");
}

/// A real TLS server with a self-signed certificate (`openssl s_server`, when the machine
/// has openssl): the handshake happens and the certificate is refused.
#[test]
fn untrusted_certificate_is_a_tls_error() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no openssl to make a certificate");
        return;
    }
    let port = closed_port().port();
    let mut server = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(port.to_string())
        .arg("-key")
        .arg(&key)
        .arg("-cert")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (r, _) = check(&service(
        &format!("https://127.0.0.1:{port}/"),
        json!({"timeout_ms": 3000}),
    ));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!((r.status, r.kind), (Status::Down, Kind::Tls), "{r:?}");
    assert!(r.reason.unwrap().contains("certificate"));
}

#[test]
fn bad_entries_are_down_with_the_reason() {
    for (extra, why) in [
        (json!({"url": "ftp://127.0.0.1/"}), "url scheme \"ftp\""),
        (json!({"url": "not a url"}), "url \"not a url\""),
        (json!({"method": "GE T"}), "method \"GE T\""),
        (json!({"expect_status": "ok"}), "expect_status \"ok\""),
    ] {
        let mut cfg = service("http://127.0.0.1:9/", json!({}));
        let mut v = serde_json::to_value(&cfg).unwrap();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        cfg = serde_json::from_value(v).unwrap();
        let (r, _) = check(&cfg);
        assert_eq!((r.status, r.kind), (Status::Down, Kind::BadConfig));
        assert!(r.reason.as_deref().unwrap().contains(why), "{r:?}");
    }
}

#[test]
fn all_at_once_takes_the_longest_timeout_not_the_sum() {
    let hang = Server::start(Reply::Hang);
    let ok = Server::start(Reply::ok("ok"));
    let services = vec![
        service(&hang.url("/a"), json!({"timeout_ms": 600})),
        service(&ok.url("/"), json!({})),
        service(&hang.url("/b"), json!({"timeout_ms": 600})),
        service(&hang.url("/c"), json!({"timeout_ms": 600})),
        service(&hang.url("/d"), json!({"timeout_ms": 300})),
    ];
    let client = client().unwrap();
    let start = Instant::now();
    let results = rt().block_on(check_all(&client, &services));
    let took = start.elapsed();
    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Down,
            Status::Up,
            Status::Down,
            Status::Down,
            Status::Down
        ]
    );
    // One after the other would take 2.1 s.
    assert!(took >= Duration::from_millis(600), "took {took:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

/// The real checker, the pure state machine with fake times: a service goes down (its port
/// closes) and comes back (on the same port); one blip never flips the status, two of three
/// checks do.
#[test]
fn down_and_back_through_the_thresholds() {
    let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2025-11-16T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    let client = client().unwrap();
    let rt = rt();
    let server = Server::start(Reply::ok("ok"));
    let cfg = service(&server.url("/health"), json!({"interval_s": 30}));
    let mut tracker = Tracker::default();
    let step = |tracker: &mut Tracker, s: i64| {
        let mut r = rt.block_on(check_once(&client, &cfg));
        r.checked_at = at(s);
        let raw = r.status;
        (raw, tracker.record(r))
    };

    assert_eq!(step(&mut tracker, 0), (Status::Up, None));
    assert_eq!(tracker.status(), Some(Status::Up));
    assert_eq!(tracker.next_delay(Duration::from_secs(30)).as_secs(), 30);

    let addr = server.stop();
    let (raw, change) = step(&mut tracker, 30);
    assert_eq!((raw, change), (Status::Down, None), "one failure is a blip");
    assert_eq!(tracker.status(), Some(Status::Up));
    assert_eq!(tracker.pending(), Some(Status::Down));
    assert_eq!(tracker.next_delay(Duration::from_secs(30)).as_secs(), 3);

    let (raw, change) = step(&mut tracker, 33);
    assert_eq!(raw, Status::Down);
    let change = change.expect("two of three: down");
    assert_eq!(
        (change.from, change.to, change.at),
        (Status::Up, Status::Down, at(33))
    );
    assert_eq!(change.reason.as_deref(), Some("connection refused"));
    assert_eq!(tracker.since(), Some(at(33)));
    // Backoff while it stays down: 60, 120, 240 s.
    assert_eq!(tracker.next_delay(Duration::from_secs(30)).as_secs(), 60);
    step(&mut tracker, 93);
    assert_eq!(tracker.next_delay(Duration::from_secs(30)).as_secs(), 120);

    let back = Server::on(addr, Reply::ok("ok"));
    let (raw, change) = step(&mut tracker, 213);
    assert_eq!((raw, change), (Status::Up, None));
    assert_eq!(tracker.status(), Some(Status::Down), "not yet confirmed");
    let (_, change) = step(&mut tracker, 216);
    let change = change.expect("two of three: up");
    assert_eq!((change.from, change.to), (Status::Down, Status::Up));
    assert_eq!(tracker.since(), Some(at(216)));
    assert_eq!(tracker.next_delay(Duration::from_secs(30)).as_secs(), 30);
    let latencies: Vec<Option<u64>> = tracker.latencies().collect();
    assert_eq!(latencies.len(), 6);
    assert_eq!(latencies.iter().filter(|l| l.is_none()).count(), 3);
    drop(back);
}
