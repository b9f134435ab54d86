package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/crmsync/crmsync/pipelines/runner"
)

// TestJSONLogsNameChunkAndTask checks that with --log-format json every
// stderr line is a JSON object, and that every line about a chunk, the
// enrich client's included, carries pipeline, run_id, the chunk number and,
// after submission, the task id. The API key must appear nowhere.
func TestJSONLogsNameChunkAndTask(t *testing.T) {
	f := newFixture(t, withConcurrency(2), withAPIKey("secret-key-4711"))
	res := f.mustSucceed("--log-format", "json")
	runID := f.manifest().RunID

	// Messages logged after a chunk's task id is known.
	afterSubmit := map[string]bool{
		"submitted chunk": true, "chunk submitted": true, "job ended": true,
		"job completed": true, "downloaded result file": true, "result downloaded": true,
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
			continue
		}
		msg, _ := rec["msg"].(string)
		_, hasChunk := rec["chunk"]
		_, hasTask := rec["task_id"]
		if !hasChunk && !hasTask && !afterSubmit[msg] {
			continue
		}
		seen[msg]++
		if rec["pipeline"] != pipelineName {
			t.Errorf("chunk line %q: pipeline = %v, want %q", msg, rec["pipeline"], pipelineName)
		}
		if rec["run_id"] != runID {
			t.Errorf("chunk line %q: run_id = %v, want %q", msg, rec["run_id"], runID)
		}
		if _, ok := rec["chunk"].(float64); !ok {
			t.Errorf("chunk line %q: chunk = %#v, want the chunk number", msg, rec["chunk"])
		}
		if afterSubmit[msg] {
			if id, _ := rec["task_id"].(string); id == "" {
				t.Errorf("chunk line %q has no task_id", msg)
			}
		}
	}
	for msg := range afterSubmit {
		if seen[msg] != leadChunks {
			t.Errorf("%d lines %q, want one per chunk (%d)", seen[msg], msg, leadChunks)
		}
	}
	if strings.Contains(res.stderr, "secret-key-4711") {
		t.Error("the API key appears on stderr")
	}
	if strings.Contains(res.stderr, "\033[K") {
		t.Error("progress line drawn although stderr is not a terminal")
	}
}

// TestTextLogsByDefault checks the default log format.
func TestTextLogsByDefault(t *testing.T) {
	f := newFixture(t)
	res := f.mustSucceed()
	if !strings.Contains(res.stderr, `level=INFO msg="run finished" pipeline=leads`) {
		t.Errorf("stderr has no text log line for the finished run:\n%s", res.stderr)
	}
}

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, terminal *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("skipped: no pseudo-terminal to draw progress on: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	terminal, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { terminal.Close() })
	return master, terminal
}

// TestProgressOnTerminalOnly checks that progress is drawn on a terminal
// only, not with --no-progress, and that every phase shows.
func TestProgressOnTerminalOnly(t *testing.T) {
	master, terminal := openPTY(t)

	file, err := os.Create(t.TempDir() + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if pr := progressFor(file, false); pr != nil {
		t.Error("progress drawn on a regular file")
	}
	if pr := progressFor(terminal, true); pr != nil {
		t.Error("progress drawn with --no-progress")
	}
	pr := progressFor(terminal, false)
	if pr == nil {
		t.Fatal("no progress on a terminal")
	}

	events := []struct {
		ev       runner.Event
		n, total int64
	}{
		{runner.EventReadStart, 0, 0},
		{runner.EventRead, 10000, 0},
		{runner.EventReadDone, 20000, 3},
		{runner.EventSubmitted, 1, 3},
		{runner.EventChunkDone, 1, 3},
		{runner.EventMergeStart, 0, 20000},
		{runner.EventMerged, 10000, 20000},
		{runner.EventMergeDone, 20000, 20000},
	}
	for _, e := range events {
		pr.Report(e.ev, e.n, e.total)
	}
	pr.(*progress).Close()

	var out strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(out.String(), "\n") {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("read terminal: %v (read so far %q)", err, out.String())
		}
		out.Write(buf[:n])
	}
	for _, phase := range []string{"reading", "submitting", "waiting for jobs", "writing", "rows written 20000/20000"} {
		if !strings.Contains(out.String(), phase) {
			t.Errorf("progress output lacks %q: %q", phase, out.String())
		}
	}
}
