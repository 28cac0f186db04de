package rules

import (
	"strings"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/prefilter"
)

// Contract labels (folded text, at the start of a cell).
var (
	lblContractNo = label(`n°\s*(?:de\s+)?contrat|contrat\s+n°|numero\s+(?:de\s+)?contrat|contract\s*(?:/\s*assignment\s*)?(?:no|number|n°|#|ref)|assignment\s+(?:no|number|ref)|reference(?:\s+du\s+contrat)?|ref|n°\s*(?:de\s+)?mission|contrat|contract`)
	lblAgency     = label(`entreprise\s+de\s+travail\s+temporaire|agence\s+d'emploi|agence\s+de\s+travail\s+temporaire|staffing\s+agency|temporary\s+work\s+agency|employment\s+agency|agency|agence|ett`)
	lblClient     = label(`entreprise\s+utilisatrice|client\s+company|user\s+company|client|societe\s+utilisatrice|eu`)
	lblCompany    = label(`raison\s+sociale|denomination|company\s+name|nom\s+de\s+l'entreprise|societe`)
	lblWorker     = label(`salarie(?:\(e\))?\s+interimaire|salarie\(e\)|nom\s+du\s+salarie|nom\s+de\s+l'interimaire|interimaire|salarie|temporary\s+worker|worker\s+name|worker|employee\s*name|intervenant`)
	lblLastName   = label(`nom\s+de\s+famille|nom|last\s+name|surname|family\s+name`)
	lblFirstName  = label(`prenoms?|first\s+names?|given\s+names?`)
	lblFullName   = label(`nom\s+et\s+prenoms?|nom\s*[,/]\s*prenoms?|prenoms?\s+et\s+nom|nom\s+prenoms?|full\s+name|name`)
	// reWorkerHeading is a heading line that opens the worker's section.
	reWorkerHeading = prefilter.MustCompile(`^\s*(?:le\s+|the\s+)?(?:salarie(?:\s+interimaire)?|interimaire|salarie\s+temporaire|temporary\s+worker|worker|employee|intervenant)\s*:?\s*$`)
	lblJob          = label(`qualification\s*/\s*poste|qualification\s+professionnelle|qualification|poste\s+occupe|intitule\s+du\s+poste|poste|job\s+title|position|job`)
	lblStart        = label(`date\s+de\s+debut(?:\s+de\s+(?:la\s+)?mission)?|date\s+debut|debut\s+de\s+(?:la\s+)?mission|assignment\s+start\s+date|start\s+date|date\s+of\s+start|starting\s+date|du`)
	lblEnd          = label(`date\s+de\s+fin(?:\s+de\s+(?:la\s+)?mission)?(?:\s+prevue|\s+previsionnelle)?|date\s+de\s+fin\s+prevue|expected\s+end\s+date|date\s+fin|fin\s+de\s+(?:la\s+)?mission|assignment\s+end\s+date|end\s+date|date\s+of\s+end|ending\s+date`)
	lblPeriod       = label(`periode\s+de\s+(?:la\s+)?mission|duree\s+de\s+(?:la\s+)?mission|periode|assignment\s+period|period|dates?\s+de\s+mission`)
	lblRate         = label(`taux\s+horaire(?:\s+brut)?|salaire\s+horaire(?:\s+brut)?|salaire\s+de\s+reference|remuneration\s+horaire|hourly\s+(?:rate|wage|pay)(?:\s*\(gross\))?|gross\s+hourly\s+(?:rate|wage)|pay\s+rate|rate`)
	lblWeekly       = label(`duree\s+hebdomadaire(?:\s+de\s+travail)?|horaire\s+hebdo(?:madaire)?|duree\s+du\s+travail|temps\s+de\s+travail|weekly\s+(?:working\s+)?hours|working\s+hours\s+per\s+week|hours\s+per\s+week|weekly\s+hours`)
	lblLocation     = label(`lieu\s+de\s+mission|lieu\s+d'execution|lieu\s+de\s+travail|lieu\s+de\s+la\s+mission|place\s+of\s+work|work\s+location|place\s+of\s+assignment|worksite|site|lieu`)
	lblReason       = label(`motif\s+(?:du|de)\s+recours|code\s+motif|motif|cas\s+de\s+recours|reason\s+for\s+(?:the\s+)?(?:assignment|recourse|use)|reason`)
	lblSIRET        = prefilter.MustCompile(`siret|siren`)
)

// contract extracts the fields of a contract, with their confidence and
// their sources.
func contract(d *doc) (*pipeline.Contract, map[string]float64, map[string]pipeline.Source) {
	c := &pipeline.Contract{}
	conf := map[string]float64{}
	srcs := map[string]pipeline.Source{}
	note := func(field string, f found) {
		conf[field] = f.conf
		srcs[field] = d.source(f)
	}
	set := func(field string, f found, dst *string) {
		if v := strings.TrimSpace(f.value); v != "" && f.conf > 0 {
			*dst = v
			note(field, f)
		}
	}
	set("contract_number", contractNumber(d), &c.ContractNumber)
	parties := findParties(d)
	set("agency_name", parties.agency, &c.AgencyName)
	set("client_name", parties.client, &c.ClientName)
	set("agency_siret", parties.agencySIRET, &c.AgencySIRET)
	set("client_siret", parties.clientSIRET, &c.ClientSIRET)
	set("worker_name", workerName(d), &c.WorkerName)
	set("job_title", jobTitle(d), &c.JobTitle)
	start, end := missionDates(d)
	if start.date != nil {
		c.StartDate = start.date
		note("start_date", start.found)
	}
	if end.date != nil {
		c.EndDate = end.date
		note("end_date", end.found)
	}
	if r, f, ok := hourlyRate(d); ok {
		c.HourlyRate = &r
		note("hourly_rate", f)
	}
	if h, f, ok := weeklyHours(d); ok {
		c.WeeklyHours = &h
		note("weekly_hours", f)
	}
	set("work_location", workLocation(d), &c.WorkLocation)
	set("reason", reason(d), &c.Reason)
	return c, conf, srcs
}

// contractNumber finds the contract's number: after a label, after
// "contrat de mission n°", or on a "N° ..." line under the title.
func contractNumber(d *doc) found {
	for _, f := range d.labelled(lblContractNo) {
		if v := numberToken(f.value); v != "" && strings.HasPrefix(strings.TrimSpace(f.value), v) {
			f.value, f.text = v, v
			return f
		}
	}
	fold, raw, _ := d.joined()
	for _, re := range []*prefilter.Regexp{reContractNoProse, reNumberLine} {
		if m := re.FindStringSubmatchIndex(fold); m != nil {
			s, e := runeIndex(fold, m[2]), runeIndex(fold, m[3])
			if v := numberToken(string(raw[s:e])); v != "" {
				return found{value: v, text: v, line: d.lineOfRune(s), conf: 0.8}
			}
		}
	}
	return found{}
}

var (
	reContractNoProse = prefilter.MustCompile(`(?:contrat(?:\s+de\s+mission)?|contract|assignment)\s*(?:n°|no\.?|number|nr\.?|#|ref\.?|reference)\s*:?\s*([a-z0-9][^\n,;()]{2,40})`)
	reNumberLine      = prefilter.MustCompile(`(?m)^\s*n°\s*:?\s*([a-z0-9][^\n]{2,40}?)(?:\s{3,}|$)`)
)

// numberToken returns the first run of a value that looks like a contract
// number (at least 4 characters, one digit).
func numberToken(v string) string {
	v = strings.TrimSpace(v)
	for _, m := range reContractNoSpaced.FindAllString(v, -1) {
		m = strings.TrimRight(m, " -./")
		if len(m) >= 4 && strings.ContainsAny(m, "0123456789") {
			return m
		}
	}
	return ""
}

// reContractNoSpaced allows single spaces between groups that hold digits.
var reContractNoSpaced = prefilter.MustCompile(`[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+| [0-9][A-Za-z0-9]*)*`)

var (
	rePersonProse = prefilter.MustCompile(`(?:^|[\s:(])(?:madame|monsieur|mademoiselle|mme|mlle|m\.|mr\.?|mrs\.?|ms\.?)\s+([\p{L}][\p{L}'’ -]{2,60}?)\s*(?:,|\(|\bnee?\b|\bborn\b|$)`)
	reJobProse    = prefilter.MustCompile(`(?:occupera\s+le\s+poste\s+de|au\s+poste\s+de|en\s+qualite\s+de|le\s+poste\s+de|as\s+an?|the\s+position\s+of|job\s+title\s+of)\s+([^.,;\n(]{2,60})`)
	reStartEnd    = prefilter.MustCompile(`(?:debutera|commencera|debute|commence|will\s+start|starts?|begins?|will\s+begin)\s+(?:le\s+|on\s+)?(.{6,30}?)\s+(?:et\s+(?:prendra|se\s+terminera|finira)\s+fin\s+le|et\s+se\s+terminera\s+le|et\s+prendra\s+fin\s+le|and\s+(?:will\s+)?(?:end|finish)s?\s+on|and\s+ends?\s+on)\s+(.{6,30})`)
	reFromTo      = prefilter.MustCompile(`\b(?:du|from)\s+(.{6,30}?)\s+(?:au|to|until|-|–)\s+(.{6,30})`)
	reRateProse   = prefilter.MustCompile(`(?:salaire|taux|remuneration)\s+horaire(?:\s+brut)?\s+(?:de\s+|:\s*|est\s+de\s+|fixe\s+a\s+)?(?:€\s*)?(\d+(?:[.,]\d+)?)|hourly\s+(?:rate|wage)\s+(?:of\s+|is\s+)?(?:eur\s*|€\s*)?(\d+(?:[.,]\d+)?)`)
	reWeeklyProse = prefilter.MustCompile(`(?:duree\s+hebdomadaire[^\n.]{0,40}?|horaire\s+hebdomadaire[^\n.]{0,30}?)(\d+(?:[.,]\d+)?)\s*(?:h|heures)|(\d+(?:[.,]\d+)?)\s*(?:hours|heures|h)\s+(?:per\s+week|par\s+semaine|hebdomadaires)`)
	reLocProse    = prefilter.MustCompile(`(?:s'executera|se\s+deroulera|aura\s+lieu|will\s+take\s+place|will\s+be\s+performed|place\s+of\s+work\s+is)[^.]{0,200}?\b(\d{5}\s+[\p{L}][\p{L}'’ -]*[\p{L}])`)
	reReasonProse = prefilter.MustCompile(`(?:pour\s+le\s+motif\s+suivant|motif\s+du\s+recours|motif\s+de\s+recours|motif|reason\s+for\s+(?:the\s+)?assignment|reason)\s*:?\s*([^\n]{4,200})`)
)

// workerName finds the temporary worker: after a worker label, from "Nom"
// and "Prénom", or from "Madame X," in prose.
func workerName(d *doc) found {
	for _, f := range d.labelled(lblWorker) {
		if v := personName(f.value); plausiblePerson(v) {
			f.value = v
			return f
		}
	}
	last, okL := first(d.labelled(lblLastName))
	firstN, okF := first(d.labelled(lblFirstName))
	if okL && okF && abs(last.line-firstN.line) <= 3 {
		if v := nameFromParts(last.value, firstN.value); plausiblePerson(v) {
			return found{value: v, line: last.line, text: last.text, conf: 0.85}
		}
	}
	for _, f := range d.labelled(lblFullName) {
		if v := personName(f.value); plausiblePerson(v) && d.inWorkerSection(f.line) {
			f.value, f.conf = v, 0.85
			return f
		}
	}
	foldText, raw := d.flat()
	for _, m := range rePersonProse.FindAllStringSubmatchIndex(foldText, -1) {
		s := runeIndex(foldText, m[2])
		printed := string(raw[s:runeIndex(foldText, m[3])])
		if v := personName(printed); plausiblePerson(v) {
			return found{value: v, text: printed, line: d.flatLine(s), conf: 0.7}
		}
	}
	return found{}
}

// inWorkerSection reports whether a line lies under a heading of the
// worker's section, within a few lines and with no other heading between.
// The specks a scan prints beside a heading are not part of it.
func (d *doc) inWorkerSection(li int) bool {
	for i := li - 1; i >= 0 && i >= li-8; i-- {
		raw := d.withoutSpecks(i)
		f := fold(raw)
		if reWorkerHeading.MatchString(f) {
			return true
		}
		t := strings.TrimSpace(f)
		if t != "" && !strings.Contains(t, ":") && strings.ToUpper(raw) == raw {
			return false // another heading in capitals
		}
	}
	return false
}

// withoutSpecks returns the raw text of line i without the cells that hold
// fewer than three letters or digits: the marks and stray letters OCR reads
// from the dust, the rules and the box edges of a scan ("SALARIÉ   oo   |").
// A line made only of such cells is returned as it is.
func (d *doc) withoutSpecks(i int) string {
	raw := d.lines[i].raw
	var kept []string
	for _, c := range cells(raw, gap) {
		if cell := string(raw[c[0]:c[1]]); countAlnum(cell) >= 3 {
			kept = append(kept, cell)
		}
	}
	if len(kept) == 0 {
		return string(raw)
	}
	return strings.Join(kept, "   ")
}

// plausiblePerson accepts two to six words of letters.
func plausiblePerson(v string) bool {
	ws := strings.Fields(v)
	if len(ws) < 2 || len(ws) > 6 {
		return false
	}
	for _, r := range v {
		if r >= '0' && r <= '9' || r == ':' || r == '@' {
			return false
		}
	}
	return !isLabel(v)
}

// jobTitle finds the position held.
func jobTitle(d *doc) found {
	for _, f := range d.labelled(lblJob) {
		v := clean(f.value)
		fv := fold(v)
		if v == "" || strings.HasPrefix(fv, "a risque") || strings.HasPrefix(fv, "risque") || isLabel(v) || len(v) > 60 {
			continue
		}
		f.value = v
		return f
	}
	foldText, raw := d.flat()
	if m := reJobProse.FindStringSubmatchIndex(foldText); m != nil {
		s := runeIndex(foldText, m[2])
		printed := string(raw[s:runeIndex(foldText, m[3])])
		return found{value: clean(printed), text: printed, line: d.flatLine(s), conf: 0.7}
	}
	return found{}
}

// dateFound is a date with where it was found.
type dateFound struct {
	date *pipeline.Date
	found
}

// missionDates finds the start and end of the assignment.
func missionDates(d *doc) (start, end dateFound) {
	for _, f := range d.labelled(lblStart) {
		if t, ok := parseDate(d.dates(f.value), 0); ok {
			start = dateFound{&t, f}
			break
		}
	}
	for _, f := range d.labelled(lblEnd) {
		if t, ok := parseDate(d.dates(f.value), 0); ok {
			end = dateFound{&t, f}
			break
		}
	}
	if start.date != nil && end.date != nil {
		start.conf, end.conf = 0.9, 0.9
		return start, end
	}
	for _, f := range d.labelled(lblPeriod) {
		ds := findDates(d.dates(d.continued(f, 1)), 0)
		if len(ds) >= 2 {
			f.conf = 0.85
			return dateFound{&ds[0].date, f}, dateFound{&ds[1].date, f}
		}
	}
	flat, lineOf := d.squeezed()
	for _, re := range []*prefilter.Regexp{reStartEnd, reFromTo} {
		for _, m := range re.FindAllStringSubmatchIndex(flat, -1) {
			a, okA := parseDate(flat[m[2]:m[3]], 0)
			b, okB := parseDate(flat[m[4]:m[5]], 0)
			if okA && okB {
				if start.date == nil {
					start = dateFound{&a, found{line: lineAt(lineOf, m[2])}}
				}
				if end.date == nil {
					end = dateFound{&b, found{line: lineAt(lineOf, m[4])}}
				}
				start.conf, end.conf = 0.75, 0.75
				return start, end
			}
		}
	}
	start.conf, end.conf = 0.6, 0.6
	return start, end
}

// hourlyRate finds the gross hourly rate.
func hourlyRate(d *doc) (float64, found, bool) {
	for _, f := range d.labelled(lblRate) {
		if v, repaired, ok := parseRate(f.value); ok {
			if repaired {
				f.conf = repairedConf
			}
			return v, f, true
		}
	}
	flat, lineOf := d.squeezed()
	if m := reRateProse.FindStringSubmatchIndex(flat); m != nil {
		for g := 1; 2*g < len(m); g++ {
			if m[2*g] < 0 {
				continue
			}
			if v, repaired, ok := parseRate(flat[m[2*g]:m[2*g+1]]); ok {
				f := found{line: lineAt(lineOf, m[2*g]), conf: 0.75}
				if repaired {
					f.conf = repairedConf
				}
				return v, f, true
			}
		}
	}
	return 0, found{}, false
}

// weeklyHours finds the weekly working hours.
func weeklyHours(d *doc) (float64, found, bool) {
	for _, f := range d.labelled(lblWeekly) {
		if v, repaired, ok := parseWeekly(f.value); ok {
			if repaired {
				f.conf = repairedConf
			}
			return v, f, true
		}
	}
	flat, lineOf := d.squeezed()
	if m := reWeeklyProse.FindStringSubmatchIndex(flat); m != nil {
		for g := 1; 2*g < len(m); g++ {
			if m[2*g] < 0 {
				continue
			}
			if v, ok := parseDecimal(flat[m[2*g]:m[2*g+1]]); ok && v > 0 && v <= 80 {
				return v, found{line: lineAt(lineOf, m[2*g]), conf: 0.75}, true
			}
		}
	}
	return 0, found{}, false
}

// workLocation finds the city where the work is done.
func workLocation(d *doc) found {
	for _, f := range d.labelled(lblLocation) {
		v := d.continued(f, 2)
		if c := cityOf(v); c != "" && !isLabel(c) {
			f.value, f.text = c, v
			return f
		}
	}
	foldText, raw := d.flat()
	if m := reLocProse.FindStringSubmatchIndex(foldText); m != nil {
		s := runeIndex(foldText, m[2])
		printed := string(raw[s:runeIndex(foldText, m[3])])
		return found{value: cityOf(printed), text: printed, line: d.flatLine(s), conf: 0.75}
	}
	return found{}
}

// reason maps the reason for using temporary work onto the spec's enum.
func reason(d *doc) found {
	for _, f := range d.labelled(lblReason) {
		if r := reasonCode(d.continued(f, 2)); r != "" {
			f.value = r
			return f
		}
	}
	flat, lineOf := d.squeezed()
	if m := reReasonProse.FindStringSubmatchIndex(flat); m != nil {
		if r := reasonCode(flat[m[2]:m[3]]); r != "" {
			return found{value: r, line: lineAt(lineOf, m[2]), conf: 0.75}
		}
	}
	return found{}
}

var (
	reReasonIncrease    = prefilter.MustCompile(`\bacc\b|accroissement|surcroit|increase|peak|augmentation\s+temporaire|commande\s+exceptionnelle`)
	reReasonReplacement = prefilter.MustCompile(`\bremp\b|remplacement|replacement|replace|absence|absent`)
	reReasonSeasonal    = prefilter.MustCompile(`\bsais\b|saisonnier|saisonniere|seasonal|saison|season`)
	reReasonOther       = prefilter.MustCompile(`\bautr\b|\bautre\b|\bother\b|formation|insertion|recrutement|usage|d'usage|complement`)
)

// reasonCode maps a printed reason (or its code ACC, REMP, SAIS, AUTR) to
// the enum; "" when the text names none.
func reasonCode(v string) string {
	f := fold(v)
	type hit struct {
		at   int
		code string
	}
	best := hit{at: 1 << 30}
	for _, c := range []struct {
		re   *prefilter.Regexp
		code string
	}{
		{reReasonIncrease, pipeline.ReasonTemporaryIncrease},
		{reReasonReplacement, pipeline.ReasonReplacement},
		{reReasonSeasonal, pipeline.ReasonSeasonal},
		{reReasonOther, pipeline.ReasonOther},
	} {
		if loc := c.re.FindStringIndex(f); loc != nil && loc[0] < best.at {
			best = hit{loc[0], c.code}
		}
	}
	return best.code
}
