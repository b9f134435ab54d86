// Package archive opens an input file and unwraps gzip and zip containers,
// so the format readers always see the inner data. A file is treated as
// gzip when its name ends in ".gz" or it starts with the gzip magic bytes,
// and as zip when its name ends in ".zip" or it starts with a zip local file
// header. Everything else is returned as is.
package archive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
)

// maxListedMembers bounds the member names an error message lists.
const maxListedMembers = 20

// Opened is an opened input: the decompressed data and the name whose
// extension gives its format.
type Opened struct {
	io.Reader
	// Name is the file name without ".gz", or the zip member's name.
	Name string
	// Container is "gzip", "zip" or "" for a plain file.
	Container string
	closers   []io.Closer
}

// Close closes the decompressor and the file.
func (o *Opened) Close() error {
	var errs []error
	for i := len(o.closers) - 1; i >= 0; i-- {
		errs = append(errs, o.closers[i].Close())
	}
	return errors.Join(errs...)
}

// Open opens name and unwraps a gzip or zip container. member names the
// file to read inside a zip; when it is "" the zip must hold exactly one
// file. member is an error for a file that is not a zip.
func Open(name, member string) (*Opened, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(f)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}

	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip") || bytes.HasPrefix(head, zipMagic):
		f.Close()
		return openZip(name, member)
	case member != "":
		f.Close()
		return nil, fmt.Errorf("source.member %q is set, but %s is not a zip file; remove member or point path at the zip", member, name)
	case strings.HasSuffix(lower, ".gz") || bytes.HasPrefix(head, gzipMagic):
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s as gzip: %w", name, err)
		}
		inner := name
		if strings.HasSuffix(lower, ".gz") {
			inner = name[:len(name)-len(".gz")]
		}
		return &Opened{Reader: gz, Name: inner, Container: "gzip", closers: []io.Closer{f, gz}}, nil
	}
	return &Opened{Reader: br, Name: name, closers: []io.Closer{f}}, nil
}

func openZip(name, member string) (*Opened, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("read %s as zip: %w", name, err)
	}

	var files []*zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		files = append(files, f)
	}

	chosen, err := chooseMember(name, member, files)
	if err != nil {
		zr.Close()
		return nil, err
	}
	rc, err := chosen.Open()
	if err != nil {
		zr.Close()
		return nil, fmt.Errorf("read %s in %s: %w", chosen.Name, name, err)
	}
	return &Opened{Reader: rc, Name: chosen.Name, Container: "zip", closers: []io.Closer{zr, rc}}, nil
}

// chooseMember picks the member by its full name, then by its base name
// when that is unique, or the only file when member is "".
func chooseMember(name, member string, files []*zip.File) (*zip.File, error) {
	if member == "" {
		if len(files) == 1 {
			return files[0], nil
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("zip file %s contains no files", name)
		}
		return nil, fmt.Errorf("zip file %s contains %d files; set source.member to one of: %s", name, len(files), listMembers(files))
	}

	var byBase []*zip.File
	for _, f := range files {
		if f.Name == member {
			return f, nil
		}
		if path.Base(f.Name) == member {
			byBase = append(byBase, f)
		}
	}
	if len(byBase) == 1 {
		return byBase[0], nil
	}
	if len(byBase) > 1 {
		return nil, fmt.Errorf("member %q matches %d files in zip file %s; set source.member to the full name: %s", member, len(byBase), name, listMembers(byBase))
	}
	return nil, fmt.Errorf("member %q not found in zip file %s; it contains: %s", member, name, listMembers(files))
}

func listMembers(files []*zip.File) string {
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	if len(names) > maxListedMembers {
		return strings.Join(names[:maxListedMembers], ", ") + fmt.Sprintf(" and %d more", len(names)-maxListedMembers)
	}
	return strings.Join(names, ", ")
}
