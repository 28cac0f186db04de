package similarity

import (
	"context"

	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/postgres"
)

// Thresholds of cosine similarity.
const (
	// NearDuplicate: at or above, two documents are almost the same text.
	NearDuplicate = 0.97
	// SameLayout: at or above, a reviewed document may serve as an example.
	SameLayout = 0.8
	// excerptChars bounds the text kept to show a document as an example.
	excerptChars = 4000
)

// Store keeps embeddings and finds neighbours (postgres.Embeddings).
type Store interface {
	Put(ctx context.Context, d pipeline.Document, embedder, excerpt string, v []float32) error
	Nearest(ctx context.Context, tenantID, embedder string, v []float32, k int, t pipeline.DocumentType, reviewedOnly bool, exclude string) ([]postgres.Neighbour, error)
}

// Index embeds documents and searches them. It implements
// pipeline.Similarity and llm.ExampleSource.
type Index struct {
	Embedder Embedder
	Store    Store
	// MaxExamples is how many reviewed documents to show the model (default 2).
	MaxExamples int
}

// Index stores the document's embedding and returns its near-duplicates.
func (ix *Index) Index(ctx context.Context, d pipeline.Document, text string) ([]pipeline.Neighbour, error) {
	v, err := ix.Embedder.Embed(ctx, text)
	if err != nil {
		return nil, err
	}
	near, err := ix.Store.Nearest(ctx, d.TenantID, ix.Embedder.Name(), v, 5, "", false, d.ID)
	if err != nil {
		return nil, err
	}
	if err := ix.Store.Put(ctx, d, ix.Embedder.Name(), excerpt(text), v); err != nil {
		return nil, err
	}
	var out []pipeline.Neighbour
	for _, n := range near {
		if n.Similarity >= NearDuplicate {
			out = append(out, pipeline.Neighbour{DocumentID: n.DocumentID, Similarity: round3(n.Similarity)})
		}
	}
	return out, nil
}

// Examples returns reviewed documents of the tenant, of the same type and
// layout as text, with their approved fields.
func (ix *Index) Examples(ctx context.Context, tenantID string, t pipeline.DocumentType, text string) ([]llm.Example, error) {
	v, err := ix.Embedder.Embed(ctx, text)
	if err != nil {
		return nil, err
	}
	k := ix.MaxExamples
	if k <= 0 {
		k = 2
	}
	near, err := ix.Store.Nearest(ctx, tenantID, ix.Embedder.Name(), v, k+1, t, true, "")
	if err != nil {
		return nil, err
	}
	var out []llm.Example
	for _, n := range near {
		// The same text is the same document processed again: no lesson.
		if n.Similarity < SameLayout || n.Similarity > 0.999 || len(out) == k {
			continue
		}
		out = append(out, llm.Example{Text: n.Excerpt, Fields: n.Fields})
	}
	return out, nil
}

func excerpt(text string) string {
	if r := []rune(text); len(r) > excerptChars {
		return string(r[:excerptChars])
	}
	return text
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
