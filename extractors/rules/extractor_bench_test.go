package rules

import (
	"context"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// BenchmarkExtractContract extracts the fields of a one-page contract.
func BenchmarkExtractContract(b *testing.B) {
	c := pipeline.Content{Text: testdocs.Contract(testdocs.ValidContract("CM-1")), Confidence: 1}
	ex := New()
	for b.Loop() {
		if _, err := ex.Extract(context.Background(), pipeline.TypeContract, c); err != nil {
			b.Fatal(err)
		}
	}
}
