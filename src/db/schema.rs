//! The schema, hand-kept in types both backends share: ids are UUID text, timestamps are
//! UTC `Timestamp`s, JSON documents are text.

diesel::table! {
    units (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        search_text -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        path -> Text,
        depth -> Integer,
        agency_code -> Nullable<Text>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        successor_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    agencies (id) {
        id -> Text,
        unit_id -> Text,
        code -> Text,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        role -> Text,
        unit_id -> Nullable<Text>,
        full_name -> Text,
        search_text -> Text,
        password_hash -> Text,
        citizen_id -> Nullable<Text>,
        tax_code -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tokens_valid_after -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    procedures (id) {
        id -> Text,
        code -> Text,
        current_version_id -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    procedure_versions (id) {
        id -> Text,
        procedure_id -> Text,
        version -> Integer,
        code -> Text,
        name -> Text,
        field -> Text,
        field_key -> Text,
        levels -> Text,
        agency -> Text,
        processing_days -> Nullable<Double>,
        time_unit -> Text,
        channel_days -> Text,
        processing_note -> Nullable<Text>,
        fees -> Text,
        required_documents -> Text,
        online_level -> Text,
        supplement_policy -> Text,
        search_text -> Text,
        source -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    procedure_steps (id) {
        id -> Text,
        version_id -> Text,
        position -> Integer,
        name -> Text,
        role -> Text,
        unit_level -> Text,
        share_percent -> Integer,
    }
}

diesel::table! {
    catalogue_revision (id) {
        id -> Integer,
        revision -> BigInt,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        kind -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossiers (id) {
        id -> Text,
        code -> Text,
        procedure_version_id -> Text,
        procedure_code -> Text,
        unit_id -> Text,
        holder_unit_id -> Text,
        channel -> Text,
        state -> Text,
        version -> Integer,
        applicant_user_id -> Nullable<Text>,
        applicant_name -> Text,
        applicant_id_number -> Nullable<Text>,
        applicant_phone -> Nullable<Text>,
        applicant_address -> Nullable<Text>,
        search_text -> Text,
        documents -> Text,
        current_step -> Nullable<Integer>,
        assignee_id -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        received_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        paused_since -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        returned_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        step_started_at -> Nullable<Timestamp>,
        step_due_at -> Nullable<Timestamp>,
        supplement_count -> Integer,
        payment_channel -> Nullable<Text>,
        paid_at -> Nullable<Timestamp>,
        new_appointment_at -> Nullable<Timestamp>,
        return_channel -> Nullable<Text>,
        documents_digitised -> Bool,
        result_electronic -> Bool,
        fee_vnd -> Nullable<BigInt>,
        receiving_unit_id -> Nullable<Text>,
        document_quantities -> Nullable<Text>,
    }
}

diesel::table! {
    dossier_documents (id) {
        id -> Text,
        dossier_id -> Text,
        kind -> Text,
        required_index -> Nullable<Integer>,
        filename -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        digitised -> Bool,
        uploaded_by -> Nullable<Text>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    dossier_events (id) {
        id -> Text,
        dossier_id -> Text,
        seq -> Integer,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        unit_id -> Nullable<Text>,
        at -> Timestamp,
        note -> Nullable<Text>,
        due_at -> Nullable<Timestamp>,
        step -> Nullable<Integer>,
        step_due_at -> Nullable<Timestamp>,
        holder_unit_id -> Nullable<Text>,
    }
}

diesel::table! {
    dossier_sequences (prefix, day) {
        prefix -> Text,
        day -> Date,
        last -> Integer,
    }
}

diesel::table! {
    dossier_ratings (dossier_id) {
        dossier_id -> Text,
        rating -> Text,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    working_hours (unit_id) {
        unit_id -> Text,
        sessions -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stat_buckets (grain, unit_id, bucket, procedure_version_id) {
        grain -> SmallInt,
        unit_id -> Text,
        bucket -> Integer,
        procedure_version_id -> Text,
        new_all -> BigInt,
        new_online -> BigInt,
        new_desk -> BigInt,
        new_post -> BigInt,
        early -> BigInt,
        on_time -> BigInt,
        late -> BigInt,
        withdrawn -> BigInt,
        rejected -> BigInt,
        stopped -> BigInt,
        digitised -> BigInt,
        fully_online -> BigInt,
        result_electronic -> BigInt,
        paid -> BigInt,
        paid_online -> BigInt,
        rated -> BigInt,
        satisfied -> BigInt,
        open_change -> BigInt,
        overdue_change -> BigInt,
    }
}

diesel::table! {
    stat_folds (dossier_id) {
        dossier_id -> Text,
        parts -> Text,
    }
}

diesel::table! {
    stat_dirty (id) {
        id -> BigInt,
        dossier_id -> Text,
        unit_id -> Text,
    }
}

diesel::table! {
    access_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        action -> Text,
        dossier_id -> Text,
        document_id -> Nullable<Text>,
    }
}

diesel::joinable!(agencies -> units (unit_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(procedure_steps -> procedure_versions (version_id));

diesel::table! {
    form_once (user_id, token) {
        user_id -> Text,
        token -> Text,
        status -> Nullable<Integer>,
        location -> Nullable<Text>,
        content_type -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    units,
    agencies,
    users,
    refresh_tokens,
    procedures,
    procedure_versions,
    procedure_steps,
    catalogue_revision,
    calendar_days,
    dossiers,
    dossier_events,
    dossier_sequences,
    dossier_ratings,
    dossier_documents,
    working_hours,
    stat_buckets,
    stat_folds,
    stat_dirty,
    access_log,
);

/// Every table and its columns, for the test that keeps both backends' migrations in step.
pub const TABLES: &[&str] = &[
    "units",
    "agencies",
    "users",
    "refresh_tokens",
    "procedures",
    "procedure_versions",
    "procedure_steps",
    "catalogue_revision",
    "calendar_days",
    "dossiers",
    "dossier_events",
    "dossier_sequences",
    "dossier_ratings",
    "dossier_documents",
    "working_hours",
    "stat_buckets",
    "stat_folds",
    "stat_dirty",
    "access_log",
    "form_once",
];
