package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/testutil"
	"github.com/crmsync/crmsync/pipelines/runner"
)

// pipelineCase is one pipeline run on a case file, with a CSV sink.
type pipelineCase struct {
	name   string
	file   string // case file, or a path when absolute
	source string // extra YAML lines under source:, each indented by 2 spaces
	input  string // column sent as enrich.inputs.full_name
	code   int
	// rowsRead and rejected are the summary counts; byKind the rejects by
	// kind. Checked only for runs that read the whole source.
	rowsRead int64
	rejected int64
	byKind   map[string]int
	errText  string // text the summary error must contain
	// values maps an output column to its values in the CSV sink, in row
	// order, with "" for null. nil means the run writes no output.
	values map[string][]string
	// raw lists byte strings the CSV output must contain.
	raw []string
}

var pipelineCases = []pipelineCase{
	{name: "01 BOM and quoted header", file: "01-bom-quoted-header.csv", input: "First Name", rowsRead: 2,
		values: map[string][]string{"Email": {"ada@example.com", "bob@example.org"}, "First Name": {"Ada", "Bob"}, "Last Name": {"Example", "Example"}}},
	{name: "03 UTF-16LE tab", file: "03-utf16le-tab.csv", input: "First Name", rowsRead: 2,
		values: map[string][]string{"Record ID": {"101", "102"}, "First Name": {"Zoë", "Bob"}, "City": {"München", "Köln"}}},
	{name: "04 Windows-1252 read as UTF-8", file: "04-windows-1252.csv", input: "First Name", code: runner.ExitRuntime,
		errText: `04-windows-1252.csv:2: column 2 "First Name": invalid UTF-8 byte 0xEB`},
	{name: "04 Windows-1252 declared", file: "04-windows-1252.csv", source: "  encoding: windows-1252\n", input: "First Name", rowsRead: 2,
		values: map[string][]string{"First Name": {"Zoë", "Jürgen"}, "Title": {"Head of “Growth”", "Geschäftsführer"}}},
	{name: "05 multi-line notes", file: "05-multiline-notes.csv", source: "  preset: salesforce\n", input: "Name", rowsRead: 2,
		values: map[string][]string{"Id": {"0015g00000XyZaBAAV", "0015g00000XyZaCAAV"}, "Description": {"Line one\nLine two, with comma\nLine three", "Single line"}},
		raw:    []string{`"Line one` + "\n" + `Line two, with comma` + "\n" + `Line three"`}},
	{name: "06 inner quote fails", file: "06-unescaped-inner-quote.csv", input: "Name", code: runner.ExitRuntime,
		errText: `06-unescaped-inner-quote.csv:2: column 2 "Product": unescaped quote in quoted field`},
	{name: "06 inner quote rejected", file: "06-unescaped-inner-quote.csv", source: "  on_error: reject\n", input: "Name", code: runner.ExitPartial,
		rowsRead: 2, rejected: 1, byKind: map[string]int{"quote": 1},
		values: map[string][]string{"Name": {"Bob Example"}, "Product": {"Cable"}, "Notes": {"ok"}}},
	{name: "08 ragged rows fail", file: "08-ragged-rows.csv", input: "First Name", code: runner.ExitRuntime,
		errText: "08-ragged-rows.csv:3: record has 3 fields, header has 4"},
	{name: "08 ragged rows rejected", file: "08-ragged-rows.csv", source: "  on_error: reject\n", input: "First Name", code: runner.ExitPartial,
		rowsRead: 3, rejected: 2, byKind: map[string]int{"field_count": 2},
		values: map[string][]string{"Email": {"ada@example.com"}, "Phone": {"+1 555 0100"}}},
	{name: "08 ragged rows over the limit", file: "08-ragged-rows.csv", source: "  on_error: reject\n  max_rejected: 1\n", input: "First Name", code: runner.ExitRuntime,
		errText: "rejected 2 rows, more than source.max_rejected 1"},
	{name: "09 duplicate headers", file: "09-duplicate-headers.csv", input: "Email", code: runner.ExitRuntime,
		errText: `09-duplicate-headers.csv:1: duplicate column "Name" at columns 2 and 4`},
	{name: "11 semicolon detected", file: "11-semicolon-decimal-comma.csv", input: "Account Name", rowsRead: 2,
		values: map[string][]string{"Account Name": {"Example GmbH", "Beispiel AG"}, "Annual Revenue": {"1.234.567,89", "98.000,00"}, "Employees": {"120", "15"}, "City": {"München", "Köln"}}},
	{name: "14 long line", file: "14-long-line.jsonl", input: "email", rowsRead: 3,
		values: map[string][]string{"id": {"101", "102", "103"}}},
	{name: "14 long line over max_record_size", file: "14-long-line.jsonl", source: "  max_record_size: 64KiB\n", input: "email", code: runner.ExitRuntime,
		errText: "14-long-line.jsonl:2: line of 70049 bytes is larger than the maximum record size of 65536 bytes"},
	{name: "16 truncated last line", file: "16-truncated-last-line.jsonl", input: "email", code: runner.ExitRuntime,
		errText: "16-truncated-last-line.jsonl:3: unexpected end of JSON input (file looks truncated)"},
	{name: "16 truncated last line rejected", file: "16-truncated-last-line.jsonl", source: "  on_error: reject\n", input: "email", code: runner.ExitRuntime,
		errText: "16-truncated-last-line.jsonl:3: unexpected end of JSON input (file looks truncated)"},
	{name: "17 large integer ids", file: "17-large-int-ids.jsonl", input: "email", rowsRead: 2,
		values: map[string][]string{"id": {"9007199254740993", "42"}, "owner_id": {"1234567890123456789", "7"}}},
	{name: "19 leading zeros", file: "19-leading-zeros.csv", input: "Email", rowsRead: 2,
		values: map[string][]string{"Zip": {"02134", "01569"}, "Phone": {"0044 20 7946 0000", "07700900123"}, "Account Number": {"000123", "004560"}}},
	{name: "20 late type conflict stays text", file: "20-late-type-conflict.csv", input: "Email", rowsRead: 4,
		values: map[string][]string{"Employees": {"10", "20", "30", "50-100"}, "Annual Revenue": {"1000", "2000", "3000", "unknown"}}},
	{name: "20 declared type fails", file: "20-late-type-conflict.csv", source: "  types: {Employees: int}\n", input: "Email", code: runner.ExitRuntime,
		errText: `20-late-type-conflict.csv:5: column 2 "Employees": "50-100" is not an integer`},
	{name: "20 declared type rejected", file: "20-late-type-conflict.csv", source: "  types: {Employees: int}\n  on_error: reject\n", input: "Email", code: runner.ExitPartial,
		rowsRead: 4, rejected: 1, byKind: map[string]int{"type": 1},
		values: map[string][]string{"Email": {"a1@example.com", "a2@example.com", "a3@example.com"}, "Employees": {"10", "20", "30"}}},
	{name: "22 nested arrays indexed", file: "22-nested-arrays-flatten.jsonl", input: "name", rowsRead: 2,
		values: map[string][]string{"email.1.value": {"", "bob.home@example.net"}, "email.1.primary": {"", "false"}, "email.1.label": {"", "home"}}},
	{name: "22 nested arrays as JSON", file: "22-nested-arrays-flatten.jsonl", source: "  flatten_arrays: json\n", input: "name", rowsRead: 2,
		values: map[string][]string{"email": {
			`[{"value":"ada@example.com","primary":true,"label":"work"}]`,
			`[{"value":"bob@example.org","primary":true,"label":"work"},{"value":"bob.home@example.net","primary":false,"label":"home"}]`,
		}}},
	{name: "23 HubSpot page", file: "23-hubspot-api-page.json", source: "  preset: hubspot\n", input: "firstname", rowsRead: 2,
		values: map[string][]string{
			"id": {"101", "102"}, "email": {"ada@example.com", "bob@example.org"}, "company": {"", "Example Corp"},
			"createdate": {"2024-01-10T08:30:15.234Z", "2024-01-11T09:00:00.000Z"}, "archived": {"false", "false"},
		}},
	{name: "24 sparse optional columns", file: "24-sparse-optional-columns.csv", input: "Email", rowsRead: 2,
		values: map[string][]string{"Record ID": {"101", "102"}, "Mobile Phone": {"", ""}, "Fax": {"", "+1 555 0199"}, "Lifecycle Stage": {"lead", ""}}},
	{name: "26 empty versus null", file: "26-empty-vs-null-reimport.csv", source: "  preset: salesforce\n", input: "Title", rowsRead: 1,
		values: map[string][]string{"Id": {"0035g00000AbCdEAAV"}, "Phone": {""}, "Fax": {""}, "Description": {"NULL"}}},
	{name: "30 Dynamics round trip", file: "30-dynamics-roundtrip.csv", source: "  preset: dynamics\n", input: "Full Name", rowsRead: 2,
		values: map[string][]string{"(Do Not Modify) Modified On": {"2024-01-10T08:30:15", "2024-01-11T09:00:00"}},
		raw: []string{
			"(Do Not Modify) Contact,(Do Not Modify) Row Checksum,(Do Not Modify) Modified On,",
			"5e3b1c2a-0000-4000-8000-000000000001,AbCdEfGh1234+/xyZ==,2024-01-10T08:30:15,",
			"5e3b1c2a-0000-4000-8000-000000000002,QrStUvWx5678+/abC==,2024-01-11T09:00:00,",
		}},
}

// writePipeline writes a pipeline that reads source with the extra source
// keys, enriches it on the emulator with one input, and writes out.csv into
// outDir. It returns the YAML path.
func writePipeline(t *testing.T, source, sourceKeys, input, outDir string) string {
	t.Helper()
	yaml := fmt.Sprintf(`name: read-case
source:
  path: %q
%senrich:
  endpoint: people
  inputs:
    full_name: %q
  struct:
    job_title: Current job title
  poll: {initial: 100ms, max: 500ms}
sinks:
  - type: csv
    path: %q
`, source, sourceKeys, input, filepath.Join(outDir, "out.csv"))
	path := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runPipelineCase runs the pipeline and returns its summary.
func runPipelineCase(t *testing.T, yaml string) (int, runner.Summary) {
	t.Helper()
	summaryPath := filepath.Join(t.TempDir(), "summary.json")
	code := execute([]string{"run", yaml, "--emulator", "--no-progress", "--state-dir", t.TempDir(), "--summary", summaryPath})
	var sum runner.Summary
	data, err := os.ReadFile(summaryPath)
	if err != nil {
		t.Fatalf("summary: %v", err)
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatalf("summary: %v", err)
	}
	return code, sum
}

// readOutputCSV returns the raw bytes and the column values of a CSV output.
func readOutputCSV(t *testing.T, path string) (string, map[string][]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("CSV output: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatalf("CSV output %s: %v", path, err)
	}
	if len(rows) == 0 {
		t.Fatalf("CSV output %s has no header", path)
	}
	columns := map[string][]string{}
	for _, row := range rows[1:] {
		for i, name := range rows[0] {
			columns[name] = append(columns[name], row[i])
		}
	}
	return string(data), columns
}

func TestPipelineCases(t *testing.T) {
	cases := filepath.Join(testutil.SharedDir(t), "cases")
	for _, tc := range pipelineCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each run waits on its own emulator's job latency
			out := t.TempDir()
			yaml := writePipeline(t, filepath.Join(cases, tc.file), tc.source, tc.input, out)
			code, sum := runPipelineCase(t, yaml)
			checkPipelineCase(t, tc, code, sum, filepath.Join(out, "out.csv"))
		})
	}
}

func checkPipelineCase(t *testing.T, tc pipelineCase, code int, sum runner.Summary, output string) {
	t.Helper()
	if code != tc.code {
		t.Errorf("exit code = %d, want %d (summary error: %s)", code, tc.code, sum.Error)
	}
	if sum.ExitCode != tc.code {
		t.Errorf("summary exit_code = %d, want %d", sum.ExitCode, tc.code)
	}
	if tc.errText != "" && !strings.Contains(sum.Error, tc.errText) {
		t.Errorf("summary error = %q, want it to contain %q", sum.Error, tc.errText)
	}

	if tc.values == nil {
		if sum.Status != runner.StatusFailed {
			t.Errorf("status = %q, want failed", sum.Status)
		}
		if _, err := os.Stat(output); err == nil {
			t.Errorf("the failed run wrote %s", output)
		}
		return
	}

	wantStatus := "succeeded"
	if tc.rejected > 0 {
		wantStatus = "partial"
	}
	if sum.Status != wantStatus {
		t.Errorf("status = %q, want %q (error: %s)", sum.Status, wantStatus, sum.Error)
	}
	if sum.RowsRead != tc.rowsRead {
		t.Errorf("rows_read = %d, want %d", sum.RowsRead, tc.rowsRead)
	}
	if sum.RowsRejected != tc.rejected {
		t.Errorf("rows_rejected = %d, want %d", sum.RowsRejected, tc.rejected)
	}
	for kind, n := range tc.byKind {
		if sum.Rejects.ByKind[kind] != n {
			t.Errorf("rejects.by_kind = %v, want %s: %d", sum.Rejects.ByKind, kind, n)
		}
	}
	if tc.rejected > 0 && sum.Rejects.Path == nil {
		t.Error("rejects.path is null, want the reject file beside the outputs")
	}

	raw, columns := readOutputCSV(t, output)
	for name, want := range tc.values {
		got, ok := columns[name]
		if !ok {
			t.Errorf("CSV output has no column %q", name)
			continue
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("column %q = %q, want %q", name, got, want)
		}
	}
	for _, text := range tc.raw {
		if !strings.Contains(raw, text) {
			t.Errorf("CSV output does not contain %q:\n%s", text, raw)
		}
	}
}

// TestPipelineArchives reads a case file from a .gz file and from a .zip
// archive that holds other files too, chosen with source.member.
func TestPipelineArchives(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testutil.SharedDir(t), "cases", "19-leading-zeros.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gzPath := filepath.Join(dir, "leads.csv.gz")
	writeGzip(t, gzPath, data)
	zipPath := filepath.Join(dir, "WE_00D000000000001_1.zip")
	writeZip(t, zipPath, map[string][]byte{
		"Account.csv": []byte("Id,Name\n001,Other\n"),
		"Lead.csv":    data,
	})

	want := pipelineCase{
		input: "Email", rowsRead: 2,
		values: map[string][]string{"Zip": {"02134", "01569"}, "Account Number": {"000123", "004560"}},
	}
	tests := []struct {
		name, path, keys string
	}{
		{"gzip", gzPath, ""},
		{"zip member", zipPath, "  member: Lead.csv\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			code, sum := runPipelineCase(t, writePipeline(t, tt.path, tt.keys, want.input, out))
			checkPipelineCase(t, want, code, sum, filepath.Join(out, "out.csv"))
		})
	}

	t.Run("zip without member", func(t *testing.T) {
		code, sum := runPipelineCase(t, writePipeline(t, zipPath, "  format: csv\n", "Email", t.TempDir()))
		if code != runner.ExitRuntime {
			t.Errorf("exit code = %d, want %d", code, runner.ExitRuntime)
		}
		if !strings.Contains(sum.Error, "set source.member to one of: Account.csv, Lead.csv") {
			t.Errorf("summary error = %q, want it to list the members", sum.Error)
		}
	})

	t.Run("zip member not found", func(t *testing.T) {
		code, sum := runPipelineCase(t, writePipeline(t, zipPath, "  member: Contact.csv\n", "Email", t.TempDir()))
		if code != runner.ExitRuntime {
			t.Errorf("exit code = %d, want %d", code, runner.ExitRuntime)
		}
		if !strings.Contains(sum.Error, `member "Contact.csv" not found`) {
			t.Errorf("summary error = %q, want the missing member named", sum.Error)
		}
	})
}

func writeGzip(t *testing.T, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
