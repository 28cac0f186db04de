package rules

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/prefilter"
)

var (
	lblTSWorker = label(`interimaire|salarie\s+interimaire|salarie|nom\s+du\s+salarie|nom\s+de\s+l'interimaire|temporary\s+worker|worker\s+name|worker|employee\s*name|intervenant|collaborateur`)
	lblTSClient = label(`entreprise\s+utilisatrice|societe\s+utilisatrice|client\s+company|user\s+company|client|site\s+client|etablissement`)
	rePeriodKey = prefilter.MustCompile(`periode|period|semaine|week|du\s+\d|from\s|mois\s+de|month`)
	reTotalKey  = prefilter.MustCompile(`\btotal|soit\s+un\s+total|\bsoit\b`)
	reHoursHead = prefilter.MustCompile(`heures\s+travaillees|heures\s+effectuees|hours\s+worked|total\s+jour|duree|\bheures\b|\bhours\b|\bhrs\b|\bh\.?\s*trav`)
	reDateHead  = prefilter.MustCompile(`\bdate\b|\bjour\b|\bday\b`)
	reWorkerTS  = prefilter.MustCompile(`(?:atteste\s+que|effectuees\s+par|realisees\s+par|worked\s+by|hours\s+of|heures\s+de)\s+(?:(?:madame|monsieur|mme|m\.|mr\.?|mrs\.?|ms\.?)\s+)?([\p{L}][\p{L}'’ -]{2,60}?)\s*(?:,|\(|\bintérimaire\b|\bfor\b|\bpour\b|$)`)
	reClientTS  = prefilter.MustCompile(`(?:de\s+la\s+societe|pour\s+la\s+societe|aupres\s+de\s+la\s+societe|chez|at\s+the\s+premises\s+of|for\s+the\s+company)\s+([^,\n(]{3,60}?)(?:,|\s+\(|\s{3,}|\s+atteste|\s+certifie)`)
	reSignOff   = prefilter.MustCompile(`^(?:cordialement|bien\s+cordialement|bien\s+a\s+vous|salutations|merci|many\s+thanks|thanks|thank\s+you|best\s+regards|kind\s+regards|regards|best)\b`)
)

// timesheet extracts the fields of a timesheet, with their confidence and
// their sources.
func timesheet(d *doc) (*pipeline.Timesheet, map[string]float64, map[string]pipeline.Source) {
	ts := &pipeline.Timesheet{}
	conf := map[string]float64{}
	srcs := map[string]pipeline.Source{}
	note := func(field string, f found) {
		conf[field] = f.conf
		srcs[field] = d.source(f)
	}
	if f := tsContractNumber(d); f.value != "" {
		ts.ContractNumber = f.value
		note("contract_number", f)
	}
	if f := tsWorker(d); f.value != "" {
		ts.WorkerName = f.value
		note("worker_name", f)
	}
	if f := tsClient(d); f.value != "" {
		ts.ClientName = f.value
		note("client_name", f)
	}
	start, end, pf := period(d)
	year := 0
	if start != nil {
		year = start.Year()
	} else if y := anyYear(d); y > 0 {
		year = y
	}
	entries, ef := entries(d, year)
	if len(entries) == 0 && start != nil {
		entries, ef = gridEntries(d, *start)
	}
	if len(entries) > 0 {
		ts.Entries = entries
		note("entries", ef)
		if start == nil {
			start, end, pf = &entries[0].Date, &entries[len(entries)-1].Date, found{line: ef.line, conf: 0.5}
		}
	}
	if start != nil {
		ts.PeriodStart = start
		note("period_start", pf)
	}
	if end != nil {
		ts.PeriodEnd = end
		note("period_end", pf)
	}
	if t, f, ok := totalHours(d, year); ok {
		ts.TotalHours = &t
		note("total_hours", f)
	}
	return ts, conf, srcs
}

// tsContractNumber finds the contract number a timesheet bills against.
func tsContractNumber(d *doc) found {
	if f := contractNumber(d); f.value != "" {
		return f
	}
	if v, li := d.columnValue(lblContractNo); v != "" {
		if n := numberToken(v); n != "" {
			return found{value: n, text: v, line: li, conf: 0.85}
		}
	}
	for _, re := range []*prefilter.Regexp{colContract, colContractWeak} {
		if f := d.tableColumn(re, contractCell); f.value != "" {
			return f
		}
	}
	return found{}
}

// contractCell reads a contract number from a table cell that holds only
// one: at least three digits, and not a date, a time of day or an amount
// ("Quai 2", "7,50" are no contract numbers).
func contractCell(v string) string {
	v = clean(v)
	n := numberToken(v)
	if n == "" || n != v || len(digitsOf(n)) < 3 || len(findDates(fold(v), 0)) > 0 || reAmount.MatchString(v) {
		return ""
	}
	return n
}

// reAmount is a cell that holds an amount or a time of day, not a code.
var reAmount = prefilter.MustCompile(`^\d{1,3}(?:[.,:h]\d{1,2})?$`)

// workerCell reads a person's name from a table cell.
func workerCell(v string) string {
	if n := personName(v); plausiblePerson(n) {
		return n
	}
	return ""
}

// tsWorker finds the worker's name.
func tsWorker(d *doc) found {
	// A worker column first: in a table's heading line, the cell after
	// a worker label is the next heading, not a name.
	if f := d.tableColumn(colWorker, workerCell); f.value != "" {
		return f
	}
	for _, f := range d.labelled(lblTSWorker) {
		if v := personName(f.value); plausiblePerson(v) {
			f.value = v
			return f
		}
	}
	last, li := d.columnValue(lblLastName)
	firstN, _ := d.columnValue(lblFirstName)
	if v := nameFromParts(last, firstN); plausiblePerson(v) {
		return found{value: v, line: li, conf: 0.85}
	}
	if f := workerName(d); f.value != "" {
		return f
	}
	foldText, raw := d.flat()
	if m := reWorkerTS.FindStringSubmatchIndex(foldText); m != nil {
		s := runeIndex(foldText, m[2])
		printed := string(raw[s:runeIndex(foldText, m[3])])
		if v := personName(printed); plausiblePerson(v) {
			return found{value: v, text: printed, line: d.flatLine(s), conf: 0.7}
		}
	}
	return found{}
}

// tsClient finds the client company.
func tsClient(d *doc) found {
	for _, f := range d.labelled(lblTSClient) {
		if v := companyName(f.value); plausibleCompany(v) {
			f.value = v
			return f
		}
	}
	foldText, raw := d.flat()
	if m := reClientTS.FindStringSubmatchIndex(foldText); m != nil {
		s := runeIndex(foldText, m[2])
		printed := string(raw[s:runeIndex(foldText, m[3])])
		if v := companyName(printed); plausibleCompany(v) {
			return found{value: v, text: printed, line: d.flatLine(s), conf: 0.7}
		}
	}
	return signatureCompany(d)
}

// signatureCompany returns the last line of an e-mail signature that reads
// like a company: the sender's employer, the client, in typed timesheets.
func signatureCompany(d *doc) found {
	start := -1
	for i, l := range d.lines {
		if reSignOff.MatchString(strings.TrimSpace(l.fold)) {
			start = i
		}
	}
	if start < 0 {
		return found{}
	}
	cand, candLine := "", -1
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
		cand, candLine = v, i
	}
	if plausibleCompany(cand) {
		return found{value: cand, text: cand, line: candLine, conf: 0.5}
	}
	return found{}
}

// columnValue finds a label used as a column header in a delimited table
// and returns the value of that column in the next row, with that row.
func (d *doc) columnValue(re *prefilter.Regexp) (string, int) {
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
					return strings.TrimSpace(row[ci]), k
				}
			}
		}
	}
	return "", -1
}

// Column headings of the tables that timesheets and time-clock exports
// print one row per day in, matched against a whole heading cell (folded,
// without the punctuation around it). They name the worker or the contract
// in the words of French and English exports and payroll tools.
var (
	// colWorker heads the worker's full name.
	colWorker = column(`nom\s*(?:et|&|/|,)?\s*prenoms?|prenoms?\s*(?:et|&|/|,)?\s*nom|nom\s+complet|` +
		`nom\s+(?:du\s+|de\s+l'\s*|de\s+la\s+|de\s+l\s+)?(?:salariee?|interimaire|collaborat(?:eur|rice)|intervenante?|agent|employee?)|` +
		`(?:salariee?|interimaire|collaborat(?:eur|rice)|intervenante?|employee?|personne|agent)(?:\s+interimaire)?(?:\(e\))?|` +
		`(?:temporary\s+|temp\s+|agency\s+|contract\s+)?(?:employee|worker|staff(?:\s+member)?|associate|assignee|contractor|temp|candidate|operative|resource|talent)(?:'s)?(?:\s+(?:full\s+)?name)?|` +
		`(?:full\s+)?name|name\s+of\s+(?:the\s+)?(?:employee|worker)`)
	// colContract heads the contract's or the assignment's number.
	colContract = column(colNumberBefore + `(?:contrat(?:\s+de\s+mission)?|contract|assignment|placement|booking|purchase\s+order|p\.?o\.?|bon\s+de\s+commande)` + colNumberAfter)
	// colContractWeak heads a column that may hold the contract number or
	// something else (a mission's description, an order's rank): its cells
	// are read only when no column of colContract is found.
	colContractWeak = column(colNumberBefore + `(?:mission|job|order|commande|engagement)` + colNumberAfter + `|reference|ref`)
)

// The words of a number's heading before and after what it numbers: "N°
// de contrat", "Réf. contrat", "Contract #", "Assignment ID".
const (
	colNumberBefore = `(?:(?:n°|no\.?|nr\.?|num(?:ero)?\.?|#|ref(?:erence)?\.?|id|code)\s*(?:de\s+(?:la\s+|l'\s*)?|du\s+|d'\s*)?)?`
	colNumberAfter  = `(?:\s*(?:n°|no\.?|nr\.?|num(?:ero|ber)?\.?|#|id|ref(?:erence)?\.?|code))?`
)

// column compiles the pattern of a whole heading cell.
func column(pattern string) *prefilter.Regexp {
	return prefilter.MustCompile(`^(?:` + pattern + `)$`)
}

// headingCell folds a heading cell and trims the punctuation around it
// ("N° contrat :", "Employee #" keeps its "#").
func headingCell(h string) string {
	h = strings.Join(strings.Fields(fold(h)), " ")
	h = strings.TrimRight(strings.TrimLeft(h, " :.-*_"), " :.-*_")
	return strings.ReplaceAll(h, "n °", "n°")
}

// tableColumn reads the column under heading re of a table: a line of at
// least three heading cells without digits (cells split by tabs, bars or
// runs of spaces), then rows of cells under it. read turns a cell into a
// value ("" for none). The value is the first row's; its confidence is
// lower when the rows of the column disagree.
func (d *doc) tableColumn(re *prefilter.Regexp, read func(string) string) found {
	for i, l := range d.lines {
		delimited := strings.ContainsAny(string(l.raw), "\t|")
		var heads []string
		var cols [][2]int
		if delimited {
			heads = splitDelimited(l.raw)
		} else {
			cols = cells(l.raw, 2)
			for _, c := range cols {
				heads = append(heads, string(l.raw[c[0]:c[1]]))
			}
		}
		nonEmpty := 0
		for _, h := range heads {
			if strings.TrimSpace(h) != "" {
				nonEmpty++
			}
		}
		if nonEmpty < 3 || strings.ContainsAny(rePercent.ReplaceAllString(string(l.raw), ""), "0123456789") {
			continue // not a heading line: it holds values
		}
		for ci, h := range heads {
			if !re.MatchString(headingCell(h)) {
				continue
			}
			if f := d.columnCells(i, ci, cols, delimited, read); f.value != "" {
				return f
			}
		}
	}
	return found{}
}

// rePercent is a rate in a heading ("Heures sup. 25 %"), the one number
// a heading line may hold.
var rePercent = prefilter.MustCompile(`\d+\s*%`)

// columnCells reads the cells of column ci in the rows under heading line
// hi, up to the end of the table. The first cell that holds something must
// read as a value (else the heading is no column's: a label beside its
// value, a form's key); later ones that do not are skipped (a "Total" row).
func (d *doc) columnCells(hi, ci int, cols [][2]int, delimited bool, read func(string) string) found {
	var f found
	agree, rows := true, 0
	for k := hi + 1; k < len(d.lines) && k <= hi+62; k++ {
		raw := d.lines[k].raw
		isRow := !d.blank(k)
		if delimited {
			isRow = isRow && strings.ContainsAny(string(raw), "\t|")
		} else {
			isRow = isRow && len(cells(raw, 2)) >= 3
		}
		if !isRow {
			if rows > 0 {
				break // the table is over
			}
			continue
		}
		cell := ""
		if delimited {
			if cs := splitDelimited(raw); ci < len(cs) {
				cell = cs[ci]
			}
		} else {
			cell, _ = d.cellAt(k, cols[ci][0], 2, 2)
		}
		rows++
		v := read(cell)
		if v == "" {
			if f.value == "" && strings.TrimSpace(cell) != "" {
				return found{}
			}
			continue
		}
		if f.value == "" {
			f = found{value: v, text: strings.TrimSpace(cell), line: k, conf: 0.85}
		} else if !strings.EqualFold(strings.Join(strings.Fields(v), ""), strings.Join(strings.Fields(f.value), "")) {
			agree = false
		}
	}
	if !agree {
		f.conf = 0.6
	}
	return f
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
func period(d *doc) (*pipeline.Date, *pipeline.Date, found) {
	for i, l := range d.lines {
		if !rePeriodKey.MatchString(l.fold) {
			continue
		}
		ds := findDates(l.fold, 0)
		if len(ds) < 2 && i+1 < len(d.lines) {
			ds = findDates(l.fold+" "+strings.TrimSpace(d.lines[i+1].fold), 0)
		}
		if len(ds) >= 2 && !ds[1].date.Before(ds[0].date.Time) {
			return &ds[0].date, &ds[1].date, found{line: i, conf: 0.9}
		}
	}
	for i, l := range d.lines {
		if m := reMonthLine.FindStringSubmatch(l.fold); m != nil {
			y, _ := strconv.Atoi(m[2])
			if mo := months[m[1]]; mo > 0 && y >= 1900 && y <= 2200 {
				first := pipeline.NewDate(y, mo, 1)
				last := pipeline.Date{Time: first.AddDate(0, 1, -1)}
				return &first, &last, found{line: i, conf: 0.7}
			}
		}
	}
	return nil, nil, found{}
}

// reMonthLine finds the month a monthly timesheet covers: "Mois : mars
// 2026", "Month of March 2026".
var reMonthLine = prefilter.MustCompile(`\b(?:mois|month)\b\s*(?:de\s+|of\s+)?:?\s*(` + monthNames + `)\.?\s+(\d{4})\b`)

// token is a run of non-space runes of a line, [start, end).
type token struct {
	text       string
	start, end int
}

// tokens splits a line on white space.
func tokens(raw []rune) []token {
	var out []token
	for i := 0; i < len(raw); {
		if raw[i] == ' ' || raw[i] == '\t' || raw[i] == '|' {
			i++
			continue
		}
		j := i
		for j < len(raw) && raw[j] != ' ' && raw[j] != '\t' && raw[j] != '|' {
			j++
		}
		out = append(out, token{string(raw[i:j]), i, j})
		i = j
	}
	return out
}

// gridEntries reads a monthly grid: a row of day numbers under a "Jour" or
// "Day" heading and, below it, a row of hours under the same columns. The
// days belong to the month of start (the next month once they wrap).
func gridEntries(d *doc, start pipeline.Date) ([]pipeline.Entry, found) {
	for i, l := range d.lines {
		toks := tokens(l.raw)
		if len(toks) < 6 || !reDateHead.MatchString(fold(toks[0].text)) {
			continue
		}
		var days []token
		var dates []pipeline.Date
		y, mo, prev := start.Year(), start.Month(), 0
		for _, t := range toks[1:] {
			n, err := strconv.Atoi(t.text)
			if err != nil || n < 1 || n > 31 {
				days = nil
				break
			}
			if n <= prev {
				mo++
			}
			prev = n
			dt := pipeline.NewDate(y, mo, n)
			if dt.Day() != n {
				days = nil
				break
			}
			days, dates = append(days, t), append(dates, dt)
		}
		if len(days) < 5 {
			continue
		}
		for k := i + 1; k <= i+3 && k < len(d.lines); k++ {
			hs := tokens(d.lines[k].raw)
			if len(hs) < 2 || !reHoursHead.MatchString(fold(hs[0].text)) {
				continue
			}
			var out []pipeline.Entry
			for j, day := range days {
				c := (day.start + day.end) / 2
				for _, h := range hs[1:] {
					if abs((h.start+h.end)/2-c) > 2 {
						continue
					}
					if v, ok := parseHours(h.text); ok && v > 0 && v <= 24 {
						out = append(out, pipeline.Entry{Date: dates[j], Hours: v})
					}
					break
				}
			}
			if len(out) > 0 {
				return out, found{line: i, conf: 0.75}
			}
		}
	}
	return nil, found{}
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
// Its source is the first row read, or the table's header when the rows
// lie under one.
func entries(d *doc, year int) ([]pipeline.Entry, found) {
	hc, hasCol := findHoursColumn(d)
	byDay := map[pipeline.Date]float64{}
	firstRow := -1
	// A table row whose date OCR lost but whose weekday it kept is dated
	// from the row above; such rows are checked once all rows are read.
	type undated struct {
		date  pipeline.Date
		hours float64
		line  int
	}
	var pending []undated
	var prev *dateMatch // the last dated row, when its weekday is printed right
	tableOver := false
	for i, l := range d.lines {
		if reTotalKey.MatchString(l.fold) || hasCol && i == hc.header {
			if hasCol && i > hc.header && reTotalKey.MatchString(l.fold) {
				tableOver = true
			}
			continue
		}
		ds := findDates(l.fold, year)
		if len(ds) == 0 {
			if hasCol && i > hc.header && !tableOver && prev != nil {
				if wd, ok := rowWeekday(l.fold); ok {
					delta := (int(wd) - int(prev.date.Weekday()) + 7) % 7
					if h, ok := columnHours(l, hc); ok && delta > 0 && h > 0 && h <= 24 {
						pending = append(pending, undated{pipeline.Date{Time: prev.date.AddDate(0, 0, delta)}, h, i})
					}
				}
			}
			continue
		}
		if len(ds) > 1 && rePeriodKey.MatchString(l.fold) {
			continue
		}
		h, ok := rowHours(l, ds, hc, hasCol && i > hc.header)
		if ok && h > 0 && h <= 24 {
			byDay[ds[0].date] += h
			if firstRow < 0 {
				firstRow = i
			}
		}
		prev = nil
		if wd, ok := rowWeekday(l.fold); ok && wd == ds[0].date.Weekday() && hasCol && i > hc.header {
			prev = &ds[0]
		}
	}
	conf := 0.85
	for _, u := range pending {
		if _, taken := byDay[u.date]; taken || !laterRowsAfter(d, u.date, u.line, year) {
			continue
		}
		byDay[u.date] = u.hours
		conf = 0.75
	}
	out := make([]pipeline.Entry, 0, len(byDay))
	for day, h := range byDay {
		out = append(out, pipeline.Entry{Date: day, Hours: pipeline.Round2(h)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date.Time) })
	src := found{line: firstRow, conf: conf}
	if hasCol && hc.header < firstRow {
		src.line = hc.header
	}
	return out, src
}

// weekdays maps French and English weekday names and abbreviations,
// folded, to weekdays ("mar" is left out: it is also March).
var weekdays = map[string]time.Weekday{
	"lundi": time.Monday, "mardi": time.Tuesday, "mercredi": time.Wednesday, "jeudi": time.Thursday,
	"vendredi": time.Friday, "samedi": time.Saturday, "dimanche": time.Sunday,
	"lun": time.Monday, "mer": time.Wednesday, "jeu": time.Thursday, "ven": time.Friday,
	"sam": time.Saturday, "dim": time.Sunday,
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
	"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday,
	"sat": time.Saturday, "sun": time.Sunday,
}

// rowWeekday returns the one weekday named on a table row.
func rowWeekday(f string) (time.Weekday, bool) {
	var found []time.Weekday
	for _, w := range strings.FieldsFunc(f, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if wd, ok := weekdays[w]; ok {
			found = append(found, wd)
		}
	}
	if len(found) != 1 {
		return 0, false
	}
	return found[0], true
}

// laterRowsAfter reports whether a date inferred for row li keeps the rows
// in order: the next dated row below it, if any, is later.
func laterRowsAfter(d *doc, day pipeline.Date, li, year int) bool {
	for k := li + 1; k < len(d.lines); k++ {
		if reTotalKey.MatchString(d.lines[k].fold) {
			return true
		}
		if ds := findDates(d.lines[k].fold, year); len(ds) > 0 {
			return ds[0].date.After(day.Time)
		}
	}
	return true
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
		if h, ok := nearestHours(l.fold, toks, hc.col); ok {
			return h, true
		}
	}
	if h, ok := clockRanges(l.fold, toks); ok {
		return h, true
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

// nearestHours returns the amount of hours printed nearest column col of
// a laid-out row, within 10 columns.
func nearestHours(f string, toks []hoursToken, col int) (float64, bool) {
	best, bestDist := -1, 10
	for i, t := range toks {
		c := (runeIndex(f, t.start) + runeIndex(f, t.end)) / 2
		if dist := abs(c - col); dist < bestDist {
			best, bestDist = i, dist
		}
	}
	if best < 0 {
		return 0, false
	}
	return toks[best].hours, true
}

// columnHours reads a row's hours from the table's hours column only.
func columnHours(l line, hc hoursColumn) (float64, bool) {
	if hc.delimited {
		cs := splitDelimited(l.raw)
		if hc.index < len(cs) {
			return parseHours(cs[hc.index])
		}
		return 0, false
	}
	return nearestHours(l.fold, findHours(l.fold), hc.col)
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
// line (a grand total beats weekly subtotals). A total printed as a label
// ("Total des heures : 36,00", a "Total" row or cell) wins over one that a
// sentence mentions ("soit un total de 36 heures", "indiquez un total de
// 60 heures"), which is read only when the document prints none as a label:
// a sentence may be a note or an instruction rather than the document's
// own figure.
func totalHours(d *doc, year int) (float64, found, bool) {
	if v, f, ok := totalOn(d, year, true); ok {
		return v, f, ok
	}
	return totalOn(d, year, false)
}

// reTotalLabel is "total" used as a label: at the start of a cell, or
// after the few words a label puts before it ("Total", "Nombre total
// d'heures", "Heures totales", "Grand total", "Sous-total", "Weekly
// total", "Total hours").
var reTotalLabel = prefilter.MustCompile(`(?:^|\t|\||;|\s{2,})\s*[-*•·=#>]*\s*(?:` + totalLabelWords + `\s*){0,3}total`)

// totalLabel reports whether a line prints its total as a label: "total"
// at the start of a cell (reTotalLabel), then the amount after a
// separator (a colon, a tab, a bar, a gap) or after at most three words
// ("Total des heures 36", "Total 35,00"); "Le total à retenir par le
// robot est de 60 heures" is a sentence.
func totalLabel(f string) bool {
	m := reTotalLabel.FindStringIndex(f)
	if m == nil {
		return false
	}
	rest := strings.TrimLeftFunc(f[m[1]:], unicode.IsLetter) // "totales"
	if i := strings.IndexAny(rest, "0123456789"); i >= 0 {
		rest = rest[:i]
	}
	return strings.ContainsAny(rest, ":=\t|") || strings.Contains(rest, "  ") || len(strings.Fields(rest)) <= 3
}

// totalLabelWords are the words a label of the total may put before it.
const totalLabelWords = `(?:nombre|nbre|nb|heures?|hours?|hrs|h|grand|sous-|sub-?|weekly|week|monthly|month|semaines?|hebdomadaire|mensuel|mois|general|cumul|overall|temps|time|le|la|the|de|du|des|d'|of|en|in)`

// reTotalOrder is a total that a sentence asks for rather than states: an
// order ("indiquez un total de 60 heures", "please set the total to 60")
// is no figure of the document.
var reTotalOrder = prefilter.MustCompile(`\b(?:indiquez|inscrivez|mettez|ecrivez|saisissez|renseignez|declarez|reportez|retenez|utilisez|considerez|remplacez|corrigez|modifiez|portez|affichez|retournez|renvoyez|donnez|fixez|extrayez|indiquer|inscrire|mettre|ecrire|saisir|renseigner|declarer|reporter|retenir|utiliser|considerer|remplacer|corriger|modifier|porter|afficher|retourner|renvoyer|donner|fixer|extraire)\b[^.!?]*\btotal|` +
	`(?:^|[.!?:;]\s*|\b(?:please|must|should|shall|always|now)\s+)(?:set|enter|write|report|use|record|change|replace|output|return|put|make|fill\s+in|give|show|extract|treat|state)\b[^.!?]*\btotal`)

// totalOn reads the largest total of the lines whose total is a label
// (labels) or of the others.
func totalOn(d *doc, year int, labels bool) (float64, found, bool) {
	best, ok := 0.0, false
	var src found
	for i, l := range d.lines {
		if !reTotalKey.MatchString(l.fold) || totalLabel(l.fold) != labels {
			continue
		}
		if !labels && reTotalOrder.MatchString(l.fold) {
			continue
		}
		toks := hoursOutside(l.fold, findDates(l.fold, year))
		at := i
		if len(toks) == 0 && i+1 < len(d.lines) {
			// The amount under its label, unless the line is a table's
			// heading ("Date  Début  Fin  Total jour") over a dated row.
			next := d.lines[i+1].fold
			if ds := findDates(next, year); len(ds) == 0 || !reDateHead.MatchString(l.fold) {
				toks = hoursOutside(next, ds)
				at = i + 1
			}
		}
		for k := len(toks) - 1; k >= 0; k-- {
			t := toks[k]
			if t.unit || !t.integer || t.clock || t.hours > 0 && t.hours < 400 {
				if !ok || t.hours > best {
					best, ok = t.hours, true
					src = found{line: at, conf: 0.85}
				}
				break
			}
		}
	}
	return best, src, ok
}

// reClockRange finds a span of time of day: "08:00-12:00", "8h00 à 12h".
var reClockRange = prefilter.MustCompile(`\b(\d{1,2})[:h](\d{2})\s*(?:-|a|to)\s*(\d{1,2})[:h](\d{2})\b`)

// clockRanges sums the spans of time of a row ("08:00-12:00 13:00-16:30"),
// when the row prints no amount of hours of its own.
func clockRanges(s string, toks []hoursToken) (float64, bool) {
	ms := reClockRange.FindAllStringSubmatch(s, -1)
	if len(ms) == 0 {
		return 0, false
	}
	for _, t := range toks {
		if !t.clock && (t.unit || !t.integer) {
			return 0, false // the row prints its hours
		}
	}
	sum := 0.0
	for _, m := range ms {
		var v [4]int
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1])
		}
		if v[0] > 24 || v[2] > 24 || v[1] >= 60 || v[3] >= 60 {
			return 0, false
		}
		from, to := float64(v[0])+float64(v[1])/60, float64(v[2])+float64(v[3])/60
		if to < from {
			to += 24 // a night shift
		}
		sum += to - from
	}
	return pipeline.Round2(sum), sum > 0
}
