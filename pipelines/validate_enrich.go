package pipelines

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

var tiers = []string{"micro", "low", "medium", "high", "xhigh"}

func (v *validator) checkEnrich() {
	e := v.p.Enrich
	v.checkEnum("enrich.endpoint", e.Endpoint, "people", "company")
	v.checkBaseURL(e.BaseURL)
	if !isEnvName(e.APIKeyEnv) {
		v.errorf("enrich.api_key_env", "invalid variable name %q; give the name of the environment variable that holds the key, such as %s, not the key itself", e.APIKeyEnv, DefaultAPIKeyEnv)
	}
	v.checkInputs()
	v.checkStruct()

	if v.checkEnum("enrich.tier", e.Tier, tiers...) && e.Tier == "xhigh" && e.Endpoint == "company" {
		v.errorf("enrich.tier", "xhigh is offered only by the people endpoint; use micro, low, medium or high for company")
	}
	v.checkCompanyOptions()
	if e.WebhookURL != "" || v.d.set("enrich.webhook_url") {
		if err := checkWebhookURL(e.WebhookURL); err != nil {
			v.errorf("enrich.webhook_url", "%v", err)
		}
	}
	v.checkNameList("enrich.columns", e.Columns)
	for i, col := range e.Columns {
		if _, ok := e.Inputs[col]; len(e.Inputs) > 0 && !ok {
			v.errorf(fmt.Sprintf("enrich.columns[%d]", i), "%q is not an enrich.inputs name; columns selects among the columns sent, which are %s", col, strings.Join(e.InputOrder, ", "))
		}
	}
	v.checkNameList("enrich.result_formats", e.ResultFormats)

	if e.MaxCostCents != nil && *e.MaxCostCents <= 0 {
		v.errorf("enrich.max_cost_cents", "budget %d is not positive; give a budget in cents, or remove the key for no budget", *e.MaxCostCents)
	}
	for _, tier := range sortedKeys(e.PriceCentsPerRow) {
		path := "enrich.price_cents_per_row." + tier
		if !slices.Contains(tiers, tier) {
			v.keyErrorf(path, "unknown tier %q; %s", tier, oneOf(tier, tiers))
		}
		if e.PriceCentsPerRow[tier] < 0 {
			v.errorf(path, "price %d is negative; give cents per row", e.PriceCentsPerRow[tier])
		}
	}
	if e.Concurrency < 1 || e.Concurrency > 100 {
		v.errorf("enrich.concurrency", "%d is out of range; give the number of jobs in flight, 1 to 100", e.Concurrency)
	}
	if e.RateLimit < 1 {
		v.errorf("enrich.rate_limit_per_minute", "%d is not positive; give submissions per minute (the API allows 10)", e.RateLimit)
	}
	v.checkPoll()

	if len(e.Struct) > 0 {
		if _, err := v.p.APIConfig(); err != nil {
			v.errorf("enrich", "%v", err)
		}
	}
}

func (v *validator) checkBaseURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		v.errorf("enrich.base_url", "invalid URL %q; give an http or https URL with a host, such as %s", raw, DefaultBaseURL)
		return
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		v.errorf("enrich.base_url", "URL %q has credentials, a query or a fragment; give only scheme, host, port and path", raw)
		return
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		v.errorf("enrich.base_url", "plain http to %s would send the API key unencrypted; use https, or a loopback address for a local emulator", u.Hostname())
	}
}

// isLoopbackHost reports whether host is localhost or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

func (v *validator) checkInputs() {
	e := v.p.Enrich
	for _, name := range e.InputOrder {
		path := "enrich.inputs." + name
		switch {
		case strings.TrimSpace(name) == "":
			v.keyErrorf(path, "empty input name; give the column name to send, such as full_name")
		case name == KeyColumn:
			v.keyErrorf(path, "%s is the column crmsync adds to join results back; rename the input", KeyColumn)
		}
		spec := e.Inputs[name]
		if strings.TrimSpace(spec) == "" {
			v.errorf(path, "empty value; give a source column, or a template such as \"{FirstName} {LastName}\"")
			continue
		}
		if err := checkTemplate(spec); err != nil {
			v.errorf(path, "%v", err)
		}
	}
}

// checkTemplate checks an enrich.inputs value: a column name, or a template
// with {Column} placeholders where {{ and }} are literal braces.
func checkTemplate(spec string) error {
	for i := 0; i < len(spec); i++ {
		switch c := spec[i]; {
		case (c == '{' || c == '}') && i+1 < len(spec) && spec[i+1] == c:
			i++
		case c == '{':
			end := strings.IndexByte(spec[i+1:], '}')
			if end < 0 {
				return fmt.Errorf("unclosed { in template %q; close the placeholder, or write {{ for a literal brace", spec)
			}
			if strings.TrimSpace(spec[i+1:i+1+end]) == "" {
				return fmt.Errorf("empty placeholder {} in template %q; name a source column inside the braces", spec)
			}
			i += end + 1
		case c == '}':
			return fmt.Errorf("unmatched } in template %q; write }} for a literal brace", spec)
		}
	}
	return nil
}

func (v *validator) checkStruct() {
	e := v.p.Enrich
	if !v.d.set("enrich.struct") || len(e.Struct) == 0 {
		v.errorf("enrich.struct", "missing or empty; list the fields to enrich, such as title: Current job title")
		return
	}
	v.checkStructFields("enrich.struct", e.Struct)
	for _, f := range e.Struct {
		path := "enrich.struct." + f.Name
		if _, clash := e.Inputs[f.Name]; clash {
			v.keyErrorf(path, "field %q has the same name as an enrich.inputs column, so the result file could not tell them apart; rename the field, such as to %s_found", f.Name, f.Name)
		}
		if f.Name == KeyColumn {
			v.keyErrorf(path, "%s is the column crmsync adds to join results back; rename the field", KeyColumn)
		}
		switch f.Name {
		case "confidence_score", "notes", "references", "field_confidence":
			v.keyErrorf(path, "%q is a column the API adds to every result, so the result file would hold it twice; rename the field, such as to %s_found", f.Name, f.Name)
		}
		if base, ok := strings.CutSuffix(f.Name, "_confidence"); ok {
			for _, other := range e.Struct {
				if other.Name == base && e.FieldConfidence != nil && *e.FieldConfidence {
					v.keyErrorf(path, "%q is the per-field confidence column of %q with field_confidence on; rename the field", f.Name, base)
				}
			}
		}
	}
}

// checkStructFields checks names, descriptions and types of struct or
// lead_struct fields.
func (v *validator) checkStructFields(path string, fields []StructField) {
	for _, f := range fields {
		fieldPath := path + "." + f.Name
		if strings.TrimSpace(f.Name) == "" {
			v.keyErrorf(fieldPath, "empty field name; name the output field")
		}
		if strings.TrimSpace(f.Description) == "" {
			descPath := fieldPath
			if f.Object {
				descPath += ".description"
			}
			v.errorf(descPath, "empty description; say in words what the field should contain")
		}
		if f.Object && f.Type != "" {
			v.checkEnum(fieldPath+".type", f.Type, structTypes...)
		}
	}
}

// checkCompanyOptions rejects company-only keys on the people endpoint and
// find_people options without find_people.
func (v *validator) checkCompanyOptions() {
	e := v.p.Enrich
	companyOnly := []string{"find_people", "people_focus_prompt", "lead_struct", "full_org_chart"}
	if e.Endpoint == "people" {
		for _, key := range companyOnly {
			if v.d.set("enrich." + key) {
				v.keyErrorf("enrich."+key, "applies only to endpoint: company; remove the key or set enrich.endpoint: company")
			}
		}
		return
	}
	v.checkStructFields("enrich.lead_struct", v.d.leadStruct)
	findPeople := e.FindPeople != nil && *e.FindPeople
	for _, key := range companyOnly[1:] {
		if v.d.set("enrich."+key) && !findPeople {
			v.keyErrorf("enrich."+key, "has no effect without find_people: true; set enrich.find_people: true or remove the key")
		}
	}
}

// checkNameList rejects empty and repeated entries.
func (v *validator) checkNameList(path string, list []string) {
	seen := map[string]int{}
	for i, s := range list {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		if strings.TrimSpace(s) == "" {
			v.errorf(itemPath, "empty entry; remove it or give a name")
			continue
		}
		if first, dup := seen[s]; dup {
			v.errorf(itemPath, "%q is listed twice (first at index %d); remove one", s, first)
			continue
		}
		seen[s] = i
	}
}

func (v *validator) checkPoll() {
	p := v.p.Enrich.Poll
	valid := true
	for _, kv := range [][2]string{{"initial", p.Initial}, {"max", p.Max}, {"timeout", p.Timeout}} {
		if _, err := parseDuration(kv[1]); err != nil {
			v.errorf("enrich.poll."+kv[0], "%v", err)
			valid = false
		}
	}
	if !valid {
		return
	}
	initial, maxWait, timeout := v.p.PollDurations()
	if maxWait < initial {
		v.errorf("enrich.poll.max", "%s is shorter than poll.initial %s; the wait between polls grows from initial up to max", maxWait, initial)
	}
	if timeout < maxWait {
		v.errorf("enrich.poll.timeout", "%s is shorter than poll.max %s; give the whole time to wait for a job, such as 24h", timeout, maxWait)
	}
}
