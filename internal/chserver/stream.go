package chserver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
)

// chDB's streaming API writes every chunk of output as a complete document
// of the format: headers, prefixes and suffixes repeat in each chunk. Only
// formats whose documents concatenate into one stream are streamed:
// row-per-line text formats, headerless binary ones and Native (blocks), and
// ArrowStream, whose chunks are joined into one stream (one schema, one end
// marker). Everything else is run whole.

// chunkJoiner turns the engine's per-chunk documents into one stream.
type chunkJoiner interface {
	// add returns the bytes of chunk to send.
	add(chunk []byte) ([]byte, error)
	// finish returns what ends the stream.
	finish() []byte
}

// joinerFor returns the joiner for format, or nil if it cannot be streamed.
func joinerFor(format string) chunkJoiner {
	switch strings.ToLower(format) {
	case "native", "tabseparated", "tsv", "tabseparatedraw", "tsvraw", "csv",
		"jsoneachrow", "jsonlines", "ndjson", "jsoncompacteachrow", "jsonstringseachrow",
		"jsoncompactstringseachrow", "rowbinary", "values", "lineasstring", "rawblob":
		return concatJoiner{}
	case "arrowstream":
		return &arrowJoiner{}
	}
	return nil
}

type concatJoiner struct{}

func (concatJoiner) add(chunk []byte) ([]byte, error) { return chunk, nil }
func (concatJoiner) finish() []byte                   { return nil }

// arrowEOS is the Arrow IPC end-of-stream marker.
var arrowEOS = []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

// arrowJoiner keeps the schema message of the first chunk, drops it from the
// others (checking it is the same), and drops every chunk's end marker.
type arrowJoiner struct {
	schema []byte
}

var errArrowChunk = errors.New("unexpected ArrowStream chunk from the engine")

func (a *arrowJoiner) add(chunk []byte) ([]byte, error) {
	if len(chunk) < 16 || !bytes.Equal(chunk[:4], arrowEOS[:4]) || !bytes.HasSuffix(chunk, arrowEOS) {
		return nil, errArrowChunk
	}
	metaLen := int(int32(binary.LittleEndian.Uint32(chunk[4:8])))
	end := 8 + metaLen
	if metaLen <= 0 || end > len(chunk)-len(arrowEOS) {
		return nil, errArrowChunk
	}
	body := chunk[:len(chunk)-len(arrowEOS)]
	if a.schema == nil {
		a.schema = append([]byte(nil), chunk[:end]...)
		return body, nil
	}
	if !bytes.Equal(chunk[:end], a.schema) {
		return nil, errors.New("ArrowStream schema changed between chunks")
	}
	return body[end:], nil
}

func (a *arrowJoiner) finish() []byte {
	if a.schema == nil {
		return nil
	}
	return arrowEOS
}
