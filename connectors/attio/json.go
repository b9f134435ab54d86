package attio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/crmsync/crmsync/connectors"
)

// decodeVersions decodes the JSON text of an attribute array, which the
// reader keeps under flatten_arrays: json, into versions. Their fields are
// flattened as the reader flattens objects. Nested objects become dotted
// names, nested arrays stay JSON text, and numbers and booleans keep their
// source text. A null field yields no versions.
func decodeVersions(f connectors.Field) ([]*version, error) {
	if f.Null {
		return nil, nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal([]byte(f.Text), &entries); err != nil {
		return nil, fmt.Errorf("want a JSON array of value versions: %w", err)
	}

	versions := make([]*version, 0, len(entries))
	for i, entry := range entries {
		v := &version{index: i}
		entry = bytes.TrimSpace(entry)
		var err error
		if len(entry) > 0 && entry[0] == '{' {
			err = flattenObject("", entry, &v.fields)
		} else {
			// A scalar entry is the attribute's value itself, as under
			// flatten_arrays: index.
			err = appendValue("value", entry, &v.fields)
		}
		if err != nil {
			return nil, fmt.Errorf("version %d: %w", i, err)
		}
		versions = append(versions, v)
	}
	return versions, nil
}

// flattenObject appends the members of the JSON object raw to fields, with
// names prefixed by prefix, in source order.
func flattenObject(prefix string, raw json.RawMessage, fields *[]connectors.Field) error {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	start, err := decoder.Token()
	if err != nil {
		return err
	}
	if start != json.Delim('{') {
		return errors.New("want a JSON object")
	}

	for decoder.More() {
		token, err := decoder.Token()
		if err != nil {
			return err
		}
		key, _ := token.(string) // object keys are always strings
		var member json.RawMessage
		if err := decoder.Decode(&member); err != nil {
			return err
		}
		if err := appendValue(prefix+key, member, fields); err != nil {
			return err
		}
	}
	return nil
}

// appendValue appends one JSON value as fields named name.
func appendValue(name string, raw json.RawMessage, fields *[]connectors.Field) error {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '{':
		return flattenObject(name+".", raw, fields)
	case '[':
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return err
		}
		*fields = append(*fields, connectors.Field{Name: name, Text: compact.String()})
	case '"':
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return err
		}
		*fields = append(*fields, connectors.Field{Name: name, Text: text})
	case 'n':
		*fields = append(*fields, connectors.Field{Name: name, Null: true})
	default: // number, true, false: keep the source text
		*fields = append(*fields, connectors.Field{Name: name, Text: string(raw)})
	}
	return nil
}
