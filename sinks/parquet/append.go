package parquet

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/crmsync/crmsync/sinks"
)

// appendFunc appends one cell to a column builder.
type appendFunc func(sinks.Value)

// newAppendFunc returns the function that converts a cell of kind as
// sinks.Convert does and appends it to b. A cell that is null, empty (for
// all kinds but str) or does not convert becomes null. Scalar kinds use the
// typed converters, so no value is boxed in an interface.
func newAppendFunc(kind, elem sinks.Kind, b array.Builder) appendFunc {
	switch kind {
	case sinks.String:
		sb := b.(*array.StringBuilder)
		return func(v sinks.Value) {
			if v.Null {
				sb.AppendNull()
				return
			}
			sb.Append(validUTF8(v.Text))
		}
	case sinks.JSON:
		sb := b.(*array.StringBuilder)
		return func(v sinks.Value) {
			object, null, err := sinks.ConvertDict(v.Text)
			if v.Null || null || err != nil {
				sb.AppendNull()
				return
			}
			sb.Append(validUTF8(object))
		}
	case sinks.Int:
		ib := b.(*array.Int64Builder)
		return func(v sinks.Value) {
			n, null, err := sinks.ConvertInt(v.Text)
			if v.Null || null || err != nil {
				ib.AppendNull()
				return
			}
			ib.Append(n)
		}
	case sinks.Float:
		fb := b.(*array.Float64Builder)
		return func(v sinks.Value) {
			f, null, err := sinks.ConvertFloat(v.Text)
			if v.Null || null || err != nil {
				fb.AppendNull()
				return
			}
			fb.Append(f)
		}
	case sinks.Bool:
		bb := b.(*array.BooleanBuilder)
		return func(v sinks.Value) {
			value, null, err := sinks.ConvertBool(v.Text)
			if v.Null || null || err != nil {
				bb.AppendNull()
				return
			}
			bb.Append(value)
		}
	case sinks.Timestamp:
		tb := b.(*array.TimestampBuilder)
		return func(v sinks.Value) {
			t, null, err := sinks.ConvertTimestamp(v.Text)
			if v.Null || null || err != nil {
				tb.AppendNull()
				return
			}
			tb.Append(arrow.Timestamp(t.UnixMicro()))
		}
	}
	return func(v sinks.Value) {
		if v.Null {
			b.AppendNull()
			return
		}
		value, err := sinks.Convert(kind, elem, v.Text)
		if err != nil || value == nil {
			b.AppendNull()
			return
		}
		appendValue(b, value)
	}
}

// validUTF8 returns s with invalid bytes replaced by U+FFFD, as Parquet
// STRING requires. Only enrichment text can hold such bytes, because the
// source readers reject invalid UTF-8, so the check almost always passes and
// the replacement, which copies, is skipped.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// appendValue appends a value returned by sinks.Convert, such as a list
// element, to a builder made for its kind.
func appendValue(b array.Builder, value any) {
	if value == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		bb.Append(validUTF8(value.(string)))
	case *array.Int64Builder:
		bb.Append(value.(int64))
	case *array.Float64Builder:
		bb.Append(value.(float64))
	case *array.BooleanBuilder:
		bb.Append(value.(bool))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(value.(time.Time).UnixMicro()))
	case *array.ListBuilder:
		bb.Append(true)
		for _, item := range value.([]any) {
			appendValue(bb.ValueBuilder(), item)
		}
	default:
		b.AppendNull()
	}
}
