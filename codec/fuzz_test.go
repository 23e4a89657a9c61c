package codec

import (
	"github.com/mbzip/mbzip/model/builtin"

	"bytes"
	"flag"
	"fmt"
	"hash/crc32"
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
// untrained "test-random-v1" model (small and quick to fuzz through).
func fuzzSeeds() []struct {
	name string
	src  []byte
	opts []Option
} {
	tiny, err := builtin.Lookup("test-random-v1")
	if err != nil {
		panic(err)
	}
	seeds := []struct {
		name string
		src  []byte
		opts []Option
	}{
		// The 64 KiB of these two was the default segment size when the
		// seeds were written.
		{"empty", nil, []Option{WithSegmentSize(64 << 10)}},
		{"one-byte", []byte("x"), []Option{WithSegmentSize(64 << 10)}},
		{"model", sampleText(40), []Option{WithSegmentSize(16), withMethod(methodModel)}},
		{"zstd", bytes.Repeat([]byte("abcd"), 30), []Option{WithSegmentSize(60)}},
		{"raw", randomBytes(40, 9), []Option{WithSegmentSize(25)}},
		{"mixed", append(append(sampleText(30), bytes.Repeat([]byte("z"), 40)...), randomBytes(20, 10)...), []Option{WithSegmentSize(30), withMethod(methodModel)}},
		// Four blocks of the tiny model's 64 bytes in four lanes, the last short.
		{"lanes", sampleText(230), []Option{WithSegmentSize(256), withMethod(methodModel)}},
	}
	for i := range seeds {
		seeds[i].opts = append(seeds[i].opts, WithModel(tiny))
	}
	return seeds
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

// FuzzSegment gets past the checksums that stop most of FuzzDecode's
// inputs early: it builds a file around one segment record of any method and
// lengths with an arbitrary payload, all checksums valid except possibly the
// one of the original bytes, so that the model decoder, zstd and the limits
// see hostile content. Decoding must not panic and must fail with a typed
// error unless the payload happens to be right.
func FuzzSegment(f *testing.F) {
	f.Add(uint8(methodModel), uint32(10), uint32(64), []byte{0x12, 0x34, 0x56})
	f.Add(uint8(methodZstd), uint32(100), uint32(1000), []byte("\x28\xb5\x2f\xfd\x00\x58\x00\x00\x10\x61\x01\x00"))
	f.Add(uint8(methodRaw), uint32(3), uint32(3), []byte("abc"))
	f.Add(uint8(methodModel|flagBits), uint32(1<<20), uint32(1<<20), []byte{0xff})
	f.Add(uint8(methodModelLanes), uint32(300), uint32(400), []byte{0x12, 0x34, 0x56, 0x78})
	net := newModelNetwork(tinyModel(f))
	f.Fuzz(func(t *testing.T, m uint8, origLen, segSize uint32, payload []byte) {
		segSize = min(segSize, 1<<20)
		r := record{method: method(m) &^ flagBits, hasBits: method(m)&flagBits != 0, origLen: int(origLen), codedLen: len(payload)}
		if r.method == methodModelLanes {
			// In memory, lanes are a field of a model record; the segment
			// size picks how many.
			r.method, r.lanes = methodModel, 2+int(segSize%(MaxLanes-1))
		}
		r.crc = crc32.Checksum(payload, castagnoli)
		c := craft{h: header{segmentSize: int(segSize)}, recs: [][]byte{rawRecord(r, payload)},
			tail: appendTrailer(nil, &trailer{total: uint64(origLen), segments: 1, crc: r.crc})}
		data := c.bytes(net)
		out, err := DecodeAll(data, WithThreads(1))
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(out) != int(origLen) {
			t.Fatalf("decoded %d bytes of a %d-byte segment", len(out), origLen)
		}
	})
}
