package arith

import "testing"

// benchStream is 1 MiB of symbols drawn from eight Quantize tables of mixed
// shapes, so that the benchmarks see realistic symbol costs.
func benchStream(b *testing.B) *stream {
	return randomStream(b, newRand(99), 1<<20, distRandom, distPeaked, distSharp, distSparse)
}

// BenchmarkEncode codes with Encode (table summed per symbol) and with
// EncodeCumulative (prefix sums built once per symbol by the caller, as a
// decoder must anyway).
func BenchmarkEncode(b *testing.B) {
	s := benchStream(b)
	cums := newSampler(s.tables)
	buf := make([]byte, 0, len(s.syms))
	e := NewEncoder(nil)
	b.Run("Encode", func(b *testing.B) {
		b.SetBytes(int64(len(s.syms)))
		for b.Loop() {
			e.Reset(buf[:0])
			for i, sym := range s.syms {
				e.Encode(s.tables[s.which[i]], sym)
			}
			buf = e.Finish()
		}
		if e.Err() != nil {
			b.Fatal(e.Err())
		}
		b.ReportMetric(float64(8*len(buf))/float64(len(s.syms)), "bits/symbol")
	})
	b.Run("EncodeCumulative", func(b *testing.B) {
		b.SetBytes(int64(len(s.syms)))
		for b.Loop() {
			e.Reset(buf[:0])
			for i, sym := range s.syms {
				e.EncodeCumulative(&cums[s.which[i]], sym)
			}
			buf = e.Finish()
		}
		if e.Err() != nil {
			b.Fatal(e.Err())
		}
	})
}

// BenchmarkDecode decodes with Decode (prefix sums built per symbol, the
// realistic case since tables change every symbol) and with DecodeCumulative
// on prebuilt sums (the coder alone).
func BenchmarkDecode(b *testing.B) {
	s := benchStream(b)
	src := s.encode(b, nil)
	cums := newSampler(s.tables)
	d := new(Decoder)
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(len(s.syms)))
		for b.Loop() {
			if err := d.Reset(src); err != nil {
				b.Fatal(err)
			}
			for i := range s.syms {
				if _, err := d.Decode(s.tables[s.which[i]]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("DecodeCumulative", func(b *testing.B) {
		b.SetBytes(int64(len(s.syms)))
		for b.Loop() {
			if err := d.Reset(src); err != nil {
				b.Fatal(err)
			}
			for i := range s.syms {
				if _, err := d.DecodeCumulative(&cums[s.which[i]]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkQuantize reports one byte per call: the quantizer runs once per
// coded byte.
func BenchmarkQuantize(b *testing.B) {
	rng := newRand(98)
	probs := make([][]float32, 64)
	for i := range probs {
		probs[i] = make([]float32, 256)
		randomProbs(rng, distKind(i%int(numDistKinds)), probs[i])
	}
	f := make([]uint32, 256)
	b.SetBytes(1)
	i := 0
	for b.Loop() {
		if err := Quantize(probs[i%len(probs)], f); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
