// Package pipedrive is the crmsync preset for Pipedrive persons.
//
// It accepts v1 API responses {"success", "data":[...]} (records path /data)
// and the JSON lines written by the Airbyte Pipedrive source, where every
// line is {"stream": ..., "data": {...}, "emitted_at": ...} and the file
// mixes many streams. For Airbyte lines, Transform keeps only the persons
// stream, strips the "data." prefix and drops the envelope fields stream and
// emitted_at. Records without a stream field pass through unchanged.
//
// A person's email and phone are arrays of {label, value, primary}. With
// flatten_arrays: index they become email.0.value, email.0.primary,
// email.0.label, email.1.value, ...; with flatten_arrays: json they stay
// JSON text in email and phone, and the default email input does not exist.
package pipedrive

import (
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

const (
	// Key is the record id column.
	Key = "id"
	// RecordsPath is the JSON Pointer to the records of a v1 API response.
	RecordsPath = "/data"
	// ImportID is the system id column of an update import.
	// NOTE: taken from Pipedrive's import help, not from a real export file.
	ImportID = "id"
	// Stream is the Airbyte stream Transform keeps.
	Stream = "persons"
)

const dataPrefix = "data."

// Inputs returns the default enrichment inputs. The email is the first entry
// of the email array.
// NOTE: Pipedrive does not document that the primary entry comes first.
// Where it matters, map the input to the entry whose email.N.primary is true.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "name",
		"company":   "org_name",
		"email":     "email.0.value",
	}
}

// Transform unwraps Airbyte record lines and skips lines of other streams;
// see the package documentation. It never fails.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	stream, ok := r.Get("stream")
	if !ok {
		return r, true, nil
	}
	if stream.Null || stream.Text != Stream {
		return connectors.Record{}, false, nil
	}

	out := connectors.Record{Line: r.Line, Fields: make([]connectors.Field, 0, len(r.Fields))}
	for _, f := range r.Fields {
		name, inData := strings.CutPrefix(f.Name, dataPrefix)
		if !inData {
			continue // envelope fields: stream, emitted_at
		}
		f.Name = name
		out.Fields = append(out.Fields, f)
	}
	return out, true, nil
}
