package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	ok := fstest.MapFS{
		"m/0002_b.up.sql":   {Data: []byte("B")},
		"m/0001_a.up.sql":   {Data: []byte("A")},
		"m/0001_a.down.sql": {Data: []byte("-A")},
	}
	ms, err := Load(ok, "m")
	if err != nil || len(ms) != 2 || ms[0].Up != "A" || ms[1].Version != 2 {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"duplicate": {"m/0001_a.up.sql": {}, "m/0001_b.up.sql": {}},
		"gap":       {"m/0001_a.up.sql": {}, "m/0003_c.up.sql": {}},
		"bad name":  {"m/1_a.sql": {}},
	} {
		if _, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
}
