// Package deploy holds the Dockerfile's and the Kubernetes manifests'
// checks: every manifest parses, and the API, worker and migration pods
// carry what docs/deploy.md promises (probes, resources, a non-root
// read-only container, the shared settings). No cluster or Docker daemon
// is needed.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// object is one manifest, decoded.
type object map[string]any

// get walks a path of keys and list indexes ("spec.template.spec").
func (o object) get(path string) any {
	var v any = map[string]any(o)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (o object) str(path string) string { s, _ := o.get(path).(string); return s }

func (o object) list(path string) []any { l, _ := o.get(path).([]any); return l }

func (o object) String() string { return o.str("kind") + "/" + o.str("metadata.name") }

// manifests decodes every document of every deploy/k8s/*.yaml file.
func manifests(t *testing.T) []object {
	t.Helper()
	paths, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var out []object
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o map[string]any // nested maps decode as map[string]any
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if o != nil {
				out = append(out, object(o))
			}
		}
	}
	return out
}

func TestManifests(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.str("kind")]++
		if o.str("apiVersion") == "" || o.str("kind") == "" || o.str("metadata.name") == "" {
			t.Errorf("%v: apiVersion, kind and metadata.name are required", o)
		}
		if o.str("kind") != "Namespace" && o.str("metadata.namespace") != "docflow" {
			t.Errorf("%v: namespace %q, want docflow", o, o.str("metadata.namespace"))
		}
	}
	for kind, n := range map[string]int{"Namespace": 1, "ConfigMap": 1, "Secret": 1, "Deployment": 2, "Job": 1,
		"Service": 2, "PodDisruptionBudget": 2, "Ingress": 1} {
		if kinds[kind] != n {
			t.Errorf("%d %s, want %d", kinds[kind], kind, n)
		}
	}
	for _, o := range objs {
		switch o.str("kind") {
		case "Deployment":
			checkDeployment(t, o)
		case "Job":
			checkPod(t, o, object(o.get("spec.template").(map[string]any)), []string{"migrate"})
		case "Service", "PodDisruptionBudget":
			checkSelects(t, o, objs)
		}
	}
}

func checkDeployment(t *testing.T, o object) {
	t.Helper()
	if r, _ := o.get("spec.replicas").(int); r != 2 {
		t.Errorf("%v: %d replicas, want 2", o, r)
	}
	tpl := object(o.get("spec.template").(map[string]any))
	if !labelsMatch(o.get("spec.selector.matchLabels"), tpl.get("metadata.labels")) {
		t.Errorf("%v: the selector does not match the pod template's labels", o)
	}
	want := map[string][]string{"docflow-api": {"serve", "--api-only"}, "docflow-worker": {"serve", "--workers-only"}}[o.str("metadata.name")]
	if want == nil {
		t.Fatalf("%v: an unexpected deployment", o)
	}
	c := checkPod(t, o, tpl, want)
	ports := map[string]bool{}
	for _, p := range c.list("ports") {
		ports[object(p.(map[string]any)).str("name")] = true
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if c.str(probe+".httpGet.path") != path || !ports[c.str(probe+".httpGet.port")] {
			t.Errorf("%v: %s = %v, want GET %s on a named port of the container", o, probe, c.get(probe), path)
		}
	}
}

// checkPod checks the pod template's one container and returns it.
func checkPod(t *testing.T, owner, tpl object, args []string) object {
	t.Helper()
	if tpl.get("spec.securityContext.runAsNonRoot") != true || tpl.get("spec.automountServiceAccountToken") != false {
		t.Errorf("%v: the pod must run as non-root, without a service account token", owner)
	}
	cs := tpl.list("spec.containers")
	if len(cs) != 1 {
		t.Fatalf("%v: %d containers, want 1", owner, len(cs))
	}
	c := object(cs[0].(map[string]any))
	var got []string
	for _, a := range c.list("args") {
		got = append(got, fmt.Sprint(a))
	}
	if !slices.Equal(got, args) {
		t.Errorf("%v: args %q, want %q", owner, got, args)
	}
	for path, want := range map[string]any{"securityContext.readOnlyRootFilesystem": true, "securityContext.allowPrivilegeEscalation": false,
		"securityContext.runAsNonRoot": true} {
		if c.get(path) != want {
			t.Errorf("%v: %s = %v, want %v", owner, path, c.get(path), want)
		}
	}
	if c.str("resources.requests.cpu") == "" || c.str("resources.requests.memory") == "" || c.str("resources.limits.memory") == "" {
		t.Errorf("%v: cpu and memory requests and a memory limit are required: %v", owner, c.get("resources"))
	}
	if !mountsEmptyDir(tpl, c, "/tmp") {
		t.Errorf("%v: /tmp must be an emptyDir (the root filesystem is read-only)", owner)
	}
	var from []string
	for _, e := range c.list("envFrom") {
		e := object(e.(map[string]any))
		from = append(from, e.str("configMapRef.name")+e.str("secretRef.name"))
	}
	if !slices.Equal(from, []string{"docflow", "docflow"}) {
		t.Errorf("%v: envFrom %v, want the docflow ConfigMap and Secret", owner, from)
	}
	return c
}

func mountsEmptyDir(tpl, c object, path string) bool {
	for _, m := range c.list("volumeMounts") {
		m := object(m.(map[string]any))
		if m.str("mountPath") != path {
			continue
		}
		for _, v := range tpl.list("spec.volumes") {
			v := object(v.(map[string]any))
			if v.str("name") == m.str("name") && v.get("emptyDir") != nil {
				return true
			}
		}
	}
	return false
}

// checkSelects checks that a Service or a PodDisruptionBudget selects the
// pods of a Deployment.
func checkSelects(t *testing.T, o object, objs []object) {
	t.Helper()
	sel := o.get("spec.selector")
	if o.str("kind") == "PodDisruptionBudget" {
		sel = o.get("spec.selector.matchLabels")
	}
	for _, d := range objs {
		if d.str("kind") == "Deployment" && labelsMatch(sel, d.get("spec.template.metadata.labels")) {
			return
		}
	}
	t.Errorf("%v selects no deployment's pods", o)
}

func labelsMatch(selector, labels any) bool {
	sel, _ := selector.(map[string]any)
	lab, _ := labels.(map[string]any)
	for k, v := range sel {
		if lab[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

// TestSettingsAreDocflows checks that every setting in the ConfigMap and
// the Secret template is one docflow reads.
func TestSettingsAreDocflows(t *testing.T) {
	t.Parallel()
	var src strings.Builder
	for _, dir := range []string{"../config", "../cmd/docflow"} {
		paths, _ := filepath.Glob(dir + "/*.go")
		for _, p := range paths {
			b, _ := os.ReadFile(p)
			src.Write(b)
		}
	}
	for _, o := range manifests(t) {
		for _, field := range []string{"data", "stringData"} {
			m, _ := o.get(field).(map[string]any)
			for k := range m {
				if !strings.Contains(src.String(), `"`+k+`"`) {
					t.Errorf("%v: %s is not a setting of docflow", o, k)
				}
			}
		}
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	gomod, _ := os.ReadFile("../go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	for _, want := range []string{
		"FROM golang:" + string(goVersion[1]) + "-bookworm AS build", "FROM debian:12-slim",
		"tesseract-ocr-fra", "tesseract-ocr-eng", "poppler-utils", "ca-certificates",
		"USER 10001", "/healthz", `ENTRYPOINT ["docflow"]`, `CMD ["serve"]`, "CGO_ENABLED=0",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil || !strings.Contains(string(ignore), ".git") || !strings.Contains(string(ignore), "data/") {
		t.Errorf(".dockerignore must keep .git and data/ out of the build context (%v)", err)
	}
}
