package openapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestPatterns(t *testing.T) {
	mux := http.NewServeMux()
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	want := []string{"/plain", "DELETE /v1/a/{id}", "GET /static/", "GET /r/{token}", "GET /ui/{file...}", "GET /v1/a/{id}", "GET /{$}", "POST /v1/a"}
	for _, p := range want {
		mux.Handle(p, h)
	}
	got, err := Patterns(mux)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("patterns\n got %q\nwant %q", got, want)
	}
}

func TestPathOf(t *testing.T) {
	for _, tc := range []struct{ pattern, method, path string }{
		{"GET /v1/reports/broadcasts/{id}", "get", "/v1/reports/broadcasts/{id}"},
		{"GET /{$}", "get", "/"},
		{"GET /ui/{file...}", "get", "/ui/{file}"},
		{"/plain", "", "/plain"},
		{"OPTIONS /v1/pixel", "options", "/v1/pixel"},
	} {
		m, p, err := PathOf(tc.pattern)
		if err != nil || m != tc.method || p != tc.path {
			t.Errorf("PathOf(%q) = %q %q %v, want %q %q", tc.pattern, m, p, err, tc.method, tc.path)
		}
	}
	if _, _, err := PathOf("GET example.com/x"); err == nil {
		t.Error("a host pattern was accepted")
	}
}

// TestSpecWellFormed checks the document's own consistency: references
// resolve, path parameters match the path templates, operation ids are
// unique, every operation answers something and names its security.
func TestSpecWellFormed(t *testing.T) {
	b, err := json.Marshal(Spec())
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDoc(b)
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`"\$ref":"([^"]+)"`).FindAllStringSubmatch(string(b), -1)
	if len(refs) < 50 {
		t.Fatalf("only %d references", len(refs))
	}
	for _, r := range refs {
		if res := d.resolve(map[string]any{"$ref": r[1]}); res.(map[string]any)["$unresolved"] != nil {
			t.Errorf("unresolved %s", r[1])
		}
	}
	templ := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range Spec().Paths {
		var inPath []string
		for _, m := range templ.FindAllStringSubmatch(path, -1) {
			inPath = append(inPath, m[1])
		}
		for method, op := range item {
			var declared []string
			for _, p := range op.Parameters {
				if p.In == "path" {
					declared = append(declared, p.Name)
					if !p.Required {
						t.Errorf("%s %s: path parameter %s not required", method, path, p.Name)
					}
				}
				if p.Schema == nil {
					t.Errorf("%s %s: parameter %s has no schema", method, path, p.Name)
				}
			}
			slices.Sort(declared)
			sortedPath := slices.Sorted(slices.Values(inPath))
			if !slices.Equal(declared, sortedPath) {
				t.Errorf("%s %s: path parameters %v, template has %v", method, path, declared, sortedPath)
			}
			if len(op.Responses) == 0 || op.Security == nil || op.Summary == "" {
				t.Errorf("%s %s: responses, security and summary are required", method, path)
			}
		}
	}
	if n := len(Spec().Operations()); n < 50 {
		t.Errorf("%d operations documented", n)
	}
}

func TestValidate(t *testing.T) {
	d, err := ParseDoc([]byte(`{"openapi":"3.1.0","components":{"schemas":{
		"Rate":{"type":["number","null"],"minimum":0},
		"Row":{"type":"object","required":["id","rate"],"properties":{
			"id":{"type":"string","minLength":1},
			"rate":{"$ref":"#/components/schemas/Rate"},
			"kind":{"type":"string","enum":["url","module"]},
			"day":{"type":"string","format":"date"},
			"at":{"type":"string","format":"date-time"},
			"n":{"type":"integer","minimum":0,"maximum":10},
			"tags":{"type":"array","items":{"type":"string"},"maxItems":2},
			"by":{"type":"object","additionalProperties":{"type":"integer"}},
			"money":{"anyOf":[{"type":"object","required":["amount"],"properties":{"amount":{"type":"string","pattern":"^[0-9.]+$"}}},{"type":"null"}]}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]any{"$ref": "#/components/schemas/Row"}
	for _, tc := range []struct {
		name, json string
		want       []string
	}{
		{"valid", `{"id":"a","rate":0.5,"kind":"url","day":"2024-02-29","at":"2024-01-01T10:00:00+08:00","n":3,"tags":["x"],"by":{"a":1},"money":{"amount":"1.5"}}`, nil},
		{"nulls allowed", `{"id":"a","rate":null,"money":null}`, nil},
		{"missing required", `{"id":"a"}`, []string{`$: required property "rate" is missing`}},
		{"wrong types", `{"id":1,"rate":"x"}`, []string{`$.id: is integer 1, want string`, `$.rate: is string "x", want number or null`}},
		{"integer wanted", `{"id":"a","rate":1,"n":1.5}`, []string{`$.n: is number 1.5, want integer`}},
		{"bounds", `{"id":"","rate":-1,"n":11}`, []string{`$.id: "" is shorter than 1`, `$.n: 11 is more than 10`, `$.rate: -1 is less than 0`}},
		{"enum", `{"id":"a","rate":0,"kind":"reply"}`, []string{`$.kind: "reply" is not one of [url module]`}},
		{"formats", `{"id":"a","rate":0,"day":"2024-02-30","at":"yesterday"}`, []string{`$.at: "yesterday" is not an RFC 3339 date-time`, `$.day: "2024-02-30" is not a date YYYY-MM-DD`}},
		{"items", `{"id":"a","rate":0,"tags":["x",2,"z"]}`, []string{`$.tags: has 3 items, at most 2 allowed`, `$.tags[1]: is integer 2, want string`}},
		{"map values", `{"id":"a","rate":0,"by":{"a":"x"}}`, []string{`$.by.a: is string "x", want integer`}},
		{"anyOf", `{"id":"a","rate":0,"money":{"amount":"x1"}}`, []string{`$.money.amount: "x1" does not match ^[0-9.]+$`}},
		{"undocumented property", `{"id":"a","rate":0,"secret":1}`, []string{`$.secret: property is not in the document`}},
		{"null object", `null`, []string{`$: is null null, want object`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := DecodeJSON([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			got := d.Validate(row, v)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestHandlerRestricts(t *testing.T) {
	mux := http.NewServeMux()
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux.Handle("GET /v1/reports/broadcasts/{id}", h)
	mux.Handle("GET /healthz", h)
	mux.Handle("GET /v1/openapi.json", Handler(mux))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc Document
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Operations()
	want := []string{"GET /healthz", "GET /v1/openapi.json", "GET /v1/reports/broadcasts/{id}"}
	if !slices.Equal(got, want) || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("served operations %q (%s), want %q", got, res.Header.Get("Content-Type"), want)
	}
	if !strings.Contains(doc.Components.SecuritySchemes[TeamKey].Scheme, "bearer") {
		t.Error("team key scheme missing")
	}
}
