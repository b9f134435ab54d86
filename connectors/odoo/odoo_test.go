package odoo

import (
	"reflect"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func text(name, value string) connectors.Field { return connectors.Field{Name: name, Text: value} }
func null(name string) connectors.Field        { return connectors.Field{Name: name, Null: true} }

func transform(t *testing.T, in connectors.Record) connectors.Record {
	t.Helper()
	out, keep, err := Transform(in)
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	if !keep {
		t.Fatal("Transform skipped the record, want it kept")
	}
	return out
}

func TestTransformFalseBecomesNull(t *testing.T) {
	in := connectors.Record{Line: 8, Fields: []connectors.Field{
		text("id", "4"),
		text("partner_name", "false"),
		text("active", "false"),
		text("probability", "0"),
		text("description", "False"),
		text("name", ""),
		null("email_from"),
	}}
	want := connectors.Record{Line: 8, Fields: []connectors.Field{
		text("id", "4"),
		null("partner_name"),
		null("active"),
		text("probability", "0"),
		text("description", "False"),
		text("name", ""),
		null("email_from"),
	}}
	if got := transform(t, in); !reflect.DeepEqual(got, want) {
		t.Errorf("record = %+v\nwant %+v", got, want)
	}
}

func TestTransformIndexedMany2one(t *testing.T) {
	in := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("id", "1"),
		text("stage_id.0", "1"),
		text("stage_id.1", "New"),
		// Two ids: a many2many list, not a pair.
		text("tag_ids.0", "3"),
		text("tag_ids.1", "5"),
		// Three entries: not a pair.
		text("triple.0", "1"),
		text("triple.1", "a"),
		text("triple.2", "b"),
		// An empty many2one is false, which becomes null.
		text("user_id", "false"),
	}}
	want := []connectors.Field{
		text("id", "1"),
		text("stage_id.id", "1"),
		text("stage_id.name", "New"),
		text("tag_ids.0", "3"),
		text("tag_ids.1", "5"),
		text("triple.0", "1"),
		text("triple.1", "a"),
		text("triple.2", "b"),
		null("user_id"),
	}
	if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
}

func TestTransformJSONMany2one(t *testing.T) {
	in := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("stage_id", `[1,"New \"lead\""]`),
		text("tag_ids", `[3, 5]`),
		text("name_first", `["x", 1]`),
		text("broken", `[1, "New"`),
	}}
	want := []connectors.Field{
		text("stage_id.id", "1"),
		text("stage_id.name", `New "lead"`),
		text("tag_ids", `[3, 5]`),
		text("name_first", `["x", 1]`),
		text("broken", `[1, "New"`),
	}
	if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
}
