package runner_test

import (
	"bytes"
	encodingcsv "encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/enrich/emulator"
)

// sharedCase returns the bytes of a case file in the shared reference
// folder beside the repository, or skips the test when it is absent.
func sharedCase(t *testing.T, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test folder, so the shared cases cannot be located")
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "cases", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared case %s is absent: %v", path, err)
	}
	return data
}

const salesforceCasePipeline = `name: sinks-salesforce
source:
  path: contacts.csv
  preset: salesforce
  key: Id
enrich:
  endpoint: people
  inputs:
    contact_title: Title
  struct:
    title: Current job title
    phone: Direct phone number
    fax: Fax number
    description: One-line description of the contact
  poll: {initial: 50ms, max: 200ms}
sinks:
  - type: csv
    path: out/salesforce-update.csv
    crm: salesforce
    only_changed: true
    clear: [title]
    columns:
      rename: {title: Title, phone: Phone, fax: Fax, description: Description}
`

// TestSinksSalesforceEmptyVersusNull runs the empty-versus-null export
// through a pipeline with a Salesforce update file. Title and Description
// (the text NULL) have values in the CRM, so their cells stay empty, which
// Salesforce reads as unchanged. Phone and Fax (written as "") are empty,
// so the enriched values fill them.
func TestSinksSalesforceEmptyVersusNull(t *testing.T) {
	dir := t.TempDir()
	writeSinkFile(t, dir, "contacts.csv", sharedCase(t, "26-empty-vs-null-reimport.csv"))
	url := startSinkEmulator(t, emulator.Options{Seed: 2})
	sum := runSinkPipeline(t, dir, salesforceCasePipeline, url, nil)
	if sum.RowsRead != 1 || sum.RowsEnriched != 1 {
		t.Fatalf("rows read %d, enriched %d; want 1 and 1", sum.RowsRead, sum.RowsEnriched)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out", "salesforce-update.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "Id,Title,Phone,Fax,Description" {
		t.Fatalf("update file\n%s\nwant the header Id,Title,Phone,Fax,Description and one row", data)
	}
	want := regexp.MustCompile(`^0035g00000AbCdEAAV,,\+1 202-555-01[0-9]{2},Synthetic fax [0-9a-f]{4},$`)
	if !want.MatchString(lines[1]) {
		t.Errorf("row %q, want Id, Title unchanged (empty), Phone and Fax filled, Description unchanged (empty)", lines[1])
	}
}

// TestSinksSalesforcePassThroughChangesNothing checks that a row the API
// passed through is left out of an only_changed update file and never
// cleared, although clear names its field.
func TestSinksSalesforcePassThroughChangesNothing(t *testing.T) {
	dir := t.TempDir()
	writeSinkFile(t, dir, "contacts.csv", sharedCase(t, "26-empty-vs-null-reimport.csv"))
	url := startSinkEmulator(t, emulator.Options{Seed: 2, PassthroughRate: 1})
	sum := runSinkPipeline(t, dir, salesforceCasePipeline, url, nil)
	if sum.RowsNotEnriched != 1 {
		t.Fatalf("rows_not_enriched = %d, want 1", sum.RowsNotEnriched)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out", "salesforce-update.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "Id,Title,Phone,Fax,Description\n"; got != want {
		t.Errorf("update file %q, want only the header %q", got, want)
	}
	if len(sum.Outputs) != 1 || sum.Outputs[0].Rows != 0 {
		t.Errorf("outputs %+v, want one with 0 rows", sum.Outputs)
	}
}

const dynamicsCasePipeline = `name: sinks-dynamics
source:
  path: contacts.csv
  preset: dynamics
enrich:
  endpoint: people
  inputs:
    full_name: Full Name
    email_address: Email
  struct:
    company: Employer of the person
    email: Work email address
  poll: {initial: 50ms, max: 200ms}
sinks:
  - type: csv
    path: out/dynamics-reimport.csv
    crm: dynamics
    columns:
      rename: {company: Company Name, email: Email}
`

// TestSinksDynamicsRoundTrip runs the Dynamics 365 export through a
// pipeline and checks the re-import file. The three "(Do Not Modify)"
// columns come first, byte for byte as exported. The row whose data columns
// all have values is unchanged, and in row 2 only the empty Company Name is
// filled.
func TestSinksDynamicsRoundTrip(t *testing.T) {
	input := sharedCase(t, "30-dynamics-roundtrip.csv")
	dir := t.TempDir()
	writeSinkFile(t, dir, "contacts.csv", input)
	url := startSinkEmulator(t, emulator.Options{Seed: 4})
	sum := runSinkPipeline(t, dir, dynamicsCasePipeline, url, nil)
	if sum.RowsRead != 2 || sum.RowsEnriched != 2 {
		t.Fatalf("rows read %d, enriched %d; want 2 and 2", sum.RowsRead, sum.RowsEnriched)
	}
	out, err := os.ReadFile(filepath.Join(dir, "out", "dynamics-reimport.csv"))
	if err != nil {
		t.Fatal(err)
	}

	inLines := strings.Split(strings.TrimSuffix(string(input), "\n"), "\n")
	outLines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(outLines) != len(inLines) {
		t.Fatalf("re-import file has %d lines, the export %d:\n%s", len(outLines), len(inLines), out)
	}
	for i := range 2 {
		if outLines[i] != inLines[i] {
			t.Errorf("line %d = %q, want it unchanged: %q", i+1, outLines[i], inLines[i])
		}
	}
	hidden := strings.Join(strings.Split(inLines[2], ",")[:3], ",") + ","
	if !strings.HasPrefix(outLines[2], hidden) {
		t.Errorf("line 3 = %q, want it to start with the exported hidden values %q", outLines[2], hidden)
	}

	records, err := encodingcsv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	inRecords, err := encodingcsv.NewReader(bytes.NewReader(input)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for c := range inRecords[2] {
		if c == 5 {
			continue
		}
		if records[2][c] != inRecords[2][c] {
			t.Errorf("row 2 column %q = %q, want %q unchanged", inRecords[0][c], records[2][c], inRecords[2][c])
		}
	}
	if records[2][5] == "" {
		t.Errorf("row 2 Company Name is empty; want the enriched company")
	}
}
