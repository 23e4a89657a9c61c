package modalities

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// encodePNG returns img as a PNG file.
func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImageRaster checks the channels and bytes ImageRaster writes for
// each colour model PNG decodes to, and that Raster.Image gives the same
// pixels back.
func TestImageRaster(t *testing.T) {
	const w, h = 5, 3
	rect := image.Rect(0, 0, w, h)
	gray := image.NewGray(rect)
	gray16 := image.NewGray16(rect)
	rgb := image.NewRGBA(rect) // opaque: PNG colour type 2
	nrgba := image.NewNRGBA(rect)
	nrgba64 := image.NewNRGBA64(rect)
	greyPal := image.NewPaletted(rect, color.Palette{color.Gray{0}, color.Gray{200}})
	colPal := image.NewPaletted(rect, color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	alphaPal := image.NewPaletted(rect, color.Palette{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 0}})
	for y := range h {
		for x := range w {
			v := uint8(10*y + x)
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | 0x34})
			rgb.SetRGBA(x, y, color.RGBA{v, v + 1, v + 2, 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, v + 1, v + 2, 255 - v})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(v), 2, 3, 0xff00 + uint16(v)})
			greyPal.SetColorIndex(x, y, uint8(x%2))
			colPal.SetColorIndex(x, y, uint8(x%2))
			alphaPal.SetColorIndex(x, y, uint8(x%2))
		}
	}
	for _, tc := range []struct {
		name       string
		img        image.Image
		ch, depth  int
		first      []byte // pixel (0, 0), then pixel (1, 0)
		pixel2_1At int    // byte offset of pixel (2, 1)
	}{
		{"gray", gray, 1, 8, []byte{0, 1}, 7},
		{"gray16", gray16, 1, 16, []byte{0, 0x34, 1, 0x34}, 14},
		{"rgb", rgb, 3, 8, []byte{0, 1, 2, 1, 2, 3}, 21},
		{"nrgba", nrgba, 4, 8, []byte{0, 1, 2, 255, 1, 2, 3, 254}, 28},
		{"nrgba64", nrgba64, 4, 16, []byte{0, 0, 0, 2, 0, 3, 0xff, 0, 0, 1, 0, 2, 0, 3, 0xff, 1}, 56},
		{"grey palette", greyPal, 1, 8, []byte{0, 200}, 7},
		{"colour palette", colPal, 3, 8, []byte{255, 0, 0, 0, 0, 255}, 21},
		{"palette with alpha", alphaPal, 4, 8, []byte{255, 0, 0, 255, 0, 0, 255, 0}, 28},
	} {
		// Through a PNG file and DecodeImage, as inspect does.
		img, format, err := DecodeImage(encodePNG(t, tc.img))
		if err != nil || format != "png" {
			t.Fatalf("%s: %v, %q", tc.name, err, format)
		}
		r := ImageRaster(img)
		if r.Width != w || r.Height != h || r.Channels != tc.ch || r.Depth != tc.depth || len(r.Pix) != w*h*tc.ch*tc.depth/8 {
			t.Errorf("%s: %d×%d, %d channels of %d bits, %d bytes", tc.name, r.Width, r.Height, r.Channels, r.Depth, len(r.Pix))
			continue
		}
		if !bytes.Equal(r.Pix[:len(tc.first)], tc.first) {
			t.Errorf("%s: first pixels % x, want % x", tc.name, r.Pix[:len(tc.first)], tc.first)
		}
		if p := r.Pixel(tc.pixel2_1At); p != 1*w+2 || r.Pixel(tc.pixel2_1At-1) != 1*w+1 {
			t.Errorf("%s: byte %d is of pixel %d", tc.name, tc.pixel2_1At, p)
		}
		back, err := r.Image()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for y := range h {
			for x := range w {
				r1, g1, b1, a1 := img.At(x, y).RGBA()
				r2, g2, b2, a2 := back.At(x, y).RGBA()
				if [4]uint32{r1, g1, b1, a1} != [4]uint32{r2, g2, b2, a2} {
					t.Fatalf("%s: pixel (%d, %d) %v, back %v", tc.name, x, y, img.At(x, y), back.At(x, y))
				}
			}
		}
	}
	// An opaque RGBA image decoded from JPEG (YCbCr) has 3 channels.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, rgb, nil); err != nil {
		t.Fatal(err)
	}
	if img, format, err := DecodeImage(jb.Bytes()); err != nil || format != "jpeg" || ImageRaster(img).Channels != 3 {
		t.Errorf("jpeg: %v, %q", err, format)
	}
	var gb bytes.Buffer
	if err := gif.Encode(&gb, colPal, nil); err != nil {
		t.Fatal(err)
	}
	if img, format, err := DecodeImage(gb.Bytes()); err != nil || format != "gif" || ImageRaster(img).Channels != 3 {
		t.Errorf("gif: %v, %q", err, format)
	}
	if _, err := (&Raster{Width: 2, Height: 2, Channels: 3, Depth: 8, Pix: make([]byte, 11)}).Image(); !errors.Is(err, ErrBadImage) {
		t.Errorf("short raster: %v", err)
	}
}

func TestDecodeImageErrors(t *testing.T) {
	good := encodePNG(t, image.NewGray(image.Rect(0, 0, 16, 12)))
	huge := bytes.Clone(good)
	binary.BigEndian.PutUint32(huge[16:], 100000) // IHDR width and height
	binary.BigEndian.PutUint32(huge[20:], 100000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotImage},
		{"text", []byte("hello, world\n"), ErrNotImage},
		{"truncated", good[:len(good)/2], ErrBadImage},
		{"signature only", []byte("\x89PNG\r\n\x1a\n"), ErrBadImage},
		{"netpbm", []byte("P6\n2 2\n255\n............"), ErrBadImage},
		{"100000×100000", huge, ErrImageTooLarge},
	} {
		if _, _, err := DecodeImage(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	for data, want := range map[string]string{"\x89PNG\r\n\x1a\nx": "png", "\xff\xd8\xff\xe0": "jpeg", "GIF89a": "gif", "BM..": "bmp",
		"II*\x00": "tiff", "MM\x00*": "tiff", "RIFF\x00\x00\x00\x00WEBPVP8 ": "webp", "P5 1 1": "pgm", "P6": "ppm", "RIFF....WAVE": "", "text": ""} {
		if got := ImageFormat([]byte(data)); got != want {
			t.Errorf("ImageFormat(%q) = %q, want %q", data, got, want)
		}
	}
	// Detect is unchanged: an image file is bytes until the image modality.
	if k := Detect(good); k != Bytes {
		t.Errorf("Detect(PNG) = %v", k)
	}
}
