// Package hooktest holds test helpers for the ingest receivers: an in-memory
// recording Publisher and DeadLetters, and golden-file comparison. Data
// enters through the Publish and DeadLetter methods and leaves through the
// recorder's accessors and the rendered golden JSON.
package hooktest

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/omnistream/omnistream/ingest/event"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Recorder is an in-memory Publisher and DeadLetters.
type Recorder struct {
	mu          sync.Mutex
	Events      []event.Event
	Teams       []string // team of each recorded event
	Dead        []Dead
	PublishErr  error // returned by Publish when set
	DeadErr     error // returned by DeadLetter when set
	PublishCall int
}

// Dead is one recorded dead letter.
type Dead struct {
	Source string
	Raw    []byte
	Reason string
}

// Publish records events, or fails with PublishErr.
func (r *Recorder) Publish(_ context.Context, teamID string, events []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.PublishCall++
	if r.PublishErr != nil {
		return r.PublishErr
	}
	for _, e := range events {
		if e.TeamID != teamID {
			return errors.New("event team differs from the publish team")
		}
		r.Events = append(r.Events, e)
		r.Teams = append(r.Teams, teamID)
	}
	return nil
}

// DeadLetter records a dead letter, or fails with DeadErr.
func (r *Recorder) DeadLetter(_ context.Context, source string, raw []byte, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.DeadErr != nil {
		return r.DeadErr
	}
	r.Dead = append(r.Dead, Dead{Source: source, Raw: append([]byte(nil), raw...), Reason: reason})
	return nil
}

// Snapshot returns copies of what was recorded.
func (r *Recorder) Snapshot() ([]event.Event, []Dead) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.Events...), append([]Dead(nil), r.Dead...)
}

// Reset forgets what was recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Events, r.Teams, r.Dead = nil, nil, nil
}

// Render writes status, events (wire form) and dead letters as indented JSON,
// the golden form.
func Render(t testing.TB, status int, events []event.Event, dead []Dead) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(`{"status":`)
	buf.WriteString(itoa(status))
	buf.WriteString(`,"events":[`)
	for i := range events {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := event.AppendJSON(nil, &events[i])
		if err != nil {
			t.Fatalf("encode event %d: %v", i, err)
		}
		buf.Write(b)
	}
	buf.WriteString(`],"dead_letters":[`)
	for i, d := range dead {
		if i > 0 {
			buf.WriteByte(',')
		}
		reason, _ := stdjson.Marshal(d.Reason)
		raw := d.Raw
		if !stdjson.Valid(raw) {
			raw, _ = stdjson.Marshal(string(d.Raw))
		} else {
			var c bytes.Buffer
			_ = stdjson.Compact(&c, raw)
			raw = c.Bytes()
		}
		buf.WriteString(`{"source":"` + d.Source + `","reason":`)
		buf.Write(reason)
		buf.WriteString(`,"raw":`)
		buf.Write(raw)
		buf.WriteByte('}')
	}
	buf.WriteString("]}")
	var out bytes.Buffer
	if err := stdjson.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		t.Fatalf("indent golden output: %v\n%s", err, buf.Bytes())
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// Golden compares got with the file at path, or rewrites it under -update.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func itoa(n int) string {
	b, _ := stdjson.Marshal(n)
	return string(b)
}
