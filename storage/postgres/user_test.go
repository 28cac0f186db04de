package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

func TestUsersAndSessions(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t)
	s := postgres.New(pool, nil)
	ctx := context.Background()
	tn, err := s.CreateTenant(ctx, "Agence U")
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := account.HashPassword("a long enough password")
	u, err := s.CreateUser(ctx, account.User{TenantID: tn.ID, Email: " Claire@Example.fr", Name: "Claire", Role: pipeline.RoleReviewer, PasswordHash: hash})
	if err != nil || u.ID == "" || u.Email != "claire@example.fr" {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	if _, err := s.CreateUser(ctx, account.User{TenantID: tn.ID, Email: "CLAIRE@example.fr", Name: "C", Role: pipeline.RoleAdmin, PasswordHash: hash}); !errors.Is(err, derrors.Conflict) {
		t.Errorf("same email twice in a tenant: %v, want conflict", err)
	}
	if _, err := s.CreateUser(ctx, account.User{TenantID: "00000000-0000-0000-0000-000000000000", Email: "x@example.fr", Name: "X", Role: pipeline.RoleAdmin, PasswordHash: hash}); !errors.Is(err, derrors.NotFound) {
		t.Errorf("user of a missing tenant: %v, want not found", err)
	}
	if _, err := s.CreateUser(ctx, account.User{TenantID: tn.ID, Email: "x@example.fr", Name: "X", Role: "owner", PasswordHash: hash}); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("unknown role: %v, want invalid argument", err)
	}
	found, err := s.UsersByEmail(ctx, "claire@EXAMPLE.fr")
	if err != nil || len(found) != 1 || found[0].ID != u.ID || found[0].PasswordHash != hash {
		t.Fatalf("UsersByEmail = %+v, %v", found, err)
	}

	now := time.Now()
	sess, token := account.NewSession(u, now, time.Hour)
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, gu, err := s.TouchSession(ctx, account.SessionID(token), now.Add(time.Minute), 10*time.Minute)
	if err != nil || gu.ID != u.ID || got.CSRFToken != sess.CSRFToken || got.TenantID != tn.ID {
		t.Fatalf("TouchSession = %+v %+v %v", got, gu, err)
	}
	// Looked at without a touch (a background refresh): live, but the
	// idle time still counts from the last touch.
	if _, gu, err := s.Session(ctx, sess.ID, now.Add(9*time.Minute), 10*time.Minute); err != nil || gu.ID != u.ID {
		t.Fatalf("Session = %+v %v", gu, err)
	}
	// Idle for longer than allowed since the last touch.
	if _, _, err := s.Session(ctx, sess.ID, now.Add(12*time.Minute), 10*time.Minute); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("idle session looked at: %v, want unauthenticated", err)
	}
	if _, _, err := s.TouchSession(ctx, sess.ID, now.Add(12*time.Minute), 10*time.Minute); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("idle session: %v, want unauthenticated", err)
	}
	// Past the absolute expiry, though seen recently.
	if _, _, err := s.TouchSession(ctx, sess.ID, now.Add(70*time.Minute), 2*time.Hour); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("expired session: %v, want unauthenticated", err)
	}
	if err := s.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.TouchSession(ctx, sess.ID, now.Add(2*time.Minute), time.Hour); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("deleted session: %v, want unauthenticated", err)
	}
	if _, err := pool.Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if found, _ := s.UsersByEmail(ctx, "claire@example.fr"); len(found) != 0 {
		t.Errorf("a disabled user is found for sign-in: %+v", found)
	}
	all, err := s.TenantUsers(ctx, tn.ID)
	if err != nil || len(all) != 1 || all[0].DisabledAt == nil {
		t.Errorf("TenantUsers = %+v, %v", all, err)
	}
}

func TestSSOUser(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t)
	s := postgres.New(pool, nil)
	ctx := context.Background()
	tn, err := s.CreateTenant(ctx, "Agence SSO")
	if err != nil {
		t.Fatal(err)
	}
	const issuer = "https://idp.example"
	rita := account.Identity{Issuer: issuer, Subject: "rita-1", TenantID: tn.ID, Role: pipeline.RoleReviewer,
		Email: "Rita@Example.fr", EmailVerified: true, Name: "Rita Relue"}
	u, err := s.SSOUser(ctx, rita)
	if err != nil || u.ID == "" || !u.SSO() || u.PasswordHash != "" || u.Email != "rita@example.fr" || u.Role != pipeline.RoleReviewer {
		t.Fatalf("first SSOUser = %+v, %v", u, err)
	}
	// The provider is the source of truth: the next sign-in brings a new role and name.
	rita.Role, rita.Name = pipeline.RoleAdmin, "Rita Relue-Admin"
	again, err := s.SSOUser(ctx, rita)
	if err != nil || again.ID != u.ID || again.Role != pipeline.RoleAdmin || again.Name != "Rita Relue-Admin" {
		t.Fatalf("second SSOUser = %+v, %v; want the same user with the new role", again, err)
	}
	// A single sign-on user has no password to sign in with locally.
	if found, _ := s.UsersByEmail(ctx, "rita@example.fr"); len(found) != 1 || found[0].PasswordHash != "" || found[0].SSOSubject != "rita-1" {
		t.Errorf("UsersByEmail = %+v", found)
	}

	// A local account of the same email is taken over only when the provider verified the email.
	hash, _ := account.HashPassword("a long enough password")
	local, err := s.CreateUser(ctx, account.User{TenantID: tn.ID, Email: "bob@example.fr", Name: "Bob", Role: pipeline.RoleUploader, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	bob := account.Identity{Issuer: issuer, Subject: "bob-1", TenantID: tn.ID, Role: pipeline.RoleReviewer, Email: "bob@example.fr", Name: "Bob"}
	if _, err := s.SSOUser(ctx, bob); !errors.Is(err, derrors.Conflict) {
		t.Errorf("unverified email of a local account: %v, want conflict", err)
	}
	bob.EmailVerified = true
	linked, err := s.SSOUser(ctx, bob)
	if err != nil || linked.ID != local.ID || linked.PasswordHash != "" || linked.SSOSubject != "bob-1" || linked.Role != pipeline.RoleReviewer {
		t.Errorf("verified email of a local account: %+v, %v; want it linked, without its password", linked, err)
	}
	// Another identity cannot take an email bound to a first one.
	imposter := rita
	imposter.Subject = "rita-2"
	if _, err := s.SSOUser(ctx, imposter); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second identity with the same email: %v, want conflict", err)
	}

	for _, missing := range []string{"00000000-0000-0000-0000-000000000000", "acme"} {
		other := rita
		other.TenantID = missing
		if _, err := s.SSOUser(ctx, other); !errors.Is(err, derrors.NotFound) {
			t.Errorf("tenant %q: %v, want not found", missing, err)
		}
	}
	if _, err := s.SSOUser(ctx, account.Identity{Issuer: issuer, Subject: "x", TenantID: tn.ID, Role: "owner", Email: "x@example.fr"}); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("unknown role: %v, want invalid argument", err)
	}
	if _, err := pool.Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SSOUser(ctx, rita); !errors.Is(err, derrors.Forbidden) {
		t.Errorf("disabled user: %v, want forbidden", err)
	}
	// The schema holds every user to a password or an identity.
	if _, err := pool.Exec(ctx, `INSERT INTO users (id, tenant_id, email, name, role, password_hash)
		VALUES (gen_random_uuid(), $1, 'nobody@example.fr', 'N', 'reviewer', '')`, tn.ID); err == nil {
		t.Error("a user without password nor identity was stored")
	}
}
