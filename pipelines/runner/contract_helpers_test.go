package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines"
)

// The contract tests run whole pipelines against the emulator over
// loopback. The client and the emulator share a simulated clock that the
// client's waits advance, so rate-limit waits of a minute take no real time.

const contractAPIKey = "sk-runner-contract-51c0ffee-SECRET"

// simClock is a simulated clock; Sleep advances it by the requested wait.
type simClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newSimClock() *simClock {
	return &simClock{now: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	// Yield, so a worker that polls in a loop lets the others run.
	time.Sleep(time.Millisecond)
	return ctx.Err()
}

// longSleeps returns the waits of at least min.
func (c *simClock) longSleeps(min time.Duration) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, d := range c.sleeps {
		if d >= min {
			out = append(out, d)
		}
	}
	return out
}

// useSimClock makes every client built by this test use clock.
func useSimClock(t *testing.T, clock *simClock) {
	t.Helper()
	clientOptionsHook = func(o *enrich.Options) {
		o.Now = clock.Now
		o.Sleep = clock.Sleep
	}
	t.Cleanup(func() { clientOptionsHook = nil })
}

// startEmulator starts an emulator on a free loopback port on clock.
func startEmulator(t *testing.T, clock *simClock, opts emulator.Options) (*emulator.Server, string) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	opts.Now = clock.Now
	if opts.JobLatency == 0 {
		opts.JobLatency = 50 * time.Millisecond
	}
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	base, err := emu.Start()
	if err != nil {
		t.Fatalf("emulator Start: %v", err)
	}
	t.Cleanup(func() { emu.Close() })
	return emu, base
}

// pipelineSpec describes a test pipeline over a generated CSV of leads.
type pipelineSpec struct {
	rows        int
	maxRows     int
	concurrency int
	rateLimit   int
	tier        string
	maxCost     int64
	webhookURL  string
}

// writePipeline writes the CSV source and the pipeline YAML into dir and
// returns the YAML's path. The only sink is out/leads.jsonl.
func writePipeline(t *testing.T, dir string, spec pipelineSpec) string {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("Id,FirstName,LastName,Company,Email\n")
	for i := range spec.rows {
		fmt.Fprintf(&csv, "L%04d,First%d,Last%d,Company %d,person%d@example.com\n", i, i, i, i%9, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "leads.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	tier := spec.tier
	if tier == "" {
		tier = "low"
	}
	var enrichExtra strings.Builder
	if spec.concurrency > 0 {
		fmt.Fprintf(&enrichExtra, "  concurrency: %d\n", spec.concurrency)
	}
	if spec.rateLimit > 0 {
		fmt.Fprintf(&enrichExtra, "  rate_limit_per_minute: %d\n", spec.rateLimit)
	}
	if spec.maxCost > 0 {
		fmt.Fprintf(&enrichExtra, "  max_cost_cents: %d\n", spec.maxCost)
	}
	if spec.webhookURL != "" {
		fmt.Fprintf(&enrichExtra, "  webhook_url: %s\n", spec.webhookURL)
	}
	yaml := fmt.Sprintf(`name: contract-leads
source:
  path: leads.csv
  key: Id
chunk:
  max_rows: %d
enrich:
  endpoint: people
  inputs:
    full_name: "{FirstName} {LastName}"
    company: Company
    email: Email
  struct:
    title: Current job title
    linkedin_url: LinkedIn profile URL
  tier: %s
  poll: {initial: 20ms, max: 100ms, timeout: 1h}
%ssinks:
  - type: jsonl
    path: out/leads.jsonl
    columns:
      metadata: [status]
`, spec.maxRows, tier, enrichExtra.String())
	path := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fastRetry keeps the client's backoff waits short and its retries many,
// so fault injection cannot exhaust them.
func fastRetry() *enrich.RetryPolicy {
	return &enrich.RetryPolicy{
		MaxAttempts: 30, InitialInterval: 10 * time.Millisecond, MaxInterval: 100 * time.Millisecond,
		LinkRefreshes: 30,
	}
}

// contractRun is the outcome of one runner.Run.
type contractRun struct {
	sum  *Summary
	err  error
	code int
	logs string
}

// runPipeline loads the YAML and runs it against baseURL. opts may set
// Restart, Resolver and Retry; the rest is filled in.
func runPipeline(t *testing.T, yamlPath, baseURL, stateDir string, opts Options) contractRun {
	t.Helper()
	p, err := pipelines.Load(yamlPath)
	if err != nil {
		t.Fatalf("pipelines.Load: %v", err)
	}
	var logs bytes.Buffer
	opts.BaseURL = baseURL
	if opts.APIKey == "" {
		opts.APIKey = contractAPIKey
	}
	opts.StateDir = stateDir
	opts.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Retry == nil {
		opts.Retry = fastRetry()
	}
	sum, err := Run(context.Background(), p, opts)
	return contractRun{sum: sum, err: err, code: sum.ExitCode, logs: logs.String()}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// chunkStatuses returns the summary's chunk statuses by index.
func chunkStatuses(sum *Summary) map[int]string {
	out := map[int]string{}
	for _, c := range sum.ChunkResults {
		out[c.Index] = c.Status
	}
	return out
}
