package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// Config configures the export service.
type Config struct {
	// Dir holds finished job files. Required.
	Dir string
	// Keep is how long a finished job's file can be downloaded. Default 24h.
	Keep time.Duration
	// Workers bounds the jobs running at once. Default 2.
	Workers int
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("export: dir is required"))
	}
	if c.Keep <= 0 || c.Workers < 1 {
		errs = append(errs, fmt.Errorf("export: keep (%s) must be positive and workers (%d) at least 1", c.Keep, c.Workers))
	}
	return errors.Join(errs...)
}

// DefaultConfig keeps files 24 h with 2 workers; Dir must be set.
func DefaultConfig() Config { return Config{Keep: 24 * time.Hour, Workers: 2} }

// Job is an export running in the background.
type Job struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Format      string     `json:"format"`
	Status      string     `json:"status"` // queued, running, done, failed
	RowsDone    int64      `json:"rows_done"`
	RowsTotal   int64      `json:"rows_total"`
	Error       string     `json:"error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	DownloadURL string     `json:"download_url,omitempty"`

	team string
	path string
}

// Service serves exports. Jobs live in memory (a restart forgets them;
// their files are removed with them).
type Service struct {
	cfg    Config
	db     Querier
	logger *slog.Logger
	sem    chan struct{}

	mu   sync.Mutex
	jobs map[string]*Job
}

// New returns the service.
func New(cfg Config, db Querier, logger *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create export dir %s: %w", cfg.Dir, err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: db, logger: logger, sem: make(chan struct{}, cfg.Workers), jobs: map[string]*Job{}}, nil
}

// Register mounts the endpoints; auth is the team middleware.
func (s *Service) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/exports/{kind}/stream", auth(http.HandlerFunc(s.stream)))
	mux.Handle("POST /v1/exports", auth(http.HandlerFunc(s.create)))
	mux.Handle("GET /v1/exports/{id}", auth(http.HandlerFunc(s.status)))
	mux.Handle("GET /v1/exports/{id}/download", auth(http.HandlerFunc(s.download)))
}

// spec is an export request as the API takes it.
type spec struct {
	Kind    string `json:"kind"`
	Format  string `json:"format"`
	Lang    string `json:"lang"`
	From    string `json:"from"`
	To      string `json:"to"`
	Channel string `json:"channel"`
	ID      string `json:"id"`
}

// paramError names the offending parameter.
type paramError struct{ param, msg string }

func (e paramError) Error() string { return e.param + ": " + e.msg }

func (s *Service) request(team *teams.Team, sp spec) (Request, error) {
	k, ok := Kinds[sp.Kind]
	if !ok {
		return Request{}, paramError{"kind", fmt.Sprintf("%q unknown (broadcasts, tag_log, omnilink, cart_orders, events)", sp.Kind)}
	}
	if sp.Format == "" {
		sp.Format = CSV
	}
	if _, ok := ContentType[sp.Format]; !ok {
		return Request{}, paramError{"format", fmt.Sprintf("%q unknown (csv, parquet, arrow)", sp.Format)}
	}
	switch sp.Lang {
	case "":
		sp.Lang = "en"
	case "en", "zh-TW":
	default:
		return Request{}, paramError{"lang", fmt.Sprintf("%q unknown (en, zh-TW)", sp.Lang)}
	}
	loc := team.Location()
	var p Params
	for _, d := range []struct {
		name, v string
		dst     *time.Time
		next    bool
	}{{"from", sp.From, &p.From, false}, {"to", sp.To, &p.To, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.v, loc)
		if err != nil {
			return Request{}, paramError{d.name, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", d.v)}
		}
		if d.next {
			t = t.AddDate(0, 0, 1) // to is inclusive
		}
		*d.dst = t
	}
	p.Channel, p.ID = sp.Channel, sp.ID
	if err := k.Check(p); err != nil {
		return Request{}, paramError{"range", err.Error()}
	}
	return Request{Kind: k, Team: team.ID, Loc: loc, Params: p, Format: sp.Format, Lang: sp.Lang}, nil
}

func fileName(r Request) string {
	return fmt.Sprintf("%s-%s.%s", r.Kind.Name, time.Now().UTC().Format("20060102-150405"), r.Format)
}

func (s *Service) stream(w http.ResponseWriter, r *http.Request) {
	team, _ := teams.FromContext(r.Context())
	q := r.URL.Query()
	req, err := s.request(team, spec{Kind: r.PathValue("kind"), Format: q.Get("format"), Lang: q.Get("lang"),
		From: q.Get("from"), To: q.Get("to"), Channel: q.Get("channel"), ID: q.Get("id")})
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", ContentType[req.Format])
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(req)+`"`)
	if _, err := Write(r.Context(), s.db, req, w, nil); err != nil {
		// Headers are gone; the truncated body is all the client sees.
		s.logger.Error("export stream failed", "team", team.ID, "kind", req.Kind.Name, "err", err)
	}
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) {
	team, _ := teams.FromContext(r.Context())
	var sp spec
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		writeErr(w, paramError{"body", err.Error()})
		return
	}
	req, err := s.request(team, sp)
	if err != nil {
		writeErr(w, err)
		return
	}
	idb := make([]byte, 8)
	rand.Read(idb)
	job := &Job{ID: "exp_" + hex.EncodeToString(idb), Kind: req.Kind.Name, Format: req.Format, Status: "queued",
		CreatedAt: time.Now().UTC(), team: team.ID}
	job.path = filepath.Join(s.cfg.Dir, job.ID+"."+req.Format)
	s.mu.Lock()
	s.jobs[job.ID] = job
	s.mu.Unlock()
	go s.run(context.WithoutCancel(r.Context()), job, req)
	writeJSON(w, http.StatusAccepted, s.view(job))
}

func (s *Service) run(ctx context.Context, job *Job, req Request) {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	s.update(job, func(j *Job) { j.Status = "running" })
	err := func() error {
		total, err := Count(ctx, s.db, req)
		if err != nil {
			return err
		}
		s.update(job, func(j *Job) { j.RowsTotal = total })
		f, err := os.Create(job.path)
		if err != nil {
			return fmt.Errorf("create export file: %w", err)
		}
		// The Parquet writer closes a writer that is a Closer: hide it.
		_, err = Write(ctx, s.db, req, struct{ io.Writer }{f}, func(n int64) { s.update(job, func(j *Job) { j.RowsDone = n }) })
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}()
	now := time.Now().UTC()
	s.update(job, func(j *Job) {
		j.FinishedAt = &now
		if err != nil {
			j.Status, j.Error = "failed", err.Error()
			os.Remove(j.path)
			return
		}
		j.Status, j.DownloadURL = "done", "/v1/exports/"+j.ID+"/download"
	})
	if err != nil {
		s.logger.Error("export job failed", "job", job.ID, "err", err)
	}
	time.AfterFunc(s.cfg.Keep, func() {
		s.mu.Lock()
		delete(s.jobs, job.ID)
		s.mu.Unlock()
		os.Remove(job.path)
	})
}

func (s *Service) update(j *Job, fn func(*Job)) {
	s.mu.Lock()
	fn(j)
	s.mu.Unlock()
}

func (s *Service) view(j *Job) Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *j
}

// job returns the caller's job; another team's job is not found.
func (s *Service) job(r *http.Request) (*Job, bool) {
	team, _ := teams.FromContext(r.Context())
	s.mu.Lock()
	j, ok := s.jobs[r.PathValue("id")]
	s.mu.Unlock()
	if !ok || j.team != team.ID {
		return nil, false
	}
	return j, true
}

func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	j, ok := s.job(r)
	if !ok {
		writeErr(w, notFound)
		return
	}
	writeJSON(w, http.StatusOK, s.view(j))
}

var notFound = paramError{"id", "no such export"}

func (s *Service) download(w http.ResponseWriter, r *http.Request) {
	j, ok := s.job(r)
	if !ok {
		writeErr(w, notFound)
		return
	}
	v := s.view(j)
	if v.Status != "done" {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "export is " + v.Status, "parameter": "id"})
		return
	}
	w.Header().Set("Content-Type", ContentType[v.Format])
	w.Header().Set("Content-Disposition", `attachment; filename="`+v.Kind+"."+v.Format+`"`)
	http.ServeFile(w, r, j.path)
}

func writeErr(w http.ResponseWriter, err error) {
	var pe paramError
	if errors.As(err, &pe) {
		code := http.StatusBadRequest
		if pe == notFound {
			code = http.StatusNotFound
		}
		writeJSON(w, code, map[string]string{"error": pe.msg, "parameter": pe.param})
		return
	}
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": strings.TrimSpace(err.Error())})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
