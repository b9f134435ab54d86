package sinks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// AtomicFile is an output file that appears under its final path only when
// Commit succeeds. Until then the bytes go to a temporary file in the same
// folder, so the final rename never crosses file systems.
type AtomicFile struct {
	path string
	tmp  *os.File
	done bool
}

// CreateAtomic creates the folder of path if needed and opens a temporary
// file next to path. Write to it, then call Commit to move it into place or
// Abort to remove it.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output folder for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	return &AtomicFile{path: path, tmp: tmp}, nil
}

// Path returns the final path.
func (f *AtomicFile) Path() string { return f.path }

// Write appends p to the temporary file.
func (f *AtomicFile) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("write %s: file already committed or aborted", f.path)
	}
	n, err := f.tmp.Write(p)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", f.path, err)
	}
	return n, nil
}

// Commit fsyncs the temporary file, renames it to the final path (replacing
// an existing file) and fsyncs the folder, so the file survives a crash once
// Commit returns nil. The file gets mode 0644. On error the temporary file is
// removed and nothing appears under the final path.
func (f *AtomicFile) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: file already committed or aborted", f.path)
	}
	f.done = true
	tmpName := f.tmp.Name()
	err := f.tmp.Chmod(0o644)
	if err == nil {
		err = f.tmp.Sync()
	}
	if closeErr := f.tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmpName, f.path)
	}
	if err != nil {
		_ = os.Remove(tmpName)
		return fmt.Errorf("commit %s: %w", f.path, err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("commit %s: file renamed into place, but fsync of its folder failed: %w", f.path, err)
	}
	return nil
}

// Abort closes and removes the temporary file. It is safe to call more than
// once and after Commit, when it does nothing.
func (f *AtomicFile) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	closeErr := f.tmp.Close()
	removeErr := os.Remove(f.tmp.Name())
	if removeErr != nil && !errors.Is(removeErr, os.ErrNotExist) {
		return fmt.Errorf("abort %s: remove temporary file: %w", f.path, removeErr)
	}
	if closeErr != nil && !errors.Is(closeErr, os.ErrClosed) {
		return fmt.Errorf("abort %s: %w", f.path, closeErr)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	return err
}
