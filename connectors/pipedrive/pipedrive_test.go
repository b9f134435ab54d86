package pipedrive

import (
	"reflect"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func text(name, value string) connectors.Field { return connectors.Field{Name: name, Text: value} }
func null(name string) connectors.Field        { return connectors.Field{Name: name, Null: true} }

func TestTransformUnwrapsPersons(t *testing.T) {
	in := connectors.Record{Line: 12, Fields: []connectors.Field{
		text("stream", "persons"),
		text("data.id", "5"),
		text("data.name", "Ada Example"),
		text("data.email.0.label", "work"),
		text("data.email.0.value", "ada@example.com"),
		text("data.email.0.primary", "true"),
		text("data.email.1.value", "ada.home@example.net"),
		null("data.picture_id"),
		text("data.org_name", "Example Corp"),
		text("emitted_at", "1683115315035"),
	}}
	out, keep, err := Transform(in)
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	if !keep {
		t.Fatal("Transform skipped a persons line")
	}
	want := connectors.Record{Line: 12, Fields: []connectors.Field{
		text("id", "5"),
		text("name", "Ada Example"),
		text("email.0.label", "work"),
		text("email.0.value", "ada@example.com"),
		text("email.0.primary", "true"),
		text("email.1.value", "ada.home@example.net"),
		null("picture_id"),
		text("org_name", "Example Corp"),
	}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("record = %+v\nwant %+v", out, want)
	}
}

func TestTransformSkipsOtherStreams(t *testing.T) {
	for _, stream := range []connectors.Field{text("stream", "deals"), text("stream", "person_fields"), null("stream")} {
		in := connectors.Record{Line: 1, Fields: []connectors.Field{stream, text("data.id", "1")}}
		_, keep, err := Transform(in)
		if err != nil {
			t.Errorf("stream %+v: Transform: %v", stream, err)
		}
		if keep {
			t.Errorf("stream %+v: record kept, want it skipped", stream)
		}
	}
}

func TestTransformPassesPlainPersons(t *testing.T) {
	// A record from a v1 API response has no Airbyte envelope.
	in := connectors.Record{Line: 4, Fields: []connectors.Field{
		text("id", "5"),
		text("name", "Ada Example"),
		text("email", `[{"label":"work","value":"ada@example.com","primary":true}]`),
	}}
	out, keep, err := Transform(in)
	if err != nil || !keep {
		t.Fatalf("Transform = keep %v, error %v; want the record kept", keep, err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("record = %+v\nwant it unchanged %+v", out, in)
	}
}
