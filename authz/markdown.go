package authz

import (
	"strings"
)

// Markdown renders the matrix as a Markdown table: a row per action, a
// column per role, "yes" where the role may.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| action | allows |")
	for _, r := range AllRoles() {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(AllRoles())) + "\n")
	for _, g := range matrix {
		b.WriteString("| `" + string(g.action) + "` | " + g.what + " |")
		for _, r := range AllRoles() {
			if Can(r, g.action) {
				b.WriteString(" yes |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
