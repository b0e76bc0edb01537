-- Audiences (queries/audience): a saved set of ANDed conditions on one
-- channel account. Every create, edit, copy or archive writes a new row with
-- a higher version; the current audience is read with argMax over version,
-- never with FINAL.
CREATE TABLE IF NOT EXISTS {{table "audiences"}} {{onCluster}}
(
    team_id      LowCardinality(String),
    audience_id  String,
    name         String,
    channel_type LowCardinality(String),
    channel_id   String,
    conditions   String COMMENT 'JSON array of conditions, ANDed',
    archived     UInt8,
    created_at   DateTime64(3, 'UTC'),
    updated_at   DateTime64(3, 'UTC'),
    version      UInt64,
    deleted      UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, audience_id);

{{distributed "audiences" "cityHash64(team_id)"}};

-- One row per materialization of an audience (a sync run, a broadcast):
-- its size when it was taken. Members are in audience_members.
CREATE TABLE IF NOT EXISTS {{table "audience_snapshots"}} {{onCluster}}
(
    team_id            LowCardinality(String),
    audience_id        String,
    snapshot_id        String,
    purpose            LowCardinality(String) COMMENT 'sync, broadcast, export, …',
    audience_version   UInt64 COMMENT 'version of the audience row evaluated',
    size               UInt64,
    created_at         DateTime64(3, 'UTC')
)
ENGINE = {{engine "MergeTree"}}
PARTITION BY toYYYYMM(created_at)
ORDER BY (team_id, audience_id, created_at, snapshot_id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

{{distributed "audience_snapshots" "cityHash64(team_id)"}};

-- The members of each snapshot. Email and phone are kept only as the
-- SHA-256 of their normalized form (what ad platforms receive), so no clear
-- personal data is copied out of contacts; rows expire after 90 days.
CREATE TABLE IF NOT EXISTS {{table "audience_members"}} {{onCluster}}
(
    team_id      LowCardinality(String),
    audience_id  String,
    snapshot_id  String,
    contact_id   String COMMENT 'the channel user id (LINE UID, PSID, …)',
    email_sha256 String COMMENT 'hex SHA-256 of trimmed lower-case email, empty when none',
    phone_sha256 String COMMENT 'hex SHA-256 of digits-only international phone, empty when none',
    updated_at   DateTime64(3, 'UTC') COMMENT 'when the contact profile last changed',
    created_at   DateTime64(3, 'UTC')
)
ENGINE = {{engine "MergeTree"}}
PARTITION BY toYYYYMM(created_at)
ORDER BY (team_id, audience_id, snapshot_id, contact_id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

{{distributed "audience_members" "cityHash64(team_id)"}};

-- Ad-platform sync schedules (sinks/adsync): once at a time, or every N
-- days, weeks or months in the team's time zone. Latest version wins.
CREATE TABLE IF NOT EXISTS {{table "adsync_schedules"}} {{onCluster}}
(
    team_id        LowCardinality(String),
    schedule_id    String,
    audience_id    String,
    name           String,
    platform       LowCardinality(String) COMMENT 'meta_custom_audience, line_audience, line_ads_audience',
    target         String COMMENT 'JSON: ad account, platform audience id, id type, description',
    mode           LowCardinality(String) COMMENT 'full or incremental',
    kind           LowCardinality(String) COMMENT 'once or every',
    every          UInt16 COMMENT 'N of every N units; 0 for once',
    unit           LowCardinality(String) COMMENT 'day, week, month; empty for once',
    start_at       DateTime64(3, 'UTC') COMMENT 'the first run',
    timezone       String COMMENT 'IANA zone the recurrence is computed in',
    cancelled_runs Array(DateTime64(3, 'UTC')) COMMENT 'occurrences that will not run',
    status         LowCardinality(String) COMMENT 'active or cancelled',
    created_at     DateTime64(3, 'UTC'),
    updated_at     DateTime64(3, 'UTC'),
    version        UInt64,
    deleted        UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, schedule_id);

{{distributed "adsync_schedules" "cityHash64(team_id)"}};

-- Sync run history. A run writes a row when it starts, a newer version as it
-- progresses and a last one when it ends; read with argMax over version.
CREATE TABLE IF NOT EXISTS {{table "adsync_runs"}} {{onCluster}}
(
    team_id              LowCardinality(String),
    run_id               String,
    schedule_id          String,
    audience_id          String,
    platform             LowCardinality(String),
    mode                 LowCardinality(String) COMMENT 'full or incremental, as executed',
    trigger              LowCardinality(String) COMMENT 'schedule, catch_up or manual',
    scheduled_for        DateTime64(3, 'UTC'),
    started_at           DateTime64(3, 'UTC'),
    finished_at          DateTime64(3, 'UTC') COMMENT '1970-01-01 while running',
    status               LowCardinality(String) COMMENT 'running, succeeded, failed, cancelled',
    snapshot_id          String,
    base_snapshot_id     String COMMENT 'snapshot an incremental run diffed against',
    platform_audience_id String,
    size                 UInt64 COMMENT 'members in the snapshot',
    to_add               UInt64,
    to_remove            UInt64,
    sent                 UInt64 COMMENT 'rows sent so far',
    received             UInt64 COMMENT 'rows the platform acknowledged',
    matched              UInt64 COMMENT 'rows the platform matched, when it says',
    invalid              UInt64 COMMENT 'rows rejected locally or by the platform',
    invalid_samples      Array(String),
    error                String,
    version              UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, schedule_id, run_id);

{{distributed "adsync_runs" "cityHash64(team_id)"}};
