package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// S3 locates an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage...)
// that holds the files, sealed as on disk; with no endpoint, files stay
// under DataDir/files.
type S3 struct {
	// Endpoint is the S3 API's host[:port] (DOCFLOW_S3_ENDPOINT); a
	// leading https:// or http:// is accepted and sets TLS.
	Endpoint string
	// Bucket holds the files (DOCFLOW_S3_BUCKET); it must exist.
	Bucket string
	// AccessKey and SecretKey sign the requests (DOCFLOW_S3_ACCESS_KEY,
	// DOCFLOW_S3_SECRET_KEY; the secret is never printed). Both unset,
	// the AWS_*/MINIO_* variables or the machine's IAM role are used.
	AccessKey, SecretKey string
	// Region of the bucket (DOCFLOW_S3_REGION); unset, the endpoint is asked.
	Region string
	// TLS speaks HTTPS to the endpoint (DOCFLOW_S3_TLS, default true).
	TLS bool
}

// Enabled reports whether files are kept in a bucket.
func (s S3) Enabled() bool { return s.Endpoint != "" }

// loadS3 reads the DOCFLOW_S3_* settings, noting what is wrong in errs.
func loadS3(get func(name, def string) string, errs *[]string) S3 {
	s := S3{Endpoint: get("DOCFLOW_S3_ENDPOINT", ""), Bucket: get("DOCFLOW_S3_BUCKET", ""),
		AccessKey: get("DOCFLOW_S3_ACCESS_KEY", ""), SecretKey: get("DOCFLOW_S3_SECRET_KEY", ""),
		Region: get("DOCFLOW_S3_REGION", ""), TLS: true}
	tlsDefault := "true"
	switch {
	case strings.HasPrefix(s.Endpoint, "https://"):
		s.Endpoint = strings.TrimPrefix(s.Endpoint, "https://")
	case strings.HasPrefix(s.Endpoint, "http://"):
		s.Endpoint, tlsDefault = strings.TrimPrefix(s.Endpoint, "http://"), "false"
	}
	s.Endpoint = strings.TrimSuffix(s.Endpoint, "/")
	v := get("DOCFLOW_S3_TLS", tlsDefault)
	var err error
	if s.TLS, err = strconv.ParseBool(v); err != nil {
		*errs = append(*errs, fmt.Sprintf("DOCFLOW_S3_TLS must be true or false, not %q", v))
	}
	if msg := s.validate(); msg != "" {
		*errs = append(*errs, msg)
	}
	return s
}

// validate returns what is wrong with the settings, or "".
func (s S3) validate() string {
	switch {
	case !s.Enabled() && (s.Bucket != "" || s.AccessKey != "" || s.SecretKey != ""):
		return "DOCFLOW_S3_ENDPOINT must be set when other DOCFLOW_S3_ settings are"
	case !s.Enabled():
		return ""
	case strings.Contains(s.Endpoint, "/"):
		return fmt.Sprintf("DOCFLOW_S3_ENDPOINT must be host[:port] without a path, not %q", s.Endpoint)
	case s.Bucket == "":
		return "DOCFLOW_S3_BUCKET must name the bucket when DOCFLOW_S3_ENDPOINT is set"
	case (s.AccessKey == "") != (s.SecretKey == ""):
		return "DOCFLOW_S3_ACCESS_KEY and DOCFLOW_S3_SECRET_KEY go together"
	}
	return ""
}

// dump writes the bucket's settings, without the secret.
func (s S3) dump(w io.Writer) {
	if s.Enabled() {
		fmt.Fprintf(w, "config: s3 endpoint=%s bucket=%s region=%s tls=%t access_key=%s\n",
			s.Endpoint, s.Bucket, s.Region, s.TLS, s.AccessKey)
	}
}
