package dynamics

import (
	"reflect"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func text(name, value string) connectors.Field { return connectors.Field{Name: name, Text: value} }

func TestTransformMovesHiddenColumnsFirst(t *testing.T) {
	// The hidden columns are out of place here on purpose, and their values
	// carry characters a normaliser might touch.
	in := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("Full Name", "Ada Example"),
		text("(Do Not Modify) Account", "5e3b1c2a-0000-4000-8000-000000000001"),
		text("Email", "ada@example.com"),
		text("(Do Not Modify) Row Checksum", " AbCdEfGh1234+/xyZ== "),
		text("(Do Not Modify) Modified On", "2024-01-10T08:30:15"),
		{Name: "Company Name", Null: true},
	}}
	out, keep, err := Transform(in)
	if err != nil || !keep {
		t.Fatalf("Transform = keep %v, error %v; want the record kept", keep, err)
	}
	want := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("(Do Not Modify) Account", "5e3b1c2a-0000-4000-8000-000000000001"),
		text("(Do Not Modify) Row Checksum", " AbCdEfGh1234+/xyZ== "),
		text("(Do Not Modify) Modified On", "2024-01-10T08:30:15"),
		text("Full Name", "Ada Example"),
		text("Email", "ada@example.com"),
		{Name: "Company Name", Null: true},
	}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("record = %+v\nwant %+v", out, want)
	}
}

func TestFindKeyByPrefix(t *testing.T) {
	tests := []struct {
		columns []string
		want    string
	}{
		{[]string{"(Do Not Modify) Contact", "(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On", "Full Name"}, "(Do Not Modify) Contact"},
		{[]string{"(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On", "(Do Not Modify) Opportunity"}, "(Do Not Modify) Opportunity"},
		{[]string{"(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On"}, ""},
		{[]string{"src_name", "src_parent", "src_addresstype"}, ""},
		// The prefix is matched exactly, with its single space.
		{[]string{"(Do Not Modify)Contact", "Do Not Modify Contact"}, ""},
	}
	for _, tt := range tests {
		if got := FindKey(tt.columns); got != tt.want {
			t.Errorf("FindKey(%q) = %q, want %q", tt.columns, got, tt.want)
		}
	}
}
