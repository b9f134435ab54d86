package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// KeyColumn is the key column crmsync adds to every uploaded row; its value
// is the record's 0-based ordinal in the source.
const KeyColumn = "_crmsync_key"

// UploadedInputs are the enrich.inputs the benchmarks send, as name and
// template, in upload order.
var UploadedInputs = [][2]string{
	{"full_name", "{FirstName} {LastName}"},
	{"email", "Email"},
	{"company", "Company"},
}

// StructField is one enrich.struct field of the benchmark pipeline.
type StructField struct {
	Name, Description, Type string
}

// StructFields are the enrich.struct fields of the benchmark pipeline; Type
// is a crmsync type name, empty for text.
var StructFields = []StructField{
	{"linkedin_url", "LinkedIn profile URL of the person", ""},
	{"job_title", "Current job title", ""},
	{"company_size", "Number of employees at the current employer", "int"},
	{"seniority", "Seniority level: junior, senior, director or executive", ""},
}

// ResultColumns is the header of a generated result file: the key, the
// uploaded inputs, the struct fields and the metadata columns the API adds.
func ResultColumns() []string {
	cols := []string{KeyColumn}
	for _, in := range UploadedInputs {
		cols = append(cols, in[0])
	}
	for _, f := range StructFields {
		cols = append(cols, f.Name)
	}
	return append(cols, "confidence_score", "notes", "references")
}

// PassthroughPercent is the share of result rows returned un-enriched, with
// empty struct columns, as the API does for rows it could not enrich.
const PassthroughPercent = 5

var seniorities = []string{"junior", "senior", "director", "executive"}

// ResultGenerator builds result rows for contacts; its random stream is
// separate from the contacts' stream, so both files stay reproducible.
type ResultGenerator struct {
	rng *rand.Rand
}

// NewResultGenerator returns a generator whose rows depend only on seed.
func NewResultGenerator(seed uint64) *ResultGenerator {
	return &ResultGenerator{rng: rand.New(rand.NewPCG(seed, 0x726573756c7473))}
}

// Row returns the result cells, in ResultColumns order, for the contact with
// the given ordinal, reusing dst.
func (g *ResultGenerator) Row(dst []string, ordinal int64, c *Contact) []string {
	r := g.rng
	fullName := strings.TrimSpace(c.FirstName + " " + c.LastName)
	dst = append(dst[:0], strconv.FormatInt(ordinal, 10), fullName, c.Email, c.Company)
	if r.IntN(100) < PassthroughPercent {
		return append(dst, "", "", "", "", "", "Row could not be enriched; it is returned unchanged.", "")
	}
	slug := strings.ToLower(strings.ReplaceAll(asciiOnly(c.FirstName)+"-"+asciiOnly(c.LastName), " ", "-"))
	linkedin := "https://www.linkedin.com/in/" + slug + "-" + strconv.FormatInt(ordinal, 36)
	title := c.Title
	if title == "" {
		title = "Consultant"
	}
	size := strconv.Itoa(1 + r.IntN(50_000))
	confidence := strconv.FormatFloat(float64(50+r.IntN(50))/10, 'f', 1, 64)
	notes := fmt.Sprintf("Matched %s at %s, from the company site and the profile.", fullName, c.Company)
	refs := `{"` + linkedin + `":"LinkedIn profile","https://` + domains[r.IntN(len(domains))] + `/team":"Company team page"}`
	return append(dst, linkedin, title, size, seniorities[r.IntN(len(seniorities))], confidence, notes, refs)
}
