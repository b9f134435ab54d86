// Package attio is the crmsync preset for Attio records from the v2 API
// (POST /v2/objects/{object}/records/query), whose responses hold
// {"data":[...]}; the default records path is /data.
//
// A record is {"id":{"workspace_id","object_id","record_id"}, "created_at",
// "web_url", "values":{attribute: [versioned value, ...]}}. Every attribute
// is an array of value versions, each with active_from, active_until,
// created_by_actor and attribute_type next to the value itself. Transform
// reduces each array to one version: the first whose active_until is null
// or absent, else the last. It names that version's parts after the
// attribute without the "values." prefix and without the version metadata:
// {"first_name","full_name"} of name becomes name.first_name and
// name.full_name, and a plain {"value"} of job_title becomes job_title.
// Other fields (id.record_id, created_at, web_url) pass through unchanged.
// An attribute column whose name equals one of those fields keeps the
// "values." prefix, so the attribute created_at becomes values.created_at.
//
// Both flatten_arrays modes work. With index the reader gives
// values.name.0.full_name; with json it gives the JSON text of values.name,
// which Transform decodes. An attribute with no versions (an empty array)
// produces no column in either mode.
package attio

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

const (
	// Key is the record id column.
	Key = "id.record_id"
	// RecordsPath is the JSON Pointer to the records of a query response.
	RecordsPath = "/data"
	// ImportID is the column an Attio CSV import matches existing records on.
	ImportID = "Record ID"
)

const valuesPrefix = "values."

// Inputs returns the default enrichment inputs for the people object.
func Inputs() map[string]string {
	return map[string]string{
		"full_name": "name.full_name",
		"email":     "email_addresses.email_address",
		"title":     "job_title",
	}
}

// FindKey returns the record id column among columns: id.record_id (API
// records), else "Record ID" (CSV exports), else "".
func FindKey(columns []string) string {
	for _, want := range []string{Key, "Record ID"} {
		for _, c := range columns {
			if c == want {
				return c
			}
		}
	}
	return ""
}

// version is one entry of an attribute's array, in field order.
type version struct {
	index  int
	fields []connectors.Field // names relative to the entry, such as "full_name"
}

// attribute collects the versions of one attribute in the order the reader
// produced them.
type attribute struct {
	name     string
	versions []*version
}

// Transform reduces versioned attribute arrays as described in the package
// documentation. It returns an error when a values.<attribute> field holds
// text that is not a JSON array of objects.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	out := connectors.Record{Line: r.Line, Fields: make([]connectors.Field, 0, len(r.Fields))}

	// Attributes are emitted where their first field appeared, so the
	// column order follows the source.
	var order []any // connectors.Field or *attribute
	attributes := map[string]*attribute{}

	for _, f := range r.Fields {
		rest, isValue := strings.CutPrefix(f.Name, valuesPrefix)
		if !isValue {
			order = append(order, f)
			continue
		}

		name, path, hasPath := strings.Cut(rest, ".")
		a := attributes[name]
		if a == nil {
			a = &attribute{name: name}
			attributes[name] = a
			order = append(order, a)
		}

		if !hasPath {
			// flatten_arrays: json keeps the whole array as JSON text.
			versions, err := decodeVersions(f)
			if err != nil {
				return connectors.Record{}, false, fmt.Errorf("attio preset: field %q: %w", f.Name, err)
			}
			a.versions = append(a.versions, versions...)
			continue
		}

		indexText, sub, hasSub := strings.Cut(path, ".")
		index, err := strconv.Atoi(indexText)
		if err != nil {
			return connectors.Record{}, false, fmt.Errorf("attio preset: field %q is not values.<attribute>.<index>.<part>; read the file with flatten_arrays: index or json", f.Name)
		}
		if !hasSub {
			sub = "value" // a scalar entry is the attribute's value itself
		}
		v := a.version(index)
		f.Name = sub
		v.fields = append(v.fields, f)
	}

	topLevel := map[string]bool{}
	for _, item := range order {
		if f, ok := item.(connectors.Field); ok {
			topLevel[f.Name] = true
		}
	}
	for _, item := range order {
		switch item := item.(type) {
		case connectors.Field:
			out.Fields = append(out.Fields, item)
		case *attribute:
			for _, f := range item.activeFields() {
				if topLevel[f.Name] {
					// The people object has a created_at attribute next to
					// the record's own created_at.
					f.Name = valuesPrefix + f.Name
				}
				out.Fields = append(out.Fields, f)
			}
		}
	}
	return out, true, nil
}

// version returns the entry with the given array index, adding it when new.
func (a *attribute) version(index int) *version {
	for _, v := range a.versions {
		if v.index == index {
			return v
		}
	}
	v := &version{index: index}
	a.versions = append(a.versions, v)
	return v
}

// activeFields returns the fields of the chosen version, named after the
// attribute, without the version metadata.
func (a *attribute) activeFields() []connectors.Field {
	chosen := a.chooseVersion()
	if chosen == nil {
		return nil
	}
	fields := make([]connectors.Field, 0, len(chosen.fields))
	for _, f := range chosen.fields {
		if isVersionMetadata(f.Name) {
			continue
		}
		if f.Name == "value" {
			f.Name = a.name
		} else {
			f.Name = a.name + "." + f.Name
		}
		fields = append(fields, f)
	}
	return fields
}

// chooseVersion returns the first version that is still active (active_until
// null or absent), else the last version, else nil.
func (a *attribute) chooseVersion() *version {
	var last *version
	for _, v := range a.versions {
		if v.isActive() {
			return v
		}
		if last == nil || v.index > last.index {
			last = v
		}
	}
	return last
}

func (v *version) isActive() bool {
	for _, f := range v.fields {
		if f.Name == "active_until" {
			return f.Null
		}
	}
	return true
}

// isVersionMetadata reports whether a part of a version describes the
// version rather than the value.
func isVersionMetadata(name string) bool {
	switch name {
	case "active_from", "active_until", "attribute_type", "created_by_actor":
		return true
	}
	return strings.HasPrefix(name, "created_by_actor.")
}
