package pipelines

import (
	"strings"
	"testing"
)

func TestSourceRules(t *testing.T) {
	src := func(lines string) string { return pipelineYAML("source:\n  path: in.csv\n"+lines, "", "") }
	cases := []struct {
		name, data, path string
		fragments        []string
	}{
		{"name characters", strings.Replace(pipelineYAML("", "", ""), "name: test", "name: leads/2024", 1), "name", []string{`invalid name "leads/2024"`, "letters, digits, - and _"}},
		{"format value", src("  format: xml\n"), "source.format", []string{`invalid value "xml"`, "csv, json, jsonl"}},
		{"member without zip", src("  member: a.csv\n"), "source.member", []string{"only a .zip source"}},
		{"preset typo", src("  preset: salesfroce\n"), "source.preset", []string{"did you mean salesforce?"}},
		{"encoding", src("  encoding: klingon\n"), "source.encoding", []string{`unknown encoding "klingon"`}},
		{"delimiter length", src("  delimiter: \";;\"\n"), "source.delimiter", []string{"give one character"}},
		{"delimiter quote", src("  delimiter: '\"'\n"), "source.delimiter", []string{"a quote or line break"}},
		{"delimiter on json", pipelineYAML("source:\n  path: in.json\n  delimiter: \";\"\n", "", ""), "source.delimiter", []string{"only to csv sources", "json"}},
		{"records_path on csv", src("  records_path: /results\n"), "source.records_path", []string{"only to json sources"}},
		{"records_path syntax", pipelineYAML("source:\n  path: in.json\n  records_path: results\n", "", ""), "source.records_path", []string{"starts with /"}},
		{"records_path tilde", pipelineYAML("source:\n  path: in.json\n  records_path: /a~2b\n", "", ""), "source.records_path", []string{"~0", "~1"}},
		{"flatten on csv", src("  flatten_arrays: index\n"), "source.flatten_arrays", []string{"only to json and jsonl"}},
		{"flatten value", pipelineYAML("source:\n  path: in.jsonl\n  flatten_arrays: explode\n", "", ""), "source.flatten_arrays", []string{"index, json"}},
		{"types value", src("  types: {Revenue: flaot}\n"), "source.types.Revenue", []string{`invalid value "flaot"`, "did you mean float?"}},
		{"on_error value", src("  on_error: skip\n"), "source.on_error", []string{"fail, reject"}},
		{"max_rejected needs reject", src("  max_rejected: 5\n"), "source.max_rejected", []string{"only with on_error: reject"}},
		{"max_rejected percent", src("  on_error: reject\n  max_rejected: 150%\n"), "source.max_rejected", []string{"0 to 100"}},
		{"max_rejected text", src("  on_error: reject\n  max_rejected: many\n"), "source.max_rejected", []string{"row count", "percentage"}},
		{"max_record_size", src("  max_record_size: 10 parsecs\n"), "source.max_record_size", []string{"invalid size"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, c.data, c.path, c.fragments...)
		})
	}
}

func TestSourceRulesAccepted(t *testing.T) {
	cases := []string{
		"  delimiter: tab\n",
		"  delimiter: \"\\t\"\n",
		"  delimiter: \"§\"\n",
		"  encoding: windows-1252\n",
		"  encoding: UTF-16LE\n",
		"  encoding: latin1\n",
		"  on_error: reject\n  max_rejected: 1.5%\n",
		"  on_error: reject\n  max_rejected: 0\n",
		"  max_record_size: 64KiB\n",
		"  types:\n    Ids: list[int]\n    Meta: dict\n    Active: boolean\n",
	}
	for _, lines := range cases {
		mustParse(t, pipelineYAML("source:\n  path: in.csv\n"+lines, "", ""))
	}
	mustParse(t, pipelineYAML("source:\n  path: in.json\n  records_path: /results/a~1b\n  flatten_arrays: json\n", "", ""))
	mustParse(t, pipelineYAML("source:\n  path: in.jsonl.gz\n  flatten_arrays: index\n", "", ""))
}

func TestChunkLimits(t *testing.T) {
	chunk := func(lines string) string { return pipelineYAML("", "", "") + "chunk:\n" + lines }
	cases := []struct {
		name, lines, path, fragment string
	}{
		{"rows over max", "  max_rows: 100001\n", "chunk.max_rows", "give 1 to 100000"},
		{"rows zero", "  max_rows: 0\n", "chunk.max_rows", "out of range"},
		{"rows negative", "  max_rows: -5\n", "chunk.max_rows", "out of range"},
		{"bytes over max", "  max_bytes: 101MB\n", "chunk.max_bytes", "101000000 bytes, more than the API's limit"},
		{"binary bytes over max", "  max_bytes: 96MiB\n", "chunk.max_bytes", "100663296 bytes"},
		{"bytes unit", "  max_bytes: 5 furlongs\n", "chunk.max_bytes", "invalid size"},
		{"bytes zero", "  max_bytes: 0\n", "chunk.max_bytes", "more than 0 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, chunk(c.lines), c.path, c.fragment)
		})
	}

	p := mustParse(t, chunk("  max_rows: 100000\n  max_bytes: 95MiB\n"))
	if p.MaxBytes() != 95*1024*1024 {
		t.Errorf("MaxBytes = %d, want %d", p.MaxBytes(), 95*1024*1024)
	}
	p = mustParse(t, chunk("  max_bytes: 100MB\n"))
	if p.MaxBytes() != MaxChunkBytes {
		t.Errorf("MaxBytes = %d, want %d", p.MaxBytes(), MaxChunkBytes)
	}
}

func TestEndpointAndTier(t *testing.T) {
	enrich := func(lines string) string {
		return pipelineYAML("", "enrich:\n  struct: {title: Job title}\n"+lines, "")
	}
	valid := []string{
		"  endpoint: people\n  tier: xhigh\n",
		"  endpoint: people\n  tier: micro\n",
		"  endpoint: company\n  tier: high\n",
		"  endpoint: company\n  find_people: true\n  people_focus_prompt: Sales leaders\n  lead_struct: {email: Work email, seniority: {description: Level, type: str}}\n  full_org_chart: false\n",
		"  endpoint: company\n  find_people: false\n",
	}
	for _, lines := range valid {
		mustParse(t, enrich(lines))
	}

	cases := []struct {
		name, data, path string
		fragments        []string
	}{
		{"endpoint value", enrich("  endpoint: peple\n"), "enrich.endpoint", []string{`invalid value "peple"`, "did you mean people?"}},
		{"tier value", enrich("  tier: ultra\n"), "enrich.tier", []string{"micro, low, medium, high, xhigh"}},
		{"xhigh for company", enrich("  endpoint: company\n  tier: xhigh\n"), "enrich.tier", []string{"only by the people endpoint"}},
		{"find_people on people", enrich("  find_people: true\n"), "enrich.find_people", []string{"only to endpoint: company"}},
		{"full_org_chart on people", enrich("  full_org_chart: true\n"), "enrich.full_org_chart", []string{"only to endpoint: company"}},
		{"lead_struct on people", enrich("  lead_struct: {email: Work email}\n"), "enrich.lead_struct", []string{"only to endpoint: company"}},
		{"focus without find_people", enrich("  endpoint: company\n  people_focus_prompt: CEOs\n"), "enrich.people_focus_prompt", []string{"without find_people: true"}},
		{"lead_struct type", enrich("  endpoint: company\n  find_people: true\n  lead_struct: {age: {description: Age, type: number}}\n"), "enrich.lead_struct.age.type", []string{`invalid value "number"`}},
		{"company without struct", pipelineYAML("", "enrich:\n  endpoint: company\n", ""), "enrich.struct", []string{"missing or empty"}},
		{"people with empty struct", pipelineYAML("", "enrich:\n  struct: {}\n", ""), "enrich.struct", []string{"missing or empty"}},
		{"struct type", pipelineYAML("", "enrich:\n  struct: {n: {description: Count, type: integr}}\n", ""), "enrich.struct.n.type", []string{"did you mean integer?"}},
		{"struct null description", pipelineYAML("", "enrich:\n  struct:\n    title:\n", ""), "enrich.struct.title", []string{"empty description"}},
		{"struct empty description", pipelineYAML("", "enrich:\n  struct: {title: \"\"}\n", ""), "enrich.struct.title", []string{"empty description"}},
		{"struct object without description", pipelineYAML("", "enrich:\n  struct: {n: {type: int}}\n", ""), "enrich.struct.n.description", []string{"empty description"}},
		{"price tier", enrich("  price_cents_per_row: {hgih: 20}\n"), "enrich.price_cents_per_row.hgih", []string{"did you mean high?"}},
		{"price negative", enrich("  price_cents_per_row: {low: -1}\n"), "enrich.price_cents_per_row.low", []string{"negative"}},
		{"budget zero", enrich("  max_cost_cents: 0\n"), "enrich.max_cost_cents", []string{"not positive"}},
		{"concurrency", enrich("  concurrency: 0\n"), "enrich.concurrency", []string{"1 to 100"}},
		{"rate limit", enrich("  rate_limit_per_minute: 0\n"), "enrich.rate_limit_per_minute", []string{"not positive"}},
		{"api key env holds a key", enrich("  api_key_env: sk-live-123\n"), "enrich.api_key_env", []string{"not the key itself"}},
		{"poll duration", enrich("  poll: {initial: 5}\n"), "enrich.poll.initial", []string{`invalid duration "5"`}},
		{"poll negative", enrich("  poll: {timeout: -1h}\n"), "enrich.poll.timeout", []string{"not positive"}},
		{"poll order", enrich("  poll: {initial: 2m, max: 1m}\n"), "enrich.poll.max", []string{"shorter than poll.initial"}},
		{"poll timeout", enrich("  poll: {timeout: 30s}\n"), "enrich.poll.timeout", []string{"shorter than poll.max"}},
		{"columns duplicate", pipelineYAML("", defaultEnrich+"  columns: [full_name, full_name]\n", ""), "enrich.columns[1]", []string{"listed twice"}},
		{"columns unknown", pipelineYAML("", defaultEnrich+"  columns: [company]\n", ""), "enrich.columns[0]", []string{"not an enrich.inputs name", "full_name"}},
		{"result_formats empty", enrich("  result_formats: [\"\"]\n"), "enrich.result_formats[0]", []string{"empty entry"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, c.data, c.path, c.fragments...)
		})
	}
}

func TestPollDurationsSet(t *testing.T) {
	p := mustParse(t, pipelineYAML("", defaultEnrich+"  poll: {initial: 1s, max: 2m, timeout: 1h30m}\n", ""))
	initial, maxWait, timeout := p.PollDurations()
	if initial.String() != "1s" || maxWait.String() != "2m0s" || timeout.String() != "1h30m0s" {
		t.Errorf("PollDurations = %v, %v, %v", initial, maxWait, timeout)
	}
}

func TestBaseURL(t *testing.T) {
	enrich := func(url string) string { return pipelineYAML("", defaultEnrich+"  base_url: "+url+"\n", "") }
	for _, ok := range []string{"https://api.sixtyfour.ai", "http://127.0.0.1:8064", "http://[::1]:8064", "http://localhost:8064/prefix", "https://proxy.example.com/sixtyfour"} {
		mustParse(t, enrich(ok))
	}
	wantError(t, enrich("http://api.example.com"), "enrich.base_url", "send the API key unencrypted")
	wantError(t, enrich("ftp://api.example.com"), "enrich.base_url", "invalid URL")
	wantError(t, enrich("api.sixtyfour.ai"), "enrich.base_url", "invalid URL")
	wantError(t, enrich("https://user:pw@api.example.com"), "enrich.base_url", "credentials")
}

func TestInputRules(t *testing.T) {
	inputs := func(lines string) string {
		return pipelineYAML("", "enrich:\n  struct: {title: Job title}\n  inputs:\n"+lines, "")
	}
	mustParse(t, inputs("    full_name: \"{FirstName} {LastName}\"\n    note: \"{{literal}} {Company}\"\n    company: Company\n"))

	cases := []struct {
		name, lines, path, fragment string
	}{
		{"unclosed", "    full_name: \"{FirstName\"\n", "enrich.inputs.full_name", "unclosed {"},
		{"empty placeholder", "    full_name: \"{} x\"\n", "enrich.inputs.full_name", "empty placeholder"},
		{"unmatched", "    full_name: \"a } b\"\n", "enrich.inputs.full_name", "unmatched }"},
		{"empty value", "    company: \"\"\n", "enrich.inputs.company", "empty value"},
		{"empty name", "    \"\": Company\n", "enrich.inputs.", "empty input name"},
		{"key column", "    _crmsync_key: Id\n", "enrich.inputs._crmsync_key", "rename the input"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, inputs(c.lines), c.path, c.fragment)
		})
	}
}

func TestNameCollisions(t *testing.T) {
	e := wantError(t, pipelineYAML("", "enrich:\n  inputs: {company: Company}\n  struct:\n    company: Company name\n", ""),
		"enrich.struct.company", "same name as an enrich.inputs column", "rename the field, such as to company_found")
	if e.Line != 7 || e.Column != 5 {
		t.Errorf("position = %d:%d, want the struct key at 7:5", e.Line, e.Column)
	}
	wantError(t, pipelineYAML("", "enrich:\n  struct: {_crmsync_key: Key}\n", ""), "enrich.struct._crmsync_key", "column crmsync adds")
	wantError(t, pipelineYAML("", "", "sinks:\n  - {type: parquet, path: out/a.parquet}\n  - {type: parquet, path: out/../out/a.parquet}\n"), "sinks[1].path", "same output path as sinks[0]")
	wantError(t, pipelineYAML("", "", "sinks:\n  - {type: csv, path: ./in.csv}\n"), "sinks[0].path", "is the source file")
	wantError(t, pipelineYAML("", "", defaultSinks+"    columns: {rename: {a: X, b: X}}\n"), "sinks[0].columns.rename.b", `renames to "X", as a does`)
}

func TestSinkRules(t *testing.T) {
	sink := func(fields string) string { return pipelineYAML("", "", "sinks:\n  - {"+fields+"}\n") }
	cases := []struct {
		name, fields, path, fragment string
	}{
		{"type missing", "path: o.csv", "sinks[0].type", "missing; give parquet, csv or jsonl"},
		{"type value", "type: xlsx, path: o.xlsx", "sinks[0].type", `invalid value "xlsx"`},
		{"path missing", "type: csv", "sinks[0].path", "missing; give the output file, such as out/enriched.csv"},
		{"compression on csv", "type: csv, path: o.csv, compression: zstd", "sinks[0].compression", "only to parquet sinks, and this sink is csv"},
		{"compression value", "type: parquet, path: o.parquet, compression: gzip", "sinks[0].compression", "snappy, zstd, none"},
		{"row groups", "type: parquet, path: o.parquet, row_group_rows: 0", "sinks[0].row_group_rows", "not positive"},
		{"crm on parquet", "type: parquet, path: o.parquet, crm: salesforce", "sinks[0].crm", "only to csv sinks"},
		{"crm value", "type: csv, path: o.csv, crm: salesfrce", "sinks[0].crm", "did you mean salesforce?"},
		{"delimiter on jsonl", "type: jsonl, path: o.jsonl, delimiter: ';'", "sinks[0].delimiter", "only to csv sinks"},
		{"delimiter value", "type: csv, path: o.csv, delimiter: ''", "sinks[0].delimiter", "give one character"},
		{"bom on parquet", "type: parquet, path: o.parquet, bom: true", "sinks[0].bom", "only to csv sinks"},
		{"formula_guard on jsonl", "type: jsonl, path: o.jsonl, formula_guard: false", "sinks[0].formula_guard", "only to csv sinks"},
		{"line ending", "type: csv, path: o.csv, line_ending: cr", "sinks[0].line_ending", "lf, crlf"},
		{"overwrite", "type: csv, path: o.csv, overwrite: replace", "sinks[0].overwrite", "fill_empty, overwrite"},
		{"clear without crm", "type: csv, path: o.csv, clear: [title]", "sinks[0].clear", "with a crm layout"},
		{"clear unknown field", "type: csv, path: o.csv, crm: salesforce, clear: [phone]", "sinks[0].clear[0]", `"phone" is not an enrich.struct field`},
		{"keep duplicate", "type: csv, path: o.csv, columns: {keep: [Id, Id]}", "sinks[0].columns.keep[1]", "listed twice"},
		{"keep empty list", "type: csv, path: o.csv, columns: {keep: []}", "sinks[0].columns.keep", "write keep: none"},
		{"metadata on crm", "type: csv, path: o.csv, crm: hubspot, columns: {metadata: [status]}", "sinks[0].columns.metadata", "not CRM fields"},
		{"metadata value", "type: csv, path: o.csv, columns: {metadata: [confidence]}", "sinks[0].columns.metadata[0]", "did you mean confidence_score?"},
		{"metadata field_confidence", "type: csv, path: o.csv, columns: {metadata: [field_confidence]}", "sinks[0].columns.metadata[0]", "set enrich.field_confidence: true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, sink(c.fields), c.path, c.fragment)
		})
	}
}

func TestSinkRulesAccepted(t *testing.T) {
	p := mustParse(t, pipelineYAML("", defaultEnrich+"  field_confidence: true\n", `sinks:
  - type: csv
    path: o.csv
    crm: salesforce
    formula_guard: true
    delimiter: tab
    line_ending: crlf
    clear: [title]
    columns:
      keep: [Id, Email]
  - type: jsonl
    path: o.jsonl
    columns:
      metadata: [status, field_confidence]
  - {type: parquet, path: o.parquet, compression: none, columns: {keep: none}}
`))
	s := p.Sinks[0]
	if s.Columns.Keep != "" || strings.Join(s.Columns.KeepList, ",") != "Id,Email" {
		t.Errorf("keep = %q %v, want \"\" [Id Email]", s.Columns.Keep, s.Columns.KeepList)
	}
	if s.FormulaGuard == nil || !*s.FormulaGuard {
		t.Errorf("formula_guard set to true on a crm sink came back as %v", s.FormulaGuard)
	}
	if p.Sinks[2].Columns.Keep != "none" {
		t.Errorf("sinks[2] keep = %q, want none", p.Sinks[2].Columns.Keep)
	}
}
