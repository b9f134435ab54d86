package preset_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/csv"
	crmjson "github.com/crmsync/crmsync/connectors/json"
	"github.com/crmsync/crmsync/connectors/preset"
	"github.com/crmsync/crmsync/connectors/salesforce"
	"github.com/crmsync/crmsync/connectors/source"
)

func get(t *testing.T, r connectors.Record, name string) connectors.Field {
	t.Helper()
	f, ok := r.Get(name)
	if !ok {
		t.Fatalf("record at line %d has no column %q; it has %q", r.Line, name, fieldNames(r))
	}
	return f
}

var templateColumn = regexp.MustCompile(`\{([^{}]+)\}`)

// inputColumns returns the columns an enrich.inputs value reads.
func inputColumns(value string) []string {
	matches := templateColumn.FindAllStringSubmatch(value, -1)
	if matches == nil {
		return []string{value}
	}
	columns := make([]string, len(matches))
	for i, m := range matches {
		columns[i] = m[1]
	}
	return columns
}

// assertInputsPresent checks that every column of the preset's default
// inputs is a column of the record.
func assertInputsPresent(t *testing.T, name string, r connectors.Record) {
	t.Helper()
	p, err := preset.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	for input, value := range p.Inputs {
		for _, column := range inputColumns(value) {
			if _, ok := r.Get(column); !ok {
				t.Errorf("%s input %s reads column %q, which the record at line %d lacks", name, input, column, r.Line)
			}
		}
	}
}

func assertNoNamePrefix(t *testing.T, records []connectors.Record, prefixes ...string) {
	t.Helper()
	for _, r := range records {
		for _, f := range r.Fields {
			for _, prefix := range prefixes {
				if strings.HasPrefix(f.Name, prefix) || strings.Contains(f.Name, "."+prefix) {
					t.Errorf("record at line %d keeps column %q", r.Line, f.Name)
				}
			}
		}
	}
}

func TestSalesforceLeadCSV(t *testing.T) {
	records, r := readPreset(t, "salesforce", realdata(t, "salesforce-easy-spaces-lwc/Lead_Data.csv"), source.Options{})
	if len(records) != 11 {
		t.Fatalf("got %d records, want 11", len(records))
	}
	for _, r := range records {
		assertInputsPresent(t, "salesforce", r)
	}
	if got := get(t, records[0], "Title").Text; got != "VP New Markets" {
		t.Errorf("first Title = %q, want VP New Markets", got)
	}
	if key := r.KeyColumn(); key != "" {
		t.Errorf("KeyColumn = %q, want none: the import wizard file has no Id", key)
	}
}

// TestSalesforceContactCSV reads the Data Import Wizard contact file, which
// has CRLF line ends and no final newline.
func TestSalesforceContactCSV(t *testing.T) {
	records, _ := readPreset(t, "salesforce", realdata(t, "salesforce-easy-spaces-lwc/Contact_Data.csv"), source.Options{})
	if len(records) != 12 {
		t.Fatalf("got %d records, want 12", len(records))
	}
	empty := 0
	for _, r := range records {
		if get(t, r, "Reservation_Status").Null {
			empty++
		}
	}
	if empty != 6 {
		t.Errorf("%d empty Reservation_Status values, want 6", empty)
	}
	if got := get(t, records[0], "MobilePhone").Text; got != "+1 (408) 505-1578" {
		t.Errorf("first MobilePhone = %q", got)
	}
}

func TestSalesforceTreeJSON(t *testing.T) {
	path := realdata(t, "salesforce-easy-spaces-lwc/Contacts.json")
	records, r := readPreset(t, "salesforce", path, source.Options{})
	if len(records) != 12 {
		t.Fatalf("got %d records, want 12", len(records))
	}
	assertNoNamePrefix(t, records, "attributes")

	first := records[0]
	if key := r.KeyColumn(); key != "referenceId" {
		t.Fatalf("KeyColumn = %q, want referenceId", key)
	}
	if got := get(t, first, "referenceId").Text; got != "ContactRef1" {
		t.Errorf("referenceId = %q, want ContactRef1", got)
	}
	if got := get(t, first, "AccountId").Text; got != "@AccountRef1" {
		t.Errorf("AccountId = %q, want the tree reference @AccountRef1 kept as text", got)
	}
	if got := get(t, first, "Reservation_Status__c").Text; got != "Draft" {
		t.Errorf("Reservation_Status__c = %q, want Draft", got)
	}
}

func TestSalesforceRESTQuery(t *testing.T) {
	path := realdata(t, "salesforce-rest-api/contacts.test.json")
	records, r := readPreset(t, "salesforce", path, source.Options{RecordsPath: "/api/get/~1services~1data~1v59.0~1query/response/records"})
	// The response reports totalSize 213, and all 213 records are present.
	if len(records) != 213 {
		t.Fatalf("got %d records, want 213", len(records))
	}
	assertNoNamePrefix(t, records, "attributes")
	if key := r.KeyColumn(); key != "Id" {
		t.Errorf("KeyColumn = %q, want Id", key)
	}

	seen := map[string]bool{}
	for _, r := range records {
		id := get(t, r, "Id").Text
		if normal, err := salesforce.To18(id); err != nil || normal != id {
			t.Errorf("Id %q: To18 = %q, %v; want a valid 18-character id", id, normal, err)
		}
		if seen[id] {
			t.Errorf("Id %q appears twice", id)
		}
		seen[id] = true
	}
	first := records[0]
	if got := get(t, first, "Id").Text; got != "003dM00001vWOXJQA4" {
		t.Errorf("first Id = %q", got)
	}
	if got := get(t, first, "MailingStreet").Text; got != "313 Constitution Place\nAustin, TX 78767\nUSA" {
		t.Errorf("first MailingStreet = %q, want the three lines kept", got)
	}
	if f := get(t, first, "MailingCity"); !f.Null {
		t.Errorf("first MailingCity = %+v, want null", f)
	}
}

func TestHubSpotAPIPage(t *testing.T) {
	p, _ := preset.Get("hubspot")
	path := realdata(t, "hubspot/list-contacts.test.json")
	records, _ := readPreset(t, "hubspot", path, source.Options{RecordsPath: "/api/get/~1crm~1v3~1objects~1contacts/response" + p.RecordsPath})
	if len(records) != 26 {
		t.Fatalf("got %d records, want 26", len(records))
	}
	assertNoNamePrefix(t, records, "properties")

	nullNames := 0
	for _, r := range records {
		if key := p.KeyColumn(fieldNames(r)); key != "id" {
			t.Fatalf("record at line %d: KeyColumn = %q, want id", r.Line, key)
		}
		if id, objectID := get(t, r, "id").Text, get(t, r, "hs_object_id").Text; id != objectID {
			t.Errorf("id %q differs from hs_object_id %q", id, objectID)
		}
		for _, name := range []string{"email", "createdAt", "updatedAt", "archived"} {
			get(t, r, name)
		}
		if get(t, r, "firstname").Null {
			nullNames++
		}
	}
	if nullNames == 0 {
		t.Error("no record has a null firstname, want the nulls of the recording kept")
	}
}

func TestHubSpotCaseAPIPage(t *testing.T) {
	records, r := readPreset(t, "hubspot", filepath.Join(sharedDir(t), "cases", "23-hubspot-api-page.json"), source.Options{})
	if len(records) != 2 {
		t.Fatalf("got %d records, want 2", len(records))
	}
	want := []connectors.Field{
		{Name: "id", Text: "101"},
		{Name: "email", Text: "ada@example.com"},
		{Name: "firstname", Text: "Ada"},
		{Name: "lastname", Text: "Example"},
		{Name: "company", Null: true},
		{Name: "createdate", Text: "2024-01-10T08:30:15.234Z"},
		{Name: "lastmodifieddate", Text: "2024-01-15T14:22:10.456Z"},
		{Name: "hs_object_id", Text: "101"},
		{Name: "createdAt", Text: "2024-01-10T08:30:15.234Z"},
		{Name: "updatedAt", Text: "2024-01-15T14:22:10.456Z"},
		{Name: "archived", Text: "false"},
	}
	if !reflect.DeepEqual(records[0].Fields, want) {
		t.Errorf("first record = %+v\nwant %+v", records[0].Fields, want)
	}
	if got := get(t, records[1], "company").Text; got != "Example Corp" {
		t.Errorf("second company = %q, want Example Corp", got)
	}
	if cursor := r.Stats().Cursor; cursor != "103" {
		t.Errorf("cursor = %q, want paging.next.after 103", cursor)
	}
}

func TestHubSpotImportCSV(t *testing.T) {
	records, _ := readPreset(t, "hubspot", realdata(t, "hubspot/import_emails.csv"), source.Options{})
	if len(records) != 10 {
		t.Fatalf("got %d records, want 10", len(records))
	}
	if got := fieldNames(records[0]); !reflect.DeepEqual(got, []string{"firstname", "email"}) {
		t.Errorf("columns = %q, want the internal names unchanged", got)
	}
}

func TestZohoContacts(t *testing.T) {
	p, _ := preset.Get("zoho")
	path := realdata(t, "zoho-crm/list-contacts.test.json")
	records, _ := readPreset(t, "zoho", path, source.Options{RecordsPath: "/api/get/~1crm~1v2~1Contacts/response" + p.RecordsPath})
	if len(records) != 11 {
		t.Fatalf("got %d records, want 11", len(records))
	}

	samples, lookups := 0, 0
	for _, r := range records {
		if key := p.KeyColumn(fieldNames(r)); key != "id" {
			t.Fatalf("record at line %d: KeyColumn = %q, want id", r.Line, key)
		}
		get(t, r, "$state")
		if f := get(t, r, "Other_Address"); f.Null || f.Text != "" {
			t.Errorf("Other_Address = %+v, want the empty string kept", f)
		}
		if strings.HasSuffix(get(t, r, "Last_Name").Text, " (Sample)") {
			samples++
		}
		if _, ok := r.Get("Account_Name.name"); ok {
			lookups++
			get(t, r, "Account_Name.id")
		}
		get(t, r, "Owner.email")
	}
	if samples != 10 {
		t.Errorf("%d Last_Name values end in (Sample), want the 10 sample records unchanged", samples)
	}
	if lookups == 0 {
		t.Error("no record has Account_Name.name")
	}
}

func TestPipedriveAirbyteJSONL(t *testing.T) {
	records, r := readPreset(t, "pipedrive", realdata(t, "pipedrive/expected_records.jsonl"), source.Options{})
	if st := r.Stats(); st.RowsRead != 62 || st.Skipped != 59 {
		t.Errorf("rows read %d, skipped %d; want 62 lines with 59 of other streams skipped", st.RowsRead, st.Skipped)
	}
	if len(records) != 3 {
		t.Fatalf("kept %d records, want the 3 persons lines", len(records))
	}
	assertNoNamePrefix(t, records, "data.", "stream", "emitted_at")

	first := records[0]
	assertInputsPresent(t, "pipedrive", first)
	if got := get(t, first, "name").Text; got != "User2 Sample" {
		t.Errorf("name = %q, want User2 Sample", got)
	}
	if got := get(t, first, "email.0.value").Text; got != "user2.sample.airbyte@gmail.com" {
		t.Errorf("email.0.value = %q", got)
	}
	if got := get(t, first, "email.0.primary").Text; got != "true" {
		t.Errorf("email.0.primary = %q, want true", got)
	}
	if got := get(t, first, "id").Text; got != "5" {
		t.Errorf("id = %q, want 5", got)
	}
	if first.Line < 1 {
		t.Errorf("Line = %d, want the physical line kept", first.Line)
	}
}

func TestDynamicsImportSource(t *testing.T) {
	records, r := readPreset(t, "dynamics", realdata(t, "dynamics-365/import accounts.csv"), source.Options{})
	if len(records) != 5 {
		t.Fatalf("got %d records, want 5", len(records))
	}
	if key := r.KeyColumn(); key != "" {
		t.Errorf("KeyColumn = %q, want none, so records fall back to line numbers", key)
	}
	if got := fieldNames(records[0]); !reflect.DeepEqual(got, []string{"src_name", "src_parent", "src_addresstype"}) {
		t.Errorf("columns = %q, want the source order", got)
	}
	if got := get(t, records[4], "src_name").Text; got != "Fabrikam, Inc." {
		t.Errorf("last src_name = %q", got)
	}
}

func TestDynamicsRoundTripCase(t *testing.T) {
	records, r := readPreset(t, "dynamics", filepath.Join(sharedDir(t), "cases", "30-dynamics-roundtrip.csv"), source.Options{})
	if len(records) != 2 {
		t.Fatalf("got %d records, want 2", len(records))
	}
	if key := r.KeyColumn(); key != "(Do Not Modify) Contact" {
		t.Errorf("KeyColumn = %q, want (Do Not Modify) Contact", key)
	}
	assertInputsPresent(t, "dynamics", records[0])
	want := []connectors.Field{
		{Name: "(Do Not Modify) Contact", Text: "5e3b1c2a-0000-4000-8000-000000000001"},
		{Name: "(Do Not Modify) Row Checksum", Text: "AbCdEfGh1234+/xyZ=="},
		{Name: "(Do Not Modify) Modified On", Text: "2024-01-10T08:30:15"},
	}
	if got := records[0].Fields[:3]; !reflect.DeepEqual(got, want) {
		t.Errorf("first three columns = %+v\nwant %+v", got, want)
	}
	if f := get(t, records[1], "Company Name"); !f.Null {
		t.Errorf("second Company Name = %+v, want null", f)
	}
}

func TestAttioPeople(t *testing.T) {
	p, _ := preset.Get("attio")
	path := realdata(t, "attio/people.test.json")
	const pointer = "/api/post/~1v2~1objects~1people~1records~1query/response/data"
	indexed, _ := readPreset(t, "attio", path, source.Options{RecordsPath: pointer})
	asJSON, _ := readPreset(t, "attio", path, source.Options{RecordsPath: pointer, FlattenArrays: "json"})
	if len(indexed) != 8 {
		t.Fatalf("got %d records, want 8", len(indexed))
	}
	assertNoNamePrefix(t, indexed, "active_until", "created_by_actor", "attribute_type")
	for _, r := range indexed {
		for _, name := range fieldNames(r) {
			// Only the attribute that collides with the top-level
			// created_at keeps the values. prefix.
			if strings.HasPrefix(name, "values.") && name != "values.created_at" {
				t.Errorf("record %s keeps column %q", get(t, r, "id.record_id").Text, name)
			}
		}
	}

	for i, r := range indexed {
		if key := p.KeyColumn(fieldNames(r)); key != "id.record_id" {
			t.Fatalf("record %d: KeyColumn = %q, want id.record_id", i, key)
		}
		// The record_id attribute repeats the key.
		if get(t, r, "record_id").Text != get(t, r, "id.record_id").Text {
			t.Errorf("record %d: record_id attribute differs from id.record_id", i)
		}
		if !reflect.DeepEqual(r.Fields, asJSON[i].Fields) {
			t.Errorf("record %d differs between flatten_arrays modes:\nindex %+v\njson  %+v", i, r.Fields, asJSON[i].Fields)
		}
	}
	if got := get(t, indexed[0], "name.full_name").Text; got != "Test User" {
		t.Errorf("first name.full_name = %q, want Test User", got)
	}
	if _, ok := indexed[0].Get("job_title"); ok {
		t.Error("first record has job_title, want no column for an empty attribute")
	}

	// Two of the 8 people have no name and four have no email address.
	names, emails := 0, 0
	for _, r := range indexed {
		if _, ok := r.Get("name.full_name"); ok {
			names++
		}
		if f, ok := r.Get("email_addresses.email_address"); ok && strings.HasSuffix(f.Text, "@example.com") {
			emails++
		}
		get(t, r, "values.created_at")
	}
	if names != 6 {
		t.Errorf("%d records have name.full_name, want 6", names)
	}
	if emails != 4 {
		t.Errorf("%d records have email_addresses.email_address, want 4", emails)
	}
}

func TestOdooLeads(t *testing.T) {
	path := realdata(t, "odoo/crm-leads.test.json")
	const pointer = "/api/get/~11.0~1crm.lead/response/records"
	indexed, _ := readPreset(t, "odoo", path, source.Options{RecordsPath: pointer})
	asJSON, _ := readPreset(t, "odoo", path, source.Options{RecordsPath: pointer, FlattenArrays: "json"})
	if len(indexed) != 39 {
		t.Fatalf("got %d records, want 39", len(indexed))
	}

	nullPartners := 0
	for i, r := range indexed {
		for _, f := range r.Fields {
			if !f.Null && f.Text == "false" {
				t.Errorf("record %d keeps %s = false", i, f.Name)
			}
		}
		if get(t, r, "partner_name").Null {
			nullPartners++
		}
		get(t, r, "stage_id.id")
		get(t, r, "stage_id.name")
		if !reflect.DeepEqual(r.Fields, asJSON[i].Fields) {
			t.Errorf("record %d differs between flatten_arrays modes:\nindex %+v\njson  %+v", i, r.Fields, asJSON[i].Fields)
		}
	}
	if nullPartners != 6 {
		t.Errorf("%d null partner_name values, want the 6 false values of the recording", nullPartners)
	}
	want := []connectors.Field{
		{Name: "id", Text: "1"},
		{Name: "name", Text: "Club Office Furnitures"},
		{Name: "partner_name", Text: "Le Club SARL"},
		{Name: "email_from", Text: "jdunagan@leclub.example.com"},
		{Name: "stage_id.id", Text: "1"},
		{Name: "stage_id.name", Text: "New"},
		{Name: "write_date", Text: "2026-06-03T08:16:59.659390"},
	}
	if !reflect.DeepEqual(indexed[0].Fields, want) {
		t.Errorf("first record = %+v\nwant %+v", indexed[0].Fields, want)
	}
}

// TestGenericOtherFiles checks that the generic preset returns the records
// of the format reader unchanged.
func TestGenericOtherFiles(t *testing.T) {
	tests := []struct {
		name, file string
		want       int
	}{
		{"atomic-crm", "atomic-crm/contacts.csv", 500},
		{"sp500", "public-companies-sp500/constituents.csv", 503},
		{"twenty", "twenty/companies-demo.json", 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := realdata(t, tt.file)
			got, _ := readPreset(t, "generic", path, source.Options{})
			if len(got) != tt.want {
				t.Errorf("got %d records, want %d", len(got), tt.want)
			}
			raw := readFormat(t, path)
			if !slices.EqualFunc(got, raw, func(a, b connectors.Record) bool { return reflect.DeepEqual(a, b) }) {
				t.Error("the generic preset changed records")
			}
		})
	}
}

// readFormat reads path with its format reader alone, without source.Open.
func readFormat(t *testing.T, path string) []connectors.Record {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	var src connectors.Source
	if strings.HasSuffix(path, ".json") {
		src, err = crmjson.NewReader(file, path, crmjson.Options{})
	} else {
		src, err = csv.NewReader(file, path, csv.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	var records []connectors.Record
	for {
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			return records
		}
		if err != nil {
			t.Fatalf("%s after %d records: %v", path, len(records), err)
		}
		records = append(records, rec)
	}
}
