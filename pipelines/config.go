// Package pipelines loads, validates and runs crmsync pipelines.
package pipelines

// KeyColumn is the column crmsync adds to every chunk row so results can be
// joined back to their source records. No enrich.struct field may use it.
const KeyColumn = "_crmsync_key"

// Limits of the bulk API, enforced when a pipeline is validated.
const (
	MaxChunkRows   = 100_000
	MaxChunkBytes  = 100 * 1000 * 1000
	MaxConfigRunes = 300_000 // the JSON config part, counted in characters
)

// Defaults applied to keys the YAML leaves out.
const (
	DefaultBaseURL      = "https://api.sixtyfour.ai"
	DefaultAPIKeyEnv    = "SIXTYFOUR_API_KEY"
	DefaultStateDir     = ".crmsync"
	DefaultRowGroupRows = 122_880
)

// Pipeline is one YAML pipeline file after interpolation and parsing. Field
// names follow the YAML keys; the yaml tags are the public interface.
type Pipeline struct {
	Name     string       `yaml:"name"`
	Source   SourceConfig `yaml:"source"`
	Chunk    ChunkConfig  `yaml:"chunk"`
	Enrich   EnrichConfig `yaml:"enrich"`
	Sinks    []SinkConfig `yaml:"sinks"`
	StateDir string       `yaml:"state_dir"`

	// Path is the YAML file the pipeline was loaded from; Dir its folder,
	// against which relative paths resolve. Neither is a YAML key.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`
}

type SourceConfig struct {
	Path          string            `yaml:"path"`
	Member        string            `yaml:"member"`
	Format        string            `yaml:"format"`
	Preset        string            `yaml:"preset"`
	Encoding      string            `yaml:"encoding"`
	Delimiter     string            `yaml:"delimiter"`
	RecordsPath   string            `yaml:"records_path"`
	FlattenArrays string            `yaml:"flatten_arrays"`
	Key           string            `yaml:"key"`
	Types         map[string]string `yaml:"types"`
	OnError       string            `yaml:"on_error"`
	MaxRejected   string            `yaml:"max_rejected"`
	MaxRecordSize string            `yaml:"max_record_size"`
}

type ChunkConfig struct {
	MaxRows  int    `yaml:"max_rows"`
	MaxBytes string `yaml:"max_bytes"`
}

// StructField is one entry of enrich.struct: a description, and a type when
// the YAML gives the object form {description, type}.
type StructField struct {
	Name        string
	Description string
	Type        string // "" when the short form was used
	// Object is true when the YAML used the {description, type} form, so the
	// config sent to the API keeps that form.
	Object bool
}

type PollConfig struct {
	Initial string `yaml:"initial"`
	Max     string `yaml:"max"`
	Timeout string `yaml:"timeout"`
}

type EnrichConfig struct {
	Endpoint         string            `yaml:"endpoint"`
	BaseURL          string            `yaml:"base_url"`
	APIKeyEnv        string            `yaml:"api_key_env"`
	Inputs           map[string]string `yaml:"inputs"`
	InputOrder       []string          `yaml:"-"` // keys of Inputs in YAML order
	Struct           []StructField     `yaml:"-"` // enrich.struct in YAML order
	Tier             string            `yaml:"tier"`
	ResearchPlan     string            `yaml:"research_plan"`
	WebhookURL       string            `yaml:"webhook_url"`
	FieldConfidence  *bool             `yaml:"field_confidence"`
	Columns          []string          `yaml:"columns"`
	ResultFormats    []string          `yaml:"result_formats"`
	SaveJSON         *bool             `yaml:"save_json"`
	FindPeople       *bool             `yaml:"find_people"`
	PeopleFocus      string            `yaml:"people_focus_prompt"`
	LeadStruct       map[string]any    `yaml:"lead_struct"`
	FullOrgChart     *bool             `yaml:"full_org_chart"`
	MaxCostCents     *int64            `yaml:"max_cost_cents"`
	PriceCentsPerRow map[string]int64  `yaml:"price_cents_per_row"`
	Concurrency      int               `yaml:"concurrency"`
	RateLimit        int               `yaml:"rate_limit_per_minute"`
	Poll             PollConfig        `yaml:"poll"`
}

type ColumnsConfig struct {
	// Keep is "all" or "none". It is empty when the YAML gives a list, and
	// KeepList then contains the source columns to keep, in output order.
	Keep     string            `yaml:"-"`
	KeepList []string          `yaml:"-"`
	Rename   map[string]string `yaml:"rename"`
	Prefix   string            `yaml:"prefix"`
	Metadata []string          `yaml:"metadata"`
}

type SinkConfig struct {
	Type         string        `yaml:"type"`
	Path         string        `yaml:"path"`
	Compression  string        `yaml:"compression"`
	RowGroupRows int           `yaml:"row_group_rows"`
	Columns      ColumnsConfig `yaml:"columns"`
	CRM          string        `yaml:"crm"`
	OnlyChanged  bool          `yaml:"only_changed"`
	Overwrite    string        `yaml:"overwrite"`
	Delimiter    string        `yaml:"delimiter"`
	BOM          bool          `yaml:"bom"`
	FormulaGuard *bool         `yaml:"formula_guard"`
	LineEnding   string        `yaml:"line_ending"`
	// Clear lists output fields that a CRM import file should clear when the
	// enrichment returned no value (written as the CRM's clear marker, such
	// as #N/A for Salesforce).
	Clear []string `yaml:"clear"`
}
