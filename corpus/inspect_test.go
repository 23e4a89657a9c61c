package corpus

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

// TestSurprisal checks the per-byte bits against the known distribution
// and the total against Measure's cross-entropy of the same file.
func TestSurprisal(t *testing.T) {
	m := fixedModel(t, skewed)
	data, bits := skewedText(20_000, 5)
	s, err := Surprisal(context.Background(), data, InspectOptions{Name: "skewed.txt", Model: m, SegmentSize: 8192, Threads: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != modalities.Text || s.Model != "test-fixed" || len(s.Bits) != len(data) || s.Fingerprint != m.Fingerprint() {
		t.Fatalf("kind %v, model %q, %d bits for %d bytes", s.Kind, s.Model, len(s.Bits), len(data))
	}
	for i, b := range data {
		if want := -math.Log2(skewed[b]); math.Abs(float64(s.Bits[i])-want) > 1e-4 {
			t.Fatalf("byte %d (%q): %v bits, want %v", i, b, s.Bits[i], want)
		}
	}
	if rel := math.Abs(s.TotalBits-bits) / bits; rel > 1e-5 || math.Abs(s.BPB()-bits/float64(len(data))) > 1e-4 {
		t.Errorf("total %v bits, exact %v", s.TotalBits, bits)
	}
	p := filepath.Join(t.TempDir(), "skewed.txt")
	writeTestFile(t, p, data)
	r, err := Measure(context.Background(), []string{p}, BPBOptions{Model: m, SegmentSize: 8192, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Files[0].ModelBits != s.TotalBits {
		t.Errorf("Measure: %v bits, Surprisal: %v", r.Files[0].ModelBits, s.TotalBits)
	}
}

// hostile is text that tries every way to break out of the page: markup,
// entities, quotes, control characters, a lone CR, invalid UTF-8, a
// character XML forbids, and characters of several bytes.
const hostile = "<script>alert('x')</script> & &amp; \"quoted\" <b>bold</b>\r\n" +
	"tab\there, form\ffeed, escape \x1b[31mred\x1b[0m, DEL\x7f, bell\a\n" +
	"bad UTF-8 \xff\xfe here, noncharacter \uFFFE, accents é ü, 漢字, emoji 🙂\n" +
	"]]> <!-- --> <![CDATA[ x ]]>\n"

// checkWellFormed parses page as XML: every element closed, every entity
// known, no character XML forbids.
func checkWellFormed(t *testing.T, page []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("the page is not well-formed: %v", err)
		}
	}
}

// pageText returns the character data of the page's <pre class="heat">.
func pageText(t *testing.T, page []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	var b strings.Builder
	in := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if in > 0 {
				in++
			} else if tok.Name.Local == "pre" {
				in = 1
			}
		case xml.EndElement:
			if in > 0 {
				in--
			}
		case xml.CharData:
			if in > 0 {
				b.Write(tok)
			}
		}
	}
}

func TestHTMLHeatmapText(t *testing.T) {
	m, err := model.New(model.Configs["tiny"], 1)
	if err != nil {
		t.Fatal(err)
	}
	m.SetName("tiny-<seed>-1")
	// The modality comes from the first segment: a clean one makes the
	// rest, which alone would be bytes, text.
	data := []byte(strings.Repeat("A clean line of text to begin with. ", 2) + strings.Repeat(hostile, 3))
	s, err := Surprisal(context.Background(), data, InspectOptions{Name: `a<b>&"c".txt`, Model: m, SegmentSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != modalities.Text {
		t.Fatalf("the hostile text is %v, want text", s.Kind)
	}
	var buf bytes.Buffer
	if err := (HTMLHeatmap{}).Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	page := buf.Bytes()
	checkWellFormed(t, page)
	for _, bad := range []string{"<script>", "<b>", "\r", "\x1b", "\x7f", "\xff", "\uFFFE", "<!--", "a<b>"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"<!DOCTYPE html>", "&lt;script&gt;", "&amp;amp;", "&quot;quoted&quot;", "a&lt;b&gt;&amp;&quot;c&quot;.txt",
		`\r`, `\x1b`, `\x7f`, `\xff`, `\xef\xbf\xbe`, "漢字", "🙂", "é", "tiny-&lt;seed&gt;-1", "Most surprising lines",
		"8+", `class="b16"`, "bits per byte"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Every byte of the file is in the shaded text, in order, in its
	// escaped form: undo the escapes and compare.
	shown := pageText(t, page)
	unescape := strings.NewReplacer(`\r`, "\r", `\x1b`, "\x1b", `\x7f`, "\x7f", `\xff`, "\xff", `\xfe`, "\xfe",
		`\xef\xbf\xbe`, "\uFFFE", `\f`, "\f", `\a`, "\a")
	if got := unescape.Replace(shown); got != string(data) {
		t.Errorf("the shaded text is not the file:\n%q\nwant\n%q", got, data)
	}
	// A limit shows the beginning and says so.
	buf.Reset()
	if err := (HTMLHeatmap{Limit: 40}).Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.Bytes())
	if !strings.Contains(buf.String(), "the first 40 of") || pageText(t, buf.Bytes()) != string(data[:40]) {
		t.Error("a limit of 40 bytes does not cut the text, or does not say so")
	}
}

func TestHTMLHeatmapBytes(t *testing.T) {
	m, err := model.New(model.Configs["tiny"], 1)
	if err != nil {
		t.Fatal(err)
	}
	data := append([]byte{0, 1, 2, '<', '&', 0xff}, randomData(1000, 6)...)
	s, err := Surprisal(context.Background(), data, InspectOptions{Name: "r.bin", Model: m})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != modalities.Bytes {
		t.Fatalf("random data is %v", s.Kind)
	}
	var buf bytes.Buffer
	if err := (HTMLHeatmap{}).Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.Bytes())
	for _, want := range []string{"00000000  ", "00 01 02 3c 26 ff", "|...&lt;&amp;.", "000003e0  ", "Most surprising 256-byte blocks"} {
		if !strings.Contains(stripTags(buf.String()), want) && !strings.Contains(buf.String(), want) {
			t.Errorf("the hex dump lacks %q", want)
		}
	}
}

// stripTags removes the elements of an HTML fragment, keeping its text.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestHeatmapFor(t *testing.T) {
	for path, want := range map[string]HeatmapRenderer{"a.html": HTMLHeatmap{}, "b.HTM": HTMLHeatmap{}, "c.png": ImageHeatmap{}} {
		r, err := HeatmapFor(path)
		if err != nil || r != want {
			t.Errorf("%s: %T, %v", path, r, err)
		}
	}
	if _, err := HeatmapFor("d.jpg"); !errors.Is(err, ErrHeatmapFormat) {
		t.Errorf("d.jpg: %v", err)
	}
	if err := (HTMLHeatmap{}).Supports([]byte("x"), modalities.Bytes); err != nil {
		t.Error(err)
	}
	// A Kodak image (or, without the corpus, a small PNG) is coded as
	// bytes but drawn as pixels; text and broken PNGs are not images.
	kodak := filepath.Join("..", "..", "shared", "corpus", "eval", "image", "kodim23.png")
	data, err := os.ReadFile(kodak)
	if err != nil {
		data = testPNG(t, 16, 12)
	}
	if err := (ImageHeatmap{}).Supports(data, CodecKind(data, 1<<16)); err != nil {
		t.Errorf("image heatmap of a PNG: %v", err)
	}
	for name, bad := range map[string][]byte{"text": []byte("plain text\n"), "truncated PNG": data[:100]} {
		err := ImageHeatmap{}.Supports(bad, CodecKind(bad, 1<<16))
		if (!errors.Is(err, modalities.ErrNotImage) && !errors.Is(err, modalities.ErrBadImage)) || !strings.Contains(err.Error(), ".html") {
			t.Errorf("image heatmap of %s: %v", name, err)
		}
	}
	if err := (ImageHeatmap{}).Render(io.Discard, &Surprise{Name: "x.png", Kind: modalities.Bytes}); !errors.Is(err, modalities.ErrNotImage) {
		t.Errorf("Render of a byte inspection: %v", err)
	}
}
