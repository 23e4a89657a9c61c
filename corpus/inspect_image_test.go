package corpus

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbzip/mbzip/modalities"
)

// skewedImage returns a w × h opaque RGB image whose samples are drawn
// from skewed's letters, so that fixedModel(skewed) gives every sample
// known bits.
func skewedImage(w, h int, seed uint64) *image.RGBA {
	data, _ := skewedText(3*w*h, seed)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := range w * h {
		img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = data[3*p], data[3*p+1], data[3*p+2], 0xff
	}
	return img
}

// testPNG returns a w × h RGB PNG of random pixels.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 0xff
		}
	}
	return pngOf(t, img)
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImageSurprisal checks that an image is measured on its pixels'
// stream and that each pixel's bits are the sum of its samples' bits.
func TestImageSurprisal(t *testing.T) {
	const w, h = 16, 12
	img := skewedImage(w, h, 3)
	m := fixedModel(t, skewed)
	s, err := Surprisal(context.Background(), pngOf(t, img), InspectOptions{Name: "s.png", Image: true, Model: m, SegmentSize: 100, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Raster
	if r == nil || r.Width != w || r.Height != h || r.Channels != 3 || r.Depth != 8 || s.ImageFormat != "png" ||
		s.Kind != modalities.Bytes || s.DefaultModel || len(s.Bits) != 3*w*h || !bytes.Equal(s.Stream, r.Pix) {
		t.Fatalf("raster %+v, format %q, kind %v, %d bits", r, s.ImageFormat, s.Kind, len(s.Bits))
	}
	px := s.PixelBits()
	var total float64
	for p := range w * h {
		var want, sum float64
		for c := range 3 {
			want -= math.Log2(skewed[img.Pix[4*p+c]])
			sum += float64(s.Bits[3*p+c])
		}
		if math.Abs(px[p]-want) > 1e-3 || math.Abs(px[p]-sum) > 1e-9 {
			t.Fatalf("pixel %d: %v bits, want %v (its bytes: %v)", p, px[p], want, sum)
		}
		total += px[p]
	}
	if math.Abs(total-s.TotalBits) > 1e-6*total {
		t.Errorf("pixels %v bits, total %v", total, s.TotalBits)
	}

	// The picture: its layout's size, each pixel's cell in its colour.
	var buf bytes.Buffer
	if err := (ImageHeatmap{}).Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	pic, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := ImageHeatmap{}.Layout(w, h)
	if pic.Bounds().Size() != l.Size || l.Up != 16 || l.Down != 1 || l.Map.Size() != image.Pt(16*w, 16*h) {
		t.Fatalf("picture %v, layout %+v", pic.Bounds(), l)
	}
	sc := scaleFor(px)
	for y := range h {
		for x := range w {
			want := sc.colour(px[y*w+x])
			got := color.RGBAModel.Convert(pic.At(l.Map.Min.X+x*l.Up+l.Up/2, l.Map.Min.Y+y*l.Up+l.Up/2)).(color.RGBA)
			if got != want {
				t.Fatalf("pixel (%d, %d), %v bits: colour %v, want %v", x, y, px[y*w+x], got, want)
			}
		}
	}
	// The bar runs from the scale's bottom colour to its top.
	if got := color.RGBAModel.Convert(pic.At(l.Bar.Min.X+2, l.Bar.Max.Y-1)); got != viridis(0) {
		t.Errorf("bar bottom %v", got)
	}
	if got := color.RGBAModel.Convert(pic.At(l.Bar.Min.X+2, l.Bar.Min.Y)); got != viridis(1) {
		t.Errorf("bar top %v", got)
	}
}

func TestImageHeatmapLayout(t *testing.T) {
	for _, tc := range []struct{ w, h, up, down, mw, mh int }{
		{16, 12, 16, 1, 256, 192},
		{1, 1, 256, 1, 256, 256},
		{768, 512, 1, 1, 768, 512},
		{5000, 100, 1, 3, 1667, 34},
	} {
		l := ImageHeatmap{}.Layout(tc.w, tc.h)
		if l.Up != tc.up || l.Down != tc.down || l.Map.Dx() != tc.mw || l.Map.Dy() != tc.mh ||
			!l.Map.In(image.Rectangle{Max: l.Size}) || !l.Bar.In(image.Rectangle{Max: l.Size}) || l.Bar.Overlaps(l.Map) {
			t.Errorf("%d×%d: %+v", tc.w, tc.h, l)
		}
	}
	// A shrunk picture and a grey one of constant bits render.
	m := fixedModel(t, skewed)
	img := image.NewGray(image.Rect(0, 0, 2100, 3))
	for i := range img.Pix {
		img.Pix[i] = 'e'
	}
	s, err := Surprisal(context.Background(), pngOf(t, img), InspectOptions{Image: true, Model: m})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (ImageHeatmap{}).Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(&buf); err != nil || image.Pt(cfg.Width, cfg.Height) != (ImageHeatmap{}).Layout(2100, 3).Size {
		t.Errorf("shrunk picture: %+v, %v", cfg, err)
	}
}

func TestViridis(t *testing.T) {
	if viridis(0) != (color.RGBA{0x44, 0x01, 0x54, 0xff}) || viridis(1) != (color.RGBA{0xfd, 0xe7, 0x25, 0xff}) ||
		viridis(math.NaN()) != viridis(-3) || viridis(7) != viridis(1) {
		t.Error("viridis ends")
	}
	// Lightness grows along the scale (a perceptual map has no dips).
	prev := -1.0
	for i := 0; i <= 100; i++ {
		c := viridis(float64(i) / 100)
		l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
		if l < prev {
			t.Fatalf("luminance falls at %d/100", i)
		}
		prev = l
	}
}
