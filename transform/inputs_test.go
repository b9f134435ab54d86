package transform

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func record(fields ...connectors.Field) connectors.Record {
	return connectors.Record{Line: 2, Fields: fields}
}

func field(name, text string) connectors.Field { return connectors.Field{Name: name, Text: text} }

func nullField(name string) connectors.Field { return connectors.Field{Name: name, Null: true} }

func TestParseInputTemplates(t *testing.T) {
	rec := record(field("FirstName", "Ada"), field("LastName", "Example"), nullField("City"), field("Country", "UK"), field("Empty", ""))
	tests := []struct {
		spec     string
		want     string
		wantNull bool
		columns  []string
	}{
		{spec: "FirstName", want: "Ada", columns: []string{"FirstName"}},
		{spec: "Empty", want: "", columns: []string{"Empty"}},
		{spec: "City", wantNull: true, columns: []string{"City"}},
		{spec: "Missing", wantNull: true, columns: []string{"Missing"}},
		{spec: "{FirstName} {LastName}", want: "Ada Example", columns: []string{"FirstName", "LastName"}},
		// A null placeholder becomes nothing and the result is trimmed.
		{spec: "{City} {LastName}", want: "Example", columns: []string{"City", "LastName"}},
		// A separator is written only between two placeholders with values,
		// taken from the text after the first of them.
		{spec: "{City}, {Country}", want: "UK", columns: []string{"City", "Country"}},
		{spec: "{FirstName}, {City}, {Country}", want: "Ada, UK", columns: []string{"FirstName", "City", "Country"}},
		{spec: "{City}, {FirstName} ({Missing})", want: "Ada", columns: []string{"City", "FirstName", "Missing"}},
		{spec: "{FirstName} ({Country})", want: "Ada (UK)", columns: []string{"FirstName", "Country"}},
		{spec: "Name: {City}{FirstName}", want: "Name: Ada", columns: []string{"City", "FirstName"}},
		// Every placeholder null: the value is null, not the literal text.
		{spec: "{City} / {Missing}", wantNull: true, columns: []string{"City", "Missing"}},
		// {{ and }} are literal braces.
		{spec: "{{{FirstName}}}", want: "{Ada}", columns: []string{"FirstName"}},
		{spec: "{{x}} {LastName}", want: "{x} Example", columns: []string{"LastName"}},
		// A column name with spaces inside a placeholder.
		{spec: "Dr. {LastName}", want: "Dr. Example", columns: []string{"LastName"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			in, err := ParseInput("x", tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in.Columns(), tt.columns) {
				t.Errorf("Columns() = %q, want %q", in.Columns(), tt.columns)
			}
			got, ok := in.Value(rec.Get)
			if ok == tt.wantNull {
				t.Fatalf("Value() = %q, %v; want null %v", got, ok, tt.wantNull)
			}
			if got != tt.want {
				t.Errorf("Value() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseInputErrors(t *testing.T) {
	tests := []struct{ spec, fragment string }{
		{"{FirstName", "unclosed {"},
		{"{}", "empty {}"},
		{"a } b", "unmatched }"},
		{"{A} }", "unmatched }"},
	}
	for _, tt := range tests {
		_, err := ParseInput("full_name", tt.spec)
		if err == nil {
			t.Errorf("ParseInput(%q) accepted, want an error", tt.spec)
			continue
		}
		if !strings.Contains(err.Error(), tt.fragment) || !strings.Contains(err.Error(), "full_name") {
			t.Errorf("ParseInput(%q) error %q, want it to name the input and say %q", tt.spec, err, tt.fragment)
		}
	}
}
