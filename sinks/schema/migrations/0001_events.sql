-- Every accepted event, deduplicated on event_id by the processors, with
-- the known props as typed columns. Personal data (phone, email, names) is
-- never stored here: it lives in contacts, which deletion erases.
CREATE TABLE IF NOT EXISTS {{table "events"}} {{onCluster}}
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
ENGINE = {{engine "MergeTree"}}
PARTITION BY toYYYYMM(ts)
ORDER BY (team_id, type, source_id, contact_id, ts, event_id)
SETTINGS {{dedupWindow}};

{{distributed "events" "cityHash64(team_id)"}};

-- Batch boundaries a processor is about to write, recorded before the data
-- so a restarted processor re-forms exactly the same batches (and so the
-- same insert_deduplication_token) for offsets it had not committed.
CREATE TABLE IF NOT EXISTS {{table "sink_batches"}} {{onCluster}}
(
    consumer_group String,
    topic          String,
    partition      UInt32,
    first_offset   UInt64,
    last_offset    UInt64,
    created_at     DateTime64(3, 'UTC')
)
ENGINE = {{engine "ReplacingMergeTree"}}
ORDER BY (consumer_group, topic, partition, first_offset)
TTL toDateTime(created_at) + INTERVAL 14 DAY
SETTINGS {{dedupWindow}};

{{distributed "sink_batches" "partition"}};
