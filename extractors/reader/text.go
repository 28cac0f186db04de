package reader

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"golang.org/x/text/encoding/charmap"
)

// decodeText decodes UTF-8 (without its BOM), or Windows-1252 when the bytes
// are not valid UTF-8, and normalises line ends to \n.
func decodeText(data []byte) string {
	data = bytes.TrimPrefix(data, utf8BOM)
	var s string
	if utf8.Valid(data) {
		s = string(data)
	} else if b, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil {
		s = string(b)
	} else {
		s = strings.ToValidUTF8(string(data), "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// readText reads plain text or CSV.
func readText(name string, data []byte, k kind) (pipeline.Content, error) {
	text := decodeText(data)
	if strings.TrimSpace(text) == "" {
		return pipeline.Content{}, derrors.Refuse(derrors.EmptyDocument, "%s: the file holds only white space", name)
	}
	if k == kindCSV {
		if d, ok := csvDelimiter(text, ".csv"); ok {
			return pipeline.Content{Text: csvText(text, d), Format: "csv", Pages: 1, Confidence: 1}, nil
		}
	}
	return pipeline.Content{Text: text, Format: "txt", Pages: 1, Confidence: 1}, nil
}
