package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/pipelines/runner"
)

// runCLI runs crmsync with args and returns the exit code, standard output
// and the error text, mapped the way execute maps them.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.Execute()
	if err == nil {
		return 0, stdout.String(), stderr.String()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, stdout.String(), stderr.String() + err.Error()
	}
	return runner.ExitUsage, stdout.String(), stderr.String() + err.Error()
}

// writeContractPipeline writes a CSV of rows leads and a pipeline whose
// enrich section is enrichYAML (indented by two spaces), and returns the
// pipeline's path.
func writeContractPipeline(t *testing.T, rows int, enrichYAML string) string {
	t.Helper()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("Id,FirstName,LastName,Company,Email\n")
	for i := range rows {
		fmt.Fprintf(&csv, "L%03d,First%d,Last%d,Company %d,p%d@example.com\n", i, i, i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "leads.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := `name: contract-validate
source:
  path: leads.csv
  key: Id
chunk:
  max_rows: 10
enrich:
` + enrichYAML + `sinks:
  - type: jsonl
    path: out/leads.jsonl
`
	path := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	peopleInputs = `  endpoint: people
  inputs:
    full_name: "{FirstName} {LastName}"
    company: Company
`
	companyInputs = `  endpoint: company
  inputs:
    company_name: Company
`
	titleStruct  = "  struct:\n    title: Current job title\n"
	domainStruct = "  struct:\n    domain: Main web domain\n"
)

// TestContractValidateTiersAndConfig runs `crmsync validate` over tiers,
// per-endpoint rules and webhook URLs. It needs no network and no DNS.
func TestContractValidateTiersAndConfig(t *testing.T) {
	cases := []struct {
		name   string
		enrich string
		code   int
		want   string // in the error text when code is not 0
	}{
		{"people micro", peopleInputs + titleStruct + "  tier: micro\n", 0, ""},
		{"people low", peopleInputs + titleStruct + "  tier: low\n", 0, ""},
		{"people medium", peopleInputs + titleStruct + "  tier: medium\n", 0, ""},
		{"people high", peopleInputs + titleStruct + "  tier: high\n", 0, ""},
		{"people xhigh", peopleInputs + titleStruct + "  tier: xhigh\n", 0, ""},
		{"company micro", companyInputs + domainStruct + "  tier: micro\n", 0, ""},
		{"company low", companyInputs + domainStruct + "  tier: low\n", 0, ""},
		{"company medium", companyInputs + domainStruct + "  tier: medium\n", 0, ""},
		{"company high", companyInputs + domainStruct + "  tier: high\n", 0, ""},
		{"company xhigh", companyInputs + domainStruct + "  tier: xhigh\n", runner.ExitConfig, "xhigh"},
		{"unknown tier", peopleInputs + titleStruct + "  tier: gold\n", runner.ExitConfig, "enrich.tier"},
		{"company without struct", companyInputs, runner.ExitConfig, "enrich.struct"},
		{"unknown enrich key", peopleInputs + titleStruct + "  colour: red\n", runner.ExitConfig, "enrich.colour"},
		{"company key on people", peopleInputs + titleStruct + "  find_people: true\n", runner.ExitConfig, "find_people"},
		{"webhook public name", peopleInputs + titleStruct + "  webhook_url: https://hooks.example.com/crmsync\n", 0, ""},
		{"webhook http", peopleInputs + titleStruct + "  webhook_url: http://hooks.example.com/crmsync\n", runner.ExitConfig, "https"},
		{"webhook loopback", peopleInputs + titleStruct + "  webhook_url: https://127.0.0.1/hook\n", runner.ExitConfig, "loopback"},
		{"webhook localhost", peopleInputs + titleStruct + "  webhook_url: https://localhost/hook\n", runner.ExitConfig, "loopback"},
		{"webhook private", peopleInputs + titleStruct + "  webhook_url: https://10.0.0.7/hook\n", runner.ExitConfig, "private"},
		{"webhook link-local", peopleInputs + titleStruct + "  webhook_url: https://169.254.169.254/hook\n", runner.ExitConfig, "link-local"},
		{"webhook unique-local", peopleInputs + titleStruct + "  webhook_url: https://[fd00::1]/hook\n", runner.ExitConfig, "unique-local"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeContractPipeline(t, 5, tc.enrich)
			code, stdout, errText := runCLI(t, "validate", path)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nerror: %s", code, tc.code, stdout, errText)
			}
			if tc.code == 0 && !strings.Contains(stdout, "is valid") {
				t.Errorf("stdout %q does not say the pipeline is valid", stdout)
			}
			if tc.code != 0 && !strings.Contains(errText, tc.want) {
				t.Errorf("error lacks %q:\n%s", tc.want, errText)
			}
		})
	}
}

// TestContractPlanOutput checks that `crmsync plan` lists every chunk with
// its rows and bytes, and an estimated cost labelled as an assumption unless
// the pipeline sets its own price.
func TestContractPlanOutput(t *testing.T) {
	assumed := writeContractPipeline(t, 25, peopleInputs+titleStruct+"  tier: low\n")
	code, text, errText := runCLI(t, "plan", assumed)
	if code != 0 {
		t.Fatalf("plan exited %d: %s", code, errText)
	}
	tableWords := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"25 rows read", "3 chunks to people (tier low)",
		"estimated cost: 50 cents (25 rows x 2 cents per row, ASSUMED placeholder price",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan output lacks %q:\n%s", want, text)
		}
	}

	code, stdout, errText := runCLI(t, "plan", "--json", assumed)
	if code != 0 {
		t.Fatalf("plan --json exited %d: %s", code, errText)
	}
	var plan runner.Plan
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("plan --json output is not a plan: %v\n%s", err, stdout)
	}
	wantRows := []int{10, 10, 5}
	if len(plan.Chunks) != len(wantRows) {
		t.Fatalf("plan has %d chunks, want %d", len(plan.Chunks), len(wantRows))
	}
	for i, c := range plan.Chunks {
		if c.Rows != wantRows[i] {
			t.Errorf("chunk %d rows %d, want %d", i, c.Rows, wantRows[i])
		}
		if c.Bytes <= 0 {
			t.Errorf("chunk %d bytes %d, want > 0", i, c.Bytes)
		}
		line := fmt.Sprintf(" %d %d %d ", c.Index, c.Rows, c.Bytes)
		if !strings.Contains(tableWords, line) {
			t.Errorf("text plan lacks the chunk row %q:\n%s", strings.TrimSpace(line), text)
		}
	}
	if !plan.PriceAssumed || plan.EstimatedCostCents != 50 {
		t.Errorf("plan price_assumed %v estimated %d, want true and 50", plan.PriceAssumed, plan.EstimatedCostCents)
	}

	priced := writeContractPipeline(t, 25, peopleInputs+titleStruct+"  tier: medium\n  price_cents_per_row: {medium: 7}\n")
	code, stdout, errText = runCLI(t, "plan", priced)
	if code != 0 {
		t.Fatalf("plan exited %d: %s", code, errText)
	}
	if !strings.Contains(stdout, "estimated cost: 175 cents (25 rows x 7 cents per row, from enrich.price_cents_per_row)") {
		t.Errorf("plan with a set price lacks its estimate:\n%s", stdout)
	}
}
