package reader

import (
	"bytes"
	"image"
	"image/png"

	"github.com/docflow/docflow/pipeline"
)

// pageImageWidth is the width of a kept page image: about 150 dpi for A4,
// enough for a vision model to read print, small enough to send.
const pageImageWidth = 1240

// pageImage encodes a cleaned page as a PNG, scaled down to
// pageImageWidth by averaging when it is wider.
func pageImage(page int, img *image.Gray) *pipeline.PageImage {
	small := shrink(img, pageImageWidth)
	var b bytes.Buffer
	_ = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, small)
	return &pipeline.PageImage{Page: page, MediaType: "image/png", Data: b.Bytes()}
}

// shrink scales img down to width by an integer factor, averaging each
// block of pixels; an image no wider than width is returned as it is.
func shrink(img *image.Gray, width int) *image.Gray {
	b := img.Bounds()
	f := (b.Dx() + width - 1) / width
	if f <= 1 {
		return img
	}
	out := image.NewGray(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			sum := 0
			for dy := range f {
				off := img.PixOffset(b.Min.X+x*f, b.Min.Y+y*f+dy)
				for dx := range f {
					sum += int(img.Pix[off+dx])
				}
			}
			out.Pix[out.PixOffset(x, y)] = uint8(sum / (f * f))
		}
	}
	return out
}
