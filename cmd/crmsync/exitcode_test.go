package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines/runner"
)

// TestExitCodes runs crmsync into each class of outcome and checks the exit
// code, the summary and that only a finished run writes outputs. Codes 6 and
// 130 have their own tests beside the signal handling.
func TestExitCodes(t *testing.T) {
	balance := int64(5)
	cases := []struct {
		name    string
		options []fixtureOption
		// prepare changes the fixture before the run.
		prepare func(f *fixture)
		args    []string
		code    int
		status  string
		// stderr is a part of the error message crmsync prints.
		stderr string
		// outputs is whether the run writes its outputs.
		outputs bool
	}{
		{name: "success", code: runner.ExitOK, status: runner.StatusSucceeded, outputs: true},
		{
			name:    "missing source",
			prepare: func(f *fixture) { f.source = filepath.Join(f.dir, "missing.csv"); f.writePipeline() },
			code:    runner.ExitRuntime, status: runner.StatusFailed, stderr: "missing.csv",
		},
		{
			name: "source is a folder",
			prepare: func(f *fixture) {
				f.source = filepath.Join(f.dir, "folder.csv")
				os.Mkdir(f.source, 0o755)
				f.writePipeline()
			},
			code: runner.ExitRuntime, status: runner.StatusFailed,
		},
		{
			name: "unknown flag", args: []string{"--no-such-flag"},
			code: runner.ExitUsage, stderr: "unknown flag",
		},
		{
			name:    "every job fails",
			options: []fixtureOption{withEmulator(func(o *emulator.Options) { o.JobFailureRate = 1 })},
			code:    runner.ExitPartial, status: runner.StatusPartial, outputs: true,
		},
		{
			name:    "out of credits",
			options: []fixtureOption{withEmulator(func(o *emulator.Options) { o.BalanceCents = &balance })},
			code:    runner.ExitCredits, status: runner.StatusFailed, stderr: "insufficient credits",
		},
		{
			name:    "budget reached",
			options: []fixtureOption{withEnrichYAML("  max_cost_cents: 5")},
			code:    runner.ExitCredits, status: runner.StatusFailed, stderr: "budget reached",
		},
		{
			name:    "wrong API key",
			options: []fixtureOption{withEmulator(func(o *emulator.Options) { o.APIKey = "the-right-key" }), withAPIKey("a-wrong-key")},
			code:    runner.ExitAccess, status: runner.StatusFailed, stderr: "access denied",
		},
		{
			name:    "tier not enabled",
			options: []fixtureOption{withTier("high")},
			code:    runner.ExitAccess, status: runner.StatusFailed, stderr: "access denied",
		},
		{
			name:    "invalid YAML",
			prepare: func(f *fixture) { os.WriteFile(f.yaml, []byte("name: leads\nsource: [\n"), 0o644) },
			code:    runner.ExitConfig, status: runner.StatusFailed,
		},
		{
			name: "unknown key",
			prepare: func(f *fixture) {
				data, _ := os.ReadFile(f.yaml)
				os.WriteFile(f.yaml, []byte(strings.Replace(string(data), "  tier:", "  teir:", 1)), 0o644)
			},
			code: runner.ExitConfig, status: runner.StatusFailed, stderr: "enrich.teir",
		},
		{
			name:    "API key not set",
			options: []fixtureOption{withAPIKey("")},
			code:    runner.ExitConfig, status: runner.StatusFailed, stderr: "CRMSYNC_TEST_API_KEY is not set",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.options...)
			if tc.prepare != nil {
				tc.prepare(f)
			}
			res := f.run("", tc.args...)
			if res.code != tc.code {
				t.Fatalf("exit code = %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			if tc.stderr != "" && !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, res.stderr)
			}
			if tc.outputs {
				for _, path := range f.outputs() {
					if _, err := os.Stat(path); err != nil {
						t.Errorf("output of a finished run: %v", err)
					}
				}
			} else {
				f.checkNoOutputs()
			}
			if tc.code == runner.ExitUsage {
				return // cobra rejects the flag before the run and its summary
			}
			sum := f.readSummary()
			if sum.ExitCode != tc.code {
				t.Errorf("summary exit_code = %d, want %d", sum.ExitCode, tc.code)
			}
			if sum.Status != tc.status {
				t.Errorf("summary status = %q, want %q", sum.Status, tc.status)
			}
			if tc.code != runner.ExitOK && sum.Error == "" && sum.StopReason == "" && tc.code != runner.ExitPartial {
				t.Error("summary of a failed run has neither error nor stop_reason")
			}
		})
	}
}

// TestSummaryFields checks the summary of a successful run against the
// fields the interface documents.
func TestSummaryFields(t *testing.T) {
	f := newFixture(t)
	f.mustSucceed()
	data, err := os.ReadFile(f.summary)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pipeline", "run_id", "status", "exit_code", "started_at", "duration_seconds",
		"rows_read", "rows_rejected", "rows_enriched", "rows_not_enriched", "chunks", "submissions",
		"estimated_cost_cents", "charged_cents", "chunk_results", "rejects", "type_mismatches", "outputs"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("summary lacks %q", key)
		}
	}
	sum := f.readSummary()
	if sum.RunID == "" || sum.RunID != f.manifest().RunID {
		t.Errorf("summary run_id = %q, want the manifest's %q", sum.RunID, f.manifest().RunID)
	}
	if len(sum.ChunkResults) != leadChunks {
		t.Fatalf("summary has %d chunk_results, want %d", len(sum.ChunkResults), leadChunks)
	}
	for _, c := range sum.ChunkResults {
		if c.Status != "completed" || c.TaskID == nil || c.ChargedCents == nil {
			t.Errorf("chunk result %+v: want completed with a task id and a charge", c)
		}
	}
	if sum.ChargedCents != leadChargeCents {
		t.Errorf("summary charged_cents = %v, want %d", sum.ChargedCents, leadChargeCents)
	}
	if sum.Submissions != leadChunks {
		t.Errorf("summary submissions = %d, want %d", sum.Submissions, leadChunks)
	}
}
