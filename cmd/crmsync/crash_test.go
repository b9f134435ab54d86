package main

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/pipelines/runner"
	"github.com/crmsync/crmsync/pipelines/state"
)

// TestCrashAtEveryPoint kills crmsync with SIGKILL at each named point of a
// run, reruns it, and checks that the outputs equal an uninterrupted run's
// and that the emulator charged each chunk once. With concurrency 1 the
// first chunk is the one caught at the point, so the manifest left behind is
// known exactly.
func TestCrashAtEveryPoint(t *testing.T) {
	cases := []struct {
		point string
		phase string
		// chunk0 is the state of chunk 0 the killed run leaves; "" skips the check.
		chunk0 string
		// taskRecorded is whether chunk 0 has its task id in the manifest.
		taskRecorded bool
		// replays is how many of the rerun's submissions replay an existing job.
		replays int64
	}{
		{runner.CrashAfterChunking, state.PhaseEnriching, state.ChunkPending, false, 0},
		{runner.CrashBeforeSubmit, state.PhaseEnriching, state.ChunkSubmitting, false, 0},
		{runner.CrashAfterSubmitSent, state.PhaseEnriching, state.ChunkSubmitting, false, 1},
		{runner.CrashAfterSubmit, state.PhaseEnriching, state.ChunkSubmitted, true, 0},
		{runner.CrashAfterComplete, state.PhaseEnriching, state.ChunkCompleted, true, 0},
		{runner.CrashAfterDownload, state.PhaseEnriching, state.ChunkDownloaded, true, 0},
		{runner.CrashMidMerge, state.PhaseMerging, state.ChunkDownloaded, true, 0},
		{runner.CrashMidSinkWrite, state.PhaseMerging, state.ChunkDownloaded, true, 0},
		{runner.CrashBeforeCommit, state.PhaseMerging, state.ChunkDownloaded, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.point, func(t *testing.T) {
			f := newFixture(t)
			res := f.run("kill@" + tc.point)
			if !res.killed {
				t.Fatalf("crmsync was not killed at %s: exit code %d; stderr:\n%s", tc.point, res.code, res.stderr)
			}
			f.checkNoOutputs()

			m := f.manifest()
			if m.Phase != tc.phase {
				t.Errorf("phase after the kill = %q, want %q", m.Phase, tc.phase)
			}
			if len(m.Chunks) != leadChunks {
				t.Fatalf("manifest has %d chunks, want %d", len(m.Chunks), leadChunks)
			}
			c0 := m.Chunks[0]
			if c0.Status != tc.chunk0 {
				t.Errorf("chunk 0 status after the kill = %q, want %q", c0.Status, tc.chunk0)
			}
			if got := c0.TaskID != ""; got != tc.taskRecorded {
				t.Errorf("chunk 0 task id recorded = %v, want %v", got, tc.taskRecorded)
			}
			if c0.IdempotencyKey == "" || c0.SHA256 == "" || c0.Bytes == 0 || c0.Rows != 2 {
				t.Errorf("chunk 0 lacks its key, hash, size or rows: %+v", c0)
			}
			if tc.chunk0 == state.ChunkDownloaded {
				if _, err := os.Stat(filepath.Join(f.stateDir, pipelineName, c0.ResultFile)); err != nil {
					t.Errorf("result file of chunk 0: %v", err)
				}
			}
			replaysBefore := f.emu.Stats().Replays

			f.mustSucceed()
			sum := f.readSummary()
			if !sum.Resumed {
				t.Error("summary resumed = false, want true")
			}
			if sum.RunID != m.RunID {
				t.Errorf("resumed run id = %q, want the killed run's %q", sum.RunID, m.RunID)
			}
			f.checkOutputsMatchBaseline()
			st := f.checkChargedOnce()
			if got := st.Replays - replaysBefore; got != tc.replays {
				t.Errorf("replays during the rerun = %d, want %d", got, tc.replays)
			}
		})
	}
}

// TestCrashAtRandomMoments kills a 6-chunk run with 3 jobs in flight at
// seeded random moments, at least 20 times, and lets each run finish. A run
// that completes before its kill is checked and then rerun, which replays
// every job because its chunks keep their Idempotency-Keys.
func TestCrashAtRandomMoments(t *testing.T) {
	const kills = 20
	seed := time.Now().UnixNano()
	if s := os.Getenv("CRMSYNC_TEST_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("invalid CRMSYNC_TEST_SEED %q: %v", s, err)
		}
	}
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d; rerun with CRMSYNC_TEST_SEED=%d for the same kill delays", seed, seed)

	f := newFixture(t, withConcurrency(3))
	start := time.Now()
	f.mustSucceed()
	runTime := time.Since(start)
	f.checkOutputsMatchBaseline()
	f.checkChargedOnce()
	for _, path := range f.outputs() {
		os.Remove(path)
	}

	// Kills land within the first quarter of a full run's time, because a
	// resumed run has less left to do; phases counts where they landed.
	killed, completed := 0, 0
	phases := map[string]int{}
	for killed < kills {
		delay := time.Duration(rng.Int63n(int64(runTime / 4)))
		c := f.start("")
		select {
		case <-c.done:
		case <-time.After(delay):
			c.cmd.Process.Kill()
		}
		res := c.wait()
		switch {
		case res.killed:
			killed++
			if m, err := (state.Store{Dir: filepath.Join(f.stateDir, pipelineName)}).Load(); err == nil && m != nil {
				phases[m.Phase]++
			}
		case res.code == 0:
			completed++
			f.checkOutputsMatchBaseline()
			for _, path := range f.outputs() {
				os.Remove(path)
			}
		default:
			t.Fatalf("run after %d kills exited %d; stderr:\n%s", killed, res.code, res.stderr)
		}
	}
	f.mustSucceed()
	f.checkOutputsMatchBaseline()
	f.checkChargedOnce()
	t.Logf("%d kills (phase at the kill: %v), %d runs completed between kills", killed, phases, completed)
}

// TestRestartDiscardsUnfinishedRun checks that --restart starts a new run
// whose chunks get new Idempotency-Keys, so every chunk becomes a new job.
func TestRestartDiscardsUnfinishedRun(t *testing.T) {
	f := newFixture(t)
	if res := f.run("kill@" + runner.CrashAfterSubmit); !res.killed {
		t.Fatalf("crmsync was not killed: exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	old := f.manifest()

	f.mustSucceed("--restart")
	sum := f.readSummary()
	if sum.Resumed {
		t.Error("summary resumed = true after --restart")
	}
	if sum.RunID == old.RunID {
		t.Errorf("run id %q kept after --restart", sum.RunID)
	}
	m := f.manifest()
	if m.Chunks[0].IdempotencyKey == old.Chunks[0].IdempotencyKey {
		t.Errorf("chunk 0 kept Idempotency-Key %s after --restart", old.Chunks[0].IdempotencyKey)
	}
	if m.Chunks[0].Attempt != 2 {
		t.Errorf("chunk 0 attempt = %d after --restart, want 2", m.Chunks[0].Attempt)
	}
	if got := f.emu.Stats().Submissions; got != leadChunks+1 {
		t.Errorf("emulator submissions = %d, want %d: one from the killed run, then every chunk anew", got, leadChunks+1)
	}
	f.checkOutputsMatchBaseline()
}

// TestChangedInputStartsNewRun checks that an edited source file is not
// resumed: the rerun starts a new run and logs why.
func TestChangedInputStartsNewRun(t *testing.T) {
	f := newFixture(t)
	if res := f.run("kill@" + runner.CrashAfterSubmit); !res.killed {
		t.Fatalf("crmsync was not killed: exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	old := f.manifest()

	data, err := os.ReadFile(f.source)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "Patterfield", "Pattersfield", 1)
	if edited == string(data) {
		t.Fatal("test source has no \"Patterfield\" to edit")
	}
	if err := os.WriteFile(f.source, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	res := f.mustSucceed()
	sum := f.readSummary()
	if sum.Resumed {
		t.Error("summary resumed = true for a changed input")
	}
	if sum.RunID == old.RunID {
		t.Errorf("run id %q kept for a changed input", sum.RunID)
	}
	if !strings.Contains(res.stderr, "input file changed") {
		t.Errorf("stderr does not say the input changed:\n%s", res.stderr)
	}
	csv, err := os.ReadFile(filepath.Join(f.outDir, "leads.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "Pattersfield") {
		t.Error("CSV output does not contain the edited value")
	}
}

// TestChangedSinkResumesRun checks that changing only a sink keeps the run:
// the results already paid for are reused.
func TestChangedSinkResumesRun(t *testing.T) {
	f := newFixture(t)
	if res := f.run("kill@" + runner.CrashAfterDownload + ":2"); !res.killed {
		t.Fatalf("crmsync was not killed: exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	old := f.manifest()

	yaml, err := os.ReadFile(f.yaml)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(yaml), "columns: {metadata: [status]}", "columns: {metadata: [status, confidence_score]}", 1)
	if changed == string(yaml) {
		t.Fatal("test pipeline has no sink columns to change")
	}
	if err := os.WriteFile(f.yaml, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}

	f.mustSucceed()
	sum := f.readSummary()
	if !sum.Resumed {
		t.Error("summary resumed = false after a sink change")
	}
	if sum.RunID != old.RunID {
		t.Errorf("run id = %q, want the unfinished run's %q", sum.RunID, old.RunID)
	}
	st := f.checkChargedOnce()
	if st.Replays != 0 {
		t.Errorf("emulator replays = %d, want 0: downloaded results are reused", st.Replays)
	}
	header, _, _ := strings.Cut(readFile(t, filepath.Join(f.outDir, "leads.csv")), "\n")
	if !strings.Contains(header, "confidence_score") {
		t.Errorf("CSV header %q lacks the column the changed sink adds", header)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
