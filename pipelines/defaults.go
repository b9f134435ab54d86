package pipelines

import (
	"fmt"
	"path/filepath"
	"strings"
)

// applyDefaults fills the keys the YAML leaves out. Keys that are present
// keep their value, even an empty one, so validation can report it.
func applyDefaults(p *Pipeline, d *decoder) {
	def := func(path string, field *string, value string) {
		if !d.set(path) {
			*field = value
		}
	}
	defInt := func(path string, field *int, value int) {
		if !d.set(path) {
			*field = value
		}
	}

	def("source.preset", &p.Source.Preset, "generic")
	def("source.encoding", &p.Source.Encoding, "utf-8")
	def("source.on_error", &p.Source.OnError, "fail")
	if !d.set("source.format") {
		p.Source.Format, _ = formatFromPath(p.Source.Path, p.Source.Member)
	}
	if p.Source.Format == "ndjson" {
		p.Source.Format = "jsonl"
	}

	defInt("chunk.max_rows", &p.Chunk.MaxRows, MaxChunkRows)
	def("chunk.max_bytes", &p.Chunk.MaxBytes, "100MB")

	e := &p.Enrich
	def("enrich.endpoint", &e.Endpoint, "people")
	def("enrich.base_url", &e.BaseURL, DefaultBaseURL)
	def("enrich.api_key_env", &e.APIKeyEnv, DefaultAPIKeyEnv)
	def("enrich.tier", &e.Tier, "low")
	defInt("enrich.concurrency", &e.Concurrency, 4)
	defInt("enrich.rate_limit_per_minute", &e.RateLimit, 10)
	def("enrich.poll.initial", &e.Poll.Initial, defaultPollInitial.String())
	def("enrich.poll.max", &e.Poll.Max, defaultPollMax.String())
	def("enrich.poll.timeout", &e.Poll.Timeout, defaultPollTimeout.String())

	def("state_dir", &p.StateDir, DefaultStateDir)

	for i := range p.Sinks {
		s := &p.Sinks[i]
		at := func(key string) string { return fmt.Sprintf("sinks[%d].%s", i, key) }
		def(at("overwrite"), &s.Overwrite, "fill_empty")
		def(at("columns.keep"), &s.Columns.Keep, "all")
		switch s.Type {
		case "parquet":
			def(at("compression"), &s.Compression, "snappy")
			defInt(at("row_group_rows"), &s.RowGroupRows, DefaultRowGroupRows)
		case "csv":
			def(at("delimiter"), &s.Delimiter, ",")
			if !d.set(at("formula_guard")) {
				guard := s.CRM == ""
				s.FormulaGuard = &guard
			}
		}
	}
}

// formatFromPath infers the source format from the file extension, looking
// through .gz and, when member is given, into a .zip member's name.
func formatFromPath(path, member string) (string, error) {
	name := strings.ToLower(path)
	name = strings.TrimSuffix(name, ".gz")
	if strings.HasSuffix(name, ".zip") {
		if member == "" {
			return "", fmt.Errorf("cannot tell the format of a .zip source without source.member; set source.format to csv, json or jsonl, or name the member")
		}
		name = strings.TrimSuffix(strings.ToLower(member), ".gz")
	}
	switch filepath.Ext(name) {
	case ".csv", ".tsv":
		return "csv", nil
	case ".json":
		return "json", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	}
	return "", fmt.Errorf("cannot tell the format from the file name %q; set source.format to csv, json or jsonl", filepath.Base(name))
}
