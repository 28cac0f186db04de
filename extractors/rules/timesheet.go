package rules

import (
	"regexp"
	"sort"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

var (
	lblTSWorker = label(`interimaire|salarie\s+interimaire|salarie|nom\s+du\s+salarie|nom\s+de\s+l'interimaire|temporary\s+worker|worker\s+name|worker|employee\s*name|intervenant|collaborateur`)
	lblTSClient = label(`entreprise\s+utilisatrice|societe\s+utilisatrice|client\s+company|user\s+company|client|site\s+client|etablissement`)
	rePeriodKey = regexp.MustCompile(`periode|period|semaine|week|du\s+\d|from\s|mois\s+de|month`)
	reTotalKey  = regexp.MustCompile(`\btotal|soit\s+un\s+total|\bsoit\b`)
	reHoursHead = regexp.MustCompile(`heures\s+travaillees|heures\s+effectuees|hours\s+worked|total\s+jour|duree|\bheures\b|\bhours\b|\bhrs\b|\bh\.?\s*trav`)
	reDateHead  = regexp.MustCompile(`\bdate\b|\bjour\b|\bday\b`)
	reWorkerTS  = regexp.MustCompile(`(?:atteste\s+que|effectuees\s+par|realisees\s+par|worked\s+by|hours\s+of|heures\s+de)\s+(?:(?:madame|monsieur|mme|m\.|mr\.?|mrs\.?|ms\.?)\s+)?([\p{L}][\p{L}'’ -]{2,60}?)\s*(?:,|\(|\bintérimaire\b|\bfor\b|\bpour\b|$)`)
	reClientTS  = regexp.MustCompile(`(?:de\s+la\s+societe|pour\s+la\s+societe|aupres\s+de\s+la\s+societe|chez|at\s+the\s+premises\s+of|for\s+the\s+company)\s+([^,\n(]{3,60}?)(?:,|\s+\(|\s{3,}|\s+atteste|\s+certifie)`)
	reSignOff   = regexp.MustCompile(`^(?:cordialement|bien\s+cordialement|bien\s+a\s+vous|salutations|merci|many\s+thanks|thanks|thank\s+you|best\s+regards|kind\s+regards|regards|best)\b`)
)

// timesheet extracts the fields of a timesheet.
func timesheet(d *doc) (*pipeline.Timesheet, map[string]float64) {
	ts := &pipeline.Timesheet{}
	conf := map[string]float64{}
	if v, cf := tsContractNumber(d); v != "" {
		ts.ContractNumber, conf["contract_number"] = v, cf
	}
	if v, cf := tsWorker(d); v != "" {
		ts.WorkerName, conf["worker_name"] = v, cf
	}
	if v, cf := tsClient(d); v != "" {
		ts.ClientName, conf["client_name"] = v, cf
	}
	start, end, pcf := period(d)
	year := 0
	if start != nil {
		year = start.Year()
	} else if y := anyYear(d); y > 0 {
		year = y
	}
	entries, ecf := entries(d, year)
	if len(entries) > 0 {
		ts.Entries, conf["entries"] = entries, ecf
		if start == nil {
			start, end, pcf = &entries[0].Date, &entries[len(entries)-1].Date, 0.5
		}
	}
	if start != nil {
		ts.PeriodStart, conf["period_start"] = start, pcf
	}
	if end != nil {
		ts.PeriodEnd, conf["period_end"] = end, pcf
	}
	if t, cf, ok := totalHours(d, year); ok {
		ts.TotalHours, conf["total_hours"] = &t, cf
	}
	return ts, conf
}

// tsContractNumber finds the contract number a timesheet bills against.
func tsContractNumber(d *doc) (string, float64) {
	if v, cf := contractNumber(d); v != "" {
		return v, cf
	}
	if v := d.columnValue(lblContractNo); v != "" {
		if n := numberToken(v); n != "" {
			return n, 0.85
		}
	}
	return "", 0
}

// tsWorker finds the worker's name.
func tsWorker(d *doc) (string, float64) {
	for _, f := range d.labelled(lblTSWorker) {
		if v := personName(f.value); plausiblePerson(v) {
			return v, f.conf
		}
	}
	last, first := d.columnValue(lblLastName), d.columnValue(lblFirstName)
	if v := nameFromParts(last, first); plausiblePerson(v) {
		return v, 0.85
	}
	if v, cf := workerName(d); v != "" {
		return v, cf
	}
	foldText, raw := d.flat()
	if m := reWorkerTS.FindStringSubmatchIndex(foldText); m != nil {
		v := personName(string(raw[runeIndex(foldText, m[2]):runeIndex(foldText, m[3])]))
		if plausiblePerson(v) {
			return v, 0.7
		}
	}
	return "", 0
}

// tsClient finds the client company.
func tsClient(d *doc) (string, float64) {
	for _, f := range d.labelled(lblTSClient) {
		if v := companyName(f.value); plausibleCompany(v) {
			return v, f.conf
		}
	}
	foldText, raw := d.flat()
	if m := reClientTS.FindStringSubmatchIndex(foldText); m != nil {
		v := companyName(string(raw[runeIndex(foldText, m[2]):runeIndex(foldText, m[3])]))
		if plausibleCompany(v) {
			return v, 0.7
		}
	}
	if v := signatureCompany(d); v != "" {
		return v, 0.5
	}
	return "", 0
}

// signatureCompany returns the last line of an e-mail signature that reads
// like a company: the sender's employer, the client, in typed timesheets.
func signatureCompany(d *doc) string {
	start := -1
	for i, l := range d.lines {
		if reSignOff.MatchString(strings.TrimSpace(l.fold)) {
			start = i
		}
	}
	if start < 0 {
		return ""
	}
	cand := ""
	for i := start + 1; i < len(d.lines) && i <= start+8; i++ {
		if d.blank(i) {
			if cand != "" {
				break
			}
			continue
		}
		v := clean(string(d.lines[i].raw))
		f := fold(v)
		if strings.ContainsAny(v, "@0123456789") || strings.HasPrefix(f, "tel") || strings.HasPrefix(f, "p.s") {
			continue
		}
		cand = v
	}
	if plausibleCompany(cand) {
		return cand
	}
	return ""
}

// columnValue finds a label used as a column header in a delimited table
// and returns the value of that column in the next row.
func (d *doc) columnValue(re *regexp.Regexp) string {
	for i, l := range d.lines {
		if !strings.ContainsAny(string(l.raw), "\t|") {
			continue
		}
		heads := splitDelimited(l.raw)
		for ci, h := range heads {
			m := re.FindStringSubmatchIndex("  " + fold(h))
			if m == nil || m[2] > 3 || len(strings.TrimSpace(h)) > len(fold(h[:0]))+40 {
				continue
			}
			if strings.TrimSpace(fold(h)) != strings.TrimSpace(("  " + fold(h))[m[2]:m[3]]) {
				continue // the header is longer than the label
			}
			for k := i + 1; k < len(d.lines) && k <= i+3; k++ {
				row := splitDelimited(d.lines[k].raw)
				if ci < len(row) && strings.TrimSpace(row[ci]) != "" {
					return strings.TrimSpace(row[ci])
				}
			}
		}
	}
	return ""
}

// splitDelimited splits a line on tabs or " | ".
func splitDelimited(raw []rune) []string {
	s := string(raw)
	if strings.Contains(s, "\t") {
		return strings.Split(s, "\t")
	}
	return strings.Split(s, "|")
}

// period finds the printed period: "Semaine du ... au ...", "Période du",
// "Period: ... – ...".
func period(d *doc) (*pipeline.Date, *pipeline.Date, float64) {
	for i, l := range d.lines {
		if !rePeriodKey.MatchString(l.fold) {
			continue
		}
		ds := findDates(l.fold, 0)
		if len(ds) < 2 && i+1 < len(d.lines) {
			ds = findDates(l.fold+" "+strings.TrimSpace(d.lines[i+1].fold), 0)
		}
		if len(ds) >= 2 && !ds[1].date.Before(ds[0].date.Time) {
			return &ds[0].date, &ds[1].date, 0.9
		}
	}
	return nil, nil, 0
}

// anyYear returns the year of the first full date in the text.
func anyYear(d *doc) int {
	for _, l := range d.lines {
		if ds := findDates(l.fold, 0); len(ds) > 0 {
			return ds[0].date.Year()
		}
	}
	return 0
}

// hoursColumn is where a table prints the hours of each day.
type hoursColumn struct {
	header    int // line of the header
	delimited bool
	index     int // cell index in a delimited row
	col       int // centre column in a laid-out row
}

// findHoursColumn finds a table header with a date and an hours column.
func findHoursColumn(d *doc) (hoursColumn, bool) {
	for i, l := range d.lines {
		if !reDateHead.MatchString(l.fold) {
			continue
		}
		if strings.ContainsAny(string(l.raw), "\t|") {
			for ci, c := range splitDelimited(l.raw) {
				if reHoursHead.MatchString(fold(c)) && !strings.Contains(fold(c), "nuit") {
					return hoursColumn{header: i, delimited: true, index: ci}, true
				}
			}
			continue
		}
		for _, c := range cells(l.raw, 2) {
			f := fold(string(l.raw[c[0]:c[1]]))
			if reHoursHead.MatchString(f) && !strings.Contains(f, "nuit") {
				return hoursColumn{header: i, col: (c[0] + c[1]) / 2}, true
			}
		}
	}
	return hoursColumn{}, false
}

// entries reads one entry per day with hours, from table rows or prose.
func entries(d *doc, year int) ([]pipeline.Entry, float64) {
	hc, hasCol := findHoursColumn(d)
	byDay := map[pipeline.Date]float64{}
	for i, l := range d.lines {
		if reTotalKey.MatchString(l.fold) || hasCol && i == hc.header {
			continue
		}
		ds := findDates(l.fold, year)
		if len(ds) == 0 || len(ds) > 1 && rePeriodKey.MatchString(l.fold) {
			continue
		}
		h, ok := rowHours(l, ds, hc, hasCol && i > hc.header)
		if ok && h > 0 && h <= 24 {
			byDay[ds[0].date] += h
		}
	}
	out := make([]pipeline.Entry, 0, len(byDay))
	for day, h := range byDay {
		out = append(out, pipeline.Entry{Date: day, Hours: pipeline.Round2(h)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date.Time) })
	return out, 0.85
}

// rowHours reads the hours of one row: the hours column when the table has
// one, else the last amount of hours on the row, else end - start - break.
func rowHours(l line, ds []dateMatch, hc hoursColumn, useCol bool) (float64, bool) {
	if useCol && hc.delimited {
		cs := splitDelimited(l.raw)
		if hc.index < len(cs) {
			if h, ok := parseHours(cs[hc.index]); ok {
				return h, true
			}
			if strings.Trim(cs[hc.index], " -—–") == "" {
				return 0, false
			}
		}
	}
	toks := hoursOutside(l.fold, ds)
	if useCol && !hc.delimited {
		best, bestDist := -1, 10
		for i, t := range toks {
			c := (runeIndex(l.fold, t.start) + runeIndex(l.fold, t.end)) / 2
			if dist := abs(c - hc.col); dist < bestDist {
				best, bestDist = i, dist
			}
		}
		if best >= 0 {
			return toks[best].hours, true
		}
	}
	var clocks []hoursToken
	last := -1
	for i, t := range toks {
		switch {
		case t.clock:
			clocks = append(clocks, t)
			last = i
		case t.unit || !t.integer:
			last = i
		}
	}
	if last >= 0 && !(toks[last].clock && len(clocks) == 2) {
		return toks[last].hours, true
	}
	if len(clocks) == 2 {
		h := clocks[1].hours - clocks[0].hours
		for _, t := range toks {
			if t.integer && !t.unit && t.hours >= 5 && t.hours <= 120 && t.start > clocks[1].end {
				h -= t.hours / 60
				break
			}
		}
		return h, h > 0
	}
	return 0, false
}

// hoursOutside returns the amounts of hours of a line that are not parts
// of its dates.
func hoursOutside(s string, ds []dateMatch) []hoursToken {
	var out []hoursToken
	for _, t := range findHours(s) {
		inside := false
		for _, dm := range ds {
			if t.start < dm.end && t.end > dm.start {
				inside = true
			}
		}
		if !inside {
			out = append(out, t)
		}
	}
	return out
}

// totalHours reads the total as printed: the largest amount on a "total"
// line (a grand total beats weekly subtotals).
func totalHours(d *doc, year int) (float64, float64, bool) {
	best, ok := 0.0, false
	for i, l := range d.lines {
		if !reTotalKey.MatchString(l.fold) {
			continue
		}
		toks := hoursOutside(l.fold, findDates(l.fold, year))
		if len(toks) == 0 && i+1 < len(d.lines) {
			toks = hoursOutside(d.lines[i+1].fold, findDates(d.lines[i+1].fold, year))
		}
		for k := len(toks) - 1; k >= 0; k-- {
			t := toks[k]
			if t.unit || !t.integer || t.clock || t.hours > 0 && t.hours < 400 {
				if !ok || t.hours > best {
					best, ok = t.hours, true
				}
				break
			}
		}
	}
	return best, 0.85, ok
}
