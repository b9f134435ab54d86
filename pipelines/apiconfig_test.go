package pipelines

import (
	"bytes"
	"strings"
	"testing"
)

func TestAPIConfigPeople(t *testing.T) {
	p := mustParse(t, pipelineYAML("", `enrich:
  inputs:
    full_name: "{FirstName} {LastName}"
    company: Company
  struct:
    title: Current job title
    employees: {description: Number of employees, type: int}
    tags: {description: "Tags <b> & more"}
  tier: medium
  research_plan: Use the company site.
  webhook_url: https://hooks.example.com/x
  field_confidence: false
  columns: [full_name, company]
  result_formats: [csv]
  save_json: true
  max_cost_cents: 100
  price_cents_per_row: {medium: 4}
`, ""))
	cfg, err := p.APIConfig()
	if err != nil {
		t.Fatal(err)
	}
	got, err := CanonicalJSON(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"columns":["full_name","company","_crmsync_key"],"field_confidence":false,"research_plan":"Use the company site.","result_formats":["csv"],"save_json":true,` +
		`"struct":{"employees":{"description":"Number of employees","type":"int"},"tags":{"description":"Tags <b> & more"},"title":"Current job title"},` +
		`"tier":"medium","webhook_url":"https://hooks.example.com/x"}`
	if string(got) != want {
		t.Errorf("canonical config\n got %s\nwant %s", got, want)
	}
}

func TestAPIConfigOnlySetKeys(t *testing.T) {
	p := mustParse(t, pipelineYAML("", "", ""))
	cfg, err := p.APIConfig()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := CanonicalJSON(cfg)
	if want := `{"struct":{"title":"Current job title"},"tier":"low"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestAPIConfigCompany(t *testing.T) {
	p := mustParse(t, pipelineYAML("", `enrich:
  endpoint: company
  struct: {website: Company website}
  find_people: true
  people_focus_prompt: Heads of sales
  lead_struct:
    email: Work email
    seniority: {description: Seniority level, type: str}
  full_org_chart: false
`, ""))
	cfg, err := p.APIConfig()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := CanonicalJSON(cfg)
	want := `{"find_people":true,"full_org_chart":false,"lead_struct":{"email":"Work email","seniority":{"description":"Seniority level","type":"str"}},` +
		`"people_focus_prompt":"Heads of sales","struct":{"website":"Company website"},"tier":"low"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestCanonicalJSONDeterministic(t *testing.T) {
	var fields strings.Builder
	for _, name := range []string{"zeta", "alpha", "mid", "beta", "omega", "gamma", "delta", "kappa"} {
		fields.WriteString("    " + name + ": {description: " + name + " value, type: str}\n")
	}
	data := pipelineYAML("", "enrich:\n  struct:\n"+fields.String(), "")
	var first []byte
	for i := range 30 {
		cfg, err := mustParse(t, data).APIConfig()
		if err != nil {
			t.Fatal(err)
		}
		got, err := CanonicalJSON(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("run %d gave different bytes:\n%s\n%s", i, got, first)
		}
	}
	if !bytes.HasPrefix(first, []byte(`{"struct":{"alpha":`)) {
		t.Errorf("keys not sorted: %s", first)
	}
	if bytes.HasSuffix(first, []byte("\n")) {
		t.Errorf("canonical JSON ends with a newline")
	}
}

func TestCanonicalJSONNoHTMLEscaping(t *testing.T) {
	got, err := CanonicalJSON(map[string]any{"b": "<a & b>", "a": map[string]any{"y": 1, "x": []string{"é"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"x":["é"],"y":1},"b":"<a & b>"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestConfigSizeLimit(t *testing.T) {
	plan := func(s string) string {
		return pipelineYAML("", defaultEnrich+"  research_plan: "+s+"\n", "")
	}
	// 150,000 two-byte runes is 300,000 bytes but under the limit once the
	// limit counts characters.
	mustParse(t, plan(strings.Repeat("é", 150_000)))

	e := wantError(t, plan(strings.Repeat("a", MaxConfigRunes)), "enrich", "more than the API's limit of 300000")
	if !strings.Contains(e.Msg, "the API config is 300072 characters") {
		t.Errorf("message %q does not name the size", e.Msg)
	}
}

func TestEstimateCost(t *testing.T) {
	cases := []struct {
		tier, prices string
		rows         int64
		want         Estimate
	}{
		{"low", "", 1000, Estimate{Rows: 1000, PriceCentsPerRow: 2, Cents: 2000, Assumed: true}},
		{"micro", "", 10, Estimate{Rows: 10, PriceCentsPerRow: 1, Cents: 10, Assumed: true}},
		{"medium", "", 10, Estimate{Rows: 10, PriceCentsPerRow: 5, Cents: 50, Assumed: true}},
		{"high", "", 10, Estimate{Rows: 10, PriceCentsPerRow: 20, Cents: 200, Assumed: true}},
		{"xhigh", "", 10, Estimate{Rows: 10, PriceCentsPerRow: 40, Cents: 400, Assumed: true}},
		{"low", "{low: 3}", 100000, Estimate{Rows: 100000, PriceCentsPerRow: 3, Cents: 300000}},
		{"low", "{low: 0}", 5, Estimate{Rows: 5, PriceCentsPerRow: 0, Cents: 0}},
		{"high", "{low: 3}", 2, Estimate{Rows: 2, PriceCentsPerRow: 20, Cents: 40, Assumed: true}},
		{"low", "", 0, Estimate{Rows: 0, PriceCentsPerRow: 2, Cents: 0, Assumed: true}},
	}
	for _, c := range cases {
		enrich := defaultEnrich + "  tier: " + c.tier + "\n"
		if c.prices != "" {
			enrich += "  price_cents_per_row: " + c.prices + "\n"
		}
		got := mustParse(t, pipelineYAML("", enrich, "")).EstimateCost(c.rows)
		if got != c.want {
			t.Errorf("tier %s, prices %q, %d rows: got %+v, want %+v", c.tier, c.prices, c.rows, got, c.want)
		}
	}
}
