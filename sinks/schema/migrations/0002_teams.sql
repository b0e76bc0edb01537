-- Teams and their settings. The latest version of a row wins.
CREATE TABLE IF NOT EXISTS {{table "teams"}} {{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY team_id;

{{distributed "teams" "cityHash64(team_id)"}};

-- API keys, stored as SHA-256 of the secret; the key id is public.
CREATE TABLE IF NOT EXISTS {{table "team_keys"}} {{onCluster}}
(
    key_id      String,
    team_id     String,
    secret_hash String,
    created_at  DateTime64(3, 'UTC'),
    revoked_at  Nullable(DateTime64(3, 'UTC')),
    version     UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY key_id;

{{distributed "team_keys" "cityHash64(key_id)"}};
