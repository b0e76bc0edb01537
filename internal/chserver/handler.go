package chserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	chcompress "github.com/ClickHouse/ch-go/compress"

	"github.com/omnistream/omnistream/internal/chdb"
)

// httpParams are URL parameters the HTTP layer consumes; every other
// parameter that is not param_* is a setting for the query.
var httpParams = map[string]bool{
	"query": true, "database": true, "default_format": true, "user": true, "password": true,
	"quota_key": true, "query_id": true, "session_id": true, "session_timeout": true,
	"session_check": true, "compress": true, "decompress": true, "client_protocol_version": true,
	"wait_end_of_query": true, "buffer_size": true, "enable_http_compression": true,
	"http_zlib_compression_level": true, "network_compression_method": true,
	"network_zstd_compression_level": true, "http_write_exception_in_output_format": true,
	"send_progress_in_http_headers": true, "http_headers_progress_interval_ms": true,
	"http_response_buffer_size": true, "stacktrace": true, "role": true,
	"add_http_cors_header": true, "cancel_http_readonly_queries_on_client_close": true,
	"http_wait_end_of_query": true,
}

// request is one parsed HTTP query.
type request struct {
	user     User
	query    url.Values
	opts     chdb.QueryOptions
	format   string // default output format
	protoRev uint64 // client_protocol_version
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ping":
		s.m.requests.WithLabelValues("ping").Inc()
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		io.WriteString(w, "Ok.\n")
	case "/replicas_status":
		s.m.requests.WithLabelValues("ping").Inc()
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		io.WriteString(w, "Ok.\n")
	case "/", "":
		s.handleQuery(w, r)
	default:
		s.m.requests.WithLabelValues("other").Inc()
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "There is no handle %s\n\nUse / or /ping or /replicas_status for queries.\n", r.URL.Path)
	}
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	queryID := q.Get("query_id")
	if queryID == "" {
		queryID = newQueryID()
	}
	h := w.Header()
	h.Set("X-ClickHouse-Query-Id", queryID)
	h.Set("X-ClickHouse-Timezone", s.timezone())
	h.Set("X-ClickHouse-Server-Display-Name", "omnistream-chdb")

	ctx := r.Context()
	if s.cfg.QueryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.QueryTimeout)
		defer cancel()
	}
	kind := "query"
	out, err := s.execute(ctx, w, r, q, &kind)
	s.m.requests.WithLabelValues(kind).Inc()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if out.stream != nil {
		s.writeStream(w, r, out.req, out.stream, start)
		return
	}
	s.m.queryLatency.Observe(out.res.Elapsed.Seconds())
	s.m.rowsWritten.Add(float64(out.res.RowsWritten))
	s.writeResult(w, r, out.req, out.res, time.Since(start))
}

func (s *Server) timezone() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tz
}

// outcome is what execute produced: a whole result, or a stream of one.
type outcome struct {
	req    *request
	res    *chdb.Result
	stream *chdb.Stream
}

// execute authenticates, assembles the statement and runs it. Queries that
// return rows are streamed unless the client asked for wait_end_of_query.
func (s *Server) execute(ctx context.Context, w http.ResponseWriter, r *http.Request, q url.Values, kind *string) (outcome, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		return outcome{}, errorf(codeUnsupportedMethod, "HTTP method %s is not supported", r.Method)
	}
	user, err := s.authenticate(r, q)
	if err != nil {
		return outcome{}, err
	}
	req, err := s.parseRequest(r, q, user)
	if err != nil {
		return outcome{}, err
	}

	body, cleanup, err := s.requestBody(w, r, q)
	if err != nil {
		return outcome{}, err
	}
	defer cleanup()

	sql, spooled, err := s.statement(q.Get("query"), body, len(req.opts.Params) > 0)
	if spooled != "" {
		defer os.Remove(spooled)
		*kind = "insert"
	}
	if err != nil {
		return outcome{}, err
	}

	if f := outputFormat(sql); f != "" {
		req.format = f
	}
	sql = stripDropSync(sql)
	if len(user.Databases) > 0 {
		if err := s.guard(ctx, user, sql, req.opts); err != nil {
			return outcome{}, err
		}
	}
	if id := q.Get("session_id"); id != "" && !user.ReadOnly {
		if err := sessionReadonly(&req.opts, sql); err != nil {
			return outcome{}, err
		}
		sess, err := s.session(user.Name, id, q)
		if err != nil {
			return outcome{}, err
		}
		res, err := s.runInSession(ctx, sess, sql, req.format, req.opts, id)
		if err != nil {
			return outcome{}, err
		}
		return outcome{req: req, res: res}, nil
	}
	if spooled == "" && returnsRows(sql) && joinerFor(req.format) != nil && q.Get("wait_end_of_query") != "1" {
		st, err := s.eng.Stream(ctx, sql, req.format, req.opts)
		if err == nil {
			return outcome{req: req, stream: st}, nil
		}
		if !errors.Is(err, chdb.ErrNotStreamable) {
			return outcome{}, err
		}
	}
	res, err := s.eng.QueryWith(ctx, sql, req.format, req.opts)
	if err != nil {
		return outcome{}, err
	}
	return outcome{req: req, res: res}, nil
}

func (s *Server) authenticate(r *http.Request, q url.Values) (User, error) {
	var name, pass string
	if u := r.Header.Get("X-ClickHouse-User"); u != "" {
		name, pass = u, r.Header.Get("X-ClickHouse-Key")
	} else if u, p, ok := r.BasicAuth(); ok {
		name, pass = u, p
	} else if q.Has("user") {
		name, pass = q.Get("user"), q.Get("password")
	}
	if name == "" {
		name = "default"
	}
	u, ok := s.users[name]
	if !ok {
		if fn := s.lookup.Load(); fn != nil {
			u, ok = (*fn)(r.Context(), name)
		} else if s.cfg.Lookup != nil {
			u, ok = s.cfg.Lookup(r.Context(), name)
		}
	}
	if !ok || !passwordMatches(u, pass) {
		return User{}, errorf(codeAuthenticationFailed,
			"%s: Authentication failed: password is incorrect, or there is no user with such name", name)
	}
	if len(u.Databases) > 0 {
		u.ReadOnly = true
	}
	return u, nil
}

func (s *Server) parseRequest(r *http.Request, q url.Values, user User) (*request, error) {
	req := &request{user: user, query: q, format: "TabSeparated"}
	if f := q.Get("default_format"); f != "" {
		req.format = f
	} else if f := r.Header.Get("X-ClickHouse-Format"); f != "" {
		req.format = f
	}
	req.opts.Database = q.Get("database")
	if req.opts.Database == "" {
		req.opts.Database = r.Header.Get("X-ClickHouse-Database")
	}
	req.opts.ReadOnly = user.ReadOnly
	if user.Database != "" {
		req.opts.Database = user.Database
	}
	if v := q.Get("client_protocol_version"); v != "" {
		rev, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, errorf(codeBadArguments, "invalid client_protocol_version %q", v)
		}
		req.protoRev = rev
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, errorf(codeNotImplemented, "external tables (multipart/form-data) are not supported by the embedded server")
	}
	for k, vs := range q {
		if len(vs) == 0 || httpParams[k] {
			continue
		}
		v := vs[len(vs)-1]
		if name, ok := strings.CutPrefix(k, "param_"); ok {
			if req.opts.Params == nil {
				req.opts.Params = map[string]string{}
			}
			req.opts.Params[name] = v
			continue
		}
		if strings.HasSuffix(k, "_structure") || strings.HasSuffix(k, "_types") {
			return nil, errorf(codeNotImplemented, "external tables (%s) are not supported by the embedded server", k)
		}
		// A read-only user may tune its queries (clickhouse-go sends
		// max_execution_time, for one): readonly=1 is applied after these
		// and forbids writes whatever they say. Only readonly itself is
		// refused.
		if user.ReadOnly && k == "readonly" {
			return nil, errorf(codeReadonly, "Cannot modify '%s' setting in readonly mode", k)
		}
		if req.opts.Settings == nil {
			req.opts.Settings = map[string]string{}
		}
		req.opts.Settings[k] = v
	}
	// As in ClickHouse, GET requests cannot write.
	if r.Method == http.MethodGet && !user.ReadOnly {
		if req.opts.Settings == nil {
			req.opts.Settings = map[string]string{}
		}
		req.opts.Settings["readonly"] = "2"
	}
	return req, nil
}

// requestBody returns the decoded request body, bounded in size.
func (s *Server) requestBody(w http.ResponseWriter, r *http.Request, q url.Values) (io.Reader, func(), error) {
	wire := &countingReader{r: http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)}
	decoded, closeDec, err := decodeBody(wire, r.Header.Get("Content-Encoding"))
	if err != nil {
		return nil, func() {}, errorf(codeBadArguments, "decode request body: %v", err)
	}
	cleanup := func() {
		closeDec()
		s.m.bytesIn.Add(float64(wire.n))
	}
	if q.Get("decompress") == "1" {
		decoded = blockDecompress(decoded)
	}
	return &limitedBody{r: decoded, left: s.cfg.MaxBodyBytes}, cleanup, nil
}

// statement builds the SQL to run from the URL query and the body. Insert
// data, wherever it comes from, is spooled to a file and read with
// FROM INFILE; the file's path is returned for removal.
//
// With query parameters, VALUES data stays inline: its {name:Type}
// placeholders are bound by the engine, which it does not do for a file.
func (s *Server) statement(urlQuery string, body io.Reader, hasParams bool) (sql, spooled string, err error) {
	spool := func(ins insertStmt) bool { return !(hasParams && ins.Format == "Values") }
	if urlQuery != "" {
		if ins, ok := parseInsert(urlQuery); ok && spool(ins) {
			inline := urlQuery[ins.DataOffset:]
			var data io.Reader = body
			if strings.TrimSpace(inline) != "" {
				data = io.MultiReader(strings.NewReader(inline+"\n"), body)
			}
			return s.spoolInsert(ins, data)
		}
		rest, err := readBounded(body, s.cfg.MaxQueryBytes-int64(len(urlQuery)))
		if err != nil {
			return "", "", err
		}
		if len(rest) > 0 {
			return urlQuery + "\n" + string(rest), "", nil
		}
		return urlQuery, "", nil
	}

	// The query is in the body, possibly followed by insert data.
	headLimit := min(s.cfg.MaxQueryBytes, 1<<20)
	head, err := io.ReadAll(io.LimitReader(body, headLimit))
	if err != nil {
		return "", "", bodyError(err)
	}
	text := string(head)
	if ins, ok := parseInsert(text); ok && spool(ins) {
		data := io.MultiReader(strings.NewReader(text[ins.DataOffset:]), body)
		return s.spoolInsert(ins, data)
	}
	rest, err := readBounded(body, s.cfg.MaxQueryBytes-int64(len(head)))
	if err != nil {
		return "", "", err
	}
	text += string(rest)
	if strings.TrimSpace(text) == "" {
		return "", "", errorf(codeSyntaxError, "Empty query")
	}
	return text, "", nil
}

// spoolInsert writes data to a file and returns the INSERT reading it.
func (s *Server) spoolInsert(ins insertStmt, data io.Reader) (sql, path string, err error) {
	f, err := os.CreateTemp(s.tempDir, "insert-*.data")
	if err != nil {
		return "", "", fmt.Errorf("spool insert body: %w", err)
	}
	path = f.Name()
	_, err = io.Copy(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", path, bodyError(err)
	}
	var b strings.Builder
	b.WriteString(ins.Head)
	b.WriteString(" FROM INFILE ")
	b.WriteString(chdb.QuoteString(path))
	if ins.Settings != "" {
		b.WriteString(" SETTINGS ")
		b.WriteString(ins.Settings)
	}
	b.WriteString(" FORMAT ")
	if isPlainWord(ins.Format) {
		b.WriteString(ins.Format)
	} else {
		b.WriteString(chdb.QuoteIdent(ins.Format))
	}
	return b.String(), path, nil
}

func isPlainWord(s string) bool {
	if s == "" || !isWordStart(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordChar(s[i]) || s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func readBounded(r io.Reader, limit int64) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if int64(len(b)) > limit {
		return nil, errorf(codeQueryIsTooLarge, "Query is too large (more than %d bytes)", limit)
	}
	return b, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(codeQueryIsTooLarge, "Request body is too large (more than %d bytes)", mbe.Limit)
	}
	var se *serverError
	if errors.As(err, &se) {
		return err
	}
	return errorf(codeCannotDecompress, "read request body: %v", err)
}

func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, req *request, res *chdb.Result, took time.Duration) {
	data := res.Data
	format := req.format
	h := w.Header()
	if strings.EqualFold(format, "Native") && req.protoRev > 0 && len(data) > 0 {
		framed, err := reframeNative(data, req.protoRev)
		if err != nil {
			s.writeError(w, r, errorf(codeNotImplemented, "encode Native output for client_protocol_version %d: %v", req.protoRev, err))
			return
		}
		data = framed
	}
	s.m.bytesOut.Add(float64(len(data)))
	h.Set("X-ClickHouse-Format", format)
	h.Set("Content-Type", contentType(format))
	h.Set("X-ClickHouse-Summary", fmt.Sprintf(
		`{"read_rows":"%d","read_bytes":"%d","written_rows":"%d","written_bytes":"%d","total_rows_to_read":"0","result_rows":"0","result_bytes":"%d","elapsed_ns":"%d"}`,
		res.RowsRead, res.BytesRead, res.RowsWritten, res.BytesWritten, len(data), took.Nanoseconds()))

	q := req.query
	switch {
	case q.Get("compress") == "1" && len(data) > 0:
		method, err := blockMethod(q.Get("network_compression_method"))
		if err != nil {
			s.writeError(w, r, errorf(codeBadArguments, "%v", err))
			return
		}
		level, _ := strconv.Atoi(q.Get("network_zstd_compression_level"))
		out, err := blockCompress(data, method, level)
		if err != nil {
			s.writeError(w, r, fmt.Errorf("compress response: %w", err))
			return
		}
		data = out
	case q.Get("enable_http_compression") == "1" && len(data) > 0:
		if enc := responseEncoding(r.Header.Get("Accept-Encoding")); enc != "" {
			level, _ := strconv.Atoi(q.Get("http_zlib_compression_level"))
			var buf bytes.Buffer
			if err := encodeBody(&buf, enc, level, data); err != nil {
				s.writeError(w, r, fmt.Errorf("compress response: %w", err))
				return
			}
			h.Set("Content-Encoding", enc)
			data = buf.Bytes()
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		if _, err := w.Write(data); err != nil {
			s.log.Debug("write response", slog.String("error", err.Error()))
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, name, status, text := describeError(err)
	s.m.errors.WithLabelValues(strconv.Itoa(status/100) + "xx").Inc()
	// Exceptions go back to the client; only failures of the server itself
	// are worth a warning here.
	level := slog.LevelDebug
	if _, engine := chdb.IsEngineError(err); !engine && !isServerError(err) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		level = slog.LevelWarn
	}
	s.log.Log(r.Context(), level, "query failed", slog.Int("code", code), slog.String("error", text))
	h := w.Header()
	h.Del("Content-Encoding")
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(code))
	if name != "" {
		h.Set("X-ClickHouse-Exception-Name", name)
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	h.Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, text)
	}
}

// streamThreshold is how much output is buffered before a response is
// streamed: smaller results go out whole, with Content-Length and final
// statistics, as with wait_end_of_query.
const streamThreshold = 1 << 20

// writeStream sends a streamed query's output as the engine produces it. An
// exception after the headers went out is written in-band, framed the way
// ClickHouse frames it (and clickhouse-go looks for it), after the
// X-ClickHouse-Exception-Tag announced in the headers.
func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, req *request, st *chdb.Stream, start time.Time) {
	defer st.Close()
	join := joinerFor(req.format)
	next := func() ([]byte, error) {
		chunk, err := st.Next()
		if err == io.EOF {
			return join.finish(), io.EOF
		}
		if err != nil {
			return nil, err
		}
		return join.add(chunk)
	}
	var buf []byte
	var err error
	for len(buf) < streamThreshold && err == nil {
		var chunk []byte
		chunk, err = next()
		buf = append(buf, chunk...)
	}
	if err == io.EOF {
		s.writeResult(w, r, req, &chdb.Result{Data: buf, RowsRead: st.RowsRead()}, time.Since(start))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	q := req.query
	h := w.Header()
	tag := newExceptionTag()
	h.Set("X-ClickHouse-Format", req.format)
	h.Set("Content-Type", contentType(req.format))
	h.Set("X-ClickHouse-Exception-Tag", tag)
	h.Set("X-ClickHouse-Summary", `{"read_rows":"0","read_bytes":"0","written_rows":"0","written_bytes":"0","total_rows_to_read":"0","result_rows":"0","result_bytes":"0","elapsed_ns":"0"}`)

	var method chcompress.Method
	blocks := q.Get("compress") == "1"
	if blocks {
		if method, err = blockMethod(q.Get("network_compression_method")); err != nil {
			s.writeError(w, r, errorf(codeBadArguments, "%v", err))
			return
		}
	}
	level, _ := strconv.Atoi(q.Get("network_zstd_compression_level"))
	var out io.Writer = w
	var enc io.WriteCloser
	if !blocks && q.Get("enable_http_compression") == "1" {
		if name := responseEncoding(r.Header.Get("Accept-Encoding")); name != "" {
			zl, _ := strconv.Atoi(q.Get("http_zlib_compression_level"))
			if enc, err = newEncoder(w, name, zl); err != nil {
				s.writeError(w, r, fmt.Errorf("compress response: %w", err))
				return
			}
			h.Set("Content-Encoding", name)
			out = enc
		}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	native := strings.EqualFold(req.format, "Native") && req.protoRev > 0
	send := func(data []byte) error {
		if native {
			framed, err := reframeNative(data, req.protoRev)
			if err != nil {
				return errorf(codeNotImplemented, "encode Native output for client_protocol_version %d: %v", req.protoRev, err)
			}
			data = framed
		}
		s.m.bytesOut.Add(float64(len(data)))
		if blocks {
			c, err := blockCompress(data, method, level)
			if err != nil {
				return fmt.Errorf("compress response: %w", err)
			}
			data = c
		}
		if _, err := out.Write(data); err != nil {
			return errClientGone{err}
		}
		rc.Flush()
		return nil
	}
	for {
		if len(buf) > 0 {
			if serr := send(buf); serr != nil {
				err = serr
				break
			}
		}
		if err != nil {
			break
		}
		buf, err = next()
	}
	if err != io.EOF {
		var gone errClientGone
		if errors.As(err, &gone) {
			s.log.Debug("stream response", slog.String("error", err.Error()))
			return
		}
		code, _, _, text := describeError(err)
		s.m.errors.WithLabelValues("in-band").Inc()
		s.log.Debug("query failed mid-stream", slog.Int("code", code), slog.String("error", text))
		out.Write(exceptionBlock(tag, text))
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			s.log.Debug("finish compressed response", slog.String("error", err.Error()))
		}
	}
}

// errClientGone marks a failed write to the client.
type errClientGone struct{ err error }

func (e errClientGone) Error() string { return "write response: " + e.err.Error() }

// exceptionBlock frames an exception sent after the response started.
func exceptionBlock(tag, text string) []byte {
	text = strings.TrimRight(text, "\n")
	return []byte("\r\n__exception__\r\n" + tag + "\r\n" + text + "\n" +
		strconv.Itoa(len(text)) + " " + tag + "\r\n__exception__\r\n")
}

// newExceptionTag returns the random 16-character tag of a response's
// in-band exception frame.
func newExceptionTag() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// contentType returns the Content-Type ClickHouse sends for a format.
func contentType(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.HasPrefix(f, "tabseparated"), strings.HasPrefix(f, "tsv"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(f, "csv"):
		return "text/csv; charset=UTF-8; header=absent"
	case strings.HasSuffix(f, "eachrow") && strings.HasPrefix(f, "json"):
		return "application/x-ndjson; charset=UTF-8"
	case strings.HasPrefix(f, "json"):
		return "application/json; charset=UTF-8"
	case f == "xml":
		return "application/xml; charset=UTF-8"
	case strings.HasPrefix(f, "pretty"), f == "vertical", f == "markdown", f == "values":
		return "text/plain; charset=UTF-8"
	}
	return "application/octet-stream"
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// limitedBody fails once more than left bytes were read.
type limitedBody struct {
	r    io.Reader
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errorf(codeQueryIsTooLarge, "Request body is too large after decompression")
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errorf(codeQueryIsTooLarge, "Request body is too large after decompression")
	}
	return n, err
}
