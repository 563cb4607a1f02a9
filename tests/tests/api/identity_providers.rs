//! Tokens from identity providers: a JWK Set (served by a local fake provider), OIDC
//! discovery, several static keys, and subjects that are not UUIDs. Every refusal is a
//! 401 in the dialect's own envelope.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::StatusCode;
use rookery::settings::{JwksTiming, SubjectMode};
use rookery_tests::fake_idp::{EC_P256, ED25519, FakeIdp, RSA_A, RSA_B, fixture, fixture_path, public_jwk, sign};
use rookery_tests::{Reply, TestApp, now_secs, spawn_app_with};
use serde_json::{Value, json};
use uuid::Uuid;

const INVALID: &str = "Invalid or expired token";

/// Timing for tests: no real 30 s waits unless a test asks for them.
fn quick(unknown_kid_refetch: Duration) -> JwksTiming {
    JwksTiming {
        unknown_kid_refetch,
        min_fresh: Duration::from_secs(600),
        max_fresh: Duration::from_secs(600),
        default_fresh: Duration::from_secs(600),
        retry: Duration::from_secs(600),
        fetch_timeout: Duration::from_secs(2),
    }
}

async fn app_with_jwks(idp: &FakeIdp, timing: JwksTiming) -> TestApp {
    let url = idp.jwks_url();
    spawn_app_with(move |s| {
        s.jwt.secret = None;
        s.jwt.jwks_url = Some(url);
        s.jwt.jwks_timing = timing;
    })
    .await
}

fn claims(username: &str) -> Value {
    TestApp::claims(Uuid::now_v7(), username)
}

async fn me(app: &TestApp, token: &str) -> Reply {
    app.send(app.client.get(app.community("/profiles/me")).bearer_auth(token)).await
}

fn assert_401(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert_eq!(reply.body, json!({ "status": "error", "success": false, "message": INVALID, "status_code": 401 }));
}

/// A refused token answers 401 in each dialect's envelope.
async fn assert_refused_in_every_dialect(app: &TestApp, token: &str) {
    assert_401(&me(app, token).await);
    let target = Uuid::now_v7();
    let drf =
        app.send(app.client.post(app.url("/api/follows/")).bearer_auth(token).json(&json!({ "followed_id": target })));
    let drf = drf.await;
    assert_eq!(drf.status, StatusCode::UNAUTHORIZED, "{drf:?}");
    assert!(drf.body["detail"].is_string(), "{drf:?}");
    let rgram = app
        .send(
            app.client
                .post(app.url("/api/follow-request/send"))
                .bearer_auth(token)
                .json(&json!({ "targetUserId": target })),
        )
        .await;
    assert_eq!(rgram.status, StatusCode::UNAUTHORIZED, "{rgram:?}");
    assert_eq!(rgram.body, json!({ "success": false, "message": "Authentication required" }));
    let anchor = app
        .send(
            app.client
                .post(app.url(&format!("/users/{target}/follow")))
                .bearer_auth(token)
                .json(&json!({ "action": "follow" })),
        )
        .await;
    assert_eq!(anchor.status, StatusCode::UNAUTHORIZED, "{anchor:?}");
    assert_eq!(anchor.body["success"], false, "{anchor:?}");
    assert_eq!(anchor.body["statusCode"], 401, "{anchor:?}");
    assert_eq!(anchor.body["code"], "UNAUTHORIZED", "{anchor:?}");
}

/// `header.claims.` with `alg: none`.
fn unsigned(claims: &Value, kid: &str) -> String {
    let header = json!({ "alg": "none", "typ": "JWT", "kid": kid });
    format!("{}.{}.", b64(&serde_json::to_vec(&header).unwrap()), b64(&serde_json::to_vec(claims).unwrap()))
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[usize::try_from((n >> (18 - 6 * i)) & 63).unwrap()]));
        }
    }
    out
}

#[tokio::test]
async fn jwks_keys_are_found_by_kid_each_with_its_own_algorithm() {
    let idp =
        FakeIdp::start(vec![public_jwk(RSA_A, "rsa"), public_jwk(EC_P256, "ec"), public_jwk(ED25519, "ed")]).await;
    let app = app_with_jwks(&idp, quick(Duration::ZERO)).await;

    for (key, kid) in [(RSA_A, "rsa"), (EC_P256, "ec"), (ED25519, "ed")] {
        let reply = me(&app, &sign(key, Some(kid), &claims(&format!("user_{kid}")))).await;
        assert_eq!(reply.status, StatusCode::OK, "{kid}: {reply:?}");
    }
    // No kid: each key of the set is tried, each with its own algorithm.
    assert_eq!(me(&app, &sign(EC_P256, None, &claims("no_kid"))).await.status, StatusCode::OK);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "rookery_jwt_provider_keys 3"), "{metrics}");
    assert!(metrics.contains("rookery_jwt_provider_key_age_seconds 0."), "{metrics}");

    // A kid names a key; another key's signature under it is refused.
    assert_refused_in_every_dialect(&app, &sign(RSA_B, Some("rsa"), &claims("wrong_key"))).await;
    assert_refused_in_every_dialect(&app, &sign(EC_P256, Some("rsa"), &claims("wrong_type"))).await;
}

#[tokio::test]
async fn forged_expired_and_misaddressed_provider_tokens_answer_401() {
    let idp = FakeIdp::start(vec![public_jwk(RSA_A, "rsa")]).await;
    let app = app_with_jwks(&idp, quick(Duration::ZERO)).await;
    let good = claims("victim");
    assert_eq!(me(&app, &sign(RSA_A, Some("rsa"), &good)).await.status, StatusCode::OK);

    // The classic confusion: HMAC keyed with the RSA public key's bytes, under its kid.
    let confused = |secret: &[u8]| {
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some("rsa".into());
        jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(secret)).unwrap()
    };
    assert_refused_in_every_dialect(&app, &confused(&fixture("rsa-a.pub"))).await;
    let jwk = public_jwk(RSA_A, "rsa");
    assert_refused_in_every_dialect(&app, &confused(jwk["n"].as_str().unwrap().as_bytes())).await;
    assert_refused_in_every_dialect(&app, &confused(jwk.to_string().as_bytes())).await;
    assert_refused_in_every_dialect(&app, &unsigned(&good, "rsa")).await;

    let mut expired = good.clone();
    expired["exp"] = json!(now_secs() - 120);
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("rsa"), &expired)).await;
}

#[tokio::test]
async fn a_rotation_is_followed_and_the_removed_key_stops_verifying() {
    let idp = FakeIdp::start(vec![public_jwk(RSA_A, "2024")]).await;
    let app = app_with_jwks(&idp, quick(Duration::ZERO)).await;
    let old = sign(RSA_A, Some("2024"), &claims("before"));
    assert_eq!(me(&app, &old).await.status, StatusCode::OK);

    // The provider publishes a new key and removes the old one.
    idp.publish(vec![public_jwk(RSA_B, "2025")]);
    let new = sign(RSA_B, Some("2025"), &claims("after"));
    assert_eq!(me(&app, &new).await.status, StatusCode::OK, "an unknown kid refetches the set");
    assert_eq!(me(&app, &new).await.status, StatusCode::OK);

    // Even a token verified before stops working once its key left the set.
    assert_401(&me(&app, &old).await);
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("2024"), &claims("late"))).await;
}

#[tokio::test]
async fn an_unknown_kid_storm_makes_one_fetch() {
    let idp = FakeIdp::start(vec![public_jwk(RSA_A, "known")]).await;
    idp.state.lock().unwrap().delay = Duration::from_millis(200);
    // Signed first (Ed25519 signs fast even unoptimized), so the storm is one burst.
    let tokens: Vec<String> =
        (0..40).map(|i| sign(ED25519, Some(&format!("unknown-{i}")), &claims(&format!("storm_{i}")))).collect();
    let app = app_with_jwks(&idp, quick(Duration::from_secs(3600))).await;
    idp.wait_for_fetches(1).await;
    assert_eq!(me(&app, &sign(RSA_A, Some("known"), &claims("calm"))).await.status, StatusCode::OK);

    let storm = tokens.iter().map(|token| me(&app, token));
    for reply in futures::future::join_all(storm).await {
        assert_401(&reply);
    }
    assert_eq!(idp.jwks_fetches(), 2, "the start, then one refetch for the whole storm");

    // Later unknown kids within the interval are refused without a fetch, even once
    // the provider has the key.
    idp.publish(vec![public_jwk(RSA_A, "known"), public_jwk(ED25519, "late")]);
    for attempt in 0..3 {
        let token = sign(ED25519, Some("late"), &claims(&format!("late_{attempt}")));
        assert_refused_in_every_dialect(&app, &token).await;
    }
    assert_eq!(idp.jwks_fetches(), 2);
    // Known keys are unaffected.
    assert_eq!(me(&app, &sign(RSA_A, Some("known"), &claims("still_calm"))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn keys_fetched_earlier_outlive_an_outage() {
    let idp = FakeIdp::start(vec![public_jwk(EC_P256, "ec")]).await;
    let mut timing = quick(Duration::ZERO);
    // Stale at once (max-age 0 is raised to the 50 ms floor), retried every 50 ms.
    timing.min_fresh = Duration::from_millis(50);
    timing.retry = Duration::from_millis(50);
    idp.state.lock().unwrap().cache_control = Some("public, max-age=0".into());
    let app = app_with_jwks(&idp, timing).await;
    assert_eq!(me(&app, &sign(EC_P256, Some("ec"), &claims("before"))).await.status, StatusCode::OK);

    idp.set_down(true);
    let fetched = idp.jwks_fetches();
    idp.wait_for_fetches(fetched + 3).await;
    // A token never seen before, signed by a key fetched before the outage.
    assert_eq!(me(&app, &sign(EC_P256, Some("ec"), &claims("during"))).await.status, StatusCode::OK);
    // A key that cannot be found answers 401.
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("unknown"), &claims("nobody"))).await;
    // Back, but serving an empty set (a broken cache in front of it): still the old keys.
    idp.publish(vec![]);
    idp.set_down(false);
    let fetched = idp.jwks_fetches();
    idp.wait_for_fetches(fetched + 2).await;
    assert_eq!(me(&app, &sign(EC_P256, Some("ec"), &claims("empty_set"))).await.status, StatusCode::OK);

    idp.publish(vec![public_jwk(EC_P256, "ec"), public_jwk(ED25519, "ed")]);
    // The first try may join a background refresh that began before the new set was
    // published (and so still lacks "ed"); the next one fetches again.
    let token = sign(ED25519, Some("ed"), &claims("after"));
    let mut status = me(&app, &token).await.status;
    for _ in 0..20 {
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = me(&app, &token).await.status;
    }
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn discovery_from_the_issuer_finds_the_keys_and_checks_iss_and_aud() {
    let idp = FakeIdp::start(vec![public_jwk(RSA_A, "k1")]).await;
    let issuer = idp.issuer.clone();
    let app = spawn_app_with(|s| {
        s.jwt.secret = None;
        s.jwt.issuer = Some(issuer);
        s.jwt.audience = Some("rookery-api".into());
        s.jwt.jwks_timing = quick(Duration::ZERO);
    })
    .await;
    let mut good = claims("discovered");
    good["iss"] = json!(idp.issuer);
    good["aud"] = json!("rookery-api");
    assert_eq!(me(&app, &sign(RSA_A, Some("k1"), &good)).await.status, StatusCode::OK);
    assert_eq!(idp.state.lock().unwrap().discovery_fetches, 1);

    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("https://evil.example");
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("k1"), &wrong_iss)).await;
    let mut no_iss = good.clone();
    no_iss.as_object_mut().unwrap().remove("iss");
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("k1"), &no_iss)).await;
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("someone-else");
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("k1"), &wrong_aud)).await;
    let mut no_aud = good;
    no_aud.as_object_mut().unwrap().remove("aud");
    assert_refused_in_every_dialect(&app, &sign(RSA_A, Some("k1"), &no_aud)).await;
}

#[tokio::test]
async fn subjects_that_are_not_uuids_map_to_stable_accounts() {
    let idp = FakeIdp::start(vec![public_jwk(RSA_A, "k1")]).await;
    let issuer = idp.issuer.clone();
    let app = spawn_app_with(|s| {
        s.jwt.secret = None;
        s.jwt.issuer = Some(issuer);
        s.jwt.subject = SubjectMode::Map;
        s.jwt.jwks_timing = quick(Duration::ZERO);
    })
    .await;
    let token = |sub: &str, username: &str| {
        let claims =
            json!({ "sub": sub, "iss": idp.issuer, "exp": now_secs() + 600, "nickname": "x", "username": username });
        sign(RSA_A, Some("k1"), &claims)
    };
    // The documented mapping: uuid5(uuid5(NAMESPACE_URL, iss), sub).
    let expected = |sub: &str| Uuid::new_v5(&Uuid::new_v5(&Uuid::NAMESPACE_URL, idp.issuer.as_bytes()), sub.as_bytes());

    let auth0 = me(&app, &token("auth0|5f7c8ec7c33c6c004bbafe82", "ada")).await;
    assert_eq!(auth0.status, StatusCode::OK, "{auth0:?}");
    assert_eq!(auth0.data()["user_id"], expected("auth0|5f7c8ec7c33c6c004bbafe82").to_string());
    assert_eq!(auth0.data()["username"], "ada");
    let again = me(&app, &token("auth0|5f7c8ec7c33c6c004bbafe82", "ada")).await;
    assert_eq!(again.data()["user_id"], auth0.data()["user_id"], "the same subject is the same account");

    let firebase = me(&app, &token("kXq3vGZ1pTbY9cN2mR7wLs4hJd81", "grace")).await;
    assert_eq!(firebase.status, StatusCode::OK, "{firebase:?}");
    let grace = firebase.data()["user_id"].as_str().unwrap().to_owned();
    assert_eq!(grace, expected("kXq3vGZ1pTbY9cN2mR7wLs4hJd81").to_string());

    // Mapped accounts are accounts like any other.
    let follow = app
        .send(
            app.client
                .post(app.community("/follow"))
                .bearer_auth(token("auth0|5f7c8ec7c33c6c004bbafe82", "ada"))
                .json(&json!({ "user_id": grace })),
        )
        .await;
    assert_eq!(follow.status, StatusCode::OK, "{follow:?}");
    assert_refused_in_every_dialect(&app, &token("", "empty")).await;
}

#[tokio::test]
async fn several_static_keys_are_each_found_by_kid() {
    let bundle = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bundle.path(), [fixture("rsa-b.pub"), fixture("ed25519.pub")].concat()).unwrap();
    let files = vec![fixture_path("rsa-a.pub"), fixture_path("ec-p256.pub"), bundle.path().to_owned()];
    let app = spawn_app_with(move |s| {
        s.jwt.secret = None;
        s.jwt.public_key = files;
    })
    .await;
    // A file holding one key is named by its file name.
    assert_eq!(me(&app, &sign(RSA_A, Some("rsa-a"), &claims("a"))).await.status, StatusCode::OK);
    assert_eq!(me(&app, &sign(EC_P256, Some("ec-p256"), &claims("e"))).await.status, StatusCode::OK);
    // Without a kid, or with one no file carries, every key is tried with its algorithm.
    assert_eq!(me(&app, &sign(RSA_B, None, &claims("b"))).await.status, StatusCode::OK);
    assert_eq!(me(&app, &sign(ED25519, Some("2025-06"), &claims("d"))).await.status, StatusCode::OK);

    // A kid naming one key refuses another's signature; forgeries stay forgeries.
    assert_refused_in_every_dialect(&app, &sign(RSA_B, Some("rsa-a"), &claims("x"))).await;
    let confused = app.token_with(Algorithm::HS256, &claims("y"), &EncodingKey::from_secret(&fixture("rsa-a.pub")));
    assert_refused_in_every_dialect(&app, &confused).await;
    assert_refused_in_every_dialect(&app, &unsigned(&claims("z"), "rsa-a")).await;
}

/// Runs a `rookery` command line off the async runtime (the commands block).
async fn rookery(args: Vec<String>) {
    use clap::Parser;
    let cli = rookery::cli::Cli::try_parse_from(std::iter::once("rookery".to_owned()).chain(args)).unwrap();
    let code = tokio::task::spawn_blocking(move || rookery::cli::run(cli)).await.unwrap().unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}

#[tokio::test]
async fn mapped_subjects_name_the_same_accounts_after_export_and_import() {
    let idp = FakeIdp::start(vec![public_jwk(RSA_A, "k1")]).await;
    let mapped = |issuer: String| {
        move |s: &mut rookery::Settings| {
            s.jwt.secret = None;
            s.jwt.issuer = Some(issuer);
            s.jwt.subject = SubjectMode::Map;
            s.jwt.jwks_timing = quick(Duration::ZERO);
        }
    };
    let token = |sub: &str| {
        let claims =
            json!({ "sub": sub, "iss": idp.issuer, "exp": now_secs() + 600, "username": sub.replace('|', "_") });
        sign(RSA_A, Some("k1"), &claims)
    };
    let source = spawn_app_with(mapped(idp.issuer.clone())).await;
    let grace = me(&source, &token("firebase-uid-0000000000000001")).await.data()["user_id"].clone();
    let follow = source
        .send(
            source
                .client
                .post(source.community("/follow"))
                .bearer_auth(token("auth0|ada"))
                .json(&json!({ "user_id": grace })),
        )
        .await;
    assert_eq!(follow.status, StatusCode::OK, "{follow:?}");

    let dump = tempfile::NamedTempFile::new().unwrap();
    let path = dump.path().display().to_string();
    rookery(vec![
        "export".into(),
        "--output".into(),
        path.clone(),
        "--database-url".into(),
        source.database_url.clone(),
    ])
    .await;
    let (_target_db, target_url) = rookery_tests::TestDatabase::create();
    let url = target_url.clone();
    let issuer = idp.issuer.clone();
    let target = spawn_app_with(move |s| {
        mapped(issuer)(s);
        s.database.url = url;
    })
    .await;
    rookery(vec!["import".into(), path, "--database-url".into(), target_url]).await;

    // The same subjects name the same accounts, with their follows.
    let ada = me(&target, &token("auth0|ada")).await;
    assert_eq!(ada.status, StatusCode::OK, "{ada:?}");
    assert_eq!(ada.data()["username"], "auth0_ada");
    assert_eq!(ada.data()["following_count"], 1);
    let grace_again = me(&target, &token("firebase-uid-0000000000000001")).await;
    assert_eq!(grace_again.data()["user_id"], grace);
    assert_eq!(grace_again.data()["followers_count"], 1);
}
