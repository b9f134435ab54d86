package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"
)

// valueKind is the type of a struct field, from its "type" member.
type valueKind int

const (
	kindString valueKind = iota
	kindInt
	kindFloat
	kindBool
	kindListString
	kindListInt
	kindListFloat
	kindListBool
	kindDict
)

// parseValueKind maps the documented type names, including their aliases, to a kind.
func parseValueKind(name string) (valueKind, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "str", "string":
		return kindString, true
	case "int", "integer":
		return kindInt, true
	case "float":
		return kindFloat, true
	case "bool", "boolean":
		return kindBool, true
	case "list", "list[str]":
		return kindListString, true
	case "list[int]":
		return kindListInt, true
	case "list[float]":
		return kindListFloat, true
	case "list[bool]", "list[boolean]":
		return kindListBool, true
	case "dict":
		return kindDict, true
	}
	return 0, false
}

// outValue is one generated result value in both encodings: text for a CSV
// cell and a JSON value for JSON and NDJSON files. An empty value is an empty
// CSV cell and a JSON null.
type outValue struct {
	text  string
	json  json.RawMessage
	empty bool
}

func emptyValue() outValue { return outValue{empty: true, json: json.RawMessage("null")} }

func textValue(s string) outValue { return outValue{text: s, json: marshalString(s)} }

// jsonTextValue is a value whose CSV text is its JSON encoding, such as a list.
func jsonTextValue(v any) outValue {
	b, _ := json.Marshal(v)
	return outValue{text: string(b), json: b}
}

// seededRand returns a generator fixed by the given parts, so a value depends
// only on what it is derived from and not on request order.
func seededRand(parts ...string) *rand.Rand {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
}

// unitHash returns a number in [0, 1) fixed by the given parts.
func unitHash(parts ...string) float64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / (1 << 53)
}

// rowContext is the input the generator takes from one uploaded row.
type rowContext struct {
	digest    string // hash of the row's content
	firstName string
	lastName  string
	company   string
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Linus", "Margaret"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Torvalds", "Hamilton"}
	companies  = []string{"Acme Analytics", "Globex Systems", "Initech", "Umbrella Logistics", "Stark Software", "Wayne Data", "Hooli Cloud", "Vandelay Imports"}
	jobTitles  = []string{"Chief Technology Officer", "VP of Engineering", "Head of Sales", "Marketing Director", "Data Engineer", "Product Manager", "Account Executive", "Operations Lead"}
	industries = []string{"Software", "Logistics", "Healthcare", "Financial Services", "Retail", "Manufacturing", "Education", "Energy"}
	places     = []string{"Springfield, USA", "Riverton, Canada", "Lakeside, UK", "Hillview, Australia", "Bayport, Ireland", "Northfield, Germany"}
	tags       = []string{"analytics", "cloud", "security", "payments", "logistics", "healthcare", "retail", "education"}
)

// newRowContext hashes the row's content and finds a person and company name
// in it, so generated emails and URLs match the row where possible.
func newRowContext(seed int64, columns []string, row []cell, use map[string]bool) rowContext {
	h := sha256.New()
	fmt.Fprintf(h, "%d", seed)
	var rc rowContext
	var fullName string
	for i, name := range columns {
		if use != nil && !use[name] {
			continue
		}
		c := row[i]
		fmt.Fprintf(h, "\x00%s\x00%t\x00%s", name, c.null, c.text)
		if c.null || strings.TrimSpace(c.text) == "" {
			continue
		}
		switch normalizeName(name) {
		case "fullname", "name", "contactname", "leadname", "personname":
			fullName = c.text
		case "firstname", "givenname":
			rc.firstName = c.text
		case "lastname", "surname", "familyname":
			rc.lastName = c.text
		case "company", "companyname", "organization", "organisation", "account", "accountname", "employer":
			rc.company = c.text
		}
	}
	rc.digest = fmt.Sprintf("%x", h.Sum(nil))
	if fullName != "" && (rc.firstName == "" || rc.lastName == "") {
		parts := strings.Fields(fullName)
		rc.firstName = parts[0]
		if len(parts) > 1 {
			rc.lastName = parts[len(parts)-1]
		}
	}
	rng := seededRand(rc.digest, "identity")
	if rc.firstName == "" {
		rc.firstName = firstNames[rng.IntN(len(firstNames))]
	}
	if rc.lastName == "" {
		rc.lastName = lastNames[rng.IntN(len(lastNames))]
	}
	if rc.company == "" {
		rc.company = companies[rng.IntN(len(companies))]
	}
	return rc
}

// normalizeName lower-cases a name and drops everything but letters and digits.
func normalizeName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slug returns an ASCII lower-case form of s for email local parts and hosts.
func slug(s, sep string) string {
	var b strings.Builder
	lastSep := true
	for _, r := range strings.ToLower(s) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			lastSep = false
		} else if !lastSep {
			b.WriteString(sep)
			lastSep = true
		}
	}
	out := strings.TrimSuffix(b.String(), sep)
	if out == "" {
		return "contact"
	}
	return out
}

// synthesize returns the value of one struct field for one row. It depends
// only on the row's content, the field and the seed, which rc.digest contains.
func synthesize(rc rowContext, field structField) outValue {
	rng := seededRand(rc.digest, field.name)
	switch field.kind {
	case kindInt:
		return jsonTextValue(synthInt(rng, field.name))
	case kindFloat:
		return jsonTextValue(synthFloat(rng, field.name))
	case kindBool:
		return jsonTextValue(rng.IntN(2) == 1)
	case kindListString:
		items := make([]string, 1+rng.IntN(3))
		for i := range items {
			items[i] = tags[rng.IntN(len(tags))]
		}
		return jsonTextValue(items)
	case kindListInt:
		items := make([]int64, 1+rng.IntN(3))
		for i := range items {
			items[i] = synthInt(rng, field.name)
		}
		return jsonTextValue(items)
	case kindListFloat:
		items := make([]float64, 1+rng.IntN(3))
		for i := range items {
			items[i] = synthFloat(rng, field.name)
		}
		return jsonTextValue(items)
	case kindListBool:
		items := make([]bool, 1+rng.IntN(3))
		for i := range items {
			items[i] = rng.IntN(2) == 1
		}
		return jsonTextValue(items)
	case kindDict:
		// A dict arrives as stringified JSON in every file format.
		text, _ := json.Marshal(map[string]any{
			"summary": fmt.Sprintf("Synthetic %s for %s", field.name, rc.company),
			"count":   rng.IntN(100),
		})
		return textValue(string(text))
	default:
		return textValue(synthString(rng, rc, field.name))
	}
}

func synthString(rng *rand.Rand, rc rowContext, fieldName string) string {
	name := normalizeName(fieldName)
	switch {
	case strings.Contains(name, "email"):
		return slug(rc.firstName, "") + "." + slug(rc.lastName, "") + "@example.com"
	case strings.Contains(name, "linkedin"):
		return fmt.Sprintf("https://linkedin.example.org/in/%s-%s-%04d", slug(rc.firstName, "-"), slug(rc.lastName, "-"), rng.IntN(10000))
	case strings.Contains(name, "phone") || strings.Contains(name, "mobile"):
		// 555-0100 to 555-0199 are reserved for fiction.
		return fmt.Sprintf("+1 202-555-01%02d", rng.IntN(100))
	case strings.Contains(name, "title") || strings.Contains(name, "role") || strings.Contains(name, "position"):
		return jobTitles[rng.IntN(len(jobTitles))]
	case strings.Contains(name, "domain"):
		return slug(rc.company, "-") + ".example.net"
	case strings.Contains(name, "website") || strings.Contains(name, "url"):
		return "https://www." + slug(rc.company, "-") + ".example.net"
	case strings.Contains(name, "industry") || strings.Contains(name, "sector"):
		return industries[rng.IntN(len(industries))]
	case strings.Contains(name, "city") || strings.Contains(name, "location") || strings.Contains(name, "country") ||
		strings.Contains(name, "address") || strings.Contains(name, "headquarters"):
		return places[rng.IntN(len(places))]
	case strings.Contains(name, "company") || strings.Contains(name, "employer") || strings.Contains(name, "organization"):
		return rc.company
	case strings.Contains(name, "name"):
		return rc.firstName + " " + rc.lastName
	default:
		return fmt.Sprintf("Synthetic %s %04x", fieldName, rng.IntN(1<<16))
	}
}

func synthInt(rng *rand.Rand, fieldName string) int64 {
	name := normalizeName(fieldName)
	switch {
	case strings.Contains(name, "employee") || strings.Contains(name, "headcount") || strings.Contains(name, "size"):
		return 1 + rng.Int64N(50000)
	case strings.Contains(name, "year") || strings.Contains(name, "founded"):
		return 1950 + rng.Int64N(76)
	case strings.Contains(name, "age"):
		return 20 + rng.Int64N(50)
	default:
		return rng.Int64N(1001)
	}
}

func synthFloat(rng *rand.Rand, fieldName string) float64 {
	name := normalizeName(fieldName)
	switch {
	case strings.Contains(name, "revenue"):
		return math.Round((1e5+rng.Float64()*1e9)*100) / 100
	case strings.Contains(name, "score") || strings.Contains(name, "rating"):
		return math.Round(rng.Float64()*100) / 10
	default:
		return math.Round(rng.Float64()*100000) / 100
	}
}

// mistyped returns text that does not parse as the field's type.
func mistyped(kind valueKind) outValue {
	switch kind {
	case kindInt, kindListInt:
		return textValue("50-100")
	case kindFloat, kindListFloat:
		return textValue("n/a")
	case kindBool, kindListBool:
		return textValue("yes-ish")
	case kindListString:
		return textValue("alpha; beta")
	default:
		return textValue("key=value")
	}
}

// hostileTexts are values that break naive CSV, spreadsheet and terminal
// handling: formula prefixes, control characters, a right-to-left override
// and a 100 KB string.
var hostileTexts = []string{
	`=HYPERLINK("https://attacker.example.com/x","Click here")`,
	"+1+1",
	"-2+3",
	"@SUM(A1)",
	"\tleading tab",
	"\rleading carriage return",
	"first line\r\nsecond line\nthird line",
	"\u202Etxt.exe",
	strings.Repeat("A", 100*1024),
}

func hostileText(rng *rand.Rand) string {
	return hostileTexts[rng.IntN(len(hostileTexts))]
}

func confidenceScore(rc rowContext) outValue {
	rng := seededRand(rc.digest, "confidence_score")
	// NOTE: the API's scale is inconsistent across its documents (0.92 in
	// one, 8.5 in another); the emulator uses 0 to 10.
	score := 5 + math.Round(rng.Float64()*50)/10
	return outValue{text: strconv.FormatFloat(score, 'f', 1, 64), json: json.RawMessage(strconv.FormatFloat(score, 'f', 1, 64))}
}

func fieldConfidence(rc rowContext, field structField) outValue {
	rng := seededRand(rc.digest, field.name, "confidence")
	return jsonTextValue(40 + rng.IntN(61))
}
