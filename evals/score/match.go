package score

import (
	"path/filepath"
	"strings"
)

// matcher finds the result for a manifest line as score-extract does: by
// the result's path relative to the dataset, or else by its trailing path
// components ("/runs/x/contracts/c-1.pdf" answers "contracts/c-1.pdf").
type matcher struct {
	results []Result
	byKey   map[string]int // the last result with that key
	byTail  map[string]int // the first key, in order, with that tail
	used    []bool
}

func newMatcher(results []Result, datasetDir string) *matcher {
	m := &matcher{results: results, byKey: map[string]int{}, byTail: map[string]int{}, used: make([]bool, len(results))}
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
		m.byKey[k] = i
	}
	for _, k := range order {
		parts := strings.Split(k, string(filepath.Separator))
		for i := range parts {
			tail := strings.Join(parts[i:], string(filepath.Separator))
			if _, ok := m.byTail[tail]; !ok {
				m.byTail[tail] = m.byKey[k]
			}
		}
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

// find returns the result for a line's file, or nil.
func (m *matcher) find(file string) *Result {
	f := filepath.Clean(file)
	i, ok := m.byKey[f]
	if !ok {
		i, ok = m.byTail[f]
	}
	if !ok {
		return nil
	}
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
