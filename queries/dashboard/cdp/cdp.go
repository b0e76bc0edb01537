// Package cdp drives a headless Chromium over the Chrome DevTools
// Protocol, for the dashboard's browser tests: it starts the browser with
// a throw-away profile, connects to its page over a WebSocket (a small
// client of its own: no dependency), and offers navigation, script
// evaluation, waiting for a condition and screenshots. Script errors and
// console errors of the page are collected so tests can fail on them.
package cdp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Candidates are the browser executables Find looks for, in order.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the path of a Chromium executable, or an error naming how
// to install one.
func Find() (string, error) {
	if p := os.Getenv("OMNISTREAM_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, c := range Candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (looked for " + strings.Join(Candidates, ", ") +
		"): install Debian's chromium (apt-get install -y chromium, which `make test` does) or set OMNISTREAM_CHROMIUM")
}

// Flags are the command-line flags every launch uses.
var Flags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
	"--hide-scrollbars", "--mute-audio", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"}

// Browser is a running Chromium.
type Browser struct {
	cmd     *exec.Cmd
	dir     string
	port    string
	stderr  *lockedBuffer
	waitErr chan error
}

// Launch starts Chromium (exe, from Find) with a profile in dir (which the
// caller removes) and a window of width × height CSS pixels.
func Launch(ctx context.Context, exe, dir string, width, height int) (*Browser, error) {
	args := append(append([]string{}, Flags...), "--user-data-dir="+dir, fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	cmd := exec.Command(exe, args...)
	b := &Browser{cmd: cmd, dir: dir, stderr: &lockedBuffer{}, waitErr: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = b.stderr, b.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	go func() { b.waitErr <- cmd.Wait() }()
	// Chromium writes its DevTools port to DevToolsActivePort in the profile.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort")); err == nil {
			if port, _, _ := strings.Cut(string(data), "\n"); port != "" {
				b.port = strings.TrimSpace(port)
				return b, nil
			}
		}
		select {
		case err := <-b.waitErr:
			return nil, fmt.Errorf("chromium exited at start (%v): %s", err, b.stderr.String())
		case <-ctx.Done():
			b.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Close()
			return nil, fmt.Errorf("chromium did not open its DevTools port within 30s: %s", b.stderr.String())
		}
	}
}

// Close stops the browser.
func (b *Browser) Close() {
	if b.cmd.Process != nil {
		b.cmd.Process.Kill()
		select {
		case <-b.waitErr:
		case <-time.After(10 * time.Second):
		}
	}
}

// Page connects to the browser's first page.
func (b *Browser) Page(ctx context.Context) (*Page, error) {
	var targets []struct {
		Type, URL            string
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+b.port+"/json/list", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list DevTools targets: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		return nil, fmt.Errorf("list DevTools targets: %w", err)
	}
	for _, t := range targets {
		if t.Type == "page" && t.WebSocketDebuggerURL != "" {
			ws, err := dialWS(t.WebSocketDebuggerURL, 10*time.Second)
			if err != nil {
				return nil, err
			}
			p := &Page{ws: ws, pending: map[int64]chan reply{}}
			go p.read()
			for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
				if err := p.Call(ctx, m, nil, nil); err != nil {
					p.Close()
					return nil, err
				}
			}
			return p, nil
		}
	}
	return nil, errors.New("the browser has no page target")
}

// Page is one browser tab.
type Page struct {
	ws      *wsConn
	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan reply
	errs    []string
	closed  error
}

type reply struct {
	Result json.RawMessage
	Err    error
}

type message struct {
	ID     int64           `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (p *Page) read() {
	for {
		b, err := p.ws.ReadMessage()
		if err != nil {
			p.mu.Lock()
			p.closed = fmt.Errorf("devtools connection: %w", err)
			for id, ch := range p.pending {
				ch <- reply{Err: p.closed}
				delete(p.pending, id)
			}
			p.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if m.ID != 0 {
			p.mu.Lock()
			ch := p.pending[m.ID]
			delete(p.pending, m.ID)
			p.mu.Unlock()
			if ch != nil {
				r := reply{Result: m.Result}
				if m.Error != nil {
					r.Err = fmt.Errorf("devtools: %s (%d)", m.Error.Message, m.Error.Code)
				}
				ch <- r
			}
			continue
		}
		p.event(m.Method, m.Params)
	}
}

// event records the page's script errors and console errors.
func (p *Page) event(method string, params json.RawMessage) {
	var text string
	switch method {
	case "Runtime.exceptionThrown":
		var e struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				URL       string `json:"url"`
				Line      int    `json:"lineNumber"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(params, &e)
		d := e.ExceptionDetails
		text = fmt.Sprintf("uncaught exception %s:%d: %s %s", d.URL, d.Line, d.Text, d.Exception.Description)
	case "Runtime.consoleAPICalled":
		var e struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(params, &e)
		if e.Type != "error" && e.Type != "assert" {
			return
		}
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, fmt.Sprint(a.Value)+a.Description)
		}
		text = "console." + e.Type + ": " + strings.Join(parts, " ")
	case "Log.entryAdded":
		var e struct {
			Entry struct {
				Level, Text, URL, Source string
			} `json:"entry"`
		}
		json.Unmarshal(params, &e)
		if e.Entry.Level != "error" {
			return
		}
		text = fmt.Sprintf("%s error: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
	default:
		return
	}
	p.mu.Lock()
	p.errs = append(p.errs, text)
	p.mu.Unlock()
}

// Errors returns the script, console and network errors seen so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// Call sends one DevTools command and decodes its result into out (which
// may be nil).
func (p *Page) Call(ctx context.Context, method string, params, out any) error {
	p.mu.Lock()
	if p.closed != nil {
		p.mu.Unlock()
		return p.closed
	}
	p.nextID++
	id := p.nextID
	ch := make(chan reply, 1)
	p.pending[id] = ch
	p.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	b, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := p.ws.WriteText(b); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return fmt.Errorf("%s: %w", method, r.Err)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(ctx context.Context, url string) error {
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	if r.ErrorText != "" {
		return fmt.Errorf("navigate to %s: %s", url, r.ErrorText)
	}
	return p.WaitFor(ctx, `document.readyState === "complete"`)
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its JSON value into out (which may be nil).
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// WaitFor polls a JavaScript condition until it is true or ctx ends.
func (p *Page) WaitFor(ctx context.Context, cond string) error {
	var last error
	for {
		var ok bool
		if err := p.Eval(ctx, "Boolean("+cond+")", &ok); err == nil && ok {
			return nil
		} else if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("wait for %s: %w (last error: %v)", cond, ctx.Err(), last)
			}
			return fmt.Errorf("wait for %s: %w", cond, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Screenshot writes a PNG of the whole page (not only the viewport) to path.
func (p *Page) Screenshot(ctx context.Context, path string) error {
	var m struct {
		Content struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	if err := p.Call(ctx, "Page.getLayoutMetrics", nil, &m); err != nil {
		return err
	}
	var r struct {
		Data string `json:"data"`
	}
	clip := map[string]any{"x": 0, "y": 0, "width": m.Content.Width, "height": m.Content.Height, "scale": 1}
	if err := p.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true, "clip": clip}, &r); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return fmt.Errorf("decode screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// Close ends the DevTools connection.
func (p *Page) Close() error { return p.ws.Close() }

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var _ io.Writer = (*lockedBuffer)(nil)
