package main

import (
	"testing"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines/runner"
	"github.com/crmsync/crmsync/pipelines/state"
)

// TestRerunResubmitsOnlyFailedChunks runs a pipeline whose jobs fail half
// the time, then reruns it until every chunk completed. Each rerun must
// submit new jobs only for the chunks that failed, with the next attempt
// number, and replay every completed job without a new charge.
func TestRerunResubmitsOnlyFailedChunks(t *testing.T) {
	f := newFixture(t, withEmulator(func(o *emulator.Options) { o.JobFailureRate = 0.5; o.Seed = 7 }))

	res := f.run("", "--summary", f.summary)
	if res.code != runner.ExitPartial {
		t.Fatalf("first run exited %d, want %d (some jobs fail); stderr:\n%s", res.code, runner.ExitPartial, res.stderr)
	}
	for round := 1; round <= 10; round++ {
		before := f.emu.Stats()
		prev := f.manifest()
		failed := 0
		attempts := map[string]int{}
		for _, c := range prev.Chunks {
			attempts[c.SHA256] = c.Attempt
			if c.Status == state.ChunkFailed {
				failed++
				attempts[c.SHA256]++
			}
		}
		if failed == 0 {
			t.Fatalf("round %d: no failed chunk in the manifest of a run that exited %d", round, runner.ExitPartial)
		}

		res = f.run("", "--summary", f.summary)
		after := f.emu.Stats()
		if got := after.Submissions - before.Submissions; got != int64(failed) {
			t.Errorf("round %d: rerun submitted %d new jobs, want %d (the failed chunks only)", round, got, failed)
		}
		if got := after.Replays - before.Replays; got != int64(leadChunks-failed) {
			t.Errorf("round %d: rerun replayed %d jobs, want %d (the completed chunks)", round, got, leadChunks-failed)
		}
		sum := f.readSummary()
		if got, want := sum.ChargedCents, float64(after.ChargedCents-before.ChargedCents); got != want {
			t.Errorf("round %d: summary charged_cents = %v, want %v (new charges only)", round, got, want)
		}
		if sum.ReplayedChargedCents <= 0 {
			t.Errorf("round %d: replayed_charged_cents = %v, want the replayed jobs' earlier charges", round, sum.ReplayedChargedCents)
		}
		for _, c := range f.manifest().Chunks {
			if c.Attempt != attempts[c.SHA256] {
				t.Errorf("round %d: chunk %d attempt = %d, want %d", round, c.Index, c.Attempt, attempts[c.SHA256])
			}
		}
		if res.code == runner.ExitOK {
			if sum.RowsEnriched != leadRows {
				t.Errorf("rows_enriched = %d, want %d", sum.RowsEnriched, leadRows)
			}
			return
		}
		if res.code != runner.ExitPartial {
			t.Fatalf("round %d: rerun exited %d, want 0 or %d; stderr:\n%s", round, res.code, runner.ExitPartial, res.stderr)
		}
	}
	t.Fatal("chunks still failing after 10 reruns; the emulator's failure draw should differ per task")
}
