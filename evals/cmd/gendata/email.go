package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
)

// attachment is a file attached to a message.
type attachment struct {
	name  string
	ctype string
	data  []byte
}

// message is an e-mail: a text body, attachments, and maybe a forwarded
// message attached as message/rfc822.
type message struct {
	from, to, subject, date, id string
	body                        string
	attachments                 []attachment
	forwarded                   *message
}

// bytes writes the message as MIME: quoted-printable body, base64
// attachments in 76-character lines, CRLF line ends.
func (m message) bytes() []byte {
	var b strings.Builder
	boundary := "=_part_" + strings.NewReplacer("@", "_", ".", "_").Replace(m.id)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n",
		m.from, m.to, mime.QEncoding.Encode("utf-8", m.subject), m.date, m.id)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\nThis is a multi-part message in MIME format.\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n", boundary, qp(m.body))
	if m.forwarded != nil {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n%s\r\n", boundary, m.forwarded.bytes())
	}
	for _, a := range m.attachments {
		name := mime.QEncoding.Encode("utf-8", a.name)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			boundary, a.ctype, name, name)
		enc := base64.StdEncoding.EncodeToString(a.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return []byte(b.String())
}

// qp encodes text as quoted-printable with CRLF line ends.
func qp(text string) string {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")))
	w.Close()
	return buf.String()
}

// Media types of attachments.
const (
	ctPDF  = "application/pdf"
	ctDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	ctXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ctCSV  = "text/csv"
)
