package json

import (
	"fmt"
	"strings"
)

// ParsePointer splits an RFC 6901 JSON Pointer into its unescaped reference
// tokens. "" is the whole document and returns no tokens.
func ParsePointer(pointer string) ([]string, error) {
	if pointer == "" {
		return nil, nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, fmt.Errorf("invalid records_path %q: a JSON Pointer starts with \"/\", for example /results", pointer)
	}
	parts := strings.Split(pointer[1:], "/")
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
				return nil, fmt.Errorf("invalid records_path %q: \"~\" must be written ~0 and \"/\" inside a key ~1", pointer)
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// escapePointerToken escapes one key for use in a JSON Pointer.
func escapePointerToken(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}
