package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/docflow/docflow/pipeline/testdocs"
)

// scanOptions say how a page is scanned.
type scanOptions struct {
	dpi     int
	quality int
	// noise is the share of pixels flipped to a random grey, for a poor scan.
	noise float64
	// seed makes the noise the same at every run.
	seed uint64
}

var (
	goodScan = scanOptions{dpi: 150, quality: 60}
	poorScan = scanOptions{dpi: 100, quality: 25, noise: 0.01, seed: 15}
)

// scan returns a one-page image-only PDF of text, as a scanner writes it:
// the text PDF rendered by pdftoppm, greyed, JPEG-compressed.
func scan(text string, o scanOptions) ([]byte, error) {
	dir, err := os.MkdirTemp("", "gendata-scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "page.pdf")
	if err := os.WriteFile(src, textPDF(text), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command("pdftoppm", "-r", fmt.Sprint(o.dpi), "-gray", "-png", "-singlefile", "-f", "1", "-l", "1", src, filepath.Join(dir, "page"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pdftoppm (poppler-utils; make setup installs it): %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, err
	}
	gray := image.NewGray(img.Bounds())
	rnd := rand.New(rand.NewPCG(o.seed, o.seed))
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			if o.noise > 0 && rnd.Float64() < o.noise {
				g.Y = uint8(rnd.IntN(256))
			}
			gray.SetGray(x, y, g)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, gray, &jpeg.Options{Quality: o.quality}); err != nil {
		return nil, err
	}
	b := gray.Bounds()
	return testdocs.ImagePDF(buf.Bytes(), b.Dx(), b.Dy(), "DeviceGray"), nil
}
