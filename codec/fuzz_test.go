package codec

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus and the golden files")

// FuzzDecode feeds arbitrary input to DecodeAll with the default (built-in)
// model: it must never panic, every error must wrap one of the package's
// error values, and whatever it accepts Inspect must accept with the same
// size. The seed corpus (testdata/fuzz/FuzzDecode) holds small valid files
// of every method; TestFuzzSeeds rewrites it with -update.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := DecodeAll(data, WithThreads(2))
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		info, err := Inspect(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("DecodeAll accepted what Inspect refuses: %v", err)
		}
		if info.OriginalSize != int64(len(out)) || info.CompressedSize != int64(len(data)) {
			t.Fatalf("Inspect sizes %d → %d, decoded %d → %d", info.OriginalSize, info.CompressedSize, len(out), len(data))
		}
	})
}

// fuzzSeeds are the inputs of the seed corpus, coded with the built-in
// model.
func fuzzSeeds() []struct {
	name string
	src  []byte
	opts []Option
} {
	return []struct {
		name string
		src  []byte
		opts []Option
	}{
		{"empty", nil, nil},
		{"one-byte", []byte("x"), nil},
		{"model", sampleText(40), []Option{WithSegmentSize(16), withMethod(methodModel)}},
		{"zstd", bytes.Repeat([]byte("abcd"), 30), []Option{WithSegmentSize(60)}},
		{"raw", randomBytes(40, 9), []Option{WithSegmentSize(25)}},
		{"mixed", append(append(sampleText(30), bytes.Repeat([]byte("z"), 40)...), randomBytes(20, 10)...), []Option{WithSegmentSize(30), withMethod(methodModel)}},
	}
}

// TestFuzzSeeds checks that the seed corpus is what this release writes (so
// that the fuzzer starts from valid files), and rewrites it with -update.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for _, s := range fuzzSeeds() {
		enc, err := EncodeAll(s.src, append(s.opts, WithThreads(1))...)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, s.name)
		file := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(enc)))
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestFuzzSeeds -update)", err)
		}
		if string(got) != file {
			t.Errorf("%s: seed differs from what this release writes (run go test -run TestFuzzSeeds -update)", path)
		}
		dec, err := DecodeAll(enc)
		if err != nil || !bytes.Equal(dec, s.src) {
			t.Errorf("%s: round trip: %v", s.name, err)
		}
	}
}
