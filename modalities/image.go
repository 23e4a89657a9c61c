package modalities

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"

	// Decoders for image.Decode: PNG, JPEG, GIF from the standard library,
	// BMP, TIFF and WebP from golang.org/x/image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// This file is the first piece of the image modality (issue 7): images
// decoded to pixels and their pixels written as a byte stream. Nothing in
// Detect, Serialize or Restore uses it yet, so `mbzip compress` still codes
// an image file as bytes and the container is unchanged; `mbzip inspect
// --heatmap OUT.png` runs the model over Raster streams to show bits per
// pixel. Issue 7 plans a small header (width, height, channels, bit depth)
// before the samples and may choose another sample order (patch scan) after
// measuring; the header is not fixed yet and is not part of Raster.Pix, and
// Raster.Pixel is the one place that maps stream bytes to pixels.

// MaxImagePixels bounds the images DecodeImage accepts (width × height),
// checked from the header before any pixel is allocated: 2^28 pixels is a
// gigabyte of RGBA samples.
const MaxImagePixels = 1 << 28

// Errors of DecodeImage, wrapped with the details.
var (
	// ErrNotImage: the data starts with no image format's signature.
	ErrNotImage = errors.New("not an image")
	// ErrBadImage: the data has an image signature but does not decode
	// (truncated, corrupt, or a variant the decoders do not know).
	ErrBadImage = errors.New("undecodable image")
	// ErrImageTooLarge: the header claims more than MaxImagePixels pixels.
	ErrImageTooLarge = errors.New("image too large")
)

// imageSignatures are the leading bytes of each image format, in the order
// ImageFormat tries them. Netpbm (P5/P6) is recognized but has no decoder.
var imageSignatures = []struct {
	format string
	magic  string
	off    int
}{
	{"png", "\x89PNG\r\n\x1a\n", 0},
	{"jpeg", "\xff\xd8\xff", 0},
	{"gif", "GIF87a", 0},
	{"gif", "GIF89a", 0},
	{"bmp", "BM", 0},
	{"tiff", "II*\x00", 0},
	{"tiff", "MM\x00*", 0},
	{"webp", "WEBP", 8},
	{"pgm", "P5", 0},
	{"ppm", "P6", 0},
}

// ImageFormat names the image format data starts with, by its signature:
// "png", "jpeg", "gif", "bmp", "tiff", "webp", "pgm", "ppm", or "" for none.
// It does not decode anything, so a named format may still fail to decode.
func ImageFormat(data []byte) string {
	for _, s := range imageSignatures {
		if len(data) >= s.off+len(s.magic) && string(data[s.off:s.off+len(s.magic)]) == s.magic {
			if s.format == "webp" && string(data[:4]) != "RIFF" {
				continue
			}
			return s.format
		}
	}
	return ""
}

// DecodeImage decodes an image file (PNG, JPEG, GIF, BMP, TIFF, WebP; the
// first frame of an animated GIF) and returns it with its format's name.
// It reads the header first and refuses more than MaxImagePixels before
// decoding. Errors wrap ErrNotImage, ErrBadImage or ErrImageTooLarge.
func DecodeImage(data []byte) (image.Image, string, error) {
	format := ImageFormat(data)
	if format == "" {
		return nil, "", fmt.Errorf("modalities: %w (no PNG, JPEG, GIF, BMP, TIFF or WebP signature)", ErrNotImage)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("modalities: %w: %s: %v", ErrBadImage, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, fmt.Errorf("modalities: %w: %s of %d×%d pixels", ErrBadImage, format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, format, fmt.Errorf("modalities: %w: %s of %d×%d pixels (at most %d pixels)", ErrImageTooLarge, format, cfg.Width, cfg.Height, MaxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("modalities: %w: %s: %v", ErrBadImage, format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, format, fmt.Errorf("modalities: %w: %s header says %d×%d, pixels are %d×%d", ErrBadImage, format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	return img, format, nil
}

// Raster is an image's pixels as a byte stream: rows from top to bottom,
// pixels left to right, each pixel's samples interleaved (grey; R, G, B; or
// R, G, B, A with alpha not premultiplied), each sample one byte (Depth 8)
// or two bytes, most significant first (Depth 16).
type Raster struct {
	Width, Height int
	// Channels is 1 (grey), 3 (RGB) or 4 (RGBA).
	Channels int
	// Depth is the bits per sample: 8 or 16.
	Depth int
	// Pix holds Width × Height × BytesPerPixel bytes.
	Pix []byte
}

// BytesPerPixel is Channels × Depth / 8.
func (r *Raster) BytesPerPixel() int { return r.Channels * r.Depth / 8 }

// Pixel returns the index y × Width + x of the pixel that byte i of Pix
// belongs to.
func (r *Raster) Pixel(i int) int { return i / r.BytesPerPixel() }

// ColourModel names the layout: "grey", "RGB" or "RGBA", with the depth,
// as in "RGB 8-bit".
func (r *Raster) ColourModel() string {
	name := map[int]string{1: "grey", 3: "RGB", 4: "RGBA"}[r.Channels]
	return fmt.Sprintf("%s %d-bit", name, r.Depth)
}

// ImageRaster serializes img's pixels in raster order. The channels follow
// the decoded image's colour model, so that no sample is invented or lost:
//
//   - grey (image.Gray, Gray16, and palettes whose colours are all opaque
//     greys): 1 channel;
//   - colour with an alpha channel in the file (image.NRGBA, NRGBA64, as
//     PNG decodes RGBA and grey+alpha, or NYCbCrA), or any other image with
//     a pixel that is not opaque: 4 channels, alpha not premultiplied;
//   - every other colour image: 3 channels, R, G, B.
//
// 16-bit models (Gray16, RGBA64, NRGBA64) keep 16 bits per sample; all
// others have 8.
func ImageRaster(img image.Image) *Raster {
	b := img.Bounds()
	r := &Raster{Width: b.Dx(), Height: b.Dy(), Depth: 8}
	switch m := img.(type) {
	case *image.Gray:
		r.Channels = 1
		r.Pix = make([]byte, 0, r.Width*r.Height)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			o := m.PixOffset(b.Min.X, y)
			r.Pix = append(r.Pix, m.Pix[o:o+r.Width]...)
		}
		return r
	case *image.Gray16:
		r.Channels, r.Depth = 1, 16
		r.Pix = make([]byte, 0, 2*r.Width*r.Height)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			o := m.PixOffset(b.Min.X, y)
			r.Pix = append(r.Pix, m.Pix[o:o+2*r.Width]...)
		}
		return r
	case *image.Paletted:
		grey, opaque := true, true
		for _, c := range m.Palette {
			cr, cg, cb, ca := c.RGBA()
			grey = grey && cr == cg && cg == cb
			opaque = opaque && ca == 0xffff
		}
		switch {
		case grey && opaque:
			r.Channels = 1
		case opaque:
			r.Channels = 3
		default:
			r.Channels = 4
		}
	case *image.NRGBA, *image.NYCbCrA:
		r.Channels = 4
	case *image.NRGBA64:
		r.Channels, r.Depth = 4, 16
	case *image.RGBA64:
		r.Channels, r.Depth = 3, 16
		if !m.Opaque() {
			r.Channels = 4
		}
	default:
		r.Channels = 3
		if !opaque(img) {
			r.Channels = 4
		}
	}
	// The general path: every pixel through the NRGBA (or NRGBA64) colour
	// model, which keeps the colour of NRGBA pixels, and palette entries,
	// that are transparent; keep the channels chosen above.
	bpp := r.BytesPerPixel()
	r.Pix = make([]byte, 0, r.Width*r.Height*bpp)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r.Depth == 16 {
				c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
				s := [8]byte{byte(c.R >> 8), byte(c.R), byte(c.G >> 8), byte(c.G), byte(c.B >> 8), byte(c.B), byte(c.A >> 8), byte(c.A)}
				r.Pix = append(r.Pix, s[:bpp]...)
				continue
			}
			// One channel: an opaque grey palette, whose R = G = B.
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			s := [4]byte{c.R, c.G, c.B, c.A}
			r.Pix = append(r.Pix, s[:bpp]...)
		}
	}
	return r
}

// opaque reports whether every pixel of img has full alpha.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// Image is the inverse of ImageRaster up to the colour model: it returns
// the pixels as an image.Gray, Gray16, NRGBA or NRGBA64 (3-channel rasters
// with alpha 0xff or 0xffff). It fails if Pix has the wrong length or the
// layout is not one ImageRaster makes.
func (r *Raster) Image() (image.Image, error) {
	if r.Width <= 0 || r.Height <= 0 || (r.Depth != 8 && r.Depth != 16) ||
		(r.Channels != 1 && r.Channels != 3 && r.Channels != 4) {
		return nil, fmt.Errorf("modalities: raster of %d×%d pixels, %d channels of %d bits: %w", r.Width, r.Height, r.Channels, r.Depth, ErrBadImage)
	}
	bpp, n := r.BytesPerPixel(), r.Width*r.Height
	if int64(r.Width)*int64(r.Height) > MaxImagePixels || len(r.Pix) != n*bpp {
		return nil, fmt.Errorf("modalities: raster of %d×%d pixels × %d bytes has %d bytes: %w", r.Width, r.Height, bpp, len(r.Pix), ErrBadImage)
	}
	rect := image.Rect(0, 0, r.Width, r.Height)
	switch {
	case r.Channels == 1 && r.Depth == 8:
		return &image.Gray{Pix: append([]byte(nil), r.Pix...), Stride: r.Width, Rect: rect}, nil
	case r.Channels == 1:
		return &image.Gray16{Pix: append([]byte(nil), r.Pix...), Stride: 2 * r.Width, Rect: rect}, nil
	case r.Depth == 8:
		m := image.NewNRGBA(rect)
		for p := range n {
			copy(m.Pix[4*p:], r.Pix[p*bpp:(p+1)*bpp])
			if r.Channels == 3 {
				m.Pix[4*p+3] = 0xff
			}
		}
		return m, nil
	}
	m := image.NewNRGBA64(rect)
	for p := range n {
		copy(m.Pix[8*p:], r.Pix[p*bpp:(p+1)*bpp])
		if r.Channels == 3 {
			m.Pix[8*p+6], m.Pix[8*p+7] = 0xff, 0xff
		}
	}
	return m, nil
}
