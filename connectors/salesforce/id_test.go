package salesforce

import (
	"strings"
	"testing"
)

func TestTo18Vectors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0035g00000AbCdE", "0035g00000AbCdEAAV"},
		{"0035g00000abcde", "0035g00000abcdeAAA"},
		{"0015g00000XyZaB", "0015g00000XyZaBAAV"},
		{"0015g00000XyZaC", "0015g00000XyZaCAAV"},
		// Every block upper case: 31 maps to the last alphabet character.
		{"ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNO555"},
		// Upper case only at the first character of each block: bit 0.
		{"AaaaaBbbbbCcccc", "AaaaaBbbbbCccccBBB"},
		// Upper case at character 1, 2 and 3 of the blocks: bits 1, 2, 3.
		{"0Bbbbb0CccbbbD0", "0Bbbbb0CccbbbD0CEI"},
	}
	for _, tt := range tests {
		got, err := To18(tt.in)
		if err != nil {
			t.Errorf("To18(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("To18(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTo18AcceptsValid18(t *testing.T) {
	const id = "003dM00001vWOXJQA4" // from a REST query response
	got, err := To18(id)
	if err != nil {
		t.Fatalf("To18(%q): %v", id, err)
	}
	if got != id {
		t.Errorf("To18(%q) = %q, want it unchanged", id, got)
	}
	got, err = To18(id[:15])
	if err != nil {
		t.Fatalf("To18(%q): %v", id[:15], err)
	}
	if got != id {
		t.Errorf("To18(%q) = %q, want %q", id[:15], got, id)
	}
}

func TestTo18Rejects(t *testing.T) {
	tests := []struct{ in, wantInError string }{
		{"", "has 0 characters"},
		{"0035g00000AbCd", "has 14 characters"},
		{"0035g00000AbCdE1", "has 16 characters"},
		{"0035g00000AbC-E", "byte 14 is not an ASCII letter or digit"},
		{"0035g00000AbCé", "byte 14 is not an ASCII letter or digit"},
		// The suffix of a re-cased 18-character id no longer matches.
		{"0035g00000abcdeAAV", `suffix "AAV" does not match`},
	}
	for _, tt := range tests {
		got, err := To18(tt.in)
		if err == nil {
			t.Errorf("To18(%q) = %q, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantInError) {
			t.Errorf("To18(%q) error %q, want it to contain %q", tt.in, err, tt.wantInError)
		}
	}
}
