package pipelines

import "strings"

// suggest returns the candidate closest to word by edit distance, or "" when
// none is within 2 edits. Case differences count as one edit at most. When
// no candidate is that close, the only candidate that starts with a word of
// 3 or more characters is returned, so "confidence" finds
// "confidence_score".
func suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := levenshtein(word, c)
		if strings.EqualFold(word, c) {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || len(word) < 3 {
		return best
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, word) {
			if best != "" {
				return ""
			}
			best = c
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	curr := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		curr[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			curr[j] = min(prev[j]+1, curr[j-1]+1, prev[j-1]+cost)
		}
		prev, curr = curr, prev
	}
	return prev[len(rb)]
}

// oneOf formats allowed values for a message, adding a suggestion when the
// given value is close to one of them.
func oneOf(value string, allowed []string) string {
	msg := "use one of " + strings.Join(allowed, ", ")
	if s := suggest(value, allowed); s != "" && s != value {
		msg += "; did you mean " + s + "?"
	}
	return msg
}
