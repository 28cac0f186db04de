package stacktest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// TestUploadsAreEncryptedOnDisk uploads a contract through the service, as
// the API does, and finds none of its text in the files folder.
func TestUploadsAreEncryptedOnDisk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stacktest.New(t, stacktest.Options{NoWorkers: true})
	tn, err := st.Store.CreateTenant(ctx, "Agence")
	if err != nil {
		t.Fatal(err)
	}
	contract := testdocs.Contract(testdocs.ValidContract("CM-2026-000042"))
	p := pipeline.Principal{KeyID: "k", TenantID: tn.ID, Role: pipeline.RoleUploader}
	doc, _, err := st.Service.Upload(ctx, p, "c.txt", strings.NewReader(contract))
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	err = filepath.WalkDir(filepath.Join(st.DataDir, "files"), func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		for _, clear := range []string{"CM-2026-000042", "Lefèvre", "CONTRAT"} {
			if bytes.Contains(raw, []byte(clear)) {
				t.Errorf("%s shows %q", path, clear)
			}
		}
		stored++
		return err
	})
	if err != nil || stored != 1 {
		t.Fatalf("%d files stored (%v), want 1", stored, err)
	}
	got, err := st.Service.Files.Get(ctx, doc.StorageKey)
	if err != nil || string(got) != contract {
		t.Fatalf("the stored contract reads back as %d bytes, %v", len(got), err)
	}
}
