package pipelines

import (
	"strings"
	"testing"
)

func TestUnknownKeySuggestion(t *testing.T) {
	cases := []struct {
		name, data, path, suggestion string
		line, column                 int
	}{
		{"top level", strings.Replace(pipelineYAML("", "", ""), "name:", "nmae:", 1), "nmae", "name", 1, 1},
		{"source", pipelineYAML("source:\n  path: in.csv\n  encodng: utf-8\n", "", ""), "source.encodng", "encoding", 4, 3},
		{"poll", pipelineYAML("", defaultEnrich+"  poll:\n    intial: 1s\n", ""), "enrich.poll.intial", "initial", 10, 5},
		{"struct object", pipelineYAML("", "enrich:\n  struct:\n    title: {descripton: x}\n", ""), "enrich.struct.title.descripton", "description", 6, 13},
		{"second sink", pipelineYAML("", "", defaultSinks+"  - type: parquet\n    path: b.parquet\n    compresion: zstd\n"), "sinks[1].compresion", "compression", 14, 5},
		{"sink columns", pipelineYAML("", "", defaultSinks+"    columns:\n      renme: {a: b}\n"), "sinks[0].columns.renme", "rename", 13, 7},
		{"enrich special key", pipelineYAML("", "enrich:\n  struct: {a: b}\n  input: {a: b}\n", ""), "enrich.input", "inputs", 6, 3},
		{"case only", pipelineYAML("", "", "sinks:\n  - Type: csv\n    type: csv\n    path: o.csv\n"), "sinks[0].Type", "type", 10, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := wantError(t, c.data, c.path, "unknown key; did you mean "+c.suggestion+"?")
			if e.Line != c.line || e.Column != c.column {
				t.Errorf("position = %d:%d, want %d:%d", e.Line, e.Column, c.line, c.column)
			}
		})
	}
}

func TestUnknownKeyWithoutSuggestion(t *testing.T) {
	e := wantError(t, pipelineYAML("", "", defaultSinks+"    banana: 1\n"), "sinks[0].banana", "unknown key; known keys here are type, path, compression")
	enrichErr := wantError(t, pipelineYAML("", defaultEnrich+"  zzzzzzzz: 1\n", ""), "enrich.zzzzzzzz", "known keys here are endpoint")
	if strings.Count(enrichErr.Msg, "inputs") != 1 || !strings.Contains(enrichErr.Msg, ", struct") {
		t.Errorf("known keys of enrich should name inputs once and include struct: %q", enrichErr.Msg)
	}
	if strings.Contains(e.Msg, "did you mean") {
		t.Errorf("message %q suggests a key for a word far from all of them", e.Msg)
	}
}

func TestConfigErrorFormat(t *testing.T) {
	e := &ConfigError{File: "pipeline.yaml", Path: "sinks[1].compresion", Line: 12, Column: 5, Msg: "unknown key; did you mean compression?"}
	if got, want := e.Error(), "pipeline.yaml:12:5: sinks[1].compresion: unknown key; did you mean compression?"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &ConfigError{File: "p.yaml", Msg: "the pipeline file is empty"}
	if got, want := e.Error(), "p.yaml: the pipeline file is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWrongTypes(t *testing.T) {
	cases := []struct {
		name, data, path, fragment string
	}{
		{"text for int", pipelineYAML("", "", "") + "chunk:\n  max_rows: lots\n", "chunk.max_rows", `expected a whole number, got the text "lots"`},
		{"float for int", pipelineYAML("", "", "") + "chunk:\n  max_rows: 1.5\n", "chunk.max_rows", "expected a whole number, got 1.5"},
		{"quoted bool", pipelineYAML("", defaultEnrich+"  field_confidence: \"true\"\n", ""), "enrich.field_confidence", `expected true or false, got the text "true"`},
		{"yes is not a bool", pipelineYAML("", "", defaultSinks+"  - {type: csv, path: o.csv, bom: yes}\n"), "sinks[1].bom", "expected true or false"},
		{"mapping for list", pipelineYAML("", "", "sinks:\n  type: csv\n"), "sinks", "expected a list, got a mapping"},
		{"list for mapping", pipelineYAML("source:\n  path: in.csv\n  types: [a, b]\n", "", ""), "source.types", "expected a mapping, got a list"},
		{"list for text", strings.Replace(pipelineYAML("", "", ""), "name: test", "name: [a]", 1), "name", "expected text, got a list"},
		{"number as description", pipelineYAML("", "enrich:\n  struct:\n    employees: 5\n", ""), "enrich.struct.employees", "quote it if it is text"},
		{"list as description", pipelineYAML("", "enrich:\n  struct:\n    employees: [a]\n", ""), "enrich.struct.employees", "got a list"},
		{"struct not a mapping", pipelineYAML("", "enrich:\n  struct: [title]\n", ""), "enrich.struct", "expected a mapping of field name to description"},
		{"keep word", pipelineYAML("", "", defaultSinks+"    columns: {keep: some}\n"), "sinks[0].columns.keep", `invalid value "some"; use all, none or a list`},
		{"keep mapping", pipelineYAML("", "", defaultSinks+"    columns: {keep: {a: b}}\n"), "sinks[0].columns.keep", "expected all, none or a list"},
		{"empty list entry", pipelineYAML("", defaultEnrich+"  columns: [full_name, ]\n  result_formats:\n    -\n", ""), "enrich.result_formats[0]", "empty list entry"},
		{"price not a number", pipelineYAML("", defaultEnrich+"  price_cents_per_row: {low: two}\n", ""), "enrich.price_cents_per_row.low", "expected a whole number"},
		{"int overflow", pipelineYAML("", "", "") + "chunk:\n  max_rows: 99999999999999999999\n", "chunk.max_rows", "expected a whole number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, c.data, c.path, c.fragment)
		})
	}
}

func TestWrongTypeNotReportedTwice(t *testing.T) {
	list := parseErrors(t, pipelineYAML("", "", "sinks: nope\n"), noEnv)
	if len(list) != 1 {
		t.Errorf("got %d problems, want only the wrong type:\n%v", len(list), list)
	}
}

func TestNumbersAcceptedAsText(t *testing.T) {
	p := mustParse(t, pipelineYAML("source:\n  path: in.csv\n  key: 42\n  on_error: reject\n  max_rejected: 10\n", "", ""))
	if p.Source.Key != "42" || p.Source.MaxRejected != "10" {
		t.Errorf("key, max_rejected = %q, %q; want 42, 10", p.Source.Key, p.Source.MaxRejected)
	}
}

func TestDuplicateKeys(t *testing.T) {
	e := wantError(t, pipelineYAML("", "enrich:\n  inputs:\n    company: Company\n    company: Account\n  struct: {a: b}\n", ""), "enrich.inputs.company", "duplicate key, first given at line 6")
	if e.Line != 7 {
		t.Errorf("duplicate reported at line %d, want 7", e.Line)
	}
	wantError(t, pipelineYAML("", "", "")+"name: again\n", "name", "duplicate key")
}

func TestYAMLStructureErrors(t *testing.T) {
	cases := []struct {
		name, data, fragment string
		line                 int
	}{
		{"empty file", "", "the pipeline file is empty", 0},
		{"comment only", "# nothing\n", "the pipeline file is empty", 0},
		{"syntax", "name: x\nsource: [\n", "invalid YAML", 2},
		{"tab indent", "name: x\nsource:\n\tpath: a\n", "invalid YAML", 3},
		{"second document", pipelineYAML("", "", "") + "---\nname: other\n", "second YAML document", 12},
		{"top-level list", "- a\n- b\n", "expected a mapping of keys", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list := parseErrors(t, c.data, noEnv)
			if len(list) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(list), list)
			}
			if !strings.Contains(list[0].Msg, c.fragment) {
				t.Errorf("message %q does not contain %q", list[0].Msg, c.fragment)
			}
			if list[0].Line != c.line {
				t.Errorf("line = %d, want %d", list[0].Line, c.line)
			}
		})
	}
}

func TestAnchorsAndAliases(t *testing.T) {
	data := pipelineYAML("", "", "sinks:\n  - &base {type: csv, path: a.csv, delimiter: \";\"}\n  - {type: csv, path: b.csv}\n") + "x-unused: *base\n"
	wantError(t, data, "x-unused", "unknown key")

	data = "name: t\nsource: {path: in.csv}\nenrich:\n  struct: &fields {title: Job title}\n  lead_struct: *fields\n  endpoint: company\n  find_people: true\nsinks: [{type: jsonl, path: o.jsonl}]\n"
	p := mustParse(t, data)
	if p.Enrich.LeadStruct["title"] != "Job title" {
		t.Errorf("lead_struct through an alias = %v", p.Enrich.LeadStruct)
	}
}

func TestMergeKeyRejected(t *testing.T) {
	data := "name: t\nsource: {path: in.csv}\nenrich:\n  struct: {a: b}\nsinks:\n  - &s {type: csv, path: a.csv}\n  - <<: *s\n    path: b.csv\n"
	wantError(t, data, "sinks[1].<<", "merge keys (<<) are not supported")
}
