//! The tables, as the migrations of both backends create them.

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    accounts (id) {
        id -> Uuid,
        username -> Text,
        username_key -> Text,
        full_name -> Nullable<Text>,
        bio -> Nullable<Text>,
        profile_image_url -> Nullable<Text>,
        banner_image_url -> Nullable<Text>,
        is_private -> Bool,
        is_verified -> Bool,
        posts_count -> BigInt,
        followers_count -> BigInt,
        following_count -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        deleted_at -> Nullable<Instant>,
        graph_privacy -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    follows (follower_id, followee_id) {
        follower_id -> Uuid,
        followee_id -> Uuid,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    follow_requests (id) {
        id -> Uuid,
        requester_id -> Uuid,
        target_id -> Uuid,
        status -> Text,
        created_at -> Instant,
        updated_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    blocks (blocker_id, blocked_id) {
        blocker_id -> Uuid,
        blocked_id -> Uuid,
        reason -> Nullable<Text>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    notifications (id) {
        id -> Uuid,
        recipient_id -> Uuid,
        actor_id -> Uuid,
        kind -> Text,
        created_at -> Instant,
        read_at -> Nullable<Instant>,
        request_id -> Nullable<Uuid>,
        request_status -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    devices (token) {
        token -> Text,
        account_id -> Uuid,
        platform -> Text,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    push_outbox (notification_id, device_token) {
        notification_id -> Uuid,
        device_token -> Text,
        attempts -> Integer,
        next_attempt_at -> Instant,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    follow_quota (account_id) {
        account_id -> Uuid,
        window_start -> Instant,
        used -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    mutes (muter_id, muted_id) {
        muter_id -> Uuid,
        muted_id -> Uuid,
        notifications -> Bool,
        expires_at -> Nullable<Instant>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    account_words (word, account_id) {
        word -> Text,
        account_id -> Uuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    idempotency_keys (account_id, key) {
        account_id -> Uuid,
        key -> Text,
        method -> Text,
        path -> Text,
        body_hash -> Text,
        status -> Nullable<Integer>,
        body -> Nullable<Binary>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    suggestion_dismissals (viewer_id, dismissed_id) {
        viewer_id -> Uuid,
        dismissed_id -> Uuid,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    /// The follows whose reverse edge exists, copies of their `follows` rows, kept by
    /// the database's triggers (migration `mutual_follows`); nothing writes it directly.
    mutual_follows (follower_id, followee_id) {
        follower_id -> Uuid,
        followee_id -> Uuid,
        created_at -> Instant,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    follows,
    mutual_follows,
    follow_requests,
    blocks,
    notifications,
    devices,
    push_outbox,
    follow_quota,
    mutes,
    account_words,
    idempotency_keys,
    suggestion_dismissals
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    events (seq) {
        seq -> BigInt,
        tx -> BigInt,
        id -> Uuid,
        kind -> Text,
        data -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    event_retention (id) {
        id -> Integer,
        pruned_tx -> BigInt,
        pruned_seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    webhooks (id) {
        id -> Uuid,
        url -> Text,
        events -> Text,
        description -> Nullable<Text>,
        secret -> Text,
        enabled -> Bool,
        consecutive_failures -> Integer,
        cursor_tx -> BigInt,
        cursor_seq -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Instant, Uuid};

    webhook_deliveries (id) {
        id -> Uuid,
        webhook_id -> Uuid,
        event_id -> Uuid,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Nullable<Instant>,
        leased_until -> Nullable<Instant>,
        delivered_at -> Nullable<Instant>,
        created_at -> Instant,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);
