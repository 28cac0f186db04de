// Command vulnfilter reads `govulncheck -format json` on standard input and
// decides: it prints each vulnerability that the code calls, and exits 3
// when one of them is in a module (fixed by upgrading it). Called
// vulnerabilities of the standard library are printed but fail only with
// -strict: their fix is a newer Go toolchain, which the project pins.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

type called struct {
	id, module, version, fixed, fn string
}

func main() {
	strict := flag.Bool("strict", false, "fail on called vulnerabilities of the standard library too")
	flag.Parse()
	summaries := map[string]string{}
	found := map[string]called{}
	dec := json.NewDecoder(os.Stdin)
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulnfilter:", err)
			os.Exit(2)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		// A finding whose trace starts at a function is called by our code.
		if f := m.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			t := f.Trace[0]
			found[f.OSV] = called{id: f.OSV, module: t.Module, version: t.Version, fixed: f.FixedVersion, fn: t.Package + "." + t.Function}
		}
	}
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	modules, stdlib := 0, 0
	for _, id := range ids {
		c := found[id]
		kind := "module"
		if c.module == "stdlib" {
			kind = "standard library (needs a newer Go)"
			stdlib++
		} else {
			modules++
		}
		fmt.Printf("%s  %s@%s, fixed in %s  [%s]\n    %s\n    called: %s\n", c.id, c.module, c.version, c.fixed, kind, summaries[c.id], c.fn)
	}
	fmt.Printf("govulncheck: %d called vulnerabilities in modules, %d in the standard library\n", modules, stdlib)
	if modules > 0 || (*strict && stdlib > 0) {
		os.Exit(3)
	}
}
