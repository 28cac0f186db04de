package reader

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// Bounds on image dimensions.
const (
	maxImageSide   = 10000
	maxImagePixels = 80_000_000
	// minImageWords is how many confidently read words an image needs to
	// count as a document.
	minImageWords = 5
)

// readImage reads a PNG, JPEG or TIFF image by OCR. Images of huge
// dimensions are refused from their header, before any decoding, and so
// are images in which OCR finds no text. PNG and JPEG are decoded and
// cleaned like a scanned page (cleanPage); TIFF, which the standard
// library does not decode, goes to tesseract as it is.
func (r *Reader) readImage(ctx context.Context, name string, data []byte) (Detail, error) {
	w, h, err := imageSize(data)
	if err != nil {
		return Detail{}, corrupt(name, "unreadable image: %v", err)
	}
	if w > maxImageSide || h > maxImageSide || w*h > maxImagePixels {
		return Detail{}, derrors.Refuse(derrors.TooLarge, "%s: image of %dx%d pixels is too large", name, w, h)
	}
	if !r.tools.has("tesseract") {
		return Detail{Content: pipeline.Content{Format: "scan", Pages: 1}}, nil
	}
	var words []ocrWord
	var kept []pipeline.PageImage
	if img, _, derr := image.Decode(bytes.NewReader(data)); derr == nil {
		cleaned := cleanPage(toGray(img), imageDPI(w, h))
		if r.cfg.PageImages > 0 {
			kept = []pipeline.PageImage{*pageImage(1, cleaned)}
		}
		words, err = r.ocrCleanedWords(ctx, cleaned)
	} else if isTIFF(data) {
		words, err = r.ocrWords(ctx, data)
	} else {
		return Detail{}, corrupt(name, "unreadable image: %v", derr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Detail{}, ctx.Err()
		}
		if errors.Is(err, ErrToolTimeout) {
			return Detail{}, fmt.Errorf("%s: %w", name, err)
		}
		return Detail{}, corrupt(name, "unreadable image: %v", err)
	}
	good := 0
	for _, w := range words {
		if w.conf >= 60 && countAlnum(w.text) >= 2 {
			good++
		}
	}
	if good < minImageWords {
		return Detail{}, derrors.Refuse(derrors.UnsupportedMediaType, "%s: an image without readable text is not a document", name)
	}
	conf := meanConfidence(words)
	c := pipeline.Content{Text: layoutWords(words), Format: "scan", Pages: 1, Confidence: conf, Images: kept}
	return Detail{Content: c, PageConfidence: []float64{conf}}, nil
}

// imageDPI guesses the resolution of a photographed or scanned page from
// its size, taking it for A4 or Letter, within 150..600.
func imageDPI(w, h int) int {
	short := float64(min(w, h))
	return int(min(max(short/8.3, 150), 600))
}

// toGray converts img to 8-bit grey.
func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

func isTIFF(data []byte) bool {
	return bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*"))
}

// imageSize reads the dimensions from the image header without decoding it.
func imageSize(data []byte) (int, int, error) {
	if isTIFF(data) {
		return tiffSize(data)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}

// tiffSize reads ImageWidth and ImageLength from the first IFD of a TIFF.
func tiffSize(data []byte) (int, int, error) {
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	if len(data) < 8 {
		return 0, 0, errShortTIFF
	}
	off := int(bo.Uint32(data[4:8]))
	if off+2 > len(data) || off < 8 {
		return 0, 0, errShortTIFF
	}
	n := int(bo.Uint16(data[off:]))
	w, h := 0, 0
	for i := 0; i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > len(data) {
			return 0, 0, errShortTIFF
		}
		tag, typ := bo.Uint16(data[e:]), bo.Uint16(data[e+2:])
		var v int
		if typ == 3 {
			v = int(bo.Uint16(data[e+8:]))
		} else {
			v = int(bo.Uint32(data[e+8:]))
		}
		switch tag {
		case 256:
			w = v
		case 257:
			h = v
		}
	}
	if w == 0 || h == 0 {
		return 0, 0, errShortTIFF
	}
	return w, h, nil
}

type tiffError string

func (e tiffError) Error() string { return string(e) }

const errShortTIFF = tiffError("truncated TIFF header")
