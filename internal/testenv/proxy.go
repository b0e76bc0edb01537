package testenv

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// ProxyMode is how a Proxy treats requests.
type ProxyMode int32

// Proxy modes.
const (
	// ProxyUp forwards every request.
	ProxyUp ProxyMode = iota
	// ProxyDown drops every connection without an answer, like a server
	// that is gone.
	ProxyDown
	// ProxyFailInserts answers INSERTs with ClickHouse's out-of-space error
	// and forwards everything else, like a server whose disk is full.
	ProxyFailInserts
)

// Proxy is an HTTP proxy on loopback in front of a ClickHouse HTTP
// interface, whose failures a test switches on and off.
type Proxy struct {
	URL  string
	mode atomic.Int32
	// Failed counts requests refused or failed by the proxy.
	Failed atomic.Int64
}

// NewProxy starts a proxy to target (a base URL) for the test's lifetime.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch ProxyMode(p.mode.Load()) {
		case ProxyDown:
			p.Failed.Add(1)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case ProxyFailInserts:
			if strings.Contains(strings.ToUpper(r.URL.Query().Get("query")), "INSERT") {
				p.Failed.Add(1)
				w.Header().Set("X-ClickHouse-Exception-Code", "243")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)\n"))
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Set switches the proxy's mode.
func (p *Proxy) Set(m ProxyMode) { p.mode.Store(int32(m)) }
