package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crmsync/crmsync/enrich/emulator"
)

// TestContractJobOutcomesPartial ends four of five chunks failed,
// cancelled, terminated and timed_out. The fifth is still collected, the
// summary lists each failed chunk with its task id, and the exit code is 3.
func TestContractJobOutcomesPartial(t *testing.T) {
	outcomes := map[string]string{
		"chunk-00000.jsonl": "completed",
		"chunk-00001.jsonl": "failed",
		"chunk-00002.jsonl": "cancelled",
		"chunk-00003.jsonl": "terminated",
		"chunk-00004.jsonl": "timed_out",
	}
	var mu sync.Mutex
	taskOf := map[string]string{} // outcome -> task id
	clock := newSimClock()
	useSimClock(t, clock)
	_, base := startEmulator(t, clock, emulator.Options{JobOutcome: func(taskID, filename string) string {
		mu.Lock()
		defer mu.Unlock()
		outcome, ok := outcomes[filename]
		if !ok {
			t.Errorf("unexpected upload filename %q", filename)
		}
		taskOf[outcome] = taskID
		return outcome
	}})
	dir := t.TempDir()
	yaml := writePipeline(t, dir, pipelineSpec{rows: 20, maxRows: 4, concurrency: 3})

	run := runPipeline(t, yaml, base, t.TempDir(), Options{})
	if run.code != ExitPartial || run.sum.Status != StatusPartial {
		t.Fatalf("exit %d status %q, want 3 partial; err %v", run.code, run.sum.Status, run.err)
	}
	for _, c := range run.sum.ChunkResults {
		want := outcomes[fmt.Sprintf("chunk-%05d.jsonl", c.Index)]
		if c.Status != want {
			t.Errorf("chunk %d status %q, want %q", c.Index, c.Status, want)
		}
		if c.TaskID == nil || *c.TaskID != taskOf[want] {
			t.Errorf("chunk %d task id %v, want %q", c.Index, c.TaskID, taskOf[want])
		}
		if want != "completed" && (c.Error == nil || !strings.Contains(*c.Error, "job ended "+want)) {
			t.Errorf("chunk %d error %v, want one saying the job ended %s", c.Index, c.Error, want)
		}
	}
	if run.sum.RowsEnriched != 4 || run.sum.RowsNotEnriched != 16 {
		t.Errorf("rows enriched %d, not enriched %d; want 4 and 16", run.sum.RowsEnriched, run.sum.RowsNotEnriched)
	}

	statuses := map[string]int{}
	data, err := os.ReadFile(filepath.Join(dir, "out", "leads.jsonl"))
	if err != nil {
		t.Fatalf("the output was not written: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("output row: %v", err)
		}
		status, _ := row["status"].(string)
		statuses[status]++
	}
	if statuses["enriched"] != 4 || statuses["failed"] != 16 {
		t.Errorf("output statuses %v, want 4 enriched and 16 failed", statuses)
	}
}

// TestContractInsufficientCreditsStops gives the emulator a balance that
// covers two of six chunks, with three submitted at once. The third gets
// 402, nothing more is submitted, the two running jobs are still collected,
// and the run exits 4.
func TestContractInsufficientCreditsStops(t *testing.T) {
	clock := newSimClock()
	useSimClock(t, clock)
	balance := int64(50) // each chunk: 10 rows x 2 cents = 20
	emu, base := startEmulator(t, clock, emulator.Options{BalanceCents: &balance})
	yaml := writePipeline(t, t.TempDir(), pipelineSpec{rows: 60, maxRows: 10, concurrency: 3})

	run := runPipeline(t, yaml, base, t.TempDir(), Options{})
	if run.code != ExitCredits {
		t.Fatalf("exit %d, want %d; err %v", run.code, ExitCredits, run.err)
	}
	if !strings.Contains(run.sum.StopReason, "insufficient credits") || !strings.Contains(run.sum.StopReason, "top up") {
		t.Errorf("stop_reason %q does not say the credits ran out and what to do", run.sum.StopReason)
	}
	stats := emu.Stats()
	if stats.Submissions != 2 {
		t.Errorf("emulator started %d jobs, want 2", stats.Submissions)
	}
	if n := stats.RequestsByStatus["402"]; n != 1 {
		t.Errorf("emulator answered 402 %d times, want 1: submitting must stop at the first", n)
	}
	completed, notSubmitted := 0, 0
	for _, c := range run.sum.ChunkResults {
		switch c.Status {
		case "completed":
			completed++
			if c.TaskID == nil || c.ChargedCents == nil {
				t.Errorf("completed chunk %d lacks its task id or charge", c.Index)
			}
		case "not_submitted":
			notSubmitted++
		default:
			t.Errorf("chunk %d status %q, want completed or not_submitted", c.Index, c.Status)
		}
	}
	if completed != 2 || notSubmitted != 4 {
		t.Errorf("%d completed and %d not submitted, want 2 and 4", completed, notSubmitted)
	}
	if run.sum.ChargedCents != 40 {
		t.Errorf("charged_cents %v, want 40", run.sum.ChargedCents)
	}
}

// TestContractAccessDeniedStops checks that a 401 and a 403 stop the run
// before any job starts, with exit code 5, and that the key stays out of
// the logs and the summary.
func TestContractAccessDeniedStops(t *testing.T) {
	cases := []struct {
		name string
		emu  emulator.Options
		tier string
		want string
	}{
		{"401 wrong key", emulator.Options{APIKey: "the-only-accepted-key"}, "low", "Machine authentication required"},
		{"403 high tier", emulator.Options{}, "high", "not enabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newSimClock()
			useSimClock(t, clock)
			emu, base := startEmulator(t, clock, tc.emu)
			yaml := writePipeline(t, t.TempDir(), pipelineSpec{rows: 30, maxRows: 10, concurrency: 2, tier: tc.tier})

			run := runPipeline(t, yaml, base, t.TempDir(), Options{})
			if run.code != ExitAccess {
				t.Fatalf("exit %d, want %d; err %v", run.code, ExitAccess, run.err)
			}
			if !strings.Contains(run.sum.StopReason, tc.want) {
				t.Errorf("stop_reason %q lacks %q", run.sum.StopReason, tc.want)
			}
			if n := emu.Stats().Submissions; n != 0 {
				t.Errorf("emulator started %d jobs, want 0", n)
			}
			summary, _ := json.Marshal(run.sum)
			if strings.Contains(run.logs, contractAPIKey) || strings.Contains(string(summary), contractAPIKey) {
				t.Error("the API key appears in the logs or the summary")
			}
		})
	}
}

// TestContractBudgetStops sets max_cost_cents to cover two of six chunks,
// with three workers. Submitting stops before the third, the summary says
// so, and the run exits 4.
func TestContractBudgetStops(t *testing.T) {
	clock := newSimClock()
	useSimClock(t, clock)
	emu, base := startEmulator(t, clock, emulator.Options{})
	yaml := writePipeline(t, t.TempDir(), pipelineSpec{rows: 60, maxRows: 10, concurrency: 3, maxCost: 50})

	run := runPipeline(t, yaml, base, t.TempDir(), Options{})
	if run.code != ExitCredits {
		t.Fatalf("exit %d, want %d; err %v", run.code, ExitCredits, run.err)
	}
	if !strings.Contains(run.sum.StopReason, "enrich.max_cost_cents 50") {
		t.Errorf("stop_reason %q does not name the budget", run.sum.StopReason)
	}
	if n := emu.Stats().Submissions; n != 2 {
		t.Errorf("emulator started %d jobs, want 2 (2 x 20 cents fit in 50)", n)
	}
	if run.sum.EstimatedCostCents > 50 {
		t.Errorf("estimated_cost_cents %d exceeds the budget of 50", run.sum.EstimatedCostCents)
	}
}
