package chserver_test

import (
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/testenv"
)

func TestHTTPSessions(t *testing.T) {
	db := testenv.Database(t)
	base := db.Server.URL + "/?database=" + db.Name
	q := url.QueryEscape
	steps := []struct {
		name   string
		method string
		url    string
		body   string
		status int
		want   string
	}{
		{"SET in a session", "POST", base + "&session_id=s1", "SET max_threads = 3", 200, ""},
		{"temporary table", "POST", base + "&session_id=s1", "CREATE TEMPORARY TABLE tmp (x UInt8)", 200, ""},
		{"insert into it", "POST", base + "&session_id=s1&query=" + q("INSERT INTO tmp FORMAT TSV"), "1\n2\n3\n", 200, ""},
		{"state persists", "GET", base + "&session_id=s1&query=" + q("SELECT count(), getSetting('max_threads') FROM tmp"), "", 200, "3\t3\n"},
		{"URL settings apply to one query", "GET", base + "&session_id=s1&max_threads=5&query=" + q("SELECT getSetting('max_threads')"), "", 200, "5\n"},
		{"and are undone", "GET", base + "&session_id=s1&query=" + q("SELECT getSetting('max_threads')"), "", 200, "3\n"},
		{"GET cannot write in a session", "GET", base + "&session_id=s1&query=" + q("INSERT INTO tmp VALUES (4)"), "", 500, "Code: 164."},
		{"another session is separate", "GET", base + "&session_id=s2&query=" + q("SELECT count() FROM tmp"), "", 404, "Code: 60."},
		{"no session is separate", "GET", base + "&query=" + q("SELECT getSetting('max_threads') = 3"), "", 200, "0\n"},
		{"session_check on an unknown session", "GET", base + "&session_id=nope&session_check=1&query=SELECT+1", "", 500, "Code: 372."},
		{"too long a timeout", "GET", base + "&session_id=s3&session_timeout=999999&query=SELECT+1", "", 500, "Code: 374."},
		{"short timeout", "GET", base + "&session_id=short&session_timeout=1&query=SELECT+1", "", 200, "1\n"},
	}
	for _, st := range steps {
		var body io.Reader
		if st.method == "POST" {
			body = strings.NewReader(st.body)
		}
		r, got := do(t, st.method, st.url, body, nil)
		code := r.StatusCode
		if code != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, code, st.status, got)
		}
		if (st.status == 200 && got != st.want) || (st.status != 200 && !strings.Contains(got, st.want)) {
			t.Fatalf("%s: body %q, want %q", st.name, got, st.want)
		}
	}
	// An idle session expires.
	time.Sleep(1100 * time.Millisecond)
	r, got := do(t, "GET", base+"&session_id=short&session_check=1&query=SELECT+1", nil, nil)
	if r.StatusCode != 500 || !strings.Contains(got, "Code: 372.") {
		t.Fatalf("expired session: %d %s", r.StatusCode, got)
	}
}
