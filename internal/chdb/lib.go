package chdb

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <stdint.h>
#include <stddef.h>

// Opaque handles of the chDB C API, declared here so that building needs no
// chDB header: the library is found and bound at run time.
typedef struct { void *internal_data; } osm_result;
typedef struct { void *internal_data; } *osm_conn;

typedef osm_conn *(*osm_connect_fn)(int, char **);
typedef void (*osm_close_fn)(osm_conn *);
typedef osm_result *(*osm_query_n_fn)(osm_conn, const char *, size_t, const char *, size_t);
typedef osm_result *(*osm_query_params_n_fn)(osm_conn, const char *, size_t, const char *, size_t,
	const char *const *, const size_t *, const char *const *, const size_t *, size_t);
typedef void (*osm_destroy_fn)(osm_result *);
typedef char *(*osm_buffer_fn)(osm_result *);
typedef size_t (*osm_length_fn)(osm_result *);
typedef double (*osm_elapsed_fn)(osm_result *);
typedef uint64_t (*osm_u64_fn)(osm_result *);
typedef const char *(*osm_error_fn)(osm_result *);
typedef void (*osm_signals_fn)(int);
typedef osm_result *(*osm_fetch_fn)(osm_conn, osm_result *);
typedef void (*osm_cancel_fn)(osm_conn, osm_result *);

static struct {
	void *handle;
	osm_connect_fn connect;
	osm_close_fn close;
	osm_query_n_fn query_n;
	osm_query_params_n_fn query_params_n;
	osm_destroy_fn destroy;
	osm_buffer_fn buffer;
	osm_length_fn length;
	osm_elapsed_fn elapsed;
	osm_u64_fn rows_read;
	osm_u64_fn bytes_read;
	osm_u64_fn rows_written;
	osm_u64_fn bytes_written;
	osm_error_fn error;
	osm_signals_fn signals_enabled;
	osm_query_n_fn stream_n;
	osm_query_params_n_fn stream_params_n;
	osm_fetch_fn stream_fetch;
	osm_cancel_fn stream_cancel;
} osm_lib;

// osm_load binds the library at path. It returns NULL on success or a
// message naming what failed.
static const char *osm_load(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		return dlerror();
	}
#define OSM_SYM(field, name, required)                                        \
	*(void **)(&osm_lib.field) = dlsym(h, name);                          \
	if (osm_lib.field == NULL && (required)) {                            \
		return "missing symbol " name;                                \
	}
	OSM_SYM(connect, "chdb_connect", 1)
	OSM_SYM(close, "chdb_close_conn", 1)
	OSM_SYM(query_n, "chdb_query_n", 1)
	OSM_SYM(query_params_n, "chdb_query_with_params_n", 0)
	OSM_SYM(destroy, "chdb_destroy_query_result", 1)
	OSM_SYM(buffer, "chdb_result_buffer", 1)
	OSM_SYM(length, "chdb_result_length", 1)
	OSM_SYM(elapsed, "chdb_result_elapsed", 1)
	OSM_SYM(rows_read, "chdb_result_rows_read", 1)
	OSM_SYM(bytes_read, "chdb_result_bytes_read", 1)
	OSM_SYM(rows_written, "chdb_result_rows_written", 0)
	OSM_SYM(bytes_written, "chdb_result_bytes_written", 0)
	OSM_SYM(error, "chdb_result_error", 1)
	OSM_SYM(signals_enabled, "chdb_set_signal_handlers_enabled", 0)
	OSM_SYM(stream_n, "chdb_stream_query_n", 0)
	OSM_SYM(stream_params_n, "chdb_stream_query_with_params_n", 0)
	OSM_SYM(stream_fetch, "chdb_stream_fetch_result", 0)
	OSM_SYM(stream_cancel, "chdb_stream_cancel_query", 0)
#undef OSM_SYM
	osm_lib.handle = h;
	return NULL;
}

static int osm_has_params(void) { return osm_lib.query_params_n != NULL; }

static osm_conn *osm_connect(int argc, char **argv) {
	// The Go runtime owns the process's signal handlers; chDB must not
	// replace them (a foreign SIGSEGV/SIGURG handler breaks the runtime).
	if (osm_lib.signals_enabled != NULL) {
		osm_lib.signals_enabled(0);
	}
	return osm_lib.connect(argc, argv);
}

static void osm_close(osm_conn *c) { osm_lib.close(c); }

static osm_result *osm_query(osm_conn *c, const char *q, size_t ql, const char *f, size_t fl) {
	return osm_lib.query_n(*c, q, ql, f, fl);
}

static osm_result *osm_query_params(osm_conn *c, const char *q, size_t ql, const char *f, size_t fl,
	const char *const *names, const size_t *name_lens, const char *const *values, const size_t *value_lens, size_t n) {
	return osm_lib.query_params_n(*c, q, ql, f, fl, names, name_lens, values, value_lens, n);
}

static int osm_has_stream(void) {
	return osm_lib.stream_n != NULL && osm_lib.stream_params_n != NULL &&
		osm_lib.stream_fetch != NULL && osm_lib.stream_cancel != NULL;
}

static osm_result *osm_stream(osm_conn *c, const char *q, size_t ql, const char *f, size_t fl) {
	return osm_lib.stream_n(*c, q, ql, f, fl);
}

static osm_result *osm_stream_params(osm_conn *c, const char *q, size_t ql, const char *f, size_t fl,
	const char *const *names, const size_t *name_lens, const char *const *values, const size_t *value_lens, size_t n) {
	return osm_lib.stream_params_n(*c, q, ql, f, fl, names, name_lens, values, value_lens, n);
}

static osm_result *osm_stream_fetch(osm_conn *c, osm_result *r) { return osm_lib.stream_fetch(*c, r); }
static void osm_stream_cancel(osm_conn *c, osm_result *r) { osm_lib.stream_cancel(*c, r); }

static void osm_destroy(osm_result *r) { osm_lib.destroy(r); }
static char *osm_buffer(osm_result *r) { return osm_lib.buffer(r); }
static size_t osm_length(osm_result *r) { return osm_lib.length(r); }
static double osm_elapsed(osm_result *r) { return osm_lib.elapsed(r); }
static uint64_t osm_rows_read(osm_result *r) { return osm_lib.rows_read(r); }
static uint64_t osm_bytes_read(osm_result *r) { return osm_lib.bytes_read(r); }
static uint64_t osm_rows_written(osm_result *r) { return osm_lib.rows_written ? osm_lib.rows_written(r) : 0; }
static uint64_t osm_bytes_written(osm_result *r) { return osm_lib.bytes_written ? osm_lib.bytes_written(r) : 0; }
static const char *osm_error(osm_result *r) { return osm_lib.error(r); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"
)

// library state is process wide: dlopen happens once and chDB keeps one
// engine (one storage path) per process.
var lib struct {
	mu     sync.Mutex
	path   string // path the library was loaded from; "" until loaded
	loaded bool
}

// loadLibrary binds libchdb.so at path, once per process.
func loadLibrary(path string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("load chDB library: %w: %s does not exist (run `make chdb` to fetch it)", ErrLibraryMissing, path)
		}
		return fmt.Errorf("load chDB library %s: %w", path, err)
	}
	lib.mu.Lock()
	defer lib.mu.Unlock()
	if lib.loaded {
		if path != lib.path {
			return fmt.Errorf("load chDB library %s: already loaded from %s", path, lib.path)
		}
		return nil
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if msg := C.osm_load(cpath); msg != nil {
		return fmt.Errorf("load chDB library %s: %s", path, C.GoString(msg))
	}
	lib.path, lib.loaded = path, true
	return nil
}

// conn is one chDB connection handle.
type conn struct {
	p *C.osm_conn
	// db is the connection's current database as last set by Query; "" if
	// never set (chDB's "default").
	db string
}

// connect opens a chDB connection with the given command-line style args.
func connect(args []string) (*conn, error) {
	argv := make([]*C.char, len(args)+1)
	argv[0] = C.CString("clickhouse")
	for i, a := range args {
		argv[i+1] = C.CString(a)
	}
	defer func() {
		for _, p := range argv {
			C.free(unsafe.Pointer(p))
		}
	}()
	// argv lives in C memory: cgo forbids passing Go pointers to Go pointers.
	cargv := (**C.char)(C.malloc(C.size_t(len(argv)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(cargv))
	s := unsafe.Slice(cargv, len(argv))
	copy(s, argv)
	p := C.osm_connect(C.int(len(argv)), cargv)
	if p == nil {
		return nil, errors.New("chdb_connect returned no connection")
	}
	return &conn{p: p}, nil
}

func (c *conn) close() {
	if c.p != nil {
		C.osm_close(c.p)
		c.p = nil
	}
}

// rawResult is what one chdb_query call returned, copied into Go memory.
type rawResult struct {
	data         []byte
	rowsRead     uint64
	bytesRead    uint64
	rowsWritten  uint64
	bytesWritten uint64
	elapsed      time.Duration
	errText      string
	hasErr       bool
}

// cParams holds query parameters in C memory for one call.
type cParams struct {
	n                   int
	names, values       **C.char
	nameLens, valueLens *C.size_t
}

func newCParams(params map[string]string) *cParams {
	n := len(params)
	if n == 0 {
		return &cParams{}
	}
	ptrSize := C.size_t(unsafe.Sizeof(uintptr(0)))
	sizeSize := C.size_t(unsafe.Sizeof(C.size_t(0)))
	p := &cParams{
		n:         n,
		names:     (**C.char)(C.malloc(C.size_t(n) * ptrSize)),
		values:    (**C.char)(C.malloc(C.size_t(n) * ptrSize)),
		nameLens:  (*C.size_t)(C.malloc(C.size_t(n) * sizeSize)),
		valueLens: (*C.size_t)(C.malloc(C.size_t(n) * sizeSize)),
	}
	ns, vs := unsafe.Slice(p.names, n), unsafe.Slice(p.values, n)
	nls, vls := unsafe.Slice(p.nameLens, n), unsafe.Slice(p.valueLens, n)
	i := 0
	for k, v := range params {
		ns[i] = (*C.char)(C.CBytes(append([]byte(k), 0)))
		vs[i] = (*C.char)(C.CBytes(append([]byte(v), 0)))
		nls[i], vls[i] = C.size_t(len(k)), C.size_t(len(v))
		i++
	}
	return p
}

func (p *cParams) free() {
	if p.n == 0 {
		return
	}
	ns, vs := unsafe.Slice(p.names, p.n), unsafe.Slice(p.values, p.n)
	for i := range p.n {
		C.free(unsafe.Pointer(ns[i]))
		C.free(unsafe.Pointer(vs[i]))
	}
	C.free(unsafe.Pointer(p.names))
	C.free(unsafe.Pointer(p.values))
	C.free(unsafe.Pointer(p.nameLens))
	C.free(unsafe.Pointer(p.valueLens))
}

// query runs one statement on c. params, when not empty, are bound by the
// engine to {name:Type} placeholders.
func (c *conn) query(sql, format string, params map[string]string) (rawResult, error) {
	if len(params) > 0 && C.osm_has_params() == 0 {
		return rawResult{}, errors.New("this chDB library does not support query parameters")
	}
	q := C.CBytes(append([]byte(sql), 0))
	defer C.free(q)
	f := C.CString(format)
	defer C.free(unsafe.Pointer(f))
	p := newCParams(params)
	defer p.free()

	var r *C.osm_result
	if p.n == 0 {
		r = C.osm_query(c.p, (*C.char)(q), C.size_t(len(sql)), f, C.size_t(len(format)))
	} else {
		r = C.osm_query_params(c.p, (*C.char)(q), C.size_t(len(sql)), f, C.size_t(len(format)),
			p.names, p.nameLens, p.values, p.valueLens, C.size_t(p.n))
	}
	if r == nil {
		return rawResult{}, errors.New("chdb_query returned no result")
	}
	defer C.osm_destroy(r)
	return readResult(r), nil
}

// readResult copies a result's data and statistics into Go memory.
func readResult(r *C.osm_result) rawResult {
	out := rawResult{
		rowsRead:     uint64(C.osm_rows_read(r)),
		bytesRead:    uint64(C.osm_bytes_read(r)),
		rowsWritten:  uint64(C.osm_rows_written(r)),
		bytesWritten: uint64(C.osm_bytes_written(r)),
		elapsed:      time.Duration(float64(C.osm_elapsed(r)) * float64(time.Second)),
	}
	if e := C.osm_error(r); e != nil {
		out.hasErr = true
		out.errText = C.GoString(e)
		return out
	}
	if n := C.osm_length(r); n > 0 {
		out.data = make([]byte, int(n))
		copy(out.data, unsafe.Slice((*byte)(unsafe.Pointer(C.osm_buffer(r))), int(n)))
	}
	return out
}

// cstream is a streaming query on a connection.
type cstream struct {
	c *conn
	r *C.osm_result
}

func streamSupported() bool { return C.osm_has_stream() != 0 }

// stream starts a streaming query. An engine error at start is returned in
// rawResult with a nil stream.
func (c *conn) stream(sql, format string, params map[string]string) (*cstream, rawResult, error) {
	if !streamSupported() {
		return nil, rawResult{}, errors.New("this chDB library does not support streaming queries")
	}
	q := C.CBytes(append([]byte(sql), 0))
	defer C.free(q)
	f := C.CString(format)
	defer C.free(unsafe.Pointer(f))
	p := newCParams(params)
	defer p.free()

	var r *C.osm_result
	if p.n == 0 {
		r = C.osm_stream(c.p, (*C.char)(q), C.size_t(len(sql)), f, C.size_t(len(format)))
	} else {
		r = C.osm_stream_params(c.p, (*C.char)(q), C.size_t(len(sql)), f, C.size_t(len(format)),
			p.names, p.nameLens, p.values, p.valueLens, C.size_t(p.n))
	}
	if r == nil {
		return nil, rawResult{}, errors.New("chdb_stream_query returned no result")
	}
	if e := C.osm_error(r); e != nil {
		res := rawResult{hasErr: true, errText: C.GoString(e)}
		C.osm_destroy(r)
		return nil, res, nil
	}
	return &cstream{c: c, r: r}, rawResult{}, nil
}

// fetch returns the next chunk; a chunk without data and error is the end.
func (s *cstream) fetch() (rawResult, error) {
	r := C.osm_stream_fetch(s.c.p, s.r)
	if r == nil {
		return rawResult{}, errors.New("chdb_stream_fetch_result returned no result")
	}
	defer C.osm_destroy(r)
	return readResult(r), nil
}

func (s *cstream) cancel() { C.osm_stream_cancel(s.c.p, s.r) }

func (s *cstream) destroy() {
	if s.r != nil {
		C.osm_destroy(s.r)
		s.r = nil
	}
}
