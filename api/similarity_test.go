package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline/testdocs"
)

func TestNearDuplicatesAreFlagged(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{similarity: true})
	tn := e.tenant("Agence V")
	other := e.tenant("Agence W")
	text := testdocs.Contract(testdocs.ValidContract("CM-2026-017017"))
	var first, second, foreign document
	e.upload(tn.uploader, "contrat.pdf", testdocs.PDF(text), &first)
	e.waitStatus(tn.uploader, first.ID, "committed")
	e.upload(other.uploader, "contrat.txt", []byte(text), &foreign)
	e.waitStatus(other.uploader, foreign.ID, "committed", "in_review")
	// The same contract again, as a text file: other bytes, same text.
	e.upload(tn.uploader, "contrat.txt", []byte(text), &second)
	second = e.waitStatus(tn.uploader, second.ID, "committed", "in_review")
	var got struct {
		NearDuplicates []struct {
			ID         string  `json:"id"`
			Similarity float64 `json:"similarity"`
		} `json:"near_duplicates"`
	}
	e.getJSON("/v1/documents/"+second.ID, tn.uploader, &got)
	if len(got.NearDuplicates) != 1 || got.NearDuplicates[0].ID != first.ID || got.NearDuplicates[0].Similarity < 0.97 {
		t.Errorf("near duplicates = %+v, want the first upload only (never another tenant's)", got.NearDuplicates)
	}
	if n := e.count("SELECT count(*) FROM document_embeddings WHERE tenant_id = $1", tn.id); n != 2 {
		t.Errorf("%d embeddings for the tenant, want 2", n)
	}
}

// TestReviewedDocumentsBecomeExamples: a document a person corrected is
// shown to the model, with its approved fields, when a document of the
// same layout comes in.
func TestReviewedDocumentsBecomeExamples(t *testing.T) {
	t.Parallel()
	p := llmtest.New(t)
	e := setup(t, envOptions{similarity: true, extractor: &crosscheck.Extractor{Rules: rules.New(), Mode: crosscheck.Always,
		LLM: &llm.Extractor{Backend: llm.NewOpenAI(llm.OpenAIConfig{BaseURL: p.URL(), APIKey: llmtest.Key}), Model: "test-model"}}})
	tn := e.tenant("Agence X")
	// First document: the model disagrees on the rate, a person decides.
	p.Add(llmtest.Reply{Content: strings.Replace(strings.Replace(modelTruth, "CM-2026-016016", "CM-2026-018018", 1), `"hourly_rate": 13.45`, `"hourly_rate": 31.45`, 1)})
	var d document
	e.upload(tn.uploader, "c1.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-018018"))), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	if code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer, map[string]any{}, nil); code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	e.waitStatus(tn.uploader, d.ID, "committed")
	// Second document of the same layout.
	c := testdocs.ValidContract("CM-2026-018019")
	c.WorkerName = "Jean Martin"
	p.Add(llmtest.Reply{Content: strings.Replace(strings.Replace(modelTruth, "CM-2026-016016", "CM-2026-018019", 1), "Élodie Lefèvre", "Jean Martin", 1)})
	e.upload(tn.uploader, "c2.pdf", testdocs.PDF(testdocs.Contract(c)), &d)
	e.waitStatus(tn.uploader, d.ID, "committed", "in_review")
	msgs := llmtest.Messages(p.Request(1))
	if len(msgs) != 4 || msgs[1]["role"] != "user" || msgs[2]["role"] != "assistant" || msgs[3]["role"] != "user" {
		t.Fatalf("messages = %d, want system, example document, example answer, document", len(msgs))
	}
	if !strings.Contains(msgs[1]["content"].(string), "CM-2026-018018") || !strings.Contains(msgs[2]["content"].(string), `"hourly_rate":13.45`) {
		t.Errorf("example = %v / %v", msgs[1]["content"], msgs[2]["content"])
	}
	if !strings.Contains(msgs[3]["content"].(string), "CM-2026-018019") {
		t.Error("the document to read is not last")
	}
}
