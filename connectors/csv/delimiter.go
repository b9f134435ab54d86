package csv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// peekSize is the largest header line, in bytes, that delimiter detection
// looks at. A longer header is detected from its first peekSize bytes.
const peekSize = 64 << 10

// candidates are the delimiters DetectDelimiter chooses from, in the order
// that breaks a tie.
var candidates = []rune{',', ';', '\t', '|'}

// ParseDelimiter converts a configured delimiter to a rune. "" returns 0,
// meaning "detect". "tab" and `\t` mean a tab.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "tab", `\t`, "\t":
		return '\t', nil
	}
	d, size := utf8.DecodeRuneInString(s)
	if size != len(s) || d == utf8.RuneError {
		return 0, fmt.Errorf("invalid delimiter %q: use one character such as \",\", \";\", \"|\" or \"tab\"", s)
	}
	if d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError {
		return 0, fmt.Errorf("invalid delimiter %q: a quote or line break cannot separate fields", s)
	}
	return d, nil
}

// DetectDelimiter returns the candidate delimiter that occurs most often
// outside quotes in the header line; ',' wins a tie and is returned when
// none occurs.
func DetectDelimiter(header []byte) rune {
	counts := make(map[rune]int, len(candidates))
	inQuotes := false
	for _, b := range header {
		switch {
		case b == '"':
			inQuotes = !inQuotes
		case inQuotes:
		case b == '\n':
			return bestCandidate(counts)
		default:
			counts[rune(b)]++
		}
	}
	return bestCandidate(counts)
}

func bestCandidate(counts map[rune]int) rune {
	best, bestCount := ',', 0
	for _, c := range candidates {
		if counts[c] > bestCount {
			best, bestCount = c, counts[c]
		}
	}
	return best
}

// peekHeaderLine returns the bytes of the first line, up to peekSize,
// without consuming them. A line break inside quotes does not end the line.
func peekHeaderLine(br *bufio.Reader) ([]byte, error) {
	for n := 512; ; n *= 2 {
		if n > peekSize {
			n = peekSize
		}
		head, err := br.Peek(n)
		if end := headerLineEnd(head); end >= 0 {
			return head[:end], nil
		}
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) || len(head) < n {
				return head, nil
			}
			return nil, err
		}
		if n == peekSize {
			return head, nil
		}
	}
}

// headerLineEnd returns the index of the first line break outside quotes, or
// -1.
func headerLineEnd(b []byte) int {
	inQuotes := false
	for i, c := range b {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case c == '\n' && !inQuotes:
			return i
		}
	}
	return -1
}

// readSepLine consumes an Excel "sep=X" first line and returns X. It returns
// 0 and false, consuming nothing, when the first line is something else.
func readSepLine(br *bufio.Reader) (rune, bool, error) {
	head, err := br.Peek(16)
	if err != nil && len(head) == 0 {
		if errors.Is(err, bufio.ErrBufferFull) {
			return 0, false, nil
		}
		return 0, false, nilIfEOF(err)
	}
	if len(head) < 5 || !strings.EqualFold(string(head[:4]), "sep=") {
		return 0, false, nil
	}
	d, size := utf8.DecodeRune(head[4:])
	rest := head[4+size:]
	lineLen := 4 + size
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		lineLen += 2
	case bytes.HasPrefix(rest, []byte("\n")):
		lineLen++
	case len(rest) == 0:
	default:
		return 0, false, nil
	}
	if _, err := br.Discard(lineLen); err != nil {
		return 0, false, err
	}
	return d, true, nil
}

func nilIfEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
