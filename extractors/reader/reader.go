// Package reader turns the bytes of an uploaded file into pipeline.Content:
// it sniffs the format (PDF, scanned PDF or image, DOCX, XLSX, CSV, plain
// text, e-mail), extracts readable text with its layout, and refuses inputs
// that are empty, too large, encrypted, corrupt or of an unsupported type.
//
// PDF text comes from poppler's pdftotext and pdfinfo; scans are read with
// pdftoppm and tesseract when they are installed. Everything else is parsed
// in Go.
package reader

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// Config bounds what a Reader accepts. Zero values take the defaults.
type Config struct {
	// MaxBytes is the largest file accepted (default 25 MiB).
	MaxBytes int64
	// MaxPages is the largest number of PDF pages accepted (default 200).
	MaxPages int
	// Timeout bounds each run of an external tool (default 30 s).
	Timeout time.Duration
	// MaxUncompressed bounds the bytes inflated from a zip container, DOCX
	// or XLSX (default 100 MiB).
	MaxUncompressed int64
	// MaxToolMemory bounds the address space of each external tool run, in
	// bytes (default 2 GiB), through prlimit where it is installed.
	MaxToolMemory int64
	// OCRLanguages are tesseract's languages (default "fra+eng", reduced to
	// those installed).
	OCRLanguages string
	// OCRWorkers is how many pages are OCR'd at once within one document
	// (default GOMAXPROCS, at most MaxOCRWorkers). Each runs one tesseract
	// with one thread.
	OCRWorkers int
	// PageImages is how many OCR'd pages a read keeps as PNG images in
	// Content.Images, for a vision-capable model (default 0: none).
	PageImages int
	// OCRDPI is the resolution at which PDF pages are rendered for OCR
	// (default 300).
	OCRDPI int
}

// Defaults of Config.
const (
	DefaultMaxBytes        = 25 << 20
	DefaultMaxPages        = 200
	DefaultTimeout         = 30 * time.Second
	DefaultMaxUncompressed = 100 << 20
	DefaultOCRLanguages    = "fra+eng"
	DefaultMaxToolMemory   = 2 << 30
	DefaultOCRDPI          = 300
	// MaxOCRWorkers caps OCRWorkers: each worker holds a page image of
	// some tens of megabytes.
	MaxOCRWorkers = 8
)

// WithDefaults returns cfg with zero values replaced by the defaults.
func (cfg Config) WithDefaults() Config {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxUncompressed <= 0 {
		cfg.MaxUncompressed = DefaultMaxUncompressed
	}
	if cfg.MaxToolMemory <= 0 {
		cfg.MaxToolMemory = DefaultMaxToolMemory
	}
	if cfg.OCRLanguages == "" {
		cfg.OCRLanguages = DefaultOCRLanguages
	}
	if cfg.OCRWorkers <= 0 {
		cfg.OCRWorkers = runtime.GOMAXPROCS(0)
	}
	cfg.OCRWorkers = min(cfg.OCRWorkers, MaxOCRWorkers)
	if cfg.OCRDPI <= 0 {
		cfg.OCRDPI = DefaultOCRDPI
	}
	cfg.OCRDPI = min(max(cfg.OCRDPI, 72), 600)
	return cfg
}

// Reader reads files into pipeline.Content. It is safe for concurrent use.
type Reader struct {
	cfg   Config
	tools *toolbox
}

var _ pipeline.Reader = (*Reader)(nil)

// New returns a Reader with cfg's defaults applied.
func New(cfg Config) *Reader {
	cfg = cfg.WithDefaults()
	return &Reader{cfg: cfg, tools: newToolbox(cfg)}
}

// Read sniffs data and extracts its text. A refused input returns a
// *derrors.Refusal; a panic while parsing is refused as corrupt_document;
// an external tool that runs past Config.Timeout fails the read with an
// error that wraps ErrToolTimeout.
func (r *Reader) Read(ctx context.Context, name string, data []byte) (pipeline.Content, error) {
	d, err := r.ReadDetail(ctx, name, data)
	return d.Content, err
}

// Detail is what ReadDetail returns: the Content, and what does not fit in
// pipeline.Content.
type Detail struct {
	pipeline.Content
	// PageConfidence holds each page's confidence 0..1 for a PDF or an
	// image: 1 for a page with a text layer, the mean of tesseract's word
	// confidences for a page read by OCR. Content.Confidence is their
	// mean. It is nil for the other formats.
	PageConfidence []float64
}

// ReadDetail is Read that also returns each page's confidence.
func (r *Reader) ReadDetail(ctx context.Context, name string, data []byte) (Detail, error) {
	return r.readWith(func() (Detail, error) { return r.read(ctx, name, data) }, name)
}

// readWith runs read, turning a panic into a corrupt_document refusal.
func (r *Reader) readWith(read func() (Detail, error), name string) (d Detail, err error) {
	defer func() {
		if p := recover(); p != nil {
			d = Detail{}
			err = derrors.Refuse(derrors.CorruptDocument, "%s: reader failed: %v\n%s", name, p, debug.Stack())
		}
	}()
	return read()
}

// maxDepth bounds the nesting of MIME parts and forwarded e-mails.
const maxDepth = 16

func (r *Reader) read(ctx context.Context, name string, data []byte) (Detail, error) {
	if int64(len(data)) > r.cfg.MaxBytes {
		return Detail{}, derrors.Refuse(derrors.TooLarge, "%s: %d bytes, more than the limit of %d", name, len(data), r.cfg.MaxBytes)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))) == 0 {
		return Detail{}, derrors.Refuse(derrors.EmptyDocument, "%s: the file is empty", name)
	}
	var (
		c   pipeline.Content
		err error
	)
	switch k := sniff(data, name); k {
	case kindPDF:
		return r.readPDF(ctx, name, data)
	case kindImage:
		return r.readImage(ctx, name, data)
	case kindZip:
		c, err = r.readZip(name, data)
	case kindOLE:
		err = refuseOLE(name, data)
	case kindEmail:
		c, err = r.readEmail(name, data)
	case kindCSV, kindText:
		c, err = readText(name, data, k)
	default:
		err = derrors.Refuse(derrors.UnsupportedMediaType, "%s: unknown binary format", name)
	}
	if err != nil {
		return Detail{}, err
	}
	return Detail{Content: c}, nil
}

// refuseOLE refuses a legacy Office file; an encrypted OOXML file is an OLE
// container holding an EncryptedPackage stream.
func refuseOLE(name string, data []byte) error {
	if bytes.Contains(data, utf16le("EncryptedPackage")) || bytes.Contains(data, utf16le("EncryptionInfo")) {
		return derrors.Refuse(derrors.EncryptedDocument, "%s: password-protected Office document", name)
	}
	return derrors.Refuse(derrors.UnsupportedMediaType, "%s: legacy Office format (doc, xls) is not supported", name)
}

func utf16le(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

// corrupt returns a corrupt_document refusal.
func corrupt(name string, format string, args ...any) error {
	return derrors.Refuse(derrors.CorruptDocument, "%s: %s", name, fmt.Sprintf(format, args...))
}
