package sinks

// Project maps a merged row to the sink's output row, appending to dst[:0].
// write is false when OnlyChanged is set and the row changes nothing.
//
// A cell changes when it shows an enriched value in its own column, or when
// a column shared with the source (or a CRM field) gets a value other than
// the source value. Clearing happens only for rows whose status is
// "enriched", so a failed or skipped row never clears CRM data.
func (l *Layout) Project(row MergedRow, dst []Value) (out []Value, write bool) {
	out = dst[:0]
	enriched := row.Meta[MetaStatus].Text == StatusEnriched && !row.Meta[MetaStatus].Null
	changed := false
	for _, p := range l.plans {
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
