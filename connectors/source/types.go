package source

import (
	"fmt"
	"sort"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

// declaredType is one parsed entry of source.types.
type declaredType struct {
	name string // as written in the pipeline, for messages
	kind sinks.Kind
	elem sinks.Kind
}

// parseTypes parses source.types. An unknown type name is an error naming
// the column, so a typo fails at Open instead of at the first record.
func parseTypes(types map[string]string) (map[string]declaredType, error) {
	if len(types) == 0 {
		return nil, nil
	}
	columns := make([]string, 0, len(types))
	for column := range types {
		columns = append(columns, column)
	}
	sort.Strings(columns) // report the same column first on every run

	parsed := make(map[string]declaredType, len(types))
	for _, column := range columns {
		kind, elem, err := sinks.ParseKind(types[column])
		if err != nil {
			return nil, fmt.Errorf("invalid source.types.%s: %w", column, err)
		}
		parsed[column] = declaredType{name: types[column], kind: kind, elem: elem}
	}
	return parsed, nil
}

// checkTypes converts every non-null value of a column with a declared type
// and returns a recoverable *connectors.ParseError of kind KindType for the
// first value that does not convert. It checks the record as the preset's
// transform returned it, so the column names are the ones the pipeline uses.
func (r *Reader) checkTypes(rec connectors.Record) error {
	if len(r.types) == 0 {
		return nil
	}
	for _, f := range rec.Fields {
		declared, ok := r.types[f.Name]
		if !ok || f.Null {
			continue
		}
		if _, err := sinks.Convert(declared.kind, declared.elem, f.Text); err != nil {
			return &connectors.ParseError{
				File:   displayName(r.path, r.opened),
				Line:   rec.Line,
				Column: r.sourceColumn(f.Name),
				Header: f.Name,
				Kind:   connectors.KindType,
				Err: fmt.Errorf("%v, but source.types declares the column as %s; fix the value or change the declared type",
					err, declared.name),
				Raw:         string(appendRecordJSON(nil, rec)),
				Recoverable: true,
			}
		}
	}
	return nil
}

// sourceColumn returns the 1-based position of a CSV header column, or 0 for
// JSON input and for a column that the preset renamed.
func (r *Reader) sourceColumn(name string) int {
	header, ok := r.src.(interface{ Header() []string })
	if !ok {
		return 0
	}
	for i, h := range header.Header() {
		if h == name {
			return i + 1
		}
	}
	return 0
}
