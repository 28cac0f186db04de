package classify

import (
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// TestOtherDocuments checks that paperwork close to contracts and
// timesheets (invoices, payslips, employer certificates, travel mission
// orders) is other, and that clear contracts and timesheets in unseen
// wordings are still recognised.
func TestOtherDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want pipeline.DocumentType
	}{
		{"invoice with hours", `FACTURE N° F-2026-0318
Orbis Intérim Normandie – SIRET 412 987 345 00021
Client : Cidrerie Lecoq & Fils SARL
Période du 02/03/2026 au 08/03/2026
Désignation                         Heures   Taux      Montant
Mission MT-77/2026-0815 Le Bihan    26,50    27,40 €   726,10 €
Total HT 726,10 €   TVA 20 % 145,22 €   Total TTC 871,32 €
Net à payer : 871,32 €   IBAN FR76 3000 6000 0112 3456 7890 189`, pipeline.TypeOther},
		{"english invoice", `INVOICE No. INV-2026-044
Bill to: Bluefield Packaging SARL
Assignment NW-2026/3310 – hours worked week of 2 Mar 2026: 28.75 h x EUR 31.20
Subtotal EUR 897.00   VAT 20% EUR 179.40   Amount due EUR 1,076.40`, pipeline.TypeOther},
		{"payslip", `BULLETIN DE PAIE
Période du 01/03/2026 au 31/03/2026        Date de paiement : 05/04/2026
Salarié : Lucas Ferrand      Emploi : Cariste      Coefficient 170
Salaire de base          151,67 h     12,40      1 880,71
Heures supplémentaires 25 %   8,00 h   15,50        124,00
Indemnité de fin de mission 10 %                    200,47
Indemnité compensatrice de congés payés             220,52
Cotisations salariales                             -512,30
Net à payer avant impôt sur le revenu             1 913,40
Net imposable 1 990,12   Cumul brut annuel 6 015,20`, pipeline.TypeOther},
		{"english payslip", `PAYSLIP – March 2026
Employee: Tomasz Kowalczyk      Pay period: 01/03/2026 – 31/03/2026
Basic pay 151.67 hours @ 13.75      2,085.46
Overtime 8.00 hours @ 17.19           137.52
Gross pay 2,222.98   Deductions 489.05   Net pay 1,733.93`, pipeline.TypeOther},
		{"employer certificate", `ATTESTATION EMPLOYEUR
Je soussigné, Paul Girard, gérant de l'agence Orbis Intérim Normandie, atteste que
Mme Gwenaëlle Le Bihan a été employée en qualité d'intérimaire du 01/03/2026 au 15/05/2026
pour des missions d'opératrice de ligne. Cette attestation est délivrée pour servir et valoir ce que de droit.
Fait au Havre, le 20/05/2026`, pipeline.TypeOther},
		{"travel mission order", `MISSION ORDER
Employee: Dana Whitfield        Department: Logistics
Destination: Lyon – supplier audit
Departure: 03/02/2026 08:00     Return: 03/04/2026 19:00
Means of transport: train      Accommodation: hotel, 2 nights
Expenses advance: EUR 250      Approved by: R. Martin`, pipeline.TypeOther},
		{"ordre de mission", `ORDRE DE MISSION
Le salarié Lucas Ferrand est autorisé à se rendre à Nantes du 10/03/2026 au 12/03/2026
Objet : formation sécurité      Transport : véhicule de service
Frais de repas et d'hébergement pris en charge sur justificatifs.`, pipeline.TypeOther},
		{"english assignment contract", `ASSIGNMENT CONFIRMATION – TEMPORARY WORK
Assignment no.: NW-2026/3310
Staffing agency: Northwind Staffing SAS      Client company: Bluefield Packaging SARL
Temporary worker: Tomasz Kowalczyk      Job title: Packing operator
Start date: 2 Mar 2026     End date: 27 Mar 2026
Pay rate: EUR 13.75 per hour (gross)     Hours per week: 37.5
Place of work: Marseille     Reason for assignment: replacement of an absent employee`, pipeline.TypeContract},
		{"weekday timesheet", `Relevé hebdomadaire – Cidrerie Lecoq & Fils SARL
Lun 02/03  08:00-12:00 13:00-16:30
Mar 03/03  08:00-12:00 13:00-16:00
Jeu 05/03  07:30-12:00 12:45-16:15
Ven 06/03  08:00-12:00
Total semaine : 26h30`, pipeline.TypeTimesheet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, score := New().Classify(pipeline.Content{Text: tt.text})
			if got != tt.want {
				t.Fatalf("Classify = %s (%.2f, %+v), want %s", got, score, Score(tt.text), tt.want)
			}
		})
	}
}
