package archive_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors/archive"
)

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf builds a zip with the members in the given order: name, body, ...
func zipOf(t *testing.T, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i < len(members); i += 2 {
		f, err := w.Create(members[i])
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(members[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readOpened(t *testing.T, path, member string) (*archive.Opened, string) {
	t.Helper()
	o, err := archive.Open(path, member)
	if err != nil {
		t.Fatalf("Open(%s, %q): %v", path, member, err)
	}
	defer func() {
		if err := o.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	data, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return o, string(data)
}

func TestOpenPlain(t *testing.T) {
	o, data := readOpened(t, write(t, "a.csv", []byte("x\n1\n")), "")
	if data != "x\n1\n" || o.Container != "" || filepath.Base(o.Name) != "a.csv" {
		t.Errorf("got %q, container %q, name %q", data, o.Container, o.Name)
	}
}

func TestOpenGzip(t *testing.T) {
	o, data := readOpened(t, write(t, "a.jsonl.gz", gz(t, "{}\n")), "")
	if data != "{}\n" || o.Container != "gzip" || filepath.Base(o.Name) != "a.jsonl" {
		t.Errorf("by extension: got %q, container %q, name %q", data, o.Container, o.Name)
	}
	o, data = readOpened(t, write(t, "a.csv", gz(t, "x\n")), "")
	if data != "x\n" || o.Container != "gzip" || filepath.Base(o.Name) != "a.csv" {
		t.Errorf("by magic: got %q, container %q, name %q", data, o.Container, o.Name)
	}
}

func TestOpenZip(t *testing.T) {
	single := write(t, "one.zip", zipOf(t, "dir/", "", "dir/Lead.csv", "lead", "__MACOSX/dir/._Lead.csv", "junk"))
	o, data := readOpened(t, single, "")
	if data != "lead" || o.Name != "dir/Lead.csv" || o.Container != "zip" {
		t.Errorf("single member: got %q, name %q", data, o.Name)
	}

	many := write(t, "many.zip", zipOf(t, "a/Lead.csv", "lead a", "b/Lead.csv", "lead b", "Contact.json", "[]"))
	if _, data := readOpened(t, many, "b/Lead.csv"); data != "lead b" {
		t.Errorf("full name: got %q", data)
	}
	if o, data := readOpened(t, many, "Contact.json"); data != "[]" || o.Name != "Contact.json" {
		t.Errorf("base name: got %q", data)
	}

	// A zip detected by its magic bytes, whatever its name.
	if _, data := readOpened(t, write(t, "export.dat", zipOf(t, "x.csv", "x")), ""); data != "x" {
		t.Errorf("by magic: got %q", data)
	}

	tests := []struct{ member, want string }{
		{"", "contains 3 files; set source.member to one of: Contact.json, a/Lead.csv, b/Lead.csv"},
		{"Lead.csv", `member "Lead.csv" matches 2 files`},
		{"Missing.csv", `member "Missing.csv" not found in zip file`},
	}
	for _, tt := range tests {
		_, err := archive.Open(many, tt.member)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(member %q) error = %v, want %q", tt.member, err, tt.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := archive.Open(write(t, "bad.gz", []byte("not gzip")), ""); err == nil || !strings.Contains(err.Error(), "as gzip") {
		t.Errorf("bad gzip: error = %v", err)
	}
	if _, err := archive.Open(write(t, "bad.zip", []byte("not zip")), ""); err == nil || !strings.Contains(err.Error(), "as zip") {
		t.Errorf("bad zip: error = %v", err)
	}
	if _, err := archive.Open(write(t, "a.csv", []byte("x")), "m.csv"); err == nil || !strings.Contains(err.Error(), "is not a zip file") {
		t.Errorf("member on a plain file: error = %v", err)
	}
	if _, err := archive.Open(write(t, "empty.csv", nil), ""); err != nil {
		t.Errorf("empty file: %v", err)
	}
}
