package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/model"
)

// mixedFile returns a small file (with the stand-in) whose segments use all
// three methods, and the stand-in.
func mixedFile(t *testing.T) ([]byte, []byte, *standIn) {
	t.Helper()
	net := newStandIn(4096)
	src := append(append(markovBytes(400, 5), sampleText(400)[200:]...), randomBytes(100, 6)...)
	enc, err := EncodeAll(src, withNetwork(net), WithSegmentSize(200), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	ms := methods(t, enc)
	if ms[methodModel] == 0 || ms[methodZstd] == 0 || ms[methodRaw] == 0 {
		t.Fatalf("test file does not mix the methods: %v", ms)
	}
	return src, enc, net
}

// tinyFile returns a small file coded with the real model (forced).
func tinyFile(t *testing.T, m *model.Model) ([]byte, []byte) {
	t.Helper()
	src := sampleText(120)
	enc, err := EncodeAll(src, WithModel(m), WithSegmentSize(50), withMethod(methodModel), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	if ms := methods(t, enc); ms[methodModel] != 3 {
		t.Fatalf("segments by method %v, want 3 model-coded", ms)
	}
	return src, enc
}

func TestTruncated(t *testing.T) {
	_, mixed, net := mixedFile(t)
	_, tiny := tinyFile(t, tinyModel(t))
	for _, tc := range []struct {
		name string
		data []byte
		opts []Option
	}{
		{"stand-in", mixed, []Option{withNetwork(net), WithThreads(2)}},
		{"tiny model", tiny, []Option{WithThreads(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for n := range len(tc.data) {
				_, err := DecodeAll(tc.data[:n], tc.opts...)
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("DecodeAll of the first %d of %d bytes: error %v, want ErrTruncated", n, len(tc.data), err)
				}
				if _, err := Inspect(bytes.NewReader(tc.data[:n])); !errors.Is(err, ErrTruncated) {
					t.Fatalf("Inspect of the first %d of %d bytes: error %v, want ErrTruncated", n, len(tc.data), err)
				}
			}
		})
	}
}

func TestBitFlips(t *testing.T) {
	src, mixed, net := mixedFile(t)
	tinySrc, tiny := tinyFile(t, tinyModel(t))
	for _, tc := range []struct {
		name string
		src  []byte
		data []byte
		opts []Option
	}{
		{"stand-in", src, mixed, []Option{withNetwork(net), WithThreads(1)}},
		{"tiny model", tinySrc, tiny, []Option{WithThreads(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(tc.data)
			counts := map[error]int{}
			for i := range bad {
				for bit := range 8 {
					bad[i] ^= 1 << bit
					out, err := DecodeAll(bad, tc.opts...)
					bad[i] ^= 1 << bit
					if err == nil {
						t.Fatalf("flipping bit %d of byte %d went unnoticed (output equal: %v)", bit, i, bytes.Equal(out, tc.src))
					}
					if !typed(err) {
						t.Fatalf("flipping bit %d of byte %d: untyped error %v", bit, i, err)
					}
					for _, s := range sentinels {
						if errors.Is(err, s) {
							counts[s]++
						}
					}
				}
			}
			t.Logf("errors: %v", counts)
		})
	}
}

func TestBadMagicAndVersion(t *testing.T) {
	_, enc, net := mixedFile(t)
	for _, tc := range []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrTruncated, ""},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), ErrBadMagic, "not an mbz file"},
		{"short magic", []byte("MBZ"), ErrTruncated, ""},
		{"version 3", append([]byte(Magic+"\x03"), enc[5:]...), ErrUnsupportedVersion, "unsupported format version 3 (this mbzip reads 1 to 2)"},
		{"version 0", append([]byte(Magic+"\x00"), enc[5:]...), ErrUnsupportedVersion, "unsupported format version 0 (this mbzip reads 1 to 2)"},
		{"version 300", append([]byte(Magic+"\xac\x02"), enc[5:]...), ErrUnsupportedVersion, "unsupported format version 300 (this mbzip reads 1 to 2)"},
	} {
		_, err := DecodeAll(tc.data, withNetwork(net))
		if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
			t.Errorf("%s: DecodeAll error %q, want %v with %q", tc.name, err, tc.want, tc.msg)
		}
		if _, err := Inspect(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s: Inspect error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestOtherModel(t *testing.T) {
	// Same name as the built-in, other weights: the fingerprint must catch it.
	other, err := model.New(model.Configs["tiny"], 2)
	if err != nil {
		t.Fatal(err)
	}
	other.SetName("test-random-v1")
	src := sampleText(100)
	enc, err := EncodeAll(src, WithModel(other), withMethod(methodModel))
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeAll(enc)
	fp := other.Fingerprint()
	for _, want := range []string{`made with model "test-random-v1"`, fingerprintString(fp), "which is not available"} {
		if !errors.Is(err, ErrModelUnavailable) || !strings.Contains(fmt.Sprint(err), want) {
			t.Fatalf("DecodeAll with the wrong built-in: error %q, want ErrModelUnavailable saying %q", err, want)
		}
	}
	if _, err := NewReader(bytes.NewReader(enc), WithModel(tinyModel(t))); !errors.Is(err, ErrModelUnavailable) {
		t.Errorf("NewReader with a model of another fingerprint: %v", err)
	}
	// The right model, given directly or through a resolver, decodes it.
	if dec, err := DecodeAll(enc, WithModel(other)); err != nil || !bytes.Equal(dec, src) {
		t.Errorf("DecodeAll WithModel(right model): %v", err)
	}
	var asked string
	resolver := func(name string, fp [32]byte) (*model.Model, error) {
		asked = name
		if fp != other.Fingerprint() {
			return nil, fmt.Errorf("no model with fingerprint %x", fp[:4])
		}
		return other, nil
	}
	if dec, err := DecodeAll(enc, WithModelResolver(resolver)); err != nil || !bytes.Equal(dec, src) || asked != "test-random-v1" {
		t.Errorf("DecodeAll with a resolver: %v (asked for %q)", err, asked)
	}
	// A resolver that fails, and one that lies about the fingerprint.
	failing := func(string, [32]byte) (*model.Model, error) { return nil, errors.New("no such file") }
	if _, err := DecodeAll(enc, WithModelResolver(failing)); !errors.Is(err, ErrModelUnavailable) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("failing resolver: %v", err)
	}
	lying := func(string, [32]byte) (*model.Model, error) { return tinyModel(t), nil }
	if _, err := DecodeAll(enc, WithModelResolver(lying)); !errors.Is(err, ErrModelUnavailable) {
		t.Errorf("resolver returning another model: %v", err)
	}
	// An unknown name.
	other.SetName("no-such-model")
	enc, err = EncodeAll(src, WithModel(other))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeAll(enc); !errors.Is(err, ErrModelUnavailable) || !strings.Contains(err.Error(), `"no-such-model"`) {
		t.Errorf("unknown model name: %v", err)
	}
	// Inspect needs no model.
	if info, err := Inspect(bytes.NewReader(enc)); err != nil || info.ModelName != "no-such-model" || info.Fingerprint != fp {
		t.Errorf("Inspect = %+v, %v", info, err)
	}
}

// craft builds a file from parts, with correct checksums everywhere unless
// a part is given as raw bytes.
type craft struct {
	h    header
	body []byte // replaces the header body when set
	recs [][]byte
	tail []byte
}

func (c *craft) bytes(net network) []byte {
	var out []byte
	if c.body == nil {
		c.h.modelName, c.h.fingerprint = net.Name(), net.Fingerprint()
		if c.h.level == 0 {
			c.h.level = DefaultLevel
		}
		out = appendHeader(out, &c.h)
	} else {
		out = append(out, Magic...)
		out = binary.AppendUvarint(out, Version)
		out = binary.AppendUvarint(out, uint64(len(c.body)))
		out = append(out, c.body...)
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
	}
	for _, r := range c.recs {
		out = append(out, r...)
	}
	return append(out, c.tail...)
}

// rawRecord returns a record (with valid checksums) and payload.
func rawRecord(r record, payload []byte) []byte {
	r.codedCRC = crc32.Checksum(payload, castagnoli)
	return append(appendRecord(nil, &r), payload...)
}

func TestMalformed(t *testing.T) {
	net := newStandIn(64)
	data := []byte("hello, world")
	crc := crc32.Checksum(data, castagnoli)
	good := rawRecord(record{method: methodRaw, origLen: len(data), codedLen: len(data), crc: crc}, data)
	trail := appendTrailer(nil, &trailer{total: uint64(len(data)), segments: 1, crc: crc})
	fp := net.Fingerprint()
	body := func(nameLen uint64, sideLen uint64, segSize uint64) []byte {
		b := binary.AppendUvarint(nil, nameLen)
		b = append(b, net.Name()...)
		b = append(b, fp[:]...)
		b = append(b, DefaultLevel, 0)
		b = binary.AppendUvarint(b, sideLen)
		return binary.AppendUvarint(b, segSize)
	}
	// Sanity: the crafted good file decodes.
	ok := (&craft{h: header{segmentSize: 100}, recs: [][]byte{good}, tail: trail}).bytes(net)
	if dec, err := DecodeAll(ok, withNetwork(net)); err != nil || !bytes.Equal(dec, data) {
		t.Fatalf("crafted file: %v", err)
	}
	for _, tc := range []struct {
		name string
		c    craft
		want error
		msg  string
	}{
		{"segment size 2^40", craft{h: header{segmentSize: 1 << 40}}, ErrCorrupt, "segment size"},
		{"segment size 0", craft{body: body(uint64(len(net.Name())), 0, 0)}, ErrCorrupt, "segment size 0"},
		{"side info 2^40", craft{body: body(uint64(len(net.Name())), 1<<40, 100)}, ErrCorrupt, "side information length"},
		{"side info past header", craft{body: body(uint64(len(net.Name())), 1000, 100)}, ErrCorrupt, "side information"},
		{"name length 2^50", craft{body: body(1<<50, 0, 100)}, ErrCorrupt, "model name length"},
		{"level 0", craft{h: header{segmentSize: 100, level: 12}}, ErrCorrupt, "level"},
		{"original length > segment size", craft{h: header{segmentSize: 5}, recs: [][]byte{good}, tail: trail}, ErrCorrupt, "segment 0: original length"},
		{"original length 2^62", craft{h: header{segmentSize: 100}, recs: [][]byte{rawRecord(record{method: methodRaw, origLen: 1 << 62, codedLen: 1 << 62}, nil)}}, ErrCorrupt, "segment 0: original length"},
		{"coded length too long", craft{h: header{segmentSize: 100}, recs: [][]byte{rawRecord(record{method: methodModel, origLen: 10, codedLen: 1 << 40}, nil)}}, ErrCorrupt, "segment 0: coded length"},
		{"raw coded length differs", craft{h: header{segmentSize: 100}, recs: [][]byte{rawRecord(record{method: methodRaw, origLen: 12, codedLen: 11, crc: crc}, data[:11])}}, ErrCorrupt, "segment 0: coded length"},
		{"unknown method", craft{h: header{segmentSize: 100}, recs: [][]byte{{7}}}, ErrCorrupt, "segment 0: corrupt: unknown method"},
		{"lanes in version 1", craft{h: header{version: 1, segmentSize: 100}, recs: [][]byte{{byte(methodModelLanes), 12, 3, 2}}}, ErrCorrupt, "segment 0: corrupt: unknown method byte 0x4"},
		{"lanes 1", craft{h: header{segmentSize: 100}, recs: [][]byte{{byte(methodModelLanes), 12, 3, 1}}}, ErrCorrupt, "segment 0: lanes: corrupt: 1 out of range [2, 64]"},
		{"lanes 65", craft{h: header{segmentSize: 100}, recs: [][]byte{{byte(methodModelLanes), 12, 3, 65}}}, ErrCorrupt, "segment 0: lanes: corrupt: 65 out of range [2, 64]"},
		{"lanes garbage", craft{h: header{segmentSize: 200}, recs: [][]byte{good, rawRecord(record{method: methodModel, lanes: 3, origLen: 150, codedLen: 3, crc: crc}, []byte{0xff, 0xff, 0xff})}}, ErrCorrupt, "segment 1: corrupt"},
		{"model cost too high", craft{h: header{segmentSize: 100}, recs: [][]byte{rawRecord(record{method: methodRaw, origLen: 12, codedLen: 12, hasBits: true, bits: 12*24<<bitsFrac + 1, crc: crc}, data)}}, ErrCorrupt, "segment 0: model cost"},
		{"segment checksum", craft{h: header{segmentSize: 100}, recs: [][]byte{good, rawRecord(record{method: methodRaw, origLen: 12, codedLen: 12, crc: crc + 1}, data)}}, ErrChecksum, "segment 1: checksum mismatch"},
		{"zstd garbage", craft{h: header{segmentSize: 100}, recs: [][]byte{rawRecord(record{method: methodZstd, origLen: 12, codedLen: 5, crc: crc}, []byte("abcde"))}}, ErrCorrupt, "segment 0: corrupt: zstd"},
		{"model garbage", craft{h: header{segmentSize: 100}, recs: [][]byte{good, rawRecord(record{method: methodModel, origLen: 12, codedLen: 3, crc: crc}, []byte{0xff, 0xff, 0xff})}}, ErrCorrupt, "segment 1: corrupt"},
		{"coded checksum", craft{h: header{segmentSize: 100}, recs: [][]byte{good, append(appendRecord(nil, &record{method: methodZstd, origLen: 12, codedLen: 5, crc: crc, codedCRC: 1}), "abcde"...)}}, ErrChecksum, "segment 1: coded data checksum mismatch"},
		{"trailer length", craft{h: header{segmentSize: 100}, recs: [][]byte{good}, tail: appendTrailer(nil, &trailer{total: 13, segments: 1, crc: crc})}, ErrCorrupt, "trailer: corrupt"},
		{"trailer count", craft{h: header{segmentSize: 100}, recs: [][]byte{good}, tail: appendTrailer(nil, &trailer{total: 12, segments: 2, crc: crc})}, ErrCorrupt, "trailer: corrupt"},
		{"whole checksum", craft{h: header{segmentSize: 100}, recs: [][]byte{good}, tail: appendTrailer(nil, &trailer{total: 12, segments: 1, crc: crc ^ 1})}, ErrChecksum, "whole stream: checksum mismatch"},
		{"trailing garbage", craft{h: header{segmentSize: 100}, recs: [][]byte{good}, tail: append(bytes.Clone(trail), 0)}, ErrCorrupt, "data after the end"},
		{"two files", craft{h: header{segmentSize: 100}, recs: [][]byte{good}, tail: append(bytes.Clone(trail), ok...)}, ErrCorrupt, "data after the end"},
		{"no trailer", craft{h: header{segmentSize: 100}, recs: [][]byte{good}}, ErrTruncated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeAll(tc.c.bytes(net), withNetwork(net))
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
				t.Errorf("error %q, want %v with %q", err, tc.want, tc.msg)
			}
		})
	}
}

// TestHugeLengthsBoundedMemory declares the largest segments the format
// allows with little data behind them: the reader must fail with
// ErrTruncated without allocating anything like the declared sizes.
func TestHugeLengthsBoundedMemory(t *testing.T) {
	net := newStandIn(64)
	for _, r := range []record{{method: methodRaw}, {method: methodModel}, {method: methodModel, lanes: MaxLanes}, {method: methodZstd}} {
		t.Run(fmt.Sprintf("%v/lanes=%d", r.method, r.lanes), func(t *testing.T) {
			r.origLen, r.codedLen = MaxSegmentSize, MaxSegmentSize
			c := craft{h: header{segmentSize: MaxSegmentSize}, recs: [][]byte{
				rawRecord(r, []byte("only a few bytes")),
			}}
			data := c.bytes(net)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := DecodeAll(data, withNetwork(net), WithThreads(4))
			_, ierr := Inspect(bytes.NewReader(data))
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTruncated) || !errors.Is(ierr, ErrTruncated) {
				t.Fatalf("DecodeAll: %v; Inspect: %v; want ErrTruncated", err, ierr)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d MiB for a %d-byte input", alloc>>20, len(data))
			}
		})
	}
}
