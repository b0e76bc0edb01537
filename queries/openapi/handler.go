package openapi

import (
	"encoding/json"
	"net/http"
	"sync"
)

// Handler serves the document restricted to the routes mux serves. The
// routes are read at the first request, once every route is registered.
// When they cannot be read (see Patterns) the whole document is served.
func Handler(mux *http.ServeMux) http.Handler {
	var once sync.Once
	var body []byte
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			doc := Spec()
			if patterns, err := Patterns(mux); err == nil {
				doc = doc.Restrict(patterns)
			}
			b, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				panic("openapi: encode the document: " + err.Error())
			}
			body = append(b, '\n')
		})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(body)
	})
}
