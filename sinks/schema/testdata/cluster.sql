-- events
CREATE TABLE IF NOT EXISTS events_local ON CLUSTER 'omni'
(
    team_id             LowCardinality(String),
    event_id            String,
    type                LowCardinality(String),
    ts                  DateTime64(3, 'UTC'),
    channel_type        LowCardinality(String),
    channel_id          String,
    contact_id          String,
    customer_id         String COMMENT 'customer at processing time; join contact_map_current for the current one',
    source_kind         LowCardinality(String),
    source_id           String,
    node_id             String,
    message_id          String,
    send_id             String,
    message_kind        LowCardinality(String),
    reason              LowCardinality(String),
    watermark           DateTime64(3, 'UTC') COMMENT '1970-01-01 when absent',
    inbound_kind        LowCardinality(String),
    reply_to            String,
    button_kind         LowCardinality(String),
    button_id           String,
    url                 String,
    area                String,
    kw_group            String,
    kw_condition        String,
    tag                 String,
    attribute           String,
    value               String,
    order_id            String,
    amount              Decimal(18, 4),
    currency            LowCardinality(String),
    member_id           String,
    method              LowCardinality(String),
    campaign            String,
    target_channel_type LowCardinality(String),
    target_channel_id   String,
    target_contact_id   String,
    target_new          UInt8,
    contact_source      LowCardinality(String),
    actor               String,
    audience            UInt64,
    props               String CODEC(ZSTD(3)),
    kafka_partition     UInt32,
    kafka_offset        UInt64,
    ingested_at         DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (team_id, type, source_id, contact_id, ts, event_id)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS events ON CLUSTER 'omni' AS events_local ENGINE = Distributed('omni', currentDatabase(), 'events_local', cityHash64(team_id));

CREATE TABLE IF NOT EXISTS sink_batches_local ON CLUSTER 'omni'
(
    consumer_group String,
    topic          String,
    partition      UInt32,
    first_offset   UInt64,
    last_offset    UInt64,
    created_at     DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (consumer_group, topic, partition, first_offset)
TTL toDateTime(created_at) + INTERVAL 14 DAY
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS sink_batches ON CLUSTER 'omni' AS sink_batches_local ENGINE = Distributed('omni', currentDatabase(), 'sink_batches_local', partition);

-- teams
CREATE TABLE IF NOT EXISTS teams_local ON CLUSTER 'omni'
(
    team_id     String,
    name        String,
    timezone    String,
    region      LowCardinality(String),
    currency    LowCardinality(String),
    week_start  UInt8 COMMENT '1 = Monday … 7 = Sunday',
    rates       Map(String, Decimal(18, 4)) COMMENT 'per-message cost by channel type',
    junk        Array(String) COMMENT 'extra identifier values never used for merging',
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY team_id;

CREATE TABLE IF NOT EXISTS teams ON CLUSTER 'omni' AS teams_local ENGINE = Distributed('omni', currentDatabase(), 'teams_local', cityHash64(team_id));

CREATE TABLE IF NOT EXISTS team_keys_local ON CLUSTER 'omni'
(
    key_id      String,
    team_id     String,
    secret_hash String,
    created_at  DateTime64(3, 'UTC'),
    revoked_at  Nullable(DateTime64(3, 'UTC')),
    version     UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY key_id;

CREATE TABLE IF NOT EXISTS team_keys ON CLUSTER 'omni' AS team_keys_local ENGINE = Distributed('omni', currentDatabase(), 'team_keys_local', cityHash64(key_id));

-- identity
CREATE TABLE IF NOT EXISTS contact_map_local ON CLUSTER 'omni'
(
    team_id      LowCardinality(String),
    channel_type LowCardinality(String),
    channel_id   String,
    contact_id   String,
    customer_id  String,
    version      UInt64,
    deleted      UInt8,
    updated_at   DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (team_id, channel_type, channel_id, contact_id)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS contact_map ON CLUSTER 'omni' AS contact_map_local ENGINE = Distributed('omni', currentDatabase(), 'contact_map_local', cityHash64(team_id));

CREATE VIEW IF NOT EXISTS contact_map_current ON CLUSTER 'omni' AS
SELECT team_id, channel_type, channel_id, contact_id,
       argMax(customer_id, version) AS customer_id,
       max(updated_at) AS updated_at
FROM contact_map
GROUP BY team_id, channel_type, channel_id, contact_id
HAVING argMax(deleted, version) = 0;

CREATE TABLE IF NOT EXISTS customers_local ON CLUSTER 'omni'
(
    team_id      LowCardinality(String),
    customer_id  String,
    member_id    String,
    phones       Array(String),
    emails       Array(String),
    methods      Array(LowCardinality(String)),
    version      UInt64,
    deleted      UInt8,
    updated_at   DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (team_id, customer_id)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS customers ON CLUSTER 'omni' AS customers_local ENGINE = Distributed('omni', currentDatabase(), 'customers_local', cityHash64(team_id));

CREATE VIEW IF NOT EXISTS customers_current ON CLUSTER 'omni' AS
SELECT team_id, customer_id,
       argMax(member_id, version) AS member_id,
       argMax(phones, version) AS phones,
       argMax(emails, version) AS emails,
       argMax(methods, version) AS methods,
       max(updated_at) AS updated_at
FROM customers
GROUP BY team_id, customer_id
HAVING argMax(deleted, version) = 0;

CREATE TABLE IF NOT EXISTS contact_updates_local ON CLUSTER 'omni'
(
    team_id        LowCardinality(String),
    channel_type   LowCardinality(String),
    channel_id     String,
    contact_id     String,
    version        UInt64 COMMENT 'event time in ms << 20 | offset tie-break',
    ts             DateTime64(3, 'UTC'),
    name           String,
    phone          String,
    email          String,
    member_id      String,
    created_source LowCardinality(String) COMMENT 'set on contact.created',
    subscribed     Int8 COMMENT '-1 unset, 0 unsubscribed/blocked, 1 subscribed',
    over_quota     Int8 COMMENT '-1 unset',
    deleted        UInt8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (team_id, channel_type, channel_id, contact_id, version)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS contact_updates ON CLUSTER 'omni' AS contact_updates_local ENGINE = Distributed('omni', currentDatabase(), 'contact_updates_local', cityHash64(team_id));

CREATE VIEW IF NOT EXISTS contacts_current ON CLUSTER 'omni' AS
SELECT team_id, channel_type, channel_id, contact_id,
       argMaxIf(u_name, u_version, u_name != '') AS name,
       argMaxIf(u_phone, u_version, u_phone != '') AS phone,
       argMaxIf(u_email, u_version, u_email != '') AS email,
       argMaxIf(u_member_id, u_version, u_member_id != '') AS member_id,
       min(u_ts) AS created_at,
       argMaxIf(u_created_source, u_version, u_created_source != '') AS created_source,
       toInt8(if(countIf(u_subscribed >= 0) = 0, 1, argMaxIf(u_subscribed, u_version, u_subscribed >= 0))) AS subscribed,
       maxIf(u_ts, u_subscribed = 1) AS subscribed_at,
       maxIf(u_ts, u_subscribed = 0) AS unsubscribed_at,
       toInt8(if(countIf(u_over_quota >= 0) = 0, 0, argMaxIf(u_over_quota, u_version, u_over_quota >= 0))) AS over_quota,
       max(u_ts) AS updated_at
FROM
(
    SELECT team_id, channel_type, channel_id, contact_id,
           version AS u_version, ts AS u_ts, name AS u_name, phone AS u_phone, email AS u_email,
           member_id AS u_member_id, created_source AS u_created_source, subscribed AS u_subscribed,
           over_quota AS u_over_quota, deleted AS u_deleted
    FROM contact_updates
)
GROUP BY team_id, channel_type, channel_id, contact_id
HAVING argMax(u_deleted, u_version) = 0;

CREATE TABLE IF NOT EXISTS contact_attributes_local ON CLUSTER 'omni'
(
    team_id      LowCardinality(String),
    channel_type LowCardinality(String),
    channel_id   String,
    contact_id   String,
    attribute    String,
    value        String,
    version      UInt64,
    deleted      UInt8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (team_id, channel_type, channel_id, contact_id, attribute, version)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS contact_attributes ON CLUSTER 'omni' AS contact_attributes_local ENGINE = Distributed('omni', currentDatabase(), 'contact_attributes_local', cityHash64(team_id));

CREATE VIEW IF NOT EXISTS contact_attributes_current ON CLUSTER 'omni' AS
SELECT team_id, channel_type, channel_id, contact_id, attribute,
       argMax(value, version) AS value
FROM contact_attributes
GROUP BY team_id, channel_type, channel_id, contact_id, attribute
HAVING argMax(deleted, version) = 0;

CREATE TABLE IF NOT EXISTS merge_log_local ON CLUSTER 'omni'
(
    team_id      LowCardinality(String),
    ts           DateTime64(3, 'UTC'),
    surviving_id String,
    merged_ids   Array(String),
    cause        LowCardinality(String),
    event_id     String,
    actor        String,
    ok           UInt8,
    reason       LowCardinality(String)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (team_id, ts, event_id)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS merge_log ON CLUSTER 'omni' AS merge_log_local ENGINE = Distributed('omni', currentDatabase(), 'merge_log_local', cityHash64(team_id));

-- channels
CREATE TABLE IF NOT EXISTS channels_local ON CLUSTER 'omni'
(
    kind         LowCardinality(String),
    id           String,
    app          String,
    team_id      String,
    secret       String,
    verify_token String,
    origins      Array(String),
    version      UInt64,
    deleted      UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (kind, id, app);

CREATE TABLE IF NOT EXISTS channels ON CLUSTER 'omni' AS channels_local ENGINE = Distributed('omni', currentDatabase(), 'channels_local', cityHash64(id));

-- credentials
CREATE TABLE IF NOT EXISTS ad_credentials_local ON CLUSTER 'omni'
(
    team_id    String,
    platform   LowCardinality(String),
    account    String,
    token      String,
    access_key String,
    secret_key String,
    version    UInt64,
    deleted    UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (team_id, platform, account);

CREATE TABLE IF NOT EXISTS ad_credentials ON CLUSTER 'omni' AS ad_credentials_local ENGINE = Distributed('omni', currentDatabase(), 'ad_credentials_local', cityHash64(team_id));

-- analyst_users
CREATE TABLE IF NOT EXISTS analyst_users_local ON CLUSTER 'omni'
(
    name            String,
    team_id         String,
    password_sha256 String,
    version         UInt64,
    deleted         UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY name;

CREATE TABLE IF NOT EXISTS analyst_users ON CLUSTER 'omni' AS analyst_users_local ENGINE = Distributed('omni', currentDatabase(), 'analyst_users_local', cityHash64(name));

-- audiences
CREATE TABLE IF NOT EXISTS audiences_local ON CLUSTER 'omni'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (team_id, audience_id);

CREATE TABLE IF NOT EXISTS audiences ON CLUSTER 'omni' AS audiences_local ENGINE = Distributed('omni', currentDatabase(), 'audiences_local', cityHash64(team_id));

CREATE TABLE IF NOT EXISTS audience_snapshots_local ON CLUSTER 'omni'
(
    team_id            LowCardinality(String),
    audience_id        String,
    snapshot_id        String,
    purpose            LowCardinality(String) COMMENT 'sync, broadcast, export, …',
    audience_version   UInt64 COMMENT 'version of the audience row evaluated',
    size               UInt64,
    created_at         DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(created_at)
ORDER BY (team_id, audience_id, created_at, snapshot_id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS audience_snapshots ON CLUSTER 'omni' AS audience_snapshots_local ENGINE = Distributed('omni', currentDatabase(), 'audience_snapshots_local', cityHash64(team_id));

CREATE TABLE IF NOT EXISTS audience_members_local ON CLUSTER 'omni'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(created_at)
ORDER BY (team_id, audience_id, snapshot_id, contact_id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS audience_members ON CLUSTER 'omni' AS audience_members_local ENGINE = Distributed('omni', currentDatabase(), 'audience_members_local', cityHash64(team_id));

CREATE TABLE IF NOT EXISTS adsync_schedules_local ON CLUSTER 'omni'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (team_id, schedule_id);

CREATE TABLE IF NOT EXISTS adsync_schedules ON CLUSTER 'omni' AS adsync_schedules_local ENGINE = Distributed('omni', currentDatabase(), 'adsync_schedules_local', cityHash64(team_id));

CREATE TABLE IF NOT EXISTS adsync_runs_local ON CLUSTER 'omni'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)
ORDER BY (team_id, schedule_id, run_id);

CREATE TABLE IF NOT EXISTS adsync_runs ON CLUSTER 'omni' AS adsync_runs_local ENGINE = Distributed('omni', currentDatabase(), 'adsync_runs_local', cityHash64(team_id));

