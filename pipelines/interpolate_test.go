package pipelines

import (
	"strings"
	"testing"
)

func TestInterpolate(t *testing.T) {
	env := envMap(map[string]string{"NAME": "leads", "EMPTY": "", "DIR": "data"})
	cases := []struct {
		name, in, want string
	}{
		{"plain", "name: ${NAME}\n", "name: leads\n"},
		{"inside text", "path: ${DIR}/in.csv\n", "path: data/in.csv\n"},
		{"set but empty", "prefix: \"${EMPTY}\"\n", "prefix: \"\"\n"},
		{"default when unset", "tier: ${TIER:-low}\n", "tier: low\n"},
		{"default when empty", "tier: ${EMPTY:-low}\n", "tier: low\n"},
		{"default not used", "name: ${NAME:-other}\n", "name: leads\n"},
		{"empty default", "prefix: \"${TIER:-}\"\n", "prefix: \"\"\n"},
		{"message form set", "name: ${NAME:?name needed}\n", "name: leads\n"},
		{"escaped dollar", "plan: costs $$5 ${NAME}\n", "plan: costs $5 leads\n"},
		{"escaped reference", "plan: $${NAME}\n", "plan: ${NAME}\n"},
		{"lone dollar", "plan: $5 and $\n", "plan: $5 and $\n"},
		{"comment line", "# uses ${UNSET} and $$\nname: x\n", "# uses ${UNSET} and $$\nname: x\n"},
		{"trailing comment", "name: ${NAME} # not ${UNSET}\n", "name: leads # not ${UNSET}\n"},
		{"hash in quotes", "plan: \"step #1 ${NAME}\"\n", "plan: \"step #1 leads\"\n"},
		{"hash in single quotes", "plan: 'it''s #1 ${NAME}' # ${UNSET}\n", "plan: 'it''s #1 leads' # ${UNSET}\n"},
		{"hash without space", "url: https://x.example/a#${NAME}\n", "url: https://x.example/a#leads\n"},
		{"block scalar", "plan: |\n  see #2 ${NAME}\n  # ${DIR}\nname: ${NAME} # ${UNSET}\n", "plan: |\n  see #2 leads\n  # data\nname: leads # ${UNSET}\n"},
		{"quoted over lines", "plan: \"one\n  # two ${NAME}\"\n", "plan: \"one\n  # two leads\"\n"},
		{"value not expanded again", "name: ${LITERAL}\n", "name: ${NAME}\n"},
	}
	env2 := func(name string) (string, bool) {
		if name == "LITERAL" {
			return "${NAME}", true
		}
		return env(name)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs := interpolate([]byte(c.in), "p.yaml", env2)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if string(out) != c.want {
				t.Errorf("got %q, want %q", out, c.want)
			}
		})
	}
}

func TestInterpolateErrors(t *testing.T) {
	env := envMap(map[string]string{"EMPTY": ""})
	cases := []struct {
		name, in  string
		line, col int
		fragments []string
	}{
		{"unset", "name: x\npath: ${INPUT_FILE}\n", 2, 7, []string{"INPUT_FILE is not set", "${INPUT_FILE:-default}"}},
		{"message form unset", "key: ${API_KEY_ENV:?set it to the variable name}\n", 1, 6, []string{"API_KEY_ENV is not set or empty: set it to the variable name"}},
		{"message form empty", "key: ${EMPTY:?needed}\n", 1, 6, []string{"EMPTY is not set or empty: needed"}},
		{"unterminated", "name: ${NAME\n", 1, 7, []string{"unterminated ${", "$$"}},
		{"invalid name", "name: ${1X}\n", 1, 7, []string{`invalid variable name "1X"`}},
		{"invalid operator", "name: ${X:+y}\n", 1, 7, []string{"invalid expression ${X:+y}", "${X:-default}"}},
		{"column in runes", "plan: \"é ${X}\"\n", 1, 10, []string{"X is not set"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := interpolate([]byte(c.in), "p.yaml", env)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			if e.Line != c.line || e.Column != c.col {
				t.Errorf("position = %d:%d, want %d:%d", e.Line, e.Column, c.line, c.col)
			}
			for _, f := range c.fragments {
				if !strings.Contains(e.Msg, f) {
					t.Errorf("message %q does not contain %q", e.Msg, f)
				}
			}
		})
	}
}

func TestParseReportsEveryUnsetVariable(t *testing.T) {
	data := "name: ${A}\nsource: {path: ${B}}\n"
	list := parseErrors(t, data, noEnv)
	if len(list) != 2 {
		t.Fatalf("got %d problems, want 2: %v", len(list), list)
	}
	if got := list.Error(); !strings.HasPrefix(got, "pipeline.yaml:1:7: environment variable A is not set") {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseInterpolatesBeforeParsing(t *testing.T) {
	env := envMap(map[string]string{"TIER": "medium", "SINKS": "[{type: jsonl, path: out.jsonl}]"})
	data := "name: t\nsource: {path: in.csv}\nenrich:\n  struct: {a: b}\n  tier: ${TIER}\nsinks: ${SINKS}\n"
	p, err := Parse([]byte(data), "p.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if p.Enrich.Tier != "medium" {
		t.Errorf("Tier = %q", p.Enrich.Tier)
	}
	if len(p.Sinks) != 1 || p.Sinks[0].Type != "jsonl" {
		t.Errorf("Sinks = %+v", p.Sinks)
	}
}
