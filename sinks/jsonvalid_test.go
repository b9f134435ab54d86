package sinks

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

var jsonSamples = []string{
	``, ` `, `{}`, `[]`, `{"a":1}`, ` {"a" : [1, 2.5, -0.1e+3, true, false, null, "x"]} `,
	`{"https://example.com/a":"About page","n":{"m":[{}]}}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`,
	`{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `[1 2]`, `"\u00e9\n\"\\\/\b\f\r\t"`, `"\u00g0"`, `"\x"`, `"\u12"`,
	"\"tab\there\"", "\"Zo\xeb\"", `01`, `-`, `-0`, `1.`, `.5`, `1e`, `1e+`, `1E5`, `+1`, `tru`, `truex`,
	`nul`, `[true]x`, `{"a":[1,{"b":null}]}]`, `{"a":1}}`, `[[[]]]`, `[[[]]`, "\ufeff{}", `{"a":"b"`,
	strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
	strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
	strings.Repeat(`{"a":`, maxJSONDepth) + "1" + strings.Repeat("}", maxJSONDepth),
	strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1),
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	texts := append([]string(nil), jsonSamples...)
	// Mutations of valid documents: every truncation, and random bytes
	// replaced with JSON punctuation.
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("{}[],:\"\\ 0123456789.-+eEtrufalsn\x00\x1f\xff")
	for _, base := range []string{`{"a":[1,2.5e-3,{"b":"c\"d"}],"e":null,"f":true}`, `[{"x":-0.5},[],"\u00e9"]`} {
		for i := range len(base) + 1 {
			texts = append(texts, base[:i])
		}
		for range 5000 {
			b := []byte(base)
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
			}
			texts = append(texts, string(b))
		}
	}
	for _, text := range texts {
		if got, want := validJSON(text), json.Valid([]byte(text)); got != want {
			t.Errorf("validJSON(%.80q) = %v, json.Valid = %v", text, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonSamples[:len(jsonSamples)-4] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := validJSON(text), json.Valid([]byte(text)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid = %v", text, got, want)
		}
	})
}
