package main

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
)

// committed is the dataset in the repository.
const committed = "../../testdata/dataset"

func requirePdftoppm(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("DOCFLOW_TEST_REQUIRE_TOOLS") != "" {
			t.Fatal("pdftoppm is required")
		}
		t.Skip("pdftoppm is not installed")
	}
}

// TestCommittedDatasetIsUpToDate regenerates the dataset and compares it
// with the committed one, file by file. Scans are compared by name only:
// their pixels come from the installed poppler.
func TestCommittedDatasetIsUpToDate(t *testing.T) {
	t.Parallel()
	requirePdftoppm(t)
	dir := filepath.Join(t.TempDir(), "dataset")
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	lines, err := dataset.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	scans := map[string]bool{}
	for _, l := range lines {
		scans[l.File] = l.HasTag("scan")
	}
	got, want := files(t, dir), files(t, committed)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("files differ: generated %v, committed %v; run go generate ./evals", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for name, b := range got {
		if !scans[name] && !bytes.Equal(b, want[name]) {
			t.Errorf("%s differs from the generator's output; run go generate ./evals", name)
		}
	}
}

func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flat lists every document of the manifest, attachments included, with
// the tags of its line.
func flat(lines []dataset.Line) (docs []dataset.Line, tags [][]string) {
	for _, l := range lines {
		if l.DocumentType != "email" {
			docs, tags = append(docs, l), append(tags, l.Tags)
			continue
		}
		for _, a := range l.Attachments {
			docs, tags = append(docs, a), append(tags, l.Tags)
		}
	}
	return docs, tags
}

// TestCoverage checks what the dataset promises: every rule code and
// refusal code, every format, both languages, a small size.
func TestCoverage(t *testing.T) {
	t.Parallel()
	lines, err := dataset.Read(committed)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 40 || len(lines) > 60 {
		t.Errorf("%d manifest lines, want 40 to 60", len(lines))
	}
	docs, _ := flat(lines)
	seen := map[string]bool{}
	for _, d := range docs {
		for _, c := range d.ExpectedIssues {
			seen[c] = true
		}
		seen[d.Refusal] = true
	}
	for _, l := range lines {
		for _, tag := range l.Tags {
			seen["tag:"+tag] = true
		}
	}
	want := validate.Codes()
	want = append(want, derrors.UnsupportedMediaType, derrors.CorruptDocument, derrors.EncryptedDocument, derrors.EmptyDocument, derrors.TooLarge)
	for _, tag := range []string{"pdf", "scan", "docx", "xlsx", "csv", "txt", "eml", "attachment:body", "fr", "en",
		"email:forwarded", "email:refused-attachment", "email:other-attachment", "email:contract-and-timesheet"} {
		want = append(want, "tag:"+tag)
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("the dataset has no %s", w)
		}
	}
	size := 0
	for _, b := range files(t, committed) {
		size += len(b)
	}
	if size > 3<<20 {
		t.Errorf("the dataset weighs %d bytes, more than 3 MiB", size)
	}
}

// TestExpectedIssuesFollowFromTheTruth runs the spec's rules (the
// validator) on each document's true fields, with the contracts that
// count as committed before it, and compares with expected_issues. Prompt
// injection and low confidence are not in the fields: the documents that
// expect them are the ones tagged injection and degraded.
func TestExpectedIssuesFollowFromTheTruth(t *testing.T) {
	t.Parallel()
	lines, err := dataset.Read(committed)
	if err != nil {
		t.Fatal(err)
	}
	v := validate.New(validate.DefaultConfig())
	var contracts truthContracts
	docs, tags := flat(lines)
	for i, d := range docs {
		typ := pipeline.DocumentType(d.DocumentType)
		if typ != pipeline.TypeContract && typ != pipeline.TypeTimesheet {
			continue
		}
		f, err := pipeline.FieldsFromMap(typ, d.Fields)
		if err != nil {
			t.Fatalf("%s%s: %v", d.File, d.Name, err)
		}
		found, err := v.Validate(context.Background(), pipeline.ValidationInput{Type: typ, Fields: f, Contracts: &contracts})
		if err != nil {
			t.Fatal(err)
		}
		got := pipeline.Codes(found)
		if slices.Contains(tags[i], "injection") && slices.Contains(d.ExpectedIssues, validate.CodePromptInjection) {
			got = append(got, validate.CodePromptInjection)
		}
		if slices.Contains(tags[i], "degraded") {
			got = append(got, validate.CodeLowConfidence)
		}
		want := slices.Clone(d.ExpectedIssues)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s%s: the rules on the true fields give %v; expected_issues says %v", d.File, d.Name, got, want)
		}
		if typ == pipeline.TypeContract && !slices.ContainsFunc(want, func(c string) bool {
			s, _ := validate.Severity(c)
			return s == pipeline.SeverityError || c == validate.CodePromptInjection
		}) {
			contracts = append(contracts, *f.Contract)
		}
	}
}

// truthContracts looks up the contracts committed so far by their number.
type truthContracts []pipeline.Contract

func (cs *truthContracts) CommittedContract(_ context.Context, number string) (*pipeline.Contract, error) {
	for _, c := range slices.Backward(*cs) {
		if pipeline.ContractKey(c.ContractNumber) == pipeline.ContractKey(number) {
			return &c, nil
		}
	}
	return nil, nil
}

func TestLuhn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		siret string
		valid bool
	}{
		{"73282932000074", true},
		{"55210055400013", true},
		{siret("8350964470000"), true},
		{badSiret("4123087650001"), false},
	}
	for _, tt := range tests {
		if luhn(tt.siret) != tt.valid || len(tt.siret) != 14 || !strings.HasPrefix(tt.siret, tt.siret[:13]) {
			t.Errorf("luhn(%s) = %v, want %v", tt.siret, !tt.valid, tt.valid)
		}
	}
}
