// Package transform turns source records into the JSONL chunks sent to the
// bulk API and joins the API's results back onto the records.
package transform

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// Input is one column of the chunk file: the name sent to the API and how
// its value is built from a source record.
type Input struct {
	Name  string
	parts []part
}

type part struct {
	literal string
	column  string // set for a placeholder
	isCol   bool
}

// ParseInput compiles one enrich.inputs entry. spec is either a column name
// or a template in which {Column} stands for that column's value and {{ and
// }} stand for literal braces.
func ParseInput(name, spec string) (Input, error) {
	in := Input{Name: name}
	if !strings.ContainsAny(spec, "{}") {
		in.parts = []part{{column: spec, isCol: true}}
		return in, nil
	}
	var lit strings.Builder
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		switch {
		case c == '{' && i+1 < len(spec) && spec[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(spec) && spec[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(spec[i+1:], '}')
			if end < 0 {
				return Input{}, fmt.Errorf("input %q: unclosed { in template %q; write {{ for a literal brace", name, spec)
			}
			col := spec[i+1 : i+1+end]
			if col == "" {
				return Input{}, fmt.Errorf("input %q: empty {} in template %q", name, spec)
			}
			if lit.Len() > 0 {
				in.parts = append(in.parts, part{literal: lit.String()})
				lit.Reset()
			}
			in.parts = append(in.parts, part{column: col, isCol: true})
			i += end + 1
		case c == '}':
			return Input{}, fmt.Errorf("input %q: unmatched } in template %q; write }} for a literal brace", name, spec)
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		in.parts = append(in.parts, part{literal: lit.String()})
	}
	return in, nil
}

// Columns returns the source columns the input reads.
func (in Input) Columns() []string {
	var cols []string
	for _, p := range in.parts {
		if p.isCol {
			cols = append(cols, p.column)
		}
	}
	return cols
}

// Value builds the input's value for one record. A plain column reference
// returns the value unchanged. A template joins the placeholders that have
// values, each pair with the literal that follows the first of them, so
// "{City}, {State}, {Country}" without a state gives "Berlin, DE" and
// without city and state gives "DE"; the text before the first placeholder
// is kept, the text after the last one only when that placeholder has a
// value, and the result is trimmed. When every placeholder is null the
// value is null.
func (in Input) Value(get func(string) (connectors.Field, bool)) (string, bool) {
	if len(in.parts) == 1 && in.parts[0].isCol {
		f, ok := get(in.parts[0].column)
		if !ok || f.Null {
			return "", false
		}
		return f.Text, true
	}
	text, found := in.appendTemplate(nil, func(p part, _ int) (string, bool) {
		f, ok := get(p.column)
		if !ok || f.Null {
			return "", false
		}
		return f.Text, true
	})
	if !found {
		return "", false
	}
	return string(bytes.TrimSpace(text)), true
}

// appendTemplate appends the template's text to dst with the joining rule
// of Value. value returns the k-th placeholder's text, or false when null.
func (in Input) appendTemplate(dst []byte, value func(p part, k int) (string, bool)) ([]byte, bool) {
	found := false
	var pending string // literal after the last placeholder written
	afterPresent := false
	k := 0
	for i, p := range in.parts {
		if !p.isCol {
			switch {
			case i == 0:
				dst = append(dst, p.literal...)
			case afterPresent:
				pending = p.literal
			}
			continue
		}
		v, ok := value(p, k)
		k++
		if !ok {
			afterPresent = false
			continue
		}
		if found {
			dst = append(dst, pending...)
		}
		dst = append(dst, v...)
		found = true
		afterPresent = true
		pending = ""
	}
	if afterPresent {
		dst = append(dst, pending...)
	}
	return dst, found
}

// rowEncoder writes the JSONL lines of records. It finds each input column
// by position and looks the positions up by name only when the field layout
// changes. Consecutive records from one source usually share a layout, and
// a CSV file's records all follow its header.
type rowEncoder struct {
	inputs []Input
	// names holds the JSON text `,"name":` of each input.
	names [][]byte
	// slots holds, per input, the index into columns of each of its column
	// placeholders, in order.
	slots   [][]int
	columns []string
	// layout is the field names of the record that index was computed for.
	layout []string
	// seen holds every field name of the records encoded so far, and
	// fieldNames lists them in the order they were first seen.
	seen       map[string]bool
	fieldNames []string
	// index holds, per column, its position in the record's fields; -1 when
	// the record has no such field.
	index   []int
	scratch []byte
}

func newRowEncoder(inputs []Input) *rowEncoder {
	e := &rowEncoder{inputs: inputs}
	for _, in := range inputs {
		name := append([]byte{','}, AppendJSONString(nil, in.Name)...)
		e.names = append(e.names, append(name, ':'))
		var slots []int
		for _, p := range in.parts {
			if p.isCol {
				slots = append(slots, len(e.columns))
				e.columns = append(e.columns, p.column)
			}
		}
		e.slots = append(e.slots, slots)
	}
	e.index = make([]int, len(e.columns))
	e.seen = map[string]bool{}
	return e
}

// appendRow appends the JSONL line of one record to dst: the key column
// first, then the inputs in order.
func (e *rowEncoder) appendRow(dst []byte, ordinal int64, rec connectors.Record) []byte {
	e.locate(rec.Fields)
	dst = append(dst, `{"`+KeyColumn+`":"`...)
	dst = strconv.AppendInt(dst, ordinal, 10)
	dst = append(dst, '"')
	for i := range e.inputs {
		dst = append(dst, e.names[i]...)
		dst = e.appendValue(dst, i, rec.Fields)
	}
	return append(dst, '}', '\n')
}

// appendValue appends the JSON value of input i, with the semantics of
// Input.Value: a string, or null.
func (e *rowEncoder) appendValue(dst []byte, i int, fields []connectors.Field) []byte {
	in, slots := &e.inputs[i], e.slots[i]
	if len(in.parts) == 1 && in.parts[0].isCol {
		pos := e.index[slots[0]]
		if pos < 0 || fields[pos].Null {
			return append(dst, "null"...)
		}
		return appendJSONString(dst, fields[pos].Text)
	}

	text, found := in.appendTemplate(e.scratch[:0], func(_ part, k int) (string, bool) {
		pos := e.index[slots[k]]
		if pos < 0 || fields[pos].Null {
			return "", false
		}
		return fields[pos].Text, true
	})
	e.scratch = text
	if !found {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, bytes.TrimSpace(text))
}

// locate updates index for the field layout of fields, and notes field
// names not seen before. Like Record.Get, it takes the first field of a name.
func (e *rowEncoder) locate(fields []connectors.Field) {
	if sameLayout(e.layout, fields) {
		return
	}
	e.layout = e.layout[:0]
	for _, f := range fields {
		e.layout = append(e.layout, f.Name)
		if !e.seen[f.Name] {
			e.seen[f.Name] = true
			e.fieldNames = append(e.fieldNames, f.Name)
		}
	}
	for s, col := range e.columns {
		e.index[s] = -1
		for pos, f := range fields {
			if f.Name == col {
				e.index[s] = pos
				break
			}
		}
	}
}

// sameLayout reports whether fields has exactly the given names in order.
// Records from one reader usually share the name strings themselves, so
// each comparison stops at the equal pointers.
func sameLayout(names []string, fields []connectors.Field) bool {
	if len(names) != len(fields) {
		return false
	}
	for i := range fields {
		if fields[i].Name != names[i] {
			return false
		}
	}
	return true
}
