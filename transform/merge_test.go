package transform

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

// sliceSource yields records from memory.
type sliceSource struct {
	records []connectors.Record
	next    int
}

func (s *sliceSource) Next() (connectors.Record, error) {
	if s.next >= len(s.records) {
		return connectors.Record{}, io.EOF
	}
	s.next++
	return s.records[s.next-1], nil
}

func (s *sliceSource) Close() error { return nil }

// memorySink keeps written rows in memory.
type memorySink struct{ rows [][]sinks.Value }

func (m *memorySink) Write(row []sinks.Value) error {
	m.rows = append(m.rows, append([]sinks.Value(nil), row...))
	return nil
}
func (m *memorySink) Commit() error { return nil }
func (m *memorySink) Abort() error  { return nil }
func (m *memorySink) Rows() int64   { return int64(len(m.rows)) }

var mergeFields = []sinks.StructField{
	{Name: "title", Kind: sinks.String},
	{Name: "employees", Kind: sinks.Int},
}

// sourceRecords returns n records whose Id is "id<ordinal>".
func sourceRecords(n int) []connectors.Record {
	recs := make([]connectors.Record, n)
	for i := range recs {
		recs[i] = record(field("Id", fmt.Sprintf("id%d", i)), field("Name", fmt.Sprintf("Name %d", i)))
	}
	return recs
}

// runMerge merges records with chunks and returns the stats and the rows of
// a plain layout: Id, Name, title, employees, then the metadata columns.
func runMerge(t *testing.T, recs []connectors.Record, chunks []MergeChunk, metadata ...string) (MergeStats, []map[string]sinks.Value, error) {
	t.Helper()
	columns := []string{"Id", "Name"}
	layout, err := sinks.NewLayout(sinks.LayoutConfig{Metadata: metadata}, columns, nil, mergeFields)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memorySink{}
	st, err := Merge(MergeInput{
		Source:     &sliceSource{records: recs},
		Columns:    columns,
		Fields:     mergeFields,
		Chunks:     chunks,
		OpenResult: OpenResult,
		Outputs:    []Output{{Layout: layout, Sink: sink}},
	})
	cols := layout.Columns()
	var rows []map[string]sinks.Value
	for _, r := range sink.rows {
		m := map[string]sinks.Value{}
		for i, c := range cols {
			m[c.Name] = r[i]
		}
		rows = append(rows, m)
	}
	return st, rows, err
}

func writeResult(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func cellText(v sinks.Value) string {
	if v.Null {
		return "<null>"
	}
	return v.Text
}

func TestMergeJoinsShuffledResultsByKey(t *testing.T) {
	csvResult := writeResult(t, "r0.csv", "_crmsync_key,Id,title,employees,confidence_score\n"+
		"2,id2,Title 2,12,0.2\n0,id0,Title 0,10,0.0\n1,id1,Title 1,11,0.1\n")
	ndjsonResult := writeResult(t, "r1.ndjson", ""+
		`{"_crmsync_key":"5","title":"Title 5","employees":15,"confidence_score":0.5}`+"\n"+
		`{"_crmsync_key":"3","title":"Title 3","employees":"13","confidence_score":0.3}`+"\n"+
		`{"_crmsync_key":"4","title":"Title 4","employees":14,"confidence_score":0.4}`+"\n")
	chunks := []MergeChunk{
		{FirstOrdinal: 0, Rows: 3, ResultPath: csvResult, ResultFormat: "csv"},
		{FirstOrdinal: 3, Rows: 3, ResultPath: ndjsonResult, ResultFormat: "ndjson"},
	}
	st, rows, err := runMerge(t, sourceRecords(6), chunks, "status", "confidence_score")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows written, want 6", len(rows))
	}
	for i, row := range rows {
		want := map[string]string{
			"Id":               fmt.Sprintf("id%d", i),
			"Name":             fmt.Sprintf("Name %d", i),
			"title":            fmt.Sprintf("Title %d", i),
			"employees":        fmt.Sprint(10 + i),
			"status":           StatusEnriched,
			"confidence_score": fmt.Sprintf("0.%d", i),
		}
		for col, w := range want {
			if got := cellText(row[col]); got != w {
				t.Errorf("row %d: %s = %q, want %q", i, col, got, w)
			}
		}
	}
	want := MergeStats{Rows: 6, Enriched: 6, TypeMismatches: map[string]int64{"employees": 0}, Written: []int64{6}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestMergeCountsKeyProblems(t *testing.T) {
	result := writeResult(t, "r.csv", "_crmsync_key,title,employees\n"+
		"0,first,1\n"+
		"0,duplicate,2\n"+ // the first row with key 0 wins
		"7,other chunk,3\n"+ // belongs to no record of this chunk
		"x,not a number,4\n"+
		",empty key,5\n"+
		"2,Title 2,\n") // key 1 is missing
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: 3, ResultPath: result, ResultFormat: "csv"}}
	st, rows, err := runMerge(t, sourceRecords(3), chunks, "status")
	if err != nil {
		t.Fatal(err)
	}
	if st.DuplicateKeys != 1 || st.UnknownKeys != 3 || st.MissingKeys != 1 {
		t.Errorf("duplicate %d, unknown %d, missing %d; want 1, 3, 1", st.DuplicateKeys, st.UnknownKeys, st.MissingKeys)
	}
	if got := cellText(rows[0]["title"]); got != "first" {
		t.Errorf("row 0 title %q, want the first result row's value", got)
	}
	if got := cellText(rows[1]["status"]); got != StatusNotEnriched {
		t.Errorf("row 1 status %q, want not_enriched for a record missing from the result", got)
	}
	if !rows[1]["title"].Null || !rows[1]["employees"].Null {
		t.Errorf("row 1 enriched values %v, %v; want null", rows[1]["title"], rows[1]["employees"])
	}
	if st.Enriched != 2 || st.NotEnriched != 1 {
		t.Errorf("enriched %d, not enriched %d; want 2 and 1", st.Enriched, st.NotEnriched)
	}
}

func TestMergeFailedChunkAndPassThrough(t *testing.T) {
	result := writeResult(t, "r.csv", "_crmsync_key,title,employees,notes\n"+
		"0,,,Row could not be enriched\n"+
		"1,Title 1,11,\n")
	chunks := []MergeChunk{
		{FirstOrdinal: 0, Rows: 2, ResultPath: result, ResultFormat: "csv"},
		{FirstOrdinal: 2, Rows: 2}, // the job failed
	}
	st, rows, err := runMerge(t, sourceRecords(4), chunks, "status", "notes")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus := []string{StatusNotEnriched, StatusEnriched, StatusFailed, StatusFailed}
	for i, w := range wantStatus {
		if got := cellText(rows[i]["status"]); got != w {
			t.Errorf("row %d status %q, want %q", i, got, w)
		}
		if got := cellText(rows[i]["Id"]); got != fmt.Sprintf("id%d", i) {
			t.Errorf("row %d Id %q: source values moved", i, got)
		}
	}
	if got := cellText(rows[0]["notes"]); got != "Row could not be enriched" {
		t.Errorf("passed-through row notes %q, want the API's note", got)
	}
	for _, i := range []int{0, 2, 3} {
		if !rows[i]["title"].Null || !rows[i]["employees"].Null {
			t.Errorf("row %d enriched values %v, %v; want null", i, rows[i]["title"], rows[i]["employees"])
		}
	}
	if st.Enriched != 1 || st.NotEnriched != 3 || st.InFailed != 2 || st.MissingKeys != 0 {
		t.Errorf("stats %+v; want 1 enriched, 3 not enriched, 2 in failed chunks, none missing", st)
	}
}

func TestMergeCountsTypeMismatches(t *testing.T) {
	result := writeResult(t, "r.csv", "_crmsync_key,title,employees\n"+
		"0,50-100,50-100\n"+ // a str field never mismatches
		"1,Title,1.5\n"+
		"2,Title,\n"+ // null is no mismatch
		"3,Title,1e3\n")
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: 4, ResultPath: result, ResultFormat: "csv"}}
	st, rows, err := runMerge(t, sourceRecords(4), chunks)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.TypeMismatches; !reflect.DeepEqual(got, map[string]int64{"employees": 2}) {
		t.Errorf("type mismatches %v, want employees: 2", got)
	}
	// The text reaches the sink, which writes it as null when typed.
	if got := cellText(rows[0]["employees"]); got != "50-100" {
		t.Errorf("row 0 employees %q, want the returned text", got)
	}
}

func TestMergeFieldConfidenceObject(t *testing.T) {
	result := writeResult(t, "r.ndjson", ""+
		`{"_crmsync_key":"0","title":"CTO","employees":5,"field_confidence":{"title":91,"employees":null},"references":{"https://example.com/a":"About page"}}`+"\n"+
		`{"_crmsync_key":"1","title":"CEO","employees":6,"title_confidence":70,"field_confidence":{"title":1}}`+"\n")
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: 2, ResultPath: result, ResultFormat: "ndjson"}}
	_, rows, err := runMerge(t, sourceRecords(2), chunks, "field_confidence", "references")
	if err != nil {
		t.Fatal(err)
	}
	if got := cellText(rows[0]["title_confidence"]); got != "91" {
		t.Errorf("row 0 title_confidence %q, want 91 from the field_confidence object", got)
	}
	if !rows[0]["employees_confidence"].Null {
		t.Errorf("row 0 employees_confidence %v, want null", rows[0]["employees_confidence"])
	}
	if got := cellText(rows[0]["references"]); got != `{"https://example.com/a":"About page"}` {
		t.Errorf("row 0 references %q, want the object as JSON text", got)
	}
	if got := cellText(rows[1]["title_confidence"]); got != "70" {
		t.Errorf("row 1 title_confidence %q, want 70 from its own column", got)
	}
}

func TestMergeSourceChangedDuringRun(t *testing.T) {
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: 2}}
	_, _, err := runMerge(t, sourceRecords(3), chunks)
	if err == nil || !strings.Contains(err.Error(), "--restart") {
		t.Errorf("more records than chunked: error %v, want one suggesting --restart", err)
	}
	_, _, err = runMerge(t, sourceRecords(1), chunks)
	if err == nil || !strings.Contains(err.Error(), "--restart") {
		t.Errorf("fewer records than chunked: error %v, want one suggesting --restart", err)
	}
}

func TestOpenResultJSONArray(t *testing.T) {
	path := writeResult(t, "r.json", "[\n"+
		`{"_crmsync_key":"0","tags":["a", "b"],"n":1.50,"ok":true,"s":"x\ny","empty":null}`+",\n"+
		`{"_crmsync_key":"1"}`+"\n]\n")
	src, err := OpenResult(path, "json")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rec, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]connectors.Field{
		"_crmsync_key": field("_crmsync_key", "0"),
		"tags":         field("tags", `["a","b"]`),
		"n":            field("n", "1.50"),
		"ok":           field("ok", "true"),
		"s":            field("s", "x\ny"),
		"empty":        nullField("empty"),
	}
	if len(rec.Fields) != len(want) {
		t.Errorf("%d fields, want %d", len(rec.Fields), len(want))
	}
	for _, f := range rec.Fields {
		if f != want[f.Name] {
			t.Errorf("field %q = %+v, want %+v", f.Name, f, want[f.Name])
		}
	}
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}

	bad := writeResult(t, "bad.ndjson", `{"_crmsync_key":"0"}`+"\n"+`["not an object"]`+"\n")
	src, err = OpenResult(bad, "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.Next()
	if _, err := src.Next(); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("array row: error %v, want one naming row 2", err)
	}
	if _, err := OpenResult(path, "xml"); err == nil {
		t.Error("format xml accepted")
	}
}
