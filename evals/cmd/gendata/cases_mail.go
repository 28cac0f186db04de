package main

import (
	"slices"
	"strings"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// emailLine is the manifest line of an e-mail carrying attachments; the
// tags of its attachments' findings are added to its own.
func emailLine(file string, attachments []dataset.Line, tags ...string) dataset.Line {
	l := dataset.Line{File: file, DocumentType: "email", Attachments: attachments, Tags: append([]string{"eml"}, tags...)}
	for _, a := range attachments {
		for _, t := range derivedTags(a.ExpectedIssues) {
			if !slices.Contains(l.Tags, t) {
				l.Tags = append(l.Tags, t)
			}
		}
		if a.DocumentType == "refused" && !slices.Contains(l.Tags, "refused") {
			l.Tags = append(l.Tags, "refused")
		}
	}
	return l
}

// mail returns a message from the agency or the client, dated in 2026.
func mail(id, from, subject, date, body string, atts ...attachment) message {
	return message{from: from, to: "documents@acme-rh.example", subject: subject, date: date, id: id + "@mail.example", body: body, attachments: atts}
}

const invoiceFR = `INTÉRIM PLUS LYON
14 rue Léon Blum, 69100 Villeurbanne - SIRET 732 829 320 00074

FACTURE N° FA-2026-0712
Date : 31/03/2026
Client : Entrepôts Dumas, ZI de la Lande, 44470 Carquefou

Désignation                                   Quantité     P.U. HT     Montant HT
Mise à disposition de personnel - mars 2026   151,67       24,80 €     3 761,42 €

Total HT : 3 761,42 €
TVA 20 % : 752,28 €
Total TTC : 4 513,70 €

Règlement à 30 jours par virement. Pénalités de retard : trois fois le taux d'intérêt légal.
`

// emails are messages that carry documents: attached, in the body,
// forwarded, with refused or unrelated attachments.
func emails(b *builder) {
	contract1 := pdfOf(proseContractFR(rahmani, "Madame"))
	b.add(emailLine("inbox/e-01.eml", []dataset.Line{cLine("Contrat_CM-2026-4101.pdf", rahmani, nil)},
		"fr", "email:contract-attached", "attachment:pdf", contractProseFR),
		mail("e01", "recrutement@interimplus-lyon.example", "Contrat de mission Nadia Rahmani", "Mon, 13 Apr 2026 08:12:00 +0200",
			"Bonjour,\n\nVeuillez trouver ci-joint le contrat de mission de Mme Nadia Rahmani, à nous retourner signé.\n\nCordialement,\nL'agence Intérim Plus Lyon\n",
			attachment{"Contrat_CM-2026-4101.pdf", ctPDF, contract1}).bytes())

	t1 := timesheet(rahmani.ContractNumber, rahmani.WorkerName, dumas, "2026-04-13", "2026-04-19", days("2026-04-13", 7, 7, 7, 7, 7))
	b.add(emailLine("inbox/e-02.eml", []dataset.Line{tLine("releve_rahmani_s16.xlsx", t1, nil)},
		"fr", "email:timesheet-attached", "attachment:xlsx", sheetWorkbookFR),
		mail("e02", "paie@entrepots-dumas.example", "Relevé d'heures S16", "Mon, 20 Apr 2026 17:40:00 +0200",
			"Bonjour,\n\nCi-joint le relevé de la semaine 16.\n\nBonne soirée,\nService paie - Entrepôts Dumas\n",
			attachment{"releve_rahmani_s16.xlsx", ctXLSX, xlsx("S16", sheetFR(t1))}).bytes())

	t2 := timesheet(benali.ContractNumber, benali.WorkerName, dumas, "2026-03-16", "2026-03-22", days("2026-03-16", 7, 7.5, 7, 7.5, 7))
	body2 := "Bonjour,\n\n" + attestationFR(t2, "Marc Dumas", "directeur logistique") + "\nCordialement,\nMarc Dumas\n"
	b.add(emailLine("inbox/e-03.eml", []dataset.Line{tLine("(body)", t2, nil)},
		"fr", "email:timesheet-in-body", "attachment:body", sheetAttestation),
		mail("e03", "m.dumas@entrepots-dumas.example", "Heures de Karim Benali, semaine 12", "Mon, 23 Mar 2026 09:03:00 +0100", body2).bytes())

	t3 := timesheet(nguyen.ContractNumber, nguyen.WorkerName, bluefield, "2026-03-09", "2026-03-15", days("2026-03-09", 8, 8, 8, 8, 7))
	b.add(emailLine("inbox/e-04.eml", []dataset.Line{tLine("(body)", t3, nil)},
		"en", "email:timesheet-in-body", "attachment:body", sheetBodyEN),
		mail("e04", "site.manager@bluefield.example", "Hours week 11 - Thomas Nguyen", "Mon, 16 Mar 2026 10:30:00 +0100",
			bodyEN(t3, "Paul Whitaker", "Site manager")).bytes())

	mercier := contract("CM-2026-4505", interimPlus, delorme, "Julien Mercier", "Massicotier", "2026-04-07", "2026-05-29", 13.60, 35, "Vénissieux", replacement)
	t4 := timesheet(mercier.ContractNumber, mercier.WorkerName, delorme, "2026-04-06", "2026-04-12", days("2026-04-06", 0, 7, 7, 7, 7))
	b.add(emailLine("inbox/e-05.eml", []dataset.Line{cLine("Contrat_mission_CM-2026-4505.pdf", mercier, nil), tLine("releve_mercier_s15.pdf", t4, nil)},
		"fr", "email:contract-and-timesheet", "attachment:pdf", contractFormFR, sheetGridFR),
		mail("e05", "agence@interimplus-lyon.example", "Mission J. Mercier : contrat et premier relevé", "Mon, 13 Apr 2026 11:20:00 +0200",
			"Bonjour,\n\nVous trouverez ci-joints le contrat de M. Julien Mercier et son relevé de la semaine 15.\n\nBien cordialement,\nIntérim Plus Lyon\n",
			attachment{"Contrat_mission_CM-2026-4505.pdf", ctPDF, pdfOf(testdocs.Contract(mercier))},
			attachment{"releve_mercier_s15.pdf", ctPDF, pdfOf(timesheetGridFR(t4))}).bytes())

	t5 := timesheet(oconnor.ContractNumber, oconnor.WorkerName, aero, "2026-04-27", "2026-05-03", days("2026-04-27", 7, 7, 7, 7))
	locked := pdfDoc{pages: [][]string{strings.Split(contractEN(oconnor, ""), "\n")}, userPassword: "NW2026"}.bytes()
	b.add(emailLine("inbox/e-06.eml", []dataset.Line{refused("Contract_NW-2026-4606_protected.pdf", "encrypted_document"), tLine("timesheet_oconnor_w18.docx", t5, nil)},
		"en", "email:refused-attachment", "attachment:pdf", "attachment:docx", sheetTableEN),
		mail("e06", "payroll@northwind-staffing.example", "Contract amendment and timesheet w18", "Mon, 4 May 2026 14:05:00 +0200",
			"Hello,\n\nPlease find attached the amended contract (password sent separately) and Grace's timesheet for week 18.\n\nBest regards,\nNorthwind Staffing France\n",
			attachment{"Contract_NW-2026-4606_protected.pdf", ctPDF, locked},
			attachment{"timesheet_oconnor_w18.docx", ctDOCX, docxTimesheetEN(t5)}).bytes())

	b.add(emailLine("inbox/e-07.eml", []dataset.Line{{Name: "Facture_FA-2026-0712.pdf", DocumentType: "other"}},
		"fr", "email:other-attachment", "attachment:pdf", "other"),
		mail("e07", "comptabilite@interimplus-lyon.example", "Facture mars 2026", "Tue, 31 Mar 2026 16:45:00 +0200",
			"Bonjour,\n\nVeuillez trouver ci-jointe notre facture du mois de mars.\n\nCordialement,\nService comptabilité\n",
			attachment{"Facture_FA-2026-0712.pdf", ctPDF, pdfOf(invoiceFR)}).bytes())

	rousseau := contract("AES-26-4808", alliance, serres, "Camille Rousseau", "Ouvrière agricole", "2026-05-04", "2026-08-28", 12.50, 35, "Saumur", seasonal)
	inner := mail("e08-orig", "contrats@alliance-emploi.example", "Contrat AES-26-4808", "Wed, 29 Apr 2026 09:00:00 +0200",
		"Bonjour,\n\nLe contrat de Mme Rousseau est en pièce jointe.\n\nAlliance Emploi Services\n",
		attachment{"Contrat_AES-26-4808.docx", ctDOCX, docxContractFR(rousseau)})
	fwd := mail("e08", "direction@serres-valdeloire.example", "Tr: Contrat AES-26-4808", "Wed, 29 Apr 2026 10:12:00 +0200",
		"Pour enregistrement.\n\n---------- Message transféré ----------\n")
	fwd.forwarded = &inner
	b.add(emailLine("inbox/e-08.eml", []dataset.Line{cLine("Contrat_AES-26-4808.docx", rousseau, nil)},
		"fr", "email:forwarded", "attachment:docx", contractTableFR), fwd.bytes())

	t6 := timesheet(rahmani.ContractNumber, rahmani.WorkerName, dumas, "2026-04-20", "2026-04-26", days("2026-04-20", 7, 7, 7, 7, 7))
	b.add(emailLine("inbox/e-09.eml", []dataset.Line{tLine("pointages_rahmani_s17.csv", t6, nil), refused("releve_page2.pdf", "empty_document")},
		"fr", "email:timesheet-attached", "email:refused-attachment", "attachment:csv", "attachment:pdf", sheetBadgeFR),
		mail("e09", "paie@entrepots-dumas.example", "Pointages S17", "Mon, 27 Apr 2026 08:55:00 +0200",
			"Bonjour,\n\nLes pointages de la semaine 17 sont joints.\n\nService paie - Entrepôts Dumas\n",
			attachment{"pointages_rahmani_s17.csv", ctCSV, []byte(badgeCSVFR(t6, "5120"))},
			attachment{"releve_page2.pdf", ctPDF, nil}).bytes())
}

// refusals are inputs that must be refused before any extractor.
func refusals(b *builder) {
	text := testdocs.Contract(lefevre)
	b.add(refused("bad/empty.pdf", "empty_document", "pdf"), nil)
	b.add(refused("bad/encrypted.pdf", "encrypted_document", "pdf"), pdfDoc{pages: [][]string{strings.Split(text, "\n")}, userPassword: "mission"}.bytes())
	b.add(refused("bad/encrypted.docx", "encrypted_document", "docx"), encryptedOOXML(7))
	b.add(refused("bad/truncated.pdf", "corrupt_document", "pdf"), truncated(pdfOf(text), 0.6))
	b.add(refused("bad/broken.xlsx", "corrupt_document", "xlsx"), brokenWorkbook())
	b.add(refused("bad/archive.zip", "unsupported_media_type", "zip"), zipOf([2]string{"photos/chantier-01.txt", "Photos du chantier, avril 2026"}, [2]string{"photos/liste.txt", "01 02 03"}))
	b.add(refused("bad/binary.pdf", "unsupported_media_type", "pdf", "alt_refusal:corrupt_document"), randomBytes(4096, 3))
	b.add(refused("bad/legacy.doc", "unsupported_media_type", "doc"), legacyWord(text))
	b.add(refused("bad/too_large.pdf", "too_large", "pdf"), longExport(250))
}

// brokenWorkbook is an XLSX whose sheet was cut off mid-XML.
func brokenWorkbook() []byte {
	return zipOf(
		[2]string{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		[2]string{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		[2]string{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`},
		[2]string{"xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Relevé d'heures</t></is></c></row><row r="2"><c r="A2"`},
	)
}
