package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/corpus"
	"github.com/mbzip/mbzip/model/builtin"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("Notes <b>& \"quotes\"</b>\r\nline two\n"))
	writeFile(t, filepath.Join(dir, "img.png"), append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(500, 5)...))
	r := mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "notes.html", "notes.txt").ok(t, "inspect --heatmap")
	for _, want := range []string{"modality        text", "test-random-v1", "cross-entropy", "heatmap         notes.html"} {
		if !strings.Contains(string(r.stdout), want) {
			t.Errorf("inspect output lacks %q:\n%s", want, r.stdout)
		}
	}
	page := string(readFile(t, filepath.Join(dir, "notes.html")))
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "&lt;b&gt;&amp;") || strings.Contains(page, "<b>&") {
		t.Errorf("heatmap page:\n%s", page)
	}
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "notes.html", "notes.txt").fails(t, "overwrite", 1, "exists")
	mbzip(t, dir, nil, "inspect", "-f", "--model", "test-random-v1", "--heatmap", "notes.html", "notes.txt").ok(t, "inspect -f")

	// A PNG heatmap needs an image: said before any work, nothing written.
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "img-heat.png", "img.png").fails(t, "png heatmap of a broken PNG", 1, "undecodable image")
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "notes.png", "notes.txt").fails(t, "png heatmap of text", 1, "not an image")
	if exists(filepath.Join(dir, "img-heat.png")) || exists(filepath.Join(dir, "notes.png")) {
		t.Error("a failed heatmap left a file")
	}
	// Other data gets a hex dump; without --heatmap only the summary.
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "img.html", "img.png").ok(t, "inspect bytes")
	if page := string(readFile(t, filepath.Join(dir, "img.html"))); !strings.Contains(page, "00000000  ") {
		t.Error("the heatmap of binary data is not a hex dump")
	}
	r = mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "img.png").ok(t, "inspect")
	if !strings.Contains(string(r.stdout), "modality        bytes") || strings.Contains(string(r.stdout), "heatmap") {
		t.Errorf("inspect without --heatmap:\n%s", r.stdout)
	}
	mbzip(t, dir, nil, "inspect", "missing.txt").fails(t, "missing file", 1, "no such file")
	sameDir(t, dir, "img.html", "img.png", "notes.html", "notes.txt")
}

// TestInspectImage draws the bits per pixel of a small PNG with the tiny
// model and checks the picture and the totals against corpus.Surprisal.
func TestInspectImage(t *testing.T) {
	dir := t.TempDir()
	const w, h = 16, 12
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(16 * x), uint8(20 * y), uint8(x * y), 0xff - uint8(x)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "small.png"), b.Bytes())
	r := mbzip(t, dir, nil, "inspect", "--heatmap", "bits.png", "--segment-size", "300", "small.png").ok(t, "inspect --heatmap bits.png")
	pic, err := png.Decode(bytes.NewReader(readFile(t, filepath.Join(dir, "bits.png"))))
	if err != nil {
		t.Fatalf("the heatmap is not a PNG: %v", err)
	}
	if got, want := pic.Bounds().Size(), (corpus.ImageHeatmap{}).Layout(w, h).Size; got != want {
		t.Errorf("heatmap of %v, want %v", got, want)
	}
	m, err := builtin.Lookup("test-random-v1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := corpus.Surprisal(t.Context(), b.Bytes(), corpus.InspectOptions{Image: true, Model: m, SegmentSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	px := s.PixelBits()
	for p := range w * h {
		var sum float64
		for _, bits := range s.Bits[4*p : 4*p+4] {
			sum += float64(bits)
		}
		if math.Abs(px[p]-sum) > 1e-9 {
			t.Fatalf("pixel %d: %v bits, its 4 bytes %v", p, px[p], sum)
		}
	}
	for _, want := range []string{"modality        bytes", "test-random-v1", "png, 16×12 pixels, RGBA 8-bit: 768 bytes",
		fmt.Sprintf("%.3f bits per pixel (Σ −log2 p = %.0f bits", s.TotalBits/(w*h), s.TotalBits), "heatmap         bits.png"} {
		if !strings.Contains(string(r.stdout), want) {
			t.Errorf("inspect output lacks %q:\n%s", want, r.stdout)
		}
	}
	// An existing heatmap is kept without -f.
	mbzip(t, dir, nil, "inspect", "--heatmap", "bits.png", "small.png").fails(t, "overwrite", 1, "exists")
	sameDir(t, dir, "bits.png", "small.png")
}
