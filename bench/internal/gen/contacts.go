// Package gen writes the synthetic CRM exports and enrichment result files
// that the benchmarks read. Every value is derived from a seed, so the same
// seed and row count always give byte-identical files.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// ContactColumns is the header of a generated contact export, in file order.
var ContactColumns = []string{
	"Id", "FirstName", "LastName", "Email", "Phone", "Title", "Company",
	"AnnualRevenue", "NumberOfEmployees", "City", "Country", "CreatedDate", "Notes",
}

// Contact is one generated row. An empty string is written as an empty CSV
// cell, which crmsync reads as null.
type Contact struct {
	Id, FirstName, LastName, Email, Phone, Title, Company string
	AnnualRevenue, NumberOfEmployees, City, Country       string
	CreatedDate, Notes                                    string
}

// Values returns the row's cells in ContactColumns order, reusing dst.
func (c *Contact) Values(dst []string) []string {
	return append(dst[:0], c.Id, c.FirstName, c.LastName, c.Email, c.Phone, c.Title, c.Company,
		c.AnnualRevenue, c.NumberOfEmployees, c.City, c.Country, c.CreatedDate, c.Notes)
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Linus",
		"Radia", "Dennis", "Hedy", "Tim", "Katherine", "Guido", "Sophie", "José", "Zoë", "Björn", "Łukasz", "Noémie", "Jürgen", "Aiko"}
	lastNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Torvalds",
		"Perlman", "Ritchie", "Lamarr", "Berners-Lee", "Johnson", "van Rossum", "Wilson", "García", "O'Brien", "Müller", "Nowak", "Dubois", "Schmidt", "Tanaka"}
	titles = []string{"CEO", "CTO", "VP Sales", "Head of Marketing", "Account Executive", "Software Engineer", "Data Engineer",
		"Director, Operations", "Procurement Manager", "Chief Revenue Officer", "Office Manager", ""}
	companies = []string{"Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries", "Wayne Enterprises", "Hooli",
		"Pied Piper", "Soylent, Inc.", "Vandelay Industries", "Wonka & Co", "Tyrell \"Corp\"", "Cyberdyne Systems", "Massive Dynamic"}
	cities = []string{"San Francisco", "New York", "London", "Berlin", "Paris", "Kraków", "Zürich", "Tokyo", "São Paulo", "Toronto", "Austin", "Dublin"}
	// countries is aligned with cities.
	countries = []string{"US", "US", "GB", "DE", "FR", "PL", "CH", "JP", "BR", "CA", "US", "IE"}
	domains   = []string{"example.com", "example.org", "example.net", "mail.example", "corp.example"}
	noteWords = []string{"called", "left voicemail", "asked about pricing", "renewal due", "met at conference", "prefers email",
		"budget approved", "follow up next quarter", "champion", "blocked by legal", "trial started", "churn risk"}
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ContactGenerator yields contacts from a seeded random stream.
type ContactGenerator struct {
	rng *rand.Rand
	n   int64
	sb  strings.Builder
}

// NewContactGenerator returns a generator whose rows depend only on seed.
func NewContactGenerator(seed uint64) *ContactGenerator {
	return &ContactGenerator{rng: rand.New(rand.NewPCG(seed, 0x63726d73796e63))}
}

func (g *ContactGenerator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// Next fills c with the next row.
func (g *ContactGenerator) Next(c *Contact) {
	r := g.rng
	g.n++
	c.Id = salesforceID(g.n)
	c.FirstName = g.pick(firstNames)
	c.LastName = g.pick(lastNames)
	c.Email = ""
	if r.IntN(10) != 0 {
		c.Email = strings.ToLower(asciiOnly(c.FirstName)) + "." + strconv.FormatInt(g.n, 10) + "@" + g.pick(domains)
	}
	c.Phone = g.phone()
	c.Title = g.pick(titles)
	c.Company = g.pick(companies)
	c.AnnualRevenue = ""
	if r.IntN(4) != 0 {
		c.AnnualRevenue = strconv.FormatInt(int64(r.IntN(500_000_000)), 10) + "." + strconv.Itoa(r.IntN(90)+10)
	}
	c.NumberOfEmployees = ""
	if r.IntN(5) != 0 {
		c.NumberOfEmployees = strconv.Itoa(r.IntN(100_000) + 1)
	}
	city := r.IntN(len(cities))
	c.City, c.Country = cities[city], countries[city]
	c.CreatedDate = fmt.Sprintf("20%02d-%02d-%02dT%02d:%02d:%02d.000+0000",
		15+r.IntN(11), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
	c.Notes = g.notes()
}

// phone returns numbers in the shapes CRM exports hold: a leading + or 00
// and national numbers with a leading 0, so a reader that types the column
// as a number loses digits.
func (g *ContactGenerator) phone() string {
	r := g.rng
	switch r.IntN(5) {
	case 0:
		return fmt.Sprintf("+1 %03d 555 %04d", 200+r.IntN(800), r.IntN(10000))
	case 1:
		return fmt.Sprintf("+44 (0)20 %04d %04d", r.IntN(10000), r.IntN(10000))
	case 2:
		return fmt.Sprintf("0049 30 %07d", r.IntN(10_000_000))
	case 3:
		return fmt.Sprintf("07700 9%05d", r.IntN(100000))
	default:
		return ""
	}
}

// notes returns free text: empty for a fifth of rows, otherwise phrases
// joined by commas, some with double quotes and some over several lines.
func (g *ContactGenerator) notes() string {
	r := g.rng
	if r.IntN(5) == 0 {
		return ""
	}
	b := &g.sb
	b.Reset()
	phrases := 1 + r.IntN(6)
	for i := 0; i < phrases; i++ {
		if i > 0 {
			switch r.IntN(4) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("; ")
			default:
				b.WriteString(", ")
			}
		}
		w := g.pick(noteWords)
		if r.IntN(6) == 0 {
			b.WriteString(`"` + w + `"`)
		} else {
			b.WriteString(w)
		}
	}
	return b.String()
}

// salesforceID returns an 18-character contact id (key prefix 003) for the
// n-th record: 15 case-sensitive characters and the 3-character case-safe
// suffix that Salesforce appends.
func salesforceID(n int64) string {
	var id [18]byte
	copy(id[:], "0035g00")
	// Spread n over 8 base-62 digits with a multiplier, so ids vary in case.
	x := uint64(n)*2654435761 + 1
	for i := 14; i >= 7; i-- {
		id[i] = base62[x%62]
		x /= 62
	}
	const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	for block := 0; block < 3; block++ {
		bits := 0
		for i := 0; i < 5; i++ {
			c := id[block*5+i]
			if c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		id[15+block] = suffixAlphabet[bits]
	}
	return string(id[:])
}

// asciiOnly drops non-ASCII letters so generated email addresses stay valid.
func asciiOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 && s[i] != '\'' && s[i] != ' ' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
