package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpUlp sweeps Exp over its whole finite range against math.Exp in
// float64 rounded to float32, and checks the documented accuracy (≤ 2 ulp for
// normal results; for subnormal results the error of y plus half a subnormal
// ulp).
func TestExpUlp(t *testing.T) {
	step := uint32(97)
	if testing.Short() {
		step = 997
	}
	var maxUlp int64
	var worst float32
	check := func(x float32) {
		got := Exp(x)
		ref := math.Exp(float64(x))
		want := float32(ref)
		if want >= 0x1p-126 || want == 0 && ref >= 0x1p-150 {
			if d := ulpDiff(got, want); d > maxUlp {
				maxUlp, worst = d, x
			}
			return
		}
		// Subnormal or zero result: y carries ~2 ulp of relative error,
		// then one rounding to the 2^-149 grid.
		if d := math.Abs(float64(got) - ref); d > 0x1p-149*0.5+ref*0x1p-22 {
			t.Fatalf("Exp(%g) = %g, want %g (subnormal range, error %g)", x, got, ref, d)
		}
	}
	// Every step-th float32 bit pattern of each sign covers all exponents.
	for b := uint32(0); b < 0x7f800000; b += step {
		x := math.Float32frombits(b)
		if x <= 89 {
			check(x)
		}
		if x <= 104 {
			check(-x)
		}
	}
	// Dense around the reduction boundaries k·ln2/2, where rounding of k matters.
	for k := -150; k <= 128; k++ {
		c := float32(float64(k) * math.Ln2 / 2)
		x := c
		for range 64 {
			x = math.Nextafter32(x, float32(math.Inf(-1)))
		}
		for range 128 {
			check(x)
			x = math.Nextafter32(x, float32(math.Inf(1)))
		}
	}
	t.Logf("Exp: max error %d ulp (at x = %g)", maxUlp, worst)
	if maxUlp > 2 {
		t.Fatalf("Exp: max error %d ulp at x = %g, contract says about 2", maxUlp, worst)
	}
}

func TestExpSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct{ x, want float32 }{
		{0, 1},
		{float32(math.Copysign(0, -1)), 1},
		{inf, inf},
		{-inf, 0},
		{89, inf},
		{-104, 0},
		{expMax, float32(math.Exp(expMax))},
	}
	for _, c := range cases {
		if got := Exp(c.x); got != c.want && ulpDiff(got, c.want) > 2 {
			t.Errorf("Exp(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := Exp(float32(math.NaN())); got == got {
		t.Errorf("Exp(NaN) = %g, want NaN", got)
	}
	// Monotonic over a fine sweep (the softmax relies on Exp(0) = 1 ≥ Exp(<0)).
	prev := float32(0)
	for x := float32(-104); x < 88.7; x += 0.0137 {
		e := Exp(x)
		if e < prev {
			t.Fatalf("Exp not monotonic at %g: %g < %g", x, e, prev)
		}
		prev = e
	}
}

// TestScalePow2 checks the single rounding of the final scaling against an
// exact float64 product rounded once.
func TestScalePow2(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 200_000 {
		y := math.Float32frombits(0x3f000000 + r.Uint32()%0x1000000) // [0.5, 2)
		k := int32(r.IntN(128+151) - 150)
		want := float32(math.Ldexp(float64(y), int(k)))
		if got := scalePow2(y, k); !sameBits(got, want) {
			t.Fatalf("scalePow2(%g, %d) = %g, want %g", y, k, got, want)
		}
	}
}

func TestTanh(t *testing.T) {
	var maxErr float64
	for x := float32(-12); x <= 12; x += 0.000731 {
		got := float64(Tanh(x))
		want := math.Tanh(float64(x))
		if d := math.Abs(got - want); d > maxErr {
			maxErr = d
		}
		if got < -1 || got > 1 {
			t.Fatalf("Tanh(%g) = %g out of [-1, 1]", x, got)
		}
	}
	t.Logf("Tanh: max abs error %.3g", maxErr)
	// (e^{2u}−1)/(e^{2u}+1) loses relative accuracy near 0, but its absolute
	// error, which is what GELU's 1 + tanh sees, stays at float32 epsilon.
	if maxErr > 3e-7 {
		t.Fatalf("Tanh max abs error %g > 3e-7", maxErr)
	}
	if Tanh(20) != 1 || Tanh(-20) != -1 || Tanh(0) != 0 {
		t.Fatalf("Tanh saturation/zero wrong: %g %g %g", Tanh(20), Tanh(-20), Tanh(0))
	}
}

func TestGELU(t *testing.T) {
	var maxErr float64
	for x := float32(-20); x <= 20; x += 0.000917 {
		got := float64(GELU(x))
		want := gelu64(float64(x)) // from grad_test.go
		// Error scale: |x|·(ε of tanh) plus rounding of the result.
		if d := math.Abs(got-want) / (1e-7 + math.Abs(float64(x))); d > maxErr {
			maxErr = d
		}
	}
	t.Logf("GELU: max error / (|x|+1e-7) = %.3g", maxErr)
	if maxErr > 5e-7 {
		t.Fatalf("GELU relative error %g too large", maxErr)
	}
	r := rand.New(rand.NewPCG(13, 14))
	for n := 0; n < 300; n++ {
		buf, s := guarded(n, n%5)
		src := randF32(r, n, 6)
		copy(s, src)
		GELUInPlace(s)
		checkGuard(t, buf, n, n%5, "GELUInPlace")
		for i, v := range src {
			if !sameBits(s[i], GELU(v)) {
				t.Fatalf("GELUInPlace[%d] = %g, GELU = %g", i, s[i], GELU(v))
			}
		}
	}
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for n := 0; n <= 1000; n += 1 + n/20 {
		for _, scale := range []float32{0.1, 5, 60} {
			x := randF32(r, n, scale)
			off := n % 7
			buf, dst := guarded(n, off)
			Softmax(dst, x)
			checkGuard(t, buf, n, off, "Softmax")
			// float64 reference
			m := math.Inf(-1)
			for _, v := range x {
				m = math.Max(m, float64(v))
			}
			var s float64
			e := make([]float64, n)
			for i, v := range x {
				e[i] = math.Exp(float64(v) - m)
				s += e[i]
			}
			var total float64
			for i := range x {
				want := e[i] / s
				total += float64(dst[i])
				// Exp's 1 ulp, the rounding of x−m (relative |x−m|·2^-24 in
				// e^(x−m)) and the rounding of the lane sum.
				tol := want*(4e-7+math.Abs(float64(x[i])-m)*0x1p-23+float64(n/16+6)*0x1p-24) + 0x1p-140
				if d := math.Abs(float64(dst[i]) - want); d > tol {
					t.Fatalf("n=%d scale=%g: softmax[%d] = %g, want %g", n, scale, i, dst[i], want)
				}
			}
			if n > 0 && math.Abs(total-1) > float64(n/16+8)*0x1p-23 {
				t.Fatalf("n=%d: softmax sums to %g", n, total)
			}
			// In place gives the same bits.
			y := append([]float32(nil), x...)
			Softmax(y, y)
			for i := range y {
				if !sameBits(y[i], dst[i]) {
					t.Fatalf("in-place softmax differs at %d", i)
				}
			}
		}
	}
}
