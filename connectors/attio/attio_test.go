package attio

import (
	"reflect"
	"strings"
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
	if out.Line != in.Line {
		t.Errorf("Line = %d, want %d", out.Line, in.Line)
	}
	return out
}

func TestTransformIndexedVersions(t *testing.T) {
	in := connectors.Record{Line: 4, Fields: []connectors.Field{
		text("id.workspace_id", "w1"),
		text("id.record_id", "r1"),
		text("created_at", "2026-05-15T21:46:44.107000000Z"),
		text("values.name.0.active_from", "2026-05-15T21:46:44.107000000Z"),
		null("values.name.0.active_until"),
		text("values.name.0.created_by_actor.type", "app"),
		text("values.name.0.first_name", "Ada"),
		text("values.name.0.full_name", "Ada Example"),
		text("values.name.0.attribute_type", "personal-name"),
		// The first email was retired; the second is the active one.
		text("values.email_addresses.0.active_until", "2026-01-01T00:00:00Z"),
		text("values.email_addresses.0.email_address", "old@example.com"),
		null("values.email_addresses.1.active_until"),
		text("values.email_addresses.1.email_address", "ada@example.com"),
		text("values.email_addresses.1.email_domain", "example.com"),
		// Two active entries: the first one wins.
		null("values.email_addresses.2.active_until"),
		text("values.email_addresses.2.email_address", "ada@example.org"),
		// A plain value takes the attribute's own name.
		null("values.job_title.0.active_until"),
		text("values.job_title.0.value", "CTO"),
		text("values.job_title.0.attribute_type", "text"),
		text("web_url", "https://app.attio.com/x/person/r1"),
	}}
	want := []connectors.Field{
		text("id.workspace_id", "w1"),
		text("id.record_id", "r1"),
		text("created_at", "2026-05-15T21:46:44.107000000Z"),
		text("name.first_name", "Ada"),
		text("name.full_name", "Ada Example"),
		text("email_addresses.email_address", "ada@example.com"),
		text("email_addresses.email_domain", "example.com"),
		text("job_title", "CTO"),
		text("web_url", "https://app.attio.com/x/person/r1"),
	}
	if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
}

func TestTransformNoActiveVersionTakesLast(t *testing.T) {
	in := connectors.Record{Fields: []connectors.Field{
		text("values.job_title.0.active_until", "2025-01-01T00:00:00Z"),
		text("values.job_title.0.value", "Engineer"),
		text("values.job_title.1.active_until", "2026-01-01T00:00:00Z"),
		text("values.job_title.1.value", "CTO"),
	}}
	want := []connectors.Field{text("job_title", "CTO")}
	if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v, want %+v", got, want)
	}
}

func TestTransformJSONVersions(t *testing.T) {
	in := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("id.record_id", "r1"),
		text("values.name", `[{"active_from":"2026-05-15T21:46:44Z","active_until":null,"created_by_actor":{"type":"app","id":"a1"},"first_name":"Zo\u00eb","last_name":null,"full_name":"Zoë Example","attribute_type":"personal-name"}]`),
		text("values.email_addresses", `[{"active_until":"2026-01-01T00:00:00Z","email_address":"old@example.com"},{"active_until":null,"email_address":"zoe@example.com","tags":[1, 2]}]`),
		text("values.twitter_follower_count", `[{"active_until":null,"value":9007199254740993}]`),
		text("values.primary_location", `[{"active_until":null,"locality":"Köln","geo":{"lat":50.94,"verified":false}}]`),
		text("values.job_title", `[]`),
		null("values.company"),
	}}
	want := []connectors.Field{
		text("id.record_id", "r1"),
		text("name.first_name", "Zoë"),
		null("name.last_name"),
		text("name.full_name", "Zoë Example"),
		text("email_addresses.email_address", "zoe@example.com"),
		text("email_addresses.tags", "[1,2]"),
		text("twitter_follower_count", "9007199254740993"),
		text("primary_location.locality", "Köln"),
		text("primary_location.geo.lat", "50.94"),
		text("primary_location.geo.verified", "false"),
	}
	if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
}

func TestTransformRejectsInvalidJSONVersions(t *testing.T) {
	for _, value := range []string{`[{"value": "x"`, `{"value": "x"}`, `"x"`} {
		in := connectors.Record{Line: 6, Fields: []connectors.Field{text("values.job_title", value)}}
		_, keep, err := Transform(in)
		if err == nil {
			t.Errorf("values.job_title = %s: Transform succeeded, want an error", value)
			continue
		}
		if keep {
			t.Errorf("values.job_title = %s: keep = true with an error", value)
		}
		if !strings.Contains(err.Error(), `"values.job_title"`) {
			t.Errorf("error %q does not name the field", err)
		}
	}
}

func TestTransformKeepsPrefixOnCollision(t *testing.T) {
	in := connectors.Record{Fields: []connectors.Field{
		text("created_at", "2026-05-15T21:46:44Z"),
		null("values.created_at.0.active_until"),
		text("values.created_at.0.value", "2026-05-15T21:46:45Z"),
		text("values.web_url.0.value", "https://example.com/a"),
		text("web_url", "https://example.com/b"),
	}}
	want := []connectors.Field{
		text("created_at", "2026-05-15T21:46:44Z"),
		text("values.created_at", "2026-05-15T21:46:45Z"),
		text("values.web_url", "https://example.com/a"),
		text("web_url", "https://example.com/b"),
	}
	if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
}

func TestTransformScalarEntry(t *testing.T) {
	for _, in := range []connectors.Record{
		{Fields: []connectors.Field{text("values.tags.0", "vip")}},
		{Fields: []connectors.Field{text("values.tags", `["vip"]`)}},
	} {
		want := []connectors.Field{text("tags", "vip")}
		if got := transform(t, in).Fields; !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: fields = %+v, want %+v", in.Fields, got, want)
		}
	}
}

func TestTransformRejectsNonIndexPath(t *testing.T) {
	in := connectors.Record{Fields: []connectors.Field{text("values.name.first.full_name", "x")}}
	if _, _, err := Transform(in); err == nil {
		t.Error("Transform succeeded on values.name.first.full_name, want an error")
	}
}
