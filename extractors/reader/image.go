package reader

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig
	"os"
	"path/filepath"

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
// dimensions are refused, and so are images in which OCR finds no text.
func (r *Reader) readImage(ctx context.Context, name string, data []byte) (pipeline.Content, error) {
	w, h, err := imageSize(data)
	if err != nil {
		return pipeline.Content{}, corrupt(name, "unreadable image: %v", err)
	}
	if w > maxImageSide || h > maxImageSide || w*h > maxImagePixels {
		return pipeline.Content{}, derrors.Refuse(derrors.TooLarge, "%s: image of %dx%d pixels is too large", name, w, h)
	}
	if !r.tools.has("tesseract") {
		return pipeline.Content{Format: "scan", Pages: 1}, nil
	}
	dir, err := os.MkdirTemp("", "docflow-img-")
	if err != nil {
		return pipeline.Content{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "in.img")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return pipeline.Content{}, err
	}
	r.tools.init()
	out, err := r.tools.run(ctx, nil, "tesseract", path, "stdout", "-l", r.tools.langs, "--psm", ocrPSM, "tsv")
	if err != nil {
		if ctx.Err() != nil {
			return pipeline.Content{}, ctx.Err()
		}
		return pipeline.Content{}, corrupt(name, "unreadable image: %v", err)
	}
	words := parseTSV(string(out))
	good := 0
	for _, w := range words {
		if w.conf >= 60 && countAlnum(w.text) >= 2 {
			good++
		}
	}
	if good < minImageWords {
		return pipeline.Content{}, derrors.Refuse(derrors.UnsupportedMediaType, "%s: an image without readable text is not a document", name)
	}
	return pipeline.Content{Text: layoutWords(words), Format: "scan", Pages: 1, Confidence: meanConfidence(words)}, nil
}

// imageSize reads the dimensions from the image header without decoding it.
func imageSize(data []byte) (int, int, error) {
	if bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")) {
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
