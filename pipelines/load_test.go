package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const fullExample = `
name: salesforce-leads
source:
  path: data/Lead_Data.csv
  preset: salesforce
  encoding: utf-8
  delimiter: ","
  key: Id
  types: {AnnualRevenue: float}
  on_error: reject
  max_rejected: 1%
chunk:
  max_rows: 100000
  max_bytes: 100MB
enrich:
  endpoint: people
  base_url: https://api.sixtyfour.ai
  api_key_env: SIXTYFOUR_API_KEY
  inputs:
    full_name: "{FirstName} {LastName}"
    company: Company
  struct:
    title: Current job title
    employees: {description: Number of employees, type: int}
  tier: low
  research_plan: Check the company site first.
  max_cost_cents: 5000
  price_cents_per_row: {low: 2}
  concurrency: 4
  rate_limit_per_minute: 10
  poll: {initial: 5s, max: 60s, timeout: 24h}
sinks:
  - type: parquet
    path: out/leads.parquet
    compression: snappy
    row_group_rows: 122880
    columns:
      keep: all
      rename: {title: Title}
      prefix: ""
      metadata: [status]
  - type: csv
    path: out/salesforce-update.csv
    crm: salesforce
    only_changed: true
    overwrite: fill_empty
    delimiter: ","
    bom: false
state_dir: .crmsync
`

func TestParseFullExample(t *testing.T) {
	p := mustParse(t, fullExample)

	if p.Name != "salesforce-leads" {
		t.Errorf("Name = %q", p.Name)
	}
	if got, want := p.Enrich.InputOrder, []string{"full_name", "company"}; !slices.Equal(got, want) {
		t.Errorf("InputOrder = %v, want %v", got, want)
	}
	if got := p.Enrich.Inputs["full_name"]; got != "{FirstName} {LastName}" {
		t.Errorf("Inputs[full_name] = %q", got)
	}
	wantStruct := []StructField{
		{Name: "title", Description: "Current job title"},
		{Name: "employees", Description: "Number of employees", Type: "int", Object: true},
	}
	if !slices.Equal(p.Enrich.Struct, wantStruct) {
		t.Errorf("Struct = %+v, want %+v", p.Enrich.Struct, wantStruct)
	}
	if p.Source.Types["AnnualRevenue"] != "float" {
		t.Errorf("Types = %v", p.Source.Types)
	}
	if p.Source.Format != "csv" {
		t.Errorf("Format = %q, want csv from the extension", p.Source.Format)
	}
	if *p.Enrich.MaxCostCents != 5000 {
		t.Errorf("MaxCostCents = %d", *p.Enrich.MaxCostCents)
	}
	if p.Sinks[0].Columns.Keep != "all" || p.Sinks[0].Columns.Rename["title"] != "Title" {
		t.Errorf("sinks[0].columns = %+v", p.Sinks[0].Columns)
	}
	if p.Sinks[1].FormulaGuard == nil || *p.Sinks[1].FormulaGuard {
		t.Errorf("formula_guard of a crm csv sink = %v, want false", p.Sinks[1].FormulaGuard)
	}
	if !p.Sinks[1].OnlyChanged {
		t.Errorf("only_changed = false, want true")
	}
}

func TestParseResolvesRelativePaths(t *testing.T) {
	p := mustParse(t, fullExample)

	if p.Dir != "/work/pipe" || p.Path != "/work/pipe/pipeline.yaml" {
		t.Errorf("Path, Dir = %q, %q", p.Path, p.Dir)
	}
	if want := "/work/pipe/data/Lead_Data.csv"; p.Source.Path != want {
		t.Errorf("Source.Path = %q, want %q", p.Source.Path, want)
	}
	if want := "/work/pipe/out/leads.parquet"; p.Sinks[0].Path != want {
		t.Errorf("Sinks[0].Path = %q, want %q", p.Sinks[0].Path, want)
	}
	if want := "/work/pipe/.crmsync"; p.StateDir != want {
		t.Errorf("StateDir = %q, want %q", p.StateDir, want)
	}
}

func TestParseKeepsAbsolutePaths(t *testing.T) {
	p := mustParse(t, pipelineYAML("source:\n  path: /data/in.csv\n", "", "sinks:\n  - {type: csv, path: /out/x.csv}\n"))

	if p.Source.Path != "/data/in.csv" {
		t.Errorf("Source.Path = %q", p.Source.Path)
	}
	if p.Sinks[0].Path != "/out/x.csv" {
		t.Errorf("Sinks[0].Path = %q", p.Sinks[0].Path)
	}
}

func TestParseDefaults(t *testing.T) {
	p := mustParse(t, pipelineYAML("", "", "sinks:\n  - {type: parquet, path: a.parquet}\n  - {type: csv, path: b.csv}\n  - {type: jsonl, path: c.jsonl}\n"))

	checks := []struct {
		name      string
		got, want any
	}{
		{"source.format", p.Source.Format, "csv"},
		{"source.preset", p.Source.Preset, "generic"},
		{"source.encoding", p.Source.Encoding, "utf-8"},
		{"source.on_error", p.Source.OnError, "fail"},
		{"source.delimiter", p.Source.Delimiter, ""},
		{"chunk.max_rows", p.Chunk.MaxRows, 100000},
		{"chunk.max_bytes", p.Chunk.MaxBytes, "100MB"},
		{"enrich.endpoint", p.Enrich.Endpoint, "people"},
		{"enrich.base_url", p.Enrich.BaseURL, "https://api.sixtyfour.ai"},
		{"enrich.api_key_env", p.Enrich.APIKeyEnv, "SIXTYFOUR_API_KEY"},
		{"enrich.tier", p.Enrich.Tier, "low"},
		{"enrich.concurrency", p.Enrich.Concurrency, 4},
		{"enrich.rate_limit_per_minute", p.Enrich.RateLimit, 10},
		{"state_dir", p.StateDir, "/work/pipe/.crmsync"},
		{"sinks[0].compression", p.Sinks[0].Compression, "snappy"},
		{"sinks[0].row_group_rows", p.Sinks[0].RowGroupRows, 122880},
		{"sinks[0].overwrite", p.Sinks[0].Overwrite, "fill_empty"},
		{"sinks[0].columns.keep", p.Sinks[0].Columns.Keep, "all"},
		{"sinks[0].delimiter", p.Sinks[0].Delimiter, ""},
		{"sinks[1].delimiter", p.Sinks[1].Delimiter, ","},
		{"sinks[1].compression", p.Sinks[1].Compression, ""},
		{"sinks[1].formula_guard", *p.Sinks[1].FormulaGuard, true},
		{"sinks[2].formula_guard set", p.Sinks[2].FormulaGuard != nil, false},
		{"MaxBytes", p.MaxBytes(), int64(100_000_000)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	initial, maxWait, timeout := p.PollDurations()
	if initial != 5*time.Second || maxWait != time.Minute || timeout != 24*time.Hour {
		t.Errorf("PollDurations = %v, %v, %v; want 5s, 1m, 24h", initial, maxWait, timeout)
	}
}

func TestParseFormatFromExtension(t *testing.T) {
	cases := []struct {
		source, want string
	}{
		{"path: in.csv", "csv"},
		{"path: IN.CSV.GZ", "csv"},
		{"path: in.tsv", "csv"},
		{"path: in.json", "json"},
		{"path: in.json.gz", "json"},
		{"path: in.jsonl", "jsonl"},
		{"path: in.ndjson", "jsonl"},
		{"{path: in.zip, member: Lead.csv}", "csv"},
		{"{path: in.zip, member: leads.ndjson.gz}", "jsonl"},
		{"{path: in.txt, format: ndjson}", "jsonl"},
		{"{path: in.csv, format: json}", "json"},
	}
	for _, c := range cases {
		src := "source:\n  " + c.source + "\n"
		if strings.HasPrefix(c.source, "{") {
			src = "source: " + c.source + "\n"
		}
		p := mustParse(t, pipelineYAML(src, "", ""))
		if p.Source.Format != c.want {
			t.Errorf("source %s: Format = %q, want %q", c.source, p.Source.Format, c.want)
		}
	}
}

func TestParseFormatNotInferable(t *testing.T) {
	wantError(t, pipelineYAML("source:\n  path: in.zip\n", "", ""), "source.path", "source.member", "source.format")
	wantError(t, pipelineYAML("source:\n  path: in.txt\n", "", ""), "source.path", "in.txt", "set source.format")
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pipeline.yaml")
	text := pipelineYAML("source:\n  path: ${INPUT_FILE}\n", "", "")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("INPUT_FILE", "data/leads.csv")

	p, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.Path != path || p.Dir != dir {
		t.Errorf("Path, Dir = %q, %q; want %q, %q", p.Path, p.Dir, path, dir)
	}
	if want := filepath.Join(dir, "data/leads.csv"); p.Source.Path != want {
		t.Errorf("Source.Path = %q, want %q", p.Source.Path, want)
	}
	if want := filepath.Join(dir, ".crmsync"); p.StateDir != want {
		t.Errorf("StateDir = %q, want %q", p.StateDir, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap os.ErrNotExist", err)
	}
	var list ConfigErrors
	if errors.As(err, &list) {
		t.Errorf("a missing file is reported as a configuration error: %v", err)
	}
}

func TestLoadReportsFileNameAsGiven(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	text := strings.Replace(pipelineYAML("", "", ""), "name: test", "name: bad name", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	if !strings.HasPrefix(err.Error(), path+":1:7: name: invalid name") {
		t.Errorf("first line = %q, want it to start with %q", strings.Split(err.Error(), "\n")[0], path+":1:7: name: invalid name")
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	data := `name: "bad name"
source:
  path: in.csv
  on_eror: reject
chunk:
  max_rows: 0
enrich:
  struct:
    title: Job title
  tier: hgih
sinks:
  - type: parquet
    path: out.parquet
    compresion: zstd
`
	list := parseErrors(t, data, noEnv)
	want := []string{
		"pipeline.yaml:1:7: name: invalid name",
		"pipeline.yaml:4:3: source.on_eror: unknown key; did you mean on_error?",
		"pipeline.yaml:6:13: chunk.max_rows: 0 is out of range",
		"pipeline.yaml:10:9: enrich.tier: invalid value \"hgih\"",
		"pipeline.yaml:14:5: sinks[0].compresion: unknown key; did you mean compression?",
	}
	lines := strings.Split(list.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(want), list)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], w)
		}
	}
}

func TestConfigErrorsAs(t *testing.T) {
	_, err := Parse([]byte("name: x\n"), "p.yaml", noEnv)
	var one *ConfigError
	if !errors.As(err, &one) {
		t.Fatalf("errors.As(*ConfigError) failed for %v", err)
	}
	var list *ConfigErrors
	if !errors.As(err, &list) {
		t.Fatalf("errors.As(*ConfigErrors) failed for %v", err)
	}
	if len(*list) < 2 {
		t.Errorf("got %d problems, want source.path, enrich.struct and sinks missing", len(*list))
	}
}

func TestParseMissingRequiredKeys(t *testing.T) {
	data := "name: x\nsource: {}\nenrich: {}\nsinks: []\n"
	wantError(t, data, "source.path", "missing")
	wantError(t, data, "enrich.struct", "missing")
	wantError(t, data, "sinks", "missing")
	e := wantError(t, "source: {path: in.csv}\nenrich: {struct: {a: b}}\nsinks: [{type: csv, path: o.csv}]\n", "name", "missing")
	if e.Line != 1 || e.Column != 1 {
		t.Errorf("missing name reported at %d:%d, want the document start 1:1", e.Line, e.Column)
	}
}
