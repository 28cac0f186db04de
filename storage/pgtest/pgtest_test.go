package pgtest_test

import (
	"context"
	"testing"

	"github.com/docflow/docflow/storage/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestRestartKeepsData starts a private server, writes a row with the
// vector extension, restarts it and reads the row back.
func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	s := pgtest.Start(t)
	url := s.CreateDatabase("probe")
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE EXTENSION vector; CREATE TABLE t (v vector(3)); INSERT INTO t VALUES ('[1,2,3]')")
	s.Stop()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("the stopped server still answers")
	}
	s.Restart()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the restart: %d rows, %v", n, err)
	}
}
