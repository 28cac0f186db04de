// Package pipeline holds docflow's domain types (documents, extracted fields,
// findings, review tasks), the small interfaces that the readers, extractors
// and stores implement, and the stages of the document's journey as plain
// functions: upload, process (read, classify, extract, validate, decide),
// review decisions and commit. It imports nothing else from the project;
// cmd/docflow wires the implementations in.
package pipeline
