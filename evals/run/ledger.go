package run

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docflow/docflow/pipeline"
)

// ledger holds the contracts that each manifest line committed, and lets a
// line see those of the lines before it only, once they are all analysed,
// whatever order the workers finish in.
type ledger struct {
	mu        sync.Mutex
	contracts [][]pipeline.Contract // by line, once finished
	finished  []bool
	frontier  int             // lines [0, frontier) are finished
	ready     []chan struct{} // ready[i] is closed once lines [0, i) are finished
}

func newLedger(n int) *ledger {
	l := &ledger{contracts: make([][]pipeline.Contract, n), finished: make([]bool, n), ready: make([]chan struct{}, n+1)}
	for i := range l.ready {
		l.ready[i] = make(chan struct{})
	}
	close(l.ready[0])
	return l
}

// finish records what line i committed; it must be called once per line.
func (l *ledger) finish(i int, contracts []pipeline.Contract) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.contracts[i], l.finished[i] = contracts, true
	for l.frontier < len(l.finished) && l.finished[l.frontier] {
		l.frontier++
		close(l.ready[l.frontier])
	}
}

// before waits until lines [0, i) are finished and returns their contracts.
func (l *ledger) before(ctx context.Context, i int) ([][]pipeline.Contract, error) {
	select {
	case <-l.ready[i]:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.contracts[:i], nil
}

// view is the committed-contract lookup of one manifest line: the
// contracts of the lines before it, then those that the line's own
// earlier parts (an email's attachments, in order) committed.
type view struct {
	ledger *ledger
	line   int
	own    []pipeline.Contract // used by the line's goroutine only
	// waited is how long CommittedContract waited for the lines before
	// this one, in nanoseconds: time not spent on this document, which
	// its latency leaves out.
	waited atomic.Int64
}

// wait is how long the line has waited for earlier lines so far.
func (v *view) wait() time.Duration { return time.Duration(v.waited.Load()) }

var _ pipeline.ContractLookup = (*view)(nil)

// CommittedContract returns the latest contract committed before this
// document with the number, compared as pipeline.ContractKey does (as the
// system of record matches them), or nil.
func (v *view) CommittedContract(ctx context.Context, number string) (*pipeline.Contract, error) {
	start := time.Now()
	earlier, err := v.ledger.before(ctx, v.line)
	v.waited.Add(int64(time.Since(start)))
	if err != nil {
		return nil, err
	}
	key := pipeline.ContractKey(number)
	for _, cs := range slices.Backward(append(slices.Clip(earlier), v.own)) {
		for _, c := range slices.Backward(cs) {
			if pipeline.ContractKey(c.ContractNumber) == key {
				return &c, nil
			}
		}
	}
	return nil, nil
}

// commit adds a contract that the line analysed, if it would be committed.
func (v *view) commit(a pipeline.Analysis) {
	if committable(a) {
		v.own = append(v.own, *a.Fields.Contract)
	}
}

// committable reports whether an analysed contract counts as committed for
// the cross-document rules of the documents after it: it must have a
// number and be free of error-level findings and of text aimed at an AI
// system, as a contract that the pipeline commits without a person's
// decision. Contracts held for review are left out, as the shared
// datasets' ground truth assumes ("only those are treated as committed"):
// a timesheet billed against one gets timesheet.unknown_contract.
func committable(a pipeline.Analysis) bool {
	if a.Type != pipeline.TypeContract || a.Fields.Contract == nil || a.Fields.Contract.ContractNumber == "" {
		return false
	}
	return !pipeline.HasErrors(a.Issues) && !slices.ContainsFunc(a.Issues, func(i pipeline.Issue) bool {
		return i.Code == pipeline.CodePromptInjection
	})
}
