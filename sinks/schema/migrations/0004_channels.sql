-- Channel accounts the native sources accept traffic for, with the secrets
-- that verify their webhooks. kind is one of line, meta_app, meta_account,
-- whatsapp, pixel_site; app qualifies meta_account rows (the Meta app).
-- The latest version of a row wins.
CREATE TABLE IF NOT EXISTS {{table "channels"}} {{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (kind, id, app);

{{distributed "channels" "cityHash64(id)"}};
