package arith

import (
	"math"
	"math/rand/v2"
	"testing"
)

// newRand returns the deterministic generator used by the tests.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6d627a6970)) }

// distKind names the shapes of test distributions.
type distKind int

const (
	distRandom  distKind = iota // independent uniform weights
	distPeaked                  // weights u^k: a few dominant symbols
	distSharp                   // one symbol near 1.0, the rest tiny
	distUniform                 // all equal
	distSparse                  // a handful of nonzero entries
	distWide                    // exponents spread over the whole float32 range
	numDistKinds
)

// randomProbs fills p with a distribution of the given kind (not always
// normalised: Quantize must not care).
func randomProbs(rng *rand.Rand, kind distKind, p []float32) {
	switch kind {
	case distRandom:
		for i := range p {
			p[i] = rng.Float32()
		}
	case distPeaked:
		k := 2 + rng.IntN(30)
		for i := range p {
			p[i] = float32(math.Pow(rng.Float64(), float64(k)))
		}
	case distSharp:
		for i := range p {
			p[i] = float32(rng.Float64() * 1e-9)
		}
		p[rng.IntN(len(p))] = 1 - float32(rng.Float64()*1e-5)
	case distUniform:
		for i := range p {
			p[i] = 1.0 / 256
		}
	case distSparse:
		clear(p)
		for range 1 + rng.IntN(5) {
			p[rng.IntN(len(p))] = rng.Float32() + 0.01
		}
	case distWide:
		for i := range p {
			p[i] = float32(math.Ldexp(rng.Float64(), -rng.IntN(160)))
		}
		p[rng.IntN(len(p))] = float32(math.Ldexp(1, rng.IntN(100)-20))
	}
}

// randomFreqs returns a valid table from Quantize of a random distribution.
func randomFreqs(t testing.TB, rng *rand.Rand, kind distKind) []uint32 {
	t.Helper()
	p := make([]float32, 256)
	randomProbs(rng, kind, p)
	f := make([]uint32, 256)
	if err := Quantize(p, f); err != nil {
		t.Fatalf("Quantize(%v kind): %v", kind, err)
	}
	return f
}

// sampler draws symbols from fixed tables without rebuilding their sums.
type sampler []Cumulative

func newSampler(tables [][]uint32) sampler {
	s := make(sampler, len(tables))
	for i, tb := range tables {
		if err := s[i].Set(tb); err != nil {
			panic(err)
		}
	}
	return s
}

func (s sampler) draw(rng *rand.Rand, table int) byte { return s[table].Find(rng.Uint32N(Total)) }

// idealBits is −log2(freq/Total) of a coded symbol.
func idealBits(freqs []uint32, sym byte) float64 {
	return TotalBits - math.Log2(float64(freqs[sym]))
}
