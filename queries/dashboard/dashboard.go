// Package dashboard is the web dashboard of Omnistream: one HTML page,
// a stylesheet and a script, embedded in the binary and served by
// `omnistream run` at / (no build step, no CDN: charts are SVG drawn by
// the page's own script).
//
// Nothing enters the package but HTTP requests for those files. The page
// asks for a team API key, keeps it in the browser's sessionStorage and
// calls the JSON API (/v1/reports/…, /v1/settings) with it, so it sees
// exactly what that key may see; it polls the open report every few
// seconds so numbers update live.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Static is the dashboard's files: index.html, app.css, app.js.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return sub
}

// Routes served by Register.
const (
	RouteIndex = "GET /{$}"
	RouteFiles = "GET /ui/{file...}"
)

// securityHeaders keep the page to its own origin: no inline script, no
// third-party loads, no framing.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// Register mounts the page at / and its files under /ui/.
func Register(mux *http.ServeMux) {
	static := Static()
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	mux.HandleFunc(RouteIndex, func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(index)
	})
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	mux.HandleFunc(RouteFiles, func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		ct, known := types[path.Ext(name)]
		if !known || strings.Contains(name, "..") || !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(static, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		securityHeaders(w.Header())
		w.Header().Set("Content-Type", ct)
		w.Write(b)
	})
}
