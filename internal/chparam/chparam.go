// Package chparam builds server-side query parameters for clickhouse-go
// (`{name:Type}` placeholders): a context carrying them, and the text form
// of array values. Values never become SQL text; the server parses each
// parameter as data of its declared type.
package chparam

import (
	"context"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// With returns ctx carrying the parameters, given as name, value pairs.
func With(ctx context.Context, kv ...string) context.Context {
	p := make(clickhouse.Parameters, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(p))
}

var escaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// Strings is the parameter text of an Array(String) value.
func Strings(vs []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		escaper.WriteString(&b, v)
		b.WriteByte('\'')
	}
	b.WriteByte(']')
	return b.String()
}
