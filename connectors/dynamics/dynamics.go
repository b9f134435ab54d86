// Package dynamics is the crmsync preset for Microsoft Dynamics 365 and
// Dataverse exports.
//
// A grid exported with the re-import option carries three hidden columns:
// "(Do Not Modify) <Entity>" with the record GUID, "(Do Not Modify) Row
// Checksum" and "(Do Not Modify) Modified On". Dynamics rejects an update
// file whose hidden columns were changed, so Transform moves them to the
// front in their original order and leaves their names and values
// byte-for-byte as read. The record key is the GUID column, found by its
// prefix because the entity name varies (Contact, Account, ...).
//
// Files without the hidden columns, such as Dataverse import source files,
// have no key and fall back to line numbers.
package dynamics

import (
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

const (
	// HiddenPrefix starts the name of every hidden re-import column.
	HiddenPrefix = "(Do Not Modify) "
	// ChecksumColumn and ModifiedOnColumn are the hidden columns that are
	// not the key.
	ChecksumColumn   = HiddenPrefix + "Row Checksum"
	ModifiedOnColumn = HiddenPrefix + "Modified On"
)

// Inputs returns the default enrichment inputs, by the display names of the
// Contact grid ("Full Name", "Email", "Company Name"). Account grids name the
// company "Account Name"; source files built for the import wizard use their
// own names (for example src_name) and need enrich.inputs set explicitly.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "Full Name",
		"email":     "Email",
		"company":   "Company Name",
	}
}

// FindKey returns the "(Do Not Modify) <Entity>" column among columns, or ""
// when there is none.
func FindKey(columns []string) string {
	for _, c := range columns {
		if isKeyColumn(c) {
			return c
		}
	}
	return ""
}

// Transform moves the hidden columns to the front, keeping their order and
// bytes, and keeps the other columns in source order. It never fails.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	out := connectors.Record{Line: r.Line, Fields: make([]connectors.Field, 0, len(r.Fields))}
	for _, f := range r.Fields {
		if strings.HasPrefix(f.Name, HiddenPrefix) {
			out.Fields = append(out.Fields, f)
		}
	}
	for _, f := range r.Fields {
		if !strings.HasPrefix(f.Name, HiddenPrefix) {
			out.Fields = append(out.Fields, f)
		}
	}
	return out, true, nil
}

func isKeyColumn(name string) bool {
	return strings.HasPrefix(name, HiddenPrefix) && name != ChecksumColumn && name != ModifiedOnColumn
}
