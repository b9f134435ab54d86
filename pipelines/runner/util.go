package runner

import (
	"fmt"
	"sort"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkDeclaredType checks a source value against the type the pipeline
// declares for its column in source.types.
func checkDeclaredType(file string, rec connectors.Record, f connectors.Field, typ string, col int) error {
	kind, elem, err := sinks.ParseKind(typ)
	if err != nil {
		return &ConfigError{Err: fmt.Errorf("source.types.%s: %w", f.Name, err)}
	}
	if _, err := sinks.Convert(kind, elem, f.Text); err != nil {
		return &connectors.ParseError{
			File: file, Line: rec.Line, Column: col, Header: f.Name, Kind: "type",
			Err: fmt.Errorf("value %q is not %s as source.types declares (%v); fix the value or remove the declaration", f.Text, typ, err),
		}
	}
	return nil
}
