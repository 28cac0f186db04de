// Package config loads docflow's settings once, from the environment, into
// one struct with defaults that work on a development machine; main passes
// it down explicitly.
package config

import (
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
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
	// OutageMaxAge is how long a job waits out an outage of PostgreSQL or
	// MariaDB (snoozed, spending no attempt) before its document is marked
	// failed (DOCFLOW_OUTAGE_MAX_AGE, a Go duration; default 24h).
	OutageMaxAge time.Duration
	// AutoCommitWarnings lets documents with only warnings commit without
	// review (DOCFLOW_AUTO_COMMIT_WARNINGS).
	AutoCommitWarnings bool
	// TLSCert and TLSKey, when set, make the server speak HTTPS
	// (DOCFLOW_TLS_CERT, DOCFLOW_TLS_KEY: PEM files).
	TLSCert, TLSKey string
	// RateLimit bounds the API calls per key and per tenant, per process.
	RateLimit RateLimit
	// SecureCookies marks the review desk's cookies Secure even on plain
	// HTTP, for TLS terminated by a proxy (DOCFLOW_SECURE_COOKIES).
	SecureCookies bool
	// LLM is the model provider; with no base URL, docflow runs on its
	// offline rules extractor alone.
	LLM LLM
	// SMTP receives mail sent to the tenants' inbound addresses.
	SMTP SMTP
	// MasterKey seals the secrets kept in the database (mailbox
	// passwords): 32 bytes in base64 or hex (DOCFLOW_MASTER_KEY). Without
	// it, the key is read from MasterKeyFile, made there on first start.
	MasterKey string
	// MasterKeyFile holds the master key when MasterKey is not set
	// (DOCFLOW_MASTER_KEY_FILE, default DATA_DIR/master.key).
	MasterKeyFile string
	// OldMasterKeys still open secrets sealed before a key rotation
	// (DOCFLOW_OLD_MASTER_KEYS, comma-separated).
	OldMasterKeys []string
	// OIDC is single sign-on to the review desk through an OpenID
	// Connect provider; with no issuer it is off.
	OIDC OIDC
	// Ops are the operators' settings: metrics, traces, shutdown.
	Ops Ops
	// S3, when its endpoint is set, keeps the files in an S3-compatible
	// bucket instead of DataDir/files.
	S3 S3
	// Events tunes the event relay (webhooks, Kafka).
	Events Events
	// RiverUITenant is the operators' tenant: its admins, signed in to the
	// desk, open River UI at /desk/riverui/ (DOCFLOW_RIVERUI_TENANT; unset,
	// River UI is off, since it shows every tenant's jobs).
	RiverUITenant string
}

// Ops configures what operators see of a process and how it stops.
type Ops struct {
	// MetricsAddr, when set, serves /metrics (and /healthz, /readyz) on
	// its own listener, for processes without the API: serve
	// --workers-only (DOCFLOW_METRICS_ADDR, e.g. :9090).
	MetricsAddr string
	// MetricsToken, when set, is the bearer token that a scrape of
	// /metrics must carry (DOCFLOW_METRICS_TOKEN); never printed.
	MetricsToken string
	// OTLPEndpoint, when set, exports traces over OTLP/HTTP to this URL,
	// e.g. http://otel-collector:4318 (DOCFLOW_OTLP_ENDPOINT).
	OTLPEndpoint string
	// ShutdownTimeout bounds the wait for running jobs and requests on
	// SIGTERM before they are cancelled and handed back to the queue
	// (DOCFLOW_SHUTDOWN_TIMEOUT, default 30s).
	ShutdownTimeout time.Duration
	// RequestTimeout bounds an API request's wait for the databases
	// (a pool with no free connection, a server that does not answer):
	// past it the request answers 503 with Retry-After instead of hanging.
	// An upload gets ten times as long, for its body on slow links
	// (DOCFLOW_REQUEST_TIMEOUT, default 30s; 0 turns the bound off).
	RequestTimeout time.Duration
}

// OIDC configures single sign-on through one OpenID Connect provider.
type OIDC struct {
	// Issuer is the provider's issuer URL (DOCFLOW_OIDC_ISSUER).
	Issuer string
	// ClientID and ClientSecret are docflow's registration at the
	// provider (DOCFLOW_OIDC_CLIENT_ID, DOCFLOW_OIDC_CLIENT_SECRET); the
	// secret is never printed.
	ClientID, ClientSecret string
	// RedirectURL is the desk's callback as registered at the provider,
	// https://docflow.example/desk/sso/callback (DOCFLOW_OIDC_REDIRECT_URL).
	RedirectURL string
	// Scopes asked for (DOCFLOW_OIDC_SCOPES, space- or comma-separated,
	// default "openid email profile").
	Scopes []string
	// TenantClaim, RoleClaim, EmailClaim and NameClaim name the claims of
	// the ID token that carry them (DOCFLOW_OIDC_TENANT_CLAIM, default
	// docflow_tenant; DOCFLOW_OIDC_ROLE_CLAIM, default docflow_role;
	// DOCFLOW_OIDC_EMAIL_CLAIM, default email; DOCFLOW_OIDC_NAME_CLAIM,
	// default name).
	TenantClaim, RoleClaim, EmailClaim, NameClaim string
	// TenantMap maps tenant claim values to tenant ids
	// (DOCFLOW_OIDC_TENANT_MAP, "value=tenant-id,..."); when set, other
	// values are refused. Without it the claim holds the tenant id.
	TenantMap map[string]string
	// AllowedTenants, when set, are the only tenants this provider signs
	// people in to (DOCFLOW_OIDC_ALLOWED_TENANTS, comma-separated ids).
	AllowedTenants []string
	// RoleMap maps role claim values (groups) to roles
	// (DOCFLOW_OIDC_ROLE_MAP, "group=role,..."); without it the claim
	// holds the role's name.
	RoleMap map[string]string
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// RateLimit is requests per second with a burst, per API key and per
// tenant (DOCFLOW_RATE_PER_KEY, DOCFLOW_RATE_PER_TENANT; 0 = no limit).
type RateLimit struct {
	PerKey, PerTenant float64
}

// SMTP configures the SMTP receiver; with no address it is off.
type SMTP struct {
	// Addr to listen on, e.g. :2525 (DOCFLOW_SMTP_ADDR).
	Addr string
	// Domain of the inbound addresses, token@domain (DOCFLOW_SMTP_DOMAIN).
	Domain string
	// TLSCert and TLSKey are PEM files offered with STARTTLS
	// (DOCFLOW_SMTP_TLS_CERT, DOCFLOW_SMTP_TLS_KEY).
	TLSCert, TLSKey string
	// Relay is host:port of the SMTP server that sends the answers to
	// senders of unusable mail (DOCFLOW_MAIL_RELAY); none = no answers.
	Relay string
	// ReplyFrom is the answers' sender (DOCFLOW_MAIL_FROM, default
	// docflow@ the inbound domain).
	ReplyFrom string
}

// LLM configures a model provider.
type LLM struct {
	// Provider is openai (any OpenAI-compatible API) or anthropic
	// (through langchaingo) (DOCFLOW_LLM_PROVIDER, default openai).
	Provider string
	// BaseURL of the API, e.g. https://api.openai.com/v1 (DOCFLOW_LLM_BASE_URL).
	BaseURL string
	// APIKey (DOCFLOW_LLM_API_KEY); never printed.
	APIKey string
	// Model name (DOCFLOW_LLM_MODEL).
	Model string
	// Mode is when the model is asked: rules, fallback or always
	// (DOCFLOW_LLM_MODE; default fallback when a provider is set).
	Mode string
	// JSONMode asks for JSON without a schema, for servers without strict
	// structured outputs (DOCFLOW_LLM_JSON_MODE).
	JSONMode bool
	// Timeout bounds one call (DOCFLOW_LLM_TIMEOUT, default 60s).
	Timeout time.Duration
	// MaxWait bounds how long a document that needs the model waits
	// (snoozed) while the provider fails, from its arrival; past it the
	// rules' fields go to review (DOCFLOW_LLM_MAX_WAIT, default 1h; 0 does
	// not wait).
	MaxWait time.Duration
	// Concurrency is how many documents wait on the model at once in this
	// process, in their own queue (DOCFLOW_LLM_CONCURRENCY, default 4).
	Concurrency int
	// Vision sends scanned pages' images to a vision-capable model:
	// off, beside (with the OCR text) or instead (DOCFLOW_LLM_VISION).
	Vision string
	// VisionPages bounds the pages sent as images (DOCFLOW_LLM_VISION_PAGES, default 2).
	VisionPages int
	// InputPrice and OutputPrice are the model's prices in USD per million
	// input and output tokens, for the cost of each run
	// (DOCFLOW_LLM_INPUT_PRICE, DOCFLOW_LLM_OUTPUT_PRICE; 0 = unknown).
	InputPrice, OutputPrice float64
	// EmbeddingsModel, when set, embeds documents through the provider's
	// embeddings API (DOCFLOW_EMBEDDINGS_MODEL); else a local hashing
	// embedder does.
	EmbeddingsModel string
}

// Enabled reports whether a provider is configured.
func (l LLM) Enabled() bool { return l.BaseURL != "" && l.Mode != "rules" }

// Defaults.
const (
	DefaultAddr           = ":8080"
	DefaultPostgresURL    = "postgres://postgres@127.0.0.1:5432/docflow?sslmode=disable"
	DefaultMariaDBDSN     = "root@tcp(127.0.0.1:3306)/docflow?parseTime=true"
	DefaultDataDir        = "data"
	DefaultMaxUploadBytes = 25 << 20
	DefaultWorkers        = 4
	DefaultRescueAfter    = 10 * time.Minute
	DefaultOutageMaxAge   = 24 * time.Hour
	// DefaultShutdownTimeout is how long running jobs get to finish on SIGTERM.
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultRequestTimeout bounds an API request (Ops.RequestTimeout).
	DefaultRequestTimeout = 30 * time.Second
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
	// float reads a finite number of at least 0: NaN and ±Inf, which
	// strconv.ParseFloat accepts, are refused (NaN compares false with
	// everything, so it would slip past every bound check downstream).
	float := func(name, def, want string) float64 {
		v := get(name, def)
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			errs = append(errs, fmt.Sprintf("%s must be %s, not %q", name, want, v))
			return 0
		}
		return f
	}
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
	c.TLSCert, c.TLSKey = get("DOCFLOW_TLS_CERT", ""), get("DOCFLOW_TLS_KEY", "")
	const rate = "a finite number of requests per second (0 = no limit)"
	c.RateLimit.PerKey = float("DOCFLOW_RATE_PER_KEY", "20", rate)
	c.RateLimit.PerTenant = float("DOCFLOW_RATE_PER_TENANT", "50", rate)
	c.MasterKey = get("DOCFLOW_MASTER_KEY", "")
	c.MasterKeyFile = get("DOCFLOW_MASTER_KEY_FILE", filepath.Join(c.DataDir, "master.key"))
	for _, k := range strings.Split(get("DOCFLOW_OLD_MASTER_KEYS", ""), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.OldMasterKeys = append(c.OldMasterKeys, k)
		}
	}
	rescue := get("DOCFLOW_RESCUE_AFTER", DefaultRescueAfter.String())
	d, err := time.ParseDuration(rescue)
	if err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_RESCUE_AFTER must be a duration such as 10m, not %q", rescue))
	}
	c.RescueAfter = d
	outage := get("DOCFLOW_OUTAGE_MAX_AGE", DefaultOutageMaxAge.String())
	if c.OutageMaxAge, err = time.ParseDuration(outage); err != nil || c.OutageMaxAge <= 0 {
		errs = append(errs, fmt.Sprintf("DOCFLOW_OUTAGE_MAX_AGE must be a positive duration such as 24h, not %q", outage))
	}
	auto := get("DOCFLOW_AUTO_COMMIT_WARNINGS", "false")
	if c.AutoCommitWarnings, err = strconv.ParseBool(auto); err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_AUTO_COMMIT_WARNINGS must be true or false, not %q", auto))
	}
	secure := get("DOCFLOW_SECURE_COOKIES", "false")
	if c.SecureCookies, err = strconv.ParseBool(secure); err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_SECURE_COOKIES must be true or false, not %q", secure))
	}
	c.LLM = LLM{Provider: get("DOCFLOW_LLM_PROVIDER", "openai"), BaseURL: get("DOCFLOW_LLM_BASE_URL", ""), APIKey: get("DOCFLOW_LLM_API_KEY", ""),
		Model: get("DOCFLOW_LLM_MODEL", ""), Mode: get("DOCFLOW_LLM_MODE", "fallback"),
		Concurrency: int(num("DOCFLOW_LLM_CONCURRENCY", 4)), EmbeddingsModel: get("DOCFLOW_EMBEDDINGS_MODEL", ""),
		Vision: get("DOCFLOW_LLM_VISION", "off"), VisionPages: int(num("DOCFLOW_LLM_VISION_PAGES", 2))}
	const price = "a finite price in USD per million tokens"
	c.LLM.InputPrice = float("DOCFLOW_LLM_INPUT_PRICE", "0", price)
	c.LLM.OutputPrice = float("DOCFLOW_LLM_OUTPUT_PRICE", "0", price)
	c.SMTP = SMTP{Addr: get("DOCFLOW_SMTP_ADDR", ""), Domain: get("DOCFLOW_SMTP_DOMAIN", "in.docflow.localhost"),
		TLSCert: get("DOCFLOW_SMTP_TLS_CERT", ""), TLSKey: get("DOCFLOW_SMTP_TLS_KEY", ""), Relay: get("DOCFLOW_MAIL_RELAY", "")}
	c.SMTP.ReplyFrom = get("DOCFLOW_MAIL_FROM", "docflow@"+c.SMTP.Domain)
	jm := get("DOCFLOW_LLM_JSON_MODE", "false")
	if c.LLM.JSONMode, err = strconv.ParseBool(jm); err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_LLM_JSON_MODE must be true or false, not %q", jm))
	}
	lt := get("DOCFLOW_LLM_TIMEOUT", "60s")
	if c.LLM.Timeout, err = time.ParseDuration(lt); err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_LLM_TIMEOUT must be a duration such as 60s, not %q", lt))
	}
	mw := get("DOCFLOW_LLM_MAX_WAIT", "1h")
	if c.LLM.MaxWait, err = time.ParseDuration(mw); err != nil || c.LLM.MaxWait < 0 {
		errs = append(errs, fmt.Sprintf("DOCFLOW_LLM_MAX_WAIT must be a duration such as 1h, not %q", mw))
	}
	c.OIDC = loadOIDC(get, &errs)
	c.S3 = loadS3(get, &errs)
	c.Events = loadEvents(get, &errs)
	if c.RiverUITenant = get("DOCFLOW_RIVERUI_TENANT", ""); c.RiverUITenant != "" && uuid.Validate(c.RiverUITenant) != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_RIVERUI_TENANT must be a tenant id, not %q", c.RiverUITenant))
	}
	c.Ops = Ops{MetricsAddr: get("DOCFLOW_METRICS_ADDR", ""), MetricsToken: get("DOCFLOW_METRICS_TOKEN", ""),
		OTLPEndpoint: get("DOCFLOW_OTLP_ENDPOINT", "")}
	st := get("DOCFLOW_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout.String())
	if c.Ops.ShutdownTimeout, err = time.ParseDuration(st); err != nil {
		errs = append(errs, fmt.Sprintf("DOCFLOW_SHUTDOWN_TIMEOUT must be a duration such as 30s, not %q", st))
	}
	rt := get("DOCFLOW_REQUEST_TIMEOUT", DefaultRequestTimeout.String())
	if c.Ops.RequestTimeout, err = time.ParseDuration(rt); err != nil || c.Ops.RequestTimeout < 0 {
		errs = append(errs, fmt.Sprintf("DOCFLOW_REQUEST_TIMEOUT must be a duration such as 30s (0: no bound), not %q", rt))
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
	case c.LLM.Mode != "rules" && c.LLM.Mode != "fallback" && c.LLM.Mode != "always":
		return fmt.Errorf("config: DOCFLOW_LLM_MODE must be rules, fallback or always, not %q", c.LLM.Mode)
	case (c.SMTP.TLSCert == "") != (c.SMTP.TLSKey == ""):
		return fmt.Errorf("config: DOCFLOW_SMTP_TLS_CERT and DOCFLOW_SMTP_TLS_KEY go together")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("config: DOCFLOW_TLS_CERT and DOCFLOW_TLS_KEY go together")
	case c.LLM.Provider != "openai" && c.LLM.Provider != "anthropic":
		return fmt.Errorf("config: DOCFLOW_LLM_PROVIDER must be openai or anthropic, not %q", c.LLM.Provider)
	case c.LLM.Vision != "off" && c.LLM.Vision != "beside" && c.LLM.Vision != "instead":
		return fmt.Errorf("config: DOCFLOW_LLM_VISION must be off, beside or instead, not %q", c.LLM.Vision)
	case c.LLM.VisionPages < 1 || c.LLM.VisionPages > 20:
		return fmt.Errorf("config: DOCFLOW_LLM_VISION_PAGES must be 1 to 20")
	case c.LLM.Concurrency < 1:
		return fmt.Errorf("config: DOCFLOW_LLM_CONCURRENCY must be at least 1")
	case c.Ops.ShutdownTimeout < 0:
		return fmt.Errorf("config: DOCFLOW_SHUTDOWN_TIMEOUT must not be negative")
	case c.LLM.BaseURL != "" && c.LLM.Model == "":
		return fmt.Errorf("config: DOCFLOW_LLM_MODEL must name the model when DOCFLOW_LLM_BASE_URL is set")
	}
	return c.OIDC.validate()
}

// loadOIDC reads the DOCFLOW_OIDC_* settings; malformed maps add to errs.
func loadOIDC(get func(name, def string) string, errs *[]string) OIDC {
	o := OIDC{Issuer: get("DOCFLOW_OIDC_ISSUER", ""), ClientID: get("DOCFLOW_OIDC_CLIENT_ID", ""),
		ClientSecret: get("DOCFLOW_OIDC_CLIENT_SECRET", ""), RedirectURL: get("DOCFLOW_OIDC_REDIRECT_URL", ""),
		Scopes:      strings.FieldsFunc(get("DOCFLOW_OIDC_SCOPES", "openid email profile"), func(r rune) bool { return r == ' ' || r == ',' }),
		TenantClaim: get("DOCFLOW_OIDC_TENANT_CLAIM", "docflow_tenant"), RoleClaim: get("DOCFLOW_OIDC_ROLE_CLAIM", "docflow_role"),
		EmailClaim: get("DOCFLOW_OIDC_EMAIL_CLAIM", "email"), NameClaim: get("DOCFLOW_OIDC_NAME_CLAIM", "name")}
	for _, t := range strings.Split(get("DOCFLOW_OIDC_ALLOWED_TENANTS", ""), ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.AllowedTenants = append(o.AllowedTenants, t)
		}
	}
	for name, dst := range map[string]*map[string]string{"DOCFLOW_OIDC_TENANT_MAP": &o.TenantMap, "DOCFLOW_OIDC_ROLE_MAP": &o.RoleMap} {
		m, err := parseMap(get(name, ""))
		if err != nil {
			*errs = append(*errs, fmt.Sprintf("%s %v", name, err))
		}
		*dst = m
	}
	return o
}

// parseMap reads "key=value,key=value"; a key may hold "=" (the last one
// splits), not ",".
func parseMap(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, entry := range strings.Split(s, ",") {
		i := strings.LastIndex(entry, "=")
		k, v := strings.TrimSpace(entry[:max(i, 0)]), strings.TrimSpace(entry[i+1:])
		if i < 0 || k == "" || v == "" {
			return nil, fmt.Errorf("must be key=value pairs separated by commas, not %q", entry)
		}
		m[k] = v
	}
	return m, nil
}

// validate checks the single sign-on settings.
func (o OIDC) validate() error {
	if !o.Enabled() && o.ClientID == "" && o.ClientSecret == "" && o.RedirectURL == "" {
		return nil
	}
	if o.Issuer == "" || o.ClientID == "" || o.ClientSecret == "" || o.RedirectURL == "" {
		return fmt.Errorf("config: DOCFLOW_OIDC_ISSUER, DOCFLOW_OIDC_CLIENT_ID, DOCFLOW_OIDC_CLIENT_SECRET and DOCFLOW_OIDC_REDIRECT_URL go together")
	}
	for name, v := range map[string]string{"DOCFLOW_OIDC_ISSUER": o.Issuer, "DOCFLOW_OIDC_REDIRECT_URL": o.RedirectURL} {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && (u.Scheme != "http" || !loopback(u.Hostname()))) {
			return fmt.Errorf("config: %s must be an https URL (http only on localhost), not %q", name, v)
		}
	}
	if u, _ := url.Parse(o.RedirectURL); !strings.HasSuffix(u.Path, "/desk/sso/callback") {
		return fmt.Errorf("config: DOCFLOW_OIDC_REDIRECT_URL must end with /desk/sso/callback, not %q", o.RedirectURL)
	}
	if !slices.Contains(o.Scopes, "openid") {
		return fmt.Errorf("config: DOCFLOW_OIDC_SCOPES must include openid")
	}
	for group, r := range o.RoleMap {
		if !pipeline.ValidRole(pipeline.Role(r)) {
			return fmt.Errorf("config: DOCFLOW_OIDC_ROLE_MAP maps %q to %q, which is not uploader, reviewer, admin or auditor", group, r)
		}
	}
	for _, t := range append(slices.Collect(maps.Values(o.TenantMap)), o.AllowedTenants...) {
		if _, err := uuid.Parse(t); err != nil {
			return fmt.Errorf("config: DOCFLOW_OIDC_TENANT_MAP and DOCFLOW_OIDC_ALLOWED_TENANTS take tenant ids, and %q is not one", t)
		}
	}
	return nil
}

// loopback reports whether host is this machine, where plain HTTP to a
// development provider is allowed.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// Dump writes the settings, with passwords hidden, for the start-up log.
func (c Config) Dump(w io.Writer) {
	fmt.Fprintf(w, "config: addr=%s postgres=%s mariadb=%s data_dir=%s max_upload_bytes=%d workers=%d rescue_after=%s auto_commit_warnings=%t secure_cookies=%t\n",
		c.Addr, redact(c.PostgresURL), redact(c.MariaDBDSN), c.DataDir, c.MaxUploadBytes, c.Workers, c.RescueAfter, c.AutoCommitWarnings, c.SecureCookies)
	fmt.Fprintf(w, "config: metrics_addr=%s metrics_token=%t otlp_endpoint=%s shutdown_timeout=%s\n",
		c.Ops.MetricsAddr, c.Ops.MetricsToken != "", c.Ops.OTLPEndpoint, c.Ops.ShutdownTimeout)
	if o := c.OIDC; o.Enabled() {
		fmt.Fprintf(w, "config: oidc issuer=%s client_id=%s redirect_url=%s scopes=%s tenant_claim=%s role_claim=%s tenant_map=%d role_map=%d allowed_tenants=%d\n",
			o.Issuer, o.ClientID, o.RedirectURL, strings.Join(o.Scopes, ","), o.TenantClaim, o.RoleClaim, len(o.TenantMap), len(o.RoleMap), len(o.AllowedTenants))
	}
	c.S3.dump(w)
	c.Events.dump(w)
}

// redact hides every password that a PostgreSQL URL or keyword/value
// connection string, or a go-sql-driver DSN, can carry: the userinfo's
// password (postgres://user:secret@host, user:secret@tcp(host)/db), a
// password query parameter (postgres://host/db?password=secret) and a
// keyword/value password (host=db password=secret). Each becomes ***; the
// rest is printed as given.
func redact(s string) string {
	if keywordValue(s) {
		return redactKeywordValue(s)
	}
	rest, prefix := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	// The query starts at the first "?" after the path's first "/" (a
	// go-sql-driver password may hold "/" and "?": its DSN ends the
	// userinfo at the last "@" before the last "/").
	query := ""
	if slash := strings.LastIndex(rest, "/"); slash >= 0 {
		if q := strings.Index(rest[slash:], "?"); q >= 0 {
			rest, query = rest[:slash+q], redactQuery(rest[slash+q+1:])
		}
	} else if q := strings.Index(rest, "?"); q >= 0 {
		rest, query = rest[:q], redactQuery(rest[q+1:])
	}
	end := len(rest)
	if prefix != "" {
		// In a URL the authority ends at the first "/".
		if slash := strings.Index(rest, "/"); slash >= 0 {
			end = slash
		}
	} else if slash := strings.LastIndex(rest, "/"); slash >= 0 {
		end = slash
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		if colon := strings.Index(rest[:at], ":"); colon >= 0 {
			rest = rest[:colon] + ":***" + rest[at:]
		}
	}
	if query != "" {
		rest += "?" + query
	}
	return prefix + rest
}

// redactQuery hides the values of password parameters in a URL query,
// keeping the parameters' order and spelling.
func redactQuery(q string) string {
	frag := ""
	if i := strings.Index(q, "#"); i >= 0 {
		q, frag = q[:i], q[i:]
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if strings.EqualFold(strings.TrimSpace(k), "password") {
			parts[i] = p[:strings.Index(p+"=", "=")] + "=***"
		}
	}
	return strings.Join(parts, "&") + frag
}

// keywordValue reports whether s is a libpq keyword/value connection
// string ("host=db user=app password=secret"): it opens with a keyword
// and "=", where a URL or DSN opens with a scheme or user.
func keywordValue(s string) bool {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if i <= 0 {
		return false
	}
	return strings.HasPrefix(strings.TrimLeft(s[i:], " \t"), "=")
}

// redactKeywordValue hides the password of a keyword/value connection
// string, read as libpq (and pgconn) read it: values bare or in single
// quotes, with backslash escapes.
func redactKeywordValue(s string) string {
	var b strings.Builder
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			b.WriteByte(s[i])
			i++
		}
	}
	for {
		skipSpace()
		if i >= len(s) {
			return b.String()
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		key := s[start:i]
		b.WriteString(key)
		skipSpace()
		if i >= len(s) || s[i] != '=' {
			continue // a malformed keyword: pgconn refuses the string
		}
		b.WriteByte('=')
		i++
		skipSpace()
		vstart := i
		if i < len(s) && s[i] == '\'' {
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			i = min(i+1, len(s))
		} else {
			for ; i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			i = min(i, len(s))
		}
		if strings.EqualFold(key, "password") {
			b.WriteString("***")
		} else {
			b.WriteString(s[vstart:i])
		}
	}
}
