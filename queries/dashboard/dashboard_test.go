package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		path, ctype, contains string
		code                  int
	}{
		{"/", "text/html; charset=utf-8", `<script src="/ui/app.js" defer></script>`, 200},
		{"/ui/app.js", "text/javascript; charset=utf-8", "sessionStorage", 200},
		{"/ui/app.css", "text/css; charset=utf-8", ".chart", 200},
		{"/ui/index.html", "", "", 404},
		{"/ui/missing.js", "", "", 404},
		{"/ui/../dashboard.go", "", "", 404},
		{"/ui/%2e%2e/dashboard.go", "", "", 404},
		{"/v1/not-the-dashboard", "", "", 404},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code {
			t.Errorf("%s: status %d, want %d", tc.path, res.StatusCode, tc.code)
			continue
		}
		if tc.code != 200 {
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != tc.ctype {
			t.Errorf("%s: content type %q, want %q", tc.path, ct, tc.ctype)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: content security policy %q", tc.path, csp)
		}
		if !strings.Contains(string(b), tc.contains) {
			t.Errorf("%s: body lacks %q", tc.path, tc.contains)
		}
	}
}

// TestNoExternalResources keeps the page self-contained: the machine it
// runs on may have no internet, and the policy forbids other origins.
func TestNoExternalResources(t *testing.T) {
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, bad := range []string{"cdn.", "googleapis", "unpkg", "jsdelivr", "<script>", "innerHTML", "eval("} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}
