package pipelines

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"gopkg.in/yaml.v3"
)

// validator checks a decoded pipeline and adds its findings to the
// decoder's error list, using the decoder's node positions.
type validator struct {
	d *decoder
	p *Pipeline
}

// errorf reports a problem with the value at path, positioned at the value
// node, or at the nearest enclosing node when path is absent from the YAML.
func (v *validator) errorf(path, format string, args ...any) {
	v.report(path, v.d.nodes, format, args...)
}

// keyErrorf reports a problem with the key at path itself, such as a map key
// that names no tier.
func (v *validator) keyErrorf(path, format string, args ...any) {
	v.report(path, v.d.keys, format, args...)
}

func (v *validator) report(path string, nodes map[string]*yaml.Node, format string, args ...any) {
	if v.blocked(path) {
		return
	}
	e := &ConfigError{File: v.d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	for p := path; ; p = parentPath(p) {
		if n, ok := nodes[p]; ok {
			e.Line, e.Column = n.Line, n.Column
			break
		}
		nodes = v.d.nodes
		if p == "" {
			break
		}
	}
	v.d.errs = append(v.d.errs, e)
}

// blocked reports whether a decode error at path, inside it or around it has
// been reported already, so a wrong type is not reported again as missing.
func (v *validator) blocked(path string) bool {
	for f := range v.d.failed {
		if f == path || isUnder(f, path) || isUnder(path, f) {
			return true
		}
	}
	return false
}

// isUnder reports whether path lies inside parent.
func isUnder(path, parent string) bool {
	if parent == "" {
		return path != ""
	}
	return strings.HasPrefix(path, parent) && len(path) > len(parent) &&
		(path[len(parent)] == '.' || path[len(parent)] == '[')
}

// parentPath strips the last key or index from a key path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// checkEnum reports value unless it is one of allowed.
func (v *validator) checkEnum(path, value string, allowed ...string) bool {
	for _, a := range allowed {
		if value == a {
			return true
		}
	}
	v.errorf(path, "invalid value %q; %s", value, oneOf(value, allowed))
	return false
}

func (v *validator) validate() {
	v.checkName()
	v.checkSource()
	v.checkChunk()
	v.checkEnrich()
	v.checkSinks()
	if v.p.StateDir == "" {
		v.errorf("state_dir", "empty path; remove the key to use %s next to the pipeline file, or give a folder", DefaultStateDir)
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (v *validator) checkName() {
	switch {
	case !v.d.set("name"):
		v.errorf("name", "missing; give the pipeline a name of letters, digits, - and _, such as salesforce-leads")
	case !namePattern.MatchString(v.p.Name):
		v.errorf("name", "invalid name %q; use only letters, digits, - and _, because the name is used in file names", v.p.Name)
	}
}

// sourceTypes are the types source.types accepts: the struct types plus
// timestamp (RFC 3339 text, written as a Parquet timestamp).
var sourceTypes = append(append([]string{}, structTypes...), "timestamp")

// structTypes are the type names the API accepts in enrich.struct.
var structTypes = []string{
	"str", "string", "int", "integer", "float", "bool", "boolean",
	"list", "list[str]", "list[int]", "list[float]", "list[bool]", "list[boolean]", "dict",
}

func (v *validator) checkSource() {
	s := v.p.Source
	if !v.d.set("source.path") {
		v.errorf("source.path", "missing; give the CRM export file to read (.csv, .json, .jsonl, optionally .gz or .zip)")
	}

	isZip := strings.HasSuffix(strings.ToLower(s.Path), ".zip")
	if v.d.set("source.format") {
		v.checkEnum("source.format", s.Format, "csv", "json", "jsonl")
	} else if s.Path != "" {
		if _, err := formatFromPath(s.Path, s.Member); err != nil {
			v.errorf("source.path", "%v", err)
		}
	}
	if v.d.set("source.member") && !isZip {
		v.errorf("source.member", "only a .zip source has members; remove the key or point source.path at the .zip file")
	}

	v.checkEnum("source.preset", s.Preset, "salesforce", "hubspot", "zoho", "pipedrive", "dynamics", "attio", "odoo", "generic")
	if !knownEncoding(s.Encoding) {
		v.errorf("source.encoding", "unknown encoding %q; use a name such as utf-8, utf-16le, windows-1252 or iso-8859-1", s.Encoding)
	}

	// Keys that apply to some formats only.
	if v.d.set("source.delimiter") {
		if s.Format != "csv" {
			v.errorf("source.delimiter", "applies only to csv sources, and this source is %s; remove the key", s.Format)
		} else if err := checkDelimiter(s.Delimiter); err != nil {
			v.errorf("source.delimiter", "%v", err)
		}
	}
	if v.d.set("source.records_path") {
		if s.Format != "json" {
			v.errorf("source.records_path", "applies only to json sources, and this source is %s; remove the key", s.Format)
		} else if err := checkJSONPointer(s.RecordsPath); err != nil {
			v.errorf("source.records_path", "%v", err)
		}
	}
	if v.d.set("source.flatten_arrays") {
		if s.Format == "csv" {
			v.errorf("source.flatten_arrays", "applies only to json and jsonl sources; remove the key")
		} else {
			v.checkEnum("source.flatten_arrays", s.FlattenArrays, "index", "json")
		}
	}

	for _, col := range sortedKeys(s.Types) {
		path := "source.types." + col
		if col == "" {
			v.keyErrorf(path, "empty column name; name the column to type")
		}
		v.checkEnum(path, s.Types[col], sourceTypes...)
	}

	v.checkEnum("source.on_error", s.OnError, "fail", "reject")
	if v.d.set("source.max_rejected") {
		if s.OnError != "reject" {
			v.errorf("source.max_rejected", "applies only with on_error: reject; set on_error: reject or remove the key")
		} else if err := checkRejectLimit(s.MaxRejected); err != nil {
			v.errorf("source.max_rejected", "%v", err)
		}
	}
	if v.d.set("source.max_record_size") {
		if _, err := ParseSize(s.MaxRecordSize); err != nil {
			v.errorf("source.max_record_size", "%v", err)
		}
	}
}

// knownEncoding reports whether name is a WHATWG or IANA encoding label.
func knownEncoding(name string) bool {
	if _, err := htmlindex.Get(name); err == nil {
		return true
	}
	enc, err := ianaindex.IANA.Encoding(name)
	return err == nil && enc != nil
}

// checkDelimiter accepts "tab" or one character other than a quote or a line
// break.
func checkDelimiter(d string) error {
	if d == "tab" {
		return nil
	}
	r, size := utf8.DecodeRuneInString(d)
	if d == "" || size != len(d) || r == utf8.RuneError {
		return fmt.Errorf("invalid delimiter %q; give one character, such as \",\" or \";\", or the word tab", d)
	}
	if r == '"' || r == '\r' || r == '\n' {
		return fmt.Errorf("invalid delimiter %q; a quote or line break cannot separate fields", d)
	}
	return nil
}

// checkJSONPointer checks RFC 6901 syntax: empty, or "/" segments in which ~
// is followed by 0 or 1.
func checkJSONPointer(ptr string) error {
	if ptr != "" && ptr[0] != '/' {
		return fmt.Errorf("invalid JSON Pointer %q; it starts with /, such as /results", ptr)
	}
	for i := 0; i < len(ptr); i++ {
		if ptr[i] == '~' && (i+1 == len(ptr) || (ptr[i+1] != '0' && ptr[i+1] != '1')) {
			return fmt.Errorf("invalid JSON Pointer %q; write ~0 for ~ and ~1 for /", ptr)
		}
	}
	return nil
}

// checkRejectLimit accepts a count such as 10 or a percentage such as 1.5%.
func checkRejectLimit(s string) error {
	if pct, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || f < 0 || f > 100 {
			return fmt.Errorf("invalid percentage %q; give a number from 0 to 100 followed by %%, such as 1%%", s)
		}
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("invalid value %q; give a row count such as 100 or a percentage of rows read such as 1%%", s)
	}
	return nil
}

func (v *validator) checkChunk() {
	c := v.p.Chunk
	if c.MaxRows < 1 || c.MaxRows > MaxChunkRows {
		v.errorf("chunk.max_rows", "%d is out of range; give 1 to %d, the API's row limit per file", c.MaxRows, MaxChunkRows)
	}
	n, err := ParseSize(c.MaxBytes)
	switch {
	case err != nil:
		v.errorf("chunk.max_bytes", "%v", err)
	case n > MaxChunkBytes:
		v.errorf("chunk.max_bytes", "%s is %d bytes, more than the API's limit of 100MB (%d bytes); give at most 100MB", c.MaxBytes, n, MaxChunkBytes)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
