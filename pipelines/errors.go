package pipelines

import (
	"fmt"
	"sort"
	"strings"
)

// ConfigError is one problem in a pipeline file.
type ConfigError struct {
	File string // the file name as given to Load or Parse
	// Path is the YAML key path, such as sinks[1].compression. It is empty
	// for problems found before parsing, such as an unset variable.
	Path   string
	Line   int // 1-based; 0 when the position is unknown
	Column int // 1-based, in characters
	Msg    string
}

// Error formats the problem as "file:line:column: path: message".
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.File != "" {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d:%d", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors lists every problem found in one pipeline file, in file order.
type ConfigErrors []*ConfigError

// Error joins the problems one per line.
func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the single problems, so errors.As finds a *ConfigError.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortByPosition orders problems by line and column. Problems without a
// position come first, in the order they were found.
func (es ConfigErrors) sortByPosition() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
}

// As lets errors.As match a target of type **ConfigErrors as well as
// *ConfigErrors, so callers may hold the list by pointer.
func (es ConfigErrors) As(target any) bool {
	if p, ok := target.(**ConfigErrors); ok {
		list := es
		*p = &list
		return true
	}
	return false
}
