package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmsync/crmsync/bench/internal/gen"
	"github.com/crmsync/crmsync/pipelines"
)

func TestMedianOddAndEven(t *testing.T) {
	if got := medianDuration([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("median of 3,1,2 = %d, want 2", got)
	}
	if got := medianDuration([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4,1,3,2 = %d, want 2 (mean of 2 and 3, truncated)", got)
	}
	if got := medianInt([]int64{10, 30, 20, 40}); got != 25 {
		t.Errorf("median of 10,30,20,40 = %d, want 25", got)
	}
}

func TestThousandsSeparators(t *testing.T) {
	cases := map[int64]string{0: "0", 999: "999", 1000: "1,000", 5000000: "5,000,000", -1234: "-1,234"}
	for n, want := range cases {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// The generated pipeline must pass crmsync's own strict loader, so a
// renamed key fails here rather than in the middle of a bench run.
func TestPipelineYAMLLoads(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(csvPath, []byte("Id,FirstName\n1,Ada\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	yamlPath := filepath.Join(dir, "pipeline.yaml")
	data := []byte(pipelineYAML(csvPath, "127.0.0.1:18064", dir))
	env := func(string) (string, bool) { return "", false }

	p, err := pipelines.Parse(data, yamlPath, env)
	if err != nil {
		t.Fatalf("generated pipeline rejected: %v\n%s", err, data)
	}
	if p.Enrich.BaseURL != "http://127.0.0.1:18064" {
		t.Errorf("base_url = %q, want the loopback emulator", p.Enrich.BaseURL)
	}
	if len(p.Enrich.Struct) != len(gen.StructFields) {
		t.Errorf("struct has %d fields, want %d", len(p.Enrich.Struct), len(gen.StructFields))
	}
	if len(p.Enrich.Inputs) != len(gen.UploadedInputs) {
		t.Errorf("inputs has %d entries, want %d", len(p.Enrich.Inputs), len(gen.UploadedInputs))
	}
	if len(p.Sinks) != 1 || p.Sinks[0].Type != "parquet" {
		t.Errorf("sinks = %+v, want one parquet sink", p.Sinks)
	}
}
