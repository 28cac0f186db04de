package rules

import (
	"regexp"
	"strings"
	"unicode"
)

// parties are the staffing agency and the client company of a contract,
// with their SIRET numbers.
type parties struct {
	agency, client           found
	agencySIRET, clientSIRET found
}

// party tells which side a mention is on.
type party int

const (
	noParty party = iota
	agencySide
	clientSide
)

var (
	reAgencyAnchor = regexp.MustCompile(`entreprise\s+de\s+travail\s+temporaire|agence\s+d'emploi|agence\s+de\s+travail\s+temporaire|staffing\s+agency|temporary\s+work\s+agency|employment\s+agency|\bett\b|\bagency\b|\bagence\b`)
	reClientAnchor = regexp.MustCompile(`entreprise\s+utilisatrice|client\s+company|user\s+company|societe\s+utilisatrice|\bclient\b`)
	reSIRETNumber  = regexp.MustCompile(`(?:siret|siren)[^0-9\n]{0,40}?(\d(?:[ .\n]{0,2}\d){12,14})`)
	// Prose forms of the parties.
	reAgencyProse = regexp.MustCompile(`(?:la\s+)?societe\s+([^,]{3,80}?),\s*(?:[^,]{0,40},\s*)?(?:entreprise\s+de\s+travail\s+temporaire|agence\s+d'emploi)`)
	reClientProse = regexp.MustCompile(`(?:mise?\s+a\s+(?:la\s+)?disposition\s+de|au\s+profit\s+de|assigned\s+to|placed\s+with|on\s+behalf\s+of)\s+(?:la\s+societe\s+|l'entreprise\s+|the\s+company\s+|the\s+client\s+)?([^,]{3,80}?)(?:,|\s+\(|\s+siret|\s{3,})`)
)

// anchor is where a party is mentioned.
type anchor struct {
	side      party
	line, col int
}

// findParties finds the agency and the client with their SIRETs.
func findParties(d *doc) parties {
	var p parties
	anchors := d.anchors()
	p.agency = companyValue(d, lblAgency, agencySide, anchors)
	p.client = companyValue(d, lblClient, clientSide, anchors)
	for _, f := range d.labelled(lblCompany) {
		side := nearestAnchor(anchors, f.line, f.col, len(d.lines))
		v := companyName(f.value)
		if !plausibleCompany(v) {
			continue
		}
		if side == agencySide && p.agency.conf < 0.85 {
			p.agency = found{value: v, line: f.line, conf: 0.85, text: f.text}
		}
		if side == clientSide && p.client.conf < 0.85 {
			p.client = found{value: v, line: f.line, conf: 0.85, text: f.text}
		}
	}
	foldText, raw := d.flat()
	if p.agency.value == "" {
		if m := reAgencyProse.FindStringSubmatchIndex(foldText); m != nil {
			s := runeIndex(foldText, m[2])
			printed := string(raw[s:runeIndex(foldText, m[3])])
			if v := companyName(printed); plausibleCompany(v) {
				p.agency = found{value: v, text: printed, line: d.lineOfRune(s), conf: 0.75}
			}
		}
	}
	if p.client.value == "" {
		if m := reClientProse.FindStringSubmatchIndex(foldText); m != nil {
			s := runeIndex(foldText, m[2])
			printed := string(raw[s:runeIndex(foldText, m[3])])
			if v := companyName(printed); plausibleCompany(v) {
				p.client = found{value: v, text: printed, line: d.lineOfRune(s), conf: 0.75}
			}
		}
	}
	if p.agency.value == "" {
		if f := letterhead(d); f.value != "" {
			p.agency = f
		}
	}
	joinedFold, joinedRaw, starts := d.joined()
	p.agencySIRET, p.clientSIRET = sirets(d, joinedFold, joinedRaw, starts, anchors)
	return p
}

// companyValue returns the first plausible company named after a party
// label.
func companyValue(d *doc, re *regexp.Regexp, side party, anchors []anchor) found {
	for _, f := range d.labelled(re) {
		v := companyName(f.value)
		if !plausibleCompany(v) || isLabel(f.value) {
			continue
		}
		f.value = v
		return f
	}
	return found{}
}

// plausibleCompany rejects codes, lower-case fragments and addresses.
func plausibleCompany(v string) bool {
	rs := []rune(v)
	if len(rs) < 4 || !unicode.IsUpper(rs[0]) && !unicode.IsDigit(rs[0]) {
		return false
	}
	letters := 0
	for _, r := range rs {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < 3 || reSIRETDigits.MatchString(v) {
		return false
	}
	f := fold(v)
	for _, bad := range []string{"siret", "code naf", "adresse", "address", "tel", "raison sociale", "de marseille"} {
		if strings.HasPrefix(f, bad) {
			return false
		}
	}
	return !isLabel(v)
}

// anchors lists the mentions of the agency and the client.
func (d *doc) anchors() []anchor {
	var out []anchor
	for i, l := range d.lines {
		for _, m := range reAgencyAnchor.FindAllStringIndex(l.fold, -1) {
			out = append(out, anchor{agencySide, i, runeIndex(l.fold, m[0])})
		}
		for _, m := range reClientAnchor.FindAllStringIndex(l.fold, -1) {
			out = append(out, anchor{clientSide, i, runeIndex(l.fold, m[0])})
		}
	}
	return out
}

// nearestAnchor returns the side of the closest mention above (or before,
// on the same line) a position, preferring mentions in the same column.
func nearestAnchor(anchors []anchor, line, col, maxLines int) party {
	best, bestScore := noParty, 1<<30
	for _, a := range anchors {
		if a.line > line || a.line == line && a.col > col || line-a.line > 25 {
			continue
		}
		dc := abs(a.col - col)
		if a.line == line {
			dc = 0
		}
		score := (line-a.line)*10 + dc/2
		if dc > 30 && sideBySide(anchors, a.line) {
			score += 200
		}
		if score < bestScore {
			best, bestScore = a.side, score
		}
	}
	return best
}

// sirets assigns each SIRET number to a side, by its own label ("SIRET
// client", "Agency SIRET") or by the nearest mention of a party above it.
func sirets(d *doc, foldText string, raw []rune, starts []int, anchors []anchor) (found, found) {
	var agency, client found
	for _, m := range reSIRETNumber.FindAllStringSubmatchIndex(foldText, -1) {
		s, e := runeIndex(foldText, m[2]), runeIndex(foldText, m[3])
		digits := siretDigits(strings.ReplaceAll(string(raw[s:e]), "\n", " "))
		if len(digits) < 13 || len(digits) > 15 {
			continue
		}
		ls, lc := position(starts, runeIndex(foldText, m[0]))
		side, cf := sideOfLabel(d, ls, lc, runeIndex(foldText, m[2])-starts[ls])
		if side == noParty {
			side, cf = nearestAnchor(anchors, ls, lc, len(d.lines)), 0.8
		}
		f := found{value: digits, line: ls, col: lc, conf: cf, text: strings.ReplaceAll(string(raw[s:e]), "\n", " ")}
		switch {
		case side == agencySide && (agency.value == "" || agency.conf < cf):
			agency = f
		case side == clientSide && (client.value == "" || client.conf < cf):
			client = f
		}
	}
	return agency, client
}

// sideOfLabel reads the words around "SIRET" in its own cell: "SIRET ETT",
// "Client SIRET", "SIRET de l'entreprise utilisatrice".
func sideOfLabel(d *doc, li, col, digitsCol int) (party, float64) {
	l := d.lines[li]
	rs := []rune(l.fold)
	start := col
	for start > 0 && !(rs[start-1] == '\t' || rs[start-1] == '|' || start >= 2 && rs[start-1] == ' ' && rs[start-2] == ' ') {
		start--
	}
	end := min(max(digitsCol, col), len(rs))
	cell := string(rs[start:end])
	switch {
	case reClientAnchor.MatchString(cell):
		return clientSide, 0.9
	case reAgencyAnchor.MatchString(cell) || strings.Contains(cell, "agence") || strings.Contains(cell, "agency"):
		return agencySide, 0.9
	}
	return noParty, 0
}

// letterhead returns the first line's first cell when it reads like a
// company name: the agency's letterhead.
func letterhead(d *doc) found {
	for i := range d.lines {
		if d.blank(i) {
			continue
		}
		cs := cells(d.lines[i].raw, gap)
		for _, c := range cs {
			v := clean(string(d.lines[i].raw[c[0]:c[1]]))
			f := fold(v)
			if len([]rune(v)) <= 3 || strings.Contains(f, "contrat") || strings.Contains(f, "contract") {
				continue
			}
			if plausibleCompany(v) {
				f := found{value: v, text: v, line: i, conf: 0.5}
				if isUpperWord(strings.ReplaceAll(v, " ", "")) {
					f.value = titleCase(v)
				}
				return f
			}
		}
		return found{}
	}
	return found{}
}

// titleCase writes each word of an upper-case phrase in title case.
func titleCase(s string) string {
	ws := strings.Fields(s)
	for i, w := range ws {
		ws[i] = titleWord(w)
	}
	return strings.Join(ws, " ")
}

// sideBySide reports whether a line mentions both parties, as the headings
// of two panels side by side.
func sideBySide(anchors []anchor, line int) bool {
	seen := map[party]bool{}
	for _, a := range anchors {
		if a.line == line {
			seen[a.side] = true
		}
	}
	return len(seen) > 1
}
