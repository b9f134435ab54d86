package sinks

import "slices"

// Project maps a merged row to the sink's output row, appending to dst[:0].
// write is false when OnlyChanged is set and the row changes nothing.
//
// A cell changes when it shows an enriched value in its own column, or when
// a column shared with the source (or a CRM field) gets a value other than
// the source value. Clearing happens only for rows whose status is
// "enriched", so a failed or skipped row never clears CRM data.
func (l *Layout) Project(row MergedRow, dst []Value) (out []Value, write bool) {
	out = dst[:0]
	var index *metaIndex
	var status Value
	if row.MetaKeys != nil {
		index = l.metaIndexOf(row.MetaKeys)
		status = valueAt(row.MetaValues, index.status)
	} else {
		status = row.Meta[MetaStatus]
	}
	enriched := status.Text == StatusEnriched && !status.Null
	changed := false
	for i, p := range l.plans {
		var cell Value
		var cellChanged bool
		switch p.kind {
		case planSource:
			cell = valueAt(row.Source, p.src)
		case planEnriched:
			cell = valueAt(row.Enriched, p.enr)
			cellChanged = !isEmpty(cell)
		case planMerged:
			cell, cellChanged = l.mergeCell(valueAt(row.Source, p.src), valueAt(row.Enriched, p.enr), p.clear && enriched)
		case planCRMUpdate:
			cell, cellChanged = l.updateCell(p, row, enriched)
		case planMeta:
			if index != nil {
				cell = valueAt(row.MetaValues, index.columns[i])
				break
			}
			v, ok := row.Meta[p.meta]
			if !ok {
				v = Value{Null: true}
			}
			cell = v
		}
		changed = changed || cellChanged
		out = append(out, cell)
	}
	return out, changed || !l.onlyChanged
}

// mergeCell returns the cell of a column shared by a source value and an
// enriched value, and whether it differs from the source value.
func (l *Layout) mergeCell(source, enrichedValue Value, clear bool) (Value, bool) {
	if isEmpty(enrichedValue) {
		if clear && !isEmpty(source) {
			return l.clearMarker, true
		}
		return source, false
	}
	if !l.overwrite && !isEmpty(source) {
		return source, false
	}
	if !source.Null && source.Text == enrichedValue.Text {
		return source, false
	}
	cell := enrichedValue
	cell.Origin = FromEnriched
	return cell, true
}

// updateCell returns the cell of a CRM update column: the enriched value,
// the clear marker, or an empty cell that leaves the CRM value unchanged.
func (l *Layout) updateCell(p columnPlan, row MergedRow, enriched bool) (Value, bool) {
	unchanged := Value{Null: true}
	source := valueAt(row.Source, p.src)
	value := valueAt(row.Enriched, p.enr)
	if isEmpty(value) {
		if p.clear && enriched && !isEmpty(source) {
			return l.clearMarker, true
		}
		return unchanged, false
	}
	if !isEmpty(source) && (!l.overwrite || source.Text == value.Text) {
		return unchanged, false
	}
	return value, true
}

// valueAt returns values[i], or null when i is -1 or out of range (a short
// row from a JSON source that lacks trailing keys).
func valueAt(values []Value, i int) Value {
	if i < 0 || i >= len(values) {
		return Value{Null: true}
	}
	return values[i]
}

func isEmpty(v Value) bool { return v.Null || v.Text == "" }

// metaIndex holds the positions in one MergedRow.MetaKeys slice of the
// status key and of each metadata column, -1 where the key is absent.
type metaIndex struct {
	keys    []string // the MetaKeys slice the positions belong to
	status  int
	columns []int // by plan; only metadata plans are set
}

// metaIndexOf returns the positions of the metadata columns in keys,
// computing them when keys is not the slice of the previous call.
func (l *Layout) metaIndexOf(keys []string) *metaIndex {
	if index := l.metaIndex.Load(); index != nil && sameSlice(index.keys, keys) {
		return index
	}
	index := &metaIndex{keys: keys, status: slices.Index(keys, MetaStatus), columns: make([]int, len(l.plans))}
	for i, p := range l.plans {
		index.columns[i] = -1
		if p.kind == planMeta {
			index.columns[i] = slices.Index(keys, p.meta)
		}
	}
	l.metaIndex.Store(index)
	return index
}

// sameSlice reports whether a and b share their first element and length.
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
