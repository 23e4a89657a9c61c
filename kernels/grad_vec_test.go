package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGELUBackwardVec checks GELUBackwardVec against GELUBackward bit for bit
// on every instruction-set level, over random values at several scales, the
// edges of Tanh's clamp (|u| = 9 lies near |x| ≈ 4.0), zeros of both signs,
// subnormals, huge values, infinities and NaN, and with dx aliasing dy.
func TestGELUBackwardVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var x []float32
	for _, scale := range []float64{1e-30, 1e-3, 1, 4, 10, 1e20} {
		x = append(x, randVec(rng, 997, scale)...)
	}
	for v := float32(3.9); v < 4.2; v = math.Nextafter32(v, 5) {
		if rng.IntN(64) == 0 {
			x = append(x, v, -v)
		}
	}
	inf := float32(math.Inf(1))
	x = append(x, 0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, math.MaxFloat32, -math.MaxFloat32, inf, -inf, float32(math.NaN()))
	dy := randVec(rng, len(x), 2)
	want := make([]float32, len(x))
	GELUBackward(want, dy, x)
	defer func(l isaLevel) { isa = l }(isa)
	for _, l := range isaLevels {
		isa = l
		for _, off := range []int{0, 1, 7} { // unaligned lengths and starts
			n := len(x) - off
			buf, got := guarded(n, off)
			scratch := make([]float32, GELUBackwardScratch(n))
			GELUBackwardVec(got, dy[off:], x[off:], scratch)
			checkGuard(t, buf, n, off, fmt.Sprintf("%v GELUBackwardVec n=%d", l, n))
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[off+i]) && !(got[i] != got[i] && want[off+i] != want[off+i]) {
					t.Fatalf("%v: x = %v: %v, GELUBackward %v", l, x[off+i], got[i], want[off+i])
				}
			}
		}
		// Every length up to 100 (every tail of the 8-lane loop, and of the
		// AVX-512 loop's 48 and 16 lanes), with guards.
		for n := 0; n <= 100; n++ {
			buf, got := guarded(n, n%3)
			GELUBackwardVec(got, dy[:n], x[len(x)-n:], make([]float32, n))
			checkGuard(t, buf, n, n%3, fmt.Sprintf("%v GELUBackwardVec n=%d", l, n))
			for i := range got {
				w := float32(dy[i] * gradAt(x[len(x)-n+i]))
				if math.Float32bits(got[i]) != math.Float32bits(w) && !(got[i] != got[i] && w != w) {
					t.Fatalf("%v: n=%d: element %d differs", l, n, i)
				}
			}
		}
		alias := append([]float32(nil), dy...)
		GELUBackwardVec(alias, alias, x, make([]float32, len(x)))
		for i := range alias {
			if math.Float32bits(alias[i]) != math.Float32bits(want[i]) && !(alias[i] != alias[i] && want[i] != want[i]) {
				t.Fatalf("%v: aliased dx differs at x = %v", l, x[i])
			}
		}
	}
}

// gradAt returns GELU′(v) as GELUBackward computes it (dy = 1).
func gradAt(v float32) float32 {
	var d [1]float32
	GELUBackward(d[:], []float32{1}, []float32{v})
	return d[0]
}

func BenchmarkGELUBackward(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randVec(rng, 1<<14, 4)
	dy := randVec(rng, len(x), 1)
	dx := make([]float32, len(x))
	scratch := make([]float32, len(x))
	b.Run("scalar", func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for range b.N {
			GELUBackward(dx, dy, x)
		}
	})
	b.Run("vec", func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for range b.N {
			GELUBackwardVec(dx, dy, x, scratch)
		}
	})
}
