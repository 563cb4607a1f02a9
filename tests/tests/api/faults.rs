//! Faults: database connections the server closed, a database that is down, a lost
//! event listener (PostgreSQL); answers given before the body was read on keep-alive
//! connections, and closed streams (both backends).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use rookery_tests::pg_faults::{allow_connections, terminate_backends};
use rookery_tests::{Next, SseStream, TestBackend, backend, spawn_app, spawn_app_with};
use serde_json::json;

/// One HTTP/1.1 answer read off a raw connection: status, `Connection` header, body.
fn read_answer(reader: &mut BufReader<TcpStream>) -> (u16, Option<String>, String) {
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let code = status.split_whitespace().nth(1).unwrap_or_else(|| panic!("an answer, got {status:?}"));
    let (mut length, mut connection) = (0usize, None);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "connection" => connection = Some(value.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (code.parse().unwrap(), connection, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn answers_before_the_body_keep_the_connection_usable() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let stream = TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let body = json!({ "user_id": uuid::Uuid::now_v7() }).to_string();
        let padding = "x".repeat(3000);
        // 401 (no token), 405, 404, each with a body nobody reads, then a plain GET:
        // all on one connection, none of them cut off.
        let requests = [
            ("POST /api/v1/community/follow", body.as_str(), 401),
            ("PUT /healthz", padding.as_str(), 405),
            ("POST /no/such/route", padding.as_str(), 404),
            ("POST /api/follows/", body.as_str(), 401),
        ];
        for round in 0..3 {
            for (line, body, expected) in requests {
                write!(
                    writer,
                    "{line} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                let (status, connection, _) = read_answer(&mut reader);
                assert_eq!((status, connection.as_deref()), (expected, None), "round {round}: {line}");
            }
        }
        writer.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(read_answer(&mut reader).0, 200);

        // A body that does not come is not waited for long: the answer says it closes.
        write!(writer, "POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", 512 * 1024).unwrap();
        writer.write_all(&[b'y'; 1024]).unwrap();
        let asked = Instant::now();
        let (status, connection, _) = read_answer(&mut reader);
        assert_eq!((status, connection.as_deref()), (404, Some("close")));
        assert!(asked.elapsed() < Duration::from_secs(3), "answered after {:?}", asked.elapsed());
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_closed_stream_frees_its_slot_within_a_second() {
    let app = spawn_app_with(|s| s.streams.max_streams_per_account = 1).await;
    let solo = app.user("solo").await;
    let mut stream = app.stream(&solo).await;
    stream.expect("connected").await;
    let request = || app.client.get(app.community("/notifications/stream")).bearer_auth(&solo.token);
    let refused = SseStream::open(request()).await.err().expect("one stream at a time");
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);

    drop(stream);
    let closed = Instant::now();
    loop {
        match SseStream::open(request()).await {
            Ok(_) => break,
            Err(reply) => {
                assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
                assert!(closed.elapsed() < Duration::from_secs(1), "the slot is still held");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test]
#[ignore = "PostgreSQL only: `make test-postgres` runs it"]
async fn connections_the_server_closed_are_replaced_without_an_error() {
    assert!(
        backend() == TestBackend::Postgres,
        "run with ROOKERY_TEST_DATABASE=postgres: A SQLite file has no server to close connections."
    );
    let app = spawn_app().await;
    let users = futures::future::join_all((0..6).map(|i| app.user_owned(format!("user{i}")))).await;
    for round in 0..5 {
        // Every pooled connection (and the writers' and the listener's) dies at once,
        // as in a PostgreSQL restart: reads and writes that sent no COMMIT are retried
        // once on a fresh connection.
        terminate_backends(&app.database_url);
        let app = &app;
        let users = &users;
        let calls = users.iter().enumerate().map(|(i, user)| {
            let other = &users[(i + round + 1) % users.len()];
            async move {
                let follow = app.follow(user, other).await;
                let profile = app.call(Method::GET, &format!("/profiles/{}", other.id), user, None).await;
                let list = app.call(Method::GET, &format!("/users/{}/followers", other.id), user, None).await;
                [follow.status, profile.status, list.status]
            }
        });
        for statuses in futures::future::join_all(calls).await {
            assert_eq!(statuses, [StatusCode::OK; 3], "round {round}");
        }
    }
    let ready = app.send(app.client.get(app.url("/readyz"))).await;
    assert_eq!(ready.status, StatusCode::OK);
}

#[tokio::test]
async fn a_database_that_is_down_answers_503_with_retry_after_and_readyz_at_once() {
    if backend() != TestBackend::Postgres {
        return;
    }
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let admin = app.admin("root").await;
    allow_connections(&app.database_url, false);
    terminate_backends(&app.database_url);

    let asked = Instant::now();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert!(asked.elapsed() < Duration::from_secs(2), "readyz took {:?}", asked.elapsed());
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));
    let body = ready.text().await.unwrap();
    let port = app.database_url.rsplit_once(':').map(|(_, rest)| rest.split('/').next().unwrap_or_default());
    assert!(!body.contains("127.0.0.1") && !body.contains(port.unwrap_or("5432")), "{body}");

    // Within the pool's timeout (5 s), in each dialect's envelope.
    let follow = app
        .client
        .post(app.community("/follow"))
        .bearer_auth(&alice.token)
        .json(&json!({ "user_id": bob.id }))
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(follow.headers()["retry-after"], "1");
    let body: serde_json::Value = follow.json().await.unwrap();
    assert_eq!((body["status"].clone(), body["status_code"].clone()), (json!("error"), json!(503)));
    let drf = app
        .client
        .post(app.url("/api/follows/"))
        .bearer_auth(&alice.token)
        .json(&json!({ "followed_id": bob.id }))
        .send()
        .await
        .unwrap();
    assert_eq!(drf.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(drf.headers().contains_key("retry-after"));
    assert!(drf.json::<serde_json::Value>().await.unwrap()["detail"].is_string());

    // The mutual list (its own table) and the event feed's page (its own read
    // transaction) answer 503 too, not 500.
    let mutual = app.call(Method::GET, &format!("/users/{}/followers?filter=mutual", bob.id), &alice, None).await;
    assert_eq!(mutual.status, StatusCode::SERVICE_UNAVAILABLE, "{mutual:?}");
    let feed = app.admin_call(Method::GET, "/events?limit=10", &admin, None).await;
    assert_eq!(feed.status, StatusCode::SERVICE_UNAVAILABLE, "{feed:?}");

    allow_connections(&app.database_url, true);
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.follow(&bob, &alice).await.status, StatusCode::OK);
    let mutual = app.call(Method::GET, &format!("/users/{}/followers?filter=mutual", bob.id), &alice, None).await;
    assert_eq!(mutual.data()["total"], 1, "{mutual:?}");
    let feed = app.admin_call(Method::GET, "/events?limit=10", &admin, None).await;
    assert_eq!(feed.status, StatusCode::OK, "{feed:?}");
}

#[tokio::test]
#[ignore = "PostgreSQL only: `make test-postgres` runs it"]
async fn a_stream_never_silently_misses_an_event_when_the_listener_is_lost() {
    assert!(
        backend() == TestBackend::Postgres,
        "run with ROOKERY_TEST_DATABASE=postgres: One SQLite process publishes in-process: there is no listener to lose."
    );
    let first = spawn_app().await;
    let second = first.sibling().await;
    let bob = first.user("bob").await;
    let fans = futures::future::join_all((0..3).map(|i| first.user_owned(format!("fan{i}")))).await;
    let mut stream = second.stream(&bob).await;
    stream.expect("connected").await;
    // No event yet on this stream, but a resume point all the same (a block with an
    // id and no data, right after `connected`).
    assert!(stream.next_within(Duration::from_millis(300)).await.is_none());
    let last_id = stream.last_id.clone().expect("a stream starts with a resume point");
    assert_eq!(last_id, uuid::Uuid::nil().to_string(), "bob has no notification yet: from the first");
    first.follow(&fans[0], &bob).await;
    assert_eq!(stream.expect("follow").await.data["actor"]["id"], fans[0].id.to_string());

    // Both instances lose every connection; the follow is acknowledged through the
    // first right after, while the second's listener is reconnecting.
    terminate_backends(&first.database_url);
    assert_eq!(first.follow(&fans[1], &bob).await.status, StatusCode::OK);
    let mut delivered = false;
    loop {
        match stream.next_or_end(Duration::from_secs(3)).await {
            Next::Event(event) if event.data["type"] == "follow" => {
                delivered = true;
                break;
            }
            Next::Event(_) => {}
            Next::Ended => break,
            Next::Silent => panic!("the stream stayed open without the follow"),
        }
    }
    if !delivered {
        // Ended: the client reconnects with Last-Event-ID and replays what it missed.
        let request = second
            .client
            .get(second.community("/notifications/stream"))
            .bearer_auth(&bob.token)
            .header("Last-Event-ID", stream.last_id.clone().expect("the first follow's id"));
        let mut again = SseStream::open(request).await.expect("the stream reopens");
        again.expect("connected").await;
        assert_eq!(again.expect("follow").await.data["actor"]["id"], fans[1].id.to_string());
    }
    // Once the listener is back (it retries every second), streams are live again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut live = second.stream(&bob).await;
    live.expect("connected").await;
    first.follow(&fans[2], &bob).await;
    assert_eq!(live.expect("follow").await.data["actor"]["id"], fans[2].id.to_string());
}
