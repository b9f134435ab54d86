package pipelines

import (
	"errors"
	"strings"
	"testing"
)

const (
	defaultSource = "source:\n  path: in.csv\n"
	defaultEnrich = "enrich:\n  inputs:\n    full_name: \"{FirstName} {LastName}\"\n  struct:\n    title: Current job title\n"
	defaultSinks  = "sinks:\n  - type: parquet\n    path: out.parquet\n"
)

// pipelineYAML assembles a valid pipeline; a non-empty argument replaces
// that section, including its key line.
func pipelineYAML(source, enrich, sinks string) string {
	if source == "" {
		source = defaultSource
	}
	if enrich == "" {
		enrich = defaultEnrich
	}
	if sinks == "" {
		sinks = defaultSinks
	}
	return "name: test\n" + source + enrich + sinks
}

func envMap(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func noEnv(string) (string, bool) { return "", false }

func mustParse(t *testing.T, data string) *Pipeline {
	t.Helper()
	p, err := Parse([]byte(data), "/work/pipe/pipeline.yaml", noEnv)
	if err != nil {
		t.Fatalf("Parse failed:\n%v\nYAML:\n%s", err, data)
	}
	return p
}

func parseErrors(t *testing.T, data string, env func(string) (string, bool)) ConfigErrors {
	t.Helper()
	p, err := Parse([]byte(data), "pipeline.yaml", env)
	if err == nil {
		t.Fatalf("Parse succeeded, want an error; YAML:\n%s", data)
	}
	if p != nil {
		t.Errorf("Parse returned a pipeline together with an error")
	}
	var list ConfigErrors
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T) is not ConfigErrors", err, err)
	}
	return list
}

// wantError asserts that parsing data reports a problem at path whose
// message contains every fragment.
func wantError(t *testing.T, data, path string, fragments ...string) *ConfigError {
	t.Helper()
	list := parseErrors(t, data, noEnv)
	for _, e := range list {
		if e.Path != path {
			continue
		}
		for _, f := range fragments {
			if !strings.Contains(e.Msg, f) {
				t.Errorf("error at %s = %q, want it to contain %q", path, e.Msg, f)
			}
		}
		return e
	}
	t.Fatalf("no error at path %q; got:\n%v", path, list)
	return nil
}
