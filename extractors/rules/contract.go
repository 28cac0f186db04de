package rules

import (
	"regexp"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// Contract labels (folded text, at the start of a cell).
var (
	lblContractNo = label(`n°\s*(?:de\s+)?contrat|contrat\s+n°|numero\s+(?:de\s+)?contrat|contract\s*(?:/\s*assignment\s*)?(?:no|number|n°|#|ref)|assignment\s+(?:no|number|ref)|reference(?:\s+du\s+contrat)?|ref`)
	lblAgency     = label(`entreprise\s+de\s+travail\s+temporaire|agence\s+d'emploi|agence\s+de\s+travail\s+temporaire|staffing\s+agency|temporary\s+work\s+agency|employment\s+agency|agency|agence|ett`)
	lblClient     = label(`entreprise\s+utilisatrice|client\s+company|user\s+company|client|societe\s+utilisatrice|eu`)
	lblCompany    = label(`raison\s+sociale|denomination|company\s+name|nom\s+de\s+l'entreprise|societe`)
	lblWorker     = label(`salarie\s+interimaire|nom\s+du\s+salarie|nom\s+de\s+l'interimaire|interimaire|salarie|temporary\s+worker|worker\s+name|worker|employee\s*name|intervenant`)
	lblLastName   = label(`nom\s+de\s+famille|nom|last\s+name|surname|family\s+name`)
	lblFirstName  = label(`prenoms?|first\s+names?|given\s+names?`)
	lblFullName   = label(`nom\s+et\s+prenoms?|nom\s*[,/]\s*prenoms?|prenoms?\s+et\s+nom|nom\s+prenoms?|full\s+name|name`)
	// reWorkerHeading is a heading line that opens the worker's section.
	reWorkerHeading = regexp.MustCompile(`^\s*(?:le\s+|the\s+)?(?:salarie(?:\s+interimaire)?|interimaire|salarie\s+temporaire|temporary\s+worker|worker|employee|intervenant)\s*:?\s*$`)
	lblJob          = label(`qualification\s*/\s*poste|qualification\s+professionnelle|qualification|poste\s+occupe|intitule\s+du\s+poste|poste|job\s+title|position|job`)
	lblStart        = label(`date\s+de\s+debut(?:\s+de\s+(?:la\s+)?mission)?|date\s+debut|debut\s+de\s+(?:la\s+)?mission|assignment\s+start\s+date|start\s+date|date\s+of\s+start|starting\s+date|du`)
	lblEnd          = label(`date\s+de\s+fin(?:\s+de\s+(?:la\s+)?mission)?|date\s+fin|fin\s+de\s+(?:la\s+)?mission|assignment\s+end\s+date|end\s+date|date\s+of\s+end|ending\s+date`)
	lblPeriod       = label(`periode\s+de\s+(?:la\s+)?mission|duree\s+de\s+(?:la\s+)?mission|periode|assignment\s+period|period|dates?\s+de\s+mission`)
	lblRate         = label(`taux\s+horaire(?:\s+brut)?|salaire\s+horaire(?:\s+brut)?|salaire\s+de\s+reference|remuneration\s+horaire|hourly\s+(?:rate|wage|pay)(?:\s*\(gross\))?|gross\s+hourly\s+(?:rate|wage)|pay\s+rate|rate`)
	lblWeekly       = label(`duree\s+hebdomadaire(?:\s+de\s+travail)?|horaire\s+hebdo(?:madaire)?|duree\s+du\s+travail|temps\s+de\s+travail|weekly\s+(?:working\s+)?hours|working\s+hours\s+per\s+week|hours\s+per\s+week|weekly\s+hours`)
	lblLocation     = label(`lieu\s+de\s+mission|lieu\s+d'execution|lieu\s+de\s+travail|lieu\s+de\s+la\s+mission|place\s+of\s+work|work\s+location|place\s+of\s+assignment|worksite|site|lieu`)
	lblReason       = label(`motif\s+(?:du|de)\s+recours|code\s+motif|motif|cas\s+de\s+recours|reason\s+for\s+(?:the\s+)?(?:assignment|recourse|use)|reason`)
	lblSIRET        = regexp.MustCompile(`siret|siren`)
)

// contract extracts the fields of a contract.
func contract(d *doc) (*pipeline.Contract, map[string]float64) {
	c := &pipeline.Contract{}
	conf := map[string]float64{}
	set := func(field string, v string, cf float64, dst *string) {
		if v = strings.TrimSpace(v); v != "" && cf > 0 {
			*dst = v
			conf[field] = cf
		}
	}
	no, cf := contractNumber(d)
	set("contract_number", no, cf, &c.ContractNumber)
	parties := findParties(d)
	set("agency_name", parties.agency.value, parties.agency.conf, &c.AgencyName)
	set("client_name", parties.client.value, parties.client.conf, &c.ClientName)
	set("agency_siret", parties.agencySIRET.value, parties.agencySIRET.conf, &c.AgencySIRET)
	set("client_siret", parties.clientSIRET.value, parties.clientSIRET.conf, &c.ClientSIRET)
	w, cf := workerName(d)
	set("worker_name", w, cf, &c.WorkerName)
	j, cf := jobTitle(d)
	set("job_title", j, cf, &c.JobTitle)
	start, end, cf := missionDates(d)
	if start != nil {
		c.StartDate = start
		conf["start_date"] = cf
	}
	if end != nil {
		c.EndDate = end
		conf["end_date"] = cf
	}
	if r, cf, ok := hourlyRate(d); ok {
		c.HourlyRate = &r
		conf["hourly_rate"] = cf
	}
	if h, cf, ok := weeklyHours(d); ok {
		c.WeeklyHours = &h
		conf["weekly_hours"] = cf
	}
	loc, cf := workLocation(d)
	set("work_location", loc, cf, &c.WorkLocation)
	r, cf := reason(d)
	set("reason", r, cf, &c.Reason)
	return c, conf
}

// contractNumber finds the contract's number: after a label, after
// "contrat de mission n°", or on a "N° ..." line under the title.
func contractNumber(d *doc) (string, float64) {
	for _, f := range d.labelled(lblContractNo) {
		if v := numberToken(f.value); v != "" {
			return v, f.conf
		}
	}
	fold, raw, _ := d.joined()
	for _, re := range []*regexp.Regexp{reContractNoProse, reNumberLine} {
		if m := re.FindStringSubmatchIndex(fold); m != nil {
			s, e := runeIndex(fold, m[2]), runeIndex(fold, m[3])
			if v := numberToken(string(raw[s:e])); v != "" {
				return v, 0.8
			}
		}
	}
	return "", 0
}

var (
	reContractNoProse = regexp.MustCompile(`(?:contrat(?:\s+de\s+mission)?|contract|assignment)\s*(?:n°|no\.?|number|nr\.?|#|ref\.?|reference)\s*:?\s*([a-z0-9][^\n,;()]{2,40})`)
	reNumberLine      = regexp.MustCompile(`(?m)^\s*n°\s*:?\s*([a-z0-9][^\n]{2,40}?)(?:\s{3,}|$)`)
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
var reContractNoSpaced = regexp.MustCompile(`[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+| [0-9][A-Za-z0-9]*)*`)

var (
	rePersonProse = regexp.MustCompile(`(?:^|[\s:(])(?:madame|monsieur|mademoiselle|mme|mlle|m\.|mr\.?|mrs\.?|ms\.?)\s+([\p{L}][\p{L}'’ -]{2,60}?)\s*(?:,|\(|\bnee?\b|\bborn\b|$)`)
	reJobProse    = regexp.MustCompile(`(?:occupera\s+le\s+poste\s+de|au\s+poste\s+de|en\s+qualite\s+de|le\s+poste\s+de|as\s+an?|the\s+position\s+of|job\s+title\s+of)\s+([^.,;\n(]{2,60})`)
	reStartEnd    = regexp.MustCompile(`(?:debutera|commencera|debute|commence|will\s+start|starts?|begins?|will\s+begin)\s+(?:le\s+|on\s+)?(.{6,30}?)\s+(?:et\s+(?:prendra|se\s+terminera|finira)\s+fin\s+le|et\s+se\s+terminera\s+le|et\s+prendra\s+fin\s+le|and\s+(?:will\s+)?(?:end|finish)s?\s+on|and\s+ends?\s+on)\s+(.{6,30})`)
	reFromTo      = regexp.MustCompile(`\b(?:du|from)\s+(.{6,30}?)\s+(?:au|to|until|-|–)\s+(.{6,30})`)
	reRateProse   = regexp.MustCompile(`(?:salaire|taux|remuneration)\s+horaire(?:\s+brut)?\s+(?:de\s+|:\s*|est\s+de\s+|fixe\s+a\s+)?(?:€\s*)?(\d+(?:[.,]\d+)?)|hourly\s+(?:rate|wage)\s+(?:of\s+|is\s+)?(?:eur\s*|€\s*)?(\d+(?:[.,]\d+)?)`)
	reWeeklyProse = regexp.MustCompile(`(?:duree\s+hebdomadaire[^\n.]{0,40}?|horaire\s+hebdomadaire[^\n.]{0,30}?)(\d+(?:[.,]\d+)?)\s*(?:h|heures)|(\d+(?:[.,]\d+)?)\s*(?:hours|heures|h)\s+(?:per\s+week|par\s+semaine|hebdomadaires)`)
	reLocProse    = regexp.MustCompile(`(?:s'executera|se\s+deroulera|aura\s+lieu|will\s+take\s+place|will\s+be\s+performed|place\s+of\s+work\s+is)[^.]{0,200}?\b(\d{5}\s+[\p{L}][\p{L}'’ -]*[\p{L}])`)
	reReasonProse = regexp.MustCompile(`(?:pour\s+le\s+motif\s+suivant|motif\s+du\s+recours|motif\s+de\s+recours|motif|reason\s+for\s+(?:the\s+)?assignment|reason)\s*:?\s*([^\n]{4,200})`)
)

// workerName finds the temporary worker: after a worker label, from "Nom"
// and "Prénom", or from "Madame X," in prose.
func workerName(d *doc) (string, float64) {
	for _, f := range d.labelled(lblWorker) {
		if v := personName(f.value); plausiblePerson(v) {
			return v, f.conf
		}
	}
	last, okL := first(d.labelled(lblLastName))
	firstN, okF := first(d.labelled(lblFirstName))
	if okL && okF && abs(last.line-firstN.line) <= 3 {
		if v := nameFromParts(last.value, firstN.value); plausiblePerson(v) {
			return v, 0.85
		}
	}
	for _, f := range d.labelled(lblFullName) {
		if v := personName(f.value); plausiblePerson(v) && d.inWorkerSection(f.line) {
			return v, 0.85
		}
	}
	foldText, raw := d.flat()
	for _, m := range rePersonProse.FindAllStringSubmatchIndex(foldText, -1) {
		v := personName(string(raw[runeIndex(foldText, m[2]):runeIndex(foldText, m[3])]))
		if plausiblePerson(v) {
			return v, 0.7
		}
	}
	return "", 0
}

// inWorkerSection reports whether a line lies under a heading of the
// worker's section, within a few lines and with no other heading between.
func (d *doc) inWorkerSection(li int) bool {
	for i := li - 1; i >= 0 && i >= li-8; i-- {
		f := d.lines[i].fold
		if reWorkerHeading.MatchString(f) {
			return true
		}
		t := strings.TrimSpace(f)
		if t != "" && !strings.Contains(t, ":") && strings.ToUpper(string(d.lines[i].raw)) == string(d.lines[i].raw) {
			return false // another heading in capitals
		}
	}
	return false
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
func jobTitle(d *doc) (string, float64) {
	for _, f := range d.labelled(lblJob) {
		v := clean(f.value)
		fv := fold(v)
		if v == "" || strings.HasPrefix(fv, "a risque") || strings.HasPrefix(fv, "risque") || isLabel(v) || len(v) > 60 {
			continue
		}
		return v, f.conf
	}
	foldText, raw := d.flat()
	if m := reJobProse.FindStringSubmatchIndex(foldText); m != nil {
		return clean(string(raw[runeIndex(foldText, m[2]):runeIndex(foldText, m[3])])), 0.7
	}
	return "", 0
}

// missionDates finds the start and end of the assignment.
func missionDates(d *doc) (*pipeline.Date, *pipeline.Date, float64) {
	var start, end *pipeline.Date
	for _, f := range d.labelled(lblStart) {
		if t, ok := parseDate(f.value, 0); ok {
			start = &t
			break
		}
	}
	for _, f := range d.labelled(lblEnd) {
		if t, ok := parseDate(f.value, 0); ok {
			end = &t
			break
		}
	}
	if start != nil && end != nil {
		return start, end, 0.9
	}
	for _, f := range d.labelled(lblPeriod) {
		ds := findDates(fold(d.continued(f, 1)), 0)
		if len(ds) >= 2 {
			return &ds[0].date, &ds[1].date, 0.85
		}
	}
	foldText, _, _ := d.joined()
	flat := strings.Join(strings.Fields(foldText), " ")
	for _, re := range []*regexp.Regexp{reStartEnd, reFromTo} {
		for _, m := range re.FindAllStringSubmatch(flat, -1) {
			a, okA := parseDate(m[1], 0)
			b, okB := parseDate(m[2], 0)
			if okA && okB {
				if start == nil {
					start = &a
				}
				if end == nil {
					end = &b
				}
				return start, end, 0.75
			}
		}
	}
	return start, end, 0.6
}

// hourlyRate finds the gross hourly rate.
func hourlyRate(d *doc) (float64, float64, bool) {
	for _, f := range d.labelled(lblRate) {
		if v, ok := parseDecimal(f.value); ok && v > 0 && v < 1000 {
			return v, f.conf, true
		}
	}
	foldText, _, _ := d.joined()
	flat := strings.Join(strings.Fields(foldText), " ")
	if m := reRateProse.FindStringSubmatch(flat); m != nil {
		for _, g := range m[1:] {
			if v, ok := parseDecimal(g); ok {
				return v, 0.75, true
			}
		}
	}
	return 0, 0, false
}

// weeklyHours finds the weekly working hours.
func weeklyHours(d *doc) (float64, float64, bool) {
	for _, f := range d.labelled(lblWeekly) {
		if v, ok := parseHours(f.value); ok && v > 0 && v <= 80 {
			return v, f.conf, true
		}
	}
	foldText, _, _ := d.joined()
	flat := strings.Join(strings.Fields(foldText), " ")
	if m := reWeeklyProse.FindStringSubmatch(flat); m != nil {
		for _, g := range m[1:] {
			if v, ok := parseDecimal(g); ok && v > 0 && v <= 80 {
				return v, 0.75, true
			}
		}
	}
	return 0, 0, false
}

// workLocation finds the city where the work is done.
func workLocation(d *doc) (string, float64) {
	for _, f := range d.labelled(lblLocation) {
		v := d.continued(f, 2)
		if c := cityOf(v); c != "" && !isLabel(c) {
			return c, f.conf
		}
	}
	foldText, raw := d.flat()
	if m := reLocProse.FindStringSubmatchIndex(foldText); m != nil {
		return cityOf(string(raw[runeIndex(foldText, m[2]):runeIndex(foldText, m[3])])), 0.75
	}
	return "", 0
}

// reason maps the reason for using temporary work onto the spec's enum.
func reason(d *doc) (string, float64) {
	for _, f := range d.labelled(lblReason) {
		if r := reasonCode(d.continued(f, 2)); r != "" {
			return r, f.conf
		}
	}
	foldText, _, _ := d.joined()
	flat := strings.Join(strings.Fields(foldText), " ")
	if m := reReasonProse.FindStringSubmatch(flat); m != nil {
		if r := reasonCode(m[1]); r != "" {
			return r, 0.75
		}
	}
	return "", 0
}

var (
	reReasonIncrease    = regexp.MustCompile(`\bacc\b|accroissement|surcroit|increase|peak|augmentation\s+temporaire|commande\s+exceptionnelle`)
	reReasonReplacement = regexp.MustCompile(`\bremp\b|remplacement|replacement|replace|absence|absent`)
	reReasonSeasonal    = regexp.MustCompile(`\bsais\b|saisonnier|saisonniere|seasonal|saison|season`)
	reReasonOther       = regexp.MustCompile(`\bautr\b|\bautre\b|\bother\b|formation|insertion|recrutement|usage|d'usage|complement`)
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
		re   *regexp.Regexp
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
