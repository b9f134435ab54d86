package pipelines

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// metadataFields are the result columns besides the struct fields that a
// sink can add through columns.metadata.
var metadataFields = []string{"status", "confidence_score", "field_confidence", "notes", "references"}

func (v *validator) checkSinks() {
	if len(v.p.Sinks) == 0 {
		v.errorf("sinks", "missing or empty; list at least one output, such as - {type: parquet, path: out/enriched.parquet}")
		return
	}
	firstByPath := map[string]int{}
	for i := range v.p.Sinks {
		at := func(key string) string { return fmt.Sprintf("sinks[%d].%s", i, key) }
		s := v.p.Sinks[i]
		v.checkSink(i, s)
		if s.Path == "" {
			continue
		}
		clean := filepath.Clean(s.Path)
		if first, dup := firstByPath[clean]; dup {
			v.errorf(at("path"), "same output path as sinks[%d]; give each sink its own file", first)
		} else {
			firstByPath[clean] = i
		}
		if v.p.Source.Path != "" && clean == filepath.Clean(v.p.Source.Path) {
			v.errorf(at("path"), "is the source file, which the sink would overwrite; write to another path")
		}
	}
}

func (v *validator) checkSink(i int, s SinkConfig) {
	at := func(key string) string { return fmt.Sprintf("sinks[%d].%s", i, key) }
	knownType := false
	if !v.d.set(at("type")) {
		v.errorf(at("type"), "missing; give parquet, csv or jsonl")
	} else {
		knownType = v.checkEnum(at("type"), s.Type, "parquet", "csv", "jsonl")
	}
	if !v.d.set(at("path")) || s.Path == "" {
		v.errorf(at("path"), "missing; give the output file, such as out/enriched.%s", cmp.Or(s.Type, "parquet"))
	}

	// onlyFor reports whether key is set on a sink of sinkType, and reports
	// an error when it is set on a sink of another known type.
	onlyFor := func(key, sinkType string) bool {
		if !v.d.set(at(key)) {
			return false
		}
		if s.Type == sinkType {
			return true
		}
		if knownType {
			v.keyErrorf(at(key), "applies only to %s sinks, and this sink is %s; remove the key", sinkType, s.Type)
		}
		return false
	}
	if onlyFor("compression", "parquet") || s.Type == "parquet" {
		v.checkEnum(at("compression"), s.Compression, "snappy", "zstd", "none")
	}
	if (onlyFor("row_group_rows", "parquet") || s.Type == "parquet") && s.RowGroupRows < 1 {
		v.errorf(at("row_group_rows"), "%d is not positive; give rows per row group, such as %d", s.RowGroupRows, DefaultRowGroupRows)
	}
	if onlyFor("crm", "csv") {
		v.checkEnum(at("crm"), s.CRM, "salesforce", "hubspot", "dynamics", "zoho", "pipedrive")
	}
	if onlyFor("delimiter", "csv") || s.Type == "csv" {
		if err := checkDelimiter(s.Delimiter); err != nil {
			v.errorf(at("delimiter"), "%v", err)
		}
	}
	onlyFor("bom", "csv")
	onlyFor("formula_guard", "csv")
	if onlyFor("line_ending", "csv") {
		v.checkEnum(at("line_ending"), s.LineEnding, "lf", "crlf")
	}
	v.checkEnum(at("overwrite"), s.Overwrite, "fill_empty", "overwrite")
	v.checkClear(i, s)
	v.checkColumns(i, s.Columns)
}

// checkClear requires a CRM layout and enrich.struct field names.
func (v *validator) checkClear(i int, s SinkConfig) {
	path := fmt.Sprintf("sinks[%d].clear", i)
	if !v.d.set(path) {
		return
	}
	if s.CRM == "" {
		v.keyErrorf(path, "applies only to csv sinks with a crm layout, which have a clear marker; remove the key or set crm")
		return
	}
	v.checkNameList(path, s.Clear)
	for j, name := range s.Clear {
		if name != "" && !v.isStructField(name) {
			v.errorf(fmt.Sprintf("%s[%d]", path, j), "%q is not an enrich.struct field; clear lists enriched fields, which are %s", name, strings.Join(v.structNames(), ", "))
		}
	}
}

func (v *validator) checkColumns(i int, c ColumnsConfig) {
	at := func(key string) string { return fmt.Sprintf("sinks[%d].columns.%s", i, key) }
	v.checkNameList(at("keep"), c.KeepList)

	outputs := map[string]string{}
	for _, from := range sortedKeys(c.Rename) {
		to := c.Rename[from]
		path := at("rename." + from)
		switch {
		case strings.TrimSpace(from) == "":
			v.keyErrorf(path, "empty name; give the struct field or source column to rename")
		case strings.TrimSpace(to) == "":
			v.errorf(path, "empty output name; give the new column name or remove the entry")
		case outputs[to] != "":
			v.errorf(path, "renames to %q, as %s does; give each column its own output name", to, outputs[to])
		default:
			outputs[to] = from
		}
	}

	if len(c.Metadata) > 0 && v.p.Sinks[i].CRM != "" {
		v.errorf(at("metadata"), "metadata columns are not CRM fields and would break the import; remove columns.metadata or write them to another sink")
	}
	v.checkNameList(at("metadata"), c.Metadata)
	for j, m := range c.Metadata {
		path := fmt.Sprintf("%s[%d]", at("metadata"), j)
		if m == "" {
			continue
		}
		if !slices.Contains(metadataFields, m) {
			v.errorf(path, "unknown metadata field %q; %s", m, oneOf(m, metadataFields))
			continue
		}
		fc := v.p.Enrich.FieldConfidence
		if m == "field_confidence" && (fc == nil || !*fc) {
			v.errorf(path, "the API returns field_confidence only when asked; set enrich.field_confidence: true or remove the entry")
		}
	}
}

func (v *validator) isStructField(name string) bool {
	return slices.Contains(v.structNames(), name)
}

func (v *validator) structNames() []string {
	names := make([]string, len(v.p.Enrich.Struct))
	for i, f := range v.p.Enrich.Struct {
		names[i] = f.Name
	}
	return names
}
