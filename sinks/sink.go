// Package sinks defines the output side of a pipeline: the typed columns a
// sink writes, the merged rows it receives, and the atomic commit every sink
// uses. Each format lives in a subpackage (sinks/parquet, sinks/csv,
// sinks/jsonl).
package sinks

// Kind is the logical type of an output column.
type Kind string

const (
	String    Kind = "str"
	Int       Kind = "int"
	Float     Kind = "float"
	Bool      Kind = "bool"
	List      Kind = "list" // element kind in Column.Elem
	JSON      Kind = "dict" // JSON text, written as a string
	Timestamp Kind = "timestamp"
)

// Origin is the source of a column's values.
type Origin string

const (
	FromSource   Origin = "source"   // an original CRM column, written back unchanged
	FromEnriched Origin = "enriched" // a struct field returned by the enrichment API
	FromMetadata Origin = "metadata" // status, confidence_score, notes, ...
)

// Column is one output column.
type Column struct {
	Name   string // output name after rename and prefix
	Field  string // source column, struct field or metadata name it is read from
	Kind   Kind
	Elem   Kind // element kind when Kind is List
	Origin Origin
}

// Value is one cell: the text as read or as returned by the API, or null.
// Sinks convert the text to the column's Kind. Typed sinks write a text that
// does not parse as that kind as null, and the merge step counts it.
type Value struct {
	Text string
	Null bool
	// Origin, when set, overrides the column's Origin for this cell, as for
	// a source column that a Layout fills with an enriched value.
	Origin Origin
}

// CellOrigin returns where the text of v, a cell of col, came from.
func CellOrigin(col Column, v Value) Origin {
	if v.Origin != "" {
		return v.Origin
	}
	return col.Origin
}

// Sink writes rows to one output. Nothing is visible under the final path
// until Commit returns nil; Abort removes what was written.
type Sink interface {
	// Write appends one row; row[i] belongs to the i-th column given when the
	// sink was opened.
	Write(row []Value) error
	// Commit flushes, fsyncs and renames the output into place.
	Commit() error
	// Abort discards the output. It is safe to call after Commit.
	Abort() error
	// Rows returns the number of rows written so far.
	Rows() int64
}
