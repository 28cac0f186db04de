package reader

import (
	"bytes"

	"github.com/docflow/docflow/derrors"
)

// Check runs intake's cheap checks, without parsing or external tools:
// size, emptiness, a known format by sniffing the bytes, and the markers of
// encryption. It returns the same refusals that Read would for these
// causes; deeper faults (a corrupt PDF, a zip bomb) are found by Read.
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
	}
	return nil
}
