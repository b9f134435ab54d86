package pipelines

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Load reads a pipeline file, interpolates environment variables, parses it
// strictly, applies defaults and validates it. It sets Path to the absolute
// file path and Dir to its folder, and resolves relative source, sink and
// state paths against Dir. All configuration problems come back together as
// ConfigErrors, while a file that cannot be read gives an ordinary error.
func Load(path string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pipeline file: %w; check the path", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve pipeline path %q: %w", path, err)
	}
	return parse(data, path, abs, os.LookupEnv)
}

// Parse does what Load does for YAML already in memory. path names the file
// in error messages, and its folder becomes Dir. With path "", relative paths
// stay relative. env looks up variables for interpolation, and nil means
// os.LookupEnv.
func Parse(data []byte, path string, env func(string) (string, bool)) (*Pipeline, error) {
	if env == nil {
		env = os.LookupEnv
	}
	return parse(data, path, path, env)
}

func parse(data []byte, file, path string, env func(string) (string, bool)) (*Pipeline, error) {
	text, errs := interpolate(data, file, env)
	if len(errs) > 0 {
		return nil, errs
	}

	root, cerr := parseYAML(text, file)
	if cerr != nil {
		return nil, ConfigErrors{cerr}
	}

	d := newDecoder(file)
	d.nodes[""] = root
	p := &Pipeline{Path: path}
	if path != "" {
		p.Dir = filepath.Dir(path)
	}
	d.decode(root, "", reflect.ValueOf(p).Elem())

	applyDefaults(p, d)
	resolvePaths(p)
	v := &validator{d: d, p: p}
	v.validate()

	if len(d.errs) > 0 {
		d.errs.sortByPosition()
		return nil, d.errs
	}
	return p, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML returns the top-level mapping node of a single YAML document.
func parseYAML(text []byte, file string) (*yaml.Node, *ConfigError) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{File: file, Msg: "the pipeline file is empty; write at least the keys name, source, enrich and sinks"}
		}
		e := &ConfigError{File: file, Msg: "invalid YAML: " + err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Column = 1
			e.Msg = "invalid YAML: " + err.Error()[len(m[0]):]
		}
		return nil, e
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ConfigError{File: file, Line: extra.Line, Column: extra.Column, Msg: "a second YAML document (after ---) is not supported; keep one pipeline per file"}
	}
	if len(doc.Content) == 0 {
		return nil, &ConfigError{File: file, Msg: "the pipeline file is empty; write at least the keys name, source, enrich and sinks"}
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{File: file, Line: root.Line, Column: root.Column, Msg: fmt.Sprintf("expected a mapping of keys such as name, source, enrich and sinks, got %s", describe(root))}
	}
	return root, nil
}

// resolvePaths makes the source, sink and state paths absolute against the
// pipeline's folder.
func resolvePaths(p *Pipeline) {
	resolve := func(s *string) {
		if *s == "" || p.Dir == "" || filepath.IsAbs(*s) {
			return
		}
		*s = filepath.Join(p.Dir, *s)
	}
	resolve(&p.Source.Path)
	for i := range p.Sinks {
		resolve(&p.Sinks[i].Path)
	}
	resolve(&p.StateDir)
}
