-- Read-only SQL accounts of analysts, one per team, confined to the team's
-- analyst_<team> database of views (embedded ClickHouse). Only the SHA-256
-- of the password is kept. The latest version of a row wins.
CREATE TABLE IF NOT EXISTS {{table "analyst_users"}} {{onCluster}}
(
    name            String,
    team_id         String,
    password_sha256 String,
    version         UInt64,
    deleted         UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY name;

{{distributed "analyst_users" "cityHash64(name)"}};
