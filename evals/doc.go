// Package evals is the evaluation harness: it runs datasets of documents
// with their ground truth (package dataset) through the pipeline's own
// stages (package run), with a model's answers recorded and replayed
// (package cassette), and scores the results (packages score, report and
// gate). testdata/dataset is the project's own dataset, written by
// cmd/gendata; regenerate it with go generate after changing the
// generator.
package evals

//go:generate go run ./cmd/gendata -out testdata/dataset
