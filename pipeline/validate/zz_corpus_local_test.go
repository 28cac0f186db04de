package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZZCorpusLocal(t *testing.T) {
	dir := os.Getenv("VX_TEXT")
	if dir == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, fn := range files {
		b, _ := os.ReadFile(fn)
		f, ok := detectInjection(string(b))
		inj := strings.HasPrefix(filepath.Base(fn), "INJ_")
		if ok != inj || f.score > 0 {
			t.Logf("%v inj=%v score=%.2f fam=%v %q", ok, inj, f.score, f.families, f.excerpt)
		}
	}
}
