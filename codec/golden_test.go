package codec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/model/builtin"
)

// TestGolden holds the format still: files written by this release with the
// built-in models must decode with every later release that ships
// it, and the same input must keep giving the same bytes (DESIGN.md §3). A
// change here is a format change: bump Version, or fix the regression.
// Regenerate with -update only for a deliberate change.
func TestGolden(t *testing.T) {
	tiny := WithModel(tinyModel(t))
	// named looks its prior up only when a test that runs applies it.
	named := func(name string) Option {
		return func(o *options) error {
			m, err := builtin.Lookup(name)
			if err != nil {
				return err
			}
			return WithModel(m)(o)
		}
	}
	for _, g := range []struct {
		file string
		src  []byte
		opts []Option
	}{
		{"text-model.mbz", sampleText(300), []Option{tiny, WithSegmentSize(128), withMethod(methodModel)}},
		{"text-auto.mbz", sampleText(3000), []Option{tiny, WithSegmentSize(1024)}},
		// Version 2: blocks interleaved in lanes (tiny's window is 64
		// bytes: 8 lanes, the second segment's last block short), and the
		// same with 3 lanes, the last group one block.
		{"text-lanes.mbz", sampleText(1000), []Option{tiny, WithSegmentSize(512), withMethod(methodModel)}},
		{"text-lanes3.mbz", sampleText(500), []Option{tiny, WithSegmentSize(500), WithLanes(3), withMethod(methodModel)}},
		{"random-raw.mbz", randomBytes(200, 42), []Option{tiny, WithSegmentSize(64 << 10)}},
		// The first text prior, named; files coded with it must keep decoding.
		{"text-ref-v1.mbz", sampleText(600), []Option{named("text-ref-v1"), WithSegmentSize(512)}},
		// The second text prior, named (it was the default when its
		// golden file was written).
		{"text-ref-v2.mbz", sampleText(600), []Option{named("text-ref-v2"), WithSegmentSize(512)}},
		// The third text prior, named (the default when its golden file
		// was written).
		{"text-ref-v3.mbz", sampleText(600), []Option{named("text-ref-v3"), WithSegmentSize(512)}},
		// The fourth text prior, named (the default when its golden file
		// was written).
		{"text-ref-v4.mbz", sampleText(600), []Option{named("text-ref-v4"), WithSegmentSize(512)}},
		// The fifth text prior, named (the default when its golden file
		// was written).
		{"text-ref-v5.mbz", sampleText(600), []Option{named("text-ref-v5"), WithSegmentSize(512)}},
		// The sixth text prior, named (the default when its golden file
		// was written).
		{"text-ref-v6.mbz", sampleText(600), []Option{named("text-ref-v6"), WithSegmentSize(512)}},
		// The seventh text prior, named (the default when its golden file
		// was written).
		{"text-ref-v7.mbz", sampleText(600), []Option{named("text-ref-v7"), WithSegmentSize(512)}},
		// The wide text prior, named (the default when its golden file
		// was written).
		{"text-wide-v1.mbz", sampleText(600), []Option{named("text-wide-v1"), WithSegmentSize(512)}},
		// text-ref-v7 with binary16 keys and values, named.
		{"text-ref-v7-h16.mbz", sampleText(600), []Option{named("text-ref-v7-h16"), WithSegmentSize(512)}},
		// The global transformer of the wide prior in binary16, named (the
		// default when its golden file was written).
		{"text-wide-v1-h16.mbz", sampleText(600), []Option{named("text-wide-v1-h16"), WithSegmentSize(512)}},
		// text-ref-v7 with every block's weights in binary16, named.
		{"text-ref-v7-f16.mbz", sampleText(600), []Option{named("text-ref-v7-f16"), WithSegmentSize(512)}},
		// The shipped text prior, through the default model selection.
		{"text-wide-v1-f16.mbz", sampleText(600), []Option{WithSegmentSize(512)}},
	} {
		prior := strings.HasPrefix(g.file, "text-ref-") || strings.HasPrefix(g.file, "text-wide-")
		t.Run(g.file, func(t *testing.T) {
			// Each prior codes its 600 bytes at a few bytes a second under
			// qemu, where CI runs this -short. There the tiny model's files
			// pin the coder, and CI's cross-build step runs the shipped
			// prior; every prior runs on amd64, on each kernel level.
			if testing.Short() && prior {
				t.Skip("-short: the tiny model's golden files only")
			}
			path := filepath.Join("..", "testdata", "mbz", g.file)
			enc, err := EncodeAll(g.src, append(g.opts, WithThreads(2))...)
			if errors.Is(err, builtin.ErrNotBuiltIn) {
				t.Skip(err) // a -tags mbzip_nobuiltin test binary
			}
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, enc, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			dec, err := DecodeAll(golden)
			if err != nil {
				t.Fatalf("decoding the golden file: %v", err)
			}
			if !bytes.Equal(dec, g.src) {
				t.Fatalf("the golden file decodes to other bytes")
			}
			if want := map[string]int{"text-lanes.mbz": 8, "text-lanes3.mbz": 3}[g.file]; want > 0 {
				if info, err := Inspect(bytes.NewReader(golden)); err != nil || info.Lanes != want || info.StoredSegments != 0 {
					t.Errorf("Inspect = %+v, %v: want every segment model-coded, %d lanes", info, err, want)
				}
			}
			// What version 1 wrote from the same input must still decode
			// (-short, as under qemu in CI: the tiny model's files only).
			v1 := filepath.Join("..", "testdata", "mbz", "v1", g.file)
			old, err := os.ReadFile(v1)
			switch {
			case testing.Short() && prior:
			case err == nil:
				if info, err := Inspect(bytes.NewReader(old)); err != nil || info.Version != 1 {
					t.Errorf("%s: Inspect = %+v, %v: want version 1", v1, info, err)
				}
				if dec, err := DecodeAll(old); err != nil || !bytes.Equal(dec, g.src) {
					t.Errorf("%s: decodes to other bytes (%v)", v1, err)
				}
			case !os.IsNotExist(err):
				t.Fatal(err)
			}
			// Every text prior's golden file is coded by that prior, no
			// segment stored.
			if name, ok := strings.CutSuffix(g.file, ".mbz"); ok && (strings.HasPrefix(name, "text-ref-v") || strings.HasPrefix(name, "text-wide-v")) {
				if info, err := Inspect(bytes.NewReader(golden)); err != nil || info.ModelName != name || info.StoredSegments != 0 {
					t.Errorf("Inspect = %+v, %v: want every segment coded by %s", info, err, name)
				}
			}
			if !bytes.Equal(enc, golden) {
				t.Errorf("this release writes %d bytes where the golden file has %d (first difference at %d)", len(enc), len(golden), firstDiff(enc, golden))
			}
		})
	}
}
