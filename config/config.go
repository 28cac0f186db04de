// Package config loads docflow's settings once, from the environment, into
// one struct with defaults that work on a development machine; main passes
// it down explicitly.
package config

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of docflow.
type Config struct {
	// Addr is the HTTP listen address (DOCFLOW_ADDR).
	Addr string
	// PostgresURL locates PostgreSQL (DOCFLOW_POSTGRES_URL).
	PostgresURL string
	// MariaDBDSN locates MariaDB, go-sql-driver syntax (DOCFLOW_MARIADB_DSN).
	MariaDBDSN string
	// DataDir holds stored files (DOCFLOW_DATA_DIR).
	DataDir string
	// MaxUploadBytes bounds an upload (DOCFLOW_MAX_UPLOAD_BYTES).
	MaxUploadBytes int64
	// Workers is how many jobs run at once in this process (DOCFLOW_WORKERS).
	Workers int
	// RescueAfter is when a job without news is taken as stuck and rerun
	// (DOCFLOW_RESCUE_AFTER, a Go duration).
	RescueAfter time.Duration
	// AutoCommitWarnings lets documents with only warnings commit without
	// review (DOCFLOW_AUTO_COMMIT_WARNINGS).
	AutoCommitWarnings bool
}

// Defaults.
const (
	DefaultAddr           = ":8080"
	DefaultPostgresURL    = "postgres://postgres@127.0.0.1:5432/docflow?sslmode=disable"
	DefaultMariaDBDSN     = "root@tcp(127.0.0.1:3306)/docflow?parseTime=true"
	DefaultDataDir        = "data"
	DefaultMaxUploadBytes = 25 << 20
	DefaultWorkers        = 4
	DefaultRescueAfter    = 10 * time.Minute
)

// Load reads the configuration from the environment.
func Load() (Config, error) {
	return FromLookup(os.LookupEnv)
}

// FromLookup reads the configuration through lookup (os.LookupEnv in Load).
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(name, def string) string {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var errs []string
	num := func(name string, def int64) int64 {
		v := get(name, strconv.FormatInt(def, 10))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s must be a whole number, not %q", name, v))
		}
		return n
	}
	c := Config{
		Addr:           get("DOCFLOW_ADDR", DefaultAddr),
		PostgresURL:    get("DOCFLOW_POSTGRES_URL", DefaultPostgresURL),
		MariaDBDSN:     get("DOCFLOW_MARIADB_DSN", DefaultMariaDBDSN),
		DataDir:        get("DOCFLOW_DATA_DIR", DefaultDataDir),
		MaxUploadBytes: num("DOCFLOW_MAX_UPLOAD_BYTES", DefaultMaxUploadBytes),
		Workers:        int(num("DOCFLOW_WORKERS", DefaultWorkers)),
	}
	rescue := get("DOCFLOW_RESCUE_AFTER", DefaultRescueAfter.String())
	d, err := time.ParseDuration(rescue)
	if err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_RESCUE_AFTER must be a duration such as 10m, not %q", rescue))
	}
	c.RescueAfter = d
	auto := get("DOCFLOW_AUTO_COMMIT_WARNINGS", "false")
	if c.AutoCommitWarnings, err = strconv.ParseBool(auto); err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_AUTO_COMMIT_WARNINGS must be true or false, not %q", auto))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return c, c.Validate()
}

// Validate checks the rules that settings must follow.
func (c Config) Validate() error {
	switch {
	case c.MaxUploadBytes < 1:
		return fmt.Errorf("config: DOCFLOW_MAX_UPLOAD_BYTES must be at least 1")
	case c.Workers < 0:
		return fmt.Errorf("config: DOCFLOW_WORKERS must not be negative")
	case c.RescueAfter < time.Second:
		return fmt.Errorf("config: DOCFLOW_RESCUE_AFTER must be at least 1s")
	}
	return nil
}

// Dump writes the settings, with passwords hidden, for the start-up log.
func (c Config) Dump(w io.Writer) {
	fmt.Fprintf(w, "config: addr=%s postgres=%s mariadb=%s data_dir=%s max_upload_bytes=%d workers=%d rescue_after=%s auto_commit_warnings=%t\n",
		c.Addr, redact(c.PostgresURL), redact(c.MariaDBDSN), c.DataDir, c.MaxUploadBytes, c.Workers, c.RescueAfter, c.AutoCommitWarnings)
}

// redact hides the password of a URL or DSN ("user:secret@...").
func redact(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	head := s[:at]
	start := strings.Index(head, "://") + 3
	if start < 3 {
		start = 0
	}
	if colon := strings.Index(head[start:], ":"); colon >= 0 {
		return head[:start+colon] + ":***" + s[at:]
	}
	return s
}
