package json_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/json"
)

func flat(fields []connectors.Field) string {
	var parts []string
	for _, f := range fields {
		if f.Null {
			parts = append(parts, f.Name+"=<null>")
		} else {
			parts = append(parts, f.Name+"="+f.Text)
		}
	}
	return strings.Join(parts, " | ")
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name  string
		input string
		mode  json.ArrayMode
		want  string
	}{
		{"scalars keep their text", `{"n": 9007199254740993, "f": 1.50e3, "t": true, "b": false, "z": null, "s": "x"}`, json.ArraysIndex,
			"n=9007199254740993 | f=1.50e3 | t=true | b=false | z=<null> | s=x"},
		{"strings are unescaped", `{"s": "a\"b\\c\/d\n\u00e9\ud83d\ude00"}`, json.ArraysIndex, "s=a\"b\\c/d\né😀"},
		{"nested objects get dotted names", `{"properties": {"email": "a@example.com", "deep": {"x": 1}}}`, json.ArraysIndex,
			"properties.email=a@example.com | properties.deep.x=1"},
		{"arrays by index", `{"email": [{"value": "a", "primary": true}, {"value": "b"}], "tags": ["x", "y"]}`, json.ArraysIndex,
			"email.0.value=a | email.0.primary=true | email.1.value=b | tags.0=x | tags.1=y"},
		{"empty containers produce no field", `{"a": {}, "b": [], "c": 1}`, json.ArraysIndex, "c=1"},
		{"arrays as JSON text", `{"tags": [ "x" , {"k": 1.0} ], "e": []}`, json.ArraysJSON, `tags=["x",{"k":1.0}] | e=[]`},
		{"nested arrays", `{"m": [[1, 2], [3]]}`, json.ArraysIndex, "m.0.0=1 | m.0.1=2 | m.1.0=3"},
		{"empty key", `{"": "v", "o": {"": 1}}`, json.ArraysIndex, "=v | o.=1"},
		{"white space everywhere", " {\n\t\"a\" :\r\n \"b\" , \"c\":[ ] } ", json.ArraysIndex, "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, err := json.Flatten([]byte(tt.input), tt.mode, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := flat(fields); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFlattenErrors(t *testing.T) {
	tests := []struct {
		input string
		kind  connectors.ErrorKind
		want  string
	}{
		{`[1, 2]`, connectors.KindNotRecord, "expected a JSON object, found an array"},
		{`"text"`, connectors.KindNotRecord, "found a string"},
		{`42`, connectors.KindNotRecord, "found a number"},
		{"{\"a\": \"Zo\xeb\"}", connectors.KindInvalidUTF8, `field "a": invalid UTF-8 byte 0xEB`},
		{"{\"Zo\xeb\": 1}", connectors.KindInvalidUTF8, "invalid UTF-8 byte 0xEB"},
		{`{"a": 1, "a": 2}`, connectors.KindDuplicateKey, `duplicate field "a"`},
		{`{"a.b": 1, "a": {"b": 2}}`, connectors.KindDuplicateKey, `duplicate field "a.b"`},
		{`{"a": {"b": "x\u0000y"}}`, connectors.KindNULByte, `field "a.b": \u0000 escape (NUL character)`},
		{`{"a\u0000": 1}`, connectors.KindNULByte, `a key: \u0000 escape`},
	}
	for _, tt := range tests {
		_, err := json.Flatten([]byte(tt.input), json.ArraysIndex, nil)
		var fe *json.FlattenError
		if !errors.As(err, &fe) || fe.Kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Flatten(%q) error = %v, want %s %q", tt.input, err, tt.kind, tt.want)
		}
	}
}

func TestParsePointer(t *testing.T) {
	got, err := json.ParsePointer("/api/get/~1crm~1v3~1objects~1contacts/response/results/~0x")
	want := []string{"api", "get", "/crm/v3/objects/contacts", "response", "results", "~x"}
	if err != nil || strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"results", "/a~2", "/a~"} {
		if _, err := json.ParsePointer(bad); err == nil {
			t.Errorf("ParsePointer(%q) accepted", bad)
		}
	}
}

// readAll reads input to the end, going on after recoverable errors.
func readAll(t *testing.T, input string, opts json.Options) (*json.Reader, []connectors.Record, []error) {
	t.Helper()
	r, err := json.NewReader(strings.NewReader(input), "test.json", opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var records []connectors.Record
	var errs []error
	for i := 0; i <= len(input)+1; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, records, errs
		}
		if err != nil {
			errs = append(errs, err)
			if pe, ok := connectors.AsParseError(err); !ok || !pe.Recoverable {
				return r, records, errs
			}
			continue
		}
		records = append(records, rec)
	}
	t.Fatal("reader did not reach io.EOF")
	return nil, nil, nil
}

func TestReaderTopLevelArray(t *testing.T) {
	input := "[\n  {\"id\": 1},\n  42,\n  {\"id\": 2,\n   \"x\": null}\n]\n"
	_, records, errs := readAll(t, input, json.Options{})
	if len(records) != 2 || records[0].Line != 2 || records[1].Line != 4 {
		t.Fatalf("records = %v; want lines 2 and 4", records)
	}
	if len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	pe, _ := connectors.AsParseError(errs[0])
	if pe == nil || pe.Kind != connectors.KindNotRecord || !pe.Recoverable || pe.Line != 3 || pe.Raw != "42" {
		t.Errorf("error = %+v, want recoverable not_a_record at line 3", pe)
	}
}

func TestReaderRecordsPath(t *testing.T) {
	input := `{
  "meta": {"count": 2, "ok": true, "list": [1, 2], "none": null},
  "data": [{"skip": 1}, {"items": [{"id": "a"}, {"id": "b"}], "after": "x"}],
  "paging": {"next": {"after": "103"}},
  "a/b": "slash"
}`
	r, records, errs := readAll(t, input, json.Options{RecordsPath: "/data/1/items"})
	if len(errs) != 0 || len(records) != 2 {
		t.Fatalf("records %v, errors %v", records, errs)
	}
	if records[0].Fields[0].Text != "a" || records[0].Line != 3 {
		t.Errorf("record 1 = %+v", records[0])
	}
	env := r.Envelope()
	want := map[string]string{"/meta/count": "2", "/meta/ok": "true", "/data/1/after": "x", "/paging/next/after": "103", "/a~1b": "slash"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("envelope[%s] = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"/meta/list/0", "/meta/none", "/data/0/skip"} {
		if _, ok := env[k]; ok {
			t.Errorf("envelope has %s; values inside other arrays and nulls are left out", k)
		}
	}
	if len(env) != len(want) {
		t.Errorf("envelope = %v", env)
	}
}

func TestReaderRecordsPathErrors(t *testing.T) {
	tests := []struct {
		input, path, want string
	}{
		{`{"a": 1, "b": [1]}`, "/results", `records_path "/results": no key "results" in the object at "(document root)" (keys: "a", "b")`},
		{`{"a": {"b": 1}}`, "/a/b", `the value at "/a/b" is a number, not an array of records`},
		{`{"a": "text"}`, "/a/b", `the value at "/a" is a string, so it has no member "b"`},
		{`{"a": [[{}]]}`, "/a/3", `the array at "/a" has only 1 elements`},
		{`{"a": [[{}]]}`, "/a/x", `"x" is not an array index`},
		{`{"x": {"rows": [{"id": 1}]}, "y": [{"id": 2}], "z": [1]}`, "", "set source.records_path to one of: /x/rows, /y"},
		{`"just text"`, "", `the value at "(document root)" is a string, not an array of records`},
	}
	for _, tt := range tests {
		_, err := json.NewReader(strings.NewReader(tt.input), "test.json", json.Options{RecordsPath: tt.path})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewReader(%s, %q) error = %v, want %q", tt.input, tt.path, err, tt.want)
		}
	}
}

func TestReaderFatalErrors(t *testing.T) {
	tests := []struct {
		name, input string
		kind        connectors.ErrorKind
		line        int
		want        string
	}{
		{"truncated inside a record", "[\n{\"id\": 1},\n{\"id\": \"2", connectors.KindTruncated, 3, "test.json:3: unexpected end of JSON input (file looks truncated)"},
		{"truncated after a comma", "[\n{\"id\": 1},\n", connectors.KindTruncated, 2, "file looks truncated"},
		{"truncated envelope", "{\"r\": [{\"id\": 1}],\n \"paging\": {", connectors.KindTruncated, 2, "file looks truncated"},
		{"syntax error", "[\n{\"id\": 1},\n{\"id\" 2}\n]", connectors.KindInvalidJSON, 3, "invalid JSON: invalid character '2' after object key"},
		{"trailing document", "[{\"id\": 1}]\n[{\"id\": 2}]", connectors.KindInvalidJSON, 2, "more than one JSON document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if strings.HasPrefix(tt.input, "{") {
				path = "/r"
			}
			_, records, errs := readAll(t, tt.input, json.Options{RecordsPath: path})
			if len(records) != 1 || len(errs) != 1 {
				t.Fatalf("records %v, errors %v; want 1 record, then the error", records, errs)
			}
			pe, _ := connectors.AsParseError(errs[0])
			if pe == nil || pe.Kind != tt.kind || pe.Recoverable || pe.Line != tt.line || !strings.Contains(pe.Error(), tt.want) {
				t.Errorf("error = %v (%+v), want fatal %s at line %d: %q", errs[0], pe, tt.kind, tt.line, tt.want)
			}
		})
	}
}

func TestReaderEmptyInput(t *testing.T) {
	for _, input := range []string{"", "  \n"} {
		_, err := json.NewReader(strings.NewReader(input), "test.json", json.Options{})
		if err == nil || !strings.Contains(err.Error(), "test.json") {
			t.Errorf("NewReader(%q) error = %v", input, err)
		}
	}
	_, records, errs := readAll(t, "[]", json.Options{})
	if len(records) != 0 || len(errs) != 0 {
		t.Errorf("empty array: records %v, errors %v", records, errs)
	}
}

func TestReaderMaxRecordBytes(t *testing.T) {
	input := `[{"id": 1}, {"notes": "` + strings.Repeat("x", 500) + `"}, {"id": 3}]`
	_, records, errs := readAll(t, input, json.Options{MaxRecordBytes: 100})
	if len(records) != 1 || len(errs) != 1 {
		t.Fatalf("records %v, errors %v", records, errs)
	}
	pe, _ := connectors.AsParseError(errs[0])
	if pe == nil || pe.Kind != connectors.KindRecordTooLarge || pe.Recoverable {
		t.Errorf("error = %+v, want fatal record_too_large", pe)
	}
}
