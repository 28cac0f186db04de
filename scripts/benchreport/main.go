// Command benchreport turns `go test -bench` output (standard input) into
// a Markdown report: the date, the machine, the command, and one table row
// per benchmark with every metric it reported (ns/op, docs/s, p50_ms...).
// `make bench` writes it into docs/benchmarks.md, as the section between
// the markers beginMarker and endMarker (appended when they are missing);
// the rest of that file explains the figures and keeps the findings.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func main() {
	command := flag.String("command", "", "the command that produced the input")
	file := flag.String("file", "docs/benchmarks.md", "the Markdown file whose latest-run section is written")
	flag.Parse()
	type row struct {
		pkg, name, iters string
		metrics          []string
	}
	var rows []row
	var failures []string
	pkg, pending := "", ""
	// figures reads "N <value> <unit> ..." into a row.
	figures := func(name string, f []string) (row, bool) {
		if len(f) < 3 || !isInt(f[0]) || !strings.Contains(strings.Join(f, " "), "/op") {
			return row{}, false
		}
		r := row{pkg: pkg, name: name, iters: f[0]}
		for i := 1; i+1 < len(f); i += 2 {
			r.metrics = append(r.metrics, f[i]+" "+f[i+1])
		}
		return r, true
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		fmt.Println(line) // the raw output stays visible
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "pkg:":
			pkg = f[1]
		case len(f) >= 1 && strings.HasPrefix(f[0], "Benchmark"):
			// Logs written while a benchmark runs come between its name
			// and its figures, which then start a line of their own.
			if r, ok := figures(f[0], f[1:]); ok {
				rows, pending = append(rows, r), ""
			} else {
				pending = f[0]
			}
		case pending != "" && len(f) > 0 && isInt(f[0]):
			if r, ok := figures(pending, f); ok {
				rows, pending = append(rows, r), ""
			}
		case strings.HasPrefix(line, "--- FAIL") || strings.HasPrefix(line, "FAIL"):
			failures = append(failures, line)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Latest run of `make bench`\n\nWritten by `make bench` (scripts/benchreport) on %s; the sections above explain the figures and keep the findings.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "| | |\n|---|---|\n| machine | %s |\n| cores | %d |\n| memory | %s |\n| Go | %s |\n| command | `%s` |\n\n",
		out("uname", "-srm"), runtime.NumCPU(), memTotal(), runtime.Version(), *command)
	b.WriteString("| package | benchmark | runs | figures |\n|---|---|---:|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.TrimPrefix(r.pkg, "github.com/docflow/docflow/"), r.name, r.iters, strings.Join(r.metrics, ", "))
	}
	if len(failures) > 0 {
		b.WriteString("\nFailures:\n\n")
		for _, f := range failures {
			fmt.Fprintf(&b, "    %s\n", f)
		}
	}
	doc, err := os.ReadFile(*file)
	if err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*file, []byte(splice(string(doc), b.String())), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if len(failures) > 0 {
		os.Exit(1)
	}
}

// The markers around the section that benchreport writes.
const (
	beginMarker = "<!-- benchreport: the latest run, written by make bench -->"
	endMarker   = "<!-- /benchreport -->"
)

// splice returns doc with the section between the markers replaced by
// section, or with the markers and section appended when doc has none.
func splice(doc, section string) string {
	block := beginMarker + "\n" + strings.TrimRight(section, "\n") + "\n" + endMarker + "\n"
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc = strings.TrimRight(doc, "\n") + "\n\n"
		}
		return doc + block
	}
	rest := strings.TrimPrefix(doc[j+len(endMarker):], "\n")
	return doc[:i] + block + rest
}

func out(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			var kb int
			fmt.Sscan(f[1], &kb)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "?"
}

func isInt(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
