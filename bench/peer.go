package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/omnistream/omnistream/internal/gen"
)

// rawColumns is the canonical envelope as ClickHouse reads it from JSON:
// the nested objects as named tuples, props as its JSON text. The Kafka
// engine and the JSONEachRow ceiling read the same events into it.
const rawColumns = `
    event_id   String,
    team_id    LowCardinality(String),
    type       LowCardinality(String),
    ts         DateTime64(3, 'UTC'),
    channel    Tuple(type LowCardinality(String), id String),
    contact    Tuple(channel_user_id String, name String),
    source     Tuple(kind LowCardinality(String), id String, node_id String),
    message_id String,
    send_id    String,
    props      String`

// rawTable is a plain MergeTree of the envelope.
func rawTable(name string) string {
	return "CREATE TABLE " + name + " (" + rawColumns + "\n) ENGINE = MergeTree ORDER BY (team_id, type, ts)"
}

// jsonSettings read the wire form: RFC 3339 times, objects as strings,
// missing tuple elements as defaults.
const jsonSettings = `date_time_input_format = 'best_effort', input_format_json_read_objects_as_strings = 1,
  input_format_json_named_tuples_as_objects = 1, input_format_json_defaults_for_missing_elements_in_named_tuple = 1,
  input_format_skip_unknown_fields = 1`

// KafkaEngineResult is benchmark 2.
type KafkaEngineResult struct {
	Available bool    `json:"available"`
	Reason    string  `json:"reason,omitempty"` // why there is no number
	Engine    string  `json:"engine_row,omitempty"`
	Target    int     `json:"target_events"`
	Events    uint64  `json:"events"`
	Complete  bool    `json:"complete"`
	Seconds   float64 `json:"seconds"`
	Rate      float64 `json:"events_per_s"`
	Settings  string  `json:"settings"`
	Usage     Usage   `json:"usage"`
}

// KafkaEngine runs benchmark 2: ClickHouse's Kafka table engine, inside the
// embedded ClickHouse, consumes the stream's topic from the embedded broker
// into a MergeTree through a materialized view. It does no identity or
// metrics work: it parses the JSON and stores it.
func (r *Runner) KafkaEngine(ctx context.Context, s *Stream) (*KafkaEngineResult, error) {
	res := &KafkaEngineResult{Target: s.Expected.Events}
	conn, err := r.Env.Conn(ctx, "peer")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT name FROM system.table_engines WHERE name = 'Kafka'")
	if err != nil {
		return nil, err
	}
	found := rows.Next()
	rows.Close()
	if !found {
		res.Reason = "chDB's system.table_engines has no row named 'Kafka': this build of ClickHouse has no Kafka table engine"
		return res, nil
	}
	res.Available, res.Engine = true, "Kafka"
	// One consumer per core (ClickHouse refuses more consumers than
	// physical cores), a thread each, blocks of up to 1 M rows.
	settings := fmt.Sprintf(`kafka_broker_list = '%s', kafka_topic_list = '%s', kafka_group_name = 'clickhouse-kafka-engine-%d',
  kafka_format = 'JSONEachRow', %s, %s`,
		strings.Join(s.Brokers, ","), s.Topic, time.Now().UnixNano(), r.Cfg.KafkaEngineSettings, jsonSettings)
	res.Settings = strings.Join(strings.Fields(settings), " ")
	for _, q := range []string{
		"DROP TABLE IF EXISTS kafka_mv", "DROP TABLE IF EXISTS kafka_queue", "DROP TABLE IF EXISTS raw_events_kafka",
		rawTable("raw_events_kafka"),
	} {
		if err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	m := StartMeter()
	start := time.Now()
	for _, q := range []string{
		"CREATE TABLE kafka_queue (" + rawColumns + "\n) ENGINE = Kafka SETTINGS " + settings,
		"CREATE MATERIALIZED VIEW kafka_mv TO raw_events_kafka AS SELECT * FROM kafka_queue",
	} {
		if err := conn.Exec(ctx, q); err != nil {
			m.Stop()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	prog := r.progress("clickhouse kafka engine", s.Expected.Events)
	deadline := start.Add(r.Cfg.KafkaEngineCap)
	for {
		n, err := count(ctx, conn, "SELECT count() FROM raw_events_kafka")
		if err != nil {
			m.Stop()
			return nil, err
		}
		now := time.Now()
		res.Events = n
		done := n >= uint64(s.Expected.Events)
		prog(gen.Progress{Events: int(n), Elapsed: now.Sub(start), Done: done || now.After(deadline)})
		if done || now.After(deadline) {
			res.Complete = done
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	res.Usage = m.Stop()
	res.Seconds = time.Since(start).Seconds()
	res.Rate = float64(res.Events) / res.Seconds
	// Stop consuming before the next benchmark.
	for _, q := range []string{"DROP TABLE IF EXISTS kafka_mv", "DROP TABLE IF EXISTS kafka_queue"} {
		if err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return res, nil
}
