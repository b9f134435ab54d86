// Package zoho is the crmsync preset for Zoho CRM exports.
//
// It targets v2 API responses {"data":[...], "info":{...}}, read from /data
// by default. The JSON reader flattens lookup objects to dotted names, and
// both parts are kept: Account_Name becomes Account_Name.name and
// Account_Name.id, Owner becomes Owner.name, Owner.id and Owner.email. An
// empty lookup stays a single null Account_Name column.
//
// Transform changes nothing. System keys starting with $ ($state,
// $approval.delegate, ...) are kept because they are valid column names in
// every sink; drop them with sinks[].columns.keep if they are unwanted. Empty
// strings stay empty strings and are not turned into null.
//
// Zoho's built-in sample records carry " (Sample)" at the end of Last_Name
// and so of Full_Name (for example "Kris Marrier (Sample)"). The preset keeps
// values as exported, so these suffixes reach the enrichment input unless
// the records are filtered out or the input column is changed.
package zoho

import "github.com/crmsync/crmsync/connectors"

const (
	// Key is the record id column.
	Key = "id"
	// RecordsPath is the JSON Pointer to the records of a v2 API response.
	RecordsPath = "/data"
	// ImportID is the id column of a Bulk Write update file, whose header
	// uses field API names.
	ImportID = "id"
)

// Inputs returns the default enrichment inputs for the Contacts and Leads
// modules, by field API name. Leads name the company in Company rather than
// Account_Name.name.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "Full_Name",
		"company":   "Account_Name.name",
		"email":     "Email",
		"title":     "Title",
	}
}

// Transform returns the record unchanged and keeps it.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	return r, true, nil
}
