package codec

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

// methods counts the segments of each method in an .mbz file.
func methods(t testing.TB, data []byte) map[method]int {
	t.Helper()
	wr := newWireReader(bytes.NewReader(data))
	h, err := readHeader(wr)
	if err != nil {
		t.Fatalf("readHeader: %v", err)
	}
	m := map[method]int{}
	for i := int64(0); ; i++ {
		r, err := readRecord(wr, i, h)
		if err != nil {
			t.Fatalf("readRecord: %v", err)
		}
		if r.method == methodEnd {
			return m
		}
		m[r.method]++
		if _, err := wr.bytes(nil, r.codedLen, "payload"); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRoundTrip encodes src with EncodeAll and with a Writer (odd write
// sizes), checks both give the same bytes, and decodes them with DecodeAll
// and with a Reader (odd read sizes). It returns the encoded file. Inputs of
// a megabyte or more skip the Writer, whose buffering smaller inputs test,
// to keep the package's tests fast on a slow machine.
func checkRoundTrip(t *testing.T, src []byte, opts ...Option) []byte {
	t.Helper()
	enc, err := EncodeAll(src, opts...)
	if err != nil {
		t.Fatalf("EncodeAll: %v", err)
	}
	if len(src) < 1<<20 {
		// EncodeAll detects the modality from all of src, the Writer from
		// its first segment: pin it so that both write the same header.
		kind := modalities.Detect(src)
		streamed := encodeStream(t, src, []int{1, 3, 1000, 7, 65537}, append(opts, WithModality(kind))...)
		if !bytes.Equal(enc, streamed) {
			t.Fatalf("EncodeAll and Writer differ: %d vs %d bytes", len(enc), len(streamed))
		}
	}
	dec, err := DecodeAll(enc, opts...)
	if err != nil {
		t.Fatalf("DecodeAll: %v", err)
	}
	if !bytes.Equal(dec, src) {
		t.Fatalf("DecodeAll: got %d bytes, want %d (first difference at %d)", len(dec), len(src), firstDiff(dec, src))
	}
	dec, err = decodeStream(t, enc, []int{1, 5, 4096, 13}, opts...)
	if err != nil {
		t.Fatalf("Reader: %v", err)
	}
	if !bytes.Equal(dec, src) {
		t.Fatalf("Reader: got %d bytes, want %d (first difference at %d)", len(dec), len(src), firstDiff(dec, src))
	}
	info, err := Inspect(bytes.NewReader(enc))
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if info.OriginalSize != int64(len(src)) || info.CompressedSize != int64(len(enc)) {
		t.Fatalf("Inspect: sizes %d → %d, want %d → %d", info.OriginalSize, info.CompressedSize, len(src), len(enc))
	}
	return enc
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TestRoundTripTinyModel codes small inputs with the real untrained model,
// both with the writer's own choice of method and with every segment forced
// through the model (which an untrained model never wins on its own).
func TestRoundTripTinyModel(t *testing.T) {
	m := tinyModel(t)
	inputs := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"1 byte", []byte{'x'}},
		{"all 256 byte values", allBytes()},
		{"text", sampleText(3000)},
		{"random", randomBytes(1500, 1)},
		{"go binary", executableBytes(t, 2000)},
	}
	for _, in := range inputs {
		for _, force := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/forced=%v", in.name, force), func(t *testing.T) {
				opts := []Option{WithModel(m), WithSegmentSize(1024), WithThreads(2)}
				if force {
					opts = append(opts, withMethod(methodModel))
				}
				enc := checkRoundTrip(t, in.data, opts...)
				ms := methods(t, enc)
				if force && len(in.data) > 1 && ms[methodModel] == 0 {
					t.Errorf("no model-coded segment in a forced file: %v", ms)
				}
				if !force && len(enc) > len(in.data)+100+20*((len(in.data)+1023)/1024) {
					t.Errorf("%d bytes became %d: stored segments must bound the growth", len(in.data), len(enc))
				}
			})
		}
	}
}

// TestRoundTripGrownModel codes text, every segment through the model, with
// the tiny model grown to MLP widths of its own (model.Grow), so that the
// decoder's lock-step Batch runs those widths too.
func TestRoundTripGrownModel(t *testing.T) {
	base := tinyModel(t)
	cfg := base.Cfg
	cfg.GlobalMLP, cfg.LocalMLP = 4*cfg.GlobalDim+24, 4*cfg.LocalDim+5
	m, err := model.Grow(base, cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	enc := checkRoundTrip(t, sampleText(5000), WithModel(m), WithSegmentSize(1024), WithThreads(2), withMethod(methodModel))
	if ms := methods(t, enc); ms[methodModel] == 0 {
		t.Errorf("no model-coded segment: %v", ms)
	}
}

// TestRoundTripHalfModel codes with a small model whose every block is in
// binary16 (model.Model.HalfLinears, as the shipped f16 models), local
// widths of 32 and 128: the encoder runs whole windows through the float32
// products, the decoder one byte of 8 lanes at a time through the binary16
// panels (kernels.PackLinearHalf), and they must agree on every
// probability for the bytes to come back.
func TestRoundTripHalfModel(t *testing.T) {
	cfg := model.Config{PatchSize: 4, GlobalDim: 32, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 32,
		LocalLayers: 2, LocalHeads: 2, ContextPatches: 9, HalfKV: true}
	m, err := model.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	m.HalfLinears()
	data := sampleText(3000)
	enc, err := EncodeAll(data, WithModel(m), WithSegmentSize(8*cfg.Window()), withMethod(methodModel))
	if err != nil {
		t.Fatal(err)
	}
	for threads := 1; threads <= 2; threads++ {
		dec, err := DecodeAll(enc, WithModel(m), WithThreads(threads))
		if err != nil || !bytes.Equal(dec, data) {
			t.Fatalf("threads %d: decode: %v", threads, err)
		}
	}
}

// TestRoundTripStandIn codes larger inputs with the fast stand-in predictor,
// which wins on text, so that the writer's choice mixes all three methods.
func TestRoundTripStandIn(t *testing.T) {
	big := 1 << 20
	exe := 2 << 20
	if testing.Short() {
		big, exe = 128<<10, 256<<10
	}
	net := newStandIn(4096)
	for _, in := range []struct {
		name      string
		data      []byte
		segSize   int
		wantModel bool
	}{
		{"random 1MB", randomBytes(big, 2), DefaultSegmentSize, false},
		{"text", sampleText(big / 4), 16 << 10, false},
		{"markov", markovBytes(big/4, 1), 16 << 10, true},
		{"go binary", executableBytes(t, exe), DefaultSegmentSize, false},
		{"several small segments", markovBytes(60000, 2), 6000, true},
		{"segments smaller than the window", markovBytes(3000, 2), 700, false},
		{"all 256 byte values", allBytes(), 100, false},
		{"1 byte", []byte{0}, 100, false},
		{"empty", []byte{}, 100, false},
	} {
		t.Run(in.name, func(t *testing.T) {
			enc := checkRoundTrip(t, in.data, withNetwork(net), WithSegmentSize(in.segSize), WithThreads(2))
			ms := methods(t, enc)
			if in.wantModel && ms[methodModel] == 0 {
				t.Errorf("no model-coded segment: %v", ms)
			}
			if len(enc) > len(in.data)+len(in.data)/1000+200 {
				t.Errorf("%d bytes became %d", len(in.data), len(enc))
			}
			t.Logf("%d → %d bytes, segments by method %v", len(in.data), len(enc), ms)
		})
	}
}

// TestThreadsIdentical checks that the thread count changes nothing in the
// output or the decoding, with the real model (forced, so that its code is what is written)
// and with the stand-in (the writer's own choices).
func TestThreadsIdentical(t *testing.T) {
	m := tinyModel(t)
	for _, tc := range []struct {
		name string
		data []byte
		opts []Option
	}{
		{"tiny model", sampleText(2500), []Option{WithModel(m), WithSegmentSize(300), withMethod(methodModel)}},
		// Fewer segments than threads: the spare threads share the steps
		// of a batch (model.Batch.SetThreads).
		{"tiny model, 3 segments", sampleText(700), []Option{WithModel(m), WithSegmentSize(300), withMethod(methodModel)}},
		{"tiny model, 1 segment", sampleText(290), []Option{WithModel(m), WithSegmentSize(300), withMethod(methodModel)}},
		{"stand-in", append(sampleText(30000), randomBytes(20000, 3)...), []Option{withNetwork(newStandIn(256)), WithSegmentSize(4000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first []byte
			for threads := 1; threads <= 4; threads++ {
				opts := append(tc.opts, WithThreads(threads))
				enc, err := EncodeAll(tc.data, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if threads == 1 {
					first = enc
				} else if !bytes.Equal(enc, first) {
					t.Fatalf("threads=%d: output differs from threads=1", threads)
				}
				dec, err := DecodeAll(first, opts...)
				if err != nil || !bytes.Equal(dec, tc.data) {
					t.Fatalf("threads=%d: decode: %v", threads, err)
				}
			}
		})
	}
}

// TestLanes codes the same data block after block and in 2, 3, 16 and 64
// lanes, segments of several sizes in one file (full groups, a short last
// group, a short last block, one-block segments), and decodes each with 1 to
// 3 threads. The model's cost is the same whatever the order; the code is
// as long give or take a byte per segment.
func TestLanes(t *testing.T) {
	m := tinyModel(t) // window 64
	data := sampleText(2000)
	for _, seg := range []int{64, 200, 640, 1000} {
		var base *Info
		var baseLen int
		for _, lanes := range []int{1, 2, 3, 16, 64} {
			opts := []Option{WithModel(m), WithSegmentSize(seg), WithLanes(lanes), withMethod(methodModel)}
			enc, err := EncodeAll(data, append(opts, WithThreads(2))...)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Inspect(bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			if want := min(lanes, (seg+63)/64); info.Lanes != want {
				t.Errorf("segment %d, lanes %d: Inspect says %d lanes, want %d", seg, lanes, info.Lanes, want)
			}
			if base == nil {
				base, baseLen = info, len(enc)
			} else if info.ModelBits != base.ModelBits || abs(len(enc)-baseLen) > 2*info.Segments {
				t.Errorf("segment %d, lanes %d: %d bytes, model cost %v; block after block %d, %v", seg, lanes, len(enc), info.ModelBits, baseLen, base.ModelBits)
			}
			for threads := 1; threads <= 3; threads++ {
				dec, err := DecodeAll(enc, WithThreads(threads))
				if err != nil || !bytes.Equal(dec, data) {
					t.Fatalf("segment %d, lanes %d, threads %d: decode: %v", seg, lanes, threads, err)
				}
			}
		}
	}
	if _, err := EncodeAll(data, WithLanes(0)); err == nil {
		t.Error("WithLanes(0) accepted")
	}
	if _, err := EncodeAll(data, WithLanes(MaxLanes+1)); err == nil {
		t.Error("WithLanes(MaxLanes+1) accepted")
	}
}

// TestLanesStageWithState codes with a stage that has state (countingStage,
// the shape of the adaptive levels): the encoder then quantizes in coding
// order from a lane group's distributions, and the decoder must agree for
// every lane count and thread count. Its cost must differ from the static
// stage's, or the stage was not used.
func TestLanesStageWithState(t *testing.T) {
	m := tinyModel(t)
	data := sampleText(1500)
	counting := withStage(func(int) stage { return &countingStage{} })
	static, err := EncodeAll(data, WithModel(m), WithSegmentSize(700), withMethod(methodModel))
	if err != nil {
		t.Fatal(err)
	}
	staticInfo, err := Inspect(bytes.NewReader(static))
	if err != nil {
		t.Fatal(err)
	}
	for _, lanes := range []int{1, 3, 16} {
		var first []byte
		for threads := 1; threads <= 3; threads++ {
			opts := []Option{WithModel(m), WithSegmentSize(700), WithLanes(lanes), withMethod(methodModel), counting, WithThreads(threads)}
			enc, err := EncodeAll(data, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = enc
				info, err := Inspect(bytes.NewReader(enc))
				if err != nil || info.ModelBits == staticInfo.ModelBits {
					t.Fatalf("lanes %d: Inspect %+v, %v: the stage with state cost what the static one costs", lanes, info, err)
				}
			} else if !bytes.Equal(enc, first) {
				t.Fatalf("lanes %d, threads %d: output differs from threads 1", lanes, threads)
			}
			dec, err := DecodeAll(enc, opts...)
			if err != nil || !bytes.Equal(dec, data) {
				t.Fatalf("lanes %d, threads %d: decode: %v", lanes, threads, err)
			}
			// The static stage cannot decode it.
			if lanes == 3 && threads == 1 {
				if dec, err := DecodeAll(enc, WithModel(m)); err == nil && bytes.Equal(dec, data) {
					t.Fatalf("lanes %d: decoded without the stage", lanes)
				}
			}
		}
	}
}

func abs(x int) int { return max(x, -x) }

// log2Cost returns Σ −log2 p of data under m, in float64, the way the codec
// sees it: each segment on its own, each window on its own.
func log2Cost(m *model.Model, data []byte, segSize int) float64 {
	var bits float64
	for s := 0; s < len(data); s += segSize {
		seg := data[s:min(s+segSize, len(data))]
		probs := make([]float32, len(seg)*256)
		m.Forward(seg, probs)
		for t, b := range seg {
			var sum float64
			for _, p := range probs[t*256 : (t+1)*256] {
				sum += float64(p)
			}
			bits -= math.Log2(float64(probs[t*256+int(b)]) / sum)
		}
	}
	return bits
}

// TestSizeBound checks that model-coded segments cost no more than the
// model's Σ −log2 p / 8, plus the container's bytes and 0.1 %.
func TestSizeBound(t *testing.T) {
	m := tinyModel(t)
	for _, tc := range []struct {
		name    string
		data    []byte
		segSize int
	}{
		{"text", sampleText(6000), 2048},
		{"binary", executableBytes(t, 3000), 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := EncodeAll(tc.data, WithModel(m), WithSegmentSize(tc.segSize), withMethod(methodModel), WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			segs := (len(tc.data) + tc.segSize - 1) / tc.segSize
			if n := methods(t, enc)[methodModel]; n != segs {
				t.Fatalf("%d of %d segments model-coded", n, segs)
			}
			bits := log2Cost(m, tc.data, tc.segSize)
			// Container: header, trailer, and per segment a record of at
			// most 1+3·10+12 bytes plus the range coder's flush (≤ 2 bytes).
			h := header{modelName: m.Name(), segmentSize: tc.segSize, level: DefaultLevel}
			overhead := len(appendHeader(nil, &h)) + len(appendTrailer(nil, &trailer{total: uint64(len(tc.data)), segments: uint64(segs)})) + segs*(1+3*binary10+12+2)
			bound := bits/8*1.001 + float64(overhead)
			t.Logf("%d bytes: Σ −log2 p = %.0f bits (%.4f bits/byte), file %d bytes, bound %.0f", len(tc.data), bits, bits/float64(len(tc.data)), len(enc), bound)
			if float64(len(enc)) > bound {
				t.Errorf("file is %d bytes, more than the bound %.0f", len(enc), bound)
			}
			info, err := Inspect(bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			// The recorded cost is that of the quantized frequencies, within
			// 256/Total of the model's mass per byte and the fixed-point
			// logarithm's error.
			if d := math.Abs(info.ModelBits - bits); d > 1e-3*bits+1 {
				t.Errorf("Info.ModelBits = %.1f, model's Σ −log2 p = %.1f", info.ModelBits, bits)
			}
			if info.ModelBitsBytes != int64(len(tc.data)) {
				t.Errorf("ModelBitsBytes = %d, want %d", info.ModelBitsBytes, len(tc.data))
			}
			dec, err := DecodeAll(enc, WithModel(m))
			if err != nil || !bytes.Equal(dec, tc.data) {
				t.Fatalf("DecodeAll: %v", err)
			}
		})
	}
}

// binary10 is the longest varint.
const binary10 = 10

func TestCostQ16(t *testing.T) {
	for _, f := range []uint32{1, 2, 3, 5, 255, 256, 1000, 65535, 1 << 20, 12345678, 1<<24 - 1, 1 << 24} {
		got := float64(costQ16(f)) / (1 << bitsFrac)
		want := 24 - math.Log2(float64(f))
		if math.Abs(got-want) > 2.0/(1<<bitsFrac) {
			t.Errorf("costQ16(%d) = %.6f bits, want %.6f", f, got, want)
		}
	}
}

func TestInfo(t *testing.T) {
	net := newStandIn(4096)
	src := append(markovBytes(25000, 3), randomBytes(15000, 4)...)
	enc, err := EncodeAll(src, withNetwork(net), WithSegmentSize(5000), WithLevel(3), WithModality(modalities.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	ms := methods(t, enc)
	want := Info{
		Version:        Version,
		ModelName:      "stand-in",
		Fingerprint:    net.Fingerprint(),
		Level:          3,
		Modality:       modalities.Bytes,
		SegmentSize:    5000,
		OriginalSize:   int64(len(src)),
		CompressedSize: int64(len(enc)),
		Segments:       8,
		StoredSegments: ms[methodRaw] + ms[methodZstd],
		Lanes:          2, // the stand-in's window is 4096 bytes
		ModelBits:      info.ModelBits,
		ModelBitsBytes: int64(len(src)),
	}
	if *info != want {
		t.Errorf("Inspect = %+v\nwant %+v", *info, want)
	}
	if info.StoredSegments < 3 || info.StoredSegments == info.Segments {
		t.Errorf("expected the random segments stored and the text model-coded: %v", ms)
	}
	if bpb := info.ModelBits / float64(info.ModelBitsBytes); bpb < 1 || bpb > 9 {
		t.Errorf("bits per byte %.3f out of the plausible range", bpb)
	}
	// Detection: text by default.
	enc, err = EncodeAll(sampleText(100), withNetwork(net))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := Inspect(bytes.NewReader(enc)); err != nil || info.Modality != modalities.Text || info.Level != DefaultLevel {
		t.Errorf("Inspect = %+v, %v; want text, level %d", info, err, DefaultLevel)
	}
}

func TestProgress(t *testing.T) {
	net := newStandIn(128)
	src := sampleText(10000)
	var calls int
	var lastIn, lastOut int64
	progress := func(in, out int64) {
		if in < lastIn || out < lastOut {
			t.Errorf("progress went back: (%d, %d) after (%d, %d)", in, out, lastIn, lastOut)
		}
		lastIn, lastOut = in, out
		calls++
	}
	enc, err := EncodeAll(src, withNetwork(net), WithSegmentSize(1000), WithThreads(2), WithProgress(progress))
	if err != nil {
		t.Fatal(err)
	}
	if calls < 5 || lastIn != int64(len(src)) || lastOut != int64(len(enc)) {
		t.Errorf("writer progress: %d calls, last (%d, %d), want (%d, %d)", calls, lastIn, lastOut, len(src), len(enc))
	}
	calls, lastIn, lastOut = 0, 0, 0
	if _, err := DecodeAll(enc, withNetwork(net), WithThreads(1), WithProgress(progress)); err != nil {
		t.Fatal(err)
	}
	if calls < 1 || lastIn != int64(len(enc)) || lastOut != int64(len(src)) {
		t.Errorf("reader progress: %d calls, last (%d, %d), want (%d, %d)", calls, lastIn, lastOut, len(enc), len(src))
	}
}

func TestOptions(t *testing.T) {
	for _, opt := range []Option{WithLevel(0), WithLevel(10), WithThreads(-1), WithSegmentSize(0), WithSegmentSize(MaxSegmentSize + 1),
		WithModality(modalities.Kind(99)), WithModel(nil)} {
		if _, err := NewWriter(io.Discard, opt); err == nil {
			t.Errorf("NewWriter accepted a bad option")
		}
		if _, err := EncodeAll(nil, opt); err == nil {
			t.Errorf("EncodeAll accepted a bad option")
		}
	}
	w, err := NewWriter(io.Discard, withNetwork(newStandIn(64)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, fmt.Errorf("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterError(t *testing.T) {
	w, err := NewWriter(&failWriter{n: 100}, withNetwork(newStandIn(64)), WithSegmentSize(500), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write(randomBytes(5000, 5))
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("a failing destination gave no error")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after a failure succeeded")
	}
}
