package config_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/docflow/docflow/config"
)

func TestS3Settings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		env  map[string]string
		want config.S3
		err  string
	}{
		{name: "off", env: map[string]string{}, want: config.S3{TLS: true}},
		{name: "minio over http", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "http://minio:9000/", "DOCFLOW_S3_BUCKET": "docflow",
			"DOCFLOW_S3_ACCESS_KEY": "ak", "DOCFLOW_S3_SECRET_KEY": "s3cr3t-value"},
			want: config.S3{Endpoint: "minio:9000", Bucket: "docflow", AccessKey: "ak", SecretKey: "s3cr3t-value"}},
		{name: "aws with a role", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "s3.eu-west-3.amazonaws.com", "DOCFLOW_S3_BUCKET": "b", "DOCFLOW_S3_REGION": "eu-west-3"},
			want: config.S3{Endpoint: "s3.eu-west-3.amazonaws.com", Bucket: "b", Region: "eu-west-3", TLS: true}},
		{name: "explicit tls wins", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "http://garage:3900", "DOCFLOW_S3_BUCKET": "b", "DOCFLOW_S3_TLS": "true"},
			want: config.S3{Endpoint: "garage:3900", Bucket: "b", TLS: true}},
		{name: "no bucket", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "minio:9000"}, err: "DOCFLOW_S3_BUCKET must name"},
		{name: "half the credentials", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "minio:9000", "DOCFLOW_S3_BUCKET": "b", "DOCFLOW_S3_ACCESS_KEY": "ak"}, err: "go together"},
		{name: "bucket without endpoint", env: map[string]string{"DOCFLOW_S3_BUCKET": "b"}, err: "DOCFLOW_S3_ENDPOINT must be set"},
		{name: "a path", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "minio:9000/docflow", "DOCFLOW_S3_BUCKET": "b"}, err: "without a path"},
		{name: "bad tls", env: map[string]string{"DOCFLOW_S3_ENDPOINT": "minio:9000", "DOCFLOW_S3_BUCKET": "b", "DOCFLOW_S3_TLS": "maybe"}, err: "DOCFLOW_S3_TLS must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil || cfg.S3 != c.want {
				t.Fatalf("S3 = %+v, %v; want %+v", cfg.S3, err, c.want)
			}
			var out bytes.Buffer
			cfg.Dump(&out)
			if cfg.S3.SecretKey != "" && strings.Contains(out.String(), cfg.S3.SecretKey) {
				t.Error("Dump prints the S3 secret key")
			}
		})
	}
}

func TestRiverUITenant(t *testing.T) {
	t.Parallel()
	const id = "4f877a52-ca95-45fe-b9a2-a2984c8d968b"
	cfg, err := config.FromLookup(func(k string) (string, bool) { return id, k == "DOCFLOW_RIVERUI_TENANT" })
	if err != nil || cfg.RiverUITenant != id {
		t.Errorf("RiverUITenant = %q, %v", cfg.RiverUITenant, err)
	}
	if _, err := config.FromLookup(func(k string) (string, bool) { return "ops", k == "DOCFLOW_RIVERUI_TENANT" }); err == nil {
		t.Error("a tenant that is not an id was taken")
	}
}
