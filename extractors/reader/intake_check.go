package reader

import (
	"archive/zip"
	"bytes"

	"github.com/docflow/docflow/derrors"
)

// Check runs intake's cheap checks, without parsing or external tools:
// size, emptiness, a known format by sniffing the bytes, and the markers of
// encryption, a truncated PDF or zip, a PDF that declares too many pages.
// It returns the same refusals that Read would for these causes; deeper
// faults (a PDF that pdftotext cannot parse, a zip bomb) are found by Read.
func (r *Reader) Check(name string, data []byte) error {
	if int64(len(data)) > r.cfg.MaxBytes {
		return derrors.Refuse(derrors.TooLarge, "%s: %d bytes, more than the limit of %d", name, len(data), r.cfg.MaxBytes)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))) == 0 {
		return derrors.Refuse(derrors.EmptyDocument, "%s: the file is empty", name)
	}
	switch sniff(data, name) {
	case kindUnknown:
		return derrors.Refuse(derrors.UnsupportedMediaType, "%s: unknown binary format", name)
	case kindOLE:
		return refuseOLE(name, data)
	case kindPDF:
		if encryptRef.Match(data) {
			return derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
		}
		if !bytes.Contains(data, []byte("startxref")) || !bytes.Contains(data, []byte("%%EOF")) {
			return corrupt(name, "the PDF is truncated (no startxref or %%EOF)")
		}
		if n := declaredPages(data); n > r.cfg.MaxPages {
			return derrors.Refuse(derrors.TooLarge, "%s: %d pages, more than the limit of %d", name, n, r.cfg.MaxPages)
		}
	case kindZip:
		// The central directory alone: a truncated zip fails here.
		if _, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
			return corrupt(name, "unreadable zip container: %v", err)
		}
	}
	return nil
}
