package runner_test

import (
	"bytes"
	"context"
	encodingcsv "encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/runner"
)

// The helpers in this file run whole pipelines in-process against an
// emulator on 127.0.0.1 and read their outputs back.

// startSinkEmulator starts an emulator on a free loopback port with a short
// job latency and no rate limit, and returns its base URL.
func startSinkEmulator(t *testing.T, opts emulator.Options) string {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.JobLatency == 0 {
		opts.JobLatency = 50 * time.Millisecond
	}
	opts.RateLimit = -1
	srv, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	baseURL, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return baseURL
}

// runSinkPipeline writes pipelineYAML to dir/pipeline.yaml, loads it and
// runs it against baseURL with its state under dir. It fails the test when
// the run returns an error. edit, when not nil, changes the loaded pipeline
// before the run.
func runSinkPipeline(t *testing.T, dir, pipelineYAML, baseURL string, edit func(*pipelines.Pipeline)) *runner.Summary {
	t.Helper()
	path := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(path, []byte(pipelineYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipelines.Load(path)
	if err != nil {
		t.Fatalf("load pipeline: %v", err)
	}
	if edit != nil {
		edit(p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := runner.Run(ctx, p, runner.Options{
		BaseURL:   baseURL,
		APIKey:    "test-key",
		StateDir:  filepath.Join(dir, "state"),
		Synthetic: true,
		Version:   "0.0.0-test",
	})
	if err != nil {
		t.Fatalf("run pipeline: %v (summary status %s, exit code %d)", err, sum.Status, sum.ExitCode)
	}
	return sum
}

// writeSinkFile writes data to dir/name and returns the path.
func writeSinkFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// leadsCSV returns a Salesforce-like lead export of n rows. Every column
// but Employees has a value in every row; Employees is empty in every
// seventh row. Row 3 has a Title that a spreadsheet would run as a formula,
// which crmsync must write back unchanged because it came from the CRM.
func leadsCSV(n int) []byte {
	var b bytes.Buffer
	w := encodingcsv.NewWriter(&b)
	w.Write([]string{"Id", "FirstName", "LastName", "Company", "Email", "Title", "Employees", "CreatedDate"})
	for i := range n {
		title := fmt.Sprintf("Buyer %d", i)
		if i == 3 {
			title = "=SUM(1,2)"
		}
		employees := fmt.Sprint(10 + i*7)
		if i%7 == 6 {
			employees = ""
		}
		w.Write([]string{
			fmt.Sprintf("00Q5g%010dAAA", i),
			fmt.Sprintf("First%d", i),
			fmt.Sprintf("Last%d", i),
			fmt.Sprintf("Company %d", i%9),
			fmt.Sprintf("person%d@example.com", i),
			title,
			employees,
			time.Date(2024, 1, 10, 8, 30, 15, 0, time.FixedZone("", 3600)).Add(time.Duration(i) * 90 * time.Minute).Format(time.RFC3339),
		})
	}
	w.Flush()
	return b.Bytes()
}

// readCSVFile parses a CSV output and returns its header and its records
// keyed by the value of column key.
func readCSVFile(t *testing.T, path, key string) ([]string, map[string]map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	records, err := encodingcsv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if len(records) == 0 {
		t.Fatalf("%s is empty; want a header row", path)
	}
	header := records[0]
	rows := map[string]map[string]string{}
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range header {
			row[name] = rec[i]
		}
		if _, dup := rows[row[key]]; dup {
			t.Fatalf("%s: %s %q appears twice", path, key, row[key])
		}
		rows[row[key]] = row
	}
	return header, rows
}

// readJSONLFile parses a JSONL output into one map per line, keyed by the
// value of column key.
func readJSONLFile(t *testing.T, path, key string) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]any{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("%s line %d: %v", path, i+1, err)
		}
		id, _ := row[key].(string)
		rows[id] = row
	}
	return rows
}

// rowsByKey turns the columns read from a Parquet file into one map per
// row, keyed by the string value of column key.
func rowsByKey(t *testing.T, names []string, columns [][]any, key string) map[string]map[string]any {
	t.Helper()
	keyCol := -1
	for i, n := range names {
		if n == key {
			keyCol = i
		}
	}
	if keyCol < 0 {
		t.Fatalf("no column %q in %q", key, names)
	}
	rows := map[string]map[string]any{}
	for r := range columns[keyCol] {
		id, ok := columns[keyCol][r].(string)
		if !ok {
			t.Fatalf("row %d: key column %q is %#v, want a string", r, key, columns[keyCol][r])
		}
		row := map[string]any{}
		for c, n := range names {
			row[n] = columns[c][r]
		}
		if _, dup := rows[id]; dup {
			t.Fatalf("key %q appears twice", id)
		}
		rows[id] = row
	}
	return rows
}
