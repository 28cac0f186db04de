// Package chaos is docflow's fault-injection suite: real docflow processes
// on real databases, with workers killed, databases stopped, the model
// provider failing, the file store full and the mail server dropping
// connections, each scenario bounded in time and ending with a
// reconciliation of what was sent against what PostgreSQL and MariaDB
// hold, written to docs/chaos/<scenario>.md.
//
// The scenarios are behind the build tag chaos, so that go test ./...
// never runs them: run them with make chaos or scripts/chaos.sh, or
//
//	GOWORK=off go test -tags chaos -run Chaos -v -timeout 60m ./chaos/
//
// CHAOS_DOCS sets the number of documents (1000 by default).
package chaos
