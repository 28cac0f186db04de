package reader

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// container is an opened zip archive that bounds how much it inflates.
type container struct {
	name   string
	files  map[string]*zip.File
	budget int64 // bytes left to inflate
	limit  int64
}

// readZip opens a zip archive and reads it as DOCX or XLSX; other archives
// are unsupported.
func (r *Reader) readZip(name string, data []byte) (pipeline.Content, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return pipeline.Content{}, corrupt(name, "unreadable zip archive: %v", err)
	}
	c := &container{name: name, files: map[string]*zip.File{}, budget: r.cfg.MaxUncompressed, limit: r.cfg.MaxUncompressed}
	for _, f := range zr.File {
		c.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	switch {
	case c.files["word/document.xml"] != nil:
		return readDOCX(c)
	case c.files["xl/workbook.xml"] != nil:
		return readXLSX(c)
	}
	return pipeline.Content{}, derrors.Refuse(derrors.UnsupportedMediaType, "%s: a zip archive that is neither DOCX nor XLSX", name)
}

// errTextTooLarge is returned by the layout of a part whose text would
// pass the container's limit.
var errTextTooLarge = errors.New("the text is larger than the limit")

// read returns the inflated content of a part, or nil when it is absent.
// A part that declares or inflates to more than the remaining budget is
// refused as too_large; a damaged one as corrupt_document.
func (c *container) read(part string) ([]byte, error) {
	p, err := c.open(part)
	if p == nil || err != nil {
		return nil, err
	}
	defer p.Close()
	b, err := io.ReadAll(p)
	if err != nil {
		return nil, p.failure(err)
	}
	return b, nil
}

// open returns a part as a stream, or nil when it is absent. The stream
// spends the container's budget as it inflates: a part that declares or
// inflates to more than what is left is refused as too_large, a damaged
// one as corrupt_document (see partReader.failure).
func (c *container) open(part string) (*partReader, error) {
	f := c.files[part]
	if f == nil {
		return nil, nil
	}
	if f.UncompressedSize64 > uint64(c.budget) {
		return nil, derrors.Refuse(derrors.TooLarge, "%s: %s declares %d bytes uncompressed, more than the limit of %d", c.name, part, f.UncompressedSize64, c.limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, corrupt(c.name, "%s: %v", part, err)
	}
	return &partReader{c: c, part: part, rc: rc}, nil
}

// partReader inflates one part of a container within its budget.
type partReader struct {
	c    *container
	part string
	rc   io.ReadCloser
	err  error // the refusal that stopped the stream, once it has
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.rc.Read(b)
	if int64(n) > p.c.budget {
		p.err = derrors.Refuse(derrors.TooLarge, "%s: %s inflates to more than the limit of %d bytes", p.c.name, p.part, p.c.limit)
		return 0, p.err
	}
	p.c.budget -= int64(n)
	if err != nil && err != io.EOF {
		p.err = corrupt(p.c.name, "%s: %v", p.part, err)
		return n, p.err
	}
	return n, err
}

// drain inflates the rest of the part (so that its checksum and size are
// checked as when it is read whole) and returns the stream's refusal, if
// any.
func (p *partReader) drain() error {
	_, err := io.Copy(io.Discard, p)
	return p.failure(err)
}

// failure returns the refusal of the stream when it stopped with one, and
// err otherwise.
func (p *partReader) failure(err error) error {
	if p.err != nil {
		return p.err
	}
	return err
}

// Close closes the inflating reader.
func (p *partReader) Close() error { return p.rc.Close() }

// mustRead is read for a part that must exist.
func (c *container) mustRead(part string) ([]byte, error) {
	b, err := c.read(part)
	if err == nil && b == nil {
		return nil, corrupt(c.name, "missing part %s", part)
	}
	return b, err
}

// xmlError wraps an XML parse error as corrupt_document.
func (c *container) xmlError(part string, err error) error {
	return corrupt(c.name, "%s: %v", part, fmt.Errorf("malformed XML: %w", err))
}
