package reader

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/extractors/classify"
	"github.com/docflow/docflow/pipeline"
	"golang.org/x/text/encoding/htmlindex"
)

// maxMIMEParts bounds the number of parts walked in one message.
const maxMIMEParts = 500

// message collects what a walk through a MIME tree finds.
type message struct {
	bodies []string // text bodies, outermost message first
	parts  []pipeline.Part
	seen   int
}

// readEmail parses an RFC 822 message: attachments become Parts, forwarded
// messages (message/rfc822) are walked, and the body becomes a Part of its
// own when it carries a contract or a timesheet.
func (r *Reader) readEmail(name string, data []byte) (pipeline.Content, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return readText(name, data, kindText)
	}
	m := &message{}
	if err := m.walkMessage(msg, 0); err != nil {
		return pipeline.Content{}, corrupt(name, "malformed e-mail: %v", err)
	}
	subject := pipeline.CleanText(decodeHeader(msg.Header.Get("Subject")), maxSubjectBytes)
	text := strings.TrimSpace(strings.Join(m.bodies, "\n\n"))
	c := pipeline.Content{Format: "eml", Pages: 1, Confidence: 1, Text: text}
	if subject != "" {
		c.Text = "Subject: " + subject + "\n\n" + text
	}
	if bodyCarriesDocument(text) {
		c.Parts = append(c.Parts, pipeline.Part{Name: pipeline.BodyPartName, Data: []byte(text + "\n")})
	}
	c.Parts = append(c.Parts, m.parts...)
	return c, nil
}

// walkMessage walks a message's (or forwarded message's) body.
func (m *message) walkMessage(msg *mail.Message, depth int) error {
	return m.walk(textproto.MIMEHeader(msg.Header), msg.Body, depth)
}

// walk visits one MIME entity.
func (m *message) walk(h textproto.MIMEHeader, body io.Reader, depth int) error {
	m.seen++
	if m.seen > maxMIMEParts || depth > maxDepth {
		return fmt.Errorf("too many nested parts")
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(ct, "multipart/") {
		return m.walkMultipart(ct, params["boundary"], body, depth)
	}
	// A leaf that does not decode cleanly (a stray control byte in a
	// quoted-printable body, broken base64) keeps what could be decoded:
	// one bad part must not cost the message's other documents.
	data := decodeLeaf(h.Get("Content-Transfer-Encoding"), body)
	name := attachmentName(h, params)
	disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	switch {
	case ct == "message/rfc822":
		inner, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			return nil // an unreadable forwarded message is skipped
		}
		return m.walkMessage(inner, depth+1)
	case notADocument(ct, disp, name, h, len(data)):
		return nil
	case (ct == "text/plain" || ct == "text/html") && disp != "attachment" && name == "":
		text := decodeCharset(data, params["charset"])
		if ct == "text/html" {
			text = htmlToText(text)
		}
		m.bodies = append(m.bodies, strings.TrimSpace(text))
		return nil
	}
	if name == "" {
		name = "attachment" + extensionFor(ct)
	}
	m.parts = append(m.parts, pipeline.Part{Name: name, Data: data})
	return nil
}

// walkMultipart visits the parts of a multipart entity; of an alternative,
// only the first text/plain (else the last) is kept as body.
func (m *message) walkMultipart(ct, boundary string, body io.Reader, depth int) error {
	if boundary == "" {
		return fmt.Errorf("%s without a boundary", ct)
	}
	mr := multipart.NewReader(body, boundary)
	type raw struct {
		h    textproto.MIMEHeader
		data []byte
	}
	var parts []raw
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(parts) > 0 {
				break // a truncated final part keeps what was read
			}
			return err
		}
		data, err := io.ReadAll(p)
		if err != nil && len(data) == 0 {
			break
		}
		parts = append(parts, raw{p.Header, data})
	}
	if ct == "multipart/alternative" {
		pick := -1
		for i, p := range parts {
			pct, _, _ := mime.ParseMediaType(p.h.Get("Content-Type"))
			if pct == "text/plain" && pick < 0 {
				pick = i
			}
		}
		if pick < 0 && len(parts) > 0 {
			pick = len(parts) - 1
		}
		if pick >= 0 {
			parts = []raw{parts[pick]}
		}
	}
	for _, p := range parts {
		if err := m.walk(p.h, bytes.NewReader(p.data), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// notADocument tells inline images, signatures and contact cards apart from
// documents.
func notADocument(ct, disp, name string, h textproto.MIMEHeader, size int) bool {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case ct == "application/pkcs7-signature", ct == "application/x-pkcs7-signature",
		ct == "application/pgp-signature", ct == "application/pgp-keys",
		ct == "text/vcard", ct == "text/x-vcard", ct == "text/calendar", ct == "application/ms-tnef":
		return true
	case ext == ".p7s" || ext == ".asc" || ext == ".sig" || ext == ".vcf" || ext == ".ics" || ext == ".p7m" && size < 1024:
		return true
	case strings.HasPrefix(ct, "image/") && disp != "attachment" && (h.Get("Content-ID") != "" || size < 50<<10):
		return true
	}
	return false
}

// attachmentName returns the decoded file name of a part, or "": valid
// UTF-8 without control characters (a NUL, a line break or a bidi
// override from an encoded word), without a directory, at most
// maxNameBytes long with its extension kept.
func attachmentName(h textproto.MIMEHeader, ctParams map[string]string) string {
	name := ""
	if _, p, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		name = p["filename"]
	}
	if name == "" {
		name = ctParams["name"]
	}
	name = decodeHeader(name)
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return pipeline.TruncateName(pipeline.CleanText(name, -1), maxNameBytes)
}

const (
	// maxNameBytes bounds an attachment's file name (file systems take 255).
	maxNameBytes = 200
	// maxSubjectBytes bounds the subject line put before the body text.
	maxSubjectBytes = 998
)

func extensionFor(ct string) string {
	if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// decodeLeaf undoes a leaf part's Content-Transfer-Encoding. It is lenient
// as mail software is: raw control bytes in quoted-printable are kept as
// they are, and what still does not decode is left out, with what came
// before it kept: one bad part must not cost the message's other documents.
func decodeLeaf(cte string, r io.Reader) []byte {
	var dec io.Reader
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		raw, _ := io.ReadAll(r)
		dec = quotedprintable.NewReader(bytes.NewReader(escapeQPControls(raw)))
	default:
		dec = r
	}
	data, _ := io.ReadAll(dec)
	return data
}

// escapeQPControls escapes the raw control bytes quoted-printable forbids
// (a form feed pasted into a cover note) as =XX, so that the decoder keeps
// them instead of failing there.
func escapeQPControls(raw []byte) []byte {
	const hex = "0123456789ABCDEF"
	var out []byte
	for i, b := range raw {
		if (b >= ' ' || b == '\t' || b == '\r' || b == '\n') && b != 0x7f {
			if out != nil {
				out = append(out, b)
			}
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(raw)+16), raw[:i]...)
		}
		out = append(out, '=', hex[b>>4], hex[b&0xf])
	}
	if out == nil {
		return raw
	}
	return out
}

// base64Cleaner drops the bytes that are not base64 (white space, stray
// characters), which mail software tolerates.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		k := 0
		for _, b := range p[:n] {
			if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

// decodeHeader decodes RFC 2047 encoded words; it keeps the raw value when
// they are malformed.
func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		s = d
	}
	if !utf8.ValidString(s) {
		// Raw 8-bit header bytes (or an encoded word that decodes to
		// invalid UTF-8): read them as Windows-1252, like bodies.
		s = decodeText([]byte(s))
	}
	return s
}

// decodeCharset decodes a body from its declared charset, falling back to
// UTF-8 or Windows-1252 detection.
func decodeCharset(data []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs != "" && cs != "utf-8" && cs != "us-ascii" && cs != "utf8" {
		if enc, err := htmlindex.Get(cs); err == nil {
			if b, err := enc.NewDecoder().Bytes(data); err == nil {
				return normalizeNewlines(string(b))
			}
		}
	}
	return decodeText(data)
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// bodyCarriesDocument reports whether an e-mail body is itself a timesheet
// (several rows of days with hours) or a contract (many contract keyword
// families), rather than a cover note for attachments.
func bodyCarriesDocument(text string) bool {
	s := classify.Score(text)
	switch {
	case s.Other >= 3:
		return false
	case s.DayRows >= 2 && s.Timesheet >= 5:
		return true
	case s.Contract >= 9 && s.Contract > s.Timesheet:
		return true
	}
	return false
}
