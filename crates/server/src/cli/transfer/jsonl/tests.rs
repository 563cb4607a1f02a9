use chrono::DateTime;
use rookery_domain::{
    AccountId, Audience, Delivery, DeliveryStatus, GraphPrivacy, NotificationId, NotificationKind, RequestFate,
    RequestId, RequestStatus, Timestamp, Username, Webhook,
};
use rookery_store::maintenance::{
    AccountRecord, BlockRecord, DeliveryRecord, DeviceRecord, DismissalRecord, FollowRecord, MuteRecord,
    NotificationRecord, PushRecord, QuotaRecord, Record, RequestRecord, WebhookRecord,
};
use uuid::Uuid;

use super::{parse, write};

fn now() -> Timestamp {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn at(micros: i64) -> Timestamp {
    DateTime::from_timestamp_micros(micros).unwrap()
}

fn round_trip(record: &Record) -> String {
    let mut out = Vec::new();
    write(&mut out, record).unwrap();
    assert_eq!(out.last(), Some(&b'\n'));
    let text = String::from_utf8(out).unwrap();
    assert_eq!(&parse(text.trim_end().as_bytes(), now()).unwrap(), record, "{text}");
    text
}

#[test]
fn every_record_reads_back_the_same() {
    let (a, b) = (AccountId::from_uuid(Uuid::now_v7()), AccountId::from_uuid(Uuid::now_v7()));
    let records = [
        Record::Account(AccountRecord {
            id: a,
            username: Username::parse("Ada.L").unwrap(),
            full_name: Some("Ada \"L\" Lovelace".into()),
            bio: None,
            profile_image_url: Some("https://example.com/a.png".into()),
            banner_image_url: None,
            is_private: true,
            is_verified: false,
            privacy: GraphPrivacy {
                followers: Audience::Followers,
                following: Audience::OnlySelf,
                counts_visible: false,
            },
            posts_count: 7,
            created_at: at(1_700_000_000_123_456),
            updated_at: at(1_700_000_100_000_000),
            deleted_at: Some(at(1_700_000_200_000_001)),
        }),
        Record::Block(BlockRecord { blocker_id: a, blocked_id: b, reason: Some("spam".into()), created_at: now() }),
        Record::Follow(FollowRecord { follower_id: a, followee_id: b, created_at: now() }),
        Record::Request(RequestRecord {
            id: RequestId::from_uuid(Uuid::now_v7()),
            requester_id: a,
            target_id: b,
            status: RequestStatus::Declined,
            created_at: now(),
            updated_at: Some(at(1_700_000_000_000_001)),
        }),
        Record::Notification(NotificationRecord {
            id: NotificationId::from_uuid(Uuid::now_v7()),
            recipient_id: b,
            actor_id: a,
            kind: NotificationKind::FollowRequestAccepted,
            created_at: now(),
            read_at: None,
            request_id: None,
            request_status: None,
        }),
        Record::Notification(NotificationRecord {
            id: NotificationId::from_uuid(Uuid::now_v7()),
            recipient_id: b,
            actor_id: a,
            kind: NotificationKind::FollowRequest,
            created_at: now(),
            read_at: Some(now()),
            request_id: Some(RequestId::from_uuid(Uuid::now_v7())),
            request_status: Some(RequestFate::Cancelled),
        }),
        Record::Device(DeviceRecord {
            token: "tok:en-1_x".into(),
            account_id: a,
            platform: "ios".into(),
            created_at: now(),
            updated_at: now(),
        }),
        Record::Push(PushRecord {
            notification_id: Uuid::now_v7(),
            device_token: "tok:en-1_x".into(),
            attempts: 2,
            next_attempt_at: now(),
            created_at: now(),
        }),
        Record::Quota(QuotaRecord { account_id: a, window_start: now(), used: 3 }),
        Record::Mute(MuteRecord {
            muter_id: a,
            muted_id: b,
            notifications: false,
            expires_at: Some(at(1_700_000_300_000_000)),
            created_at: now(),
        }),
        Record::Dismissal(DismissalRecord { viewer_id: a, dismissed_id: b, created_at: now() }),
        Record::Webhook(WebhookRecord {
            webhook: Webhook {
                id: Uuid::now_v7(),
                url: "https://hooks.example/r?x=\"1\"".into(),
                events: vec!["follow.created".into(), "block.created".into()],
                description: Some("backend".into()),
                secret: "whsec_c2VjcmV0".into(),
                enabled: false,
                created_at: now(),
                updated_at: at(1_700_000_000_000_001),
            },
            consecutive_failures: 3,
        }),
        Record::Delivery(DeliveryRecord {
            delivery: Delivery {
                id: Uuid::now_v7(),
                webhook_id: Uuid::now_v7(),
                event_id: Uuid::now_v7(),
                event_type: "follow.created".into(),
                status: DeliveryStatus::Failed,
                attempts: 8,
                last_status_code: Some(503),
                last_error: Some("503 Service Unavailable".into()),
                next_attempt_at: None,
                delivered_at: None,
                created_at: now(),
            },
            payload: r#"{"id":"x","type":"follow.created","data":{"a":"\u00e9"}}"#.into(),
        }),
    ];
    for record in &records {
        round_trip(record);
    }
    let follow = round_trip(&records[2]);
    assert!(follow.starts_with(r#"{"type":"follow","follower_id":""#), "{follow}");
    assert!(follow.ends_with("\"created_at\":\"2023-11-14T22:13:20Z\"}\n"), "{follow}");
    // A file from before list audiences existed reads as everything visible.
    let old = format!(r#"{{"type":"account","id":"{a}","username":"ada","created_at":"2023-11-14T22:13:20Z"}}"#);
    let Ok(Record::Account(account)) = parse(old.as_bytes(), now()) else { panic!("{old}") };
    assert_eq!(account.privacy, GraphPrivacy::default());
    // A notification without a request writes neither field, and reads back as none.
    let plain = round_trip(&records[4]);
    assert!(!plain.contains("\"request_id\"") && !plain.contains("\"request_status\""), "{plain}");
    let answered = round_trip(&records[5]);
    assert!(answered.contains(r#","request_status":"cancelled"}"#), "{answered}");
}

#[test]
fn bad_lines_say_why() {
    let id = Uuid::now_v7();
    let cases: [(&str, &str); 12] = [
        ("{not json", "bad JSON"),
        (r#"{"type":"post"}"#, "unknown type"),
        (r#"{"type":"account","username":"x"}"#, "missing field"),
        (r#"{"type":"account","id":"nope","username":"x"}"#, "bad UUID"),
        (&format!(r#"{{"type":"account","id":"{id}","username":"no spaces"}}"#), "invalid username"),
        (&format!(r#"{{"type":"account","id":"{id}","username":"x","created_at":"yesterday"}}"#), "bad timestamp"),
        (&format!(r#"{{"type":"follow","follower_id":"{id}","followee_id":"{id}"}}"#), "self-follow"),
        (r#"{"type":"follow","follower_id":"x"}"#, "bad UUID"),
        (
            &format!(
                r#"{{"type":"follow_request","id":"{id}","requester_id":"{}","target_id":"{}","status":"maybe"}}"#,
                Uuid::now_v7(),
                Uuid::now_v7()
            ),
            "bad value",
        ),
        (&format!(r#"{{"type":"device","token":"t","account_id":"{id}","platform":"palm"}}"#), "bad value"),
        (
            &format!(r#"{{"type":"webhook","id":"{id}","url":"https://h.example","events":["a,b"],"secret":"s"}}"#),
            "bad value",
        ),
        (
            &format!(
                r#"{{"type":"webhook_delivery","id":"{id}","webhook_id":"{id}","event_id":"{id}","event_type":"follow.created","payload":"{{}}"}}"#
            ),
            "missing field",
        ),
    ];
    for (line, category) in cases {
        let error = parse(line.as_bytes(), now()).unwrap_err();
        assert_eq!(error.category(), category, "{line}: {error}");
    }
}

#[test]
fn an_endpoint_that_could_never_be_delivered_to_is_refused() {
    let id = Uuid::now_v7();
    let line = |url: &str, secret: &str| {
        format!(r#"{{"type":"webhook","id":"{id}","url":"{url}","events":["*"],"secret":"{secret}"}}"#)
    };
    let good = "whsec_c2VjcmV0";
    assert!(parse(line("https://h.example/in", good).as_bytes(), now()).is_ok());
    let bad_url = parse(line("ftp://h.example/in", good).as_bytes(), now()).unwrap_err();
    assert_eq!(bad_url.to_string(), r#"url "ftp://h.example/in" is not valid"#);
    for secret in ["c2VjcmV0", "whsec_not base64!"] {
        let error = parse(line("https://h.example/in", secret).as_bytes(), now()).unwrap_err();
        assert_eq!(error.category(), "bad value");
        assert!(!error.to_string().contains(secret), "the secret is never echoed: {error}");
    }
}

#[test]
fn defaults_fill_optional_fields() {
    let id = Uuid::now_v7();
    let line = format!(r#"{{"type":"account","id":"{id}","username":"@bob","extra":1}}"#);
    let Record::Account(record) = parse(line.as_bytes(), now()).unwrap() else { panic!("not an account") };
    assert_eq!(record.username.as_str(), "bob");
    assert_eq!((record.created_at, record.updated_at, record.deleted_at), (now(), now(), None));
    assert!(!record.is_private && record.posts_count == 0 && record.full_name.is_none());
}
