package csv_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/csv"
)

func TestReuseFieldsSharesOneSlice(t *testing.T) {
	input := "a,b\n1,2\n3,\n"
	r, err := csv.NewReader(strings.NewReader(input), "test.csv", csv.Options{ReuseFields: true})
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	firstTexts := texts(first)
	second, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if &first.Fields[0] != &second.Fields[0] {
		t.Error("with ReuseFields, two records have different Fields arrays; want one reused array")
	}
	if want := []string{"1", "2"}; !slices.Equal(firstTexts, want) {
		t.Errorf("first record = %v, want %v", firstTexts, want)
	}
	if got, want := texts(second), []string{"3", "<null>"}; !slices.Equal(got, want) {
		t.Errorf("second record = %v, want %v", got, want)
	}
}

func TestFieldsNotReusedByDefault(t *testing.T) {
	_, res := readAll(t, "a,b\n1,2\n3,4\n5,6\n", csv.Options{})
	if len(res.records) != 3 {
		t.Fatalf("got %d records, want 3", len(res.records))
	}
	for i, want := range [][]string{{"1", "2"}, {"3", "4"}, {"5", "6"}} {
		if got := texts(res.records[i]); !slices.Equal(got, want) {
			t.Errorf("record %d = %v after reading the rest, want %v", i+1, got, want)
		}
	}
	// Records cut from one allocation must not reach into each other.
	grown := append(res.records[0].Fields, connectors.Field{Name: "extra", Text: "x"})
	if got := texts(res.records[1]); !slices.Equal(got, []string{"3", "4"}) {
		t.Errorf("appending to record 1 changed record 2 to %v", got)
	}
	if len(grown) != 3 {
		t.Errorf("grown record has %d fields, want 3", len(grown))
	}
}

// Valid records pass a single check over the record text; a bad one must
// still name the exact line and column.
func TestTextErrorsNameColumn(t *testing.T) {
	input := "a,b,c\n" +
		"Zoë,\"東京\r\n\"\"x\"\"\",🚀\n" + // valid multi-byte text, CRLF and "" in quotes
		"ok,\"multi\nline\",bad \xe6\x9d\n" + // truncated 3-byte sequence in column 3
		"ok,fine,\"nul \x00\"\n" +
		"last,row,\xc3\xa9\n"
	_, res := readAll(t, input, csv.Options{})
	if len(res.records) != 2 {
		t.Fatalf("got %d records, want 2: %v", len(res.records), res.records)
	}
	if got, want := texts(res.records[0]), []string{"Zoë", "東京\n\"x\"", "🚀"}; !slices.Equal(got, want) {
		t.Errorf("record 1 = %q, want %q", got, want)
	}
	if got, want := res.records[1].Line, 7; got != want {
		t.Errorf("last record at line %d, want %d", got, want)
	}
	want := []struct {
		kind    connectors.ErrorKind
		message string
		column  int
	}{
		{connectors.KindInvalidUTF8, `test.csv:4: column 3 "c": invalid UTF-8 byte 0xE6`, 3},
		{connectors.KindNULByte, `test.csv:6: column 3 "c": NUL byte`, 3},
	}
	if len(res.errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(res.errs), len(want), res.errs)
	}
	for i, w := range want {
		pe, _ := connectors.AsParseError(res.errs[i])
		if pe == nil {
			t.Fatalf("error %d = %v, want a *connectors.ParseError", i+1, res.errs[i])
		}
		if pe.Kind != w.kind || pe.Column != w.column {
			t.Errorf("error %d kind %s column %d, want %s column %d", i+1, pe.Kind, pe.Column, w.kind, w.column)
		}
		if !strings.Contains(pe.Error(), w.message) {
			t.Errorf("error %d = %q, want it to contain %q", i+1, pe.Error(), w.message)
		}
	}
}
