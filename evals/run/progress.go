package run

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a text progress bar: redrawn in place (\r) on a
// terminal, at most ten times a second; elsewhere (a CI log) one line at
// each tenth of the way.
type progress struct {
	w     io.Writer
	tty   bool
	total int
	start time.Time

	mu     sync.Mutex
	done   int
	failed int
	drawn  time.Time
	tenths int
}

// barWidth is the bar's width in characters.
const barWidth = 30

// newProgress returns a bar for total documents on w, nil when w is nil.
func newProgress(w io.Writer, total int) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, tty: isTerminal(w), total: total, start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// add counts one finished document.
func (p *progress) add(failed bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	now := time.Now()
	switch {
	case p.tty && (now.Sub(p.drawn) >= 100*time.Millisecond || p.done == p.total):
		p.drawn = now
		fmt.Fprintf(p.w, "\r%s", p.line(now))
	case !p.tty && p.done*10/max(p.total, 1) > p.tenths:
		p.tenths = p.done * 10 / max(p.total, 1)
		fmt.Fprintln(p.w, p.line(now))
	}
}

// finish ends the bar's line on a terminal.
func (p *progress) finish() {
	if p == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%s\n", p.line(time.Now()))
}

// line renders the bar: [=========>          ]  23/50 documents  1 failed  4s
func (p *progress) line(now time.Time) string {
	filled := barWidth
	if p.total > 0 {
		filled = p.done * barWidth / p.total
	}
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	s := fmt.Sprintf("[%s] %*d/%d documents", bar, len(fmt.Sprint(p.total)), p.done, p.total)
	if p.failed > 0 {
		s += fmt.Sprintf("  %d failed", p.failed)
	}
	return s + fmt.Sprintf("  %s", now.Sub(p.start).Round(time.Second))
}
