package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	xcommon "github.com/xitongsys/parquet-go/common"
	xparquet "github.com/xitongsys/parquet-go/parquet"
	xreader "github.com/xitongsys/parquet-go/reader"
	xsource "github.com/xitongsys/parquet-go/source"
)

// The helpers below read a file back with two Parquet implementations that
// share no code with arrow-go, and turn every column into []any: nil for a
// null, string, int64 (timestamps as microseconds), float64, bool, or []any
// for a list.

// leafInfo is what a reader reports about one leaf column.
type leafInfo struct {
	physical string // BYTE_ARRAY, INT64, DOUBLE, BOOLEAN
	logical  string // STRING, TIMESTAMP(MICROS,UTC) or ""
	list     bool
}

// fileInfo is a file as one reader sees it.
type fileInfo struct {
	leaves      []leafInfo
	columns     [][]any
	rowGroups   []int64
	keyValues   map[string]string
	compression []string // codec of each column chunk of the first row group
}

// xitongsysFile adapts *os.File to the xitongsys source.ParquetFile
// interface, read-only.
type xitongsysFile struct{ *os.File }

func (f xitongsysFile) Open(string) (xsource.ParquetFile, error) {
	g, err := os.Open(f.Name())
	if err != nil {
		return nil, err
	}
	return xitongsysFile{g}, nil
}

func (f xitongsysFile) Create(string) (xsource.ParquetFile, error) {
	return nil, errors.New("read-only test file")
}

func readXitongsys(t *testing.T, path string) fileInfo {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := xreader.NewParquetColumnReader(xitongsysFile{f}, 1)
	if err != nil {
		t.Fatalf("xitongsys reader: open %s: %v", path, err)
	}
	defer pr.ReadStop()
	defer f.Close()

	var info fileInfo
	info.keyValues = map[string]string{}
	for _, kv := range pr.Footer.KeyValueMetadata {
		if kv.Value != nil {
			info.keyValues[kv.Key] = *kv.Value
		}
	}
	for _, rg := range pr.Footer.RowGroups {
		info.rowGroups = append(info.rowGroups, rg.NumRows)
	}
	if len(pr.Footer.RowGroups) > 0 {
		for _, c := range pr.Footer.RowGroups[0].Columns {
			info.compression = append(info.compression, c.MetaData.Codec.String())
		}
	}

	numRows := pr.GetNumRows()
	for _, path := range pr.SchemaHandler.ValueColumns {
		idx := pr.SchemaHandler.MapIndex[path]
		elem := pr.SchemaHandler.SchemaElements[idx]
		maxDL, err := pr.SchemaHandler.MaxDefinitionLevel(xcommon.StrToPath(path))
		if err != nil {
			t.Fatal(err)
		}
		leaf := leafInfo{physical: elem.GetType().String(), list: maxDL == 3}
		if lt := elem.GetLogicalType(); lt != nil {
			switch {
			case lt.IsSetSTRING():
				leaf.logical = "STRING"
			case lt.IsSetTIMESTAMP():
				ts := lt.GetTIMESTAMP()
				unit := "MILLIS"
				if ts.GetUnit().IsSetMICROS() {
					unit = "MICROS"
				}
				zone := "local"
				if ts.GetIsAdjustedToUTC() {
					zone = "UTC"
				}
				leaf.logical = fmt.Sprintf("TIMESTAMP(%s,%s)", unit, zone)
			}
		} else if elem.IsSetConvertedType() && elem.GetConvertedType() == xparquet.ConvertedType_UTF8 {
			leaf.logical = "STRING"
		}
		info.leaves = append(info.leaves, leaf)

		values, rls, dls, err := pr.ReadColumnByPath(path, numRows)
		if err != nil {
			t.Fatalf("xitongsys reader: column %s: %v", path, err)
		}
		info.columns = append(info.columns, assemble(values, rls, dls, leaf.list))
	}
	return info
}

func readParquetGo(t *testing.T, path string) fileInfo {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pqgo.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("parquet-go reader: open %s: %v", path, err)
	}

	var info fileInfo
	info.keyValues = map[string]string{}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		info.keyValues[kv.Key] = kv.Value
	}
	paths := pf.Schema().Columns()
	for _, p := range paths {
		leaf, ok := pf.Schema().Lookup(p...)
		if !ok {
			t.Fatalf("parquet-go reader: no leaf %v", p)
		}
		li := leafInfo{physical: leaf.Node.Type().Kind().String(), list: leaf.MaxDefinitionLevel == 3}
		if lt := leaf.Node.Type().LogicalType(); lt != nil {
			switch x := lt.Value.(type) {
			case *format.StringType:
				li.logical = "STRING"
			case *format.TimestampType:
				unit := "MILLIS"
				if _, ok := x.Unit.Value.(*format.MicroSeconds); ok {
					unit = "MICROS"
				}
				zone := "local"
				if x.IsAdjustedToUTC {
					zone = "UTC"
				}
				li.logical = fmt.Sprintf("TIMESTAMP(%s,%s)", unit, zone)
			}
		}
		info.leaves = append(info.leaves, li)
	}

	values := make([][]any, len(paths))
	rls := make([][]int32, len(paths))
	dls := make([][]int32, len(paths))
	for _, rg := range pf.RowGroups() {
		info.rowGroups = append(info.rowGroups, rg.NumRows())
		rows := rg.Rows()
		buf := make([]pqgo.Row, 256)
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				for _, v := range row {
					c := v.Column()
					rls[c] = append(rls[c], int32(v.RepetitionLevel()))
					dls[c] = append(dls[c], int32(v.DefinitionLevel()))
					values[c] = append(values[c], plainValue(v))
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("parquet-go reader: read rows: %v", err)
			}
		}
		rows.Close()
	}
	for c := range paths {
		info.columns = append(info.columns, assemble(values[c], rls[c], dls[c], info.leaves[c].list))
	}
	return info
}

func plainValue(v pqgo.Value) any {
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case pqgo.ByteArray:
		return string(v.ByteArray())
	case pqgo.Int64:
		return v.Int64()
	case pqgo.Double:
		return v.Double()
	case pqgo.Boolean:
		return v.Boolean()
	}
	return fmt.Sprintf("unexpected kind %v", v.Kind())
}

// assemble turns a leaf column's values with repetition and definition
// levels into one cell per row. A flat optional column has definition
// level 1 for a value. A three-level LIST has 0 for a null list, 1 for an
// empty list, 2 for a null element and 3 for an element.
func assemble(values []any, rls, dls []int32, list bool) []any {
	var cells []any
	for i := range values {
		if !list {
			if dls[i] == 0 {
				cells = append(cells, nil)
			} else {
				cells = append(cells, normalize(values[i]))
			}
			continue
		}
		if rls[i] == 0 {
			switch dls[i] {
			case 0:
				cells = append(cells, nil)
				continue
			case 1:
				cells = append(cells, []any{})
				continue
			}
			cells = append(cells, []any{})
		}
		last := cells[len(cells)-1].([]any)
		if dls[i] == 2 {
			last = append(last, nil)
		} else {
			last = append(last, normalize(values[i]))
		}
		cells[len(cells)-1] = last
	}
	return cells
}

// normalize maps the Go types the readers return to the ones used in
// expectations.
func normalize(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int32:
		return int64(x)
	}
	return v
}
