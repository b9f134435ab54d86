package sinks_test

import (
	"bytes"
	encodingcsv "encoding/csv"
	"flag"
	"github.com/crmsync/crmsync/internal/testutil"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/sinks"
	"github.com/crmsync/crmsync/sinks/csv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// writeCSV projects rows through a layout built from cfg and writes them
// with the CSV sink (comma, LF, no BOM, no formula guard). It returns the
// file's bytes.
func writeCSV(t *testing.T, cfg sinks.LayoutConfig, source []string, fields []sinks.StructField, rows []sinks.MergedRow) []byte {
	t.Helper()
	l, err := sinks.NewLayout(cfg, source, nil, fields)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "import.csv")
	sink, err := csv.Create(path, l.Columns(), csv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf []sinks.Value
	for _, row := range rows {
		out, write := l.Project(row, buf)
		buf = out
		if !write {
			continue
		}
		if err := sink.Write(out); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Commit(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./sinks -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func enrichedRow(status string, source []sinks.Value, enriched ...sinks.Value) sinks.MergedRow {
	return sinks.MergedRow{Source: source, Enriched: enriched, Meta: map[string]sinks.Value{"status": text(status)}}
}

var crmFields = []sinks.StructField{
	{Name: "title", Kind: sinks.String},
	{Name: "phone", Kind: sinks.String},
	{Name: "employees", Kind: sinks.Int},
}

func TestCRMGoldenSalesforce(t *testing.T) {
	source := []string{"FirstName", "Id", "Title", "Phone"}
	cfg := sinks.LayoutConfig{
		CRM:    "salesforce",
		Rename: map[string]string{"title": "Title", "phone": "Phone"},
		Clear:  []string{"Phone"},
	}
	rows := []sinks.MergedRow{
		// Title empty in Salesforce: filled. Phone gone: cleared with #N/A.
		enrichedRow("enriched", []sinks.Value{text("Ada"), text("0035g00000AbCdEAAV"), null, text("+1 555 0100")},
			text("VP Sales"), null, text("120")),
		// Title set in Salesforce: fill_empty leaves it; no phone on either side.
		enrichedRow("enriched", []sinks.Value{text("Bob"), text("0035g00000abcdeAAA"), text("CTO"), null},
			text("Chief Technology Officer"), null, null),
		// Failed row: nothing changes and nothing is cleared.
		enrichedRow("failed", []sinks.Value{text("Cy"), text("0035g00000XyZaBAAV"), null, text("+1 555 0101")},
			null, null, null),
		// Text with a comma, a quote and a line break is quoted.
		enrichedRow("enriched", []sinks.Value{text("Di"), text("0035g00000XyZaCAAV"), null, null},
			text("Head of \"Growth\", EMEA\nand APAC"), text("+44 20 7946 0000"), null),
	}
	compareGolden(t, "salesforce.csv", writeCSV(t, cfg, source, crmFields, rows))
}

func TestCRMGoldenSalesforceOverwrite(t *testing.T) {
	source := []string{"Id", "Title"}
	cfg := sinks.LayoutConfig{CRM: "salesforce", Rename: map[string]string{"title": "Title"}, Overwrite: sinks.Overwrite}
	rows := []sinks.MergedRow{
		enrichedRow("enriched", []sinks.Value{text("0035g00000AbCdEAAV"), text("CTO")}, text("Chief Technology Officer"), null, null),
		// Same value as Salesforce already has: the cell stays empty.
		enrichedRow("enriched", []sinks.Value{text("0035g00000abcdeAAA"), text("CTO")}, text("CTO"), null, null),
	}
	compareGolden(t, "salesforce-overwrite.csv", writeCSV(t, cfg, source, crmFields, rows))
}

func TestCRMGoldenHubSpot(t *testing.T) {
	source := []string{"email", "hs_object_id", "firstname", "jobtitle", "phone"}
	cfg := sinks.LayoutConfig{CRM: "hubspot", Rename: map[string]string{"title": "jobtitle", "phone": "phone"}}
	rows := []sinks.MergedRow{
		enrichedRow("enriched", []sinks.Value{text("ada@example.com"), text("101"), text("Ada"), null, null},
			text("VP Sales"), text("+1 555 0100"), null),
		enrichedRow("enriched", []sinks.Value{text("bob@example.org"), text("102"), text("Bob"), text("CTO"), null},
			text("Founder"), null, null),
	}
	compareGolden(t, "hubspot.csv", writeCSV(t, cfg, source, crmFields, rows))
}

func TestCRMGoldenZoho(t *testing.T) {
	source := []string{"Record Id", "Last Name", "Title", "Phone"}
	cfg := sinks.LayoutConfig{CRM: "zoho", Rename: map[string]string{"title": "Title", "phone": "Phone"}}
	rows := []sinks.MergedRow{
		enrichedRow("enriched", []sinks.Value{text("4876876000000624001"), text("Example"), null, text("+1 555 0100")},
			text("VP Sales"), text("+1 555 0199"), null),
	}
	compareGolden(t, "zoho.csv", writeCSV(t, cfg, source, crmFields, rows))
}

func TestCRMGoldenPipedrive(t *testing.T) {
	source := []string{"id", "name", "job_title"}
	cfg := sinks.LayoutConfig{CRM: "pipedrive", Rename: map[string]string{"title": "job_title"}, KeepList: []string{"name"}}
	rows := []sinks.MergedRow{
		enrichedRow("enriched", []sinks.Value{text("1"), text("Ada Example"), null}, text("VP Sales"), null, null),
		enrichedRow("not_enriched", []sinks.Value{text("2"), text("Bob Example"), null}, null, null, null),
	}
	compareGolden(t, "pipedrive.csv", writeCSV(t, cfg, source, crmFields, rows))
}

func TestCRMGoldenDynamics(t *testing.T) {
	// The hidden columns are not first in this source; the layout moves
	// them to the front in their original order.
	source := []string{"Full Name", "(Do Not Modify) Contact", "(Do Not Modify) Row Checksum", "Job Title", "(Do Not Modify) Modified On", "Business Phone"}
	cfg := sinks.LayoutConfig{
		CRM:    "dynamics",
		Rename: map[string]string{"title": "Job Title", "phone": "Business Phone"},
		Clear:  []string{"phone"},
	}
	rows := []sinks.MergedRow{
		enrichedRow("enriched", []sinks.Value{text("Ada Example"), text("5e3b1c2a-0000-4000-8000-000000000001"), text("AbCdEfGh1234+/xyZ=="), null, text("2024-01-10T08:30:15"), text("+1 555 0100")},
			text("VP Sales"), null, null),
		enrichedRow("enriched", []sinks.Value{text("Bob Example"), text("5e3b1c2a-0000-4000-8000-000000000002"), text("QrStUvWx5678+/abC=="), text("CTO"), text("2024-01-11T09:00:00"), null},
			text("Founder"), text("+1 555 0101"), null),
	}
	compareGolden(t, "dynamics.csv", writeCSV(t, cfg, source, crmFields, rows))
}

func TestCRMOnlyChanged(t *testing.T) {
	source := []string{"Id", "Title"}
	cfg := sinks.LayoutConfig{CRM: "salesforce", Rename: map[string]string{"title": "Title"}, OnlyChanged: true}
	rows := []sinks.MergedRow{
		enrichedRow("enriched", []sinks.Value{text("0035g00000AbCdEAAV"), null}, text("VP Sales"), null, null),
		enrichedRow("enriched", []sinks.Value{text("0035g00000abcdeAAA"), text("CTO")}, text("Founder"), null, null),
		enrichedRow("failed", []sinks.Value{text("0035g00000XyZaBAAV"), null}, null, null, null),
	}
	got := string(writeCSV(t, cfg, source, crmFields, rows))
	want := "Id,Title\n0035g00000AbCdEAAV,VP Sales\n"
	if got != want {
		t.Errorf("only_changed output\n%s, want\n%s", got, want)
	}
}

// sharedDir returns ../shared beside the repository, or skips the test.
func sharedDir(t *testing.T) string { return testutil.SharedDir(t) }

// readCase parses a CSV case file with encoding/csv and returns its header,
// its raw lines and its records as sink values, an empty cell being null as
// the CSV reader of crmsync reports it.
func readCase(t *testing.T, name string) (header []string, lines []string, rows [][]sinks.Value) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t), "cases", name))
	if err != nil {
		t.Fatal(err)
	}
	records, err := encodingcsv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	for _, rec := range records[1:] {
		row := make([]sinks.Value, len(rec))
		for i, cell := range rec {
			if cell == "" {
				row[i] = null
			} else {
				row[i] = text(cell)
			}
		}
		rows = append(rows, row)
	}
	return records[0], strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), rows
}

func TestDynamicsRoundTrip(t *testing.T) {
	header, inputLines, rows := readCase(t, "30-dynamics-roundtrip.csv")
	fields := []sinks.StructField{{Name: "company", Kind: sinks.String}, {Name: "email", Kind: sinks.String}}
	cfg := sinks.LayoutConfig{CRM: "dynamics", Rename: map[string]string{"company": "Company Name", "email": "Email"}}
	merged := []sinks.MergedRow{
		// Company Name is set in Dynamics: fill_empty keeps it.
		enrichedRow("enriched", rows[0], text("Example Corporation"), text("ada@example.net")),
		// Company Name is empty in Dynamics: the enriched value fills it.
		enrichedRow("enriched", rows[1], text("Example Org"), text("bob@example.net")),
	}
	out := writeCSV(t, cfg, header, fields, merged)

	outLines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(outLines) != len(inputLines) {
		t.Fatalf("output has %d lines, input %d", len(outLines), len(inputLines))
	}
	if outLines[0] != inputLines[0] {
		t.Errorf("header line changed:\n got %q\nwant %q", outLines[0], inputLines[0])
	}
	if outLines[1] != inputLines[1] {
		t.Errorf("unchanged row 1 differs:\n got %q\nwant %q", outLines[1], inputLines[1])
	}

	records, err := encodingcsv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	inputRecords, _ := encodingcsv.NewReader(strings.NewReader(strings.Join(inputLines, "\n") + "\n")).ReadAll()
	for r := range records {
		if !reflect.DeepEqual(records[r][:3], inputRecords[r][:3]) {
			t.Errorf("record %d: hidden columns %q, want %q", r, records[r][:3], inputRecords[r][:3])
		}
		if !strings.HasPrefix(outLines[r], strings.Join(inputRecords[r][:3], ",")+",") {
			t.Errorf("line %d does not start with the exported hidden values byte for byte: %q", r+1, outLines[r])
		}
	}
	want := append([]string(nil), inputRecords[2]...)
	want[5] = "Example Org"
	if !reflect.DeepEqual(records[2], want) {
		t.Errorf("row 2 = %q, want %q (only Company Name filled)", records[2], want)
	}
}

func TestSalesforceEmptyVersusNull(t *testing.T) {
	header, _, rows := readCase(t, "26-empty-vs-null-reimport.csv")
	if len(rows) != 1 || rows[0][4].Null || rows[0][4].Text != "NULL" {
		t.Fatalf("case parsed as %v; want one record with Description = NULL text", rows)
	}
	fields := []sinks.StructField{
		{Name: "title", Kind: sinks.String},
		{Name: "phone", Kind: sinks.String},
		{Name: "fax", Kind: sinks.String},
		{Name: "description", Kind: sinks.String},
	}
	cfg := sinks.LayoutConfig{
		CRM:    "salesforce",
		Rename: map[string]string{"title": "Title", "phone": "Phone", "fax": "Fax", "description": "Description"},
		Clear:  []string{"title"},
	}
	merged := []sinks.MergedRow{
		// The enrichment found no title (cleared with #N/A), no phone
		// (left unchanged), a fax (filled, because the CRM has none) and a
		// description (left, because the CRM holds the text NULL).
		enrichedRow("enriched", rows[0], null, null, text("+1 555 0199"), text("Sales lead")),
	}
	got := string(writeCSV(t, cfg, header, fields, merged))
	want := "Id,Title,Phone,Fax,Description\n0035g00000AbCdEAAV,#N/A,,+1 555 0199,\n"
	if got != want {
		t.Errorf("Salesforce update file\n%q, want\n%q", got, want)
	}

	// Kept as a source column, the literal NULL is written as text.
	keep := sinks.LayoutConfig{CRM: "salesforce", KeepList: []string{"Description"}, Rename: map[string]string{"title": "Title"}}
	got = string(writeCSV(t, keep, header, fields, merged))
	want = "Id,Description,Title\n0035g00000AbCdEAAV,NULL,\n"
	if got != want {
		t.Errorf("kept Description\n%q, want\n%q", got, want)
	}
}
