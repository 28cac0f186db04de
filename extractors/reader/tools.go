package reader

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/docflow/docflow/derrors"
)

// ErrToolTimeout is wrapped by the error of a read that failed because an
// external program (pdftotext, pdftoppm, tesseract) ran past
// Config.Timeout. Such a read is not refused: the file may be fine, and a
// retry on a less loaded machine may succeed.
// It counts as derrors.Transient, so the queue retries it with backoff.
var ErrToolTimeout = fmt.Errorf("external tool timed out: %w", derrors.Transient)

// toolbox runs the external programs (poppler, tesseract), each bounded by
// the configured timeout. It finds them on PATH once.
type toolbox struct {
	cfg  Config
	once sync.Once
	path map[string]string
	// langs is the tesseract language argument, limited to installed ones.
	langs string
}

func newToolbox(cfg Config) *toolbox { return &toolbox{cfg: cfg} }

func (t *toolbox) init() {
	t.once.Do(func() {
		t.path = map[string]string{}
		for _, name := range []string{"pdftotext", "pdftoppm", "tesseract", "prlimit"} {
			if p, err := exec.LookPath(name); err == nil {
				t.path[name] = p
			}
		}
		if t.path["tesseract"] != "" {
			t.langs = t.tesseractLangs()
		}
	})
}

// has reports whether the named program is installed.
func (t *toolbox) has(name string) bool {
	t.init()
	return t.path[name] != ""
}

// run runs a program with the timeout, feeding stdin, and returns stdout.
func (t *toolbox) run(parent context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	t.init()
	p := t.path[name]
	if p == "" {
		return nil, fmt.Errorf("%s is not installed", name)
	}
	ctx, cancel := context.WithTimeout(parent, t.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, args...)
	if lim := t.path["prlimit"]; lim != "" && t.cfg.MaxToolMemory > 0 {
		// The address-space limit makes a runaway tool fail alone.
		cmd = exec.CommandContext(ctx, lim, append([]string{"--as=" + strconv.FormatInt(t.cfg.MaxToolMemory, 10), "--", p}, args...)...)
	}
	// One OCR thread per call: the workers already use every core.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if parent.Err() != nil {
			return nil, fmt.Errorf("%s: %w", name, parent.Err())
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w after %s", name, ErrToolTimeout, t.cfg.Timeout)
		}
		return nil, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(lastLine(errb.String())))
	}
	return out.Bytes(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// tesseractLangs keeps the configured languages that tesseract has.
func (t *toolbox) tesseractLangs() string {
	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, t.path["tesseract"], "--list-langs").CombinedOutput()
	if err != nil {
		return t.cfg.OCRLanguages
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var keep []string
	for _, l := range strings.Split(t.cfg.OCRLanguages, "+") {
		if have[l] {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return "eng"
	}
	return strings.Join(keep, "+")
}
