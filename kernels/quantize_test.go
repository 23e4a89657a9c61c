package kernels

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestVariantsQuantizeLeaves checks MaxBits, FixedPoint and ScaleCounts in
// every ISA against their pure-Go twins at lengths 0…300: bit patterns of
// every kind for MaxBits (sign bits, NaN, ±Inf, subnormals), distributions
// whose largest exponent is anything from 1 (all subnormal) to 254 for
// FixedPoint, and multipliers up to 2^56 with the largest x that keeps
// x·m below 2^64 for ScaleCounts. out and freqs carry guards.
func TestVariantsQuantizeLeaves(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	forEachISA(t, func(t *testing.T) {
		for n := 0; n <= 300; n++ {
			x := make([]float32, n)
			for i := range x {
				switch r.IntN(6) {
				case 0:
					x[i] = math.Float32frombits(r.Uint32())
				case 1:
					x[i] = math.Float32frombits(r.Uint32() & 0x807FFFFF) // ±subnormal
				default:
					x[i] = float32(r.Float64())
				}
			}
			if got, want := MaxBits(x), maxBitsGeneric(x); got != want {
				t.Fatalf("n=%d: MaxBits = %#x, pure Go %#x", n, got, want)
			}

			// Non-negative entries (and −0) whose exponents stay at or
			// below emax.
			emax := uint32(1 + r.IntN(254))
			p := make([]float32, n)
			for i := range p {
				e := uint32(r.IntN(int(emax) + 1))
				if r.IntN(8) == 0 {
					e = emax
				}
				b := e<<23 | r.Uint32()&0x7FFFFF
				if r.IntN(16) == 0 {
					b = 0x80000000 // −0
				}
				p[i] = math.Float32frombits(b)
			}
			want := make([]uint32, n)
			wantSum := fixedPointGeneric(want, p, emax)
			buf, got := guardedU32(n, n%3)
			if sum := FixedPoint(got, p, emax); sum != wantSum {
				t.Fatalf("n=%d emax=%d: FixedPoint sum %d, pure Go %d", n, emax, sum, wantSum)
			}
			checkGuardU32(t, buf, n, n%3, "FixedPoint")
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d emax=%d: FixedPoint(%#x) = %d, pure Go %d", n, emax, math.Float32bits(p[i]), got[i], want[i])
				}
			}

			m := r.Uint64() >> (8 + r.IntN(56)) // up to 2^56
			xs := make([]uint32, n)
			limit := uint64(math.MaxUint32)
			if m > 0 {
				limit = min(limit, (math.MaxUint64-1)/m)
			}
			for i := range xs {
				xs[i] = uint32(r.Uint64N(limit + 1))
				if r.IntN(8) == 0 {
					xs[i] = uint32(limit)
				}
				if hi, _ := bits.Mul64(uint64(xs[i]), m); hi != 0 {
					t.Fatalf("test bug: x·m overflows")
				}
			}
			wantF := make([]uint32, n)
			wantT := scaleCountsGeneric(wantF, xs, m)
			buf, gotF := guardedU32(n, 1)
			if total := ScaleCounts(gotF, xs, m); total != wantT {
				t.Fatalf("n=%d m=%d: ScaleCounts total %d, pure Go %d", n, m, total, wantT)
			}
			checkGuardU32(t, buf, n, 1, "ScaleCounts")
			for i := range gotF {
				if gotF[i] != wantF[i] {
					t.Fatalf("n=%d m=%d: ScaleCounts(%d) = %d, pure Go %d", n, m, xs[i], gotF[i], wantF[i])
				}
			}
		}
	})
}

const guardU32 = 0xDEADBEEF

// guardedU32 returns a buffer with n uint32 at offset off and guards around
// them, and the n-slice.
func guardedU32(n, off int) ([]uint32, []uint32) {
	buf := make([]uint32, n+off+8)
	for i := range buf {
		buf[i] = guardU32
	}
	return buf, buf[off : off+n : off+n]
}

func checkGuardU32(t *testing.T, buf []uint32, n, off int, what string) {
	t.Helper()
	for i, v := range buf {
		if (i < off || i >= off+n) && v != guardU32 {
			t.Fatalf("%s: guard %d overwritten with %#x", what, i, v)
		}
	}
}
