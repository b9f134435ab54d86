package sinks

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConvertValid(t *testing.T) {
	ts := time.Date(2024, 1, 10, 8, 30, 15, 234000000, time.UTC)
	tests := []struct {
		kind, elem Kind
		text       string
		want       any
	}{
		{String, "", "  keep spaces  ", "  keep spaces  "},
		{String, "", "", ""},
		{Int, "", "42", int64(42)},
		{Int, "", "-7", int64(-7)},
		{Int, "", "+7", int64(7)},
		{Int, "", " 42 ", int64(42)},
		{Int, "", "42.0", int64(42)},
		{Int, "", "1e3", int64(1000)},
		{Int, "", "9.9213206E7", int64(99213206)},
		{Int, "", "9223372036854775807", int64(9223372036854775807)},
		{Int, "", "1234567890123456789", int64(1234567890123456789)},
		{Int, "", "", nil},
		{Int, "", "   ", nil},
		{Float, "", "12.5", 12.5},
		{Float, "", "-1e-3", -0.001},
		{Float, "", "3", 3.0},
		{Bool, "", "true", true},
		{Bool, "", "True", true},
		{Bool, "", "FALSE", false},
		{Bool, "", "1", true},
		{Bool, "", "0", false},
		{List, String, `["a", "b"]`, []any{"a", "b"}},
		{List, String, `[1, true, null]`, []any{"1", "true", nil}},
		{List, Int, `[1, "2", 3.0]`, []any{int64(1), int64(2), int64(3)}},
		{List, Int, `[9007199254740993]`, []any{int64(9007199254740993)}},
		{List, Float, `[0.5]`, []any{0.5}},
		{List, Bool, `[true, false]`, []any{true, false}},
		{List, "", `[]`, []any{}},
		{List, JSON, `[{"a": 1}]`, []any{`{"a": 1}`}},
		{JSON, "", `{"employees": "50-100"}`, `{"employees": "50-100"}`},
		{Timestamp, "", "2024-01-10T08:30:15.234Z", ts},
		{Timestamp, "", "2024-01-10T09:30:15.234+01:00", ts},
	}
	for _, tt := range tests {
		got, err := Convert(tt.kind, tt.elem, tt.text)
		if err != nil {
			t.Errorf("Convert(%s, %s, %q): unexpected error %v", tt.kind, tt.elem, tt.text, err)
			continue
		}
		if tm, ok := got.(time.Time); ok {
			if !tm.Equal(tt.want.(time.Time)) || tm.Location() != time.UTC {
				t.Errorf("Convert(%s, %q) = %v, want %v in UTC", tt.kind, tt.text, tm, tt.want)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Convert(%s, %s, %q) = %#v, want %#v", tt.kind, tt.elem, tt.text, got, tt.want)
		}
	}
}

func TestConvertInvalid(t *testing.T) {
	tests := []struct {
		kind, elem Kind
		text       string
	}{
		{Int, "", "50-100"},
		{Int, "", "42.5"},
		{Int, "", "1,200"},
		{Int, "", "0x10"},
		{Int, "", "1_000"},
		{Int, "", "9223372036854775808"},
		{Int, "", "1e30"},
		{Int, "", "12 employees"},
		{Int, "", "NaN"},
		{Int, "", "1/2"},
		{Float, "", "Inf"},
		{Float, "", "NaN"},
		{Float, "", "1e400"},
		{Float, "", "0x1p3"},
		{Float, "", "1.234.567,89"},
		{Float, "", "unknown"},
		{Bool, "", "yes"},
		{Bool, "", "2"},
		{List, String, "a;b"},
		{List, String, `["a"`},
		{List, String, `{"a": 1}`},
		{List, Int, `[1, "x"]`},
		{List, List, `[[1]]`},
		{JSON, "", `[1, 2]`},
		{JSON, "", `{"a": }`},
		{JSON, "", "plain text"},
		{Timestamp, "", "2024-01-10T08:30:15"},
		{Timestamp, "", "2024-01-10"},
		{Timestamp, "", "01/10/2024"},
		{Kind("money"), "", "12"},
	}
	for _, tt := range tests {
		got, err := Convert(tt.kind, tt.elem, tt.text)
		if err == nil {
			t.Errorf("Convert(%s, %s, %q) = %#v, want an error", tt.kind, tt.elem, tt.text, got)
		}
	}
}

func TestConvertErrorQuotesValue(t *testing.T) {
	_, err := Convert(Int, "", "50-100")
	if err == nil || !strings.Contains(err.Error(), `"50-100"`) {
		t.Fatalf("error %v does not quote the value", err)
	}
	long := strings.Repeat("x", 100_000)
	_, err = Convert(Int, "", long)
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("error for a 100 KB value is %d bytes long, want it cut short", len(err.Error()))
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in         string
		kind, elem Kind
	}{
		{"str", String, ""},
		{"string", String, ""},
		{"int", Int, ""},
		{"integer", Int, ""},
		{"float", Float, ""},
		{"bool", Bool, ""},
		{"boolean", Bool, ""},
		{"dict", JSON, ""},
		{"timestamp", Timestamp, ""},
		{"list", List, String},
		{"list[str]", List, String},
		{"list[int]", List, Int},
		{"list[float]", List, Float},
		{"list[bool]", List, Bool},
		{"list[boolean]", List, Bool},
		{"list[dict]", List, JSON},
		{" List[ Integer ] ", List, Int},
	}
	for _, tt := range tests {
		kind, elem, err := ParseKind(tt.in)
		if err != nil {
			t.Errorf("ParseKind(%q): unexpected error %v", tt.in, err)
			continue
		}
		if kind != tt.kind || elem != tt.elem {
			t.Errorf("ParseKind(%q) = %s, %s; want %s, %s", tt.in, kind, elem, tt.kind, tt.elem)
		}
	}
	for _, bad := range []string{"", "number", "list[list[int]]", "list[", "list[money]", "lists", "enum"} {
		if _, _, err := ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q): want an error", bad)
		}
	}
}

// numberGrammar is the JSON number grammar with an optional leading '+',
// the definition that isNumber implements by hand.
var numberGrammar = regexp.MustCompile(`^[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func TestIsNumberMatchesGrammar(t *testing.T) {
	// Every string of up to four bytes over an alphabet that covers each
	// branch of the grammar, plus longer cases.
	alphabet := []byte("+-0159.eEx ")
	texts := []string{"", "9.9213206E7", "-0.001", "1e+30", "1E-3", "00", "01", "1.", ".5", "1e", "1e+", "+-1", "１２"}
	var grow func(prefix []byte)
	grow = func(prefix []byte) {
		texts = append(texts, string(prefix))
		if len(prefix) == 4 {
			return
		}
		for _, b := range alphabet {
			grow(append(prefix, b))
		}
	}
	grow(nil)

	for _, text := range texts {
		if got, want := isNumber(text), numberGrammar.MatchString(text); got != want {
			t.Errorf("isNumber(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestTypedConvertersMatchConvert(t *testing.T) {
	texts := []string{"", "  ", "42", " 42 ", "42.0", "1e3", "42.5", "x", "-0.25", "1e400", "True", "0", "yes",
		"2024-01-10T09:30:15.234+01:00", "2024-01-10", `{"a": 1}`, ` {"a": 1} `, "[1]", "{"}
	for _, text := range texts {
		want, wantErr := Convert(Int, "", text)
		n, null, err := ConvertInt(text)
		checkTyped(t, Int, text, want, wantErr, n, null, err)

		want, wantErr = Convert(Float, "", text)
		f, null, err := ConvertFloat(text)
		checkTyped(t, Float, text, want, wantErr, f, null, err)

		want, wantErr = Convert(Bool, "", text)
		b, null, err := ConvertBool(text)
		checkTyped(t, Bool, text, want, wantErr, b, null, err)

		want, wantErr = Convert(Timestamp, "", text)
		ts, null, err := ConvertTimestamp(text)
		checkTyped(t, Timestamp, text, want, wantErr, ts, null, err)

		want, wantErr = Convert(JSON, "", text)
		object, null, err := ConvertDict(text)
		checkTyped(t, JSON, text, want, wantErr, object, null, err)
	}
}

// checkTyped compares a typed converter's result with Convert's.
func checkTyped(t *testing.T, kind Kind, text string, want any, wantErr error, got any, null bool, err error) {
	t.Helper()
	if (err != nil) != (wantErr != nil) {
		t.Errorf("%s %q: error %v, Convert's error %v", kind, text, err, wantErr)
		return
	}
	if err != nil {
		return
	}
	if null != (want == nil) {
		t.Errorf("%s %q: null = %v, Convert returned %#v", kind, text, null, want)
		return
	}
	if !null && !reflect.DeepEqual(got, want) {
		t.Errorf("%s %q: got %#v, Convert returned %#v", kind, text, got, want)
	}
}
