package runner_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/runner"
	"github.com/crmsync/crmsync/sinks/parquet/parquettest"
	"github.com/crmsync/crmsync/transform"
)

// faultsPipeline enriches leads.csv with one field of every struct type and
// writes Parquet, CSV and JSONL with every metadata column. Chunks of 15
// rows make three jobs, so the join by key crosses chunk boundaries.
const faultsPipeline = `name: sinks-faults
source:
  path: leads.csv
  key: Id
  types: {Employees: int}
chunk:
  max_rows: 15
enrich:
  endpoint: people
  inputs:
    full_name: "{FirstName} {LastName}"
    company_name: Company
    email_address: Email
  struct:
    linkedin_url: LinkedIn profile URL of the person
    job_title: Current job title
    company_size: {description: Number of employees, type: int}
    revenue: {description: Annual revenue in USD, type: float}
    is_public: {description: Listed on a stock exchange, type: bool}
    tags: {description: Topics, type: "list[str]"}
    office_ids: {description: Office numbers, type: "list[int]"}
    profile: {description: Company profile, type: dict}
  field_confidence: true
  concurrency: 2
  poll: {initial: 50ms, max: 200ms}
sinks:
  - type: parquet
    path: out/leads.parquet
    compression: zstd
    row_group_rows: 16
    columns:
      metadata: [status, confidence_score, field_confidence, notes, references]
  - type: csv
    path: out/leads.csv
    columns:
      metadata: [status, notes]
  - type: jsonl
    path: out/leads.jsonl
    columns:
      metadata: [status, confidence_score, field_confidence, notes, references]
`

const faultsRows = 40

var (
	faultsSourceColumns = []string{"Id", "FirstName", "LastName", "Company", "Email", "Title", "Employees", "CreatedDate"}
	faultsStringFields  = []string{"linkedin_url", "job_title", "profile"}
	faultsTypedFields   = []string{"company_size", "revenue", "is_public", "tags", "office_ids"}
	// faultsMistypedTexts are the texts the emulator returns for a typed
	// value in the wrong type.
	faultsMistypedTexts = []string{"50-100", "n/a", "yes-ish", "alpha; beta"}
)

func faultsStructFields() []string {
	return append(slices.Clone(faultsStringFields), faultsTypedFields...)
}

// declareTimestamp declares CreatedDate a timestamp column.
// NOTE: pipelines.Load rejects "timestamp" in source.types although the
// sinks write it, so the declaration is added after loading.
func declareTimestamp(p *pipelines.Pipeline) {
	p.Source.Types["CreatedDate"] = "timestamp"
}

// faultsRun is one run of faultsPipeline and its outputs.
type faultsRun struct {
	dir     string
	sum     *runner.Summary
	parquet map[string]map[string]any
	file    parquettest.File
	csv     map[string]map[string]string
	jsonl   map[string]map[string]any
}

func runFaults(t *testing.T, opts emulator.Options, pipelineYAML string) faultsRun {
	t.Helper()
	dir := t.TempDir()
	writeSinkFile(t, dir, "leads.csv", leadsCSV(faultsRows))
	url := startSinkEmulator(t, opts)
	sum := runSinkPipeline(t, dir, pipelineYAML, url, declareTimestamp)
	// Every sink commits by renaming its temporary file into place.
	entries, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"leads.csv", "leads.jsonl", "leads.parquet"}; !reflect.DeepEqual(names, want) {
		t.Errorf("output folder contains %q, want %q", names, want)
	}
	file := parquettest.ReadBoth(t, filepath.Join(dir, "out", "leads.parquet"))
	_, csvRows := readCSVFile(t, filepath.Join(dir, "out", "leads.csv"), "Id")
	return faultsRun{
		dir:     dir,
		sum:     sum,
		file:    file,
		parquet: rowsByKey(t, file.Names, file.Columns, "Id"),
		csv:     csvRows,
		jsonl:   readJSONLFile(t, filepath.Join(dir, "out", "leads.jsonl"), "Id"),
	}
}

// checkCounts checks the row counts that every run of faultsPipeline has.
func checkCounts(t *testing.T, run faultsRun) {
	t.Helper()
	if run.sum.RowsRead != faultsRows {
		t.Errorf("rows_read = %d, want %d", run.sum.RowsRead, faultsRows)
	}
	if got := run.sum.RowsEnriched + run.sum.RowsNotEnriched; got != faultsRows {
		t.Errorf("rows_enriched + rows_not_enriched = %d, want %d", got, faultsRows)
	}
	if run.sum.ResultKeys != (runner.ResultKeys{}) {
		t.Errorf("result_keys = %+v, want all zero", run.sum.ResultKeys)
	}
	for _, out := range run.sum.Outputs {
		if out.Rows != faultsRows {
			t.Errorf("output %s has %d rows, want %d", out.Path, out.Rows, faultsRows)
		}
	}
	if len(run.parquet) != faultsRows || len(run.csv) != faultsRows || len(run.jsonl) != faultsRows {
		t.Errorf("outputs contain %d Parquet, %d CSV and %d JSONL rows, want %d each", len(run.parquet), len(run.csv), len(run.jsonl), faultsRows)
	}
}

// TestSinksFaultsKeepValuesOnTheirRecord runs the pipeline once without
// faults and once with mistyped values, passed-through rows and shuffled
// results, with the same seed, and compares every row by Id.
func TestSinksFaultsKeepValuesOnTheirRecord(t *testing.T) {
	clean := runFaults(t, emulator.Options{Seed: 7}, faultsPipeline)
	faulty := runFaults(t, emulator.Options{Seed: 7, MistypeRate: 0.3, PassthroughRate: 0.2, Shuffle: true}, faultsPipeline)
	checkCounts(t, clean)
	checkCounts(t, faulty)

	if clean.sum.RowsEnriched != faultsRows {
		t.Fatalf("fault-free run enriched %d rows, want %d", clean.sum.RowsEnriched, faultsRows)
	}
	for _, f := range faultsTypedFields {
		if n, ok := clean.sum.TypeMismatches[f]; !ok || n != 0 {
			t.Errorf("fault-free run: type_mismatches[%s] = %d (present %v), want 0", f, n, ok)
		}
	}
	checkShuffled(t, faulty.dir)

	mistyped := map[string]int64{}
	passedThrough := int64(0)
	for id, want := range clean.parquet {
		got, ok := faulty.parquet[id]
		if !ok {
			t.Errorf("Id %s is missing from the Parquet output of the faulty run", id)
			continue
		}
		for _, c := range faultsSourceColumns {
			if !reflect.DeepEqual(got[c], want[c]) {
				t.Errorf("Id %s: source column %s = %#v, want %#v", id, c, got[c], want[c])
			}
		}
		switch got["status"] {
		case "not_enriched":
			passedThrough++
			checkPassedThrough(t, id, got, faulty.csv[id], faulty.jsonl[id])
		case "enriched":
			for _, f := range faultsStructFields() {
				if reflect.DeepEqual(got[f], want[f]) {
					if !reflect.DeepEqual(faulty.csv[id][f], clean.csv[id][f]) {
						t.Errorf("Id %s: CSV %s = %q, want %q", id, f, faulty.csv[id][f], clean.csv[id][f])
					}
					if !reflect.DeepEqual(faulty.jsonl[id][f], clean.jsonl[id][f]) {
						t.Errorf("Id %s: JSONL %s = %#v, want %#v", id, f, faulty.jsonl[id][f], clean.jsonl[id][f])
					}
					continue
				}
				// Only a mistyped value may differ: null in Parquet and
				// JSONL, the returned text in CSV.
				if got[f] != nil || !slices.Contains(faultsTypedFields, f) {
					t.Errorf("Id %s: %s = %#v, want %#v as in the fault-free run", id, f, got[f], want[f])
					continue
				}
				mistyped[f]++
				if !slices.Contains(faultsMistypedTexts, faulty.csv[id][f]) {
					t.Errorf("Id %s: CSV %s = %q, want one of the mistyped texts %q", id, f, faulty.csv[id][f], faultsMistypedTexts)
				}
				if v, ok := faulty.jsonl[id][f]; !ok || v != nil {
					t.Errorf("Id %s: JSONL %s = %#v, want null", id, f, v)
				}
			}
			for _, m := range []string{"confidence_score", "notes", "references", "job_title_confidence", "office_ids_confidence"} {
				if !reflect.DeepEqual(got[m], want[m]) {
					t.Errorf("Id %s: %s = %#v, want %#v", id, m, got[m], want[m])
				}
			}
		default:
			t.Errorf("Id %s: status %#v, want enriched or not_enriched", id, got["status"])
		}
		if faulty.csv[id]["status"] != got["status"] || faulty.jsonl[id]["status"] != got["status"] {
			t.Errorf("Id %s: status %q in CSV and %#v in JSONL, want %#v as in Parquet", id, faulty.csv[id]["status"], faulty.jsonl[id]["status"], got["status"])
		}
	}

	if passedThrough == 0 {
		t.Error("no row was passed through; raise PassthroughRate so the test covers it")
	}
	if faulty.sum.RowsNotEnriched != passedThrough {
		t.Errorf("rows_not_enriched = %d, want %d rows with status not_enriched", faulty.sum.RowsNotEnriched, passedThrough)
	}
	total := int64(0)
	for _, f := range faultsTypedFields {
		total += mistyped[f]
		if faulty.sum.TypeMismatches[f] != mistyped[f] {
			t.Errorf("type_mismatches[%s] = %d, want %d null cells", f, faulty.sum.TypeMismatches[f], mistyped[f])
		}
	}
	if total == 0 {
		t.Error("no value was mistyped; raise MistypeRate so the test covers it")
	}
	for f, n := range faulty.sum.TypeMismatches {
		if !slices.Contains(faultsTypedFields, f) && n != 0 {
			t.Errorf("type_mismatches[%s] = %d for a field without a declared type", f, n)
		}
	}
}

// checkPassedThrough checks a row that the API returned without enrichment.
func checkPassedThrough(t *testing.T, id string, pq map[string]any, csvRow map[string]string, jsonlRow map[string]any) {
	t.Helper()
	for _, f := range faultsStructFields() {
		if pq[f] != nil {
			t.Errorf("Id %s passed through: Parquet %s = %#v, want null", id, f, pq[f])
		}
		if csvRow[f] != "" {
			t.Errorf("Id %s passed through: CSV %s = %q, want empty", id, f, csvRow[f])
		}
		if jsonlRow[f] != nil {
			t.Errorf("Id %s passed through: JSONL %s = %#v, want null", id, f, jsonlRow[f])
		}
		if pq[f+"_confidence"] != nil {
			t.Errorf("Id %s passed through: %s_confidence = %#v, want null", id, f, pq[f+"_confidence"])
		}
	}
	if pq["confidence_score"] != nil || pq["references"] != nil {
		t.Errorf("Id %s passed through: confidence_score %#v, references %#v, want null", id, pq["confidence_score"], pq["references"])
	}
	if notes, _ := pq["notes"].(string); notes == "" {
		t.Errorf("Id %s passed through: notes %#v, want the API's explanation", id, pq["notes"])
	}
}

// checkShuffled fails the test unless the first result file lists its rows
// out of key order, so that the faulty run exercises the join by key.
func checkShuffled(t *testing.T, dir string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "state", "sinks-faults", "results", "chunk-00000.*"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("result file of chunk 0: %v %v", matches, err)
	}
	src, err := transform.OpenResult(matches[0], "csv")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var keys []int
	for {
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f, _ := rec.Get(transform.KeyColumn)
		n, _ := strconv.Atoi(f.Text)
		keys = append(keys, n)
	}
	if slices.IsSorted(keys) {
		t.Errorf("result keys of chunk 0 are in order %v; the emulator did not shuffle them", keys)
	}
}

// TestSinksParquetFromYAML checks the Parquet settings and types that the
// YAML selects, as both independent readers see them.
func TestSinksParquetFromYAML(t *testing.T) {
	run := runFaults(t, emulator.Options{Seed: 3}, faultsPipeline)
	checkCounts(t, run)
	f := run.file

	if want := []int64{16, 16, 8}; !reflect.DeepEqual(f.RowGroups, want) {
		t.Errorf("row groups %v, want %v from row_group_rows: 16", f.RowGroups, want)
	}
	x := parquettest.ReadXitongsys(t, filepath.Join(run.dir, "out", "leads.parquet"))
	for i, codec := range x.Compression {
		if codec != "ZSTD" {
			t.Errorf("column chunk %d uses %s, want ZSTD from compression: zstd", i, codec)
		}
	}
	wantMeta := map[string]string{
		"crmsync.pipeline": "sinks-faults",
		"crmsync.run_id":   run.sum.RunID,
		"crmsync.version":  "0.0.0-test",
	}
	for k, want := range wantMeta {
		if f.KeyValues[k] != want {
			t.Errorf("key-value metadata %s = %q, want %q", k, f.KeyValues[k], want)
		}
	}

	str := parquettest.Leaf{Physical: "BYTE_ARRAY", Logical: "STRING"}
	wantLeaves := map[string]parquettest.Leaf{
		"Id":                      str,
		"Employees":               {Physical: "INT64"},
		"CreatedDate":             {Physical: "INT64", Logical: "TIMESTAMP(MICROS,UTC)"},
		"linkedin_url":            str,
		"company_size":            {Physical: "INT64"},
		"revenue":                 {Physical: "DOUBLE"},
		"is_public":               {Physical: "BOOLEAN"},
		"tags":                    {Physical: "BYTE_ARRAY", Logical: "STRING", List: true},
		"office_ids":              {Physical: "INT64", List: true},
		"profile":                 str,
		"status":                  str,
		"confidence_score":        {Physical: "DOUBLE"},
		"company_size_confidence": {Physical: "INT64"},
		"notes":                   str,
		"references":              str,
	}
	for name, want := range wantLeaves {
		if got := f.Leaf(t, name); got != want {
			t.Errorf("column %s has type %+v, want %+v", name, got, want)
		}
	}

	// Source values: Employees is empty in every seventh row, and every
	// CreatedDate is 2024-01-10T08:30:15+01:00 plus 90 minutes per row.
	start := time.Date(2024, 1, 10, 7, 30, 15, 0, time.UTC)
	for i := range faultsRows {
		id := "00Q5g" + strings.Repeat("0", 10-len(strconv.Itoa(i))) + strconv.Itoa(i) + "AAA"
		row, ok := run.parquet[id]
		if !ok {
			t.Fatalf("Id %s missing", id)
		}
		var wantEmployees any = int64(10 + i*7)
		if i%7 == 6 {
			wantEmployees = nil
		}
		if row["Employees"] != wantEmployees {
			t.Errorf("Id %s: Employees = %#v, want %#v", id, row["Employees"], wantEmployees)
		}
		if want := start.Add(time.Duration(i) * 90 * time.Minute).UnixMicro(); row["CreatedDate"] != want {
			t.Errorf("Id %s: CreatedDate = %#v, want %d (microseconds, UTC)", id, row["CreatedDate"], want)
		}
		checkEnrichedTypes(t, id, row, run.jsonl[id])
	}
}

// checkEnrichedTypes checks that every enriched value of a fault-free row
// is present with its Go type, and that JSONL contains the same value.
func checkEnrichedTypes(t *testing.T, id string, row map[string]any, jsonlRow map[string]any) {
	t.Helper()
	if row["status"] != "enriched" {
		t.Errorf("Id %s: status %#v, want enriched", id, row["status"])
		return
	}
	if _, ok := row["company_size"].(int64); !ok {
		t.Errorf("Id %s: company_size = %#v, want an int64", id, row["company_size"])
	}
	if _, ok := row["revenue"].(float64); !ok {
		t.Errorf("Id %s: revenue = %#v, want a float64", id, row["revenue"])
	}
	if _, ok := row["is_public"].(bool); !ok {
		t.Errorf("Id %s: is_public = %#v, want a bool", id, row["is_public"])
	}
	if tags, ok := row["tags"].([]any); !ok || len(tags) == 0 {
		t.Errorf("Id %s: tags = %#v, want a non-empty list", id, row["tags"])
	}
	if ids, ok := row["office_ids"].([]any); !ok || len(ids) == 0 {
		t.Errorf("Id %s: office_ids = %#v, want a non-empty list", id, row["office_ids"])
	}
	for _, m := range []string{"profile", "references"} {
		text, _ := row[m].(string)
		if !json.Valid([]byte(text)) || !strings.HasPrefix(text, "{") {
			t.Errorf("Id %s: %s = %#v, want a JSON object as text", id, m, row[m])
		}
	}
	for _, f := range faultsStructFields() {
		score, ok := row[f+"_confidence"].(int64)
		if !ok || score < 0 || score > 100 {
			t.Errorf("Id %s: %s_confidence = %#v, want an int64 from 0 to 100", id, f, row[f+"_confidence"])
		}
	}
	if _, ok := row["confidence_score"].(float64); !ok {
		t.Errorf("Id %s: confidence_score = %#v, want a float64", id, row["confidence_score"])
	}

	// JSONL contains the same values, typed as JSON.
	if jsonlRow["company_size"] != json.Number(strconv.FormatInt(row["company_size"].(int64), 10)) {
		t.Errorf("Id %s: JSONL company_size = %#v, Parquet %#v", id, jsonlRow["company_size"], row["company_size"])
	}
	if jsonlRow["is_public"] != row["is_public"] {
		t.Errorf("Id %s: JSONL is_public = %#v, Parquet %#v", id, jsonlRow["is_public"], row["is_public"])
	}
	if tags, ok := jsonlRow["tags"].([]any); !ok || !reflect.DeepEqual(tags, row["tags"]) {
		t.Errorf("Id %s: JSONL tags = %#v, Parquet %#v", id, jsonlRow["tags"], row["tags"])
	}
}

// TestSinksHostileTextIsNeutralised checks that enriched text a spreadsheet
// would run as a formula is written with a leading quote in CSV, that the
// same text reaches Parquet unchanged and valid UTF-8, and that a source
// value starting with '=' is written back as it was.
func TestSinksHostileTextIsNeutralised(t *testing.T) {
	run := runFaults(t, emulator.Options{Seed: 11, HostileRate: 0.6}, faultsPipeline)
	checkCounts(t, run)

	if col, row, ok := parquettest.ValidUTF8(run.file); !ok {
		t.Errorf("Parquet column %s row %d is not valid UTF-8", col, row)
	}
	guarded := 0
	for id, csvRow := range run.csv {
		for _, f := range []string{"linkedin_url", "job_title", "notes", "status"} {
			cell := csvRow[f]
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("Id %s: CSV %s starts with a formula character: %q", id, f, shorten(cell))
			}
			pq, _ := run.parquet[id][f].(string)
			if strings.HasPrefix(cell, "'") && cell[1:] == pq {
				guarded++
				continue
			}
			if cell != pq {
				t.Errorf("Id %s: CSV %s = %q, Parquet %q; want the same text", id, f, shorten(cell), shorten(pq))
			}
			if !utf8.ValidString(cell) {
				t.Errorf("Id %s: CSV %s is not valid UTF-8", id, f)
			}
		}
	}
	if guarded == 0 {
		t.Error("no enriched cell needed the formula guard; raise HostileRate so the test covers it")
	}
	if got := run.csv["00Q5g0000000003AAA"]["Title"]; got != "=SUM(1,2)" {
		t.Errorf("source Title = %q, want =SUM(1,2) unchanged", got)
	}
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// TestSinksJSONResultFormats checks that results downloaded as NDJSON or
// JSON give the same outputs as CSV results: list values and the
// references object are kept whole, not flattened into one column per
// element.
// NOTE: this fails while the merge phase opens result files with
// source.Open, which flattens arrays and objects; it needs
// transform.OpenResult.
func TestSinksJSONResultFormats(t *testing.T) {
	fromCSV := runFaults(t, emulator.Options{Seed: 5}, faultsPipeline)
	for _, format := range []string{"ndjson", "json"} {
		t.Run(format, func(t *testing.T) {
			yaml := strings.Replace(faultsPipeline, "  field_confidence: true\n", "  field_confidence: true\n  result_formats: ["+format+"]\n", 1)
			run := runFaults(t, emulator.Options{Seed: 5}, yaml)
			checkCounts(t, run)
			if run.sum.RowsEnriched != faultsRows {
				t.Errorf("rows_enriched = %d, want %d", run.sum.RowsEnriched, faultsRows)
			}
			for id, want := range fromCSV.parquet {
				got := run.parquet[id]
				for _, c := range run.file.Names {
					if !reflect.DeepEqual(got[c], want[c]) {
						t.Errorf("Id %s: %s = %#v from %s results, want %#v as from CSV results", id, c, got[c], format, want[c])
					}
				}
			}
		})
	}
}
