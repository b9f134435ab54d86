package preset_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/preset"
)

var allNames = []string{"attio", "dynamics", "generic", "hubspot", "odoo", "pipedrive", "salesforce", "zoho"}

func TestNamesListsEveryPreset(t *testing.T) {
	if got := preset.Names(); !reflect.DeepEqual(got, allNames) {
		t.Errorf("Names() = %q, want %q", got, allNames)
	}
}

func TestGetEveryPreset(t *testing.T) {
	for _, name := range allNames {
		p, err := preset.Get(name)
		if err != nil {
			t.Errorf("Get(%q): %v", name, err)
			continue
		}
		if p.Name != name {
			t.Errorf("Get(%q).Name = %q", name, p.Name)
		}
		if p.Transform == nil {
			t.Errorf("Get(%q).Transform is nil", name)
		}
		if p.Inputs == nil {
			t.Errorf("Get(%q).Inputs is nil, want an empty map at least", name)
		}
		if p.RecordsPath != "" && !strings.HasPrefix(p.RecordsPath, "/") {
			t.Errorf("Get(%q).RecordsPath = %q, want a JSON Pointer starting with /", name, p.RecordsPath)
		}
	}
}

func TestGetEmptyIsGeneric(t *testing.T) {
	p, err := preset.Get("")
	if err != nil {
		t.Fatalf("Get(\"\"): %v", err)
	}
	if p.Name != preset.Generic {
		t.Errorf("Get(\"\").Name = %q, want %q", p.Name, preset.Generic)
	}
	if p.Key != "" || p.RecordsPath != "" || len(p.Inputs) != 0 || p.ImportID != "" {
		t.Errorf("generic preset = %+v, want no key, records path, inputs or import id", p)
	}
	in := connectors.Record{Line: 2, Fields: []connectors.Field{{Name: "properties.email", Text: "ada@example.com"}}}
	out, keep, err := p.Transform(in)
	if err != nil || !keep || !reflect.DeepEqual(out, in) {
		t.Errorf("generic Transform = %+v, %v, %v; want the record unchanged and kept", out, keep, err)
	}
}

func TestGetUnknownListsNames(t *testing.T) {
	for _, name := range []string{"Salesforce", "sales force", "close"} {
		_, err := preset.Get(name)
		if err == nil {
			t.Errorf("Get(%q) succeeded, want an error", name)
			continue
		}
		message := err.Error()
		if !strings.Contains(message, `"`+name+`"`) {
			t.Errorf("Get(%q) error %q does not quote the name", name, message)
		}
		if !strings.Contains(message, strings.Join(allNames, ", ")) {
			t.Errorf("Get(%q) error %q does not list the presets", name, message)
		}
	}
}

func TestGetReturnsIndependentCopies(t *testing.T) {
	first, err := preset.Get("salesforce")
	if err != nil {
		t.Fatal(err)
	}
	first.Inputs["company"] = "Account.Name"
	first.Key = "changed"

	second, err := preset.Get("salesforce")
	if err != nil {
		t.Fatal(err)
	}
	if second.Inputs["company"] != "Company" {
		t.Errorf("second Get sees Inputs[company] = %q, want the default Company", second.Inputs["company"])
	}
	if second.Key != "Id" {
		t.Errorf("second Get sees Key = %q, want Id", second.Key)
	}
}

func TestPresetDefaults(t *testing.T) {
	tests := []struct {
		name, key, recordsPath, importID string
	}{
		{"salesforce", "Id", "/records", "Id"},
		{"hubspot", "id", "/results", "Record ID"},
		{"zoho", "id", "/data", "id"},
		{"pipedrive", "id", "/data", "id"},
		{"dynamics", "", "", ""},
		{"attio", "id.record_id", "/data", "Record ID"},
		{"odoo", "id", "/records", ".id"},
		{"generic", "", "", ""},
	}
	for _, tt := range tests {
		p, err := preset.Get(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Key != tt.key {
			t.Errorf("%s: Key = %q, want %q", tt.name, p.Key, tt.key)
		}
		if p.RecordsPath != tt.recordsPath {
			t.Errorf("%s: RecordsPath = %q, want %q", tt.name, p.RecordsPath, tt.recordsPath)
		}
		if p.ImportID != tt.importID {
			t.Errorf("%s: ImportID = %q, want %q", tt.name, p.ImportID, tt.importID)
		}
	}
}

func TestKeyColumn(t *testing.T) {
	tests := []struct {
		preset  string
		columns []string
		want    string
	}{
		{"salesforce", []string{"FirstName", "Id"}, "Id"},
		{"salesforce", []string{"referenceId", "FirstName"}, "referenceId"},
		{"hubspot", []string{"Record ID", "First Name"}, "Record ID"},
		{"hubspot", []string{"firstname", "email"}, ""},
		{"zoho", []string{"id", "Full_Name"}, "id"},
		// Without FindKey, Key counts only when the columns contain it.
		{"zoho", []string{"Full_Name"}, ""},
		{"dynamics", []string{"(Do Not Modify) Lead", "(Do Not Modify) Row Checksum", "Topic"}, "(Do Not Modify) Lead"},
		{"dynamics", []string{"src_name", "src_parent"}, ""},
		{"attio", []string{"Record ID", "Name"}, "Record ID"},
		{"generic", []string{"id", "Id"}, ""},
	}
	for _, tt := range tests {
		p, err := preset.Get(tt.preset)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.KeyColumn(tt.columns); got != tt.want {
			t.Errorf("%s: KeyColumn(%q) = %q, want %q", tt.preset, tt.columns, got, tt.want)
		}
	}
}
