package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/pipelines"
)

func TestCheckUnknownTypedColumn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.csv"), []byte("Id,Name,Employees\n1,Ada,10\n"), 0o644)
	yaml := `name: t
source:
  path: in.csv
  types: {Employes: int}
enrich:
  inputs: {full_name: Name}
  struct: {title: Job title}
sinks:
  - {type: csv, path: out.csv}
`
	path := filepath.Join(dir, "p.yaml")
	os.WriteFile(path, []byte(yaml), 0o644)
	p, err := pipelines.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Check(p)
	if err == nil {
		t.Fatal("Check accepted a type for a column the source does not have")
	}
	for _, want := range []string{"source.types.Employes", `did you mean "Employees"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if code := ExitCodeFor(&Summary{}, err); code != ExitConfig {
		t.Errorf("exit code %d, want %d", code, ExitConfig)
	}
}

func TestCheckWarnsOnCaseCollision(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.csv"), []byte("Id,Name,Founded\n1,Acme,1902\n"), 0o644)
	yaml := `name: t
source:
  path: in.csv
enrich:
  endpoint: company
  inputs: {company_name: Name}
  struct: {founded: Year founded}
sinks:
  - {type: parquet, path: out.parquet}
`
	path := filepath.Join(dir, "p.yaml")
	os.WriteFile(path, []byte(yaml), 0o644)
	p, err := pipelines.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	warnings, err := Check(p)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range warnings {
		if strings.Contains(w, `"Founded" and "founded"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %q do not mention the Founded/founded collision", warnings)
	}
}
