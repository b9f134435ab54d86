package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/internal/testutil"
	"github.com/crmsync/crmsync/pipelines/runner"
)

// captureOutput runs execute with args and returns its exit code and what
// it wrote to stdout and stderr. It swaps the process's os.Stdout and
// os.Stderr, so callers must not run in parallel with other tests.
func captureOutput(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	outRead, outWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errRead, errWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// Drain both pipes while execute runs, because a record larger than the
	// pipe buffer would otherwise block the write.
	outText := make(chan string)
	errText := make(chan string)
	go func() { data, _ := io.ReadAll(outRead); outText <- string(data) }()
	go func() { data, _ := io.ReadAll(errRead); errText <- string(data) }()

	savedOut, savedErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outWrite, errWrite
	code = execute(args)
	os.Stdout, os.Stderr = savedOut, savedErr

	outWrite.Close()
	errWrite.Close()
	stdout, stderr = <-outText, <-errText
	outRead.Close()
	errRead.Close()
	return code, stdout, stderr
}

// jsonLines splits read's output into lines, without the final newline.
func jsonLines(stdout string) []string {
	if stdout == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
}

// rejectKinds returns the kind of each line of a reject file.
func rejectKinds(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reject file: %v", err)
	}
	defer f.Close()
	var kinds []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Kind string `json:"kind"`
			Raw  string `json:"raw"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("reject line %q: %v", sc.Text(), err)
		}
		kinds = append(kinds, line.Kind)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return kinds
}

// readCase is one run of crmsync read on a case file.
type readCase struct {
	name   string
	file   string
	flags  []string
	code   int
	stdout []string // exact JSON lines; nil means no record at all
	stderr string   // text the error message must contain; "" means no error
	// rejects lists the kind of each line expected in the reject file, when
	// the case runs with --on-error reject.
	rejects []string
	// check, when set, replaces the comparison of stdout.
	check func(t *testing.T, lines []string)
}

var hubspotCaseRecords = []string{
	`{"id":"101","email":"ada@example.com","firstname":"Ada","lastname":"Example","company":null,"createdate":"2024-01-10T08:30:15.234Z","lastmodifieddate":"2024-01-15T14:22:10.456Z","hs_object_id":"101","createdAt":"2024-01-10T08:30:15.234Z","updatedAt":"2024-01-15T14:22:10.456Z","archived":"false"}`,
	`{"id":"102","email":"bob@example.org","firstname":"Bob","lastname":"Example","company":"Example Corp","createdate":"2024-01-11T09:00:00.000Z","lastmodifieddate":"2024-01-16T10:00:00.000Z","hs_object_id":"102","createdAt":"2024-01-11T09:00:00.000Z","updatedAt":"2024-01-16T10:00:00.000Z","archived":"false"}`,
}

var dynamicsCaseRecords = []string{
	`{"(Do Not Modify) Contact":"5e3b1c2a-0000-4000-8000-000000000001","(Do Not Modify) Row Checksum":"AbCdEfGh1234+/xyZ==","(Do Not Modify) Modified On":"2024-01-10T08:30:15","Full Name":"Ada Example","Email":"ada@example.com","Company Name":"Example Corp"}`,
	`{"(Do Not Modify) Contact":"5e3b1c2a-0000-4000-8000-000000000002","(Do Not Modify) Row Checksum":"QrStUvWx5678+/abC==","(Do Not Modify) Modified On":"2024-01-11T09:00:00","Full Name":"Bob Example","Email":"bob@example.org","Company Name":null}`,
}

var readCases = []readCase{
	{name: "01 BOM and quoted header", file: "01-bom-quoted-header.csv", stdout: []string{
		`{"Email":"ada@example.com","First Name":"Ada","Last Name":"Example"}`,
		`{"Email":"bob@example.org","First Name":"Bob","Last Name":"Example"}`,
	}},
	{name: "03 UTF-16LE tab", file: "03-utf16le-tab.csv", stdout: []string{
		`{"Record ID":"101","First Name":"Zoë","Last Name":"Example","Email":"zoe@example.com","City":"München"}`,
		`{"Record ID":"102","First Name":"Bob","Last Name":"Example","Email":"bob@example.org","City":"Köln"}`,
	}},
	{name: "04 Windows-1252 read as UTF-8", file: "04-windows-1252.csv", code: runner.ExitRuntime,
		stderr: `04-windows-1252.csv:2: column 2 "First Name": invalid UTF-8 byte 0xEB`},
	{name: "04 Windows-1252 declared", file: "04-windows-1252.csv", flags: []string{"--encoding", "windows-1252"}, stdout: []string{
		`{"Email":"zoe@example.com","First Name":"Zoë","Last Name":"Example","Title":"Head of “Growth”"}`,
		`{"Email":"jurgen@example.net","First Name":"Jürgen","Last Name":"Example","Title":"Geschäftsführer"}`,
	}},
	{name: "05 multi-line notes", file: "05-multiline-notes.csv", stdout: []string{
		`{"Id":"0015g00000XyZaBAAV","Name":"Example Corp","Description":"Line one\nLine two, with comma\nLine three"}`,
		`{"Id":"0015g00000XyZaCAAV","Name":"Example Org","Description":"Single line"}`,
	}},
	{name: "06 inner quote fails", file: "06-unescaped-inner-quote.csv", code: runner.ExitRuntime,
		stderr: `06-unescaped-inner-quote.csv:2: column 2 "Product": unescaped quote in quoted field`},
	{name: "06 inner quote rejected", file: "06-unescaped-inner-quote.csv", flags: []string{"--on-error", "reject"}, code: runner.ExitPartial,
		stdout:  []string{`{"Name":"Bob Example","Product":"Cable","Notes":"ok"}`},
		stderr:  "1 record rejected",
		rejects: []string{"quote"}},
	{name: "08 ragged rows fail", file: "08-ragged-rows.csv", code: runner.ExitRuntime,
		stdout: []string{`{"Email":"ada@example.com","First Name":"Ada","Last Name":"Example","Phone":"+1 555 0100"}`},
		stderr: "08-ragged-rows.csv:3: record has 3 fields, header has 4"},
	{name: "08 ragged rows rejected", file: "08-ragged-rows.csv", flags: []string{"--on-error", "reject"}, code: runner.ExitPartial,
		stdout:  []string{`{"Email":"ada@example.com","First Name":"Ada","Last Name":"Example","Phone":"+1 555 0100"}`},
		stderr:  "2 records rejected",
		rejects: []string{"field_count", "field_count"}},
	{name: "09 duplicate headers", file: "09-duplicate-headers.csv", code: runner.ExitRuntime,
		stderr: `09-duplicate-headers.csv:1: duplicate column "Name" at columns 2 and 4`},
	{name: "09 duplicate headers rejected", file: "09-duplicate-headers.csv", flags: []string{"--on-error", "reject"}, code: runner.ExitRuntime,
		stderr: `09-duplicate-headers.csv:1: duplicate column "Name" at columns 2 and 4`},
	{name: "11 semicolon detected", file: "11-semicolon-decimal-comma.csv", stdout: []string{
		`{"Account Name":"Example GmbH","Annual Revenue":"1.234.567,89","Employees":"120","City":"München"}`,
		`{"Account Name":"Beispiel AG","Annual Revenue":"98.000,00","Employees":"15","City":"Köln"}`,
	}},
	{name: "11 semicolon declared", file: "11-semicolon-decimal-comma.csv", flags: []string{"--delimiter", ";"}, stdout: []string{
		`{"Account Name":"Example GmbH","Annual Revenue":"1.234.567,89","Employees":"120","City":"München"}`,
		`{"Account Name":"Beispiel AG","Annual Revenue":"98.000,00","Employees":"15","City":"Köln"}`,
	}},
	{name: "14 long line", file: "14-long-line.jsonl", check: func(t *testing.T, lines []string) {
		if len(lines) != 3 {
			t.Fatalf("got %d records, want 3", len(lines))
		}
		for i, id := range []string{"101", "102", "103"} {
			var rec map[string]*string
			if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
				t.Fatalf("record %d: %v", i+1, err)
			}
			if rec["id"] == nil || *rec["id"] != id {
				t.Errorf("record %d id = %v, want %s", i+1, rec["id"], id)
			}
			if i == 1 && (rec["notes"] == nil || len([]rune(*rec["notes"])) != 70000) {
				t.Errorf("notes of record 102 is not 70000 characters long")
			}
		}
	}},
	{name: "16 truncated last line", file: "16-truncated-last-line.jsonl", code: runner.ExitRuntime,
		stdout: []string{`{"id":"101","email":"ada@example.com"}`, `{"id":"102","email":"bob@example.org"}`},
		stderr: "16-truncated-last-line.jsonl:3: unexpected end of JSON input (file looks truncated)"},
	{name: "16 truncated last line rejected", file: "16-truncated-last-line.jsonl", flags: []string{"--on-error", "reject"}, code: runner.ExitRuntime,
		stdout: []string{`{"id":"101","email":"ada@example.com"}`, `{"id":"102","email":"bob@example.org"}`},
		stderr: "16-truncated-last-line.jsonl:3: unexpected end of JSON input (file looks truncated)"},
	{name: "17 large integer ids", file: "17-large-int-ids.jsonl", stdout: []string{
		`{"id":"9007199254740993","email":"ada@example.com","owner_id":"1234567890123456789"}`,
		`{"id":"42","email":"bob@example.org","owner_id":"7"}`,
	}},
	{name: "19 leading zeros", file: "19-leading-zeros.csv", stdout: []string{
		`{"Email":"ada@example.com","Zip":"02134","Phone":"0044 20 7946 0000","Account Number":"000123"}`,
		`{"Email":"bob@example.org","Zip":"01569","Phone":"07700900123","Account Number":"004560"}`,
	}},
	{name: "20 late type conflict stays text", file: "20-late-type-conflict.csv", stdout: []string{
		`{"Email":"a1@example.com","Employees":"10","Annual Revenue":"1000"}`,
		`{"Email":"a2@example.com","Employees":"20","Annual Revenue":"2000"}`,
		`{"Email":"a3@example.com","Employees":"30","Annual Revenue":"3000"}`,
		`{"Email":"a4@example.com","Employees":"50-100","Annual Revenue":"unknown"}`,
	}},
	{name: "22 nested arrays indexed", file: "22-nested-arrays-flatten.jsonl", stdout: []string{
		`{"id":"1","name":"Ada Example","email.0.value":"ada@example.com","email.0.primary":"true","email.0.label":"work"}`,
		`{"id":"2","name":"Bob Example","email.0.value":"bob@example.org","email.0.primary":"true","email.0.label":"work","email.1.value":"bob.home@example.net","email.1.primary":"false","email.1.label":"home"}`,
	}},
	{name: "22 nested arrays as JSON", file: "22-nested-arrays-flatten.jsonl", flags: []string{"--flatten-arrays", "json"}, stdout: []string{
		`{"id":"1","name":"Ada Example","email":"[{\"value\":\"ada@example.com\",\"primary\":true,\"label\":\"work\"}]"}`,
		`{"id":"2","name":"Bob Example","email":"[{\"value\":\"bob@example.org\",\"primary\":true,\"label\":\"work\"},{\"value\":\"bob.home@example.net\",\"primary\":false,\"label\":\"home\"}]"}`,
	}},
	{name: "23 HubSpot page with preset", file: "23-hubspot-api-page.json", flags: []string{"--preset", "hubspot"}, stdout: hubspotCaseRecords},
	{name: "23 HubSpot page with records path", file: "23-hubspot-api-page.json", flags: []string{"--records-path", "/results"}, check: func(t *testing.T, lines []string) {
		if len(lines) != 2 {
			t.Fatalf("got %d records, want 2", len(lines))
		}
		if !strings.HasPrefix(lines[0], `{"id":"101","properties.email":"ada@example.com",`) {
			t.Errorf("record 1 = %s, want id 101 and properties.email first", lines[0])
		}
		if !strings.Contains(lines[0], `"properties.company":null`) || !strings.Contains(lines[1], `"properties.company":"Example Corp"`) {
			t.Errorf("company = null then Example Corp expected:\n%s\n%s", lines[0], lines[1])
		}
		for _, line := range lines {
			if strings.Contains(line, "103") {
				t.Errorf("the paging cursor 103 appears in a record: %s", line)
			}
		}
	}},
	{name: "23 HubSpot page without records path", file: "23-hubspot-api-page.json", code: runner.ExitRuntime,
		stderr: "set source.records_path to one of: /results"},
	{name: "24 sparse optional columns", file: "24-sparse-optional-columns.csv", stdout: []string{
		`{"Record ID":"101","Email":"ada@example.com","Mobile Phone":null,"Fax":null,"Lifecycle Stage":"lead"}`,
		`{"Record ID":"102","Email":"bob@example.org","Mobile Phone":null,"Fax":"+1 555 0199","Lifecycle Stage":null}`,
	}},
	{name: "26 empty versus null", file: "26-empty-vs-null-reimport.csv", flags: []string{"--preset", "salesforce"}, stdout: []string{
		`{"Id":"0035g00000AbCdEAAV","Title":"VP Sales","Phone":null,"Fax":null,"Description":"NULL"}`,
	}},
	{name: "30 Dynamics round trip", file: "30-dynamics-roundtrip.csv", stdout: dynamicsCaseRecords},
	{name: "30 Dynamics round trip with preset", file: "30-dynamics-roundtrip.csv", flags: []string{"--preset", "dynamics"}, stdout: dynamicsCaseRecords},
}

func TestReadCases(t *testing.T) {
	cases := filepath.Join(testutil.SharedDir(t), "cases")
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"read", filepath.Join(cases, tc.file)}, tc.flags...)
			rejects := ""
			if tc.rejects != nil {
				rejects = filepath.Join(t.TempDir(), "rejects.jsonl")
				args = append(args, "--rejects", rejects)
			}

			code, stdout, stderr := captureOutput(t, args...)
			if code != tc.code {
				t.Errorf("exit code = %d, want %d (stderr: %s)", code, tc.code, stderr)
			}
			if tc.stderr == "" && stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
			if tc.stderr != "" && !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.stderr)
			}

			lines := jsonLines(stdout)
			if tc.check != nil {
				tc.check(t, lines)
			} else {
				if len(lines) != len(tc.stdout) {
					t.Fatalf("got %d records, want %d:\n%s", len(lines), len(tc.stdout), stdout)
				}
				for i := range lines {
					if lines[i] != tc.stdout[i] {
						t.Errorf("record %d:\n got %s\nwant %s", i+1, lines[i], tc.stdout[i])
					}
				}
			}

			if tc.rejects != nil {
				kinds := rejectKinds(t, rejects)
				if strings.Join(kinds, ",") != strings.Join(tc.rejects, ",") {
					t.Errorf("reject kinds = %q, want %q", kinds, tc.rejects)
				}
			}
		})
	}
}

// TestReadCasesCovered fails when a case file appears that readCases does
// not read, so that a new case cannot be skipped silently.
func TestReadCasesCovered(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "cases")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{"EXPECTED.md": true}
	for _, tc := range readCases {
		covered[tc.file] = true
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("case %s is not read by TestReadCases", e.Name())
		}
	}
}
