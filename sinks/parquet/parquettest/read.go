// Package parquettest reads a Parquet file back for tests with two Parquet
// implementations that share no code with arrow-go, the writer of
// sinks/parquet: github.com/xitongsys/parquet-go and
// github.com/parquet-go/parquet-go. Only test files import it.
//
// Each reader turns every leaf column into []any: nil for a null, string,
// int64 (timestamps as microseconds since the Unix epoch), float64, bool, or
// []any for a LIST.
package parquettest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"testing"
	"unicode/utf8"

	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	xcommon "github.com/xitongsys/parquet-go/common"
	xparquet "github.com/xitongsys/parquet-go/parquet"
	xreader "github.com/xitongsys/parquet-go/reader"
	xsource "github.com/xitongsys/parquet-go/source"
)

// Leaf is the type of one leaf column as a reader reports it.
type Leaf struct {
	Physical string // BYTE_ARRAY, INT64, DOUBLE or BOOLEAN
	Logical  string // STRING, TIMESTAMP(MICROS,UTC) or ""
	List     bool   // the leaf is the element of a three-level LIST
}

// File is a Parquet file as one reader sees it.
type File struct {
	// Names are the top-level column names, one per leaf.
	Names       []string
	Leaves      []Leaf
	Columns     [][]any // one cell per row for each leaf
	RowGroups   []int64 // rows per row group
	KeyValues   map[string]string
	Compression []string // codec of each column chunk of the first row group; xitongsys only
}

// Column returns the cells of the top-level column name, or fails the test.
func (f File) Column(t testing.TB, name string) []any {
	t.Helper()
	for i, n := range f.Names {
		if n == name {
			return f.Columns[i]
		}
	}
	t.Fatalf("parquet file has no column %q; columns are %q", name, f.Names)
	return nil
}

// Leaf returns the type of the top-level column name, or fails the test.
func (f File) Leaf(t testing.TB, name string) Leaf {
	t.Helper()
	for i, n := range f.Names {
		if n == name {
			return f.Leaves[i]
		}
	}
	t.Fatalf("parquet file has no column %q; columns are %q", name, f.Names)
	return Leaf{}
}

// ReadBoth reads path with both readers, fails the test when they disagree
// on anything but the codecs, and returns what parquet-go read.
func ReadBoth(t testing.TB, path string) File {
	t.Helper()
	x := ReadXitongsys(t, path)
	p := ReadParquetGo(t, path)
	x.Compression, p.Compression = nil, nil
	if reflect.DeepEqual(x, p) {
		return p
	}
	// Report the first difference only: a whole file can be megabytes.
	switch {
	case !reflect.DeepEqual(x.Names, p.Names):
		t.Fatalf("Parquet readers disagree on %s: column names %q (xitongsys) and %q (parquet-go)", path, x.Names, p.Names)
	case !reflect.DeepEqual(x.Leaves, p.Leaves):
		t.Fatalf("Parquet readers disagree on %s: leaf types %+v (xitongsys) and %+v (parquet-go)", path, x.Leaves, p.Leaves)
	case !reflect.DeepEqual(x.RowGroups, p.RowGroups):
		t.Fatalf("Parquet readers disagree on %s: row groups %v (xitongsys) and %v (parquet-go)", path, x.RowGroups, p.RowGroups)
	case !reflect.DeepEqual(x.KeyValues, p.KeyValues):
		t.Fatalf("Parquet readers disagree on %s: key-value metadata %v (xitongsys) and %v (parquet-go)", path, x.KeyValues, p.KeyValues)
	}
	for c := range x.Columns {
		if len(x.Columns[c]) != len(p.Columns[c]) {
			t.Fatalf("Parquet readers disagree on %s: column %q has %d cells (xitongsys) and %d (parquet-go)", path, x.Names[c], len(x.Columns[c]), len(p.Columns[c]))
		}
		for r := range x.Columns[c] {
			if !reflect.DeepEqual(x.Columns[c][r], p.Columns[c][r]) {
				t.Fatalf("Parquet readers disagree on %s: column %q row %d is %#v (xitongsys) and %#v (parquet-go)", path, x.Names[c], r, x.Columns[c][r], p.Columns[c][r])
			}
		}
	}
	t.Fatalf("Parquet readers disagree on %s", path)
	return p
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

// ReadXitongsys reads path with github.com/xitongsys/parquet-go.
func ReadXitongsys(t testing.TB, path string) File {
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

	info := File{KeyValues: map[string]string{}}
	for _, kv := range pr.Footer.KeyValueMetadata {
		if kv.Value != nil {
			info.KeyValues[kv.Key] = *kv.Value
		}
	}
	for _, rg := range pr.Footer.RowGroups {
		info.RowGroups = append(info.RowGroups, rg.NumRows)
	}
	if len(pr.Footer.RowGroups) > 0 {
		for _, c := range pr.Footer.RowGroups[0].Columns {
			info.Compression = append(info.Compression, c.MetaData.Codec.String())
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
		leaf := Leaf{Physical: elem.GetType().String(), List: maxDL == 3}
		if lt := elem.GetLogicalType(); lt != nil {
			switch {
			case lt.IsSetSTRING():
				leaf.Logical = "STRING"
			case lt.IsSetTIMESTAMP():
				ts := lt.GetTIMESTAMP()
				leaf.Logical = timestampName(ts.GetUnit().IsSetMICROS(), ts.GetIsAdjustedToUTC())
			}
		} else if elem.IsSetConvertedType() && elem.GetConvertedType() == xparquet.ConvertedType_UTF8 {
			leaf.Logical = "STRING"
		}
		info.Leaves = append(info.Leaves, leaf)
		info.Names = append(info.Names, topLevelName(pr, path))

		values, rls, dls, err := pr.ReadColumnByPath(path, numRows)
		if err != nil {
			t.Fatalf("xitongsys reader: column %s: %v", path, err)
		}
		info.Columns = append(info.Columns, assemble(values, rls, dls, leaf.List))
	}
	return info
}

// topLevelName returns the name in the file of the top-level column of a
// xitongsys leaf path. The reader keys paths by names it has turned into Go
// identifiers ("id" becomes "Id"), and keeps the name from the file as the
// external name.
func topLevelName(pr *xreader.ParquetReader, path string) string {
	parts := xcommon.StrToPath(path)
	if len(parts) < 2 {
		return path
	}
	top := xcommon.PathToStr(parts[:2])
	if idx, ok := pr.SchemaHandler.MapIndex[top]; ok {
		return pr.SchemaHandler.GetExName(int(idx))
	}
	return parts[1]
}

func timestampName(micros, utc bool) string {
	unit, zone := "MILLIS", "local"
	if micros {
		unit = "MICROS"
	}
	if utc {
		zone = "UTC"
	}
	return fmt.Sprintf("TIMESTAMP(%s,%s)", unit, zone)
}

// ReadParquetGo reads path with github.com/parquet-go/parquet-go.
func ReadParquetGo(t testing.TB, path string) File {
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

	info := File{KeyValues: map[string]string{}}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		info.KeyValues[kv.Key] = kv.Value
	}
	paths := pf.Schema().Columns()
	for _, p := range paths {
		leaf, ok := pf.Schema().Lookup(p...)
		if !ok {
			t.Fatalf("parquet-go reader: no leaf %v", p)
		}
		li := Leaf{Physical: leaf.Node.Type().Kind().String(), List: leaf.MaxDefinitionLevel == 3}
		if lt := leaf.Node.Type().LogicalType(); lt != nil {
			switch x := lt.Value.(type) {
			case *format.StringType:
				li.Logical = "STRING"
			case *format.TimestampType:
				_, micros := x.Unit.Value.(*format.MicroSeconds)
				li.Logical = timestampName(micros, x.IsAdjustedToUTC)
			}
		}
		info.Leaves = append(info.Leaves, li)
		info.Names = append(info.Names, p[0])
	}

	values := make([][]any, len(paths))
	rls := make([][]int32, len(paths))
	dls := make([][]int32, len(paths))
	for _, rg := range pf.RowGroups() {
		info.RowGroups = append(info.RowGroups, rg.NumRows())
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
		info.Columns = append(info.Columns, assemble(values[c], rls[c], dls[c], info.Leaves[c].List))
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

// ValidUTF8 returns the first string cell of f that is not valid UTF-8, as
// column name and row, or ok true when every string is valid.
func ValidUTF8(f File) (column string, row int, ok bool) {
	for c, cells := range f.Columns {
		for r, cell := range cells {
			if !cellValidUTF8(cell) {
				return f.Names[c], r, false
			}
		}
	}
	return "", 0, true
}

func cellValidUTF8(cell any) bool {
	switch x := cell.(type) {
	case string:
		return utf8.ValidString(x)
	case []any:
		for _, item := range x {
			if !cellValidUTF8(item) {
				return false
			}
		}
	}
	return true
}
