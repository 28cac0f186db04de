package similarity

import (
	"context"

	"github.com/docflow/docflow/pipeline"
)

// Classifier helps a classifier that is unsure with the tenant's documents
// of the same layout: when Base scores under MinScore, the nearest
// contracts and timesheets already read vote, weighted by similarity.
type Classifier struct {
	Base  pipeline.Classifier
	Index *Index
	// MinScore is Base's score under which neighbours are asked (default 0.6).
	MinScore float64
}

// Classify is Base's answer, for callers without a context.
func (c *Classifier) Classify(content pipeline.Content) (pipeline.DocumentType, float64) {
	return c.Base.Classify(content)
}

// ClassifyContext asks Base, then the neighbours when Base is unsure.
func (c *Classifier) ClassifyContext(ctx context.Context, content pipeline.Content) (pipeline.DocumentType, float64) {
	t, score := c.Base.Classify(content)
	min := c.MinScore
	if min <= 0 {
		min = 0.6
	}
	tenant := pipeline.TenantFromContext(ctx)
	if score >= min || tenant == "" || c.Index == nil {
		return t, score
	}
	v, err := c.Index.Embedder.Embed(ctx, content.Text)
	if err != nil {
		return t, score
	}
	near, err := c.Index.Store.Nearest(ctx, tenant, c.Index.Embedder.Name(), v, 5, "", false, "")
	if err != nil {
		return t, score
	}
	votes := map[pipeline.DocumentType]float64{}
	for _, n := range near {
		if n.Similarity >= SameLayout {
			votes[n.Type] += n.Similarity
		}
	}
	best, bestVote, total := t, 0.0, 0.0
	for typ, v := range votes {
		total += v
		if v > bestVote {
			best, bestVote = typ, v
		}
	}
	if total == 0 {
		return t, score
	}
	// The neighbours' agreement is the score, never above what a sure
	// classifier would give.
	return best, min + (1-min)*bestVote/total/2
}
