package emulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "test-key"

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
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
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startServer starts an emulator on a free loopback port with a fake clock,
// unless opts already sets Now.
func startServer(t *testing.T, opts Options) (string, *Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	opts.Addr = "127.0.0.1:0"
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return base, s, clock
}

// submitRequest is one bulk submission to send.
type submitRequest struct {
	endpoint  string // "people" (default) or "company"
	filename  string // default "rows.csv"
	file      []byte // nil leaves the part out
	config    string // "" leaves the part out
	key       string // x-api-key; default testKey, "-" sends none
	idemKey   string
	costUnits string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response %d is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return v
}

func (r response) detail(t *testing.T) string {
	t.Helper()
	d, ok := r.json(t)["detail"].(string)
	if !ok {
		t.Fatalf("response %d has no string detail: %s", r.status, r.body)
	}
	return d
}

func (sr submitRequest) build(t *testing.T, base string) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if sr.file != nil {
		name := sr.filename
		if name == "" {
			name = "rows.csv"
		}
		part, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(sr.file)
	}
	if sr.config != "" {
		if err := mw.WriteField("config", sr.config); err != nil {
			t.Fatal(err)
		}
	}
	mw.Close()
	ep := sr.endpoint
	if ep == "" {
		ep = "people"
	}
	url := base + "/bulk-intelligence/" + ep
	if sr.costUnits != "" {
		url += "?cost_units=" + sr.costUnits
	}
	req, err := http.NewRequest(http.MethodPost, url, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	switch sr.key {
	case "":
		req.Header.Set("x-api-key", testKey)
	case "-":
	default:
		req.Header.Set("x-api-key", sr.key)
	}
	if sr.idemKey != "" {
		req.Header.Set("Idempotency-Key", sr.idemKey)
	}
	return req
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

func submit(t *testing.T, base string, sr submitRequest) response {
	t.Helper()
	return do(t, sr.build(t, base))
}

// get sends a GET with the given x-api-key ("" sends none).
func get(t *testing.T, url, key string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	return do(t, req)
}

func jobStatus(t *testing.T, base, taskID string) map[string]any {
	t.Helper()
	resp := get(t, base+"/job-status/"+taskID, testKey)
	if resp.status != http.StatusOK {
		t.Fatalf("job-status %s: status %d: %s", taskID, resp.status, resp.body)
	}
	return resp.json(t)
}

// submitOK submits and returns the task id, failing unless the response status is 200.
func submitOK(t *testing.T, base string, sr submitRequest) string {
	t.Helper()
	resp := submit(t, base, sr)
	if resp.status != http.StatusOK {
		t.Fatalf("submit: status %d: %s", resp.status, resp.body)
	}
	id, _ := resp.json(t)["task_id"].(string)
	if id == "" {
		t.Fatalf("submit: no task_id in %s", resp.body)
	}
	return id
}

// completedResults advances the clock past the job latency, polls the job and
// returns its results entries, failing unless it completed.
func completedResults(t *testing.T, base string, clock *fakeClock, taskID string) (map[string]any, []map[string]any) {
	t.Helper()
	clock.Advance(DefaultJobLatency)
	status := jobStatus(t, base, taskID)
	if status["status"] != "completed" {
		t.Fatalf("job %s: status %v, want completed: %v", taskID, status["status"], status)
	}
	raw, _ := status["results"].([]any)
	entries := make([]map[string]any, len(raw))
	for i, e := range raw {
		entries[i], _ = e.(map[string]any)
	}
	return status, entries
}

// download fetches a result entry's download_url without an API key.
func download(t *testing.T, entry map[string]any) []byte {
	t.Helper()
	url, _ := entry["download_url"].(string)
	resp := get(t, url, "")
	if resp.status != http.StatusOK {
		t.Fatalf("download %s: status %d: %s", url, resp.status, resp.body)
	}
	return resp.body
}

func readCSV(t *testing.T, data []byte) ([]string, []map[string]string) {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("result is not valid CSV: %v", err)
	}
	header := records[0]
	rows := make([]map[string]string, 0, len(records)-1)
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range header {
			row[name] = rec[i]
		}
		rows = append(rows, row)
	}
	return header, rows
}

// leadsCSV returns a CSV upload with a key column and n rows.
func leadsCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("crmsync_key,full_name,company\n")
	for i := range n {
		fmt.Fprintf(&b, "k%d,Person %d Example,Company %d\n", i, i, i%7)
	}
	return []byte(b.String())
}

const basicConfig = `{"struct":{"email":"Work email","title":"Current job title"},"tier":"low"}`
