// Command docflow runs the docflow service and its tools:
//
//	docflow serve [--api-only | --workers-only] [--migrate] [--demo]
//	docflow migrate
//	docflow tenant create NAME [--json]
//	docflow apikey create --tenant ID --role uploader|reviewer|admin [--json]
//	docflow user create --tenant ID --email E --name N --role R [--json] < password
//	docflow extract [--json] FILE...
//	docflow eval --dataset DIR [--config rules|llm|crosscheck] [--baseline R.json] [--compare A,B] ...
//	docflow eval export-corrections --tenant ID --dir DIR
//	docflow replay --dataset DIR --uploader-key K --reviewer-key K [--url URL]
//	docflow dataset export --tenant ID --dir DIR
//	docflow summaries rebuild [--tenant ID]
//	docflow keys rotate-master | rotate-tenant --tenant ID [--reencrypt] | reencrypt | retire | list
//
// Settings come from the environment (see package config).
package main

import (
	"context"
	"fmt"
	"github.com/docflow/docflow/redact"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  docflow serve [--api-only | --workers-only] [--migrate] [--demo]
  docflow migrate
  docflow tenant create NAME [--json]
  docflow apikey create --tenant ID --role uploader|reviewer|admin [--json]
  docflow extract [--json] FILE...
  docflow eval --dataset DIR [--config rules|llm|crosscheck] [--baseline R.json] [--compare A,B] ...
  docflow eval export-corrections --tenant ID --dir DIR
  docflow replay --dataset DIR --uploader-key K --reviewer-key K [--url URL]
  docflow dataset export --tenant ID --dir DIR
  docflow summaries rebuild [--tenant ID]
  docflow keys rotate-master | rotate-tenant --tenant ID [--reencrypt] | reencrypt | retire | list
`

func main() {
	// Logs are JSON lines, with personal data and secrets redacted.
	slog.SetDefault(slog.New(redact.NewHandler(slog.NewJSONHandler(os.Stderr, nil))))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "docflow:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, stdout)
	case "tenant":
		return tenantCmd(ctx, rest, stdout)
	case "apikey":
		return apikeyCmd(ctx, rest, stdout)
	case "user":
		return userCmd(ctx, rest, passwordInput, stdout)
	case "extract":
		return extract(ctx, rest, stdout, stderr)
	case "summaries":
		return summariesCmd(ctx, rest, stdout)
	case "dataset":
		return datasetCmd(ctx, rest, stdout)
	case "eval":
		return evalCmd(ctx, rest, stdout, stderr)
	case "replay":
		return replay(ctx, rest, stdout, stderr)
	case "keys":
		return keysCmd(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
