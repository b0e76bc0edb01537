-- Ad-platform credentials of a team per platform account: a Meta access
-- token, a LINE channel access token, or LINE Ads access and secret keys.
-- The latest version of a row wins.
CREATE TABLE IF NOT EXISTS {{table "ad_credentials"}} {{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (team_id, platform, account);

{{distributed "ad_credentials" "cityHash64(team_id)"}};
