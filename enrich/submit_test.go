package enrich

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSubmitSendsMultipartRequest(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: exampleSubmitFirst})
	chunk := writeChunk(t, 3)
	key := "crmsync-abc-1"

	result, err := env.client.Submit(context.Background(), People, chunk, []byte(testConfig), key)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}

	requests := env.api.received()
	if len(requests) != 1 {
		t.Fatalf("requests = %d, want 1", len(requests))
	}
	req := requests[0]
	if req.method != http.MethodPost || req.path != "/bulk-intelligence/people" {
		t.Errorf("request = %s %s, want POST /bulk-intelligence/people", req.method, req.path)
	}
	if req.query != "cost_units=cents" {
		t.Errorf("query = %q, want cost_units=cents", req.query)
	}
	if got := req.header.Get("x-api-key"); got != testAPIKey {
		t.Errorf("x-api-key header = %q, want the test key", got)
	}
	if got := req.header.Get("Idempotency-Key"); got != key {
		t.Errorf("Idempotency-Key = %q, want %q", got, key)
	}
	if !strings.HasPrefix(req.header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("Content-Type = %q, want multipart/form-data with a boundary", req.header.Get("Content-Type"))
	}
	if req.contentLength != int64(req.bodyLength) {
		t.Errorf("Content-Length = %d, body = %d bytes; want an exact length, not chunked encoding", req.contentLength, req.bodyLength)
	}

	file, ok := req.parts["file"]
	if !ok {
		t.Fatalf("missing part \"file\"; parts: %v", req.parts)
	}
	if file.filename != "chunk-0001.jsonl" {
		t.Errorf("file part filename = %q, want chunk-0001.jsonl", file.filename)
	}
	if file.contentType != "application/x-ndjson" {
		t.Errorf("file part Content-Type = %q, want application/x-ndjson", file.contentType)
	}
	want, _ := os.ReadFile(chunk.Path)
	if string(file.content) != string(want) {
		t.Errorf("file part content differs from the chunk:\n got %q\nwant %q", file.content, want)
	}
	config, ok := req.parts["config"]
	if !ok {
		t.Fatalf("missing part \"config\"")
	}
	if string(config.content) != testConfig {
		t.Errorf("config part = %q, want %q", config.content, testConfig)
	}
	if config.filename != "" {
		t.Errorf("config part has filename %q, want a plain form field", config.filename)
	}

	if result.TaskID != "<uuid>" {
		t.Errorf("TaskID = %q, want <uuid>", result.TaskID)
	}
	if result.Status != "RUNNING" {
		t.Errorf("Status = %q, want RUNNING", result.Status)
	}
	if result.RowCount == nil || *result.RowCount != 250 {
		t.Errorf("RowCount = %v, want 250", result.RowCount)
	}
	if result.EstimatedCostCents == nil || *result.EstimatedCostCents != 500 {
		t.Errorf("EstimatedCostCents = %v, want 500", result.EstimatedCostCents)
	}
	if result.AlreadyStarted {
		t.Errorf("AlreadyStarted = true, want false")
	}
	if !strings.Contains(env.logs.String(), "different number of rows") {
		t.Errorf("no warning logged for row_count 250 against a 3-row chunk; logs:\n%s", env.logs)
	}
}

func TestSubmitReplayWithoutEstimate(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/company", fakeResponse{body: exampleSubmitReplay})

	result, err := env.client.Submit(context.Background(), Company, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if !result.AlreadyStarted {
		t.Errorf("AlreadyStarted = false, want true")
	}
	if result.TaskID != "<same uuid>" {
		t.Errorf("TaskID = %q, want <same uuid>", result.TaskID)
	}
	if result.RowCount != nil {
		t.Errorf("RowCount = %d, want nil on a replay", *result.RowCount)
	}
	if result.EstimatedCostCents != nil {
		t.Errorf("EstimatedCostCents = %d, want nil on a replay", *result.EstimatedCostCents)
	}
	if got := len(env.api.receivedOn("POST /bulk-intelligence/company")); got != 1 {
		t.Errorf("company requests = %d, want 1", got)
	}
}

func TestSubmitAcceptsIntegralFloats(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: `{"task_id":"t1","status":"RUNNING","row_count":3.0,"estimated_cost_cents":6.0}`})

	result, err := env.client.Submit(context.Background(), People, writeChunk(t, 3), []byte(testConfig), "")
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if result.RowCount == nil || *result.RowCount != 3 {
		t.Errorf("RowCount = %v, want 3", result.RowCount)
	}
	if result.EstimatedCostCents == nil || *result.EstimatedCostCents != 6 {
		t.Errorf("EstimatedCostCents = %v, want 6", result.EstimatedCostCents)
	}
}

func TestSubmitChecksLimitsBeforeRequest(t *testing.T) {
	dir := t.TempDir()
	small := writeChunk(t, 2)

	big := filepath.Join(dir, "big.jsonl")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxChunkBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	csvPath := filepath.Join(dir, "chunk.csv")
	os.WriteFile(csvPath, []byte("a\n1\n"), 0o644)

	longConfig := `{"research_plan":"` + strings.Repeat("é", MaxConfigChars) + `"}`

	cases := []struct {
		name    string
		ep      Endpoint
		chunk   ChunkFile
		config  string
		key     string
		message []string
	}{
		{"too many rows", People, ChunkFile{Path: small.Path, Rows: MaxChunkRows + 1}, testConfig, "", []string{"100001 rows", "limit of 100000 rows"}},
		{"too many bytes", People, ChunkFile{Path: big, Rows: 10}, testConfig, "", []string{"100000001 bytes", "limit of 100000000 bytes"}},
		{"config too long", People, small, longConfig, "", []string{"300020 characters", "limit of 300000 characters"}},
		{"key too long", People, small, testConfig, strings.Repeat("k", 256), []string{"256 characters", "limit of 255"}},
		{"key with space", People, small, testConfig, "crmsync key", []string{"invalid Idempotency-Key"}},
		{"zero rows", People, ChunkFile{Path: small.Path}, testConfig, "", []string{"row count 0"}},
		{"empty file", People, ChunkFile{Path: empty, Rows: 1}, testConfig, "", []string{"is empty"}},
		{"size changed", People, ChunkFile{Path: small.Path, Rows: 2, Bytes: small.Bytes + 1}, testConfig, "", []string{"changed after chunking"}},
		{"not jsonl", People, ChunkFile{Path: csvPath, Rows: 1}, testConfig, "", []string{"expected a .jsonl file"}},
		{"missing file", People, ChunkFile{Path: filepath.Join(dir, "gone.jsonl"), Rows: 1}, testConfig, "", []string{"gone.jsonl"}},
		{"invalid config", People, small, `{"struct":`, "", []string{"not valid JSON"}},
		{"invalid endpoint", Endpoint("leads"), small, testConfig, "", []string{`invalid endpoint "leads"`}},
	}
	env := newTestEnv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.client.Submit(context.Background(), tc.ep, tc.chunk, []byte(tc.config), tc.key)
			if err == nil {
				t.Fatal("Submit succeeded, want an error")
			}
			for _, want := range tc.message {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
	if n := len(env.api.received()); n != 0 {
		t.Errorf("fake API received %d requests, want 0", n)
	}
}

func TestSubmitAtLimitsIsSent(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: exampleSubmitFirst})
	// 300,000 characters of two-byte runes: over the limit in bytes, within it in characters.
	config := `{"research_plan":"` + strings.Repeat("é", MaxConfigChars-20) + `"}`
	key := strings.Repeat("k", MaxIdempotencyKeyLen)

	if _, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(config), key); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if n := len(env.api.received()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestSubmitErrorClasses(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		sentinel error
		message  []string
	}{
		{"400", http.StatusBadRequest, example400, ErrInvalidRequest, []string{"HTTP 400", "Invalid request body", "chunk-0001.jsonl"}},
		{"401", http.StatusUnauthorized, example401, ErrUnauthorized, []string{"Machine authentication required", "SIXTYFOUR_API_KEY"}},
		{"401 guide shape", http.StatusUnauthorized, exampleGuide401, ErrUnauthorized, []string{"Invalid API key"}},
		{"402", http.StatusPaymentRequired, example402, ErrInsufficientCredits, []string{"Insufficient API credits", "nothing was charged", "top up"}},
		{"403", http.StatusForbidden, example403, ErrForbidden, []string{"High tier company enrichment is not enabled", "enrich.tier"}},
		{"422", http.StatusUnprocessableEntity, example422, ErrInvalidRequest, []string{"body.target_company.domain: Field required (missing)"}},
		{"non-JSON body", http.StatusBadRequest, "<html>\n<h1>Bad Request</h1>", ErrInvalidRequest, []string{"<html>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, nil)
			env.api.on("POST /bulk-intelligence/people", fakeResponse{status: tc.status, body: tc.body})

			_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("error = %v, want errors.Is %v", err, tc.sentinel)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T is not an *APIError", err)
			}
			if apiErr.Status != tc.status || apiErr.Op != OpSubmit {
				t.Errorf("APIError status %d op %q, want %d %q", apiErr.Status, apiErr.Op, tc.status, OpSubmit)
			}
			for _, want := range tc.message {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := len(env.api.received()); n != 1 {
				t.Errorf("requests = %d, want 1 (no retry for %d)", n, tc.status)
			}
			if sleeps := env.clock.Sleeps(); len(sleeps) != 0 {
				t.Errorf("slept %v, want no retry wait", sleeps)
			}
		})
	}
}

func TestSubmit422Fields(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people", fakeResponse{status: 422, body: `{"detail":[
		{"loc":["body","config"],"msg":"Extra inputs are not permitted","type":"extra_forbidden","input":"secret row"},
		{"loc":["body","columns",0],"msg":"Input should be a valid string","type":"string_type"}]}`})

	_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want an *APIError", err)
	}
	if len(apiErr.Fields) != 2 {
		t.Fatalf("Fields = %+v, want 2 entries", apiErr.Fields)
	}
	if got := strings.Join(apiErr.Fields[1].Loc, "."); got != "body.columns.0" {
		t.Errorf("Fields[1].Loc = %q, want body.columns.0", got)
	}
	if apiErr.Fields[0].Type != "extra_forbidden" {
		t.Errorf("Fields[0].Type = %q, want extra_forbidden", apiErr.Fields[0].Type)
	}
	if strings.Contains(err.Error(), "secret row") {
		t.Errorf("error %q contains the offending input value", err)
	}
}

func TestSubmitRetries500WithSameKey(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{status: 500, body: example500},
		fakeResponse{status: 502, body: "bad gateway"},
		fakeResponse{body: exampleSubmitFirst})
	key := "crmsync-retry-1"

	result, err := env.client.Submit(context.Background(), People, writeChunk(t, 2), []byte(testConfig), key)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if result.TaskID != "<uuid>" {
		t.Errorf("TaskID = %q", result.TaskID)
	}
	requests := env.api.received()
	if len(requests) != 3 {
		t.Fatalf("requests = %d, want 3", len(requests))
	}
	for i, req := range requests {
		if got := req.header.Get("Idempotency-Key"); got != key {
			t.Errorf("request %d Idempotency-Key = %q, want %q", i+1, got, key)
		}
		if _, ok := req.parts["file"]; !ok {
			t.Errorf("request %d has no file part; the retry must resend the whole body", i+1)
		}
	}
	if sleeps := env.clock.Sleeps(); len(sleeps) != 2 {
		t.Errorf("backoff waits = %v, want 2", sleeps)
	}
	if !strings.Contains(env.logs.String(), "retrying request") {
		t.Errorf("retries not logged:\n%s", env.logs)
	}
}

func TestSubmitRetriesDroppedResponse(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{body: exampleSubmitFirst, drop: true},
		fakeResponse{body: exampleSubmitReplay})
	key := "crmsync-drop-1"

	result, err := env.client.Submit(context.Background(), People, writeChunk(t, 2), []byte(testConfig), key)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if !result.AlreadyStarted {
		t.Errorf("AlreadyStarted = false, want the replayed job")
	}
	requests := env.api.received()
	if len(requests) != 2 {
		t.Fatalf("requests = %d, want 2", len(requests))
	}
	if requests[0].header.Get("Idempotency-Key") != key || requests[1].header.Get("Idempotency-Key") != key {
		t.Errorf("Idempotency-Keys = %q, %q, want %q twice",
			requests[0].header.Get("Idempotency-Key"), requests[1].header.Get("Idempotency-Key"), key)
	}
}

func TestSubmitRetriesTimeout(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Retry.AttemptTimeout = 200 * time.Millisecond })
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{hang: true},
		fakeResponse{body: exampleSubmitFirst})
	key := "crmsync-timeout-1"

	if _, err := env.client.Submit(context.Background(), People, writeChunk(t, 2), []byte(testConfig), key); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	requests := env.api.received()
	if len(requests) != 2 {
		t.Fatalf("requests = %d, want 2", len(requests))
	}
	if requests[1].header.Get("Idempotency-Key") != key {
		t.Errorf("retry Idempotency-Key = %q, want %q", requests[1].header.Get("Idempotency-Key"), key)
	}
}

func TestSubmitWithoutKeyDoesNotRetry500(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{status: 500, body: example500},
		fakeResponse{body: exampleSubmitFirst})

	_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "")
	if !errors.Is(err, ErrServer) {
		t.Fatalf("error = %v, want ErrServer", err)
	}
	if n := len(env.api.received()); n != 1 {
		t.Errorf("requests = %d, want 1: without an Idempotency-Key a resent submission could start a second job", n)
	}
}

func TestSubmitGivesUpAfterMaxAttempts(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Retry.MaxAttempts = 3 })
	env.api.on("POST /bulk-intelligence/people", fakeResponse{status: 503, body: example500})

	_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
	if !errors.Is(err, ErrServer) {
		t.Fatalf("error = %v, want ErrServer", err)
	}
	if n := len(env.api.received()); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q does not state the attempts", err)
	}
}

func TestSubmitGivesUpAfterMaxElapsed(t *testing.T) {
	env := newTestEnv(t, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 100, MaxElapsed: 90 * time.Second, RateLimitWait: 60 * time.Second}
	})
	env.api.on("POST /bulk-intelligence/people", fakeResponse{status: 429, body: example429})

	_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("error = %v, want ErrRateLimited", err)
	}
	if n := len(env.api.received()); n != 2 {
		t.Errorf("requests = %d, want 2 (a third would start after 120 s, past the 90 s budget)", n)
	}
}

func TestSubmit429HonoursRetryAfter(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{status: 429, body: example429, header: map[string]string{"Retry-After": "7"}},
		fakeResponse{status: 429, body: exampleGuide429, header: map[string]string{
			"Retry-After": env.clock.Now().Add(7*time.Second + 90*time.Second).Format(http.TimeFormat)}},
		fakeResponse{status: 429, body: example429},
		fakeResponse{body: exampleSubmitFirst})

	if _, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1"); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	sleeps := env.clock.Sleeps()
	want := []time.Duration{7 * time.Second, 90 * time.Second, 60 * time.Second}
	if len(sleeps) != len(want) {
		t.Fatalf("waits = %v, want %v", sleeps, want)
	}
	for i := range want {
		if sleeps[i] != want[i] {
			t.Errorf("wait %d = %s, want %s", i+1, sleeps[i], want[i])
		}
	}
}

func TestSubmitNoRetryOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 402, 403, 404, 409, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			env := newTestEnv(t, nil)
			env.api.on("POST /bulk-intelligence/people",
				fakeResponse{status: status, body: `{"detail":"rejected"}`},
				fakeResponse{body: exampleSubmitFirst})
			_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
			if err == nil {
				t.Fatal("Submit succeeded, want the first error")
			}
			if n := len(env.api.received()); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestSubmitStopsOnCancelBeforeRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{status: 500, body: example500, run: func(*http.Request) { cancel() }},
		fakeResponse{body: exampleSubmitFirst})

	_, err := env.client.Submit(ctx, People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if n := len(env.api.received()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	if sleeps := env.clock.Sleeps(); len(sleeps) != 0 {
		t.Errorf("waits = %v, want none after cancellation", sleeps)
	}
}

func TestSubmitStopsOnCancelInFlight(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people",
		fakeResponse{hang: true, run: func(*http.Request) { cancel() }},
		fakeResponse{body: exampleSubmitFirst})

	_, err := env.client.Submit(ctx, People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if n := len(env.api.received()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestSubmitRetriesRefusedConnectionWithoutKey(t *testing.T) {
	env := newTestEnv(t, nil)
	addr := env.api.server.Listener.Addr().String()
	env.api.server.Close()

	client, err := New(Options{BaseURL: "http://" + addr, APIKey: testAPIKey, Now: env.clock.Now, Sleep: env.clock.Sleep,
		Retry: RetryPolicy{MaxAttempts: 3}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "")
	if err == nil {
		t.Fatal("Submit succeeded against a closed server")
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q: want 3 attempts, because a refused connection never reached the server", err)
	}
}
