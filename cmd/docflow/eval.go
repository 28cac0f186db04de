package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/evals/cassette"
	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/gate"
	"github.com/docflow/docflow/evals/report"
	evalrun "github.com/docflow/docflow/evals/run"
	"github.com/docflow/docflow/evals/score"
	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/prompts"
)

const evalUsage = `usage:
  docflow eval --dataset DIR [--config rules|llm|crosscheck] [--cassettes DIR] [--record]
               [--results FILE] [--json FILE] [--md FILE] [--html FILE]
               [--baseline REPORT.json] [--tolerance 0.02] [--cost-tolerance 0.10]
  docflow eval --dataset DIR --compare A,B [--json FILE] [--md FILE]
  docflow eval export-corrections --tenant ID --dir DIR
`

// evalCmd runs the evaluation harness: a dataset through one extractor
// configuration (or two, side by side), scored field by field, written as
// reports, and gated against a baseline.
func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "export-corrections" {
		return datasetCmd(ctx, append([]string{"export"}, args[1:]...), stdout)
	}
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, evalUsage); fs.PrintDefaults() }
	dir := fs.String("dataset", "", "the dataset folder (manifest.jsonl and the documents)")
	conf := fs.String("config", "", "rules, llm (the model alone) or crosscheck (rules and model); default: crosscheck with a model configured, else rules")
	compare := fs.String("compare", "", "two configurations A,B run side by side on the dataset")
	cassettes := fs.String("cassettes", "", "the folder of recorded model answers (default: DATASET/cassettes)")
	record := fs.Bool("record", false, "ask the live model (DOCFLOW_LLM_*) and record its answers; without it, answers are replayed and a missing or stale one is an error")
	model := fs.String("model", "", "the model (default DOCFLOW_LLM_MODEL); needed to replay without a live model configured")
	resultsFile := fs.String("results", "", "score these results (docflow extract --json lines) instead of running")
	saveResults := fs.String("save-results", "", "write the results of the run, one JSON line a document (the shape of docflow extract --json), to this file")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	mdOut := fs.String("md", "", "write the report as Markdown to this file (default: standard output)")
	htmlOut := fs.String("html", "", "write the report as a self-contained HTML page to this file")
	baseline := fs.String("baseline", "", "a JSON report to gate against: exit non-zero on a regression")
	tol := fs.Float64("tolerance", 0.02, "how far a field's accuracy, a rule's recall or the refusal accuracy may drop")
	costTol := fs.Float64("cost-tolerance", 0.10, "how much the mean cost per document may rise, as a share")
	ignoreCross := fs.Bool("ignore-cross-document", false, "leave the cross-document rule codes out of the rule metrics")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "documents analysed at once")
	quiet := fs.Bool("q", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("eval: --dataset is required")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if *model != "" {
		cfg.LLM.Model = *model
	}
	lines, err := dataset.Read(*dir)
	if err != nil {
		return err
	}
	ev := evaluator{cfg: cfg, dir: *dir, lines: lines, cassettes: *cassettes, record: *record, jobs: *jobs, save: *saveResults,
		opts: score.Options{DatasetDir: *dir, IgnoreCrossDocument: *ignoreCross}}
	if ev.cassettes == "" {
		ev.cassettes = filepath.Join(*dir, "cassettes")
	}
	if !*quiet {
		ev.progress = stderr
	}
	if *compare != "" {
		a, b, ok := strings.Cut(*compare, ",")
		if !ok {
			return errors.New("eval: --compare takes two configurations, A,B")
		}
		ra, err := ev.report(ctx, strings.TrimSpace(a), "")
		if err != nil {
			return err
		}
		rb, err := ev.report(ctx, strings.TrimSpace(b), "")
		if err != nil {
			return err
		}
		cmp := report.Compare(ra, rb)
		if *jsonOut != "" {
			if err := writeFile(*jsonOut, cmp.WriteJSON); err != nil {
				return err
			}
		}
		if *mdOut != "" {
			return writeFile(*mdOut, cmp.WriteMarkdown)
		}
		return cmp.WriteMarkdown(stdout)
	}
	rep, err := ev.report(ctx, *conf, *resultsFile)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := writeFile(*jsonOut, rep.WriteJSON); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		base, _ := filepath.Abs(*dir)
		if err := writeFile(*htmlOut, func(w io.Writer) error {
			return rep.WriteHTML(w, report.HTMLOptions{DocBase: "file://" + filepath.ToSlash(base) + "/"})
		}); err != nil {
			return err
		}
	}
	md := func(w io.Writer) error { return rep.WriteMarkdown(w, report.DefaultMaxWrong) }
	if *mdOut != "" {
		if err := writeFile(*mdOut, md); err != nil {
			return err
		}
	} else if err := md(stdout); err != nil {
		return err
	}
	if *baseline == "" {
		return nil
	}
	base, err := report.ReadFile(*baseline)
	if err != nil {
		return err
	}
	th := gate.DefaultThresholds()
	th.Field, th.Recall, th.Precision, th.Refusal, th.Classification, th.CostShare = *tol, *tol, *tol, *tol, *tol, *costTol
	findings := gate.Check(base, rep, th)
	fmt.Fprintf(stderr, "\ngate against %s:\n", *baseline)
	if err := gate.Render(stderr, findings); err != nil {
		return err
	}
	if gate.Failed(findings) {
		return errors.New("eval: the gate failed: a regression beyond tolerance against the baseline")
	}
	return nil
}

// evaluator runs one dataset through extractor configurations.
type evaluator struct {
	cfg       config.Config
	dir       string
	lines     []dataset.Line
	cassettes string
	record    bool
	jobs      int
	progress  io.Writer
	opts      score.Options
	save      string
}

// report runs the dataset through configuration conf (or scores the
// results in resultsFile) and returns its report.
func (ev evaluator) report(ctx context.Context, conf, resultsFile string) (*report.Report, error) {
	abs, _ := filepath.Abs(ev.dir)
	r := report.Run{Dataset: filepath.Base(abs), Date: time.Now().UTC(), Commit: commit(),
		IgnoreCrossDocument: ev.opts.IgnoreCrossDocument}
	var results []score.Result
	if resultsFile != "" {
		f, err := os.Open(resultsFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if results, err = score.ReadResults(f); err != nil {
			return nil, err
		}
		r.Config = "results:" + filepath.Base(resultsFile)
	} else {
		an, err := ev.analyzer(conf)
		if err != nil {
			return nil, err
		}
		if conf == "" {
			conf = "rules"
			if ev.cfg.LLM.Enabled() {
				conf = "crosscheck"
			}
		}
		r.Config, r.Extractor = conf, an.Extractor.Name()
		if conf != "rules" {
			r.Model = ev.cfg.LLM.Model
			r.Prompts = map[string]string{}
			for _, id := range prompts.IDs() {
				if p, err := prompts.Get(id); err == nil {
					r.Prompts[id] = p.Hash
				}
			}
		}
		runner := evalrun.Runner{Analyzer: an, Parallelism: ev.jobs, Progress: ev.progress}
		if results, err = runner.RunLines(ctx, ev.dir, ev.lines); err != nil {
			return nil, err
		}
		if ev.save != "" {
			if err := writeFile(ev.save, func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetEscapeHTML(false)
				for _, r := range results {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return nil, err
			}
		}
	}
	return report.New(r, score.Score(ev.lines, results, ev.opts)), nil
}

// analyzer wires configuration conf: the model's answers go through the
// cassettes, replayed unless recording.
func (ev evaluator) analyzer(conf string) (pipeline.Analyzer, error) {
	cfg := ev.cfg
	switch conf {
	case "rules":
		return rulesAnalyzer(cfg), nil
	case "":
		if !cfg.LLM.Enabled() {
			return rulesAnalyzer(cfg), nil
		}
	case "llm", "crosscheck":
	default:
		return pipeline.Analyzer{}, fmt.Errorf("eval: unknown configuration %q (rules, llm or crosscheck)", conf)
	}
	if cfg.LLM.Model == "" {
		return pipeline.Analyzer{}, errors.New("eval: a model configuration needs DOCFLOW_LLM_MODEL or --model")
	}
	live, err := newBackend(cfg)
	if err != nil {
		return pipeline.Analyzer{}, err
	}
	mode := cassette.Replay
	if ev.record {
		if live == nil {
			return pipeline.Analyzer{}, errors.New("eval: --record needs a live model (DOCFLOW_LLM_BASE_URL)")
		}
		mode = cassette.Record
	} else {
		live = nil // replay never calls the provider, even when one is configured
	}
	backend, err := cassette.New(ev.cassettes, mode, live)
	if err != nil {
		return pipeline.Analyzer{}, err
	}
	if conf == "llm" {
		an := rulesAnalyzer(cfg)
		an.Extractor = modelExtractor(cfg, backend, nil, nil)
		return an, nil
	}
	m := crosscheck.Mode(cfg.LLM.Mode)
	if m == "" {
		m = crosscheck.Mode("fallback")
	}
	return modelAnalyzer(cfg, backend, nil, nil, m), nil
}

// writeFile writes a file through write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// commit is the VCS revision the binary was built from, when known.
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}
