package chsink

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

var testTable = NewTable("t",
	Column{Name: "s"}, Column{Name: "u8", Kind: UInt8}, Column{Name: "i8", Kind: Int8}, Column{Name: "u32", Kind: UInt32},
	Column{Name: "u64", Kind: UInt64}, Column{Name: "i64", Kind: Int64}, Column{Name: "ts", Kind: TimeMilli},
	Column{Name: "d", Kind: Decimal4}, Column{Name: "a", Kind: StringArray}, Column{Name: "s2"},
)

func fillRow(b *Batch, i int) {
	b.Str(0, fmt.Sprintf("v%d", i))
	b.U8(1, uint8(i))
	b.I8(2, int8(-i))
	b.U32(3, uint32(i*3))
	b.U64(4, uint64(i)<<40)
	b.I64(5, -int64(i))
	b.Time(6, time.UnixMilli(int64(1767225600000+i)))
	b.Dec(7, int64(i)*12345)
	b.Strs(8, []string{"x", fmt.Sprint(i)}[:i%3%2+1])
	if i%2 == 0 {
		b.Str(9, "")
	} else {
		b.Str(9, "äöü ✓")
	}
	b.EndRow()
}

// checkRows compares a record with the rows fillRow wrote from first on.
func checkRows(t *testing.T, rec arrow.Record, first, n int) {
	t.Helper()
	if int(rec.NumRows()) != n || int(rec.NumCols()) != len(testTable.Columns) {
		t.Fatalf("record %d×%d, want %d×%d", rec.NumRows(), rec.NumCols(), n, len(testTable.Columns))
	}
	for r := 0; r < n; r++ {
		i := first + r
		want := []string{fmt.Sprintf("v%d", i), fmt.Sprint(uint8(i)), fmt.Sprint(int8(-i)), fmt.Sprint(uint32(i * 3)), fmt.Sprint(uint64(i) << 40),
			fmt.Sprint(-int64(i)), fmt.Sprint(1767225600000 + i), decimal128.FromI64(int64(i) * 12345).BigInt().String(),
			fmt.Sprint([]string{"x", fmt.Sprint(i)}[:i%3%2+1]), map[bool]string{true: "", false: "äöü ✓"}[i%2 == 0]}
		list := rec.Column(8).(*array.List)
		start, end := list.ValueOffsets(r)
		var items []string
		for k := start; k < end; k++ {
			items = append(items, list.ListValues().(*array.String).Value(int(k)))
		}
		got := []string{rec.Column(0).(*array.String).Value(r), fmt.Sprint(rec.Column(1).(*array.Uint8).Value(r)),
			fmt.Sprint(rec.Column(2).(*array.Int8).Value(r)), fmt.Sprint(rec.Column(3).(*array.Uint32).Value(r)),
			fmt.Sprint(rec.Column(4).(*array.Uint64).Value(r)), fmt.Sprint(rec.Column(5).(*array.Int64).Value(r)),
			fmt.Sprint(int64(rec.Column(6).(*array.Timestamp).Value(r))), rec.Column(7).(*array.Decimal128).Value(r).BigInt().String(),
			fmt.Sprint(items), rec.Column(9).(*array.String).Value(r)}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("row %d:\n got %q\nwant %q", r, got, want)
		}
		for c := 0; c < int(rec.NumCols()); c++ {
			if rec.Column(c).IsNull(r) {
				t.Fatalf("row %d column %d is null", r, c)
			}
		}
	}
}

// TestBatchRecords fills batches of every column kind, takes records,
// reuses the batch, and checks every value, directly and after an Arrow
// IPC round trip (what ClickHouse reads).
func TestBatchRecords(t *testing.T) {
	b := NewBatch(testTable)
	if rec := b.Record(); rec.NumRows() != 0 {
		t.Fatalf("empty batch gave %d rows", rec.NumRows())
	}
	next := 0
	var kept []arrow.Record
	for _, n := range []int{1, 1000, 0, 37, 5000} {
		for i := 0; i < n; i++ {
			fillRow(b, next+i)
		}
		if b.Len() != n {
			t.Fatalf("Len %d, want %d", b.Len(), n)
		}
		rec := b.Record()
		if b.Len() != 0 {
			t.Fatal("Record did not empty the batch")
		}
		checkRows(t, rec, next, n)
		data, err := Encode(rec)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(memory.DefaultAllocator))
		if err != nil {
			t.Fatal(err)
		}
		if !rd.Schema().Equal(testTable.schema) {
			t.Fatalf("schema %s, want %s", rd.Schema(), testTable.schema)
		}
		got := 0
		for rd.Next() {
			checkRows(t, rd.Record(), next+got, int(rd.Record().NumRows()))
			got += int(rd.Record().NumRows())
		}
		if rd.Err() != nil || got != n {
			t.Fatalf("read back %d rows (%v), want %d", got, rd.Err(), n)
		}
		rd.Release()
		kept = append(kept, rec) // still valid after the batch moved on
		next += n
	}
	next = 0
	for i, n := range []int{1, 1000, 0, 37, 5000} {
		checkRows(t, kept[i], next, n)
		kept[i].Release()
		next += n
	}
}

// TestBatchMissingValue panics: a row without a value in a String column
// would shift every later row.
func TestBatchMissingValue(t *testing.T) {
	b := NewBatch(NewTable("t", Column{Name: "a"}, Column{Name: "b"}))
	b.Str(0, "x")
	b.EndRow()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	b.Record()
}

func BenchmarkBatchStrings(b *testing.B) {
	t := NewTable("t", Column{Name: "a"}, Column{Name: "b"}, Column{Name: "c"}, Column{Name: "d"})
	bt := NewBatch(t)
	b.ReportAllocs()
	for i := range b.N {
		bt.Str(0, "team-0")
		bt.Str(1, "team-0-1234567")
		bt.Str(2, "")
		bt.Str(3, `{"message_kind":"text_buttons"}`)
		bt.EndRow()
		if i%100000 == 99999 {
			bt.Record().Release()
		}
	}
}

// TestEncodeSizedOnce: the IPC body fits the buffer Encode sizes up front.
func TestEncodeSizedOnce(t *testing.T) {
	b := NewBatch(testTable)
	for i := 0; i < 20000; i++ {
		fillRow(b, i)
	}
	rec := b.Record()
	defer rec.Release()
	size := 4096
	for _, col := range rec.Columns() {
		size += dataBytes(col.Data())
	}
	data, err := Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > size {
		t.Fatalf("body %d bytes, sized %d", len(data), size)
	}
	if cap(data) != size {
		t.Fatalf("buffer grew to %d, sized %d", cap(data), size)
	}
}
