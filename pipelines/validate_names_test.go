package pipelines

import "testing"

func TestStructFieldNamedLikeResultColumn(t *testing.T) {
	for _, name := range []string{"confidence_score", "notes", "references", "field_confidence"} {
		t.Run(name, func(t *testing.T) {
			enrich := "enrich:\n  inputs:\n    full_name: Name\n  struct:\n    " + name + ": Something\n"
			wantError(t, pipelineYAML("", enrich, ""), "enrich.struct."+name, "adds to every result", "rename")
		})
	}
}

func TestStructFieldNamedLikeFieldConfidence(t *testing.T) {
	enrich := "enrich:\n  inputs:\n    full_name: Name\n  field_confidence: true\n  struct:\n    title: Job title\n    title_confidence: Something\n"
	wantError(t, pipelineYAML("", enrich, ""), "enrich.struct.title_confidence", "per-field confidence")

	enrich = "enrich:\n  inputs:\n    full_name: Name\n  struct:\n    title: Job title\n    title_confidence: Something\n"
	mustParse(t, pipelineYAML("", enrich, ""))
}
