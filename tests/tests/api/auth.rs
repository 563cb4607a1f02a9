//! Tokens: what is accepted, what answers 401, and provisioning on first use.

use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::StatusCode;
use rookery_tests::{TestApp, TestUser, now_secs, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

const INVALID: &str = "Invalid or expired token";

async fn profile_with(app: &TestApp, token: &str) -> rookery_tests::Reply {
    app.send(app.client.get(app.community("/profiles/me")).bearer_auth(token)).await
}

fn assert_401(reply: &rookery_tests::Reply, message: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert_eq!(reply.body, json!({ "status": "error", "success": false, "message": message, "status_code": 401 }));
}

fn b64(value: &Value) -> String {
    use std::fmt::Write;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = serde_json::to_vec(value).unwrap();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            write!(out, "{}", char::from(ALPHABET[usize::try_from((n >> (18 - 6 * i)) & 63).unwrap()])).unwrap();
        }
    }
    out
}

#[tokio::test]
async fn missing_and_malformed_headers() {
    let app = spawn_app().await;
    let none = app.send(app.client.get(app.community("/profiles/me"))).await;
    assert_401(&none, "Authentication required");
    let basic = app.send(app.client.get(app.community("/profiles/me")).header("Authorization", "Basic YTpi")).await;
    assert_401(&basic, INVALID);
    let bare = app.send(app.client.get(app.community("/profiles/me")).header("Authorization", "Bearer")).await;
    assert_401(&bare, INVALID);
    let garbage = app.send(app.client.get(app.community("/profiles/me")).bearer_auth("not.a.jwt")).await;
    assert_401(&garbage, INVALID);
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_answer_401() {
    let app = spawn_app().await;
    let id = Uuid::now_v7();
    let good = TestApp::claims(id, "alice");

    let alg_none = format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&good));
    assert_401(&profile_with(&app, &alg_none).await, INVALID);

    let foreign = app.token_with(Algorithm::HS256, &good, &EncodingKey::from_secret(b"someone else's secret"));
    assert_401(&profile_with(&app, &foreign).await, INVALID);

    let hs384 = app.token_with(Algorithm::HS384, &good, &EncodingKey::from_secret(b"x"));
    assert_401(&profile_with(&app, &hs384).await, INVALID);

    let mut expired = good.clone();
    expired["exp"] = json!(now_secs() - 120);
    assert_401(&profile_with(&app, &app.token(&expired)).await, INVALID);

    let mut future = good.clone();
    future["nbf"] = json!(now_secs() + 600);
    assert_401(&profile_with(&app, &app.token(&future)).await, INVALID);

    let mut not_uuid = good.clone();
    not_uuid["sub"] = json!("12345");
    assert_401(&profile_with(&app, &app.token(&not_uuid)).await, INVALID);

    let mut no_sub = good.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    assert_401(&profile_with(&app, &app.token(&no_sub)).await, INVALID);

    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_401(&profile_with(&app, &app.token(&no_exp)).await, INVALID);

    // Within the 30 s leeway a just-expired token still works.
    let mut leeway = good;
    leeway["exp"] = json!(now_secs() - 10);
    assert_eq!(profile_with(&app, &app.token(&leeway)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_subjects_are_provisioned_from_their_claims() {
    let app = spawn_app().await;
    let id = Uuid::now_v7();
    let claims = json!({ "sub": id, "exp": now_secs() + 60, "preferred_username": "Carol.K", "name": "Carol King" });
    let reply = profile_with(&app, &app.token(&claims)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.data()["user_id"], id.to_string());
    assert_eq!(reply.data()["username"], "Carol.K");
    assert_eq!(reply.data()["full_name"], "Carol King");

    // The same username claimed by another subject gets a suffix, not an error.
    let twin = Uuid::now_v7();
    let claims = json!({ "sub": twin, "exp": now_secs() + 60, "username": "carol.k" });
    let reply = profile_with(&app, &app.token(&claims)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let name = reply.data()["username"].as_str().unwrap();
    assert!(name.starts_with("carol.k_"), "{name}");

    // No username claim at all.
    let anonymous = json!({ "sub": Uuid::now_v7(), "exp": now_secs() + 60 });
    let reply = profile_with(&app, &app.token(&anonymous)).await;
    assert!(reply.data()["username"].as_str().unwrap().starts_with("user_"));
}

#[tokio::test]
async fn an_unknown_subjects_first_request_can_be_a_follow() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let id = Uuid::now_v7();
    let carol = TestUser { id, username: "carol".into(), token: app.token(&TestApp::claims(id, "carol")) };
    // Carol never called: the follow's try is refused (no account yet), and the read
    // after it provisions her account from the token and follows.
    assert_eq!(app.follow(&carol, &alice).await.status, StatusCode::OK);
    assert_eq!(app.counts(&alice).await, (1, 0));
    assert_eq!(app.counts(&carol).await, (0, 1));
    assert_eq!(app.profile(&carol, &carol).await["username"], "carol");
}

#[tokio::test]
async fn a_provisioned_account_can_be_followed_by_id() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = TestUser { id: Uuid::now_v7(), username: "bob".into(), token: String::new() };
    // Bob never called: he does not exist yet.
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::NOT_FOUND);
    let bob = app.user("bob").await;
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_rs256_deployment_refuses_hs256_tokens_signed_with_its_public_key() {
    let public = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fcm-test-service-account.pub");
    let app = rookery_tests::spawn_app_with(|s| {
        s.jwt.secret = None;
        s.jwt.public_key = vec![public.into()];
    })
    .await;
    let private = include_bytes!("../../fixtures/fcm-test-service-account.key");
    let claims = TestApp::claims(Uuid::now_v7(), "rsa_user");

    let good = app.token_with(Algorithm::RS256, &claims, &EncodingKey::from_rsa_pem(private).unwrap());
    assert_eq!(profile_with(&app, &good).await.status, StatusCode::OK);

    // The classic confusion: HMAC keyed with the public key's PEM.
    let pem = include_bytes!("../../fixtures/fcm-test-service-account.pub");
    let confused = app.token_with(Algorithm::HS256, &claims, &EncodingKey::from_secret(pem));
    assert_401(&profile_with(&app, &confused).await, INVALID);
    let alg_none = format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&claims));
    assert_401(&profile_with(&app, &alg_none).await, INVALID);
    let ps256 = app.token_with(Algorithm::PS256, &claims, &EncodingKey::from_rsa_pem(private).unwrap());
    assert_401(&profile_with(&app, &ps256).await, INVALID);
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let app = rookery_tests::spawn_app_with(|s| {
        s.jwt.issuer = Some("https://id.example".into());
        s.jwt.audience = Some("rookery".into());
    })
    .await;
    let mut claims = TestApp::claims(Uuid::now_v7(), "aud_user");
    assert_401(&profile_with(&app, &app.token(&claims)).await, INVALID);
    claims["iss"] = json!("https://id.example");
    claims["aud"] = json!("someone-else");
    assert_401(&profile_with(&app, &app.token(&claims)).await, INVALID);
    claims["aud"] = json!("rookery");
    assert_eq!(profile_with(&app, &app.token(&claims)).await.status, StatusCode::OK);
}
