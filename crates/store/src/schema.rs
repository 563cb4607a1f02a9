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

    suggestion_dismissals (viewer_id, dismissed_id) {
        viewer_id -> Uuid,
        dismissed_id -> Uuid,
        created_at -> Instant,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    follows,
    follow_requests,
    blocks,
    notifications,
    devices,
    push_outbox,
    follow_quota,
    suggestion_dismissals
);
