// Package hubspot is the crmsync preset for HubSpot exports.
//
// It accepts the UI export CSV with labels ("Record ID", "First Name",
// "Email") or with internal property names (hs_object_id, firstname, email),
// and CRM v3 API pages {"results":[{"id", "properties":{...}, "createdAt",
// "updatedAt", "archived"}], "paging":{...}}, read from /results by default.
//
// Transform strips the "properties." prefix, so properties.email becomes
// email, and keeps every other field, including id, createdAt, updatedAt and
// archived, under its own name. The enrichment inputs use internal property
// names, which match API pages and internal-name CSV files but not label
// CSV files: an export in another language changes the labels, so map on
// internal names where you can.
package hubspot

import (
	"fmt"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

const (
	// Key is the record id column of API pages.
	Key = "id"
	// RecordsPath is the JSON Pointer to the records of a v3 API page.
	RecordsPath = "/results"
	// ImportID is the column a HubSpot import file matches existing records on.
	ImportID = "Record ID"
)

const propertiesPrefix = "properties."

// Inputs returns the default enrichment inputs, by internal property name.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "{firstname} {lastname}",
		"company":   "company",
		"email":     "email",
		"title":     "jobtitle",
	}
}

// FindKey returns the record id column among columns: id (API pages), else
// Record ID (label CSV), else hs_object_id (internal-name CSV), else "".
func FindKey(columns []string) string {
	for _, want := range []string{Key, "Record ID", "hs_object_id"} {
		for _, c := range columns {
			if c == want {
				return c
			}
		}
	}
	return ""
}

// Transform strips the "properties." prefix from the record's field names.
// It returns an error when a stripped name equals a top-level field of the
// same record, because the two columns would have the same name.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	out := connectors.Record{Line: r.Line, Fields: make([]connectors.Field, 0, len(r.Fields))}
	seen := make(map[string]bool, len(r.Fields))
	for _, f := range r.Fields {
		original := f.Name
		f.Name = strings.TrimPrefix(f.Name, propertiesPrefix)
		if seen[f.Name] {
			return connectors.Record{}, false, fmt.Errorf("hubspot preset: field %q becomes %q, which the record already has; read the file with preset generic or rename one of the fields", original, f.Name)
		}
		seen[f.Name] = true
		out.Fields = append(out.Fields, f)
	}
	return out, true, nil
}
