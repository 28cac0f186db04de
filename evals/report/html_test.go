package report

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, link string
	}{
		{"", "contracts/c%201.pdf"},
		{"file:///data/corpus/dev/", "file:///data/corpus/dev/contracts/c%201.pdf"},
		{"../corpus", "../corpus/contracts/c%201.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := sample(false).WriteHTML(&b, HTMLOptions{DocBase: tt.base}); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			doc, err := html.Parse(strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			v := visit(doc)
			if v.svgs != 4 {
				t.Errorf("%d SVG charts, want 4 (fields, calibration, latency, cost)", v.svgs)
			}
			for _, bad := range v.external {
				t.Errorf("external reference %s", bad)
			}
			if !v.links[tt.link] {
				t.Errorf("no link to %q among %v", tt.link, v.links)
			}
			for _, want := range []string{
				"42.86% (3/7)", "50.00% (2/4)", "66.67% (2/3)",
				`"Élodie"`, `"Elodie"`, `"2026-04-30"`, `"2026-05-01"`,
				`"<script>alert(1)</script>Ana & Lima"`,
			} {
				if !strings.Contains(v.text, want) {
					t.Errorf("page text lacks %q", want)
				}
			}
			for _, bad := range []string{"ZgotmplZ", "http://", "https://", "url("} {
				if strings.Contains(page, bad) {
					t.Errorf("page holds %q", bad)
				}
			}
		})
	}
}

// visited is what visit found in a page.
type visited struct {
	svgs     int
	links    map[string]bool
	external []string
	text     string
}

// visit walks a parsed page, collecting links, SVG charts, text, and any
// element or attribute that would load something from elsewhere.
func visit(n *html.Node) visited {
	v := visited{links: map[string]bool{}}
	var text strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			text.WriteString(n.Data)
		case html.ElementNode:
			switch n.Data {
			case "svg":
				v.svgs++
			case "script", "link", "img", "iframe", "object", "embed", "image", "use":
				v.external = append(v.external, "<"+n.Data+">")
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "href":
					v.links[a.Val] = true
				case "src", "srcset", "action", "xlink:href", "poster", "data":
					v.external = append(v.external, a.Key+"="+a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	v.text = text.String()
	return v
}
