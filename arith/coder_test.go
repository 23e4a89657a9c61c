package arith

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// stream is a sequence of symbols with the table each was coded with.
type stream struct {
	tables [][]uint32
	which  []int // index into tables per symbol
	syms   []byte
}

// randomStream draws n symbols; each symbol picks one of a few random tables
// of mixed kinds, so the distribution changes from symbol to symbol as it
// does under a model.
func randomStream(t testing.TB, rng *rand.Rand, n int, kinds ...distKind) *stream {
	s := &stream{}
	for i := range 8 {
		kind := kinds[i%len(kinds)]
		s.tables = append(s.tables, randomFreqs(t, rng, kind))
	}
	s.which = make([]int, n)
	s.syms = make([]byte, n)
	smp := newSampler(s.tables)
	for i := range n {
		w := rng.IntN(len(s.tables))
		s.which[i] = w
		s.syms[i] = smp.draw(rng, w)
	}
	return s
}

func (s *stream) encode(t testing.TB, prefix []byte) []byte {
	t.Helper()
	e := NewEncoder(prefix)
	for i, sym := range s.syms {
		e.Encode(s.tables[s.which[i]], sym)
	}
	n := e.Len()
	out := e.Finish()
	if err := e.Err(); err != nil {
		t.Fatalf("encode: %v", err)
	}
	if len(out)-len(prefix) != n {
		t.Fatalf("Len() = %d before Finish, stream is %d bytes", n, len(out)-len(prefix))
	}
	return out
}

// decode decodes every symbol of s from src and checks Finish.
func (s *stream) decode(t testing.TB, src []byte) {
	t.Helper()
	d, err := NewDecoder(src)
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	for i, want := range s.syms {
		got, err := d.Decode(s.tables[s.which[i]])
		if err != nil {
			t.Fatalf("symbol %d of %d: %v", i, len(s.syms), err)
		}
		if got != want {
			t.Fatalf("symbol %d of %d: got %d, want %d", i, len(s.syms), got, want)
		}
	}
	if err := d.Finish(); err != nil {
		t.Fatalf("Finish after %d symbols: %v", len(s.syms), err)
	}
}

func (s *stream) idealBits() float64 {
	var bits float64
	for i, sym := range s.syms {
		bits += idealBits(s.tables[s.which[i]], sym)
	}
	return bits
}

func TestRoundTripRandom(t *testing.T) {
	rng := newRand(10)
	all := []distKind{distRandom, distPeaked, distSharp, distUniform, distSparse, distWide}
	for n := range 400 {
		length := rng.IntN(2000)
		if n%50 == 0 {
			length = 0
		}
		s := randomStream(t, rng, length, all[n%len(all)], all[(n+1)%len(all)], all[(n/6)%len(all)])
		s.decode(t, s.encode(t, nil))
	}
}

func TestRoundTripExtreme(t *testing.T) {
	rng := newRand(11)
	oneHigh := make([]uint32, 256) // all 1 except one
	for i := range oneHigh {
		oneHigh[i] = 1
	}
	oneHigh[200] = Total - 255
	low255 := make([]uint32, 256) // all 1 except the last: low sits near the top
	for i := range low255 {
		low255[i] = 1
	}
	low255[255] = Total - 255
	uniform := make([]uint32, 256)
	for i := range uniform {
		uniform[i] = Total / 256
	}
	sparse := make([]uint32, 256) // zero frequencies are allowed
	sparse[0], sparse[255] = Total/2, Total/2

	cases := []struct {
		name  string
		table []uint32
		pick  func() byte
	}{
		{"mostly the likely symbol", oneHigh, func() byte {
			if rng.IntN(1000) == 0 {
				return byte(rng.IntN(256))
			}
			return 200
		}},
		{"only unlikely symbols", oneHigh, func() byte { return byte(rng.IntN(200)) }},
		{"only the top symbol", low255, func() byte { return 255 }},
		{"top symbol then rare ones", low255, func() byte {
			if rng.IntN(50) == 0 {
				return byte(rng.IntN(255))
			}
			return 255
		}},
		{"uniform", uniform, func() byte { return byte(rng.IntN(256)) }},
		{"two symbols, zeros elsewhere", sparse, func() byte { return byte(rng.IntN(2) * 255) }},
	}
	for _, c := range cases {
		n := 50000
		if testing.Short() {
			n = 10000
		}
		s := &stream{tables: [][]uint32{c.table}, which: make([]int, n), syms: make([]byte, n)}
		for i := range s.syms {
			s.syms[i] = c.pick()
		}
		out := s.encode(t, nil)
		s.decode(t, out)
		if over := float64(8*len(out)) - s.idealBits(); over > 16+1e-6*s.idealBits() {
			t.Errorf("%s: %d bytes, %.1f bits above the ideal %.1f", c.name, len(out), over, s.idealBits())
		}
	}
}

func TestRoundTripLong(t *testing.T) {
	n := 1 << 18
	if testing.Short() {
		n = 1 << 15
	}
	rng := newRand(12)
	s := randomStream(t, rng, n, distRandom, distPeaked, distSharp, distSparse)
	s.decode(t, s.encode(t, nil))
}

// TestOverhead measures the coder's own cost: compressed bits minus
// Σ −log2(freq/Total) of the coded symbols, on 10^6 symbols of a geometric
// distribution (p_k ∝ 2^-(k+1), entropy ≈ 2 bits).
func TestOverhead(t *testing.T) {
	n := 1000000
	if testing.Short() {
		n = 100000
	}
	p := make([]float32, 256)
	for k := range p {
		p[k] = float32(math.Ldexp(1, -(k + 1)))
	}
	freqs := make([]uint32, 256)
	if err := Quantize(p, freqs); err != nil {
		t.Fatal(err)
	}
	rng := newRand(13)
	s := &stream{tables: [][]uint32{freqs}, which: make([]int, n), syms: make([]byte, n)}
	smp := newSampler(s.tables)
	for i := range s.syms {
		s.syms[i] = smp.draw(rng, 0)
	}
	out := s.encode(t, nil)
	s.decode(t, out)
	ideal := s.idealBits()
	got := float64(8 * len(out))
	rel := (got - ideal) / ideal
	t.Logf("%d symbols: ideal %.1f bits (%.4f bit/symbol), coded %d bytes, overhead %.1f bits = %.2e",
		n, ideal, ideal/float64(n), len(out), got-ideal, rel)
	if rel >= 0.001 {
		t.Fatalf("overhead %.3g ≥ 0.1%%", rel)
	}
}

// referenceEncode codes the same ranges with an arbitrary-precision lower
// bound instead of a 56-bit window with cache and carry handling. It returns
// the stream and how many additions carried out of the window, and out of the
// window plus the byte above it (a carry through a 0xFF byte).
func referenceEncode(t *testing.T, ranges [][2]uint32) (out []byte, carries, ffCarries int) {
	low := new(big.Int)
	rng := uint64(initRange)
	shifts := 0
	var add, above, above2, tmp big.Int
	for _, lr := range ranges {
		r := rng >> TotalBits
		above.Rsh(low, windowBits)
		above2.Rsh(low, windowBits+8)
		add.SetUint64(r * uint64(lr[0]))
		low.Add(low, &add)
		if tmp.Rsh(low, windowBits).Cmp(&above) != 0 {
			carries++
		}
		if tmp.Rsh(low, windowBits+8).Cmp(&above2) != 0 {
			ffCarries++
		}
		rng = r * uint64(lr[1])
		for rng < topValue {
			low.Lsh(low, 8)
			rng <<= 8
			shifts++
		}
	}
	// Round up to a multiple of 2^48, as Finish does.
	tail := new(big.Int).SetUint64(topValue - 1)
	low.Add(low, tail)
	low.Rsh(low, windowBits-8)
	low.Lsh(low, windowBits-8)
	full := low.FillBytes(make([]byte, windowBits/8+shifts))
	for _, b := range full[shifts+1:] {
		if b != 0 {
			t.Fatalf("reference: implied tail byte is %#x, not 0", b)
		}
	}
	return full[:shifts+1], carries, ffCarries
}

// TestCarryAgainstReference checks the encoder byte for byte against
// referenceEncode on streams built to produce long 0xFF runs and carries.
func TestCarryAgainstReference(t *testing.T) {
	rng := newRand(14)
	var carries, ffCarries int
	for n := range 60 {
		// Mass near the top of the range keeps low's top bytes at 0xFF;
		// the rare low symbols then make additions carry through them.
		table := make([]uint32, 256)
		for i := range table {
			table[i] = 1 + uint32(rng.IntN(4))
		}
		var rest uint32
		for _, f := range table[:255] {
			rest += f
		}
		table[255] = Total - rest
		mixed := randomFreqs(t, rng, distKind(n%int(numDistKinds)))
		tables := [][]uint32{table, mixed}
		smp := newSampler(tables)
		count := 1 + rng.IntN(20000)
		ranges := make([][2]uint32, count)
		e := NewEncoder([]byte("prefix"))
		for i := range ranges {
			w := 0
			if rng.IntN(8) == 0 {
				w = 1
			}
			tb, c := tables[w], &smp[w]
			sym := smp.draw(rng, w)
			lo, f := c.Range(sym)
			ranges[i] = [2]uint32{lo, f}
			switch i % 3 { // exercise all three entry points
			case 0:
				e.Encode(tb, sym)
			case 1:
				e.EncodeCumulative(c, sym)
			default:
				e.EncodeRange(lo, f)
			}
		}
		got := e.Finish()
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("the prefix of dst was not kept: %q", got[:6])
		}
		got = got[6:]
		want, c, fc := referenceEncode(t, ranges)
		carries += c
		ffCarries += fc
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("case %d: stream differs from the reference at byte %d (lengths %d, %d)", n, i, len(got), len(want))
		}
	}
	t.Logf("carries out of the window: %d, of which through a 0xFF byte: %d", carries, ffCarries)
	if carries == 0 || ffCarries == 0 {
		t.Fatalf("the test streams did not exercise carries (%d, %d)", carries, ffCarries)
	}
}

func TestDecodeDamaged(t *testing.T) {
	rng := newRand(15)
	s := randomStream(t, rng, 3000, distRandom, distPeaked)
	out := s.encode(t, nil)

	// Dropping bytes from the end is always detected: the decoder needs a
	// seventh byte past the end to finish.
	for cut := 1; cut <= 8 && cut < len(out); cut++ {
		err := decodeAll(s, out[:len(out)-cut:len(out)-cut])
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut %d bytes: got %v, want ErrTruncated or ErrCorrupt", cut, err)
		}
	}
	// Trailing garbage: the symbols still decode, Finish reports it.
	err := decodeAll(s, append(out[:len(out):len(out)], 1, 2, 3))
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("trailing bytes: got %v, want ErrCorrupt", err)
	}
	// Decoding past the end: uniform symbols consume 8 bits each, so the
	// decoder runs out of input within a few symbols.
	uniform := make([]uint32, 256)
	for i := range uniform {
		uniform[i] = Total / 256
	}
	d, err := NewDecoder(out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.syms {
		if _, err := d.Decode(s.tables[s.which[i]]); err != nil {
			t.Fatal(err)
		}
	}
	var extra int
	for extra = 0; extra < 100; extra++ {
		if _, err = d.Decode(uniform); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrTruncated) || extra > 1 {
		t.Errorf("decoding past the end: %d extra symbols, then %v", extra, err)
	}
	if _, err2 := d.Decode(uniform); !errors.Is(err2, ErrTruncated) {
		t.Errorf("error is not sticky: %v", err2)
	}
	// Damaged bytes: decoding may succeed with wrong symbols, but must not
	// panic. (FuzzDecode explores this further.)
	for i := 0; i < len(out); i += 1 + len(out)/64 {
		bad := bytes.Clone(out)
		bad[i] ^= 0x5A
		_ = decodeAll(s, bad)
	}
	// Empty and all-0xFF inputs.
	if _, err := NewDecoder(nil); !errors.Is(err, ErrTruncated) {
		t.Errorf("empty input: %v", err)
	}
	if _, err := NewDecoder(bytes.Repeat([]byte{0xFF}, 7)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("all-0xFF input: %v", err)
	}
}

// decodeAll decodes the symbols of s from src, returning the first error
// (including Finish's); mismatching symbols are not an error here.
func decodeAll(s *stream, src []byte) error {
	d, err := NewDecoder(src)
	if err != nil {
		return err
	}
	for i := range s.syms {
		if _, err := d.Decode(s.tables[s.which[i]]); err != nil {
			return err
		}
	}
	return d.Finish()
}

func TestEmptyStream(t *testing.T) {
	e := NewEncoder(nil)
	if e.Len() != 1 {
		t.Errorf("Len of an empty stream = %d, want 1", e.Len())
	}
	out := e.Finish()
	if len(out) != 1 {
		t.Fatalf("empty stream is %d bytes, want 1", len(out))
	}
	d, err := NewDecoder(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidTables(t *testing.T) {
	good := make([]uint32, 256)
	for i := range good {
		good[i] = Total / 256
	}
	short := good[:255]
	heavy := append([]uint32(nil), good...)
	heavy[0]++ // Σ = Total + 1
	zero := append([]uint32(nil), good...)
	zero[9], zero[10] = 0, 2*Total/256
	wrap := make([]uint32, 256) // a 32-bit sum would wrap around to Total
	wrap[0], wrap[1], wrap[2] = 1<<31, 1<<31, Total

	for name, f := range map[string]func(e *Encoder){
		"short":         func(e *Encoder) { e.Encode(short, 0) },
		"heavy":         func(e *Encoder) { e.Encode(heavy, 3) },
		"wrap":          func(e *Encoder) { e.Encode(wrap, 3) },
		"zero freq":     func(e *Encoder) { e.Encode(zero, 9) },
		"zero cum":      func(e *Encoder) { var c Cumulative; e.EncodeCumulative(&c, 9) },
		"empty range":   func(e *Encoder) { e.EncodeRange(5, 0) },
		"range too far": func(e *Encoder) { e.EncodeRange(Total-1, 2) },
	} {
		e := NewEncoder(nil)
		e.Encode(good, 1)
		f(e)
		if !errors.Is(e.Err(), ErrInvalidFreqs) {
			t.Errorf("%s: Err() = %v, want ErrInvalidFreqs", name, e.Err())
		}
		e.Encode(good, 2) // ignored after an error
		if !errors.Is(e.Err(), ErrInvalidFreqs) {
			t.Errorf("%s: error not sticky: %v", name, e.Err())
		}
	}
	// A zero frequency elsewhere in the table is fine.
	e := NewEncoder(nil)
	e.Encode(zero, 10)
	out := e.Finish()
	if e.Err() != nil {
		t.Fatal(e.Err())
	}
	e.Encode(good, 1)
	if !errors.Is(e.Err(), ErrFinished) {
		t.Errorf("Encode after Finish: %v", e.Err())
	}

	d, err := NewDecoder(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, tb := range map[string][]uint32{"short": short, "heavy": heavy, "wrap": wrap} {
		if _, err := d.Decode(tb); !errors.Is(err, ErrInvalidFreqs) {
			t.Errorf("decode with %s table: %v", name, err)
		}
	}
	var c Cumulative
	if _, err := d.DecodeCumulative(&c); !errors.Is(err, ErrInvalidFreqs) {
		t.Errorf("decode with unset Cumulative: %v", err)
	}
	if err := d.Consume(0, 1); !errors.Is(err, ErrInvalidFreqs) {
		t.Errorf("Consume without Target: %v", err)
	}
	// The decoder is unharmed by the caller's mistakes.
	if sym, err := d.Decode(zero); err != nil || sym != 10 {
		t.Fatalf("decode after rejected tables: %d, %v", sym, err)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestTargetConsume(t *testing.T) {
	// A binary source coded with EncodeRange and decoded with Target and
	// Consume, as an adaptive bit model would use them.
	rng := newRand(16)
	const n = 50000
	bits := make([]bool, n)
	p1 := make([]uint32, n)
	e := NewEncoder(nil)
	for i := range bits {
		p1[i] = 1 + rng.Uint32N(Total-1)
		bits[i] = rng.Uint32N(Total) < p1[i]
		if bits[i] {
			e.EncodeRange(0, p1[i])
		} else {
			e.EncodeRange(p1[i], Total-p1[i])
		}
	}
	out := e.Finish()
	d, err := NewDecoder(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range bits {
		tgt, err := d.Target()
		if err != nil {
			t.Fatal(err)
		}
		got := tgt < p1[i]
		if got != want {
			t.Fatalf("bit %d: got %v", i, got)
		}
		if got {
			if err := d.Consume(p1[i], 1); !errors.Is(err, ErrInvalidFreqs) {
				t.Fatalf("Consume with a range missing the target: %v", err)
			}
			err = d.Consume(0, p1[i])
		} else {
			err = d.Consume(p1[i], Total-p1[i])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestReuseNoAlloc(t *testing.T) {
	rng := newRand(17)
	s := randomStream(t, rng, 4096, distRandom, distSharp)
	buf := make([]byte, 0, 1<<16)
	e := NewEncoder(nil)
	d := new(Decoder)
	var c Cumulative
	allocs := testing.AllocsPerRun(5, func() {
		e.Reset(buf[:0])
		for i, sym := range s.syms {
			e.Encode(s.tables[s.which[i]], sym)
		}
		out := e.Finish()
		if err := d.Reset(out); err != nil {
			t.Fatal(err)
		}
		for i := range s.syms {
			var err error
			if i%2 == 0 {
				_, err = d.Decode(s.tables[s.which[i]])
			} else if err = c.Set(s.tables[s.which[i]]); err == nil {
				_, err = d.DecodeCumulative(&c)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per encode+decode with reused buffers", allocs)
	}
}
