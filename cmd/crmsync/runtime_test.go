package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// unsetEnv removes name for the test and restores it afterwards.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	if old, ok := os.LookupEnv(name); ok {
		t.Cleanup(func() { os.Setenv(name, old) })
	}
	os.Unsetenv(name)
}

// gcSettings returns the current GC percent and memory limit and restores
// them when the test ends.
func gcSettings(t *testing.T) (percent int, limit int64) {
	t.Helper()
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit = debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	return percent, limit
}

func TestTuneGCRun(t *testing.T) {
	unsetEnv(t, "GOGC")
	unsetEnv(t, "GOMEMLIMIT")
	gcSettings(t)
	debug.SetGCPercent(100)

	tuneGC([]string{"run", "pipeline.yaml"})
	if got := debug.SetGCPercent(100); got != runGCPercent {
		t.Errorf("GC percent after run = %d, want %d", got, runGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != runMemoryLimit {
		t.Errorf("memory limit after run = %d, want %d", got, runMemoryLimit)
	}
}

func TestTuneGCKeepsDefaults(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"emulate", []string{"emulate", "--addr", "127.0.0.1:0"}, nil},
		{"no command", nil, nil},
		{"GOGC set", []string{"run", "p.yaml"}, map[string]string{"GOGC": "100"}},
		{"GOMEMLIMIT set", []string{"run", "p.yaml"}, map[string]string{"GOMEMLIMIT": "1GiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unsetEnv(t, "GOGC")
			unsetEnv(t, "GOMEMLIMIT")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			percent, limit := gcSettings(t)

			tuneGC(tt.args)
			if got := debug.SetGCPercent(percent); got != percent {
				t.Errorf("GC percent changed to %d, want %d", got, percent)
			}
			if got := debug.SetMemoryLimit(-1); got != limit {
				t.Errorf("memory limit changed to %d, want %d", got, limit)
			}
		})
	}
}
