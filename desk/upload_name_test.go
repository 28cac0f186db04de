package desk_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// A file name that is not valid UTF-8 (a Latin-1 client) on the desk's
// upload form must be taken or refused, never answered 500.
func TestDeskUploadNonUTF8FileName(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence Noms")
	b := e.signIn(e.user(tn.id, pipeline.RoleUploader, "Ulysse Upload"))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, "relev\xe9.txt"))
	h.Set("Content-Type", "text/plain")
	fw, _ := mw.CreatePart(h)
	fw.Write([]byte(testdocs.Contract(testdocs.ValidContract("CM-2026-009201"))))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.server.URL+"/desk/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", b.csrf)
	req.Header.Set("Accept", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("upload answered %d: %s", resp.StatusCode, out)
	}
}
