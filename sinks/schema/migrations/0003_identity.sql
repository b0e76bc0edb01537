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

-- Contact profiles: the only place personal data is kept. Deleting a
-- contact writes an erased row and removes older rows with a mutation.
CREATE TABLE IF NOT EXISTS {{table "contacts"}} {{onCluster}}
(
    team_id         LowCardinality(String),
    channel_type    LowCardinality(String),
    channel_id      String,
    contact_id      String,
    name            String,
    phone           String,
    email           String,
    member_id       String,
    created_at      DateTime64(3, 'UTC'),
    created_source  LowCardinality(String),
    subscribed      UInt8,
    subscribed_at   DateTime64(3, 'UTC'),
    unsubscribed_at DateTime64(3, 'UTC'),
    over_quota      UInt8,
    attributes      Map(String, String),
    version         UInt64,
    deleted         UInt8,
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, channel_type, channel_id, contact_id)
SETTINGS {{dedupWindow}};

{{distributed "contacts" "cityHash64(team_id)"}};

CREATE VIEW IF NOT EXISTS contacts_current {{onCluster}} AS
SELECT team_id, channel_type, channel_id, contact_id,
       argMax(name, version) AS name,
       argMax(phone, version) AS phone,
       argMax(email, version) AS email,
       argMax(member_id, version) AS member_id,
       argMax(created_at, version) AS created_at,
       argMax(created_source, version) AS created_source,
       argMax(subscribed, version) AS subscribed,
       argMax(subscribed_at, version) AS subscribed_at,
       argMax(unsubscribed_at, version) AS unsubscribed_at,
       argMax(over_quota, version) AS over_quota,
       argMax(attributes, version) AS attributes,
       max(updated_at) AS updated_at
FROM contacts
GROUP BY team_id, channel_type, channel_id, contact_id
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
