package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
)

func TestExportWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stacktest.New(t, stacktest.Options{})
	a, _ := st.Store.CreateTenant(ctx, "Agence A")
	b, _ := st.Store.CreateTenant(ctx, "Agence B")
	upload := func(tenant, name, text string) pipeline.Document {
		t.Helper()
		d, _, err := st.Service.Upload(ctx, pipeline.Principal{KeyID: "up", TenantID: tenant, Role: pipeline.RoleUploader}, name, strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	c := upload(a.ID, "contrat.txt", testdocs.Contract(testdocs.ValidContract("CM-2026-012001")))
	waitStatus(t, st, a.ID, c.ID, pipeline.StatusCommitted)
	ts := upload(a.ID, "releve.txt", testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-012001")))
	waitStatus(t, st, a.ID, ts.ID, pipeline.StatusCommitted)
	other := testdocs.ValidContract("CM-2026-012002")
	other.WorkerName = "Karim Benali"
	o := upload(a.ID, "autre.txt", testdocs.Contract(other))
	waitStatus(t, st, a.ID, o.ID, pipeline.StatusCommitted)
	// The same worker in another tenant is not tenant A's to export.
	ob := upload(b.ID, "contrat-b.txt", testdocs.Contract(testdocs.ValidContract("CM-2026-012003")))
	waitStatus(t, st, b.ID, ob.ID, pipeline.StatusCommitted)

	ex, err := st.Service.ExportWorker(ctx, pipeline.Principal{KeyID: "admin", TenantID: a.ID, Role: pipeline.RoleAdmin}, "  élodie   LEFÈVRE ")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ex.Documents {
		ids = append(ids, d.ID)
		if d.Fields["worker_name"] != "Élodie Lefèvre" {
			t.Errorf("document %s fields = %v", d.ID, d.Fields)
		}
	}
	if strings.Join(ids, ",") != c.ID+","+ts.ID {
		t.Errorf("documents = %v, want the contract and the timesheet of tenant A", ids)
	}
	if len(ex.Contracts) != 1 || ex.Contracts[0].ContractNumber != "CM-2026-012001" || len(ex.Timesheets) != 1 || len(ex.Timesheets[0].Entries) != 5 {
		t.Errorf("records = %+v / %+v", ex.Contracts, ex.Timesheets)
	}
	if len(ex.Audit) < 4 {
		t.Errorf("%d audit entries, want those of both documents", len(ex.Audit))
	}
	for _, e := range ex.Audit {
		if e.DocumentID != c.ID && e.DocumentID != ts.ID {
			t.Errorf("audit entry of another document: %+v", e)
		}
	}
	// Accents are kept: another spelling is another person.
	if ex, _ := st.Service.ExportWorker(ctx, pipeline.Principal{TenantID: a.ID, Role: pipeline.RoleAdmin}, "Elodie Lefevre"); len(ex.Documents) != 0 {
		t.Errorf("an unaccented name matched %d documents", len(ex.Documents))
	}
	if _, err := st.Service.ExportWorker(ctx, pipeline.Principal{TenantID: a.ID, Role: pipeline.RoleAdmin}, " "); err == nil {
		t.Error("an empty name was accepted")
	}
}
