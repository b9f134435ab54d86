package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStatusDecodesCompletedExample(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/<task_id>", fakeResponse{body: completedWithLinks("https://a.example/1", "https://a.example/2")})

	st, err := env.client.Status(context.Background(), "<task_id>")
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	req := env.api.received()[0]
	if req.query != "cost_units=cents" {
		t.Errorf("query = %q, want cost_units=cents", req.query)
	}
	if req.header.Get("x-api-key") != testAPIKey {
		t.Errorf("x-api-key not sent")
	}

	if st.Status != StatusCompleted || st.ID != "<task_id>" || st.RunID != "<engine-run-id>" {
		t.Errorf("status, id, run id = %q, %q, %q", st.Status, st.ID, st.RunID)
	}
	if st.StartTime != "2026-06-10T00:00:00Z" || st.CloseTime != "2026-06-10T00:09:12Z" {
		t.Errorf("start, close = %q, %q", st.StartTime, st.CloseTime)
	}
	if st.ChargeAmount == nil || *st.ChargeAmount != 20 {
		t.Errorf("ChargeAmount = %v, want 20", st.ChargeAmount)
	}
	if !st.FetchedAt.Equal(env.clock.Now()) {
		t.Errorf("FetchedAt = %s, want the clock's %s", st.FetchedAt, env.clock.Now())
	}
	if len(st.Results) != 2 {
		t.Fatalf("Results has %d entries, want 2", len(st.Results))
	}

	source, enriched := st.Results[0], st.Results[1]
	if source.Results != nil {
		t.Errorf("source preview = %v, want nil for results:null", source.Results)
	}
	if enriched.Filename != "enriched.csv" || enriched.StorageBucket != "results" || enriched.ContentType != "text/csv" {
		t.Errorf("enriched entry = %+v", enriched)
	}
	if enriched.RowCount != 2 || enriched.BlockNumber == nil || *enriched.BlockNumber != 2 || enriched.ExpiresIn != 900 {
		t.Errorf("row_count, block_number, expires = %d, %v, %d", enriched.RowCount, enriched.BlockNumber, enriched.ExpiresIn)
	}
	if enriched.DownloadURL != "https://a.example/2" {
		t.Errorf("DownloadURL = %q", enriched.DownloadURL)
	}
	if len(enriched.Results) != 1 || enriched.Results[0]["email"] != "ada@acme.com" {
		t.Errorf("preview = %v", enriched.Results)
	}
}

func TestStatusKeepsLargeIntegersInPreview(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: `{"status":"COMPLETED","id":"t1","run_id":"r","start_time":"x",
		"results":[{"filename":"out.json","storage_bucket":"b","row_count":1,"download_url":null,
		"results":[{"id":12345678901234567890,"score":0.1}]}]}`})

	st, err := env.client.Status(context.Background(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusCompleted {
		t.Errorf("Status = %q, want lower-cased completed", st.Status)
	}
	entry := st.Results[0]
	if entry.ExpiresIn != 900 {
		t.Errorf("ExpiresIn = %d, want the default 900", entry.ExpiresIn)
	}
	if entry.BlockNumber != nil {
		t.Errorf("BlockNumber = %d, want nil", *entry.BlockNumber)
	}
	id, ok := entry.Results[0]["id"].(json.Number)
	if !ok || id.String() != "12345678901234567890" {
		t.Errorf("id = %#v, want json.Number 12345678901234567890", entry.Results[0]["id"])
	}
}

func TestStatusNotFound(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/gone", fakeResponse{status: 404, body: example404})

	_, err := env.client.Status(context.Background(), "gone")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
	for _, want := range []string{"task gone", "Job not found", "--restart"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := len(env.api.received()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestStatusEscapesTaskID(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/a/b?c", fakeResponse{body: exampleRunning})

	if _, err := env.client.Status(context.Background(), "a/b?c"); err != nil {
		t.Fatalf("Status: %v", err)
	}
	req := env.api.received()[0]
	if req.escapedPath != "/job-status/a%2Fb%3Fc" {
		t.Errorf("escaped path = %q, want /job-status/a%%2Fb%%3Fc", req.escapedPath)
	}
	if req.query != "cost_units=cents" {
		t.Errorf("query = %q, want cost_units=cents", req.query)
	}
}

func TestStatusRetriesMalformedBody(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/t1",
		fakeResponse{body: `{"status":"running","id":`},
		fakeResponse{body: exampleRunning})

	st, err := env.client.Status(context.Background(), "t1")
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.Status != StatusRunning {
		t.Errorf("Status = %q", st.Status)
	}
	if n := len(env.api.received()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestWaitUntilEachTerminalStatus(t *testing.T) {
	cases := map[string]string{
		"completed":  StatusCompleted,
		"failed":     StatusFailed,
		"cancelled":  StatusCancelled,
		"canceled":   StatusCancelled,
		"terminated": StatusTerminated,
		"timed_out":  StatusTimedOut,
	}
	for sent, want := range cases {
		t.Run(sent, func(t *testing.T) {
			env := newTestEnv(t, nil)
			terminal := strings.Replace(exampleRunning, `"running"`, `"`+sent+`"`, 1)
			if sent == "failed" {
				terminal = strings.Replace(terminal, `}`, `,"error":"source block failed"}`, 1)
			}
			env.api.on("GET /job-status/<task_id>",
				fakeResponse{body: exampleRunning},
				fakeResponse{body: strings.Replace(exampleRunning, "running", "continued_as_new", 1)},
				fakeResponse{body: terminal})

			st, err := env.client.Wait(context.Background(), "<task_id>", PollOptions{Initial: time.Second, Max: 4 * time.Second, Timeout: time.Hour})
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if st.Status != want {
				t.Errorf("Status = %q, want %q", st.Status, want)
			}
			if !st.Terminal() {
				t.Errorf("Terminal() = false for %q", st.Status)
			}
			if n := len(env.api.received()); n != 3 {
				t.Errorf("polls = %d, want 3", n)
			}
			sleeps := env.clock.Sleeps()
			if len(sleeps) != 2 {
				t.Fatalf("waits = %v, want 2", sleeps)
			}
			for _, d := range sleeps {
				if d < 900*time.Millisecond || d > 4400*time.Millisecond {
					t.Errorf("wait %s outside [Initial-10%%, Max+10%%]", d)
				}
			}
			if sent == "failed" && st.Error != "source block failed" {
				t.Errorf("Error = %q, want the failure message", st.Error)
			}
		})
	}
}

func TestWaitTimesOut(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: exampleRunning})

	st, err := env.client.Wait(context.Background(), "t1", PollOptions{Initial: 10 * time.Second, Max: 10 * time.Second, Timeout: time.Minute})
	if !errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("error = %v, want ErrWaitTimeout", err)
	}
	if st.Status != StatusRunning {
		t.Errorf("last status = %q, want running", st.Status)
	}
	if n := len(env.api.received()); n < 5 || n > 8 {
		t.Errorf("polls = %d, want about 6 in one minute at 10 s", n)
	}
}

func TestWaitStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: exampleRunning})
	env.clock.onSleep = func(time.Duration) { cancel() }

	_, err := env.client.Wait(ctx, "t1", PollOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if n := len(env.api.received()); n != 1 {
		t.Errorf("polls = %d, want 1", n)
	}
}

func TestWaitReturnsPollError(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: exampleRunning}, fakeResponse{status: 401, body: example401})

	_, err := env.client.Wait(context.Background(), "t1", PollOptions{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
}

func TestFinalPicksHighestBlock(t *testing.T) {
	block := func(n int) *int { return &n }
	cases := []struct {
		name    string
		entries []ResultEntry
		want    string
		ok      bool
	}{
		{"empty", nil, "", false},
		{"in order", []ResultEntry{{Filename: "a", BlockNumber: block(1)}, {Filename: "b", BlockNumber: block(2)}}, "b", true},
		{"reversed", []ResultEntry{{Filename: "c", BlockNumber: block(3)}, {Filename: "a", BlockNumber: block(1)}, {Filename: "b", BlockNumber: block(2)}}, "c", true},
		{"nil ranks lowest", []ResultEntry{{Filename: "a", BlockNumber: block(0)}, {Filename: "none"}}, "a", true},
		{"all nil takes last", []ResultEntry{{Filename: "a"}, {Filename: "b"}}, "b", true},
		{"tie takes last", []ResultEntry{{Filename: "a", BlockNumber: block(2)}, {Filename: "b", BlockNumber: block(2)}}, "b", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entry, ok := JobStatus{Results: tc.entries}.Final()
			if ok != tc.ok || entry.Filename != tc.want {
				t.Errorf("Final() = %q, %v; want %q, %v", entry.Filename, ok, tc.want, tc.ok)
			}
		})
	}
}
