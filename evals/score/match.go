package score

import (
	"path/filepath"
	"strings"

	"github.com/docflow/docflow/evals/dataset"
)

// matcher finds the result for a manifest line as score-extract does: by
// the result's path relative to the dataset, or else by its trailing path
// components ("/runs/x/contracts/c-1.pdf" answers "contracts/c-1.pdf").
//
// Where score-extract keeps only the last result for a file, the matcher
// pairs results with lines by position when the manifest lists a file
// several times (a timesheet sent again, say): the lines that resolve to a
// file take its last results, as many as there are lines, in order. So the
// runner's results, one per line in manifest order, are each scored
// against their own line, and a file listed once still takes its last
// result, as in score-extract. When a file has fewer results than lines,
// the lines left over take its last result.
type matcher struct {
	results []Result
	byKey   map[string][]int  // the results with that key, in order
	byTail  map[string]string // the first key, in order, with that tail
	next    map[string]int    // the index in byKey[k] of the next line's result
	used    []bool
}

func newMatcher(lines []dataset.Line, results []Result, datasetDir string) *matcher {
	m := &matcher{results: results, byKey: map[string][]int{}, byTail: map[string]string{},
		next: map[string]int{}, used: make([]bool, len(results))}
	if datasetDir != "" {
		if abs, err := filepath.Abs(datasetDir); err == nil {
			datasetDir = abs
		}
	}
	var order []string
	for i, r := range results {
		if r.File == "" {
			continue
		}
		k := resultKey(r.File, datasetDir)
		if _, seen := m.byKey[k]; !seen {
			order = append(order, k)
		}
		m.byKey[k] = append(m.byKey[k], i)
	}
	for _, k := range order {
		parts := strings.Split(k, string(filepath.Separator))
		for i := range parts {
			tail := strings.Join(parts[i:], string(filepath.Separator))
			if _, ok := m.byTail[tail]; !ok {
				m.byTail[tail] = k
			}
		}
	}
	// The lines of a key start on its last results, one per line.
	count := map[string]int{}
	for _, l := range lines {
		if k, ok := m.key(l.File); ok {
			count[k]++
		}
	}
	for k, n := range count {
		m.next[k] = max(0, len(m.byKey[k])-n)
	}
	return m
}

// resultKey is a result's path, cleaned, and relative to datasetDir when it
// is an absolute path inside it.
func resultKey(file, datasetDir string) string {
	p := filepath.Clean(file)
	if filepath.IsAbs(p) && datasetDir != "" {
		if rel, err := filepath.Rel(datasetDir, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

// key is the results' key that a line's file resolves to.
func (m *matcher) key(file string) (string, bool) {
	f := filepath.Clean(file)
	if _, ok := m.byKey[f]; ok {
		return f, true
	}
	k, ok := m.byTail[f]
	return k, ok
}

// find returns the result for the next line with file, or nil. Lines must
// be asked for in manifest order.
func (m *matcher) find(file string) *Result {
	k, ok := m.key(file)
	if !ok {
		return nil
	}
	rs := m.byKey[k]
	j := min(m.next[k], len(rs)-1)
	m.next[k]++
	i := rs[j]
	m.used[i] = true
	return &m.results[i]
}

// unused lists the files of the results that find never returned.
func (m *matcher) unused() []string {
	var out []string
	for i, r := range m.results {
		if !m.used[i] {
			out = append(out, r.File)
		}
	}
	return out
}
