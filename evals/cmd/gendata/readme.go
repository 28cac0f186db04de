package main

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/pipeline"
)

const readmeHead = `# docflow's own evaluation dataset

Written by ` + "`go generate ./evals`" + ` (evals/cmd/gendata): do not edit by hand, change the
generator and run it again. Every company, person and SIRET is fictitious;
every value in ` + "`fields`" + ` is what the document says, because the generator
wrote the document from it.

The layout is the spec's (shared/spec/documents.md, "Dataset layout"):
` + "`manifest.jsonl`" + ` lists the documents in ingestion order.

## Conventions

- ` + "`expected_issues`" + ` lists the rule codes that must fire; no other code of
  severity ` + "`error`" + ` may. Cross-document rules look at the contracts of the
  lines before (and, in an e-mail, of the attachments before): only a
  contract free of error-level findings and of text aimed at an AI system
  counts as committed, so a timesheet billed against another gets
  ` + "`timesheet.unknown_contract`" + ` (t-20, t-21), as does one that comes before its
  contract (t-18).
- ` + "`document.low_confidence`" + ` is expected on one poor scan (c-15, tag
  ` + "`degraded`" + `: 100 dpi, speckled, heavily compressed), whose values a reader
  cannot be sure of; it is the one code that describes the reading rather
  than the document.
- ` + "`entries`" + ` holds the days with hours; days off printed as "repos" or 0 are
  not entries. ` + "`total_hours`" + ` is the total as printed (t-12 prints a wrong one;
  t-17 prints none).
- A contract number keeps its printed form (t-23 prints "CM 2026 0101" for
  the contract "CM-2026-0101"; the spec's comparison ignores the spaces).
- Refusals need no special limits: ` + "`bad/too_large.pdf`" + ` has 250 pages, more than
  the reader's default limit of 200.

## Tags

Format first (` + "`pdf`, `scan`, `docx`, `xlsx`, `csv`, `txt`, `eml`" + `, and for refused
files their extension; e-mails also ` + "`attachment:FORMAT`" + `), language (` + "`fr`, `en`" + `),
layout (` + "`contract-layout-NAME`, `timesheet-layout-NAME`" + `), and ` + "`violation`" + ` (an
error-level rule expected), ` + "`cross-document`, `injection`, `degraded`, `refused`" + `,
` + "`alt_refusal:CODE`, `email:KIND`, `number:spaced`" + ` (a contract number printed with
spaces).
`

// readme describes the dataset, with counts taken from its items.
func readme(items []item) []byte {
	var b strings.Builder
	b.WriteString(readmeHead)
	docs := map[string]int{}
	codes := map[string]int{}
	refusals := map[string]int{}
	tags := map[string]int{}
	var count func(l dataset.Line, format string)
	count = func(l dataset.Line, format string) {
		switch l.DocumentType {
		case "email":
			for _, a := range l.Attachments {
				ext := strings.TrimPrefix(path.Ext(a.Name), ".")
				if a.Name == pipeline.BodyPartName {
					ext = "body"
				}
				count(a, "eml:"+ext)
			}
			return
		case "refused":
			refusals[l.Refusal]++
		}
		docs[l.DocumentType+"/"+format]++
		for _, c := range l.ExpectedIssues {
			codes[c]++
		}
	}
	for _, it := range items {
		format := ""
		if len(it.line.Tags) > 0 {
			format = it.line.Tags[0]
		}
		count(it.line, format)
		for _, t := range it.line.Tags {
			tags[t]++
		}
	}
	fmt.Fprintf(&b, "\n## Counts\n\n%d manifest lines.\n", len(items))
	countTable(&b, "Documents (attachments included) by type/format", docs)
	countTable(&b, "Expected rule codes", codes)
	countTable(&b, "Refusal codes", refusals)
	countTable(&b, "Manifest tags", tags)
	return []byte(b.String())
}

func countTable(b *strings.Builder, title string, m map[string]int) {
	fmt.Fprintf(b, "\n### %s\n\n| | count |\n|---|---:|\n", title)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(b, "| `%s` | %d |\n", k, m[k])
	}
}
