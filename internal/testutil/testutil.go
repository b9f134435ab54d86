// Package testutil finds the repository root and the shared reference
// folder beside it for tests.
package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the folder holding go.mod, walking up from the test's
// working folder.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working folder")
		}
		dir = parent
	}
}

// SharedDir returns ../shared beside the repository, or skips the test when
// it is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(RepoRoot(t)), "shared")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("skipped: %s is absent; it holds real CRM files under licences that keep them out of this repository", dir)
	}
	return dir
}
