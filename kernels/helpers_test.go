package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// guardBits is the pattern written around every output slice: a quiet NaN
// with a payload no kernel produces, so any stray write is detected.
const guardBits = 0x7fc0dead

// guardWords is the number of guard floats on each side of an output.
const guardWords = 19

// guarded returns a buffer and a slice of length n inside it that starts at
// offset off+guardWords. The slice is not capped: code that ignores slice
// bounds (assembly) can write past it, and checkGuard will see it.
func guarded(n, off int) (buf, s []float32) {
	buf = make([]float32, off+n+2*guardWords)
	for i := range buf {
		buf[i] = math.Float32frombits(guardBits)
	}
	return buf, buf[off+guardWords : off+guardWords+n]
}

// checkGuard fails the test if anything outside [off+guardWords, +n) of buf changed.
func checkGuard(t testing.TB, buf []float32, n, off int, what string) {
	t.Helper()
	lo, hi := off+guardWords, off+guardWords+n
	for i, v := range buf {
		if (i < lo || i >= hi) && math.Float32bits(v) != guardBits {
			t.Fatalf("%s: guard word %d (output is [%d,%d)) overwritten with %g", what, i, lo, hi, v)
		}
	}
}

// randF32 returns n values uniform in (−scale, scale), with occasional exact
// zeros of both signs, tiny values and integers mixed in so that signed-zero
// and subnormal behaviour of the kernels is exercised.
func randF32(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	fillRand(r, v, scale)
	return v
}

func fillRand(r *rand.Rand, v []float32, scale float32) {
	for i := range v {
		switch r.IntN(40) {
		case 0:
			v[i] = 0
		case 1:
			v[i] = float32(math.Copysign(0, -1))
		case 2:
			v[i] = float32(r.NormFloat64()) * 1e-39 // subnormal
		case 3:
			v[i] = float32(r.IntN(7) - 3)
		default:
			v[i] = scale * float32(2*r.Float64()-1)
		}
	}
}

// ulpDiff returns the distance between a and b in units in the last place,
// counting across zero (so +0 and −0 are 0 apart).
func ulpDiff(a, b float32) int64 {
	return int64(math.Abs(float64(ordered(a) - ordered(b))))
}

func ordered(x float32) int64 {
	b := int64(math.Float32bits(x))
	if b&(1<<31) != 0 {
		return -(b &^ (1 << 31))
	}
	return b
}

// dotErr64 returns the float64 dot product and the sum of |x_i·y_i|, the scale
// of its rounding error.
func dotErr64(x, y []float32) (s, abs float64) {
	for i := range x {
		p := float64(x[i]) * float64(y[i])
		s += p
		abs += math.Abs(p)
	}
	return s, abs
}

// dotTol bounds the error of a 16-lane float32 dot of length n: each lane sums
// ⌈n/16⌉ terms and the tree adds 4 more roundings.
func dotTol(n int, abs float64) float64 {
	return float64((n+15)/16+5)*0x1p-24*abs + 0x1p-140
}

// loopCPU runs op in b.Loop on one locked OS thread and reports that
// thread's CPU time per op as cpu-ns/op beside the wall time.
func loopCPU(b *testing.B, op func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "cpu-ns/op")
}
