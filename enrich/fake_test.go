package enrich

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Literal example bodies from the API contract (the vendor's OpenAPI examples
// and the shapes assembled from its schemas). Decoding them as written keeps
// the client honest about field names and types.
const (
	exampleSubmitFirst  = `{"task_id":"<uuid>","status":"RUNNING","row_count":250,"estimated_cost_cents":500}`
	exampleSubmitReplay = `{"task_id":"<same uuid>","status":"RUNNING","already_started":true}`
	exampleRunning      = `{"status":"running","id":"<task_id>","run_id":"<engine-run-id>","start_time":"2026-06-10T00:00:00Z"}`
	exampleCompleted    = `{"status":"completed","id":"<task_id>","run_id":"<engine-run-id>",
 "start_time":"2026-06-10T00:00:00Z","close_time":"2026-06-10T00:09:12Z",
 "results":[
  {"filename":"source.csv","storage_bucket":"results","row_count":2,"block_number":1,
   "content_type":"text/csv","download_url":"https://…signed…","download_expires_in_seconds":900,"results":null},
  {"filename":"enriched.csv","storage_bucket":"results","row_count":2,"block_number":2,
   "content_type":"text/csv","download_url":"https://…signed…","download_expires_in_seconds":900,
   "results":[{"full_name":"Ada L.","company":"Acme","email":"ada@acme.com","title":"CTO"}]}],
 "charge_amount":20}`
	example400      = `{"detail":"Invalid request body"}`
	example401      = `{"detail":"Machine authentication required"}`
	example402      = `{"detail":"Insufficient API credits"}`
	example403      = `{"detail":"High tier company enrichment is not enabled for this org. Contact sales to request access."}`
	example404      = `{"detail":"Job not found"}`
	example422      = `{"detail":[{"loc":["body","target_company","domain"],"msg":"Field required","type":"missing","input":null,"ctx":{}}]}`
	example429      = `{"detail":"Rate limit exceeded"}`
	example500      = `{"detail":"Internal server error"}`
	exampleGuide401 = `{"error":"Unauthorized","message":"Invalid API key"}`
	exampleGuide429 = `{"error":"Too Many Requests","message":"Rate limit exceeded"}`
)

// completedWithLinks returns the completed job-status example with its two
// placeholder links replaced by sourceURL and enrichedURL.
func completedWithLinks(sourceURL, enrichedURL string) string {
	body := strings.Replace(exampleCompleted, "https://…signed…", sourceURL, 1)
	return strings.Replace(body, "https://…signed…", enrichedURL, 1)
}

const testAPIKey = "sk-test-7f3a9c1e5b-SECRET"

// fakeResponse is one scripted response of the fake API.
type fakeResponse struct {
	status int
	header map[string]string
	body   string
	// drop sends the headers and the first half of the body, then closes
	// the connection.
	drop bool
	// hang blocks until the client gives up on the request.
	hang bool
	// run, when set, is called before the response is written.
	run func(r *http.Request)
}

// recordedPart is one part of a multipart request.
type recordedPart struct {
	filename    string
	contentType string
	content     []byte
}

// recordedRequest is what the fake API received.
type recordedRequest struct {
	method        string
	path          string
	escapedPath   string
	query         string
	header        http.Header
	contentLength int64
	bodyLength    int
	parts         map[string]recordedPart
	at            time.Time // the simulated clock when the request arrived
}

// fakeAPI is a scripted stand-in for the bulk API on loopback. Each route
// ("METHOD /path") responds from its queue, and the last response repeats.
type fakeAPI struct {
	t      *testing.T
	server *httptest.Server
	clock  *fakeClock

	mu       sync.Mutex
	routes   map[string][]fakeResponse
	requests []recordedRequest
}

func newFakeAPI(t *testing.T, clock *fakeClock) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, clock: clock, routes: map[string][]fakeResponse{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.server.URL }

// on appends responses to the queue of route, for example "GET /job-status/t1".
func (f *fakeAPI) on(route string, responses ...fakeResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = append(f.routes[route], responses...)
}

func (f *fakeAPI) received() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.requests...)
}

// receivedOn returns the requests for one route.
func (f *fakeAPI) receivedOn(route string) []recordedRequest {
	var out []recordedRequest
	for _, r := range f.received() {
		if r.method+" "+r.path == route {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	rec := recordedRequest{
		method:        r.Method,
		path:          r.URL.Path,
		escapedPath:   r.URL.EscapedPath(),
		query:         r.URL.RawQuery,
		header:        r.Header.Clone(),
		contentLength: r.ContentLength,
		at:            f.clock.Now(),
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake API: read request body: %v", err)
	}
	rec.bodyLength = len(body)
	rec.parts = parseParts(f.t, r.Header.Get("Content-Type"), body)

	route := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	queue := f.routes[route]
	var resp fakeResponse
	switch {
	case len(queue) == 0:
		resp = fakeResponse{status: http.StatusNotFound, body: `{"detail":"Not Found"}`}
	case len(queue) == 1:
		resp = queue[0]
	default:
		resp = queue[0]
		f.routes[route] = queue[1:]
	}
	f.mu.Unlock()

	if resp.run != nil {
		resp.run(r)
	}
	if resp.hang {
		<-r.Context().Done()
		return
	}
	for name, value := range resp.header {
		w.Header().Set(name, value)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	if resp.drop {
		dropMidBody(f.t, w, resp)
		return
	}
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, resp.body)
}

// dropMidBody announces the full body length, sends half of it and closes
// the connection, as a crashing server or proxy would.
func dropMidBody(t *testing.T, w http.ResponseWriter, resp fakeResponse) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("fake API: hijack: %v", err)
		return
	}
	defer conn.Close()
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		status, http.StatusText(status), len(resp.body))
	io.WriteString(conn, resp.body[:len(resp.body)/2])
}

func parseParts(t *testing.T, contentType string, body []byte) map[string]recordedPart {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" {
		return nil
	}
	reader := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	parts := map[string]recordedPart{}
	for {
		part, err := reader.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Errorf("fake API: invalid multipart body: %v", err)
			return parts
		}
		content, err := io.ReadAll(part)
		if err != nil {
			t.Errorf("fake API: read part %s: %v", part.FormName(), err)
		}
		parts[part.FormName()] = recordedPart{
			filename:    part.FileName(),
			contentType: part.Header.Get("Content-Type"),
			content:     content,
		}
	}
}

// fakeClock is a simulated clock. Sleep advances it at once and records the
// duration, so tests of waits run instantly and can assert on the waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// onSleep, when set, runs before each sleep returns.
	onSleep func(d time.Duration)
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// lockedBuffer collects log output from any goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a Client wired to a fake API and a simulated clock.
type testEnv struct {
	api    *fakeAPI
	clock  *fakeClock
	client *Client
	logs   *lockedBuffer
}

// newTestEnv starts a fake API and builds a Client for it. edit may change
// the options before New is called.
func newTestEnv(t *testing.T, edit func(*Options)) *testEnv {
	t.Helper()
	clock := newFakeClock()
	api := newFakeAPI(t, clock)
	logs := &lockedBuffer{}
	opts := Options{
		BaseURL: api.URL(),
		APIKey:  testAPIKey,
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     clock.Now,
		Sleep:   clock.Sleep,
		Retry:   RetryPolicy{MaxAttempts: 4},
	}
	if edit != nil {
		edit(&opts)
	}
	client, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testEnv{api: api, clock: clock, client: client, logs: logs}
}

// writeChunk writes a JSON Lines chunk with n rows and returns it.
func writeChunk(t *testing.T, n int) ChunkFile {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(`{"_crmsync_key":"` + strconv.Itoa(i+1) + `","full_name":"Ada Lovelace","company":"Acme"}` + "\n")
	}
	path := filepath.Join(t.TempDir(), "chunk-0001.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return ChunkFile{Path: path, Rows: n, Bytes: int64(b.Len())}
}

const testConfig = `{"struct":{"email":"Work email","title":"Current job title"},"tier":"low"}`
