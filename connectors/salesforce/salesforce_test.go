package salesforce

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
	if out.Line != in.Line {
		t.Errorf("Line = %d, want %d", out.Line, in.Line)
	}
	return out
}

func TestTransformTreeRecord(t *testing.T) {
	in := connectors.Record{Line: 3, Fields: []connectors.Field{
		text("attributes.type", "Contact"),
		text("attributes.referenceId", "ContactRef1"),
		text("FirstName", "Ada"),
		text("AccountId", "@AccountRef1"),
	}}
	got := transform(t, in).Fields
	want := []connectors.Field{
		text("referenceId", "ContactRef1"),
		text("FirstName", "Ada"),
		text("AccountId", "@AccountRef1"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
	if key := FindKey(names(got)); key != ReferenceKey {
		t.Errorf("FindKey = %q, want %q", key, ReferenceKey)
	}
}

func TestTransformRESTRecord(t *testing.T) {
	in := connectors.Record{Line: 7, Fields: []connectors.Field{
		text("attributes.type", "Contact"),
		text("attributes.url", "/services/data/v59.0/sobjects/Contact/0035g00000AbCdEAAV"),
		text("Id", "0035g00000AbCdEAAV"),
		text("AccountId", "0015g00000XyZaB"),
		text("Account.attributes.type", "Account"),
		text("Account.attributes.url", "/services/data/v59.0/sobjects/Account/0015g00000XyZaBAAV"),
		text("Account.Name", "Example Corp"),
		null("OwnerId"),
		null("MailingCity"),
	}}
	got := transform(t, in).Fields
	want := []connectors.Field{
		text("Id", "0035g00000AbCdEAAV"),
		text("AccountId", "0015g00000XyZaBAAV"),
		text("Account.Name", "Example Corp"),
		null("OwnerId"),
		null("MailingCity"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
	if key := FindKey(names(got)); key != Key {
		t.Errorf("FindKey = %q, want %q", key, Key)
	}
}

func TestTransformNormalisesIDColumns(t *testing.T) {
	in := connectors.Record{Line: 2, Fields: []connectors.Field{
		text("Id", "0035g00000abcde"),
		text("ACCOUNTID", "0015g00000XyZaC"),
		text("Account.Id", "0015g00000XyZaB"),
		// Not an id column by name: a 15-character value stays as it is.
		text("Phone", "0035g00000AbCdE"),
		// An id column whose value is not an id stays as it is.
		text("OwnerId", "not-an-id"),
		text("External_Id__c", "0035g00000AbCdE"),
		// An 18-character id, even one with a wrong suffix, is not touched.
		text("ContactId", "0035g00000AbCdEAAA"),
	}}
	got := transform(t, in).Fields
	want := []connectors.Field{
		text("Id", "0035g00000abcdeAAA"),
		text("ACCOUNTID", "0015g00000XyZaCAAV"),
		text("Account.Id", "0015g00000XyZaBAAV"),
		text("Phone", "0035g00000AbCdE"),
		text("OwnerId", "not-an-id"),
		text("External_Id__c", "0035g00000AbCdE"),
		text("ContactId", "0035g00000AbCdEAAA"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v\nwant %+v", got, want)
	}
}

func TestTransformKeepsReferenceIDText(t *testing.T) {
	// A referenceId is a tree-file label, never a Salesforce id, even when
	// it happens to be 15 letters and digits.
	in := connectors.Record{Fields: []connectors.Field{text("attributes.referenceId", "ContactRef12345")}}
	got := transform(t, in).Fields
	want := []connectors.Field{text("referenceId", "ContactRef12345")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %+v, want %+v", got, want)
	}
}

func TestFindKeyPrefersID(t *testing.T) {
	tests := []struct {
		columns []string
		want    string
	}{
		{[]string{"FirstName", "referenceId", "Id"}, "Id"},
		{[]string{"ID", "NAME"}, "ID"},
		{[]string{"referenceId", "Name"}, "referenceId"},
		{[]string{"FirstName", "LastName"}, ""},
	}
	for _, tt := range tests {
		if got := FindKey(tt.columns); got != tt.want {
			t.Errorf("FindKey(%q) = %q, want %q", tt.columns, got, tt.want)
		}
	}
}

func names(fields []connectors.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}
