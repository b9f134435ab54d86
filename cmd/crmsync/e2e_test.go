package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xitongsys/parquet-go-source/local"
	"github.com/xitongsys/parquet-go/reader"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/internal/testutil"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/runner"
)

// exampleCase is one example pipeline with what its source must yield.
type exampleCase struct {
	file     string
	rows     int
	shared   bool // the source is read from ../shared
	struct_  []string
	idColumn string // a column whose values identify records in the CSV output
}

var examples = []exampleCase{
	{file: "salesforce-leads.yaml", rows: 11, struct_: []string{"linkedin_url", "job_title", "seniority", "company_size", "company_domain"}, idColumn: "Email"},
	{file: "salesforce-contacts.yaml", rows: 12, struct_: []string{"job_title", "company", "linkedin_url"}, idColumn: "Email"},
	{file: "hubspot-contacts.yaml", rows: 26, shared: true, struct_: []string{"jobtitle", "company", "linkedin_url"}, idColumn: "id"},
	{file: "atomic-crm-contacts.yaml", rows: 500, struct_: []string{"linkedin_url", "work_email", "job_title"}, idColumn: "id"},
	{file: "sp500-companies.yaml", rows: 503, struct_: []string{"domain", "employees", "linkedin_url", "public"}, idColumn: "Symbol"},
}

func TestExamplePipelinesEndToEnd(t *testing.T) {
	root := testutil.RepoRoot(t)
	for _, ex := range examples {
		t.Run(strings.TrimSuffix(ex.file, ".yaml"), func(t *testing.T) {
			if ex.shared {
				t.Setenv("CRMSYNC_SHARED", testutil.SharedDir(t))
			}
			out := t.TempDir()
			t.Setenv("CRMSYNC_OUT", out)
			yaml := filepath.Join(root, "pipelines", "examples", ex.file)
			summaryPath := filepath.Join(out, "summary.json")
			code := execute([]string{"run", yaml, "--emulator", "--no-progress", "--state-dir", t.TempDir(), "--summary", summaryPath})
			if code != 0 {
				t.Fatalf("crmsync run exited %d", code)
			}

			var sum runner.Summary
			data, err := os.ReadFile(summaryPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Status != "succeeded" || sum.ExitCode != 0 {
				t.Errorf("summary status %q exit %d, want succeeded 0", sum.Status, sum.ExitCode)
			}
			if sum.RowsRead != int64(ex.rows) {
				t.Errorf("rows_read = %d, want %d", sum.RowsRead, ex.rows)
			}
			if sum.RowsEnriched != int64(ex.rows) {
				t.Errorf("rows_enriched = %d, want %d", sum.RowsEnriched, ex.rows)
			}
			if sum.ChargedCents <= 0 {
				t.Errorf("charged_cents = %v, want > 0", sum.ChargedCents)
			}

			p, err := pipelines.Load(yaml)
			if err != nil {
				t.Fatal(err)
			}
			records := readSource(t, p)
			if len(records) != ex.rows {
				t.Fatalf("source yields %d records, want %d", len(records), ex.rows)
			}
			for _, s := range p.Sinks {
				switch s.Type {
				case "csv":
					if s.CRM == "" {
						checkCSVOutput(t, s.Path, records, ex)
					}
				case "parquet":
					checkParquetOutput(t, s.Path, ex.rows)
				}
			}
		})
	}
}

func readSource(t *testing.T, p *pipelines.Pipeline) []connectors.Record {
	t.Helper()
	opts, err := runner.SourceOptions(p, "")
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(p.Source.Path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []connectors.Record
	for {
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		rec.Fields = append([]connectors.Field(nil), rec.Fields...)
		out = append(out, rec)
	}
}

// checkCSVOutput checks that every source record is in the CSV output exactly
// once, in order, with each original value byte-exact and every struct field
// filled.
func checkCSVOutput(t *testing.T, path string, records []connectors.Record, ex exampleCase) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows)-1 != len(records) {
		t.Fatalf("%s has %d records, want %d", path, len(rows)-1, len(records))
	}
	header := map[string]int{}
	for i, h := range rows[0] {
		header[h] = i
	}
	for _, name := range ex.struct_ {
		if _, ok := header[name]; !ok {
			t.Fatalf("%s: no column %q in header %q", path, name, rows[0])
		}
	}
	seen := map[string]int{}
	for i, rec := range records {
		row := rows[i+1]
		for _, fld := range rec.Fields {
			col, ok := header[fld.Name]
			if !ok {
				t.Fatalf("%s: source column %q missing from the output", path, fld.Name)
			}
			want := fld.Text
			if fld.Null {
				if contains(ex.struct_, fld.Name) {
					// An empty source column named like a struct field is
					// filled by the enrichment (fill_empty).
					continue
				}
				want = ""
			}
			if row[col] != want {
				t.Errorf("%s record %d column %q = %q, want %q (byte-exact)", path, i, fld.Name, row[col], want)
			}
		}
		for _, name := range ex.struct_ {
			if row[header[name]] == "" {
				t.Errorf("%s record %d: enriched field %q is empty", path, i, name)
			}
		}
		if id, ok := rec.Get(ex.idColumn); ok && !id.Null {
			seen[id.Text]++
		}
	}
	for id, n := range seen {
		if n != 1 && ex.idColumn != "Email" {
			t.Errorf("%s: record %s appears %d times", path, id, n)
		}
	}
}

// checkParquetOutput reads the file back with an independent reader.
func checkParquetOutput(t *testing.T, path string, rows int) {
	t.Helper()
	fr, err := local.NewLocalFileReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	pr, err := reader.NewParquetReader(fr, nil, 1)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer pr.ReadStop()
	if got := int(pr.GetNumRows()); got != rows {
		t.Errorf("%s has %d rows, want %d", path, got, rows)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
