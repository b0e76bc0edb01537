package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func request(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, strings.TrimSpace(b.String())
}

func TestTeamSettingsAPI(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "set0")
	code, body := request(t, "GET", a.HTTPURL+"/v1/settings", key, "")
	if want := `{"name":"set0","timezone":"Asia/Taipei","region":"TW","currency":"TWD","week_start":1,"rates":{"line":"0.2","whatsapp":"2.724"},"junk":[]}`; code != 200 || body != want {
		t.Fatalf("GET: %d %s\nwant %s", code, body, want)
	}
	code, body = request(t, "PUT", a.HTTPURL+"/v1/settings", key, `{"timezone":"America/New_York","week_start":0,"rates":{"line":"0.25"},"junk":["n/a"]}`)
	if want := `{"name":"set0","timezone":"America/New_York","region":"TW","currency":"TWD","week_start":0,"rates":{"line":"0.25","whatsapp":"2.724"},"junk":["n/a"]}`; code != 200 || body != want {
		t.Fatalf("PUT: %d %s\nwant %s", code, body, want)
	}
	time.Sleep(10 * time.Millisecond)
	if code, got := request(t, "GET", a.HTTPURL+"/v1/settings", key, ""); code != 200 || !strings.Contains(got, `"timezone":"America/New_York"`) {
		t.Fatalf("GET after PUT: %d %s", code, got)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"timezone":"Mars/Olympus"}`, `{"error":"\"Mars/Olympus\" is not an IANA time zone","parameter":"timezone"}`},
		{`{"rates":{"line":"-1"}}`, `{"error":"\"-1\" must be a non-negative decimal","parameter":"rates.line"}`},
		{`{"team_id":"other"}`, `{"error":"json: unknown field \"team_id\"","parameter":"body"}`},
	} {
		if code, got := request(t, "PUT", a.HTTPURL+"/v1/settings", key, tc.body); code != 400 || got != tc.want {
			t.Errorf("PUT %s: %d %s, want 400 %s", tc.body, code, got, tc.want)
		}
	}
}
