package runner

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines/state"
)

// jobTracker sits in front of the emulator. It holds the first submissions
// until `gate` of them wait at once, which proves that many run
// concurrently, and it records the most jobs in flight: submitted and not
// yet downloaded.
type jobTracker struct {
	next http.Handler
	gate int

	mu          sync.Mutex
	waiting     int
	opened      bool
	open        chan struct{}
	inFlight    map[string]bool
	maxInFlight int
}

func newJobTracker(next http.Handler, gate int) *jobTracker {
	return &jobTracker{next: next, gate: gate, open: make(chan struct{}), inFlight: map[string]bool{}}
}

// bodyCapture keeps a copy of a response body.
type bodyCapture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (b *bodyCapture) WriteHeader(status int) {
	b.status = status
	b.ResponseWriter.WriteHeader(status)
}
func (b *bodyCapture) Write(p []byte) (int, error) {
	b.body.Write(p)
	return b.ResponseWriter.Write(p)
}

func (jt *jobTracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/bulk-intelligence/"):
		jt.mu.Lock()
		jt.waiting++
		if jt.waiting >= jt.gate && !jt.opened {
			jt.opened = true
			close(jt.open)
		}
		jt.mu.Unlock()
		select {
		case <-jt.open:
		case <-time.After(10 * time.Second):
			// The test fails on jt.opened; the release keeps the run going.
		}
		capture := &bodyCapture{ResponseWriter: w, status: http.StatusOK}
		jt.next.ServeHTTP(capture, r)
		var res struct {
			TaskID string `json:"task_id"`
		}
		if capture.status == http.StatusOK && json.Unmarshal(capture.body.Bytes(), &res) == nil {
			jt.mu.Lock()
			jt.inFlight[res.TaskID] = true
			jt.maxInFlight = max(jt.maxInFlight, len(jt.inFlight))
			jt.mu.Unlock()
		}
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/emulator/files/") && strings.HasSuffix(r.URL.Path, "/2"):
		jt.next.ServeHTTP(w, r)
		taskID := strings.Split(r.URL.Path, "/")[3]
		jt.mu.Lock()
		delete(jt.inFlight, taskID)
		jt.mu.Unlock()
	default:
		jt.next.ServeHTTP(w, r)
	}
}

// TestContractConcurrencyHonoured runs six chunks with enrich.concurrency 3:
// three submissions must be in progress together, and never more than three
// jobs may be in flight.
func TestContractConcurrencyHonoured(t *testing.T) {
	const concurrency = 3
	clock := newSimClock()
	useSimClock(t, clock)
	emu, err := emulator.New(emulator.Options{Now: clock.Now, JobLatency: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tracker := newJobTracker(emu.Handler(), concurrency)
	srv := httptest.NewServer(tracker)
	t.Cleanup(func() { srv.Close(); emu.Close() })

	yaml := writePipeline(t, t.TempDir(), pipelineSpec{rows: 60, maxRows: 10, concurrency: concurrency})
	run := runPipeline(t, yaml, srv.URL, t.TempDir(), Options{})
	if run.err != nil {
		t.Fatalf("run failed: %v", run.err)
	}

	tracker.mu.Lock()
	defer tracker.mu.Unlock()
	if !tracker.opened {
		t.Errorf("only %d submissions were in progress together, want %d", tracker.waiting, concurrency)
	}
	if tracker.maxInFlight > concurrency {
		t.Errorf("%d jobs were in flight at once, want at most %d", tracker.maxInFlight, concurrency)
	}
	if n := emu.Stats().Submissions; n != 6 {
		t.Errorf("emulator started %d jobs, want 6", n)
	}
}

// TestContractRateLimitSharedAndRemembered runs five chunks at once with a
// limit of 3 per minute, then restarts the pipeline within the same minute.
// The emulator enforces the same limit on the same clock, so a 429 means
// that concurrent chunks did not share the limiter, or that the restarted
// run forgot the submissions the first run saved in its state.
func TestContractRateLimitSharedAndRemembered(t *testing.T) {
	clock := newSimClock()
	useSimClock(t, clock)
	emu, base := startEmulator(t, clock, emulator.Options{RateLimit: 3})
	dir := t.TempDir()
	stateDir := t.TempDir()
	yaml := writePipeline(t, dir, pipelineSpec{rows: 50, maxRows: 10, concurrency: 5, rateLimit: 3})

	first := runPipeline(t, yaml, base, stateDir, Options{})
	if first.err != nil {
		t.Fatalf("first run failed: %v", first.err)
	}
	if n := emu.Stats().RequestsByStatus["429"]; n != 0 {
		t.Fatalf("first run: emulator answered 429 %d times; concurrent chunks did not share one limiter", n)
	}
	if waits := clock.longSleeps(time.Second); len(waits) == 0 {
		t.Error("first run: no chunk waited for the rate limit")
	}

	manifest, err := state.Store{Dir: filepath.Join(stateDir, "contract-leads")}.Load()
	if err != nil {
		t.Fatalf("load run state: %v", err)
	}
	if len(manifest.SubmissionTimes) == 0 {
		t.Fatal("the run state has no submission_times")
	}

	waitsBefore := len(clock.longSleeps(time.Second))
	second := runPipeline(t, yaml, base, stateDir, Options{Restart: true})
	if second.err != nil {
		t.Fatalf("restarted run failed: %v", second.err)
	}
	stats := emu.Stats()
	if n := stats.RequestsByStatus["429"]; n != 0 {
		t.Errorf("restarted run: emulator answered 429 %d times; the run did not remember the earlier submissions", n)
	}
	if stats.Submissions != 10 {
		t.Errorf("emulator started %d jobs over both runs, want 10", stats.Submissions)
	}
	if len(clock.longSleeps(time.Second)) == waitsBefore {
		t.Error("restarted run: no submission waited for the rate limit")
	}
}
