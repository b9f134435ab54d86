// Package odoo is the crmsync preset for Odoo records read through the
// external JSON API (for example crm.lead), whose responses hold
// {"records":[...], "count"}; the default records path is /records.
//
// Odoo returns false for an empty field of any type. The export does not say
// which fields are booleans, so Transform turns every value that is exactly
// the text "false" into null. A boolean field's false becomes null as well,
// and so does a text field whose value is the word "false". Read the file
// with preset generic where those values matter.
//
// A many2one field is a pair [id, "display name"]. Transform renames its two
// parts to <field>.id and <field>.name: stage_id.0 and stage_id.1 under
// flatten_arrays: index, or the JSON text [1,"New"] under flatten_arrays:
// json. A pair is recognised when it has exactly two entries, the first an
// integer and the second not an integer, so a many2many list of two ids
// such as [3, 5] keeps its indexed names.
package odoo

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

const (
	// Key is the record id column.
	Key = "id"
	// RecordsPath is the JSON Pointer to the records of an API response.
	RecordsPath = "/records"
	// ImportID is the column of an Odoo import file that holds database ids.
	// NOTE: Odoo reads a column named id as an external (XML) id; ".id" holds
	// the database id this preset keys on. Not checked against an Odoo server.
	ImportID = ".id"
)

// Inputs returns the default enrichment inputs for crm.lead: the contact
// name, the partner company name and the lead's email.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "contact_name",
		"company":   "partner_name",
		"email":     "email_from",
	}
}

// Transform applies the false-to-null and many2one rules of the package
// documentation. It never fails.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	pairs := indexedPairs(r.Fields)

	out := connectors.Record{Line: r.Line, Fields: make([]connectors.Field, 0, len(r.Fields))}
	for _, f := range r.Fields {
		if !f.Null && f.Text == "false" {
			f.Null = true
			f.Text = ""
		}

		if base, part, ok := splitIndex(f.Name); ok && pairs[base] {
			if part == "0" {
				f.Name = base + ".id"
			} else {
				f.Name = base + ".name"
			}
			out.Fields = append(out.Fields, f)
			continue
		}

		if id, name, ok := jsonPair(f); ok {
			out.Fields = append(out.Fields,
				connectors.Field{Name: f.Name + ".id", Text: id},
				connectors.Field{Name: f.Name + ".name", Text: name},
			)
			continue
		}
		out.Fields = append(out.Fields, f)
	}
	return out, true, nil
}

// indexedPairs returns the base names whose indexed fields form a many2one
// pair: exactly <base>.0 (an integer) and <base>.1 (not an integer).
func indexedPairs(fields []connectors.Field) map[string]bool {
	type parts struct {
		count         int
		first, second *connectors.Field
	}
	byBase := map[string]*parts{}
	for i := range fields {
		base, index, ok := splitIndex(fields[i].Name)
		if !ok {
			continue
		}
		p := byBase[base]
		if p == nil {
			p = &parts{}
			byBase[base] = p
		}
		p.count++
		switch index {
		case "0":
			p.first = &fields[i]
		case "1":
			p.second = &fields[i]
		}
	}

	pairs := map[string]bool{}
	for base, p := range byBase {
		if p.count == 2 && p.first != nil && p.second != nil && isInteger(*p.first) && !isInteger(*p.second) {
			pairs[base] = true
		}
	}
	return pairs
}

// splitIndex splits "stage_id.0" into "stage_id" and "0". It accepts only a
// final all-digit segment, so "partner_id.name" does not split.
func splitIndex(name string) (base, index string, ok bool) {
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 || dot == len(name)-1 {
		return "", "", false
	}
	index = name[dot+1:]
	for i := 0; i < len(index); i++ {
		if index[i] < '0' || index[i] > '9' {
			return "", "", false
		}
	}
	return name[:dot], index, true
}

func isInteger(f connectors.Field) bool {
	if f.Null {
		return false
	}
	_, err := strconv.ParseInt(f.Text, 10, 64)
	return err == nil
}

// jsonPair decodes a field kept as JSON text by flatten_arrays: json and
// returns the parts of a many2one pair [integer, string].
func jsonPair(f connectors.Field) (id, name string, ok bool) {
	if f.Null || !strings.HasPrefix(f.Text, "[") {
		return "", "", false
	}
	decoder := json.NewDecoder(bytes.NewReader([]byte(f.Text)))
	decoder.UseNumber()
	var pair []any
	if err := decoder.Decode(&pair); err != nil || len(pair) != 2 {
		return "", "", false
	}
	number, isNumber := pair[0].(json.Number)
	text, isText := pair[1].(string)
	if !isNumber || !isText {
		return "", "", false
	}
	if _, err := strconv.ParseInt(number.String(), 10, 64); err != nil {
		return "", "", false
	}
	return number.String(), text, true
}
