package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"github.com/omnistream/omnistream/internal/chparam"
)

// Formats.
const (
	CSV     = "csv"
	Parquet = "parquet"
	Arrow   = "arrow"
)

// ContentType of each format.
var ContentType = map[string]string{
	CSV: "text/csv; charset=utf-8", Parquet: "application/vnd.apache.parquet", Arrow: "application/vnd.apache.arrow.stream",
}

// Querier is the part of a ClickHouse connection exports need.
type Querier interface {
	QueryFormat(ctx context.Context, format string, query string, args ...any) (io.ReadCloser, error)
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Request is one export.
type Request struct {
	Kind   Kind
	Team   string
	Loc    *time.Location // the team's zone, for CSV times
	Params Params
	Format string
	Lang   string // "en" or "zh-TW" (CSV headers)
}

func (r Request) bind(ctx context.Context) context.Context {
	return chparam.With(ctx, "team", r.Team,
		"from", r.Params.From.UTC().Format("2006-01-02 15:04:05.000"),
		"to", r.Params.To.UTC().Format("2006-01-02 15:04:05.000"),
		"channel", r.Params.Channel, "id", r.Params.ID)
}

// Count is the number of rows the export will have.
func Count(ctx context.Context, db Querier, r Request) (int64, error) {
	rows, err := db.Query(r.bind(ctx), "SELECT count() FROM ("+r.Kind.Query+")")
	if err != nil {
		return 0, fmt.Errorf("count %s export: %w", r.Kind.Name, err)
	}
	defer rows.Close()
	var n uint64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("count %s export: %w", r.Kind.Name, err)
		}
	}
	return int64(n), rows.Err()
}

// Write streams the export to w, calling progress with the rows written so
// far after each batch. Memory use is one ClickHouse block.
func Write(ctx context.Context, db Querier, r Request, w io.Writer, progress func(rows int64)) (int64, error) {
	body, err := db.QueryFormat(r.bind(ctx), "ArrowStream", r.Kind.Query)
	if err != nil {
		return 0, fmt.Errorf("query %s export: %w", r.Kind.Name, err)
	}
	defer body.Close()
	br := bufio.NewReaderSize(body, 64<<10)
	var rdr *ipc.Reader
	var sch *arrow.Schema
	if _, perr := br.Peek(1); perr == nil {
		if rdr, err = ipc.NewReader(br); err != nil {
			return 0, fmt.Errorf("read %s export: %w", r.Kind.Name, err)
		}
		defer rdr.Release()
		sch = rdr.Schema()
	} else if !errors.Is(perr, io.EOF) {
		return 0, fmt.Errorf("read %s export: %w", r.Kind.Name, perr)
	}
	if sch == nil { // no rows: ClickHouse sends no stream at all
		fields := make([]arrow.Field, len(r.Kind.Columns))
		for i, c := range r.Kind.Columns {
			fields[i] = arrow.Field{Name: c.Name, Type: arrow.BinaryTypes.String, Nullable: true}
		}
		sch = arrow.NewSchema(fields, nil)
	}
	sink, err := newSink(r, sch, w)
	if err != nil {
		return 0, err
	}
	var n int64
	for rdr != nil && rdr.Next() {
		rec := rdr.Record()
		if err := sink.write(rec); err != nil {
			return n, fmt.Errorf("write %s export: %w", r.Kind.Name, err)
		}
		n += rec.NumRows()
		if progress != nil {
			progress(n)
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
	if rdr != nil && rdr.Err() != nil && !errors.Is(rdr.Err(), io.EOF) {
		return n, fmt.Errorf("read %s export: %w", r.Kind.Name, rdr.Err())
	}
	if err := sink.close(); err != nil {
		return n, fmt.Errorf("finish %s export: %w", r.Kind.Name, err)
	}
	return n, nil
}

type sink interface {
	write(arrow.Record) error
	close() error
}

func newSink(r Request, sch *arrow.Schema, w io.Writer) (sink, error) {
	switch r.Format {
	case Arrow:
		return arrowSink{ipc.NewWriter(w, ipc.WithSchema(sch))}, nil
	case Parquet:
		props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
		fw, err := pqarrow.NewFileWriter(sch, w, props, pqarrow.DefaultWriterProps())
		if err != nil {
			return nil, fmt.Errorf("start parquet writer: %w", err)
		}
		return parquetSink{fw}, nil
	case CSV:
		loc := r.Loc
		if loc == nil {
			loc = time.UTC
		}
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return nil, err
		}
		cw := csv.NewWriter(w)
		head := make([]string, len(sch.Fields()))
		for i, f := range sch.Fields() {
			head[i] = header(r.Kind, f.Name, r.Lang)
		}
		if err := cw.Write(head); err != nil {
			return nil, err
		}
		return &csvSink{w: cw, loc: loc}, nil
	}
	return nil, fmt.Errorf("format %q unknown (csv, parquet, arrow)", r.Format)
}

func header(k Kind, name, lang string) string {
	for _, c := range k.Columns {
		if c.Name == name {
			if lang == "zh-TW" {
				return c.ZH
			}
			return c.EN
		}
	}
	return name
}

type arrowSink struct{ w *ipc.Writer }

func (s arrowSink) write(r arrow.Record) error { return s.w.Write(r) }
func (s arrowSink) close() error               { return s.w.Close() }

type parquetSink struct{ w *pqarrow.FileWriter }

func (s parquetSink) write(r arrow.Record) error { return s.w.Write(r) } // one row group per block: bounded memory
func (s parquetSink) close() error               { return s.w.Close() }

type csvSink struct {
	w   *csv.Writer
	loc *time.Location
	row []string
}

func (s *csvSink) write(r arrow.Record) error {
	cols := r.Columns()
	if cap(s.row) < len(cols) {
		s.row = make([]string, len(cols))
	}
	row := s.row[:len(cols)]
	for i := 0; i < int(r.NumRows()); i++ {
		for j, c := range cols {
			row[j] = s.cell(c, i)
		}
		if err := s.w.Write(row); err != nil {
			return err
		}
	}
	s.w.Flush()
	return s.w.Error()
}

func (s *csvSink) close() error {
	s.w.Flush()
	return s.w.Error()
}

// cell formats one value: times in the team's zone, decimals exactly.
func (s *csvSink) cell(c arrow.Array, i int) string {
	if c.IsNull(i) {
		return ""
	}
	switch a := c.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(i).ToTime(unit).In(s.loc)
		if unit == arrow.Second {
			return t.Format("2006-01-02 15:04:05")
		}
		return t.Format("2006-01-02 15:04:05.000")
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		return a.Value(i).ToString(dt.Scale)
	}
	return c.ValueStr(i)
}
