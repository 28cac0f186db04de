package reader_test

import (
	"bytes"
	"context"
	"os/exec"
	"testing"

	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// BenchmarkReadTextPDF reads a one-page text PDF; compare with
// BenchmarkPdftotextDirect for docflow's overhead over the tool.
func BenchmarkReadTextPDF(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext is not installed")
	}
	r := reader.New(reader.Config{})
	data := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-1")))
	for b.Loop() {
		if _, err := r.Read(context.Background(), "c.pdf", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPdftotextDirect runs pdftotext itself on the same PDF.
func BenchmarkPdftotextDirect(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext is not installed")
	}
	data := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-1")))
	for b.Loop() {
		cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
		cmd.Stdin = bytes.NewReader(data)
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
