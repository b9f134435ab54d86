// Package salesforce is the crmsync preset for Salesforce exports.
//
// It accepts three shapes. Data Loader, Data Export and report CSV files
// carry field API names (Id, FirstName, AccountId). A report CSV may end in a
// footer block of short lines. The CSV reader rejects those as ragged rows,
// so read report exports with on_error: reject or cut the footer first.
// sf data tree JSON files hold {"records":[{"attributes":{"type",
// "referenceId"}, ...}]} and REST query responses hold {"totalSize", "done",
// "records":[{"attributes":{"type","url"}, "Id", ...}]}; both read from the
// default records path /records.
//
// Transform drops the attributes object of every record and of nested
// relationship objects (Account.attributes.url), except that
// attributes.referenceId becomes the column referenceId, which is the record
// key of tree files since they have no Id. Tree references such as
// "@AccountRef1" are kept as text. 15-character ids in Id and in columns
// whose name ends in Id or ID are replaced by their 18-character form (see
// To18). Ids are case-sensitive, so compare them exactly, never with
// strings.EqualFold.
package salesforce

import (
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

const (
	// Key is the record id column of Data Loader files and REST responses.
	Key = "Id"
	// ReferenceKey is the column Transform fills from attributes.referenceId;
	// it is the key of sf data tree files.
	ReferenceKey = "referenceId"
	// RecordsPath is the JSON Pointer to the records of tree files and REST
	// query responses.
	RecordsPath = "/records"
	// ImportID is the column a Data Loader or Bulk API update file matches
	// records on.
	ImportID = "Id"
)

// Inputs returns the default enrichment inputs for the Lead shape (Lead_Data
// style files and Lead queries). Contact files have no Company, Title or City
// columns: map company to Account.Name and location to
// "{MailingCity} {MailingState} {MailingCountry}" in enrich.inputs instead.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "{FirstName} {LastName}",
		"company":   "Company",
		"email":     "Email",
		"title":     "Title",
		"location":  "{City} {State} {Country}",
	}
}

// FindKey returns the record id column among columns: Id (or ID, as some
// exports write it), else referenceId for tree files, else "".
func FindKey(columns []string) string {
	for _, want := range []string{Key, "ID", ReferenceKey} {
		for _, c := range columns {
			if c == want {
				return c
			}
		}
	}
	return ""
}

// Transform rewrites one Salesforce record as described in the package
// documentation. It keeps every record and never fails.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	out := connectors.Record{Line: r.Line, Fields: make([]connectors.Field, 0, len(r.Fields))}
	for _, f := range r.Fields {
		if f.Name == "attributes.referenceId" {
			f.Name = ReferenceKey
			out.Fields = append(out.Fields, f)
			continue
		}
		if isAttributes(f.Name) {
			continue
		}
		if isIDColumn(f.Name) && !f.Null && looksLikeID15(f.Text) {
			// looksLikeID15 has checked the length and characters, so
			// To18 cannot fail here.
			f.Text, _ = To18(f.Text)
		}
		out.Fields = append(out.Fields, f)
	}
	return out, true, nil
}

// isAttributes reports whether name lies inside a record's or a related
// record's attributes object.
func isAttributes(name string) bool {
	return name == "attributes" || strings.HasPrefix(name, "attributes.") || strings.Contains(name, ".attributes.") || strings.HasSuffix(name, ".attributes")
}

// isIDColumn reports whether a column holds Salesforce ids by its name: Id,
// or a lookup such as AccountId, ACCOUNTID or Account.Id.
func isIDColumn(name string) bool {
	if name == ReferenceKey {
		return false
	}
	return strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID")
}
