package rules

import (
	"strings"
	"unicode"

	"github.com/docflow/docflow/pipeline/prefilter"
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
	reAgencyAnchor = prefilter.MustCompile(`entreprise\s+de\s+travail\s+temporaire|agence\s+d'emploi|agence\s+de\s+travail\s+temporaire|staffing\s+agency|temporary\s+work\s+agency|employment\s+agency|\bett\b|\bagency\b|\bagence\b`)
	reClientAnchor = prefilter.MustCompile(`entreprise\s+utilisatrice|client\s+company|user\s+company|societe\s+utilisatrice|\bclient\b`)
	// Prose forms of the parties.
	reAgencyProse = prefilter.MustCompile(`(?:la\s+)?societe\s+([^,]{3,80}?),\s*(?:[^,]{0,40},\s*)?(?:entreprise\s+de\s+travail\s+temporaire|agence\s+d'emploi)`)
	reClientProse = prefilter.MustCompile(`(?:mise?\s+a\s+(?:la\s+)?disposition\s+de|au\s+profit\s+de|assigned\s+to|placed\s+with|on\s+behalf\s+of)\s+(?:la\s+societe\s+|l'entreprise\s+|the\s+company\s+|the\s+client\s+)?([^,]{3,80}?)(?:,|\s+\(|\s+siret|\s{3,})`)
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
				p.agency = found{value: v, text: printed, line: d.flatLine(s), conf: 0.75}
			}
		}
	}
	if p.client.value == "" {
		if m := reClientProse.FindStringSubmatchIndex(foldText); m != nil {
			s := runeIndex(foldText, m[2])
			printed := string(raw[s:runeIndex(foldText, m[3])])
			if v := companyName(printed); plausibleCompany(v) {
				p.client = found{value: v, text: printed, line: d.flatLine(s), conf: 0.75}
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
func companyValue(d *doc, re *prefilter.Regexp, side party, anchors []anchor) found {
	for _, f := range d.labelled(re) {
		v := companyName(f.value)
		if !plausibleCompany(v) || isLabel(f.value) {
			continue
		}
		f.value = companyContinued(d, f, v)
		return f
	}
	return found{}
}

var (
	reLegalForm    = prefilter.MustCompile(`^(?:sas|sasu|sarl|sa|eurl|snc|sca|scop|sci|gie|gmbh|ltd|inc|llc|plc|bv|nv)\.?$`)
	reOpenEnded    = prefilter.MustCompile(`(?:^|\s)(?:de|des|du|d'|et|&|la|les|le|l'|-|and|of)$`)
	reNameFragment = prefilter.MustCompile(`^[\p{L}&'’ .-]{2,40}$`)
)

// companyContinued appends the rest of a company's name that its cell
// wraps onto the next line: a fragment under the value, with nothing under
// the label, when the name plainly goes on (it ends with "de", "et", "&"…)
// or the fragment is a legal form ("SAS", "SARL"). An address or a second
// line of details is never joined.
func companyContinued(d *doc, f found, v string) string {
	k := f.line + 1
	if f.vcol-f.col < 4 || d.blank(k) {
		return v
	}
	cs := cells(d.lines[k].raw, gap)
	if len(cs) == 0 || abs(cs[0][0]-f.vcol) > 2 {
		return v
	}
	next := clean(string(d.lines[k].raw[cs[0][0]:cs[0][1]]))
	words := strings.Fields(fold(next))
	if !reNameFragment.MatchString(next) || len(words) > 3 || isLabel(next) || reStreet.MatchString(next) {
		return v
	}
	if reOpenEnded.MatchString(fold(v)) || len(words) == 1 && reLegalForm.MatchString(words[0]) {
		return v + " " + next
	}
	return v
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
	for _, m := range reSIRETLabel.FindAllStringIndex(foldText, -1) {
		at := runeIndex(foldText, m[0])
		s, e, ok := siretAfter(raw, runeIndex(foldText, m[1]), foldText[m[0]:m[1]] == "siret")
		if !ok {
			continue
		}
		printed := strings.ReplaceAll(string(raw[s:e]), "\n", " ")
		ls, lc := position(starts, at)
		side, cf := sideOfLabel(d, ls, lc, s-starts[ls])
		if side == noParty {
			side, cf = nearestAnchor(anchors, ls, lc, len(d.lines)), 0.8
		}
		f := found{value: digitsOf(printed), line: ls, col: lc, conf: cf, text: strings.Join(strings.Fields(printed), " ")}
		switch {
		case side == agencySide && (agency.value == "" || agency.conf < cf):
			agency = f
		case side == clientSide && (client.value == "" || client.conf < cf):
			client = f
		}
	}
	return agency, client
}

// reSIRETLabel finds the word that announces a SIRET (or SIREN) number.
var reSIRETLabel = prefilter.MustCompile(`siret|siren`)

// siretAfter finds the digits of the SIRET announced by a label that ends
// at rune i of the joined text, and returns their [start, end) runes.
//
// The number starts at the first digit within 40 runes on the label's line
// or, when the label ends its line (a colon at most after it), at the start
// of the next line. Its groups of digits are separated by at most two spaces
// or dots, or a line end, and 13 to 15 digits are read as printed (a wrong
// SIRET may lack a digit). Groups further apart, as justified or wrapped
// prose and OCR print them ("SIRET 308 105" then "964 00008" on the next
// line, "541   864   872   08862"), are joined only when they make exactly
// the 14 digits of a SIRET in groups of 3, 3, 3 and 5 digits (or 9 and 5),
// after a SIRET label; so is a number on the line after its label, and so
// are groups that OCR split with a stray mark wedged between two digits
// ("732.829 320:00074").
func siretAfter(raw []rune, i int, siret bool) (int, int, bool) {
	start, wrapped := -1, false
	for j := i; j < len(raw) && j <= i+40; j++ {
		r := raw[j]
		if r >= '0' && r <= '9' {
			start = j
			break
		}
		if r == '\n' {
			if countAlnum(string(raw[i:j])) > 0 {
				return 0, 0, false
			}
			k := j + 1
			for k < len(raw) && (raw[k] == ' ' || raw[k] == '\t') {
				k++
			}
			if k < len(raw) && raw[k] >= '0' && raw[k] <= '9' {
				start, wrapped = k, true
			}
			break
		}
	}
	if start < 0 {
		return 0, 0, false
	}
	// groups[k] ends at ends[k]; loose[k] tells whether the gap before
	// group k+1 is wider than a tight separator.
	var ends []int
	var loose []bool
	var counts []int
	total := 0
	j := start
	for {
		for j < len(raw) && raw[j] >= '0' && raw[j] <= '9' {
			j++
			total++
		}
		ends, counts = append(ends, j), append(counts, total)
		if total > 15 {
			break
		}
		k, newlines, width := j, 0, 0
		for k < len(raw) && (raw[k] == ' ' || raw[k] == '.' || raw[k] == '\t' || raw[k] == '\n') {
			if raw[k] == '\n' {
				newlines++
			}
			k++
			width++
		}
		misread := false
		if k == j && k+1 < len(raw) && strings.ContainsRune(misreadSeparators, raw[k]) && isDigit(raw[k+1]) {
			// One mark wedged between two digits: OCR's reading of a
			// dot or a speck ("320:00074"). It joins like a wide gap.
			k, width, misread = k+1, 1, true
		}
		if k >= len(raw) || raw[k] < '0' || raw[k] > '9' || newlines > 1 {
			break
		}
		gapText := string(raw[j:k])
		tight := width <= 2 && !strings.ContainsRune(gapText, '\t') && !misread
		if !tight && strings.ContainsRune(gapText, '.') {
			break // a wide gap holds white space only
		}
		loose = append(loose, !tight)
		j = k
	}
	if !wrapped {
		// As printed: the groups up to the first wide gap, at most 15 digits.
		n := len(ends) - 1
		for g := range loose {
			if loose[g] {
				n = g
				break
			}
		}
		if c := counts[n]; c >= 13 && c <= 15 {
			return start, ends[n], true
		}
		if counts[n] > 15 {
			return start, cutDigits(raw, start, 15), true // a wrong one, as printed
		}
	}
	if !siret {
		return 0, 0, false // a SIREN has 9 digits: nothing to join
	}
	for g, c := range counts {
		if c == 14 {
			return start, ends[g], true
		}
		if c > 14 || c != 3 && c != 6 && c != 9 {
			break // not grouped as a SIRET is (3 3 3 5, 9 5)
		}
	}
	return 0, 0, false
}

// misreadSeparators are the marks OCR reads for a dot or a speck between
// two groups of digits. Wedged between digits, with no space around, they
// never separate two numbers as printed ("789, 75001" does).
const misreadSeparators = ":,;'’‘-_"

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// cutDigits returns where the n-th digit from start ends.
func cutDigits(raw []rune, start, n int) int {
	for j := start; j < len(raw); j++ {
		if raw[j] >= '0' && raw[j] <= '9' {
			n--
			if n == 0 {
				return j + 1
			}
		}
	}
	return len(raw)
}

// digitsOf keeps the digits of s.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
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
