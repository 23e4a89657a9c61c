package corpus

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mbzip/mbzip/modalities"
)

// Limits of HTMLHeatmap when its fields are 0. A shaded byte costs about
// ten bytes of HTML as text and twenty as hexadecimal, so these keep a
// page within a few tens of megabytes, which browsers still open quickly.
const (
	DefaultHTMLTextLimit = 1 << 20
	DefaultHTMLHexLimit  = 64 << 10
)

// heatBuckets is the number of shades: bits per byte in steps of half a
// bit from 0 to 8, and one for 8 bits or more (worse than storing).
const heatBuckets = 17

// HTMLHeatmap writes a self-contained HTML page (no scripts, no external
// resources; well-formed XHTML syntax, every byte of the file escaped) that
// shows where the model is surprised: a summary (modality, size, model,
// cross-entropy), a colour legend, the most surprising lines (text) or
// 256-byte blocks (other data), then the stream with every byte's
// background shaded by its bits — as text for modality text, as a
// hexadecimal dump otherwise. Adjacent bytes of the same shade share one
// element, whose tooltip gives their mean bits per byte. A multi-byte
// UTF-8 character is shaded by the mean of its bytes; bytes that are not
// valid UTF-8, and characters XML forbids, are shown in italics as \xNN,
// control characters other than tab and line feed as C escapes (\r, \f,
// \x1b).
type HTMLHeatmap struct {
	// Limit is how many bytes of the stream are shown (0: DefaultHTMLTextLimit
	// for text, DefaultHTMLHexLimit otherwise); the summary covers all.
	Limit int
}

// Supports returns nil: any stream can be shown byte by byte.
func (HTMLHeatmap) Supports([]byte, modalities.Kind) error { return nil }

// Render writes the page.
func (h HTMLHeatmap) Render(w io.Writer, s *Surprise) error {
	asText := s.Kind == modalities.Text
	limit := h.Limit
	if limit <= 0 {
		limit = DefaultHTMLHexLimit
		if asText {
			limit = DefaultHTMLTextLimit
		}
	}
	shown := min(limit, len(s.Stream))
	bw := bufio.NewWriterSize(w, 1<<16)
	name := s.Name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(bw, `<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<title>mbzip inspect: %s</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
table.summary td { padding: 0.1em 1.5em 0.1em 0; }
table.worst td { padding: 0.05em 1em 0.05em 0; font-family: monospace; vertical-align: top; }
pre.heat { font-family: monospace; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.4; }
p.legend span { display: inline-block; min-width: 2.6em; text-align: center; font: 11px monospace; padding: 0.2em 0; }
.x { font-style: italic; }
`, esc(name))
	for b := range heatBuckets {
		bg, fg := heatColour(b)
		fmt.Fprintf(bw, ".b%d { background: %s; color: %s; }\n", b, bg, fg)
	}
	fmt.Fprintf(bw, "</style>\n</head>\n<body>\n<h1>mbzip inspect: %s</h1>\n", esc(name))

	// Summary.
	fmt.Fprintln(bw, `<table class="summary">`)
	row := func(k, v string) { fmt.Fprintf(bw, "<tr><td>%s</td><td>%s</td></tr>\n", k, v) }
	row("modality", esc(s.Kind.String()))
	row("bytes", strconv.Itoa(len(s.Data)))
	if len(s.Stream) != len(s.Data) {
		row("stream bytes", strconv.Itoa(len(s.Stream)))
	}
	row("model", fmt.Sprintf("%s (fingerprint %s)", esc(s.Model), hex.EncodeToString(s.Fingerprint[:6])))
	row("cross-entropy", fmt.Sprintf("%.4f bits per byte: %.0f bits, %.0f bytes before any container (Σ −log<sub>2</sub> p, no coding)",
		s.BPB(), s.TotalBits, s.TotalBits/8))
	row("contexts", fmt.Sprintf("segments of %s, as the codec codes them", segmentString(s.SegmentSize)))
	if shown < len(s.Stream) {
		row("shown", fmt.Sprintf("the first %d of %d bytes (the figures above are over all)", shown, len(s.Stream)))
	}
	fmt.Fprintln(bw, "</table>")

	// Legend.
	fmt.Fprint(bw, `<p class="legend">bits per byte: `)
	for b := range heatBuckets {
		label := strconv.FormatFloat(float64(b)/2, 'f', -1, 64)
		if b == heatBuckets-1 {
			label = "8+"
		}
		fmt.Fprintf(bw, `<span class="b%d">%s</span>`, b, label)
	}
	fmt.Fprintln(bw, "</p>")

	if asText {
		writeWorstLines(bw, s)
		fmt.Fprintln(bw, "<h2>The text, each character shaded by its bits</h2>")
		fmt.Fprint(bw, `<pre class="heat">`)
		writeHeatText(bw, s.Stream[:shown], s.Bits[:shown])
	} else {
		writeWorstBlocks(bw, s)
		fmt.Fprintln(bw, "<h2>The bytes, each shaded by its bits</h2>")
		fmt.Fprint(bw, `<pre class="heat">`)
		writeHeatHex(bw, s.Stream[:shown], s.Bits[:shown])
	}
	fmt.Fprintln(bw, "</pre>\n</body>\n</html>")
	return bw.Flush()
}

// bucket is the shade of a byte that cost bits.
func bucket(bits float64) int {
	if !(bits > 0) {
		return 0
	}
	return min(int(bits*2), heatBuckets-1)
}

// heatColour returns the background and text colours of bucket b: white at
// 0 bits, through yellow, orange and red, to dark red at 8 bits or more;
// white text where the background is dark.
func heatColour(b int) (bg, fg string) {
	stops := [...][3]float64{{255, 255, 255}, {255, 237, 160}, {253, 174, 97}, {227, 74, 51}, {127, 0, 0}}
	t := float64(b) / float64(heatBuckets-1) * float64(len(stops)-1)
	i := min(int(t), len(stops)-2)
	f := t - float64(i)
	var c [3]int
	for k := range c {
		c[k] = int(stops[i][k] + (stops[i+1][k]-stops[i][k])*f + 0.5)
	}
	fg = "#000"
	if 0.299*float64(c[0])+0.587*float64(c[1])+0.114*float64(c[2]) < 140 {
		fg = "#fff"
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]), fg
}

// esc escapes s for HTML text and attributes.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeRune(&b, r)
	}
	return b.String()
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// writeRune writes one valid rune escaped: markup characters as entities,
// control characters (but tab and line feed) as C escapes (\r, \x1b), and
// anything else XML forbids as \x escapes of its UTF-8 bytes. It reports
// whether it wrote an escape rather than the character.
func writeRune(b interface {
	io.Writer
	io.StringWriter
}, r rune) (escaped bool) {
	switch {
	case r == '&':
		b.WriteString("&amp;")
	case r == '<':
		b.WriteString("&lt;")
	case r == '>':
		b.WriteString("&gt;")
	case r == '"':
		b.WriteString("&quot;")
	case r == '\'':
		b.WriteString("&#39;")
	case r == '\t' || r == '\n':
		b.WriteString(string(r))
	case r < 0x20 || r == 0x7f:
		// A lone CR would end a line in HTML, and control pictures (␍)
		// are missing from many monospace fonts.
		if e, ok := cEscapes[r]; ok {
			b.WriteString(e)
		} else {
			fmt.Fprintf(b, `\x%02x`, r)
		}
		return true
	case !xmlChar(r):
		var buf [utf8.UTFMax]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			fmt.Fprintf(b, `\x%02x`, c)
		}
		return true
	default:
		b.WriteString(string(r))
	}
	return false
}

// cEscapes are the C escapes of the control characters that have one.
var cEscapes = map[rune]string{0: `\0`, '\a': `\a`, '\b': `\b`, '\v': `\v`, '\f': `\f`, '\r': `\r`}

// spanWriter merges adjacent pieces of the same shade into one element.
type spanWriter struct {
	w      *bufio.Writer
	open   bool
	bucket int
	buf    strings.Builder // the open element's content
	bits   float64         // and its bytes' bits and count, for the tooltip
	n      int
}

// put adds content of n bytes that cost bits in total. italic marks \x
// escapes of bytes that are not text.
func (s *spanWriter) put(content string, n int, bits float64, italic bool) {
	b := bucket(bits / float64(n))
	if italic {
		s.flush()
		fmt.Fprintf(s.w, `<span class="b%d x" title="%.2f">%s</span>`, b, bits/float64(n), content)
		return
	}
	if s.open && b != s.bucket {
		s.flush()
	}
	s.open, s.bucket = true, b
	s.buf.WriteString(content)
	s.bits += bits
	s.n += n
}

// flush closes the open element.
func (s *spanWriter) flush() {
	if !s.open {
		return
	}
	fmt.Fprintf(s.w, `<span class="b%d" title="%.2f">%s</span>`, s.bucket, s.bits/float64(s.n), s.buf.String())
	s.open = false
	s.buf.Reset()
	s.bits, s.n = 0, 0
}

// writeHeatText writes text shaded character by character.
func writeHeatText(w *bufio.Writer, text []byte, bits []float32) {
	sw := &spanWriter{w: w}
	var piece strings.Builder
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		var sum float64
		for _, b := range bits[i : i+size] {
			sum += float64(b)
		}
		piece.Reset()
		if r == utf8.RuneError && size <= 1 {
			fmt.Fprintf(&piece, `\x%02x`, text[i])
			sw.put(piece.String(), 1, sum, true)
		} else {
			escaped := writeRune(&piece, r)
			sw.put(piece.String(), size, sum, escaped)
		}
		i += size
	}
	sw.flush()
}

// writeHeatHex writes a hexadecimal dump, 16 bytes a line, each byte
// shaded, with the offset before and the printable ASCII after.
func writeHeatHex(w *bufio.Writer, data []byte, bits []float32) {
	sw := &spanWriter{w: w}
	for off := 0; off < len(data); off += 16 {
		line := data[off:min(off+16, len(data))]
		fmt.Fprintf(w, "%08x  ", off)
		for j, c := range line {
			sep := " "
			if j == 7 {
				sep = "  "
			}
			sw.put(fmt.Sprintf("%02x", c)+sep, 1, float64(bits[off+j]), false)
		}
		sw.flush()
		w.WriteString(strings.Repeat("   ", 16-len(line)))
		if len(line) <= 8 {
			w.WriteString(" ")
		}
		w.WriteString(" |")
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				writeRune(w, rune(c))
			} else {
				w.WriteString(".")
			}
		}
		w.WriteString("|\n")
	}
}

// worstShown is how many lines or blocks the "most surprising" tables list.
const worstShown = 10

// writeWorstLines lists the lines of at least 16 bytes with the highest
// mean bits per byte (the newline counted with its line).
func writeWorstLines(w *bufio.Writer, s *Surprise) {
	type line struct {
		no, start, end int
		bpb            float64
	}
	var lines []line
	start, no := 0, 1
	for i := 0; i <= len(s.Stream); i++ {
		if i < len(s.Stream) && s.Stream[i] != '\n' {
			continue
		}
		end := min(i+1, len(s.Stream))
		if i-start >= 16 {
			var sum float64
			for _, b := range s.Bits[start:end] {
				sum += float64(b)
			}
			lines = append(lines, line{no, start, i, sum / float64(end-start)})
		}
		start, no = i+1, no+1
	}
	if len(lines) == 0 {
		return
	}
	sort.SliceStable(lines, func(a, b int) bool { return lines[a].bpb > lines[b].bpb })
	fmt.Fprintln(w, "<h2>Most surprising lines</h2>")
	fmt.Fprintln(w, `<table class="worst"><tr><td>line</td><td>bits/byte</td><td>text</td></tr>`)
	for _, l := range lines[:min(worstShown, len(lines))] {
		text := bytes.TrimSuffix(s.Stream[l.start:l.end], []byte("\r"))
		cut := ""
		if len(text) > 100 {
			text, cut = text[:100], " …"
		}
		var b strings.Builder
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRune(text[i:])
			if r == utf8.RuneError && size <= 1 {
				fmt.Fprintf(&b, `\x%02x`, text[i])
			} else {
				writeRune(&b, r)
			}
			i += size
		}
		fmt.Fprintf(w, "<tr><td>%d</td><td>%.3f</td><td>%s%s</td></tr>\n", l.no, l.bpb, b.String(), cut)
	}
	fmt.Fprintln(w, "</table>")
}

// writeWorstBlocks lists the 256-byte blocks with the highest mean bits
// per byte.
func writeWorstBlocks(w *bufio.Writer, s *Surprise) {
	type block struct {
		off int
		bpb float64
	}
	var blocks []block
	for off := 0; off < len(s.Bits); off += 256 {
		var sum float64
		end := min(off+256, len(s.Bits))
		for _, b := range s.Bits[off:end] {
			sum += float64(b)
		}
		blocks = append(blocks, block{off, sum / float64(end-off)})
	}
	if len(blocks) == 0 {
		return
	}
	sort.SliceStable(blocks, func(a, b int) bool { return blocks[a].bpb > blocks[b].bpb })
	fmt.Fprintln(w, "<h2>Most surprising 256-byte blocks</h2>")
	fmt.Fprintln(w, `<table class="worst"><tr><td>offset</td><td>bits/byte</td></tr>`)
	for _, b := range blocks[:min(worstShown, len(blocks))] {
		fmt.Fprintf(w, "<tr><td>%08x</td><td>%.3f</td></tr>\n", b.off, b.bpb)
	}
	fmt.Fprintln(w, "</table>")
}
