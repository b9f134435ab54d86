package transform

import "testing"

// BenchmarkAppendJSONString encodes values typical of a CRM export: short
// names, e-mail addresses, ISO dates and a longer note with punctuation.
func BenchmarkAppendJSONString(b *testing.B) {
	values := []string{
		"Ada", "Lovelace", "ada.lovelace@example.com", "+44 20 7946 0958",
		"2024-03-05T10:15:00Z", "Head of Engineering",
		`Met at the expo, asked for a "demo" next quarter; budget approved, follow up with procurement.`,
	}
	size := 0
	for _, v := range values {
		size += len(v)
	}
	b.SetBytes(int64(size))
	var buf []byte
	for b.Loop() {
		buf = buf[:0]
		for _, v := range values {
			buf = AppendJSONString(buf, v)
		}
	}
}
