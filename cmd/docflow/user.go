package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/pipeline"
)

// passwordInput is where user create reads the password; tests replace it.
var passwordInput io.Reader = os.Stdin

const userUsage = "usage: docflow user create --tenant ID --email E --name N --role uploader|reviewer|admin|auditor [--json] < password"

// userCmd: docflow user create --tenant ID --email E --name N --role R
// [--json] [--password-stdin], the password read from standard input.
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "create" {
		return errors.New(userUsage)
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "the tenant's id")
	email := fs.String("email", "", "the email address the person signs in with")
	name := fs.String("name", "", "the person's name, as the desk shows it")
	role := fs.String("role", "", "uploader, reviewer, admin or auditor")
	asJSON := fs.Bool("json", false, "print the user as JSON")
	fs.Bool("password-stdin", true, "read the password from standard input (always)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" || *email == "" || *name == "" || !pipeline.ValidRole(pipeline.Role(*role)) {
		return errors.New(userUsage)
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	a, err := openAdmin(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.store.CreateUser(ctx, account.User{TenantID: *tenant, Email: *email, Name: *name,
		Role: pipeline.Role(*role), PasswordHash: hash})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{"id": u.ID, "email": u.Email, "tenant_id": u.TenantID, "role": string(u.Role)})
	}
	fmt.Fprintf(stdout, "user %s (%s, %s) created in tenant %s: %s\n", u.Email, u.Name, u.Role, u.TenantID, u.ID)
	return nil
}

// readPassword reads the first line of r, without its line end.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("give the password on standard input, e.g. printf '%s\\n' \"$PASSWORD\" | docflow user create ...")
	}
	return line, nil
}
