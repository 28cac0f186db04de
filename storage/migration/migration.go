// Package migration reads numbered schema migrations from an embedded
// folder, for the PostgreSQL and the MariaDB stores alike: files named
// NNNN_name.up.sql (and .down.sql), numbered from 1 without gaps or
// duplicates.
package migration

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	Up      string
}

var name = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.(up|down)\.sql$`)

// Load returns the up migrations of dir in fsys, in order. It fails on a
// malformed name, a duplicate number or a gap.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	seen := map[int]string{}
	var out []Migration
	for _, e := range entries {
		m := name.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.up.sql or .down.sql", e.Name())
		}
		if m[2] != "up" {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share number %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: e.Name(), Up: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: number %d, want %d (no gaps)", m.Name, m.Version, i+1)
		}
	}
	return out, nil
}
