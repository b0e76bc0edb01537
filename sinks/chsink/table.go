package chsink

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Kind is a column type, mapped to the Arrow type ClickHouse reads into the
// column's ClickHouse type.
type Kind int

// Column kinds.
const (
	String      Kind = iota // String, LowCardinality(String)
	UInt8                   // UInt8
	Int8                    // Int8
	UInt32                  // UInt32
	UInt64                  // UInt64
	Int64                   // Int64
	TimeMilli               // DateTime64(3, 'UTC')
	Decimal4                // Decimal(18, 4), value in 1/10,000 units
	StringArray             // Array(String)
)

// Column is one column of a table.
type Column struct {
	Name string
	Kind Kind
}

// Table is the Arrow layout of a ClickHouse table's inserted columns.
type Table struct {
	Name    string
	Columns []Column
	schema  *arrow.Schema
}

// NewTable describes a table. Column order is the order of Batch setters.
func NewTable(name string, cols ...Column) *Table {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		var dt arrow.DataType
		switch c.Kind {
		case String:
			dt = arrow.BinaryTypes.String
		case UInt8:
			dt = arrow.PrimitiveTypes.Uint8
		case Int8:
			dt = arrow.PrimitiveTypes.Int8
		case UInt32:
			dt = arrow.PrimitiveTypes.Uint32
		case UInt64:
			dt = arrow.PrimitiveTypes.Uint64
		case Int64:
			dt = arrow.PrimitiveTypes.Int64
		case TimeMilli:
			dt = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
		case Decimal4:
			dt = &arrow.Decimal128Type{Precision: 18, Scale: 4}
		case StringArray:
			dt = arrow.ListOf(arrow.BinaryTypes.String)
		default:
			panic(fmt.Sprintf("chsink: column %s.%s has unknown kind %d", name, c.Name, c.Kind))
		}
		fields[i] = arrow.Field{Name: c.Name, Type: dt}
	}
	return &Table{Name: name, Columns: cols, schema: arrow.NewSchema(fields, nil)}
}

// ColumnList is the column list of the INSERT statement.
func (t *Table) ColumnList() string {
	s := ""
	for i, c := range t.Columns {
		if i > 0 {
			s += ", "
		}
		s += c.Name
	}
	return s
}

// Batch accumulates rows of one table in Arrow builders. It is reused after
// Record; it is not safe for concurrent use.
//
// String columns, most of every table, are kept as plain offsets and bytes
// (no validity bitmap: a String column is never null) and become Arrow
// arrays without copying when the record is taken; other kinds use Arrow's
// builders.
type Batch struct {
	Table *Table
	rb    *array.RecordBuilder
	strs  []*strColumn // by column; nil for kinds other than String
	rows  int
}

// strColumn is a String column being built: Arrow's layout of offsets
// (rows+1 of them) and the values' bytes back to back.
type strColumn struct {
	offsets []int32
	data    []byte
}

func newStrColumn(rows, bytes int) *strColumn {
	c := &strColumn{offsets: make([]int32, 1, rows+1), data: make([]byte, 0, bytes)}
	return c
}

// NewBatch returns an empty batch for t.
func NewBatch(t *Table) *Batch {
	b := &Batch{Table: t, rb: array.NewRecordBuilder(memory.DefaultAllocator, t.schema), strs: make([]*strColumn, len(t.Columns))}
	for i, c := range t.Columns {
		if c.Kind == String {
			b.strs[i] = newStrColumn(0, 0)
		}
	}
	return b
}

// Len is the number of complete rows.
func (b *Batch) Len() int { return b.rows }

// EndRow marks the end of a row; every column must have been set once.
func (b *Batch) EndRow() { b.rows++ }

// Str sets a String column.
func (b *Batch) Str(col int, v string) {
	c := b.strs[col]
	c.data = append(c.data, v...)
	c.offsets = append(c.offsets, int32(len(c.data)))
}

// U8 sets a UInt8 column.
func (b *Batch) U8(col int, v uint8) { b.rb.Field(col).(*array.Uint8Builder).Append(v) }

// I8 sets an Int8 column.
func (b *Batch) I8(col int, v int8) { b.rb.Field(col).(*array.Int8Builder).Append(v) }

// U32 sets a UInt32 column.
func (b *Batch) U32(col int, v uint32) { b.rb.Field(col).(*array.Uint32Builder).Append(v) }

// U64 sets a UInt64 column.
func (b *Batch) U64(col int, v uint64) { b.rb.Field(col).(*array.Uint64Builder).Append(v) }

// I64 sets an Int64 column.
func (b *Batch) I64(col int, v int64) { b.rb.Field(col).(*array.Int64Builder).Append(v) }

// Time sets a DateTime64(3) column; the zero time is stored as the epoch.
func (b *Batch) Time(col int, t time.Time) {
	ms := int64(0)
	if !t.IsZero() {
		ms = t.UnixMilli()
	}
	b.rb.Field(col).(*array.TimestampBuilder).Append(arrow.Timestamp(ms))
}

// Dec sets a Decimal(18, 4) column from 1/10,000 units.
func (b *Batch) Dec(col int, v int64) {
	b.rb.Field(col).(*array.Decimal128Builder).Append(decimal128.FromI64(v))
}

// Strs sets an Array(String) column.
func (b *Batch) Strs(col int, vs []string) {
	lb := b.rb.Field(col).(*array.ListBuilder)
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StringBuilder)
	for _, v := range vs {
		sb.Append(v)
	}
}

// Record takes the rows as an Arrow record and empties the batch. The
// caller releases the record.
func (b *Batch) Record() arrow.Record {
	rows := b.rows
	b.rows = 0
	cols := make([]arrow.Array, len(b.Table.Columns))
	for i, c := range b.strs {
		if c == nil {
			cols[i] = b.rb.Field(i).NewArray()
			continue
		}
		if len(c.offsets)-1 != rows {
			panic(fmt.Sprintf("chsink: column %s.%s has %d values in %d rows", b.Table.Name, b.Table.Columns[i].Name, len(c.offsets)-1, rows))
		}
		data := array.NewData(arrow.BinaryTypes.String, rows,
			[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.offsets)), memory.NewBufferBytes(c.data)}, nil, 0, 0)
		cols[i] = array.NewStringData(data)
		data.Release()
		// The record owns these slices now; the next batch starts afresh,
		// sized like this one.
		b.strs[i] = newStrColumn(rows, len(c.data))
	}
	rec := array.NewRecord(b.Table.schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return rec
}
