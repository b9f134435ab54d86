package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crmsync/crmsync/bench/internal/gen"
)

// benchAPIKey is the key the bench's own emulator accepts; it is no real key.
const benchAPIKey = "bench-key"

// apiKeyEnv is the variable that carries benchAPIKey to crmsync.
const apiKeyEnv = "CRMSYNC_BENCH_API_KEY"

// PipelineSample is one whole-pipeline run: crmsync and the emulator it
// talked to, each measured from its own rusage.
type PipelineSample struct {
	Crmsync  Sample
	Emulator Sample
}

// runPipeline starts an emulator on a free loopback port, runs `crmsync run`
// against it on a fresh state folder, then stops the emulator with SIGINT.
func runPipeline(crmsync, csvPath, work string) (PipelineSample, error) {
	var ps PipelineSample
	addr, err := freeLoopbackAddr()
	if err != nil {
		return ps, err
	}
	emu, err := startEmulator(crmsync, addr, filepath.Join(work, "emulator.log"))
	if err != nil {
		return ps, err
	}
	defer emu.kill()

	yamlPath := filepath.Join(work, "pipeline.yaml")
	if err := os.WriteFile(yamlPath, []byte(pipelineYAML(csvPath, addr, work)), 0o644); err != nil {
		return ps, err
	}
	summaryPath := filepath.Join(work, "summary.json")
	ps.Crmsync, err = runChild(command{
		Path: crmsync,
		Args: []string{"run", yamlPath, "--summary", summaryPath, "--no-progress", "--log-format", "json"},
		Dir:  work,
		Env:  []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), apiKeyEnv + "=" + benchAPIKey},
		Log:  filepath.Join(work, "crmsync.log"),
	})
	if err != nil {
		return ps, err
	}
	rows, err := checkSummary(summaryPath)
	if err != nil {
		return ps, err
	}
	ps.Crmsync.Rows = rows

	ps.Emulator, err = emu.stop()
	return ps, err
}

// pipelineYAML returns a pipeline that sends three inputs per contact to the
// emulator at addr and writes one Parquet file, with every limit set so the
// emulator's latency and rate limit never make crmsync wait.
func pipelineYAML(csvPath, addr, work string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: bench-contacts\n")
	fmt.Fprintf(&b, "source:\n  path: %s\n  format: csv\n  key: Id\n", strconv.Quote(csvPath))
	fmt.Fprintf(&b, "chunk:\n  max_rows: %d\n  max_bytes: 100MB\n", gen.ChunkRows)
	fmt.Fprintf(&b, "enrich:\n  endpoint: people\n  base_url: %s\n  api_key_env: %s\n  tier: low\n", strconv.Quote("http://"+addr), apiKeyEnv)
	fmt.Fprintf(&b, "  concurrency: 4\n  rate_limit_per_minute: 100000\n")
	fmt.Fprintf(&b, "  poll: {initial: 100ms, max: 500ms, timeout: 1h}\n")
	b.WriteString("  inputs:\n")
	for _, in := range gen.UploadedInputs {
		fmt.Fprintf(&b, "    %s: %s\n", in[0], strconv.Quote(in[1]))
	}
	b.WriteString("  struct:\n")
	for _, f := range gen.StructFields {
		if f.Type == "" {
			fmt.Fprintf(&b, "    %s: %s\n", f.Name, strconv.Quote(f.Description))
		} else {
			fmt.Fprintf(&b, "    %s: {description: %s, type: %s}\n", f.Name, strconv.Quote(f.Description), f.Type)
		}
	}
	fmt.Fprintf(&b, "sinks:\n  - type: parquet\n    path: %s\n", strconv.Quote(filepath.Join(work, "out", "contacts.parquet")))
	b.WriteString("    columns: {metadata: [status, confidence_score, notes, references]}\n")
	fmt.Fprintf(&b, "state_dir: %s\n", strconv.Quote(filepath.Join(work, "state")))
	return b.String()
}

// checkSummary returns rows_read from a run summary and fails unless the run
// succeeded, so a partial run is never reported as a measurement.
func checkSummary(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read run summary: %w", err)
	}
	var sum struct {
		Status       string `json:"status"`
		RowsRead     int64  `json:"rows_read"`
		RowsRejected int64  `json:"rows_rejected"`
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		return 0, fmt.Errorf("invalid run summary %s: %w", path, err)
	}
	if sum.Status != "succeeded" || sum.RowsRejected != 0 {
		return 0, fmt.Errorf("run summary %s: status %s, %d rows read, %d rejected; expected a succeeded run", path, sum.Status, sum.RowsRead, sum.RowsRejected)
	}
	return sum.RowsRead, nil
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// emulatorProcess is a running `crmsync emulate`.
type emulatorProcess struct {
	cmd    *exec.Cmd
	done   chan error
	cancel context.CancelFunc
}

// startEmulator starts the emulator with no job latency and no rate limit
// and waits until it prints that it is listening.
func startEmulator(crmsync, addr, logPath string) (*emulatorProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	cmd := exec.CommandContext(ctx, crmsync, "emulate", "--addr", addr, "--job-latency", "0",
		"--rate-limit", "-1", "--api-key", benchAPIKey, "--log-format", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		logFile.Close()
		return nil, err
	}
	e := &emulatorProcess{cmd: cmd, done: make(chan error, 1), cancel: cancel}

	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "listening") {
				ready <- true
				signalled = true
			}
		}
		if !signalled {
			ready <- false
		}
		e.done <- cmd.Wait()
		logFile.Close()
	}()
	select {
	case ok := <-ready:
		if ok {
			return e, nil
		}
		e.kill()
		return nil, fmt.Errorf("emulator on %s exited before listening (log in %s%s)", addr, logPath, lastLine(logPath))
	case <-time.After(30 * time.Second):
		e.kill()
		return nil, fmt.Errorf("emulator on %s did not report listening within 30s (log in %s)", addr, logPath)
	}
}

// stop sends SIGINT, waits for the emulator to exit and returns its rusage.
func (e *emulatorProcess) stop() (Sample, error) {
	if err := e.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return Sample{}, fmt.Errorf("stop emulator: %w", err)
	}
	select {
	case err := <-e.done:
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			return Sample{}, fmt.Errorf("emulator: %w", err)
		}
	case <-time.After(time.Minute):
		e.kill()
		return Sample{}, errors.New("emulator did not exit within 1m of SIGINT")
	}
	e.cancel()
	return usage(e.cmd.ProcessState), nil
}

// kill ends the emulator if it is still running (exec.CommandContext kills
// the process when its context is cancelled); it is safe after stop.
func (e *emulatorProcess) kill() { e.cancel() }
