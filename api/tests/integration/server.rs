//! The real server on a socket: connection timeouts, graceful shutdown on SIGTERM, and the
//! refusal to listen beyond loopback without keys.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use tupu_api::{ServeOptions, ServerConfig, serve_on};

use crate::fixtures::Fixture;

/// Starts the server on a free loopback port; returns its address, the shutdown trigger and
/// the server task.
async fn start(
    options: ServeOptions,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>, Fixture) {
    let fixture = Fixture::new(false, ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_on(listener, fixture.state.clone(), options, async move {
        let _ = stopped.await;
    }));
    (addr, stop, server, fixture)
}

/// Reads until the peer closes the connection (or 30 s pass, which fails the test).
fn read_to_close(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).expect("the server did not close the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn half_sent_headers_and_idle_connections_are_closed() {
    let options = ServeOptions {
        header_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(300),
        ..ServeOptions::default()
    };
    let (addr, stop, server, _fixture) = start(options).await;
    tokio::task::spawn_blocking(move || {
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").unwrap();
        let reply = read_to_close(&mut half);
        assert!(!reply.contains("200 OK"), "{reply}");
        let mut idle = TcpStream::connect(addr).unwrap();
        assert!(!read_to_close(&mut idle).contains("200 OK"));
        // A whole request on a kept-alive connection is answered, then the idle
        // connection is closed.
        let mut ok = TcpStream::connect(addr).unwrap();
        ok.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let reply = read_to_close(&mut ok);
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    })
    .await
    .unwrap();
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_finishes_the_request_in_flight_and_refuses_new_ones() {
    let (addr, stop, server, _fixture) = start(ServeOptions::default()).await;
    let mut stream = TcpStream::connect(addr).unwrap();
    // Headers now, body after the shutdown signal: the request is in flight.
    let body = "ASK {}";
    let head = format!(
        "POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream.write_all(body.as_bytes()).unwrap();
    let reply = tokio::task::spawn_blocking(move || read_to_close(&mut stream)).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    assert!(reply.contains("\"boolean\":true"), "{reply}");
    server.await.unwrap().unwrap();
    assert!(TcpStream::connect(addr).is_err(), "the listener is closed after shutdown");
}

/// Requests hyper cannot parse are refused by hyper itself; those refusals carry the JSON error
/// body too, and a well-formed request on the next connection is served.
#[tokio::test(flavor = "multi_thread")]
async fn requests_that_do_not_parse_get_the_json_error_body() {
    let (addr, stop, server, _fixture) = start(ServeOptions::default()).await;
    let huge_head = format!("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n", "a".repeat(4 << 20));
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: localhost\r\n\r\n", "a".repeat(70_000));
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"GET /health HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n".to_vec(), 400, "invalid_request"),
        (b"G@T /health HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(), 400, "invalid_request"),
        (b"GET /health HTTP/9.9\r\nHost: localhost\r\n\r\n".to_vec(), 400, "invalid_request"),
        (b"\x00\x01\x02 garbage\r\n\r\n".to_vec(), 400, "invalid_request"),
        (long_target.into_bytes(), 414, "uri_too_long"),
        (huge_head.into_bytes(), 431, "headers_too_large"),
    ];
    tokio::task::spawn_blocking(move || {
        for (request, status, code) in cases {
            let mut stream = TcpStream::connect(addr).unwrap();
            // The server may refuse and close before the whole request is sent.
            let _ = stream.write_all(&request);
            let reply = read_to_close(&mut stream);
            let shown: String = reply.chars().take(300).collect();
            assert!(reply.starts_with(&format!("HTTP/1.1 {status} ")), "{shown}");
            let (head, body) = reply.split_once("\r\n\r\n").unwrap();
            assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{shown}");
            let body: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {shown}"));
            assert_eq!(body["error"]["code"], code, "{shown}");
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{shown}");
        }
        let mut ok = TcpStream::connect(addr).unwrap();
        ok.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        assert!(read_to_close(&mut ok).starts_with("HTTP/1.1 200 OK"));
    })
    .await
    .unwrap();
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_tupu"))
        .args(["--data", dir.path().to_str().unwrap(), "serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..600 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(up, "the server did not start");
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("local mode"), "{stderr}");
    assert!(stderr.contains("tupu: stopped"), "{stderr}");
}

#[test]
fn without_keys_only_loopback_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tupu"))
        .args(["--data", dir.path().to_str().unwrap(), "serve", "--no-demo", "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only listen on loopback"));
}

#[test]
fn keys_are_created_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let tupu = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tupu")).arg("--data").arg(dir.path()).args(args).output().unwrap()
    };
    let created = tupu(&["keys", "create", "--role", "app", "--tenant", "school-a"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("tupu_") && key.len() == 69, "{key}");
    let stored = std::fs::read_to_string(dir.path().join("keys.json")).unwrap();
    assert!(!stored.contains(&key), "the key itself is never stored");
    let no_tenant = tupu(&["keys", "create", "--role", "app"]);
    assert!(!no_tenant.status.success());
    let bad_role = tupu(&["keys", "create", "--role", "root"]);
    assert!(!bad_role.status.success());
    let list = String::from_utf8(tupu(&["keys", "list"]).stdout).unwrap();
    let id = list.split('\t').next().unwrap().to_owned();
    assert!(list.contains("\tapp\tschool-a\t"), "{list}");
    assert!(tupu(&["keys", "revoke", &id]).status.success());
    assert_eq!(String::from_utf8(tupu(&["keys", "list"]).stdout).unwrap(), "");
}
