package emulator

import (
	"net/http"
	"testing"
	"time"
)

func TestJobLifecycle(t *testing.T) {
	base, s, clock := startServer(t, Options{})
	start := clock.Now()
	id := submitOK(t, base, submitRequest{file: leadsCSV(3), config: basicConfig})

	running := jobStatus(t, base, id)
	if running["status"] != "running" || running["id"] != id || running["run_id"] == "" {
		t.Errorf("running status %v", running)
	}
	if running["start_time"] != start.Format(time.RFC3339) {
		t.Errorf("start_time %v, want %s", running["start_time"], start.Format(time.RFC3339))
	}
	if _, ok := running["results"]; ok {
		t.Errorf("running job has results: %v", running)
	}
	if got := s.Stats().Jobs.Running; got != 1 {
		t.Errorf("running jobs %d, want 1", got)
	}

	clock.Advance(DefaultJobLatency - time.Second)
	if st := jobStatus(t, base, id)["status"]; st != "running" {
		t.Errorf("status %v before the latency passed, want running", st)
	}

	status, entries := completedResults(t, base, clock, id)
	if status["close_time"] != start.Add(DefaultJobLatency).Format(time.RFC3339) {
		t.Errorf("close_time %v", status["close_time"])
	}
	if status["charge_amount"] != 6.0 {
		t.Errorf("charge_amount %v, want 3 rows x 2 cents", status["charge_amount"])
	}
	if len(entries) != 2 {
		t.Fatalf("%d results entries, want 2", len(entries))
	}
	for i, e := range entries {
		if e["block_number"] != float64(i+1) {
			t.Errorf("entry %d: block_number %v", i, e["block_number"])
		}
		if e["row_count"] != 3.0 || e["download_expires_in_seconds"] != 900.0 {
			t.Errorf("entry %d: row_count %v, expires in %v", i, e["row_count"], e["download_expires_in_seconds"])
		}
		for _, key := range []string{"filename", "storage_bucket", "content_type", "download_url", "file_size", "created_at"} {
			if e[key] == nil {
				t.Errorf("entry %d: %s missing", i, key)
			}
		}
	}
	if entries[0]["filename"] != "rows.csv" || entries[1]["filename"] != "enriched.csv" {
		t.Errorf("filenames %v, %v", entries[0]["filename"], entries[1]["filename"])
	}
	preview, _ := entries[1]["results"].([]any)
	if len(preview) != 3 {
		t.Errorf("inline preview has %d rows, want 3", len(preview))
	}
	st := s.Stats()
	if st.Jobs.Running != 0 || st.Jobs.Completed != 1 || st.RowsEnriched != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestJobStatusCredits(t *testing.T) {
	base, _, clock := startServer(t, Options{})
	id := submitOK(t, base, submitRequest{file: leadsCSV(5), config: basicConfig})
	clock.Advance(DefaultJobLatency)
	resp := get(t, base+"/job-status/"+id+"?cost_units=credits", testKey)
	body := resp.json(t)
	if body["charge_credits"] != 1.0 {
		t.Errorf("charge_credits %v, want 1 (10 cents)", body["charge_credits"])
	}
	if _, ok := body["charge_amount"]; ok {
		t.Errorf("charge_amount sent with cost_units=credits")
	}
}

func TestPreviewOnlyForSmallFiles(t *testing.T) {
	base, _, clock := startServer(t, Options{})
	id := submitOK(t, base, submitRequest{file: leadsCSV(inlinePreviewLimit + 1), config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	for i, e := range entries {
		if e["results"] != nil {
			t.Errorf("entry %d of an %d-row file has an inline preview", i, inlinePreviewLimit+1)
		}
	}
}

func TestJobStatusErrors(t *testing.T) {
	base, _, _ := startServer(t, Options{APIKey: testKey})
	resp := get(t, base+"/job-status/no-such-task", testKey)
	if resp.status != http.StatusNotFound || resp.detail(t) != "Job not found" {
		t.Errorf("unknown task: status %d: %s", resp.status, resp.body)
	}
	resp = get(t, base+"/job-status/no-such-task", "")
	if resp.status != http.StatusUnauthorized {
		t.Errorf("no key: status %d, want 401", resp.status)
	}
}

func TestReplaySemantics(t *testing.T) {
	base, s, clock := startServer(t, Options{})
	req := submitRequest{file: leadsCSV(4), config: basicConfig, idemKey: "chunk-0007"}
	id := submitOK(t, base, req)

	replay := submit(t, base, req)
	body := replay.json(t)
	if body["task_id"] != id || body["already_started"] != true || body["status"] != "RUNNING" {
		t.Errorf("replay %s", replay.body)
	}
	for _, key := range []string{"row_count", "estimated_cost_cents"} {
		if _, ok := body[key]; ok {
			t.Errorf("replay carries %s", key)
		}
	}

	// The scope is API key plus endpoint: the same Idempotency-Key on the
	// company endpoint or with another API key starts a new job.
	company := submitOK(t, base, submitRequest{endpoint: "company", file: leadsCSV(1), config: `{"struct":{"website":"w"}}`, idemKey: "chunk-0007"})
	otherKey := submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, idemKey: "chunk-0007", key: "other-org"})
	if company == id || otherKey == id {
		t.Errorf("Idempotency-Key leaked across scopes: %s %s %s", id, company, otherKey)
	}

	completedResults(t, base, clock, id)
	after := submit(t, base, req).json(t)
	if after["task_id"] != id || after["status"] != "COMPLETED" {
		t.Errorf("replay after completion %v", after)
	}

	st := s.Stats()
	if st.Submissions != 3 || st.Replays != 2 {
		t.Errorf("submissions %d, replays %d; want 3 and 2", st.Submissions, st.Replays)
	}
	if st.ChargesPerTask[id] != 8 || st.ChargedCents != 8+2+2 {
		t.Errorf("charges %v, total %d", st.ChargesPerTask, st.ChargedCents)
	}
}

func TestChargeOncePerTask(t *testing.T) {
	balance := int64(1000)
	base, s, clock := startServer(t, Options{BalanceCents: &balance})
	id := submitOK(t, base, submitRequest{file: leadsCSV(10), config: basicConfig})
	completedResults(t, base, clock, id)
	for range 3 {
		jobStatus(t, base, id)
	}
	st := s.Stats()
	if len(st.ChargesPerTask) != 1 || st.ChargesPerTask[id] != 20 {
		t.Errorf("charges_per_task %v, want one entry of 20", st.ChargesPerTask)
	}
	if st.ChargedCents != 20 || *st.BalanceCents != 980 {
		t.Errorf("charged %d, balance %d; want 20 and 980", st.ChargedCents, *st.BalanceCents)
	}
	credits := get(t, base+"/check-balance", testKey).json(t)["credits"]
	if credits != 98.0 {
		t.Errorf("check-balance credits %v, want 98", credits)
	}
}

func TestCheckBalance(t *testing.T) {
	base, _, _ := startServer(t, Options{})
	resp := get(t, base+"/check-balance", testKey)
	if resp.status != http.StatusOK || resp.json(t)["credits"] != unlimitedCredits {
		t.Errorf("unlimited balance: %d %s", resp.status, resp.body)
	}
	if resp := get(t, base+"/check-balance", ""); resp.status != http.StatusUnauthorized {
		t.Errorf("no key: status %d, want 401", resp.status)
	}
}

func TestJobFailureRate(t *testing.T) {
	balance := int64(100)
	base, s, clock := startServer(t, Options{JobFailureRate: 1, BalanceCents: &balance})
	id := submitOK(t, base, submitRequest{file: leadsCSV(5), config: basicConfig})
	clock.Advance(DefaultJobLatency)
	status := jobStatus(t, base, id)
	if status["status"] != "failed" {
		t.Fatalf("status %v, want failed", status["status"])
	}
	for _, key := range []string{"results", "charge_amount"} {
		if _, ok := status[key]; ok {
			t.Errorf("failed job has %s", key)
		}
	}
	st := s.Stats()
	if st.Jobs.Failed != 1 || st.ChargedCents != 0 || len(st.ChargesPerTask) != 0 || *st.BalanceCents != 100 {
		t.Errorf("stats after a failed job: %+v balance %d", st, *st.BalanceCents)
	}
}

func TestJobFailureRateFraction(t *testing.T) {
	base, s, clock := startServer(t, Options{JobFailureRate: 0.5, RateLimit: -1})
	for range 20 {
		submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig})
	}
	clock.Advance(DefaultJobLatency)
	st := s.Stats()
	if st.Jobs.Failed == 0 || st.Jobs.Completed == 0 || st.Jobs.Failed+st.Jobs.Completed != 20 {
		t.Errorf("jobs %+v: want a mix of failed and completed summing to 20", st.Jobs)
	}
}
