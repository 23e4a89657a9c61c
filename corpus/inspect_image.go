package corpus

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/mbzip/mbzip/modalities"
)

// This file draws bits per pixel: ImageHeatmap renders the Surprise of an
// image inspected with InspectOptions.Image as a PNG picture with a
// colour bar.

// PixelBits returns the bits of every pixel, y × width + x, of an image
// inspection: the sum of the bits of the pixel's bytes in the stream
// (modalities.Raster.Pixel says which). Nil if s is not of an image.
func (s *Surprise) PixelBits() []float64 {
	r := s.Raster
	if r == nil {
		return nil
	}
	px := make([]float64, r.Width*r.Height)
	for i, b := range s.Bits {
		px[r.Pixel(i)] += float64(b)
	}
	return px
}

// ImageHeatmap draws bits per pixel as a PNG picture: a title (file,
// format, size, colour model, model, mean, minimum and maximum bits per
// pixel), the image's pixels coloured by their bits on the viridis scale
// (dark blue: few bits, yellow: many), a colour bar with its values and
// the mean marked, and a footer on the model and contexts. Images of at
// most 128 pixels on their longer side are enlarged by a whole factor to
// about 256 pixels; those over 2048 are shrunk by a whole factor, each
// cell showing the mean of its pixels; others are drawn one to one. The
// colour scale runs linearly from the least bits of a pixel to the most,
// unless a few pixels (under 0.5 %) reach far beyond the rest: then it
// stops at the 99.5th percentile, the bar's top reads ">=" and the pixels
// above take its colour.
type ImageHeatmap struct{}

// Supports returns nil if data decodes as an image (the kind does not
// matter: the heatmap reads the pixels, whatever compress would do with
// the file), else an error wrapping modalities.ErrNotImage, ErrBadImage or
// ErrImageTooLarge.
func (ImageHeatmap) Supports(data []byte, _ modalities.Kind) error {
	if _, _, err := modalities.DecodeImage(data); err != nil {
		return fmt.Errorf("%w; OUT.png draws bits per pixel of images: write OUT.html for the bits of every byte", err)
	}
	return nil
}

// Layout of the picture, in pixels.
const (
	hmMargin  = 12
	hmLine    = 16 // basicfont 7×13 and 3 pixels of leading
	hmChar    = 7
	hmTitle   = 3*hmLine + 8
	hmBarGap  = 20
	hmBarW    = 18
	hmLabels  = 6 + 15*hmChar
	hmMinW    = 600
	hmMinBarH = 160
)

// HeatmapLayout is where ImageHeatmap draws, for an image of a given size.
type HeatmapLayout struct {
	// Size is the picture's width and height.
	Size image.Point
	// Map is the rectangle of the coloured pixels; pixel (x, y) of the
	// image covers the cells from (Map.Min + (x, y) × Up / Down) on, Up ×
	// Up picture pixels each when Down is 1.
	Map image.Rectangle
	// Up enlarges small images, Down shrinks large ones (one is 1).
	Up, Down int
	// Bar is the rectangle of the colour bar.
	Bar image.Rectangle
}

// Layout returns where the picture of a width × height image goes.
func (ImageHeatmap) Layout(width, height int) HeatmapLayout {
	l := HeatmapLayout{Up: 1, Down: 1}
	long := max(width, height)
	switch {
	case long <= 128:
		l.Up = max(1, 256/long)
	case long > 2048:
		l.Down = (long + 2047) / 2048
	}
	mw := (width + l.Down - 1) / l.Down * l.Up
	mh := (height + l.Down - 1) / l.Down * l.Up
	top := hmMargin + hmTitle
	l.Map = image.Rect(hmMargin, top, hmMargin+mw, top+mh)
	barH := max(mh, hmMinBarH)
	bx := l.Map.Max.X + hmBarGap
	l.Bar = image.Rect(bx, top+hmLine+hmChar, bx+hmBarW, top+barH-hmChar) // a line for its heading
	l.Size = image.Pt(max(bx+hmBarW+hmLabels+hmMargin, hmMinW), top+barH+8+hmLine+hmMargin)
	return l
}

// heatScale is the colour scale: bits lo to hi, and whether pixels above
// hi were clipped.
type heatScale struct {
	lo, hi  float64
	clipped bool
}

// scaleFor returns the colour scale of the per-pixel bits px.
func scaleFor(px []float64) heatScale {
	sorted := slices.Clone(px)
	slices.Sort(sorted)
	lo, hi := sorted[0], sorted[len(sorted)-1]
	s := heatScale{lo: lo, hi: hi}
	if q := sorted[min(len(sorted)-1, int(0.995*float64(len(sorted))))]; q < lo+0.75*(hi-lo) {
		s.hi, s.clipped = q, true
	}
	if s.hi <= s.lo {
		s.hi = s.lo + 1
	}
	return s
}

// colour returns the colour of v bits.
func (s heatScale) colour(v float64) color.RGBA {
	return viridis((v - s.lo) / (s.hi - s.lo))
}

// viridisStops are matplotlib's viridis at 0, 0.1, …, 1.
var viridisStops = [11][3]uint8{
	{0x44, 0x01, 0x54}, {0x48, 0x24, 0x75}, {0x41, 0x44, 0x87}, {0x35, 0x5f, 0x8d},
	{0x2a, 0x78, 0x8e}, {0x21, 0x91, 0x8c}, {0x22, 0xa8, 0x84}, {0x44, 0xbf, 0x70},
	{0x7a, 0xd1, 0x51}, {0xbd, 0xdf, 0x26}, {0xfd, 0xe7, 0x25},
}

// viridis returns the viridis colour at t, clamped to [0, 1], linear
// between the stops.
func viridis(t float64) color.RGBA {
	if !(t > 0) { // NaN too
		t = 0
	}
	t = min(t, 1) * 10
	i := min(int(t), 9)
	f := t - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(k int) uint8 { return uint8(math.Round(float64(a[k]) + f*(float64(b[k])-float64(a[k])))) }
	return color.RGBA{mix(0), mix(1), mix(2), 0xff}
}

// Render draws s, which must be of an image (InspectOptions.Image), as a
// PNG.
func (h ImageHeatmap) Render(w io.Writer, s *Surprise) error {
	r := s.Raster
	if r == nil {
		return fmt.Errorf("corpus: %s: %w: inspected as a byte stream, not as pixels", s.Name, modalities.ErrNotImage)
	}
	if r.Width*r.Height == 0 || len(s.Bits) != len(r.Pix) {
		return fmt.Errorf("corpus: %s: %d bits for %d bytes of %d×%d pixels", s.Name, len(s.Bits), len(r.Pix), r.Width, r.Height)
	}
	px := s.PixelBits()
	l := h.Layout(r.Width, r.Height)
	sc := scaleFor(px)
	pic := image.NewRGBA(image.Rectangle{Max: l.Size})
	draw.Draw(pic, pic.Bounds(), image.White, image.Point{}, draw.Src)

	// The map: one cell per pixel (Down 1) or per Down × Down block.
	cw, ch := (r.Width+l.Down-1)/l.Down, (r.Height+l.Down-1)/l.Down
	for cy := range ch {
		for cx := range cw {
			var sum float64
			n := 0
			for y := cy * l.Down; y < min((cy+1)*l.Down, r.Height); y++ {
				for x := cx * l.Down; x < min((cx+1)*l.Down, r.Width); x++ {
					sum += px[y*r.Width+x]
					n++
				}
			}
			c := sc.colour(sum / float64(n))
			x0, y0 := l.Map.Min.X+cx*l.Up, l.Map.Min.Y+cy*l.Up
			for y := y0; y < y0+l.Up; y++ {
				for x := x0; x < x0+l.Up; x++ {
					pic.SetRGBA(x, y, c)
				}
			}
		}
	}

	// The colour bar, hi at the top, framed.
	bar := l.Bar
	for y := bar.Min.Y; y < bar.Max.Y; y++ {
		c := viridis(float64(bar.Max.Y-1-y) / float64(bar.Dy()-1))
		for x := bar.Min.X; x < bar.Max.X; x++ {
			pic.SetRGBA(x, y, c)
		}
	}
	black := color.RGBA{0, 0, 0, 0xff}
	frame(pic, bar.Inset(-1), black)
	text := &font.Drawer{Dst: pic, Src: image.NewUniform(black), Face: basicfont.Face7x13}
	yOf := func(v float64) int {
		t := min(max((v-sc.lo)/(sc.hi-sc.lo), 0), 1)
		return bar.Max.Y - 1 - int(math.Round(t*float64(bar.Dy()-1)))
	}
	label := func(y int, s string) {
		text.Dot = fixed.P(bar.Max.X+6, y+4)
		text.DrawString(s)
	}
	mean := s.TotalBits / float64(len(px))
	my := yOf(mean)
	for k := 0; k <= 4; k++ {
		v := sc.lo + float64(k)/4*(sc.hi-sc.lo)
		y := yOf(v)
		if k > 0 && k < 4 && abs(y-my) < hmLine {
			continue // the mean's label is there
		}
		for x := bar.Max.X; x < bar.Max.X+4; x++ {
			pic.SetRGBA(x, y, black)
		}
		t := fmt.Sprintf("%.1f", v)
		if k == 4 && sc.clipped {
			t = ">= " + t
		}
		label(y, t)
	}
	for x := bar.Min.X - 4; x < bar.Max.X+4; x++ {
		pic.SetRGBA(x, my, color.RGBA{0xff, 0xff, 0xff, 0xff})
	}
	label(my, fmt.Sprintf("mean %.2f", mean))
	text.Dot = fixed.P(bar.Min.X-2, l.Map.Min.Y+11)
	text.DrawString("bits/pixel")

	// Title and footer.
	maxChars := (l.Size.X - 2*hmMargin) / hmChar
	name := s.Name
	if name == "" {
		name = "(unnamed)"
	}
	modelNote := s.Model
	if s.DefaultModel {
		modelNote += " (default; no image model yet)"
	}
	lines := []string{
		"mbzip inspect: bits per pixel of " + name,
		fmt.Sprintf("%s %dx%d, %s, %d bytes/pixel, raster order | model %s",
			strings.ToUpper(s.ImageFormat), r.Width, r.Height, r.ColourModel(), r.BytesPerPixel(), modelNote),
		fmt.Sprintf("mean %.2f bits/pixel (%.3f bits/byte) | min %.2f | max %.2f | %.0f bits in all",
			mean, s.TotalBits/float64(len(s.Bits)), slices.Min(px), slices.Max(px), s.TotalBits),
	}
	for i, t := range lines {
		text.Dot = fixed.P(hmMargin, hmMargin+11+i*hmLine)
		text.DrawString(ascii(t, maxChars))
	}
	scale := "1:1"
	switch {
	case l.Up > 1:
		scale = fmt.Sprintf("%dx enlarged", l.Up)
	case l.Down > 1:
		scale = fmt.Sprintf("1/%d, cells are means", l.Down)
	}
	clip := ""
	if sc.clipped {
		clip = ", top clipped at the 99.5th percentile"
	}
	footer := fmt.Sprintf("viridis, linear%s | %s | contexts: %d-byte segments of the pixel stream", clip, scale, s.SegmentSize)
	text.Dot = fixed.P(hmMargin, l.Size.Y-hmMargin-2)
	text.DrawString(ascii(footer, maxChars))

	bw := bufio.NewWriterSize(w, 1<<16)
	if err := png.Encode(bw, pic); err != nil {
		return err
	}
	return bw.Flush()
}

// frame draws the outline of r.
func frame(m *image.RGBA, r image.Rectangle, c color.RGBA) {
	for x := r.Min.X; x < r.Max.X; x++ {
		m.SetRGBA(x, r.Min.Y, c)
		m.SetRGBA(x, r.Max.Y-1, c)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		m.SetRGBA(r.Min.X, y, c)
		m.SetRGBA(r.Max.X-1, y, c)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ascii returns s with every character the 7×13 font lacks as '?', cut to
// at most n characters (the last one "~" when cut).
func ascii(s string, n int) string {
	b := make([]byte, 0, len(s))
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b = append(b, byte(c))
	}
	if len(b) > n && n > 0 {
		b = append(b[:n-1], '~')
	}
	return string(b)
}
