package source_test

import (
	"testing"

	"github.com/crmsync/crmsync/connectors/source"
)

// TestRealDataCounts reads every real export through source.Open and checks
// the record count the files' documentation gives. API recordings need the
// JSON Pointer of the recorded response's records array.
func TestRealDataCounts(t *testing.T) {
	tests := []struct {
		file        string
		recordsPath string
		want        int
	}{
		{"hubspot/list-contacts.test.json", "/api/get/~1crm~1v3~1objects~1contacts/response/results", 26},
		// The response reports totalSize 213, and all 213 records are present.
		{"salesforce-rest-api/contacts.test.json", "/api/get/~1services~1data~1v59.0~1query/response/records", 213},
		{"zoho-crm/list-contacts.test.json", "/api/get/~1crm~1v2~1Contacts/response/data", 11},
		{"attio/people.test.json", "/api/post/~1v2~1objects~1people~1records~1query/response/data", 8},
		{"odoo/crm-leads.test.json", "/api/get/~11.0~1crm.lead/response/records", 39},
		{"pipedrive/expected_records.jsonl", "", 62},
		{"twenty/companies-demo.json", "", 600},
		{"public-companies-sp500/constituents.csv", "", 503},
		{"atomic-crm/contacts.csv", "", 500},
		{"salesforce-easy-spaces-lwc/Lead_Data.csv", "", 11},
		{"salesforce-easy-spaces-lwc/Contact_Data.csv", "", 12},
		{"salesforce-easy-spaces-lwc/Contacts.json", "/records", 12},
		{"salesforce-easy-spaces-lwc/Accounts.json", "/records", 12},
		{"hubspot/import_emails.csv", "", 10},
		{"dynamics-365/import accounts.csv", "", 5},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			records, r := readRecords(t, realPath(t, tt.file), source.Options{RecordsPath: tt.recordsPath})
			if len(records) != tt.want {
				t.Errorf("got %d records, want %d", len(records), tt.want)
			}
			if s := r.Stats(); s.Rejected != 0 || s.RowsRead != tt.want {
				t.Errorf("stats: rows read %d, rejected %d", s.RowsRead, s.Rejected)
			}
		})
	}
}

func TestRealDataValues(t *testing.T) {
	records, _ := readRecords(t, realPath(t, "salesforce-easy-spaces-lwc/Lead_Data.csv"), source.Options{})
	found := false
	for _, rec := range records {
		if f, ok := rec.Get("Company"); ok && f.Text == "Greenholt, Mosciski and Reilly" {
			found = true
		}
	}
	if !found {
		t.Error(`no record has Company "Greenholt, Mosciski and Reilly" (a quoted value with a comma)`)
	}

	records, _ = readRecords(t, realPath(t, "twenty/companies-demo.json"), source.Options{})
	names := map[string]bool{}
	for _, rec := range records {
		names[field(t, rec, "name").Text] = true
	}
	for _, name := range []string{"Café", "Schrödinger", "Zinnia "} {
		if !names[name] {
			t.Errorf("no company named %q (escaped non-ASCII and trailing spaces must be kept)", name)
		}
	}

	records, _ = readRecords(t, realPath(t, "odoo/crm-leads.test.json"), source.Options{RecordsPath: "/api/get/~11.0~1crm.lead/response/records"})
	if f := field(t, records[0], "stage_id.1"); f.Text == "" {
		t.Errorf("odoo stage_id tuple not flattened by index: %+v", records[0].Fields)
	}
}

// TestRealDataPresets reads the API recordings with only a preset: its
// default records_path and transform apply.
func TestRealDataPresets(t *testing.T) {
	tests := []struct {
		file, preset string
		want         int
	}{
		{"salesforce-easy-spaces-lwc/Contacts.json", "salesforce", 12},
		{"pipedrive/expected_records.jsonl", "pipedrive", 3}, // the persons stream only
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			records, r := readRecords(t, realPath(t, tt.file), source.Options{Preset: tt.preset})
			if len(records) != tt.want {
				t.Errorf("got %d records, want %d", len(records), tt.want)
			}
			s := r.Stats()
			if s.RowsRead != s.Records+s.Skipped {
				t.Errorf("rows read %d != records %d + skipped %d", s.RowsRead, s.Records, s.Skipped)
			}
			if r.KeyColumn() == "" {
				t.Errorf("preset %s chose no key column", tt.preset)
			}
		})
	}
}
