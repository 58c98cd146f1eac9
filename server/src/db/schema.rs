//! Tables of both backends; the migrations in migrations/ create them.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        token_version -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    contents (id) {
        id -> BigInt,
        size -> BigInt,
        chunk_size -> BigInt,
        sha256 -> Text,
        wrapped_key -> Binary,
        created_at -> BigInt,
        has_thumbnail -> Bool,
    }
}

diesel::table! {
    entries (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        is_folder -> Bool,
        owner_id -> Nullable<BigInt>,
        size -> BigInt,
        mime_type -> Text,
        content_id -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        visibility -> Integer,
        trashed_at -> Nullable<BigInt>,
        trashed_by -> Nullable<BigInt>,
        trashed_path -> Nullable<Text>,
    }
}

diesel::table! {
    shares (entry_id, user_id) {
        entry_id -> BigInt,
        user_id -> BigInt,
        can_write -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    links (id) {
        id -> Text,
        entry_id -> BigInt,
        content_id -> Nullable<BigInt>,
        created_by -> BigInt,
        password_hash -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
        max_downloads -> Nullable<BigInt>,
        downloads -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    upload_sessions (id) {
        id -> Text,
        owner_id -> BigInt,
        parent_id -> BigInt,
        name -> Text,
        content_id -> BigInt,
        conflict_policy -> Integer,
        mime_type -> Text,
        expires_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    chunks (content_id, chunk_index) {
        content_id -> BigInt,
        chunk_index -> BigInt,
        locator -> Text,
        sealed_size -> BigInt,
        seal_id -> Nullable<Text>,
    }
}

diesel::table! {
    purge_queue (content_id) {
        content_id -> BigInt,
        queued_at -> BigInt,
    }
}

diesel::table! {
    orphan_chunks (locator) {
        locator -> Text,
        queued_at -> BigInt,
    }
}

diesel::table! {
    thumbnails (content_id) {
        content_id -> BigInt,
        mime_type -> Text,
        width -> Integer,
        height -> Integer,
        data -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    thumbnail_jobs (content_id) {
        content_id -> BigInt,
        mime_type -> Text,
        queued_at -> BigInt,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        attempts -> Integer,
    }
}

diesel::table! {
    ownership_offers (entry_id) {
        entry_id -> BigInt,
        from_user -> BigInt,
        to_user -> BigInt,
        drop_shares -> Bool,
        keep_share_for_previous_owner -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    manager_leases (id) {
        id -> Text,
        renewed_at -> BigInt,
    }
}

diesel::table! {
    bootstrap (id) {
        id -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    quotas (user_id) {
        user_id -> BigInt,
        max_bytes -> Nullable<BigInt>,
        max_entries -> Nullable<BigInt>,
        max_upload_sessions -> Nullable<BigInt>,
    }
}

diesel::table! {
    data_migrations (name) {
        name -> Text,
        applied_at -> BigInt,
    }
}

diesel::joinable!(entries -> users (owner_id));
diesel::table! {
    packages (seq) {
        seq -> BigInt,
        package_id -> Text,
        premium -> Bool,
        step -> Text,
        errored -> Bool,
        error_code -> Nullable<Text>,
        source_kind -> Text,
        source_link -> Nullable<Text>,
        standard_total_when_joined -> BigInt,
        premium_total_when_joined -> BigInt,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        attempts -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
        owner_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    package_chunks (package_id, chunk_index) {
        package_id -> Text,
        chunk_index -> BigInt,
        locator -> Text,
        plain_size -> BigInt,
    }
}

diesel::table! {
    package_results (package_id) {
        package_id -> Text,
        iv -> Text,
        data -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    discord_lookups (kind, lookup_id) {
        kind -> Text,
        lookup_id -> Text,
        payload -> Text,
        fetched_at -> BigInt,
    }
}

diesel::table! {
    ssh_keys (id) {
        id -> BigInt,
        user_id -> BigInt,
        fingerprint -> Text,
        algorithm -> Text,
        public_key -> Text,
        comment -> Text,
        created_at_ms -> BigInt,
    }
}

diesel::table! {
    app_passwords (id) {
        id -> BigInt,
        user_id -> BigInt,
        label -> Text,
        secret_sha256 -> Text,
        created_at_ms -> BigInt,
        last_used_at_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    entry_properties (entry_id, namespace, name) {
        entry_id -> BigInt,
        namespace -> Text,
        name -> Text,
        value -> Binary,
    }
}

diesel::table! {
    locks (id) {
        id -> BigInt,
        token -> Text,
        path -> Text,
        owner_id -> BigInt,
        owner_xml -> Text,
        shared -> Bool,
        deep -> Bool,
        timeout_seconds -> BigInt,
        expires_at_ms -> BigInt,
        created_at_ms -> BigInt,
    }
}

diesel::joinable!(entries -> contents (content_id));
diesel::joinable!(upload_sessions -> contents (content_id));
diesel::joinable!(shares -> users (user_id));
diesel::joinable!(shares -> entries (entry_id));
diesel::joinable!(links -> entries (entry_id));
diesel::joinable!(ssh_keys -> users (user_id));
diesel::joinable!(app_passwords -> users (user_id));
diesel::joinable!(entry_properties -> entries (entry_id));
diesel::joinable!(locks -> users (owner_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    contents,
    entries,
    upload_sessions,
    chunks,
    purge_queue,
    orphan_chunks,
    shares,
    links,
    thumbnails,
    thumbnail_jobs,
    ownership_offers,
    manager_leases,
    bootstrap,
    quotas,
    data_migrations,
    packages,
    package_chunks,
    package_results,
    discord_lookups,
    ssh_keys,
    app_passwords,
    entry_properties,
    locks,
);
