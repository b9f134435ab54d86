package hubspot

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func text(name, value string) connectors.Field { return connectors.Field{Name: name, Text: value} }
func null(name string) connectors.Field        { return connectors.Field{Name: name, Null: true} }

func TestTransformAPIRecord(t *testing.T) {
	in := connectors.Record{Line: 3, Fields: []connectors.Field{
		text("id", "101"),
		text("properties.email", "ada@example.com"),
		text("properties.firstname", "Ada"),
		null("properties.company"),
		text("properties.hs_object_id", "101"),
		text("createdAt", "2024-01-10T08:30:15.234Z"),
		text("updatedAt", "2024-01-15T14:22:10.456Z"),
		text("archived", "false"),
		text("associations.companies.results.0.id", "7"),
	}}
	out, keep, err := Transform(in)
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	if !keep {
		t.Fatal("Transform skipped the record, want it kept")
	}
	want := connectors.Record{Line: 3, Fields: []connectors.Field{
		text("id", "101"),
		text("email", "ada@example.com"),
		text("firstname", "Ada"),
		null("company"),
		text("hs_object_id", "101"),
		text("createdAt", "2024-01-10T08:30:15.234Z"),
		text("updatedAt", "2024-01-15T14:22:10.456Z"),
		text("archived", "false"),
		text("associations.companies.results.0.id", "7"),
	}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("record = %+v\nwant %+v", out, want)
	}
}

func TestTransformLabelCSVUnchanged(t *testing.T) {
	in := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("Record ID", "101"),
		text("First Name", "Ada"),
		null("Email"),
	}}
	out, keep, err := Transform(in)
	if err != nil || !keep {
		t.Fatalf("Transform = keep %v, error %v; want the record kept", keep, err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("record = %+v, want it unchanged %+v", out, in)
	}
}

func TestTransformRejectsNameCollision(t *testing.T) {
	in := connectors.Record{Line: 4, Fields: []connectors.Field{
		text("id", "101"),
		text("properties.id", "other"),
	}}
	_, keep, err := Transform(in)
	if err == nil {
		t.Fatal("Transform succeeded, want an error for properties.id next to id")
	}
	if keep {
		t.Error("keep = true with an error")
	}
	if !strings.Contains(err.Error(), `"properties.id"`) {
		t.Errorf("error %q does not name the field", err)
	}
}

func TestFindKeyByShape(t *testing.T) {
	tests := []struct {
		columns []string
		want    string
	}{
		{[]string{"hs_object_id", "email", "id"}, "id"},
		{[]string{"First Name", "Record ID"}, "Record ID"},
		{[]string{"firstname", "hs_object_id"}, "hs_object_id"},
		{[]string{"firstname", "email"}, ""},
	}
	for _, tt := range tests {
		if got := FindKey(tt.columns); got != tt.want {
			t.Errorf("FindKey(%q) = %q, want %q", tt.columns, got, tt.want)
		}
	}
}
