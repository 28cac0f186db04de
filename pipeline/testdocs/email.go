package testdocs

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Email returns a MIME message with a short cover note as its body and one
// attachment, base64-encoded in 76-character lines.
func Email(messageID, attachmentName string, attachment []byte) []byte {
	var b strings.Builder
	b.WriteString("From: agence@example.org\r\nTo: rh@example.com\r\nSubject: Contrat de mission\r\n")
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n", messageID)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n")
	b.WriteString("--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nVeuillez trouver ci-joint le contrat.\r\nCordialement\r\n")
	fmt.Fprintf(&b, "--BOUNDARY\r\nContent-Type: application/pdf; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", attachmentName, attachmentName)
	enc := base64.StdEncoding.EncodeToString(attachment)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--BOUNDARY--\r\n")
	return []byte(b.String())
}
