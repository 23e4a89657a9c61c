package corpus

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Baseline is a classic codec that Measure runs on every file beside the
// model, in process, so that the comparison needs no external tools and
// uses the same bytes and the same clock.
type Baseline struct {
	// Name is the short name used on the command line, in reports and as
	// the JSON key: "zstd", "xz", "brotli", "flate".
	Name string
	// Description says which library and settings, for the report.
	Description string
	// Compress returns the compressed form of src. It must be safe for
	// concurrent use: Measure runs files in parallel.
	Compress func(src []byte) ([]byte, error)
}

// xzMaxDict is the largest xz dictionary used: the 64 MiB of xz -9.
const xzMaxDict = 64 << 20

// baselines are the codecs Baselines returns, strongest practical settings
// of each library. They stand for the command-line figures of
// ../shared/corpus/BASELINES.md, but are not byte-identical to those tools:
// klauspost's zstd and flate and the pure-Go xz and brotli encoders make
// their own parsing choices.
var baselines = []Baseline{
	{
		Name:        "zstd",
		Description: "github.com/klauspost/compress/zstd SpeedBestCompression (about zstd -19)",
		Compress:    zstdBest,
	},
	{
		Name:        "xz",
		Description: "github.com/ulikunitz/xz, LZMA2 with the hash-table matcher and a dictionary of the file's size (up to 64 MiB, as xz -9)",
		Compress:    xzBest,
	},
	{
		Name:        "brotli",
		Description: "github.com/andybalholm/brotli quality 11, window 2^24 (brotli -q 11 -w 24)",
		Compress:    brotliBest,
	},
	{
		Name:        "flate",
		Description: "github.com/klauspost/compress/flate level 9 (raw deflate, as gzip -9 without its 18-byte header)",
		Compress:    flateBest,
	},
}

// Baselines returns the built-in baselines in report order: zstd, xz,
// brotli, flate.
func Baselines() []Baseline { return append([]Baseline(nil), baselines...) }

// ParseBaselines reads a comma-separated list of baseline names ("zstd,xz"),
// "all" for every one, or "" / "none" for none. Names may repeat only once:
// a duplicate is an error, as is an unknown name.
func ParseBaselines(list string) ([]Baseline, error) {
	list = strings.TrimSpace(list)
	switch list {
	case "", "none":
		return nil, nil
	case "all":
		return Baselines(), nil
	}
	var out []Baseline
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if seen[name] {
			return nil, fmt.Errorf("corpus: baseline %q named twice", name)
		}
		seen[name] = true
		found := false
		for _, b := range baselines {
			if b.Name == name {
				out = append(out, b)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("corpus: unknown baseline %q (known: %s)", name, baselineNames())
		}
	}
	return out, nil
}

// baselineNames lists the known names for messages.
func baselineNames() string {
	names := make([]string, len(baselines))
	for i, b := range baselines {
		names[i] = b.Name
	}
	return strings.Join(names, ", ")
}

// zstdBest compresses with a single-threaded encoder: Measure already runs
// one baseline per core, and a concurrent encoder would only compete.
func zstdBest(src []byte) ([]byte, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	defer enc.Close()
	return enc.EncodeAll(src, make([]byte, 0, len(src)/2+64)), nil
}

// xzBest writes an .xz stream. The dictionary is the file's size rounded
// up to 4 KiB (at least 64 KiB, at most xzMaxDict): a larger one would find
// nothing more and only cost memory, several files being in flight. The
// library has no presets; its hash-table matcher is the one to use: the
// binary-tree matcher of v0.5.17 made book1 (768 KB) 58 % larger than the
// hash table did (4.93 against 3.12 bits per byte) and took 80 times as
// long (30 s against 0.37 s).
func xzBest(src []byte) ([]byte, error) {
	dict := min(max((len(src)+4095)&^4095, 64<<10), xzMaxDict)
	cfg := xz.WriterConfig{DictCap: dict, Matcher: lzma.HashTable4}
	var buf bytes.Buffer
	buf.Grow(len(src)/3 + 64)
	w, err := cfg.NewWriter(&buf)
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	if _, err := w.Write(src); err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	return buf.Bytes(), nil
}

// brotliBest is brotli -q 11 -w 24.
func brotliBest(src []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(src)/3 + 64)
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 11, LGWin: 24})
	if _, err := w.Write(src); err != nil {
		return nil, fmt.Errorf("brotli: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("brotli: %w", err)
	}
	return buf.Bytes(), nil
}

// flateBest is raw deflate at level 9.
func flateBest(src []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(src)/3 + 64)
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("flate: %w", err)
	}
	if _, err := w.Write(src); err != nil {
		return nil, fmt.Errorf("flate: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("flate: %w", err)
	}
	return buf.Bytes(), nil
}
