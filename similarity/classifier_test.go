package similarity

import (
	"context"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/postgres"
)

type unsure struct{}

func (unsure) Classify(pipeline.Content) (pipeline.DocumentType, float64) {
	return pipeline.TypeOther, 0.3
}

type fakeStore struct{ near []postgres.Neighbour }

func (f fakeStore) Put(context.Context, pipeline.Document, string, string, []float32) error {
	return nil
}
func (f fakeStore) Nearest(context.Context, string, string, []float32, int, pipeline.DocumentType, bool, string) ([]postgres.Neighbour, error) {
	return f.near, nil
}

func TestNeighboursHelpAnUnsureClassifier(t *testing.T) {
	t.Parallel()
	ctx := pipeline.WithTenant(context.Background(), "t1")
	c := &Classifier{Base: unsure{}, Index: &Index{Embedder: Hashing{}, Store: fakeStore{near: []postgres.Neighbour{
		{Type: pipeline.TypeTimesheet, Similarity: 0.93}, {Type: pipeline.TypeTimesheet, Similarity: 0.9},
		{Type: pipeline.TypeContract, Similarity: 0.85}, {Type: pipeline.TypeContract, Similarity: 0.4}}}}}
	typ, score := c.ClassifyContext(ctx, pipeline.Content{Text: "relevé"})
	if typ != pipeline.TypeTimesheet || score < 0.6 || score > 1 {
		t.Errorf("with neighbours: %s %.2f, want timesheet", typ, score)
	}
	c.Index.Store = fakeStore{near: []postgres.Neighbour{{Type: pipeline.TypeContract, Similarity: 0.5}}}
	if typ, score := c.ClassifyContext(ctx, pipeline.Content{Text: "x"}); typ != pipeline.TypeOther || score != 0.3 {
		t.Errorf("no close neighbour: %s %.2f, want the classifier's own answer", typ, score)
	}
	if typ, _ := c.ClassifyContext(context.Background(), pipeline.Content{}); typ != pipeline.TypeOther {
		t.Error("no tenant: neighbours asked")
	}
}
