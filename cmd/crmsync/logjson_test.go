package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines/runner"
)

// TestJSONLogsEndWithJSON checks that with --log-format json even the line
// that ends a partial run is JSON, so a log shipper can parse all of stderr.
func TestJSONLogsEndWithJSON(t *testing.T) {
	f := newFixture(t, withEmulator(func(o *emulator.Options) { o.JobFailureRate = 1 }))
	res := f.run("", "--log-format", "json")
	if res.code != runner.ExitPartial {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", res.code, runner.ExitPartial, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	for i, line := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("stderr line %d is not JSON: %q", i+1, line)
		}
	}
	var last map[string]any
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if last["exit_code"] != float64(runner.ExitPartial) {
		t.Errorf("last line %v does not carry exit_code %d", last, runner.ExitPartial)
	}
}
