package account_test

import (
	"strings"
	"testing"

	"github.com/docflow/docflow/account"
)

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h, err := account.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not in PHC argon2id form", h)
	}
	h2, _ := account.HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no random salt")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := account.CheckPassword(h, tc.password)
		if err != nil || ok != tc.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", "$argon2id$v=19$m=0,t=3,p=2$c2FsdA$aGFzaA"} {
		if _, err := account.CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword accepts the malformed hash %q", bad)
		}
	}
	if _, err := account.HashPassword("short"); err == nil {
		t.Error("a 5-character password was accepted")
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	if e, err := account.NormalizeEmail("  Claire.Martin@Example.FR "); err != nil || e != "claire.martin@example.fr" {
		t.Errorf("NormalizeEmail = %q, %v", e, err)
	}
	for _, bad := range []string{"", "claire", "Claire <c@example.fr>"} {
		if _, err := account.NormalizeEmail(bad); err == nil {
			t.Errorf("NormalizeEmail(%q) accepted", bad)
		}
	}
}
