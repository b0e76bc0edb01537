package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Patterns lists the patterns registered on mux ("GET /v1/reports/tags",
// "POST /webhooks/line/{channel}", …), sorted.
//
// net/http has no API to list them, so Patterns reads the mux's routing
// index (ServeMux.index: segments and multis, each pattern's str) by
// reflection, read-only. When a future Go lays the mux out differently it
// returns an error rather than a partial list; the contract test then fails
// and says so.
func Patterns(mux *http.ServeMux) ([]string, error) {
	if mux == nil {
		return nil, errors.New("openapi: nil mux")
	}
	idx := reflect.ValueOf(mux).Elem().FieldByName("index")
	if !idx.IsValid() {
		return nil, errors.New("openapi: http.ServeMux has no routing index field (net/http changed): update openapi.Patterns")
	}
	segs, multis := idx.FieldByName("segments"), idx.FieldByName("multis")
	if segs.Kind() != reflect.Map || multis.Kind() != reflect.Slice {
		return nil, errors.New("openapi: http.ServeMux's routing index changed: update openapi.Patterns")
	}
	seen := map[string]bool{}
	var out []string
	add := func(list reflect.Value) error {
		for i := range list.Len() {
			p := list.Index(i)
			if p.Kind() == reflect.Pointer {
				p = p.Elem()
			}
			str := p.FieldByName("str")
			if str.Kind() != reflect.String {
				return errors.New("openapi: net/http's pattern type changed: update openapi.Patterns")
			}
			if s := str.String(); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return nil
	}
	for it := segs.MapRange(); it.Next(); {
		if err := add(it.Value()); err != nil {
			return nil, err
		}
	}
	if err := add(multis); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// PathOf maps a mux pattern to the OpenAPI method (lower case) and path:
// "GET /r/{token}" → ("get", "/r/{token}"); a trailing {name...} becomes
// {name}, "{$}" (exact match) is dropped. A pattern without a method
// answers every method: method is "".
func PathOf(pattern string) (method, path string, err error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "/") {
		return "", "", fmt.Errorf("pattern %q: host patterns are not described", pattern)
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = strings.ReplaceAll(path, "...}", "}")
	return strings.ToLower(method), path, nil
}

// Operations lists the documented operations as "METHOD path" (upper-case
// method), sorted.
func (d *Document) Operations() []string {
	var out []string
	for path, item := range d.Paths {
		for m := range item {
			out = append(out, strings.ToUpper(m)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// Restrict returns a copy of d keeping only the operations served
// (patterns as Patterns lists them). HEAD is implied by GET.
func (d *Document) Restrict(patterns []string) *Document {
	served := map[string]bool{}
	for _, p := range patterns {
		m, path, err := PathOf(p)
		if err != nil {
			continue
		}
		served[m+" "+path] = true
	}
	out := *d
	out.Paths = map[string]PathItem{}
	for path, item := range d.Paths {
		kept := PathItem{}
		for m, op := range item {
			if served[m+" "+path] || served[" "+path] {
				kept[m] = op
			}
		}
		if len(kept) > 0 {
			out.Paths[path] = kept
		}
	}
	return &out
}
