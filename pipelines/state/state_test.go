package state

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	est, charge := int64(4), 4.0
	m := &Manifest{
		Version: Version, RunID: "run-1", Pipeline: "leads", Phase: PhaseEnriching,
		PipelineFingerprint: "p", InputFingerprint: "i",
		Chunks: []Chunk{{
			Index: 0, File: "chunks/chunk-00000.jsonl", Rows: 2, Bytes: 120, SHA256: "ab",
			Attempt: 1, IdempotencyKey: "crmsync-ab-1", TaskID: "task-1", Status: ChunkCompleted,
			EstimatedCents: &est, ChargedCents: &charge, ResultFile: "results/chunk-00000.result",
		}},
	}
	if err := s.Save(m); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := got.Chunks[0]
	if got.RunID != "run-1" || got.Phase != PhaseEnriching || c.TaskID != "task-1" || c.Status != ChunkCompleted {
		t.Errorf("loaded manifest differs: %+v", got)
	}
	if c.EstimatedCents == nil || *c.EstimatedCents != 4 || c.ChargedCents == nil || *c.ChargedCents != 4 {
		t.Errorf("loaded estimate and charge = %v, %v, want 4, 4", c.EstimatedCents, c.ChargedCents)
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("run folder contains %d files after Save, want only the manifest", len(entries))
	}
}

func TestLoadWithoutManifest(t *testing.T) {
	m, err := Store{Dir: t.TempDir()}.Load()
	if err != nil || m != nil {
		t.Errorf("Load of an empty folder = %v, %v, want nil, nil", m, err)
	}
}

func TestLoadCorruptManifest(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := os.WriteFile(s.Path("run.json"), []byte(`{"version": 1, "chunks": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load()
	if err == nil || !strings.Contains(err.Error(), "--restart") {
		t.Errorf("Load of a cut manifest = %v, want an error that suggests --restart", err)
	}
}

func TestLoadOtherVersion(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := os.WriteFile(s.Path("run.json"), []byte(`{"version": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load()
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("Load of version 99 = %v, want an error naming the version", err)
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "file.json")
	for _, text := range []string{"first", "second"} {
		if err := WriteFileAtomic(path, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "second" {
		t.Errorf("file contains %q, want %q", data, "second")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files beside the target, want none: temporary files are renamed or removed", len(entries)-1)
	}
}

func TestLockExcludesSecondHolder(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second open in the same
	// process conflicts as another process would.
	_, err = Acquire(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the holding process %d", err, os.Getpid())
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	second.Release()
}

func TestLockFileLeftBehindIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	// A lock file of a dead process contains its id but no kernel lock.
	if err := os.WriteFile(filepath.Join(dir, "lock"), []byte("999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire over a stale lock file: %v", err)
	}
	defer l.Release()
	data, _ := os.ReadFile(filepath.Join(dir, "lock"))
	if strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file contains %q, want this process's id", data)
	}
}

func TestRemoveTempsKeepsManifest(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := s.Save(&Manifest{Version: Version, RunID: "run-1"}); err != nil {
		t.Fatal(err)
	}
	stale := s.Path(".run.json.123.tmp")
	if err := os.WriteFile(stale, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}

	s.RemoveTemps()

	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary manifest still there: %v", err)
	}
	if m, err := s.Load(); err != nil || m == nil || m.RunID != "run-1" {
		t.Errorf("manifest after RemoveTemps = %v, %v, want run-1", m, err)
	}
}
