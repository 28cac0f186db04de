package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
)

// item is one manifest line with the bytes of its file.
type item struct {
	line dataset.Line
	data []byte
}

// builder collects the dataset's items; the first failure sticks.
type builder struct {
	items []item
	err   error
}

func (b *builder) add(l dataset.Line, data []byte) { b.items = append(b.items, item{l, data}) }

// scan returns the scanned PDF of text, recording a failure.
func (b *builder) scan(text string, o scanOptions) []byte {
	if b.err != nil {
		return nil
	}
	data, err := scan(text, o)
	if err != nil {
		b.err = err
	}
	return data
}

// party is a company with its SIRET.
type party struct{ name, siret string }

var (
	interimPlus  = party{"Intérim Plus Lyon", "73282932000074"}
	alliance     = party{"Alliance Emploi Services", siret("8350964470000")}
	atlantique   = party{"Atlantique Travail Temporaire", siret("4427153890001")}
	northwind    = party{"Northwind Staffing France", siret("6031234560001")}
	bridgeway    = party{"Bridgeway Staffing France", siret("8219725100005")}
	boulangeries = party{"Boulangeries Martin SAS", "55210055400013"}
	dumas        = party{"Entrepôts Dumas", siret("6254923500006")}
	oceane       = party{"Conserverie Océane SAS", siret("3918845200002")}
	delorme      = party{"Imprimerie Delorme", siret("6669108230004")}
	harbour      = party{"Harbour Logistics SAS", siret("5127739400003")}
	bluefield    = party{"Bluefield Packaging SARL", siret("7185432990002")}
	aero         = party{"Aéro Composites Garonne", siret("8568452500001")}
	lemoine      = party{"Garage Lemoine SARL", siret("4123087650001")}
	serres       = party{"Serres du Val de Loire", siret("5309841170002")}
)

func contract(n string, agency, client party, worker, job, start, end string, rate, hours float64, city, reason string) pipeline.Contract {
	return pipeline.Contract{ContractNumber: n, AgencyName: agency.name, AgencySIRET: agency.siret, ClientName: client.name,
		ClientSIRET: client.siret, WorkerName: worker, JobTitle: job, StartDate: day(start), EndDate: day(end),
		HourlyRate: num(rate), WeeklyHours: num(hours), WorkLocation: city, Reason: reason}
}

// timesheet returns a timesheet whose printed total is the entries' sum.
func timesheet(n, worker string, client party, start, end string, entries []pipeline.Entry) pipeline.Timesheet {
	return pipeline.Timesheet{ContractNumber: n, WorkerName: worker, ClientName: client.name,
		PeriodStart: day(start), PeriodEnd: day(end), Entries: entries, TotalHours: num(total(entries))}
}

// line returns a manifest line (an attachment's when file has no "/"),
// with the tags that follow from the expected issues added.
func line(file string, t pipeline.DocumentType, f pipeline.Fields, issues []string, tags ...string) dataset.Line {
	l := dataset.Line{DocumentType: string(t), Fields: f.Map(), ExpectedIssues: issues}
	if !strings.Contains(file, "/") {
		l.Name = file
		return l
	}
	l.File, l.Tags = file, tags
	for _, t := range derivedTags(issues) {
		if !slices.Contains(l.Tags, t) {
			l.Tags = append(l.Tags, t)
		}
	}
	return l
}

// derivedTags are the tags that expected issues give a line: violation
// (an error-level rule), cross-document, injection.
func derivedTags(issues []string) []string {
	var out []string
	for _, code := range issues {
		if s, _ := validate.Severity(code); s == pipeline.SeverityError {
			out = append(out, "violation")
		}
		if crossDocument(code) {
			out = append(out, "cross-document")
		}
		if code == validate.CodePromptInjection {
			out = append(out, "injection")
		}
	}
	return out
}

func crossDocument(code string) bool {
	return code == validate.CodeTimesheetUnknownContract || code == validate.CodeTimesheetOutsideContractPeriod ||
		code == validate.CodeTimesheetWorkerMismatch
}

func cLine(file string, c pipeline.Contract, issues []string, tags ...string) dataset.Line {
	return line(file, pipeline.TypeContract, pipeline.Fields{Contract: &c}, issues, tags...)
}

func tLine(file string, t pipeline.Timesheet, issues []string, tags ...string) dataset.Line {
	return line(file, pipeline.TypeTimesheet, pipeline.Fields{Timesheet: &t}, issues, tags...)
}

func refused(file, code string, tags ...string) dataset.Line {
	l := dataset.Line{DocumentType: "refused", Refusal: code}
	if strings.Contains(file, "/") {
		l.File, l.Tags = file, append(tags, "refused")
	} else {
		l.Name = file
	}
	return l
}

// issues is a list of expected rule codes.
func issues(codes ...string) []string { return codes }

// Layout tags (named as in the shared datasets, so that tools that group
// by "layout" find them).
const (
	contractFormFR   = "contract-layout-form-fr"
	contractProseFR  = "contract-layout-prose-fr"
	contractTableFR  = "contract-layout-table-fr"
	contractKVEN     = "contract-layout-kv-en"
	contractTableEN  = "contract-layout-table-en"
	sheetTableFR     = "timesheet-layout-table-fr"
	sheetGridFR      = "timesheet-layout-grid-fr"
	sheetWorkbookFR  = "timesheet-layout-workbook-fr"
	sheetBadgeFR     = "timesheet-layout-badge-fr"
	sheetAttestation = "timesheet-layout-attestation-fr"
	sheetTableEN     = "timesheet-layout-table-en"
	sheetWorkbookEN  = "timesheet-layout-workbook-en"
	sheetCSVEN       = "timesheet-layout-csv-en"
	sheetBodyEN      = "timesheet-layout-body-en"
)

// documents builds the dataset, in ingestion order.
func documents() ([]item, error) {
	b := &builder{}
	contractsAndTimesheets(b)
	violations(b)
	emails(b)
	refusals(b)
	return b.items, b.err
}

func pdfOf(text string) []byte { return textPDF(text) }

// docxContractFR is a French contract as a DOCX table under a title.
func docxContractFR(c pipeline.Contract) []byte {
	return docx(c.AgencyName+" – Agence d'emploi", para("CONTRAT DE MISSION DE TRAVAIL TEMPORAIRE"), table(contractRowsFR(c)),
		para("Le salarié intérimaire est mis à disposition de l'entreprise utilisatrice pour la durée de la mission."),
		para("Fait en deux exemplaires."))
}

// docxContractEN is an English contract as a DOCX table under a title.
func docxContractEN(c pipeline.Contract) []byte {
	return docx(c.AgencyName, para("Temporary Assignment Contract"), para("Contract no. "+c.ContractNumber), table(contractRowsEN(c)),
		para("The worker is placed at the client's disposal for the duration of the assignment."), para("Signed in two copies."))
}

// docxTimesheetFR is a French timesheet as a DOCX: head and day table.
func docxTimesheetFR(t pipeline.Timesheet) []byte {
	blocks := append(paras(timesheetHeadFR(t, t.ContractNumber)), table(timesheetGridRowsFR(t)))
	if t.TotalHours != nil {
		blocks = append(blocks, para("Total de la semaine : "+frHours(*t.TotalHours)))
	}
	return docx(t.ClientName, append(blocks, para("Cachet et signature de l'entreprise utilisatrice"))...)
}

// docxTimesheetEN is an English timesheet as a DOCX.
func docxTimesheetEN(t pipeline.Timesheet) []byte {
	head := "WEEKLY TIMESHEET\nAssignment no.: " + t.ContractNumber + "\nEmployee name: " + t.WorkerName +
		"\nClient company: " + t.ClientName + "\nPeriod: " + enShort(t.PeriodStart.Time) + " – " + enShort(t.PeriodEnd.Time)
	blocks := append(paras(head), table(timesheetRowsEN(t)), para(fmt.Sprintf("Total hours worked: %.2f", *t.TotalHours)))
	return docx(t.ClientName, blocks...)
}
