package chserver

import (
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// decodeBody wraps body with a decoder for the request's Content-Encoding.
func decodeBody(body io.Reader, encoding string) (io.Reader, func(), error) {
	nop := func() {}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity", "none":
		return body, nop, nil
	case "gzip", "x-gzip":
		r, err := gzip.NewReader(body)
		if err != nil {
			return nil, nop, err
		}
		return r, func() { r.Close() }, nil
	case "deflate":
		// As in ClickHouse and clickhouse-go, "deflate" is the zlib format.
		r, err := zlib.NewReader(body)
		if err != nil {
			return nil, nop, err
		}
		return r, func() { r.Close() }, nil
	case "br":
		return brotli.NewReader(body), nop, nil
	case "zstd":
		r, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nop, err
		}
		return r, r.Close, nil
	case "lz4":
		return lz4.NewReader(body), nop, nil
	case "bz2", "bzip2":
		return bzip2.NewReader(body), nop, nil
	}
	return nil, nop, fmt.Errorf("unknown Content-Encoding %q", encoding)
}

// responseEncoding picks the first encoding in an Accept-Encoding header that
// the server can write, or "".
func responseEncoding(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		name := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch name {
		case "gzip", "deflate", "br", "zstd", "lz4":
			return name
		}
	}
	return ""
}

// newEncoder returns a writer compressing into w with encoding (one of
// responseEncoding's); level 0 picks a fast default.
func newEncoder(w io.Writer, encoding string, level int) (io.WriteCloser, error) {
	switch encoding {
	case "gzip":
		if level <= 0 || level > 9 {
			level = 3
		}
		return gzip.NewWriterLevel(w, level)
	case "deflate":
		if level <= 0 || level > 9 {
			level = 3
		}
		return zlib.NewWriterLevel(w, level)
	case "br":
		if level <= 0 || level > 11 {
			level = 3
		}
		return brotli.NewWriterLevel(w, level), nil
	case "zstd":
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	case "lz4":
		return lz4.NewWriter(w), nil
	}
	return nil, fmt.Errorf("unknown response encoding %q", encoding)
}

// encodeBody compresses data with encoding into w.
func encodeBody(w io.Writer, encoding string, level int, data []byte) error {
	enc, err := newEncoder(w, encoding, level)
	if err != nil {
		return err
	}
	if _, err := enc.Write(data); err != nil {
		return err
	}
	return enc.Close()
}

// blockMethod maps network_compression_method to ch-go's method.
func blockMethod(name string) (chcompress.Method, error) {
	switch strings.ToUpper(name) {
	case "", "LZ4":
		return chcompress.LZ4, nil
	case "LZ4HC":
		return chcompress.LZ4HC, nil
	case "ZSTD":
		return chcompress.ZSTD, nil
	case "NONE":
		return chcompress.None, nil
	}
	return 0, fmt.Errorf("unknown network_compression_method %q", name)
}

// blockCompress frames data in ClickHouse compressed blocks (compress=1).
func blockCompress(data []byte, method chcompress.Method, level int) ([]byte, error) {
	const blockSize = 1 << 20
	w := chcompress.NewWriter(chcompress.Level(level), method)
	out := make([]byte, 0, len(data)/2+64)
	for start := 0; start < len(data); start += blockSize {
		end := min(start+blockSize, len(data))
		if err := w.Compress(data[start:end]); err != nil {
			return nil, err
		}
		out = append(out, w.Data...)
	}
	return out, nil
}

// blockDecompress reads a body framed in ClickHouse compressed blocks
// (decompress=1).
func blockDecompress(r io.Reader) io.Reader { return eofReader{chcompress.NewReader(r)} }

// eofReader turns the wrapped io.EOF that ch-go's reader returns at a clean
// end between blocks into a plain io.EOF.
type eofReader struct{ r io.Reader }

func (e eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && errors.Is(err, io.EOF) {
		err = io.EOF
	}
	return n, err
}
