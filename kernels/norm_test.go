package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const eps = 1e-5
	for n := 1; n <= 1000; n += 1 + n/16 {
		x := randF32(r, n, 3)
		for i := range x {
			x[i] += 0.7 // a non-zero mean, so the centring matters
		}
		g := randF32(r, n, 2)
		b := randF32(r, n, 1)
		off := n % 5
		buf, dst := guarded(n, off)
		LayerNorm(dst, x, g, b, eps)
		checkGuard(t, buf, n, off, "LayerNorm")

		var mean, v float64
		for _, xi := range x {
			mean += float64(xi)
		}
		mean /= float64(n)
		for _, xi := range x {
			v += (float64(xi) - mean) * (float64(xi) - mean)
		}
		v /= float64(n)
		rs := 1 / math.Sqrt(v+eps)
		for i := range x {
			d := (float64(x[i]) - mean) * rs
			want := d*float64(g[i]) + float64(b[i])
			// x−mean carries an absolute error of a few ulp of |x|+|mean|
			// (the mean is a rounded lane sum), scaled by 1/σ; d also has a
			// few ulp of relative error from r; then the products with g and
			// the sum with b round once each.
			ed := math.Abs(d)*8 + (math.Abs(float64(x[i]))+math.Abs(mean))*rs*8
			tol := (math.Abs(float64(g[i]))*ed+math.Abs(want)+math.Abs(float64(b[i])))*0x1p-22 + 0x1p-140
			if e := math.Abs(float64(dst[i]) - want); e > tol {
				t.Fatalf("n=%d: LayerNorm[%d] = %g, want %g (err %g > %g) d=%g g=%g b=%g", n, i, dst[i], want, e, tol, d, g[i], b[i])
			}
		}
		// In place gives the same bits.
		y := append([]float32(nil), x...)
		LayerNorm(y, y, g, b, eps)
		for i := range y {
			if !sameBits(y[i], dst[i]) {
				t.Fatalf("n=%d: in-place LayerNorm differs at %d", n, i)
			}
		}
	}
}

func TestLayerNormConstantInput(t *testing.T) {
	// Zero variance: the result is b exactly (d = 0) and never NaN.
	x := []float32{2.5, 2.5, 2.5, 2.5, 2.5}
	g := []float32{1, 2, 3, 4, 5}
	b := []float32{0.5, -1, 0, 3, -0.25}
	dst := make([]float32, len(x))
	LayerNorm(dst, x, g, b, 1e-5)
	for i := range dst {
		if dst[i] != b[i] {
			t.Fatalf("LayerNorm of constant input = %v, want %v", dst, b)
		}
	}
}

// TestLayerNormRows compares LayerNormRows, on every ISA, with LayerNorm on
// each row bit for bit (NaNs alike), widths of every kind (the AVX-512
// leaf takes multiples of 16), nasty values (zeros of both signs,
// subnormals, overflowing squares, constant rows), in place and into a
// guarded output.
func TestLayerNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	forEachISA(t, func(t *testing.T) {
		for trial := range 300 {
			n := 16 * (1 + r.IntN(24))
			if trial%4 == 3 {
				n = 1 + r.IntN(100)
			}
			m := 1 + r.IntN(9)
			eps := float32(1e-5)
			if trial%7 == 0 {
				eps = 0
			}
			x := nastyVec(r, m*n)
			if trial%11 == 0 {
				for i := range x {
					x[i] = x[i%n/n] // constant rows
				}
			}
			g, b := nastyVec(r, n), nastyVec(r, n)
			want := make([]float32, m*n)
			for i := range m {
				LayerNorm(want[i*n:(i+1)*n], x[i*n:(i+1)*n], g, b, eps)
			}
			off := r.IntN(4)
			buf, got := guarded(m*n, off)
			LayerNormRows(got, x, g, b, m, n, eps)
			checkGuard(t, buf, m*n, off, "LayerNormRows")
			in := append([]float32(nil), x...)
			LayerNormRows(in, in, g, b, m, n, eps)
			for i := range want {
				if !sameBits(got[i], want[i]) || !sameBits(in[i], want[i]) {
					t.Fatalf("trial %d n=%d m=%d: [%d] = %g (in place %g), want %g", trial, n, m, i, got[i], in[i], want[i])
				}
			}
		}
	})
}
