package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/docflow/docflow/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
)

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

// loadSpec parses and validates api/openapi.yaml once.
func loadSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.FileBodyDecoder)
		specDoc, specErr = openapi3.NewLoader().LoadFromData(api.OpenAPI())
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(context.Background()); specErr != nil {
			return
		}
		specDoc.Servers = nil // match any host, such as httptest's
		specRouter, specErr = gorillamux.NewRouter(specDoc)
	})
	if specErr != nil {
		t.Fatalf("api/openapi.yaml: %v", specErr)
	}
	return specDoc, specRouter
}

// contractChecker wraps a transport so that every request the tests send
// and every response the server gives is validated against openapi.yaml.
func contractChecker(t testing.TB, next http.RoundTripper) http.RoundTripper {
	_, router := loadSpec(t)
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		var reqBody []byte
		if req.Body != nil {
			reqBody, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		resp, err := next.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		route, params, ferr := router.FindRoute(req)
		if ferr != nil {
			if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
				return resp, nil // the route is not in the contract, and the server agrees
			}
			t.Errorf("contract: %s %s answered %d but is not in openapi.yaml", req.Method, req.URL.Path, resp.StatusCode)
			return resp, nil
		}
		checkReq := req.Clone(req.Context())
		checkReq.Body = io.NopCloser(bytes.NewReader(reqBody))
		in := &openapi3filter.RequestValidationInput{Request: checkReq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
				ExcludeRequestBody: strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/")}}
		// Requests that the tests send malformed on purpose get a 4xx; the
		// contract is checked on the response then.
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil && resp.StatusCode < 400 {
			t.Errorf("contract: request %s %s does not follow openapi.yaml but was accepted: %v", req.Method, req.URL.Path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
			Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
			t.Errorf("contract: response of %s %s (%d) does not follow openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
		}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var ginParam = regexp.MustCompile(`:([a-z_]+)`)

// TestRoutesMatchContract checks that the server serves exactly the
// operations of openapi.yaml.
func TestRoutesMatchContract(t *testing.T) {
	t.Parallel()
	doc, _ := loadSpec(t)
	var inSpec, served []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+path)
		}
	}
	engine, ok := api.New(nil, nil).(*gin.Engine)
	if !ok {
		t.Fatal("api.New does not return a gin engine")
	}
	for _, r := range engine.Routes() {
		served = append(served, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	sort.Strings(inSpec)
	sort.Strings(served)
	if strings.Join(inSpec, "\n") != strings.Join(served, "\n") {
		t.Errorf("routes and openapi.yaml differ:\nserved:\n%s\n\nin openapi.yaml:\n%s", strings.Join(served, "\n"), strings.Join(inSpec, "\n"))
	}
}
