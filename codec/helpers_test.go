package codec

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/mbzip/mbzip/arith"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// standIn is a fast deterministic predictor that stands in for the model
// where the real one would make a test too slow on a busy 2-core machine.
// Within a window it is an order-1 frequency model: byte b after byte a has
// weight 1 + 64·(times b followed a so far in the window). It predicts
// Markov-like data better than zstd and random data not at all. Forward and
// its batch give identical probabilities by construction: both call dist on
// the same state.
type standIn struct {
	window int
	name   string
	salt   byte // changes the fingerprint only
}

func newStandIn(window int) *standIn { return &standIn{window: window, name: "stand-in"} }

func (s *standIn) Name() string { return s.name }
func (s *standIn) Fingerprint() [32]byte {
	return sha256.Sum256([]byte{'s', 't', 'a', 'n', 'd', byte(s.window), byte(s.window >> 8), byte(s.window >> 16), s.salt})
}
func (s *standIn) Window() int { return s.window }

// standInState is the context of one stream within its window. The count
// rows are allocated from a slab as previous bytes are first seen, so that a
// reset costs little.
type standInState struct {
	pos  int
	prev int // −1 at a window start
	row  [256]int16
	slab [][256]uint16
	used int
}

func (st *standInState) reset() {
	st.pos, st.prev, st.used = 0, -1, 0
	for i := range st.row {
		st.row[i] = -1
	}
}

func (st *standInState) dist(probs []float32) {
	if st.prev < 0 || st.row[st.prev] < 0 {
		for i := range probs[:256] {
			probs[i] = 1
		}
		return
	}
	for i, c := range &st.slab[st.row[st.prev]] {
		probs[i] = float32(1 + 64*int(c))
	}
}

func (st *standInState) push(b byte, window int) {
	if st.prev >= 0 {
		if st.row[st.prev] < 0 {
			if st.used == len(st.slab) {
				st.slab = append(st.slab, [256]uint16{})
			}
			st.slab[st.used] = [256]uint16{}
			st.row[st.prev] = int16(st.used)
			st.used++
		}
		st.slab[st.row[st.prev]][b]++
	}
	st.prev = int(b)
	st.pos++
	if st.pos == window {
		st.reset()
	}
}

func (s *standIn) Forward(seq []byte, probs []float32) {
	st := new(standInState)
	st.reset()
	for t, b := range seq {
		st.dist(probs[t*256 : (t+1)*256])
		st.push(b, s.window)
	}
}

func (s *standIn) NewBatch(n int) batch {
	return &standInBatch{window: s.window, rows: make([]*standInState, n)}
}

type standInBatch struct {
	window int
	rows   []*standInState // allocated on first use
}

func (b *standInBatch) SetThreads(int) {}
func (b *standInBatch) Close()         {}

func (b *standInBatch) row(r int) *standInState {
	if b.rows[r] == nil {
		b.rows[r] = new(standInState)
		b.rows[r].reset()
	}
	return b.rows[r]
}

func (b *standInBatch) Next(rows []int, probs []float32) {
	for i, r := range rows {
		b.row(r).dist(probs[i*256 : (i+1)*256])
	}
}

func (b *standInBatch) Push(rows []int, syms []byte) {
	for i, r := range rows {
		b.row(r).push(syms[i], b.window)
	}
}

func (b *standInBatch) Reset(row int) { b.row(row).reset() }

// withNetwork makes the codec use n instead of a model (both directions).
func withNetwork(n network) Option {
	return func(o *options) error {
		o.net = n
		return nil
	}
}

// withMethod makes the Writer code every segment with m (falling back to
// raw when a model code would exceed the format's bound).
func withMethod(m method) Option {
	return func(o *options) error {
		o.forceMethod = m
		return nil
	}
}

// withStage makes both directions code with the stages f returns.
func withStage(f func(level int) stage) Option {
	return func(o *options) error {
		o.newStage = f
		return nil
	}
}

// countingStage is a stage with state, the shape of the adaptive levels to
// come: it mixes the model's distribution with the counts of the bytes
// observed so far in the segment (in coding order) and restarts the counts
// at the end of every block it is told of, so that encoder and decoder
// agree only if they call it in the same order.
type countingStage struct {
	counts [256]float32
	seen   float32
	mixed  [256]float32
}

func (s *countingStage) quantize(probs []float32, freqs []uint32) error {
	for i, p := range probs[:256] {
		s.mixed[i] = p + s.counts[i]/(s.seen+8)
	}
	return arith.Quantize(s.mixed[:], freqs)
}
func (s *countingStage) observe(sym byte) { s.counts[sym]++; s.seen++ }
func (s *countingStage) endBlock([]byte) {
	for i := range s.counts {
		s.counts[i] /= 2
	}
	s.seen /= 2
}
func (s *countingStage) static() bool { return false }

// tinyModel returns the untrained built-in "test-random-v1" (the "tiny"
// config with seed 1), the default model.
func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := builtin.Lookup("test-random-v1")
	if err != nil {
		t.Fatalf("builtin tiny model: %v", err)
	}
	return m
}

// randomBytes returns n bytes from a seeded PCG.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// markovBytes returns n bytes of an order-1 Markov chain over 32 byte
// values: each is followed by its own fixed successor with probability 7/8,
// else by a random one of the 32. The stand-in predictor, which learns the
// successors, models it in about 2 bits per byte; zstd does not, so the
// writer picks the model.
func markovBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	var alphabet, next [32]byte
	for i := range alphabet {
		alphabet[i] = byte(rng.Uint32())
		next[i] = byte(rng.IntN(32))
	}
	b := make([]byte, n)
	s := byte(0)
	for i := range b {
		if rng.IntN(8) == 0 {
			s = byte(rng.IntN(32))
		} else {
			s = next[s]
		}
		b[i] = alphabet[s]
	}
	return b
}

// sampleText returns n bytes of English-like text.
func sampleText(n int) []byte {
	words := []string{"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "a",
		"model", "predicts", "next", "byte", "of", "stream", "with", "probability", "coder", "segment",
		"window", "patch", "global", "local", "transformer", "arithmetic", "compression", "ratio"}
	rng := rand.New(rand.NewPCG(7, 11))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		switch rng.IntN(12) {
		case 0:
			b.WriteString(".\n")
		case 1:
			b.WriteString(", ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

var (
	executableOnce sync.Once
	executableData []byte
)

// executableBytes returns the first n bytes of the test binary (a Go
// executable), or skips the test when it cannot be read.
func executableBytes(t testing.TB, n int) []byte {
	t.Helper()
	executableOnce.Do(func() {
		path, err := os.Executable()
		if err != nil {
			return
		}
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		executableData, _ = io.ReadAll(io.LimitReader(f, 8<<20))
	})
	if len(executableData) == 0 {
		t.Skip("cannot read the test executable")
	}
	return executableData[:min(n, len(executableData))]
}

// sentinels are the package's error values; every decoding error wraps one.
var sentinels = []error{ErrBadMagic, ErrUnsupportedVersion, ErrTruncated, ErrCorrupt, ErrChecksum, ErrModelUnavailable}

// typed reports whether err wraps one of the package's error values.
func typed(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// oddReader returns its data in reads of varying odd sizes.
type oddReader struct {
	data  []byte
	sizes []int
	i     int
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), r.sizes[r.i%len(r.sizes)])
	r.i++
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// encodeStream compresses src through a Writer with writes of odd sizes.
func encodeStream(t testing.TB, src []byte, sizes []int, opts ...Option) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, opts...)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for i, p := 0, src; len(p) > 0; i++ {
		n := min(len(p), sizes[i%len(sizes)])
		m, err := w.Write(p[:n])
		if err != nil || m != n {
			t.Fatalf("Write(%d bytes) = %d, %v", n, m, err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out.Bytes()
}

// decodeStream decompresses through a Reader reading into buffers of odd
// sizes, from an underlying reader that also returns odd sizes.
func decodeStream(t testing.TB, data []byte, sizes []int, opts ...Option) ([]byte, error) {
	t.Helper()
	r, err := NewReader(&oddReader{data: data, sizes: []int{1, 7, 4093, 65536}}, opts...)
	if err != nil {
		return nil, err
	}
	var out []byte
	buf := make([]byte, 1<<16)
	for i := 0; ; i++ {
		n, err := r.Read(buf[:sizes[i%len(sizes)]])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
