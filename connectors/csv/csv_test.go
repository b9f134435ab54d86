package csv_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/csv"
)

// result is every record and error of one read, in order.
type result struct {
	records []connectors.Record
	errs    []error
}

// readAll reads input to the end, going on after recoverable errors.
func readAll(t *testing.T, input string, opts csv.Options) (*csv.Reader, result) {
	t.Helper()
	r, err := csv.NewReader(strings.NewReader(input), "test.csv", opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var res result
	for i := 0; i <= len(input)+1; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, res
		}
		if err != nil {
			res.errs = append(res.errs, err)
			if pe, ok := connectors.AsParseError(err); !ok || !pe.Recoverable {
				return r, res
			}
			continue
		}
		res.records = append(res.records, rec)
	}
	t.Fatal("reader did not reach io.EOF")
	return r, res
}

func texts(rec connectors.Record) []string {
	var out []string
	for _, f := range rec.Fields {
		if f.Null {
			out = append(out, "<null>")
		} else {
			out = append(out, f.Text)
		}
	}
	return out
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		header string
		want   rune
	}{
		{"a,b,c", ','},
		{"a;b;c", ';'},
		{"a\tb\tc", '\t'},
		{"a|b|c", '|'},
		{`"a;b",c`, ','},       // the ';' is inside quotes
		{`"x,y,z";"w";v`, ';'}, // commas inside quotes do not count
		{"single", ','},
		{"a,b;c", ','}, // a tie goes to the comma
		{"a;b;c\nx,y,z,w,v", ';'},
	}
	for _, tt := range tests {
		if got := csv.DetectDelimiter([]byte(tt.header)); got != tt.want {
			t.Errorf("DetectDelimiter(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]rune{"": 0, ",": ',', ";": ';', "tab": '\t', "TAB": '\t', `\t`: '\t', "\t": '\t', "|": '|'} {
		got, err := csv.ParseDelimiter(in)
		if err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{";;", `"`, "\n"} {
		if _, err := csv.ParseDelimiter(in); err == nil {
			t.Errorf("ParseDelimiter(%q) accepted", in)
		}
	}
}

func TestSepLine(t *testing.T) {
	r, res := readAll(t, "sep=;\r\nName;City\r\nAda;Köln\r\n\r\nBob;Wien\r\n", csv.Options{})
	if len(res.errs) != 0 {
		t.Fatal(res.errs)
	}
	if r.Delimiter() != ';' {
		t.Errorf("delimiter = %q, want ';'", r.Delimiter())
	}
	if got := r.Header(); len(got) != 2 || got[0] != "Name" {
		t.Errorf("header = %q", got)
	}
	if len(res.records) != 2 || res.records[0].Line != 3 || res.records[1].Line != 5 {
		t.Fatalf("records %v; want lines 3 and 5 (the sep line counts)", res.records)
	}
	if r.BlankLines() != 1 {
		t.Errorf("blank lines = %d, want 1", r.BlankLines())
	}
}

func TestSepLineErrorLine(t *testing.T) {
	_, res := readAll(t, "sep=,\na,b\n1,2\n3\n", csv.Options{})
	if len(res.errs) != 1 || !strings.Contains(res.errs[0].Error(), "test.csv:4: record has 1 fields, header has 2") {
		t.Errorf("errors = %v, want a field count error at line 4", res.errs)
	}
}

func TestQuotedValues(t *testing.T) {
	input := "Id,Notes\n1,\"a, b\"\"c\"\"\r\nd\"\n2,\"\"\n3,plain\n"
	_, res := readAll(t, input, csv.Options{})
	if len(res.errs) != 0 {
		t.Fatal(res.errs)
	}
	want := [][]string{{"1", "a, b\"c\"\nd"}, {"2", "<null>"}, {"3", "plain"}}
	wantLines := []int{2, 4, 5}
	if len(res.records) != len(want) {
		t.Fatalf("got %d records, want %d", len(res.records), len(want))
	}
	for i, rec := range res.records {
		if got := texts(rec); strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i+1, got, want[i])
		}
		if rec.Line != wantLines[i] {
			t.Errorf("record %d line = %d, want %d", i+1, rec.Line, wantLines[i])
		}
	}
}

func TestRowErrorsRecover(t *testing.T) {
	input := "a,b,c\n" +
		"1,2,3\n" +
		"x,y\"z,w\n" + // bare quote
		"4,\"5\"x,6\n" + // text after a closing quote
		"7,8\n" + // too few fields
		"9,\x00,1\n" + // NUL byte
		"1,\xff,2\n" + // invalid UTF-8
		"10,11,12\n"
	_, res := readAll(t, input, csv.Options{})
	if len(res.records) != 2 || res.records[1].Line != 8 {
		t.Fatalf("records = %v; want lines 2 and 8", res.records)
	}
	want := []struct {
		kind    connectors.ErrorKind
		message string
	}{
		{connectors.KindQuote, `test.csv:3: column 2 "b": bare quote in an unquoted field`},
		{connectors.KindQuote, `test.csv:4: column 2 "b": unescaped quote in quoted field`},
		{connectors.KindFieldCount, "test.csv:5: record has 2 fields, header has 3"},
		{connectors.KindNULByte, `test.csv:6: column 2 "b": NUL byte`},
		{connectors.KindInvalidUTF8, `test.csv:7: column 2 "b": invalid UTF-8 byte 0xFF`},
	}
	if len(res.errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(res.errs), len(want), res.errs)
	}
	for i, w := range want {
		pe, _ := connectors.AsParseError(res.errs[i])
		if pe == nil || pe.Kind != w.kind || !pe.Recoverable || !strings.Contains(pe.Error(), w.message) {
			t.Errorf("error %d = %v (%+v), want recoverable %s %q", i+1, res.errs[i], pe, w.kind, w.message)
		}
	}
}

func TestFooterLinesAreRagged(t *testing.T) {
	input := "Name,Amount\nAda,10\nBob,20\n\n\"Total\"\n\"Generated by Example CRM\"\n"
	r, res := readAll(t, input, csv.Options{})
	if len(res.records) != 2 || len(res.errs) != 2 {
		t.Fatalf("records %d, errors %v; want 2 and 2", len(res.records), res.errs)
	}
	if !strings.Contains(res.errs[0].Error(), "test.csv:5: record has 1 fields") {
		t.Errorf("error = %v", res.errs[0])
	}
	if r.BlankLines() != 1 {
		t.Errorf("blank lines = %d, want 1", r.BlankLines())
	}
}

func TestUnclosedQuoteIsFatal(t *testing.T) {
	r, res := readAll(t, "a,b\n1,\"open\n2,3\n4,5\n", csv.Options{})
	if len(res.records) != 0 || len(res.errs) != 1 {
		t.Fatalf("records %v, errors %v", res.records, res.errs)
	}
	pe, _ := connectors.AsParseError(res.errs[0])
	if pe == nil || pe.Recoverable || pe.Line != 2 || !strings.Contains(pe.Error(), "not closed before the end of the file") {
		t.Errorf("error = %+v, want a fatal unclosed quote at line 2", pe)
	}
	if _, err := r.Next(); err != res.errs[0] {
		t.Errorf("Next after a fatal error = %v, want the same error again", err)
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		input string
		kind  connectors.ErrorKind
		want  string
	}{
		{"a,b,a\n1,2,3\n", connectors.KindDuplicateHeader, `test.csv:1: duplicate column "a" at columns 1 and 3`},
		{"a,,c\n", connectors.KindEmptyHeader, "test.csv:1: column 2: empty column name"},
		{"", connectors.KindEmptyHeader, "file is empty"},
		{"a,\"b\n", connectors.KindQuote, "not closed"},
		{"a,\xe9\n", connectors.KindInvalidUTF8, "invalid UTF-8 byte 0xE9"},
	}
	for _, tt := range tests {
		_, err := csv.NewReader(strings.NewReader(tt.input), "test.csv", csv.Options{})
		pe, _ := connectors.AsParseError(err)
		if pe == nil || pe.Kind != tt.kind || pe.Recoverable || !strings.Contains(pe.Error(), tt.want) {
			t.Errorf("NewReader(%q) error = %v, want fatal %s %q", tt.input, err, tt.kind, tt.want)
		}
	}
}

func TestMaxRecordBytes(t *testing.T) {
	big := strings.Repeat("x", 300)
	_, res := readAll(t, "a,b\n1,2\n3,"+big+"\n5,6\n", csv.Options{MaxRecordBytes: 100})
	if len(res.records) != 1 || len(res.errs) != 1 {
		t.Fatalf("records %d, errors %v", len(res.records), res.errs)
	}
	pe, _ := connectors.AsParseError(res.errs[0])
	if pe == nil || pe.Kind != connectors.KindRecordTooLarge || pe.Recoverable || pe.Line != 3 {
		t.Errorf("error = %+v, want fatal record_too_large at line 3", pe)
	}
	if !strings.Contains(pe.Error(), "record of 302 bytes is larger than the maximum record size of 100 bytes") {
		t.Errorf("message = %q", pe.Error())
	}
}

func TestMaxRecordBytesStopsBuffering(t *testing.T) {
	// An unclosed quote followed by 1 MiB: the reader must stop early
	// instead of reading it all into one value.
	input := "a\n\"" + strings.Repeat("y\n", 512<<10)
	_, res := readAll(t, input, csv.Options{MaxRecordBytes: 1000})
	if len(res.errs) != 1 {
		t.Fatalf("errors = %v", res.errs)
	}
	pe, _ := connectors.AsParseError(res.errs[0])
	if pe == nil || pe.Kind != connectors.KindRecordTooLarge || pe.Line != 2 {
		t.Errorf("error = %+v, want record_too_large at line 2", pe)
	}
}

func TestNoFinalNewlineCRLF(t *testing.T) {
	_, res := readAll(t, "a,b\r\n1,2\r\n3,4", csv.Options{})
	if len(res.errs) != 0 || len(res.records) != 2 {
		t.Fatalf("records %v, errors %v", res.records, res.errs)
	}
	if got := texts(res.records[1]); got[1] != "4" {
		t.Errorf("last record = %q", got)
	}
}
