package api

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

// documentJSON is a document as the API returns it (spec shape).
type documentJSON struct {
	ID             string                     `json:"id"`
	Status         pipeline.Status            `json:"status"`
	DocumentType   *string                    `json:"document_type"`
	FileName       string                     `json:"file_name"`
	Size           int64                      `json:"size"`
	SHA256         string                     `json:"sha256"`
	Format         *string                    `json:"format"`
	ReceivedAt     time.Time                  `json:"received_at"`
	CommittedAt    *time.Time                 `json:"committed_at"`
	Fields         map[string]any             `json:"fields"`
	Confidence     map[string]float64         `json:"confidence"`
	Sources        map[string]pipeline.Source `json:"sources"`
	Issues         []pipeline.Issue           `json:"issues"`
	Refusal        *string                    `json:"refusal"`
	RefusalMessage *string                    `json:"refusal_message"`
	ParentID       *string                    `json:"parent_id"`
	Children       []string                   `json:"children"`
	Review         *pipeline.ReviewRef        `json:"review"`
	NearDuplicates []pipeline.Neighbour       `json:"near_duplicates"`
	Stage          stageJSON                  `json:"stage"`
}

type stageJSON struct {
	Name         string `json:"name"`
	Status       string `json:"status"`
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	Attempts     int    `json:"attempts"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toDocumentJSON(d pipeline.Document) documentJSON {
	out := documentJSON{
		ID: d.ID, Status: d.Status, DocumentType: optional(string(d.Type)), FileName: d.FileName,
		Size: d.Size, SHA256: d.SHA256, Format: optional(d.Format), ReceivedAt: d.ReceivedAt.UTC(),
		CommittedAt: d.CommittedAt, Fields: d.Fields.Map(), Confidence: d.Fields.Confidence, Sources: d.Fields.Sources, Issues: d.Issues,
		Refusal: optional(d.Refusal), RefusalMessage: optional(d.RefusalMessage), ParentID: optional(d.ParentID),
		Children: d.Children, Review: d.Review,
		Stage: stageJSON{Name: d.Stage, Status: d.StageStatus, ErrorCode: d.ErrorCode, ErrorMessage: d.ErrorMessage, Attempts: d.Attempts},
	}
	if out.Confidence == nil {
		out.Confidence = map[string]float64{}
	}
	out.NearDuplicates = d.NearDuplicates
	if out.NearDuplicates == nil {
		out.NearDuplicates = []pipeline.Neighbour{}
	}
	if out.Sources == nil {
		out.Sources = map[string]pipeline.Source{}
	}
	if out.Issues == nil {
		out.Issues = []pipeline.Issue{}
	}
	if out.Children == nil {
		out.Children = []string{}
	}
	return out
}

// uploadDocument takes a multipart file: 202 for a new document, 200 for
// the same bytes uploaded before, problem+json for a refused input. The
// file part is streamed to the service, which reads at most the size limit
// and keeps an oversized upload's refusal for audit.
func (s *Server) uploadDocument(c *gin.Context) error {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return fmt.Errorf("%w: send the document as multipart/form-data in the field \"file\"", derrors.InvalidArgument)
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return fmt.Errorf("%w: no multipart field \"file\" in the request", derrors.InvalidArgument)
		}
		if part.FormName() != "file" {
			continue
		}
		name := filepath.Base(part.FileName())
		if name == "." || name == "/" {
			name = "upload"
		}
		doc, created, err := s.svc.Upload(c.Request.Context(), principal(c), name, part)
		if err != nil {
			if doc.ID != "" {
				c.Set("refused_document_id", doc.ID)
			}
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusAccepted
			c.Header("Location", "/v1/documents/"+doc.ID)
		}
		c.JSON(status, toDocumentJSON(doc))
		return nil
	}
}

func (s *Server) getDocument(c *gin.Context) error {
	d, err := s.svc.Store.Document(c.Request.Context(), principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toDocumentJSON(d))
	return nil
}

var documentStatuses = map[pipeline.Status]bool{
	pipeline.StatusReceived: true, pipeline.StatusProcessing: true, pipeline.StatusInReview: true,
	pipeline.StatusCommitted: true, pipeline.StatusRejected: true, pipeline.StatusRefused: true, pipeline.StatusFailed: true,
}

func (s *Server) listDocuments(c *gin.Context) error {
	f := pipeline.DocumentFilter{Status: pipeline.Status(c.Query("status"))}
	if f.Status != "" && !documentStatuses[f.Status] {
		return fmt.Errorf("%w: unknown status %q", derrors.InvalidArgument, f.Status)
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return fmt.Errorf("%w: limit must be 1 to 500", derrors.InvalidArgument)
		}
		f.Limit = n
	}
	docs, err := s.svc.Store.Documents(c.Request.Context(), principal(c).TenantID, f)
	if err != nil {
		return err
	}
	items := make([]documentJSON, 0, len(docs))
	for _, d := range docs {
		items = append(items, toDocumentJSON(d))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}
