// Package transform turns source records into the JSONL chunks sent to the
// bulk API and joins the API's results back onto the records.
package transform

import (
	"fmt"
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
// returns the value unchanged. A template replaces null placeholders with
// nothing and trims the surrounding spaces, so "{FirstName} {LastName}" with
// no first name gives "Example"; when every placeholder is null the value is
// null.
func (in Input) Value(get func(string) (connectors.Field, bool)) (string, bool) {
	if len(in.parts) == 1 && in.parts[0].isCol {
		f, ok := get(in.parts[0].column)
		if !ok || f.Null {
			return "", false
		}
		return f.Text, true
	}
	var b strings.Builder
	any := false
	for _, p := range in.parts {
		if !p.isCol {
			b.WriteString(p.literal)
			continue
		}
		f, ok := get(p.column)
		if ok && !f.Null {
			b.WriteString(f.Text)
			any = true
		}
	}
	if !any {
		return "", false
	}
	return strings.TrimSpace(b.String()), true
}
