//! Diesel's view of the tables created by `migrations/`; kept identical for both backends.

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        acronym -> Nullable<Text>,
        kind -> Text,
        source -> Nullable<Text>,
    }
}

diesel::table! {
    incubators (id) {
        id -> Text,
        title -> Text,
        owner_id -> Nullable<Text>,
        website -> Nullable<Text>,
        contact -> Nullable<Text>,
        address -> Nullable<Text>,
        description -> Nullable<Text>,
        source -> Nullable<Text>,
        hidden -> Bool,
    }
}

diesel::table! {
    phases (id) {
        id -> Text,
        label -> Text,
        position -> Integer,
        kind -> Text,
        description -> Text,
    }
}

diesel::table! {
    startups (id) {
        id -> Text,
        name -> Text,
        pitch -> Nullable<Text>,
        incubator_id -> Nullable<Text>,
        link -> Nullable<Text>,
        repository -> Nullable<Text>,
        contact -> Nullable<Text>,
        description -> Nullable<Text>,
        created_on -> Nullable<Date>,
        updated_at -> Timestamp,
        latest_phase_id -> Nullable<Text>,
        latest_phase_start -> Nullable<Date>,
        stats_url -> Nullable<Text>,
        accessibility_status -> Nullable<Text>,
        source -> Nullable<Text>,
    }
}

diesel::table! {
    startup_phases (startup_id, position) {
        startup_id -> Text,
        position -> Integer,
        phase_id -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        next_start -> Nullable<Date>,
    }
}

diesel::table! {
    startup_incubators (startup_id, position) {
        startup_id -> Text,
        position -> Integer,
        incubator_id -> Text,
    }
}

diesel::table! {
    startup_sponsors (startup_id, organisation_id) {
        startup_id -> Text,
        organisation_id -> Text,
    }
}

diesel::table! {
    startup_tags (startup_id, kind, value) {
        startup_id -> Text,
        kind -> Text,
        value -> Text,
    }
}

diesel::table! {
    startup_events (startup_id, position) {
        startup_id -> Text,
        position -> Integer,
        name -> Text,
        date -> Date,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    sources (id) {
        id -> Text,
        title -> Text,
        published -> Nullable<Date>,
        kind -> Text,
    }
}

diesel::table! {
    metrics (id) {
        id -> Text,
        label -> Text,
        unit -> Text,
        startup_id -> Nullable<Text>,
        description -> Nullable<Text>,
    }
}

diesel::table! {
    observations (metric_id, date) {
        metric_id -> Text,
        date -> Date,
        start_date -> Nullable<Date>,
        value -> Double,
        source_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    startup_lines (startup_id) {
        startup_id -> Text,
        current_from -> Nullable<Date>,
        csv -> Text,
        ndjson -> Text,
    }
}

diesel::table! {
    startup_phase_lines (startup_id) {
        startup_id -> Text,
        csv -> Text,
        ndjson -> Text,
    }
}

diesel::table! {
    startup_items (startup_id) {
        startup_id -> Text,
        current_from -> Nullable<Date>,
        json -> Text,
    }
}

diesel::table! {
    startup_lines_stale (startup_id) {
        startup_id -> Text,
    }
}

diesel::table! {
    metric_lines (metric_id) {
        metric_id -> Text,
        csv -> Text,
        ndjson -> Text,
    }
}

diesel::table! {
    observation_lines (metric_id) {
        metric_id -> Text,
        csv -> Text,
        ndjson -> Text,
    }
}

diesel::table! {
    metric_lines_stale (metric_id) {
        metric_id -> Text,
    }
}

diesel::table! {
    creation_tallies (incubator_id, created_month) {
        incubator_id -> Text,
        created_month -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    creation_year_totals (created_year) {
        created_year -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    incubator_totals (incubator_id) {
        incubator_id -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    incubator_phase_totals (incubator_id, latest_phase_id) {
        incubator_id -> Text,
        latest_phase_id -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    incubator_phase_tallies (incubator_id, latest_phase_id, latest_month) {
        incubator_id -> Text,
        latest_phase_id -> Text,
        latest_month -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    latest_phase_tallies (latest_phase_id, latest_month) {
        latest_phase_id -> Text,
        latest_month -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    latest_phase_totals (latest_phase_id) {
        latest_phase_id -> Text,
        startups -> BigInt,
    }
}

diesel::table! {
    superseded_tallies (phase_id, month) {
        phase_id -> Text,
        month -> Text,
        opened -> BigInt,
        closed -> BigInt,
    }
}

diesel::table! {
    superseded_day_tallies (phase_id, day) {
        phase_id -> Text,
        day -> Date,
        opened -> BigInt,
        closed -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    phases,
    latest_phase_tallies,
    superseded_tallies,
    superseded_day_tallies
);

// A page's total read with its rows (`db::startup_list::page`).
diesel::allow_tables_to_appear_in_same_query!(startups, incubator_phase_totals);

diesel::joinable!(incubators -> organisations (owner_id));
diesel::joinable!(startups -> incubators (incubator_id));
diesel::joinable!(startup_phases -> startups (startup_id));
diesel::joinable!(startup_phases -> phases (phase_id));
diesel::joinable!(startup_incubators -> startups (startup_id));
diesel::joinable!(startup_incubators -> incubators (incubator_id));
diesel::joinable!(startup_sponsors -> startups (startup_id));
diesel::joinable!(startup_sponsors -> organisations (organisation_id));
diesel::joinable!(startup_tags -> startups (startup_id));
diesel::joinable!(startup_events -> startups (startup_id));
diesel::joinable!(metrics -> startups (startup_id));
diesel::joinable!(observations -> metrics (metric_id));
diesel::joinable!(observations -> sources (source_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    incubators,
    phases,
    startups,
    startup_items,
    startup_lines,
    startup_lines_stale,
    startup_phase_lines,
    startup_phases,
    startup_incubators,
    startup_sponsors,
    startup_tags,
    startup_events,
    sources,
    metrics,
    metric_lines,
    metric_lines_stale,
    observation_lines,
    observations,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    startups::incubator_id,
    startups::created_on,
    startup_phases::phase_id,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    startup_incubators::incubator_id,
    startup_phases::phase_id,
);

diesel::table! {
    search_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    data_revision (id) {
        id -> Integer,
        revision -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        at -> Timestamp,
        token -> Text,
        resource -> Text,
        resource_id -> Text,
        action -> Text,
        state -> Nullable<Text>,
        author -> Text,
    }
}

diesel::table! {
    idempotency_keys (token, key) {
        token -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        location -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> BigInt,
        name -> Text,
        scope -> Text,
        hash -> Text,
        created_at -> Timestamp,
        expires_on -> Nullable<Date>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}
