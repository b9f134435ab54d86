package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crmsync/crmsync/pipelines/runner"
	"github.com/crmsync/crmsync/pipelines/state"
)

// TestSIGTERMSavesStateAndExits130 stops a run that waits for its first
// job. The run must submit nothing more, keep the task id and exit 130; the
// rerun then polls that job instead of submitting it again.
func TestSIGTERMSavesStateAndExits130(t *testing.T) {
	f := newFixture(t, withFrozenClock())
	c := f.start("mark@" + runner.CrashAfterSubmit)
	f.waitForMarker(c)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	res := c.wait()
	if res.code != runner.ExitInterrupted {
		t.Fatalf("exit code after SIGTERM = %d, want %d; stderr:\n%s", res.code, runner.ExitInterrupted, res.stderr)
	}
	if !strings.Contains(res.stderr, "interrupted; the run state is saved") {
		t.Errorf("stderr does not say the state is saved:\n%s", res.stderr)
	}
	sum := f.readSummary()
	if sum.Status != runner.StatusInterrupted || sum.ExitCode != runner.ExitInterrupted {
		t.Errorf("summary status %q exit %d, want %q %d", sum.Status, sum.ExitCode, runner.StatusInterrupted, runner.ExitInterrupted)
	}
	f.checkNoOutputs()

	m := f.manifest()
	if m.Chunks[0].Status != state.ChunkSubmitted || m.Chunks[0].TaskID == "" {
		t.Errorf("chunk 0 = %s with task id %q, want submitted with a task id", m.Chunks[0].Status, m.Chunks[0].TaskID)
	}
	for _, ch := range m.Chunks[1:] {
		if ch.Status != state.ChunkPending {
			t.Errorf("chunk %d = %s after the signal, want pending", ch.Index, ch.Status)
		}
	}
	if got := f.emu.Stats().Submissions; got != 1 {
		t.Errorf("emulator submissions = %d after the signal, want 1", got)
	}

	// Restart the emulator's clock so the job submitted before the signal
	// completes.
	f.frozenAt.Store(0)
	f.mustSucceed()
	f.checkOutputsMatchBaseline()
	st := f.checkChargedOnce()
	if st.Replays != 0 {
		t.Errorf("emulator replays = %d, want 0: the rerun polls the recorded task", st.Replays)
	}
}

// TestSecondSIGINTExitsAtOnce blocks a run in its merge, where the first
// SIGINT cannot stop it, and checks that a second SIGINT ends the process
// with 130 without writing outputs or a summary.
func TestSecondSIGINTExitsAtOnce(t *testing.T) {
	f := newFixture(t)
	c := f.start("block@" + runner.CrashMidMerge)
	f.waitForMarker(c)
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(c.stderr.String(), "signal received") {
		if c.exited() {
			res := c.wait()
			t.Fatalf("run ended with %d after the first SIGINT although it was blocked; stderr:\n%s", res.code, res.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	res := c.wait()
	if res.code != runner.ExitInterrupted {
		t.Fatalf("exit code after the second SIGINT = %d, want %d; stderr:\n%s", res.code, runner.ExitInterrupted, res.stderr)
	}
	f.checkNoOutputs()
	if _, err := os.Stat(f.summary); err == nil {
		t.Error("summary written although the second signal ends the process at once")
	}
	if m := f.manifest(); m.Phase != state.PhaseMerging {
		t.Errorf("phase = %q, want %q", m.Phase, state.PhaseMerging)
	}
}

// TestOverlappingRunExits6 checks that a second run of a pipeline exits 6
// while the first is active, and that the lock of a killed run is taken
// over.
func TestOverlappingRunExits6(t *testing.T) {
	f := newFixture(t)
	first := f.start("block@" + runner.CrashAfterSubmit)
	f.waitForMarker(first)

	res := f.run("")
	if res.code != runner.ExitLocked {
		t.Fatalf("second run exited %d, want %d; stderr:\n%s", res.code, runner.ExitLocked, res.stderr)
	}
	if !strings.Contains(res.stderr, "another run of this pipeline is active") {
		t.Errorf("stderr does not name the active run:\n%s", res.stderr)
	}
	if sum := f.readSummary(); sum.ExitCode != runner.ExitLocked {
		t.Errorf("summary exit_code = %d, want %d", sum.ExitCode, runner.ExitLocked)
	}
	if got := f.emu.Stats().Submissions; got != 1 {
		t.Errorf("emulator submissions = %d, want 1: the second run must not submit", got)
	}

	first.cmd.Process.Kill()
	if res := first.wait(); !res.killed {
		t.Fatalf("first run was not killed: exit code %d", res.code)
	}
	if _, err := os.Stat(filepath.Join(f.stateDir, pipelineName, "lock")); err != nil {
		t.Fatalf("lock file of the killed run: %v", err)
	}
	f.mustSucceed()
	if sum := f.readSummary(); !sum.Resumed {
		t.Error("run after the killed one did not resume it")
	}
	f.checkOutputsMatchBaseline()
	f.checkChargedOnce()
}
