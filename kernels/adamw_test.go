package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// adamWCase returns AdamW's coefficients at step t with learning rate lr
// and weight decay wd (0: the no-decay ranges), rounded as the trainer
// rounds them.
func adamWCase(t int, lr, wd float64) AdamWCoefs {
	b1, b2 := float32(0.9), float32(0.95)
	return AdamWCoefs{
		Beta1: b1, Beta2: b2, C1: 1 - b1, C2: 1 - b2,
		Decay:    float32(1 - lr*wd),
		StepSize: float32(lr / (1 - math.Pow(float64(b1), float64(t)))),
		SqrtBc2:  float32(math.Sqrt(1 - math.Pow(float64(b2), float64(t)))),
		Eps:      1e-8,
	}
}

// adamWInputs returns parameters, gradients and moments of n elements that
// mix ordinary values with the ones that stress bit-identity: zero, tiny
// and subnormal gradients (whose squares underflow), huge ones (whose
// squares overflow to +Inf), zeros of both signs, infinities and NaN.
func adamWInputs(rng *rand.Rand, n int) (p, g, m, v []float32) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1e-20, 3e19, -3e19, math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	pick := func(scale float64) float32 {
		if rng.IntN(16) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.NormFloat64() * scale)
	}
	p, g, m, v = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		p[i] = pick(0.1)
		g[i] = pick([]float64{1e-6, 1e-2, 1}[rng.IntN(3)])
		m[i] = pick(1e-3)
		v[i] = float32(math.Abs(float64(pick(1e-6))))
	}
	return p, g, m, v
}

// TestAdamWUpdate checks every instruction-set level against adamWGeneric
// bit for bit, over every length up to 1000 and a longer one, at unaligned
// starts, with guard values around the three outputs; and the generic loop
// against the update computed in float64.
func TestAdamWUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	lengths := []int{4099}
	for n := 0; n <= 1000; n++ {
		lengths = append(lengths, n)
	}
	cases := []AdamWCoefs{adamWCase(1, 3e-4, 0.1), adamWCase(1000, 1e-3, 0.1), adamWCase(7, 2e-3, 0)}
	forEachISA(t, func(t *testing.T) {
		for ci, c := range cases {
			for _, n := range lengths {
				off := n % 5
				p, g, m, v := adamWInputs(rng, n)
				wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
				adamWGeneric(wp, g, wm, wv, c)
				bp, gp := guarded(n, off)
				bm, gm := guarded(n, off+1)
				bv, gv := guarded(n, off+2)
				copy(gp, p)
				copy(gm, m)
				copy(gv, v)
				AdamWUpdate(gp, g, gm, gv, c)
				what := fmt.Sprintf("case %d n=%d", ci, n)
				checkGuard(t, bp, n, off, what+" p")
				checkGuard(t, bm, n, off+1, what+" m")
				checkGuard(t, bv, n, off+2, what+" v")
				for i := range n {
					if !sameBits(gp[i], wp[i]) || !sameBits(gm[i], wm[i]) || !sameBits(gv[i], wv[i]) {
						t.Fatalf("%s: element %d (p %g, g %g, m %g, v %g): got p %g m %g v %g, want p %g m %g v %g",
							what, i, p[i], g[i], m[i], v[i], gp[i], gm[i], gv[i], wp[i], wm[i], wv[i])
					}
				}
			}
		}
	})
	// The specification itself, on ordinary values: within float32
	// rounding of the float64 update.
	c := cases[1]
	p, g, m, v := make([]float32, 1000), make([]float32, 1000), make([]float32, 1000), make([]float32, 1000)
	for i := range p {
		p[i], g[i], m[i], v[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64()*0.1), float32(rng.Float64()*0.01)
	}
	p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
	adamWGeneric(p, g, m, v, c)
	for i := range p {
		gi := float64(g[i])
		m1, m2 := float64(c.Beta1)*float64(m0[i]), float64(c.C1)*gi
		v1, v2 := float64(c.Beta2)*float64(v0[i]), float64(c.C2)*gi*gi
		p1 := float64(p0[i]) * float64(c.Decay)
		p2 := float64(c.StepSize) * (m1 + m2) / (math.Sqrt(v1+v2)/float64(c.SqrtBc2) + float64(c.Eps))
		// The sums may cancel: the bound scales with their terms.
		for _, d := range [][3]float64{{float64(m[i]), m1 + m2, math.Abs(m1) + math.Abs(m2)},
			{float64(v[i]), v1 + v2, v1 + v2}, {float64(p[i]), p1 - p2, math.Abs(p1) + math.Abs(p2)}} {
			if math.Abs(d[0]-d[1]) > 1e-6*d[2] {
				t.Fatalf("element %d: %v, float64 update %v", i, d[0], d[1])
			}
		}
	}
}

func BenchmarkAdamWUpdate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3510336 // the parameters of the "ref" configuration
	p, g, m, v := adamWInputs(rng, n)
	c := adamWCase(100, 3e-4, 0.1)
	benchEachISA(b, func(b *testing.B) {
		b.SetBytes(4 * 7 * n) // p, g, m, v read; p, m, v written
		for b.Loop() {
			AdamWUpdate(p, g, m, v, c)
		}
	})
}
