package pipelines

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
	}{
		{"100MB", 100_000_000},
		{"100 MB", 100_000_000},
		{"100mb", 100_000_000},
		{"1B", 1},
		{"4096", 4096},
		{"1KB", 1000},
		{"1KiB", 1024},
		{"64 kib", 65536},
		{"2MiB", 2 << 20},
		{"1GB", 1_000_000_000},
		{"1GiB", 1 << 30},
		{"1.5GB", 1_500_000_000},
		{"0.5KiB", 512},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if err != nil {
			t.Errorf("ParseSize(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseSize(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	cases := []struct {
		in, fragment string
	}{
		{"", "invalid size"},
		{"MB", "invalid size"},
		{"10TB", "invalid size"},
		{"-5MB", "invalid size"},
		{"1.2.3MB", "invalid number"},
		{"1.5B", "not a whole number of bytes"},
		{"0", "more than 0 bytes"},
		{"99999999999GiB", "too large"},
	}
	for _, c := range cases {
		_, err := ParseSize(c.in)
		if err == nil {
			t.Errorf("ParseSize(%q) succeeded", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.fragment) {
			t.Errorf("ParseSize(%q) error %q does not contain %q", c.in, err, c.fragment)
		}
	}
}
