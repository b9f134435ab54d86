package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/internal/testutil"
	"github.com/crmsync/crmsync/pipelines/runner"
	"github.com/crmsync/crmsync/pipelines/state"
)

// Environment of a child crmsync process started by a test. The test binary
// re-executes itself, and TestMain runs crmsync instead of the tests when
// envChildArgs is set.
const (
	envChildArgs = "CRMSYNC_TEST_CHILD_ARGS" // JSON array of crmsync arguments
	// envHook acts at a crash point of the run: "kill@POINT[:N]" sends
	// SIGKILL to the process at the Nth pass (default 1), "block@POINT"
	// writes the marker file and blocks forever, "mark@POINT" writes the
	// marker file and goes on.
	envHook   = "CRMSYNC_TEST_HOOK"
	envMarker = "CRMSYNC_TEST_MARKER"
	envAPIKey = "CRMSYNC_TEST_API_KEY"
)

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(envChildArgs); ok {
		os.Exit(runChild(args))
	}
	os.Exit(m.Run())
}

func runChild(argsJSON string) int {
	var args []string
	if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
		fmt.Fprintln(os.Stderr, "test child: invalid", envChildArgs, err)
		return 99
	}
	if hook := os.Getenv(envHook); hook != "" {
		h, err := parseHook(hook)
		if err != nil {
			fmt.Fprintln(os.Stderr, "test child:", err)
			return 99
		}
		crashHook = h
	}
	return execute(args)
}

func parseHook(spec string) (func(point string), error) {
	action, rest, ok := strings.Cut(spec, "@")
	if !ok {
		return nil, fmt.Errorf("invalid %s %q; expected ACTION@POINT", envHook, spec)
	}
	point, nthText, hasNth := strings.Cut(rest, ":")
	nth := int64(1)
	if hasNth {
		n, err := strconv.ParseInt(nthText, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid pass number in %s %q", envHook, spec)
		}
		nth = n
	}
	var passes atomic.Int64
	marker := os.Getenv(envMarker)
	return func(p string) {
		if p != point || passes.Add(1) != nth {
			return
		}
		switch action {
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case "block":
			os.WriteFile(marker, []byte(p), 0o644)
			select {}
		case "mark":
			os.WriteFile(marker, []byte(p), 0o644)
		}
	}, nil
}

// leadRows and leadChunks describe the test source: the Easy Spaces
// Salesforce leads, 11 rows, cut into chunks of 2 rows.
const (
	leadRows   = 11
	leadChunks = 6
	// leadChargeCents is 11 rows at the emulator's default low-tier price of
	// 2 cents per row: what one charge per chunk costs in total.
	leadChargeCents = 22
	pipelineName    = "leads"
)

const pipelineTemplate = `name: leads
source:
  path: @SOURCE@
  preset: salesforce
chunk:
  max_rows: 2
enrich:
  endpoint: people
  base_url: @URL@
  api_key_env: CRMSYNC_TEST_API_KEY
  inputs:
    full_name: "{FirstName} {LastName}"
    company: Company
    email: Email
  struct:
    linkedin_url: LinkedIn profile URL of the person
    company_size: {description: Number of employees, type: int}
  tier: @TIER@
  concurrency: @CONCURRENCY@
  rate_limit_per_minute: 1000
  poll: {initial: 50ms, max: 200ms}
@ENRICH@
state_dir: @STATE@
sinks:
  - type: csv
    path: @OUT@/leads.csv
    columns: {metadata: [status]}
  - type: jsonl
    path: @OUT@/leads.jsonl
  - type: parquet
    path: @OUT@/leads.parquet
`

// fixture is one pipeline with its own source copy, state and output
// folders, and a standalone emulator in the test process whose jobs outlive
// every child crmsync process.
type fixture struct {
	t        *testing.T
	dir      string
	source   string
	yaml     string
	stateDir string
	outDir   string
	summary  string
	marker   string
	emu      *emulator.Server
	url      string
	apiKey   string
	// frozenAt, when not 0, stops the emulator's clock at that Unix time in
	// nanoseconds, so no job completes until a test sets it back to 0.
	frozenAt atomic.Int64

	tier, concurrency, enrichExtra string
}

type fixtureOption func(*fixture, *emulator.Options)

func withEmulator(fn func(*emulator.Options)) fixtureOption {
	return func(_ *fixture, o *emulator.Options) { fn(o) }
}

func withConcurrency(n int) fixtureOption {
	return func(f *fixture, _ *emulator.Options) { f.concurrency = strconv.Itoa(n) }
}

func withTier(tier string) fixtureOption {
	return func(f *fixture, _ *emulator.Options) { f.tier = tier }
}

func withEnrichYAML(lines string) fixtureOption {
	return func(f *fixture, _ *emulator.Options) { f.enrichExtra = lines }
}

// withFrozenClock stops the emulator's clock from the start.
func withFrozenClock() fixtureOption {
	return func(f *fixture, _ *emulator.Options) { f.frozenAt.Store(time.Now().UnixNano()) }
}

func withAPIKey(key string) fixtureOption {
	return func(f *fixture, _ *emulator.Options) { f.apiKey = key }
}

func newFixture(t *testing.T, options ...fixtureOption) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{
		t:           t,
		dir:         dir,
		source:      filepath.Join(dir, "Lead_Data.csv"),
		yaml:        filepath.Join(dir, "leads.yaml"),
		stateDir:    filepath.Join(dir, "state"),
		outDir:      filepath.Join(dir, "out"),
		summary:     filepath.Join(dir, "summary.json"),
		marker:      filepath.Join(dir, "marker"),
		apiKey:      "test-key",
		tier:        "low",
		concurrency: "1",
	}
	opts := emulator.Options{Addr: "127.0.0.1:0", JobLatency: 100 * time.Millisecond, RateLimit: -1}
	for _, o := range options {
		o(f, &opts)
	}
	opts.Now = func() time.Time {
		if ns := f.frozenAt.Load(); ns != 0 {
			return time.Unix(0, ns)
		}
		return time.Now()
	}

	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "testdata", "realdata", "salesforce-easy-spaces-lwc", "Lead_Data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.source, data, 0o644); err != nil {
		t.Fatal(err)
	}

	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	f.emu, f.url = emu, url
	f.writePipeline()
	return f
}

// writePipeline writes the YAML file from the fixture's settings.
func (f *fixture) writePipeline() {
	f.t.Helper()
	text := strings.NewReplacer(
		"@SOURCE@", f.source, "@URL@", f.url, "@TIER@", f.tier, "@CONCURRENCY@", f.concurrency,
		"@ENRICH@", f.enrichExtra, "@STATE@", f.stateDir, "@OUT@", f.outDir,
	).Replace(pipelineTemplate)
	if err := os.WriteFile(f.yaml, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// child is one crmsync process.
type child struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
	err    error
}

// result is how a child process ended.
type result struct {
	code   int  // exit code; -1 when a signal ended the process
	killed bool // ended by SIGKILL
	stderr string
}

// start starts crmsync run on the fixture's pipeline. hook is an envHook
// value or "".
func (f *fixture) start(hook string, extraArgs ...string) *child {
	f.t.Helper()
	args := append([]string{"run", f.yaml, "--no-progress", "--summary", f.summary}, extraArgs...)
	return f.startArgs(hook, args...)
}

func (f *fixture) startArgs(hook string, args ...string) *child {
	f.t.Helper()
	argsJSON, err := json.Marshal(args)
	if err != nil {
		f.t.Fatal(err)
	}
	os.Remove(f.marker)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		envChildArgs+"="+string(argsJSON),
		envHook+"="+hook,
		envMarker+"="+f.marker,
		envAPIKey+"="+f.apiKey,
	)
	c := &child{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	f.t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// wait waits for the child to end.
func (c *child) wait() result {
	<-c.done
	res := result{code: c.cmd.ProcessState.ExitCode(), stderr: c.stderr.String()}
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		res.killed = true
	}
	var exitErr *exec.ExitError
	if c.err != nil && !errors.As(c.err, &exitErr) {
		res.stderr += "\nwait: " + c.err.Error()
	}
	return res
}

// exited reports whether the child has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// run runs crmsync to its end.
func (f *fixture) run(hook string, extraArgs ...string) result {
	f.t.Helper()
	return f.start(hook, extraArgs...).wait()
}

// mustSucceed runs crmsync to its end and fails the test unless it exits 0.
func (f *fixture) mustSucceed(extraArgs ...string) result {
	f.t.Helper()
	res := f.run("", extraArgs...)
	if res.code != 0 {
		f.t.Fatalf("crmsync run exited %d, want 0; stderr:\n%s", res.code, res.stderr)
	}
	return res
}

// waitForMarker waits until the child's hook wrote the marker file. It
// fails the test when the child ends first.
func (f *fixture) waitForMarker(c *child) {
	f.t.Helper()
	for {
		if _, err := os.Stat(f.marker); err == nil {
			return
		}
		if c.exited() {
			res := c.wait()
			f.t.Fatalf("child ended with exit code %d before reaching the hook; stderr:\n%s", res.code, res.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) manifest() *state.Manifest {
	f.t.Helper()
	m, err := state.Store{Dir: filepath.Join(f.stateDir, pipelineName)}.Load()
	if err != nil {
		f.t.Fatal(err)
	}
	if m == nil {
		f.t.Fatal("no run state written")
	}
	return m
}

func (f *fixture) readSummary() runner.Summary {
	f.t.Helper()
	data, err := os.ReadFile(f.summary)
	if err != nil {
		f.t.Fatalf("read summary: %v", err)
	}
	var sum runner.Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		f.t.Fatalf("summary %s: %v", f.summary, err)
	}
	return sum
}

func (f *fixture) outputs() []string {
	return []string{
		filepath.Join(f.outDir, "leads.csv"),
		filepath.Join(f.outDir, "leads.jsonl"),
		filepath.Join(f.outDir, "leads.parquet"),
	}
}

// checkNoOutputs fails the test when any output exists under its final name.
func (f *fixture) checkNoOutputs() {
	f.t.Helper()
	for _, path := range f.outputs() {
		if _, err := os.Stat(path); err == nil {
			f.t.Errorf("output %s exists although the run did not complete", path)
		}
	}
}

// checkOutputsMatchBaseline compares the CSV and JSONL outputs byte for
// byte with those of an uninterrupted run. The Parquet file carries the run
// id in its metadata, so only its row count is compared.
func (f *fixture) checkOutputsMatchBaseline() {
	f.t.Helper()
	want := baselineOutputs(f.t)
	for _, name := range []string{"leads.csv", "leads.jsonl"} {
		got, err := os.ReadFile(filepath.Join(f.outDir, name))
		if err != nil {
			f.t.Errorf("read output: %v", err)
			continue
		}
		if !bytes.Equal(got, want[name]) {
			f.t.Errorf("%s differs from the uninterrupted run's output:\ngot:\n%s\nwant:\n%s", name, got, want[name])
		}
	}
	checkParquetOutput(f.t, filepath.Join(f.outDir, "leads.parquet"), leadRows)
	entries, err := os.ReadDir(f.outDir)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			f.t.Errorf("temporary file %s left in the output folder", e.Name())
		}
	}
}

// checkChargedOnce checks the emulator's counters: one new job per chunk,
// every job completed and charged once.
func (f *fixture) checkChargedOnce() emulator.Stats {
	f.t.Helper()
	st := f.emu.Stats()
	if st.Submissions != leadChunks {
		f.t.Errorf("emulator submissions = %d, want %d (one per chunk)", st.Submissions, leadChunks)
	}
	if len(st.ChargesPerTask) != leadChunks {
		f.t.Errorf("emulator charged %d tasks, want %d", len(st.ChargesPerTask), leadChunks)
	}
	if st.ChargedCents != leadChargeCents {
		f.t.Errorf("emulator charged %d cents, want %d (each chunk once)", st.ChargedCents, leadChargeCents)
	}
	if st.Jobs.Completed != leadChunks {
		f.t.Errorf("emulator completed %d jobs, want %d", st.Jobs.Completed, leadChunks)
	}
	return st
}

var (
	baselineOnce sync.Once
	baseline     map[string][]byte
	baselineErr  string
)

// baselineOutputs returns the CSV and JSONL outputs of an uninterrupted run
// against a fresh emulator.
func baselineOutputs(t *testing.T) map[string][]byte {
	t.Helper()
	baselineOnce.Do(func() {
		f := newFixture(t)
		res := f.run("")
		if res.code != 0 {
			baselineErr = fmt.Sprintf("uninterrupted run exited %d; stderr:\n%s", res.code, res.stderr)
			return
		}
		baseline = map[string][]byte{}
		for _, name := range []string{"leads.csv", "leads.jsonl"} {
			data, err := os.ReadFile(filepath.Join(f.outDir, name))
			if err != nil {
				baselineErr = err.Error()
				return
			}
			baseline[name] = data
		}
	})
	if baselineErr != "" {
		t.Fatal(baselineErr)
	}
	return baseline
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
