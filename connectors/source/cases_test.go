package source_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

func TestCaseBOMQuotedHeader(t *testing.T) {
	got := readFile(t, casePath(t, "01-bom-quoted-header.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Email":"ada@example.com","First Name":"Ada","Last Name":"Example"}`,
		`{"Email":"bob@example.org","First Name":"Bob","Last Name":"Example"}`,
	)
	if !got.stats.BOM {
		t.Error("stats.BOM = false, want true")
	}
}

func TestCaseUTF16LETab(t *testing.T) {
	got := readFile(t, casePath(t, "03-utf16le-tab.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Record ID":"101","First Name":"Zoë","Last Name":"Example","Email":"zoe@example.com","City":"München"}`,
		`{"Record ID":"102","First Name":"Bob","Last Name":"Example","Email":"bob@example.org","City":"Köln"}`,
	)
	if got.stats.Encoding != "utf-16le" || got.stats.Delimiter != "\t" {
		t.Errorf("encoding %q, delimiter %q; want utf-16le and tab", got.stats.Encoding, got.stats.Delimiter)
	}
	for _, line := range got.lines {
		if strings.Contains(line, `\u0000`) {
			t.Errorf("record contains NUL: %s", line)
		}
	}
}

func TestCaseWindows1252Default(t *testing.T) {
	got := readFile(t, casePath(t, "04-windows-1252.csv"), source.Options{})
	pe := wantParseError(t, got.err, connectors.KindInvalidUTF8,
		`04-windows-1252.csv:2: column 2 "First Name": invalid UTF-8 byte 0xEB (the file may be in another encoding; set source.encoding, for example windows-1252)`)
	if !pe.Recoverable {
		t.Error("invalid UTF-8 in a row is not recoverable")
	}
	if len(got.lines) != 0 {
		t.Errorf("wrote %d records, want none: %v", len(got.lines), got.lines)
	}
}

func TestCaseWindows1252Declared(t *testing.T) {
	got := readFile(t, casePath(t, "04-windows-1252.csv"), source.Options{Encoding: "windows-1252"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Email":"zoe@example.com","First Name":"Zoë","Last Name":"Example","Title":"Head of “Growth”"}`,
		`{"Email":"jurgen@example.net","First Name":"Jürgen","Last Name":"Example","Title":"Geschäftsführer"}`,
	)
	for _, line := range got.lines {
		if strings.ContainsRune(line, '\uFFFD') {
			t.Errorf("record contains U+FFFD: %s", line)
		}
	}
}

func TestCaseMultilineNotes(t *testing.T) {
	records, _ := readRecords(t, casePath(t, "05-multiline-notes.csv"), source.Options{})
	if len(records) != 2 {
		t.Fatalf("got %d records, want 2", len(records))
	}
	if got := field(t, records[0], "Id").Text; got != "0015g00000XyZaBAAV" {
		t.Errorf("Id = %q", got)
	}
	if got := field(t, records[0], "Description").Text; got != "Line one\nLine two, with comma\nLine three" {
		t.Errorf("Description = %q", got)
	}
	if got := field(t, records[1], "Description").Text; got != "Single line" {
		t.Errorf("record 2 Description = %q", got)
	}
	if records[0].Line != 2 || records[1].Line != 5 {
		t.Errorf("record lines = %d, %d; want 2, 5", records[0].Line, records[1].Line)
	}
}

func TestCaseInnerQuoteFail(t *testing.T) {
	got := readFile(t, casePath(t, "06-unescaped-inner-quote.csv"), source.Options{})
	wantParseError(t, got.err, connectors.KindQuote, `06-unescaped-inner-quote.csv:2: column 2 "Product": unescaped quote in quoted field`)
	if len(got.lines) != 0 {
		t.Errorf("wrote %v, want nothing (a 1-field record must not appear)", got.lines)
	}
}

func TestCaseInnerQuoteReject(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	path := casePath(t, "06-unescaped-inner-quote.csv")
	got := readFile(t, path, source.Options{OnError: "reject", RejectsPath: rejects})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"Name":"Bob Example","Product":"Cable","Notes":"ok"}`)
	if got.stats.Rejected != 1 || got.stats.RejectsByKind[connectors.KindQuote] != 1 {
		t.Errorf("rejected %d, by kind %v; want 1 quote", got.stats.Rejected, got.stats.RejectsByKind)
	}
	if got.stats.RowsRead != 2 {
		t.Errorf("rows read = %d, want 2", got.stats.RowsRead)
	}
	if got.stats.RejectsPath != rejects {
		t.Errorf("stats.RejectsPath = %q, want %q", got.stats.RejectsPath, rejects)
	}

	lines := readRejects(t, rejects)
	if len(lines) != 1 {
		t.Fatalf("reject file has %d lines, want 1", len(lines))
	}
	want := map[string]any{
		"file": path, "line": float64(2), "column": float64(2), "header": "Product", "kind": "quote",
		"raw": `"Ada Example","Monitor 27" wide","ok"`,
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("reject %s = %v, want %v", k, lines[0][k], v)
		}
	}
	if msg, _ := lines[0]["error"].(string); !strings.Contains(msg, "unescaped quote") {
		t.Errorf("reject error = %q", msg)
	}
}

func TestCaseRaggedRowsFail(t *testing.T) {
	got := readFile(t, casePath(t, "08-ragged-rows.csv"), source.Options{})
	pe := wantParseError(t, got.err, connectors.KindFieldCount, "08-ragged-rows.csv:3: record has 3 fields, header has 4")
	if !pe.Recoverable {
		t.Error("a ragged row is not recoverable")
	}
	wantLines(t, got, `{"Email":"ada@example.com","First Name":"Ada","Last Name":"Example","Phone":"+1 555 0100"}`)
}

func TestCaseRaggedRowsReject(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	got := readFile(t, casePath(t, "08-ragged-rows.csv"), source.Options{OnError: "reject", RejectsPath: rejects})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"Email":"ada@example.com","First Name":"Ada","Last Name":"Example","Phone":"+1 555 0100"}`)
	if got.stats.Rejected != 2 || got.stats.RejectsByKind[connectors.KindFieldCount] != 2 {
		t.Errorf("rejected %d, by kind %v; want 2 field_count", got.stats.Rejected, got.stats.RejectsByKind)
	}

	lines := readRejects(t, rejects)
	if len(lines) != 2 {
		t.Fatalf("reject file has %d lines, want 2", len(lines))
	}
	wantRaw := []string{"bob@example.org,Bob,Example", "cy@example.net,Cy,Example,+1 555 0102,EXTRA"}
	wantLine := []float64{3, 4}
	wantMsg := []string{"record has 3 fields, header has 4", "record has 5 fields, header has 4"}
	for i, l := range lines {
		if l["raw"] != wantRaw[i] {
			t.Errorf("reject %d raw = %v, want %q (EXTRA must not be lost)", i+1, l["raw"], wantRaw[i])
		}
		if l["line"] != wantLine[i] {
			t.Errorf("reject %d line = %v, want %v", i+1, l["line"], wantLine[i])
		}
		if msg, _ := l["error"].(string); !strings.Contains(msg, wantMsg[i]) {
			t.Errorf("reject %d error = %q, want %q", i+1, msg, wantMsg[i])
		}
	}
}

func TestCaseRaggedRowsLimit(t *testing.T) {
	got := readFile(t, casePath(t, "08-ragged-rows.csv"), source.Options{OnError: "reject", MaxRejected: "1"})
	if got.err == nil || !strings.Contains(got.err.Error(), "rejected 2 rows, more than source.max_rejected 1") {
		t.Fatalf("error = %v, want the max_rejected limit", got.err)
	}
}

func TestCaseRaggedRowsPercentLimit(t *testing.T) {
	got := readFile(t, casePath(t, "08-ragged-rows.csv"), source.Options{OnError: "reject", MaxRejected: "50%"})
	if got.err == nil || !strings.Contains(got.err.Error(), "rejected 2 of 3 rows read") {
		t.Fatalf("error = %v, want the percentage limit applied at the end", got.err)
	}
	got = readFile(t, casePath(t, "08-ragged-rows.csv"), source.Options{OnError: "reject", MaxRejected: "70%"})
	if got.err != nil {
		t.Fatalf("2 of 3 rows is under 70%%, got %v", got.err)
	}
}

func TestCaseDuplicateHeaders(t *testing.T) {
	got := readFile(t, casePath(t, "09-duplicate-headers.csv"), source.Options{})
	pe := wantParseError(t, got.err, connectors.KindDuplicateHeader, `09-duplicate-headers.csv:1: duplicate column "Name" at columns 2 and 4`)
	if pe.Recoverable {
		t.Error("a header problem must be fatal")
	}
	got = readFile(t, casePath(t, "09-duplicate-headers.csv"), source.Options{OnError: "reject"})
	wantParseError(t, got.err, connectors.KindDuplicateHeader, "duplicate column")
}

func TestCaseSemicolonDetected(t *testing.T) {
	got := readFile(t, casePath(t, "11-semicolon-decimal-comma.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Account Name":"Example GmbH","Annual Revenue":"1.234.567,89","Employees":"120","City":"München"}`,
		`{"Account Name":"Beispiel AG","Annual Revenue":"98.000,00","Employees":"15","City":"Köln"}`,
	)
}

func TestCaseLongLine(t *testing.T) {
	records, _ := readRecords(t, casePath(t, "14-long-line.jsonl"), source.Options{})
	if len(records) != 3 {
		t.Fatalf("got %d records, want 3", len(records))
	}
	for i, id := range []string{"101", "102", "103"} {
		if got := field(t, records[i], "id").Text; got != id {
			t.Errorf("record %d id = %q, want %s", i+1, got, id)
		}
	}
	if got := len([]rune(field(t, records[1], "notes").Text)); got != 70000 {
		t.Errorf("notes of 102 has %d characters, want 70000", got)
	}
}

func TestCaseLongLineOverLimit(t *testing.T) {
	got := readFile(t, casePath(t, "14-long-line.jsonl"), source.Options{MaxRecordBytes: 65536})
	pe := wantParseError(t, got.err, connectors.KindRecordTooLarge, "14-long-line.jsonl:2: line of 70049 bytes is larger than the maximum record size of 65536 bytes")
	if pe.Recoverable {
		t.Error("a record over the size limit must fail the run")
	}
}

func TestCaseTruncatedLastLine(t *testing.T) {
	for _, onError := range []string{"fail", "reject"} {
		got := readFile(t, casePath(t, "16-truncated-last-line.jsonl"), source.Options{OnError: onError})
		pe := wantParseError(t, got.err, connectors.KindTruncated, "16-truncated-last-line.jsonl:3: unexpected end of JSON input (file looks truncated)")
		if pe.Recoverable {
			t.Errorf("on_error %s: truncation is recoverable, want fatal", onError)
		}
		wantLines(t, got, `{"id":"101","email":"ada@example.com"}`, `{"id":"102","email":"bob@example.org"}`)
	}
}

func TestCaseLargeIntIDs(t *testing.T) {
	got := readFile(t, casePath(t, "17-large-int-ids.jsonl"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"id":"9007199254740993","email":"ada@example.com","owner_id":"1234567890123456789"}`,
		`{"id":"42","email":"bob@example.org","owner_id":"7"}`,
	)
}

func TestCaseLeadingZeros(t *testing.T) {
	got := readFile(t, casePath(t, "19-leading-zeros.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Email":"ada@example.com","Zip":"02134","Phone":"0044 20 7946 0000","Account Number":"000123"}`,
		`{"Email":"bob@example.org","Zip":"01569","Phone":"07700900123","Account Number":"004560"}`,
	)
}

func TestCaseLateTypeConflict(t *testing.T) {
	got := readFile(t, casePath(t, "20-late-type-conflict.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	if len(got.lines) != 4 {
		t.Fatalf("got %d records, want 4", len(got.lines))
	}
	if want := `{"Email":"a4@example.com","Employees":"50-100","Annual Revenue":"unknown"}`; got.lines[3] != want {
		t.Errorf("record 4 = %s, want %s", got.lines[3], want)
	}
}

func TestCaseNestedArraysIndex(t *testing.T) {
	got := readFile(t, casePath(t, "22-nested-arrays-flatten.jsonl"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"id":"1","name":"Ada Example","email.0.value":"ada@example.com","email.0.primary":"true","email.0.label":"work"}`,
		`{"id":"2","name":"Bob Example","email.0.value":"bob@example.org","email.0.primary":"true","email.0.label":"work","email.1.value":"bob.home@example.net","email.1.primary":"false","email.1.label":"home"}`,
	)
}

func TestCaseNestedArraysJSON(t *testing.T) {
	got := readFile(t, casePath(t, "22-nested-arrays-flatten.jsonl"), source.Options{FlattenArrays: "json"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"id":"1","name":"Ada Example","email":"[{\"value\":\"ada@example.com\",\"primary\":true,\"label\":\"work\"}]"}`,
		`{"id":"2","name":"Bob Example","email":"[{\"value\":\"bob@example.org\",\"primary\":true,\"label\":\"work\"},{\"value\":\"bob.home@example.net\",\"primary\":false,\"label\":\"home\"}]"}`,
	)
}

func TestCaseHubSpotPage(t *testing.T) {
	records, r := readRecords(t, casePath(t, "23-hubspot-api-page.json"), source.Options{RecordsPath: "/results"})
	if len(records) != 2 {
		t.Fatalf("got %d records, want 2", len(records))
	}
	want := map[string]string{
		"id": "101", "properties.email": "ada@example.com", "properties.firstname": "Ada",
		"properties.lastname": "Example", "properties.createdate": "2024-01-10T08:30:15.234Z",
		"properties.hs_object_id": "101", "createdAt": "2024-01-10T08:30:15.234Z", "archived": "false",
	}
	for name, text := range want {
		if f := field(t, records[0], name); f.Null || f.Text != text {
			t.Errorf("%s = %+v, want %q", name, f, text)
		}
	}
	if f := field(t, records[0], "properties.company"); !f.Null {
		t.Errorf("properties.company = %+v, want null", f)
	}
	if f := field(t, records[1], "properties.company"); f.Text != "Example Corp" {
		t.Errorf("record 2 properties.company = %+v", f)
	}
	if records[0].Line != 3 || records[1].Line != 18 {
		t.Errorf("record lines = %d, %d; want 3, 18", records[0].Line, records[1].Line)
	}
	stats := r.Stats()
	if stats.Cursor != "103" {
		t.Errorf("cursor = %q, want 103", stats.Cursor)
	}
	if stats.Envelope["/paging/next/after"] != "103" {
		t.Errorf("envelope = %v", stats.Envelope)
	}
}

func TestCaseHubSpotPageWithoutPath(t *testing.T) {
	got := readFile(t, casePath(t, "23-hubspot-api-page.json"), source.Options{})
	wantParseError(t, got.err, connectors.KindNotRecord, "set source.records_path to one of: /results")
}

func TestCaseSparseOptionalColumns(t *testing.T) {
	got := readFile(t, casePath(t, "24-sparse-optional-columns.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Record ID":"101","Email":"ada@example.com","Mobile Phone":null,"Fax":null,"Lifecycle Stage":"lead"}`,
		`{"Record ID":"102","Email":"bob@example.org","Mobile Phone":null,"Fax":"+1 555 0199","Lifecycle Stage":null}`,
	)
}

func TestCaseEmptyVersusNull(t *testing.T) {
	got := readFile(t, casePath(t, "26-empty-vs-null-reimport.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"Id":"0035g00000AbCdEAAV","Title":"VP Sales","Phone":null,"Fax":null,"Description":"NULL"}`)
}

func TestCaseDynamicsRoundtrip(t *testing.T) {
	got := readFile(t, casePath(t, "30-dynamics-roundtrip.csv"), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"(Do Not Modify) Contact":"5e3b1c2a-0000-4000-8000-000000000001","(Do Not Modify) Row Checksum":"AbCdEfGh1234+/xyZ==","(Do Not Modify) Modified On":"2024-01-10T08:30:15","Full Name":"Ada Example","Email":"ada@example.com","Company Name":"Example Corp"}`,
		`{"(Do Not Modify) Contact":"5e3b1c2a-0000-4000-8000-000000000002","(Do Not Modify) Row Checksum":"QrStUvWx5678+/abC==","(Do Not Modify) Modified On":"2024-01-11T09:00:00","Full Name":"Bob Example","Email":"bob@example.org","Company Name":null}`,
	)
}

// TestEveryCaseCovered fails when a case file appears that no test above
// reads, so a new case is not silently skipped.
func TestEveryCaseCovered(t *testing.T) {
	covered := map[string]bool{
		"01-bom-quoted-header.csv": true, "03-utf16le-tab.csv": true, "04-windows-1252.csv": true,
		"05-multiline-notes.csv": true, "06-unescaped-inner-quote.csv": true, "08-ragged-rows.csv": true,
		"09-duplicate-headers.csv": true, "11-semicolon-decimal-comma.csv": true, "14-long-line.jsonl": true,
		"16-truncated-last-line.jsonl": true, "17-large-int-ids.jsonl": true, "19-leading-zeros.csv": true,
		"20-late-type-conflict.csv": true, "22-nested-arrays-flatten.jsonl": true, "23-hubspot-api-page.json": true,
		"24-sparse-optional-columns.csv": true, "26-empty-vs-null-reimport.csv": true, "30-dynamics-roundtrip.csv": true,
		"EXPECTED.md": true,
	}
	entries, err := os.ReadDir(filepath.Join(sharedDir(t), "cases"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("case %s has no test in this file", e.Name())
		}
	}
}

func readRejects(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reject file: %v", err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("reject line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
