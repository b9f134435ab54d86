package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich/emulator"
)

const (
	chaosRows   = 288
	chaosChunks = 24
)

// chaosRun runs the 24-chunk pipeline against an emulator with the given
// transport faults and returns the run, the emulator's stats and the output.
func chaosRun(t *testing.T, faults emulator.Options) (contractRun, emulator.Stats, []byte) {
	t.Helper()
	clock := newSimClock()
	useSimClock(t, clock)
	opts := faults
	opts.Seed = 7
	opts.PassthroughRate = 0.1
	opts.Shuffle = true
	opts.RateLimit = 10
	// A job latency of 1 s on the simulated clock makes each job take about
	// 13 polls, so 5% of all requests is a dozen dropped responses.
	opts.JobLatency = time.Second
	emu, base := startEmulator(t, clock, opts)

	dir := t.TempDir()
	// 24 chunks make it all but certain that each fault hits: the chance
	// that none of 24 downloads gets an "expired" 403 is 0.7^24, about 0.02%.
	yaml := writePipeline(t, dir, pipelineSpec{rows: chaosRows, maxRows: 12, concurrency: 4, rateLimit: 10})
	run := runPipeline(t, yaml, base, t.TempDir(), Options{})
	output, err := os.ReadFile(filepath.Join(dir, "out", "leads.jsonl"))
	if err != nil && run.err == nil {
		t.Fatalf("read output: %v", err)
	}
	return run, emu.Stats(), output
}

// TestContractChaosRunMatchesCleanRun runs one pipeline of 24 chunks twice:
// once fault-free and once with 10% 500s, 5% dropped responses and 30%
// expired-link answers. Both use the same seed, 10% pass-through rows,
// shuffled results and a rate limit of 10. The outputs must be identical,
// each chunk must be charged exactly once, and the pass-through rows must be
// counted as not enriched.
func TestContractChaosRunMatchesCleanRun(t *testing.T) {
	clean, cleanStats, cleanOut := chaosRun(t, emulator.Options{})
	if clean.err != nil {
		t.Fatalf("fault-free run failed: %v\n%s", clean.err, clean.logs)
	}
	chaos, chaosStats, chaosOut := chaosRun(t, emulator.Options{ErrorRate: 0.1, DropRate: 0.05, ExpiredLinkRate: 0.3})
	if chaos.err != nil {
		t.Fatalf("run with faults failed: %v\n%s", chaos.err, chaos.logs)
	}

	if chaosStats.RequestsByStatus["500"] == 0 {
		t.Error("the emulator injected no 500; the run was not exercised")
	}
	if chaosStats.DroppedResponses == 0 {
		t.Error("the emulator dropped no response; the run was not exercised")
	}
	if chaosStats.RequestsByStatus["403"] == 0 {
		t.Error("the emulator sent no expired-link answer; the run was not exercised")
	}

	if !bytes.Equal(cleanOut, chaosOut) {
		t.Errorf("output with faults differs from the fault-free output (%d vs %d bytes)", len(chaosOut), len(cleanOut))
	}

	for name, run := range map[string]contractRun{"fault-free": clean, "faults": chaos} {
		stats := cleanStats
		if name == "faults" {
			stats = chaosStats
		}
		sum := run.sum
		if sum.ExitCode != ExitOK || sum.Status != StatusSucceeded {
			t.Errorf("%s: exit %d status %q, want 0 succeeded", name, sum.ExitCode, sum.Status)
		}
		if sum.Chunks != chaosChunks {
			t.Errorf("%s: %d chunks, want %d", name, sum.Chunks, chaosChunks)
		}
		if stats.Submissions != chaosChunks {
			t.Errorf("%s: emulator started %d jobs, want %d", name, stats.Submissions, chaosChunks)
		}
		if len(stats.ChargesPerTask) != chaosChunks {
			t.Errorf("%s: emulator charged %d tasks, want %d", name, len(stats.ChargesPerTask), chaosChunks)
		}
		if stats.RequestsByStatus["429"] != 0 {
			t.Errorf("%s: emulator answered 429 %d times", name, stats.RequestsByStatus["429"])
		}
		if stats.RowsPassthrough == 0 {
			t.Errorf("%s: no pass-through rows; the pass-through rate was not exercised", name)
		}
		if sum.RowsNotEnriched != stats.RowsPassthrough {
			t.Errorf("%s: rows_not_enriched = %d, want the emulator's %d pass-through rows", name, sum.RowsNotEnriched, stats.RowsPassthrough)
		}
		if sum.RowsEnriched+sum.RowsNotEnriched != chaosRows {
			t.Errorf("%s: enriched %d + not enriched %d != %d rows", name, sum.RowsEnriched, sum.RowsNotEnriched, chaosRows)
		}
		checkCosts(t, name, sum, stats)
	}
	if cleanStats.RowsPassthrough != chaosStats.RowsPassthrough {
		t.Errorf("pass-through rows differ: %d fault-free, %d with faults", cleanStats.RowsPassthrough, chaosStats.RowsPassthrough)
	}
}

// checkCosts compares the summary's estimates and charges with the price
// table and the emulator's charges.
func checkCosts(t *testing.T, name string, sum *Summary, stats emulator.Stats) {
	t.Helper()
	var estimated int64
	var charged float64
	for _, c := range sum.ChunkResults {
		if c.TaskID == nil {
			t.Errorf("%s: chunk %d has no task id", name, c.Index)
			continue
		}
		if c.EstimatedCostCents == nil || *c.EstimatedCostCents != int64(c.Rows)*2 {
			t.Errorf("%s: chunk %d estimated_cost_cents = %v, want %d rows x 2", name, c.Index, c.EstimatedCostCents, c.Rows)
		} else {
			estimated += *c.EstimatedCostCents
		}
		want, ok := stats.ChargesPerTask[*c.TaskID]
		switch {
		case !ok:
			t.Errorf("%s: chunk %d task %s was not charged by the emulator", name, c.Index, *c.TaskID)
		case c.ChargedCents == nil || *c.ChargedCents != float64(want):
			t.Errorf("%s: chunk %d charged_cents = %v, want the emulator's %d", name, c.Index, c.ChargedCents, want)
		default:
			charged += *c.ChargedCents
		}
	}
	if sum.EstimatedCostCents != estimated {
		t.Errorf("%s: summary estimated_cost_cents = %d, want the chunks' sum %d", name, sum.EstimatedCostCents, estimated)
	}
	if sum.ChargedCents != float64(stats.ChargedCents) || charged != float64(stats.ChargedCents) {
		t.Errorf("%s: summary charged_cents = %v (chunks %v), want the emulator's %d", name, sum.ChargedCents, charged, stats.ChargedCents)
	}
}
