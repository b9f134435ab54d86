package enrich_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/enrich/emulator"
)

// The contract tests in this package run the client against the emulator
// over loopback. Client and emulator share a simulated clock, and the
// client's waits advance it, so a 60-second rate-limit wait takes no time.

const contractKey = "sk-contract-9d41e7b2-SECRET"

// simClock is a simulated clock. Sleep advances it by the requested wait.
type simClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newSimClock() *simClock {
	return &simClock{now: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *simClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// seenRequest is one request that reached the emulator through the recorder.
type seenRequest struct {
	method string
	path   string
	query  string
	header http.Header
	body   []byte
}

// recorder serves the emulator's handler on its own loopback server and
// keeps a copy of every request.
type recorder struct {
	mu       sync.Mutex
	requests []seenRequest
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.requests = append(rec.requests, seenRequest{
			method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
			header: r.Header.Clone(), body: body,
		})
		rec.mu.Unlock()
		// The writer is passed on unwrapped, so the emulator can hijack the
		// connection to drop a response.
		next.ServeHTTP(w, r)
	})
}

// matching returns the recorded requests whose method and path prefix match.
func (rec *recorder) matching(method, pathPrefix string) []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []seenRequest
	for _, r := range rec.requests {
		if r.method == method && len(r.path) >= len(pathPrefix) && r.path[:len(pathPrefix)] == pathPrefix {
			out = append(out, r)
		}
	}
	return out
}

// contractEnv is an emulator behind a recorder, with a client that shares
// the emulator's simulated clock.
type contractEnv struct {
	emu    *emulator.Server
	base   string
	clock  *simClock
	rec    *recorder
	client *enrich.Client
	logs   *bytes.Buffer
}

// newContractEnv starts the emulator with opts and builds a client with
// clientOpts (BaseURL, APIKey, Now, Sleep and Logger are filled in when
// unset). Retries wait 1 s and up to 8 attempts by default.
func newContractEnv(t *testing.T, opts emulator.Options, clientOpts enrich.Options) *contractEnv {
	t.Helper()
	clock := newSimClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	opts.Addr = "127.0.0.1:0"
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(emu.Handler()))
	t.Cleanup(func() {
		srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("emulator Close: %v", err)
		}
	})

	logs := &bytes.Buffer{}
	if clientOpts.BaseURL == "" {
		clientOpts.BaseURL = srv.URL
	}
	if clientOpts.APIKey == "" {
		clientOpts.APIKey = contractKey
	}
	if clientOpts.Now == nil {
		clientOpts.Now = clock.Now
	}
	if clientOpts.Sleep == nil {
		clientOpts.Sleep = clock.Sleep
	}
	if clientOpts.Logger == nil {
		clientOpts.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client, err := enrich.New(clientOpts)
	if err != nil {
		t.Fatalf("enrich.New: %v", err)
	}
	return &contractEnv{emu: emu, base: srv.URL, clock: clock, rec: rec, client: client, logs: logs}
}

// lockedWriter serializes writes from concurrent log calls.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// writeChunk writes a JSON Lines chunk of rows people records named after
// tag, so chunks with different tags differ in content.
func writeChunk(t *testing.T, tag string, rows int) enrich.ChunkFile {
	t.Helper()
	var b bytes.Buffer
	for i := range rows {
		fmt.Fprintf(&b, `{"_crmsync_key":"%d","full_name":"Person %s-%d","company":"Company %d"}`+"\n", i, tag, i, i%7)
	}
	path := filepath.Join(t.TempDir(), "chunk-"+tag+".jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return enrich.ChunkFile{Path: path, Rows: rows, Bytes: int64(b.Len())}
}

// peopleConfig is a minimal valid people config.
const peopleConfig = `{"struct":{"title":"Current job title","email":"Work email"},"tier":"low"}`

// idemKey returns a distinct valid Idempotency-Key for a test.
func idemKey(name string) string { return "crmsync-contract-" + name + "-1" }
