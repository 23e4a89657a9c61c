package codec

import (
	"github.com/mbzip/mbzip/model/builtin"

	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGolden holds the format still: files written by this release with the
// built-in models must decode with every later release that ships
// it, and the same input must keep giving the same bytes (DESIGN.md §3). A
// change here is a format change: bump Version, or fix the regression.
// Regenerate with -update only for a deliberate change.
func TestGolden(t *testing.T) {
	tiny := WithModel(tinyModel(t))
	textV1, err := builtin.Lookup("text-ref-v1")
	if err != nil {
		t.Fatal(err)
	}
	textV2, err := builtin.Lookup("text-ref-v2")
	if err != nil {
		t.Fatal(err)
	}
	textV3, err := builtin.Lookup("text-ref-v3")
	if err != nil {
		t.Fatal(err)
	}
	textV4, err := builtin.Lookup("text-ref-v4")
	if err != nil {
		t.Fatal(err)
	}
	textV5, err := builtin.Lookup("text-ref-v5")
	if err != nil {
		t.Fatal(err)
	}
	textV6, err := builtin.Lookup("text-ref-v6")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file string
		src  []byte
		opts []Option
	}{
		{"text-model.mbz", sampleText(300), []Option{tiny, WithSegmentSize(128), withMethod(methodModel)}},
		{"text-auto.mbz", sampleText(3000), []Option{tiny, WithSegmentSize(1024)}},
		{"random-raw.mbz", randomBytes(200, 42), []Option{tiny}},
		// The first text prior, named; files coded with it must keep decoding.
		{"text-ref-v1.mbz", sampleText(600), []Option{WithModel(textV1), WithSegmentSize(512)}},
		// The second text prior, named (it was the default when its
		// golden file was written).
		{"text-ref-v2.mbz", sampleText(600), []Option{WithModel(textV2), WithSegmentSize(512)}},
		// The third text prior, named (the default when its golden file
		// was written).
		{"text-ref-v3.mbz", sampleText(600), []Option{WithModel(textV3), WithSegmentSize(512)}},
		// The fourth text prior, named (the default when its golden file
		// was written).
		{"text-ref-v4.mbz", sampleText(600), []Option{WithModel(textV4), WithSegmentSize(512)}},
		// The fifth text prior, named (the default when its golden file
		// was written).
		{"text-ref-v5.mbz", sampleText(600), []Option{WithModel(textV5), WithSegmentSize(512)}},
		// The shipped text prior, through the default model selection.
		{"text-ref-v6.mbz", sampleText(600), []Option{WithSegmentSize(512)}},
	} {
		t.Run(g.file, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "mbz", g.file)
			enc, err := EncodeAll(g.src, append(g.opts, WithThreads(2))...)
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
			for _, text := range []interface{ Name() string }{textV1, textV2, textV3, textV4, textV5, textV6} {
				if g.file == text.Name()+".mbz" {
					if info, err := Inspect(bytes.NewReader(golden)); err != nil || info.ModelName != text.Name() || info.StoredSegments != 0 {
						t.Errorf("Inspect = %+v, %v: want every segment coded by %s", info, err, text.Name())
					}
				}
			}
			if !bytes.Equal(enc, golden) {
				t.Errorf("this release writes %d bytes where the golden file has %d (first difference at %d)", len(enc), len(golden), firstDiff(enc, golden))
			}
		})
	}
}
