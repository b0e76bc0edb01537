-- The contact → customer map. Every change is a new row with a higher
-- version; the current map is the row with the highest version per contact,
-- read with argMax (contact_map_current), so correctness never depends on
-- background merges or FINAL.
CREATE TABLE IF NOT EXISTS {{table "contact_map"}} {{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, channel_type, channel_id, contact_id)
SETTINGS {{dedupWindow}};

{{distributed "contact_map" "cityHash64(team_id)"}};

CREATE VIEW IF NOT EXISTS contact_map_current {{onCluster}} AS
SELECT team_id, channel_type, channel_id, contact_id,
       argMax(customer_id, version) AS customer_id,
       max(updated_at) AS updated_at
FROM contact_map
GROUP BY team_id, channel_type, channel_id, contact_id
HAVING argMax(deleted, version) = 0;

-- Customer identifiers (member id, phones, emails, binding methods).
CREATE TABLE IF NOT EXISTS {{table "customers"}} {{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, customer_id)
SETTINGS {{dedupWindow}};

{{distributed "customers" "cityHash64(team_id)"}};

CREATE VIEW IF NOT EXISTS customers_current {{onCluster}} AS
SELECT team_id, customer_id,
       argMax(member_id, version) AS member_id,
       argMax(phones, version) AS phones,
       argMax(emails, version) AS emails,
       argMax(methods, version) AS methods,
       max(updated_at) AS updated_at
FROM customers
GROUP BY team_id, customer_id
HAVING argMax(deleted, version) = 0;

-- Contact profiles: the only place personal data is kept. Each event that
-- changes a profile writes a patch row with just the fields it sets (empty
-- string / -1 = not set); version orders patches by event time. The current
-- profile takes, per field, the latest patch that set it. Deleting a contact
-- writes a tombstone and removes the contact's earlier rows with a DELETE,
-- so personal data does not survive in older parts.
CREATE TABLE IF NOT EXISTS {{table "contact_updates"}} {{onCluster}}
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
ENGINE = {{engine "MergeTree"}}
ORDER BY (team_id, channel_type, channel_id, contact_id, version)
SETTINGS {{dedupWindow}};

{{distributed "contact_updates" "cityHash64(team_id)"}};

CREATE VIEW IF NOT EXISTS contacts_current {{onCluster}} AS
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

-- Custom attributes, one row per change; the latest version per attribute wins.
CREATE TABLE IF NOT EXISTS {{table "contact_attributes"}} {{onCluster}}
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
ENGINE = {{engine "MergeTree"}}
ORDER BY (team_id, channel_type, channel_id, contact_id, attribute, version)
SETTINGS {{dedupWindow}};

{{distributed "contact_attributes" "cityHash64(team_id)"}};

CREATE VIEW IF NOT EXISTS contact_attributes_current {{onCluster}} AS
SELECT team_id, channel_type, channel_id, contact_id, attribute,
       argMax(value, version) AS value
FROM contact_attributes
GROUP BY team_id, channel_type, channel_id, contact_id, attribute
HAVING argMax(deleted, version) = 0;

-- Every identity change attempt: merges, splits, refusals.
CREATE TABLE IF NOT EXISTS {{table "merge_log"}} {{onCluster}}
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
ENGINE = {{engine "MergeTree"}}
PARTITION BY toYYYYMM(ts)
ORDER BY (team_id, ts, event_id)
SETTINGS {{dedupWindow}};

{{distributed "merge_log" "cityHash64(team_id)"}};
