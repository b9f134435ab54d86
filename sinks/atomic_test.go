package sinks

import (
	"os"
	"path/filepath"
	"testing"
)

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestAtomicCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "rows.csv")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("a,b\n")); err != nil {
		t.Fatal(err)
	}

	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("final file exists before Commit (stat error %v)", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "a,b\n" {
		t.Errorf("committed content %q, want %q", data, "a,b\n")
	}
	if names := listDir(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("folder holds %v, want only rows.csv", names)
	}

	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Abort after Commit removed the file: %v", err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write after Commit succeeded, want an error")
	}
}

func TestAtomicCommitReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Fatalf("old file changed before Commit: %q", data)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "new" {
		t.Errorf("content after Commit %q, want %q", data, "new")
	}
}

func TestAtomicAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rows.csv")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial"))
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("Abort left %v", names)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded, want an error")
	}
}

func TestAtomicFailedCommitLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// A non-empty folder under the final name makes the rename fail.
	path := filepath.Join(dir, "rows.csv")
	if err := os.MkdirAll(filepath.Join(path, "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("rows"))
	if err := f.Commit(); err == nil {
		t.Fatal("Commit over a non-empty folder succeeded, want an error")
	}
	names := listDir(t, dir)
	if len(names) != 1 || names[0] != "rows.csv" {
		t.Errorf("folder holds %v after a failed Commit, want only the blocking folder", names)
	}
	if info, err := os.Stat(path); err != nil || !info.IsDir() {
		t.Errorf("blocking folder changed: %v", err)
	}
}
