package source_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

func TestTypesLateConflictFails(t *testing.T) {
	path := casePath(t, "20-late-type-conflict.csv")
	got := readFile(t, path, source.Options{Types: map[string]string{"Employees": "int", "Annual Revenue": "float"}})
	pe := wantParseError(t, got.err, connectors.KindType, `20-late-type-conflict.csv:5: column 2 "Employees": "50-100" is not an integer, but source.types declares the column as int`)
	if !pe.Recoverable {
		t.Error("a declared-type mismatch is fatal, want recoverable so that on_error reject applies")
	}
	if pe.Line != 5 || pe.Column != 2 || pe.Header != "Employees" || pe.File != path {
		t.Errorf("position = %s:%d column %d %q, want %s:5 column 2 Employees", pe.File, pe.Line, pe.Column, pe.Header, path)
	}
	if len(got.lines) != 3 {
		t.Errorf("wrote %d records before the error, want 3", len(got.lines))
	}
	if got.stats.Records != 3 || got.stats.RowsRead != 4 {
		t.Errorf("records %d, rows read %d; want 3 and 4", got.stats.Records, got.stats.RowsRead)
	}
}

func TestTypesLateConflictRejects(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	path := casePath(t, "20-late-type-conflict.csv")
	got := readFile(t, path, source.Options{
		Types:       map[string]string{"Employees": "int"},
		OnError:     "reject",
		RejectsPath: rejects,
	})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Email":"a1@example.com","Employees":"10","Annual Revenue":"1000"}`,
		`{"Email":"a2@example.com","Employees":"20","Annual Revenue":"2000"}`,
		`{"Email":"a3@example.com","Employees":"30","Annual Revenue":"3000"}`,
	)
	if got.stats.Rejected != 1 || got.stats.RejectsByKind[connectors.KindType] != 1 {
		t.Errorf("rejected %d, by kind %v; want 1 type", got.stats.Rejected, got.stats.RejectsByKind)
	}
	if got.stats.RowsRead != 4 {
		t.Errorf("rows read = %d, want 4", got.stats.RowsRead)
	}

	lines := readRejects(t, rejects)
	if len(lines) != 1 {
		t.Fatalf("reject file has %d lines, want 1", len(lines))
	}
	want := map[string]any{
		"file": path, "line": float64(5), "column": float64(2), "header": "Employees", "kind": "type",
		"raw": `{"Email":"a4@example.com","Employees":"50-100","Annual Revenue":"unknown"}`,
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("reject %s = %v, want %v", k, lines[0][k], v)
		}
	}
}

func TestTypesRejectLimit(t *testing.T) {
	got := readFile(t, casePath(t, "20-late-type-conflict.csv"), source.Options{
		Types:       map[string]string{"Employees": "int"},
		OnError:     "reject",
		MaxRejected: "0",
	})
	if got.err == nil || !strings.Contains(got.err.Error(), "rejected 1 rows, more than source.max_rejected 0") {
		t.Fatalf("error = %v, want the max_rejected limit", got.err)
	}
}

func TestTypesValidValuesPass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typed.csv")
	data := "Id,Employees,Revenue,Active,Tags,Created,Meta\n" +
		"1,120,\"1234.5\",true,\"[\"\"a\"\",\"\"b\"\"]\",2024-01-10T08:30:15.234Z,\"{\"\"k\"\":1}\"\n" +
		"2,,,,,,\n" +
		"3, 7 ,1e3,0,[],2024-01-10T08:30:15+02:00,{}\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path, source.Options{Types: map[string]string{
		"Employees": "int", "Revenue": "float", "Active": "bool", "Tags": "list[str]",
		"Created": "timestamp", "Meta": "dict", "Missing": "int",
	}})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Id":"1","Employees":"120","Revenue":"1234.5","Active":"true","Tags":"[\"a\",\"b\"]","Created":"2024-01-10T08:30:15.234Z","Meta":"{\"k\":1}"}`,
		`{"Id":"2","Employees":null,"Revenue":null,"Active":null,"Tags":null,"Created":null,"Meta":null}`,
		`{"Id":"3","Employees":" 7 ","Revenue":"1e3","Active":"0","Tags":"[]","Created":"2024-01-10T08:30:15+02:00","Meta":"{}"}`,
	)
}

func TestTypesInvalidTypeName(t *testing.T) {
	_, err := source.Open(casePath(t, "20-late-type-conflict.csv"), source.Options{Types: map[string]string{"Employees": "integer64"}})
	if err == nil {
		t.Fatal("Open accepted the type integer64")
	}
	if !strings.Contains(err.Error(), "invalid source.types.Employees") || !strings.Contains(err.Error(), `unknown type "integer64"`) {
		t.Errorf("error = %q, want it to name source.types.Employees and the unknown type", err)
	}
}

func TestTypesJSONNamesField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typed.jsonl")
	data := "{\"id\":1,\"employees\":12}\n{\"id\":2,\"employees\":\"many\"}\n{\"id\":3,\"employees\":null}\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path, source.Options{Types: map[string]string{"employees": "int"}, OnError: "reject"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"id":"1","employees":"12"}`, `{"id":"3","employees":null}`)

	got = readFile(t, path, source.Options{Types: map[string]string{"employees": "int"}})
	pe := wantParseError(t, got.err, connectors.KindType, `typed.jsonl:2: field "employees": "many" is not an integer`)
	if pe.Column != 0 {
		t.Errorf("column = %d, want 0 for a JSON field", pe.Column)
	}
}

// TestTypesAfterPreset checks that declared types use the column names the
// preset returns: HubSpot's properties.email becomes email.
func TestTypesAfterPreset(t *testing.T) {
	got := readFile(t, casePath(t, "23-hubspot-api-page.json"), source.Options{
		Preset: "hubspot",
		Types:  map[string]string{"hs_object_id": "int", "createdate": "timestamp", "archived": "bool", "firstname": "int"},
	})
	pe := wantParseError(t, got.err, connectors.KindType, `field "firstname": "Ada" is not an integer`)
	if pe.Line != 3 {
		t.Errorf("line = %d, want 3, where the first record starts", pe.Line)
	}
}
