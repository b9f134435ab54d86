package parquet

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/crmsync/crmsync/sinks"
)

// writerProperties returns the Parquet writer properties for cols. first
// is the first record batch: it decides the encoding of each column.
func writerProperties(codec compress.Compression, rowGroupRows int64, cols []sinks.Column, first arrow.RecordBatch) *pq.WriterProperties {
	props := []pq.WriterProperty{
		pq.WithCompression(codec),
		pq.WithMaxRowGroupLength(rowGroupRows),
		pq.WithStats(true),
	}
	for i, c := range cols {
		if mostlyUnique(first.Column(i)) {
			props = append(props, pq.WithDictionaryPath(pq.ColumnPath{c.Name}, false))
		}
	}
	return pq.NewWriterProperties(props...)
}

// uniqueShare is the share of distinct values among the non-null values of
// a sample above which a column is written without a dictionary.
const uniqueShare = 0.9

// mostlyUnique reports whether nearly every non-null value of a sample is
// distinct, as in ids, e-mail addresses, URLs or timestamps. Dictionary
// encoding hashes every value, which costs CPU time and gains nothing for
// such a column: arrow-go v18.9.0 discards the dictionary once it passes
// the dictionary page size limit (1 MiB by default) and writes plain pages.
// Columns whose values repeat keep arrow-go's default, a dictionary with that
// fallback, and so do an empty or all-null sample, a list and a boolean.
//
// NOTE: the sample is the first batch only. A column whose values start
// unique and repeat later (or the reverse) keeps the first choice.
func mostlyUnique(sample arrow.Array) bool {
	switch a := sample.(type) {
	case *array.String:
		return mostlyUniqueValues(a, a.Value)
	case *array.Int64:
		return mostlyUniqueValues(a, a.Value)
	case *array.Float64:
		return mostlyUniqueValues(a, a.Value)
	case *array.Timestamp:
		return mostlyUniqueValues(a, a.Value)
	}
	return false
}

func mostlyUniqueValues[T comparable](sample arrow.Array, value func(int) T) bool {
	nonNull := sample.Len() - sample.NullN()
	if nonNull == 0 {
		return false
	}
	distinct := make(map[T]struct{}, nonNull)
	for i := range sample.Len() {
		if sample.IsValid(i) {
			distinct[value(i)] = struct{}{}
		}
	}
	return float64(len(distinct)) > uniqueShare*float64(nonNull)
}
