package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// fmaRef returns x*y + z rounded once to float32 (round to nearest even),
// computed exactly with math/big. Non-finite inputs follow IEEE: the exact
// product of two finite float32 values is finite in float64, so float64
// arithmetic gives the right Inf/NaN for them.
func fmaRef(x, y, z float32) float32 {
	if isInfOrNaN(x) || isInfOrNaN(y) || isInfOrNaN(z) {
		return float32(float64(x)*float64(y) + float64(z))
	}
	// 24+24 bits of product plus an exponent spread of at most ~560 bits:
	// 1024 bits make the sum exact, so Float32 does the one and only rounding.
	var p, s big.Float
	p.SetPrec(1024).SetMode(big.ToNearestEven)
	s.SetPrec(1024).SetMode(big.ToNearestEven)
	p.Mul(big.NewFloat(float64(x)), big.NewFloat(float64(y)))
	if p.Sign() == 0 {
		// big.Float keeps the sign of a zero product; IEEE gives the XOR of signs.
		neg := math.Signbit(float64(x)) != math.Signbit(float64(y))
		if z == 0 {
			// (±0) + (±0): −0 only if both are −0.
			if neg && math.Signbit(float64(z)) {
				return float32(math.Copysign(0, -1))
			}
			return 0
		}
		return z
	}
	s.Add(&p, big.NewFloat(float64(z)))
	if s.Sign() == 0 {
		return 0 // exact cancellation is +0 under round-to-nearest
	}
	f, _ := s.Float32()
	return f
}

func isInfOrNaN(x float32) bool { return x != x || math.IsInf(float64(x), 0) }

// sameBits reports whether a and b are the same float32, treating all NaNs as equal.
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestFMA32KnownCases(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	inf := float32(math.Inf(1))
	cases := []struct{ x, y, z, want float32 }{
		{2, 3, 4, 10},
		{0, 5, negZero, 0},
		{negZero, 5, negZero, negZero},
		{1, 1, -1, 0},
		// (1+2^-12)^2 = 1 + 2^-11 + 2^-24: exactly halfway, ties to even.
		{1 + 1.0/4096, 1 + 1.0/4096, 0, 1 + 1.0/2048},
		// Same plus 2^-80: just above halfway, must round up; a naive
		// float64 sum rounds to the halfway point first and then down.
		{1 + 1.0/4096, 1 + 1.0/4096, 0x1p-80, 1 + 1.0/2048 + 0x1p-23},
		{1 + 1.0/4096, 1 + 1.0/4096, -0x1p-80, 1 + 1.0/2048},
		// Tiny negative product underflows to −0.
		{-1e-30, 1e-30, 0, negZero},
		// Overflow.
		{math.MaxFloat32, 2, 0, inf},
		{math.MaxFloat32, 1, math.MaxFloat32, inf},
		// Subnormal result of a half-ulp tie: 2^-150 ties to 0, 3·2^-150 to 2·2^-149.
		{0x1p-75, 0x1p-75, 0, 0},
		{0x1.8p-74, 0x1p-75, 0, 0x1p-148},
		{inf, 0, 1, float32(math.NaN())},
		{inf, 1, -inf, float32(math.NaN())},
	}
	for _, c := range cases {
		if got := FMA32(c.x, c.y, c.z); !sameBits(got, c.want) {
			t.Errorf("FMA32(%g, %g, %g) = %g (%#08x), want %g (%#08x)", c.x, c.y, c.z,
				got, math.Float32bits(got), c.want, math.Float32bits(c.want))
		}
		if got := fmaRef(c.x, c.y, c.z); !sameBits(got, c.want) {
			t.Errorf("reference fma(%g, %g, %g) = %g, want %g: the test oracle is wrong", c.x, c.y, c.z, got, c.want)
		}
	}
}

// fmaInputs generates adversarial FMA inputs: halfway and near-halfway sums,
// double-rounding traps, cancellation, subnormals, overflow and signed zeros.
type fmaInputs struct{ r *rand.Rand }

func (g fmaInputs) anyBits() float32 { return math.Float32frombits(g.r.Uint32()) }

// finite returns a random finite float32 with an exponent in [lo, hi].
func (g fmaInputs) finite(lo, hi int) float32 {
	e := lo + g.r.IntN(hi-lo+1)
	m := 1 + float64(g.r.Uint32()&(1<<23-1))/(1<<23)
	v := float32(math.Ldexp(m, e))
	if g.r.IntN(2) == 0 {
		v = -v
	}
	return v
}

// shortMantissa returns ±a·2^e with a an integer of at most bits bits, so
// that products of two such values have few significant bits and sums land
// exactly on (or next to) float32 halfway points.
func (g fmaInputs) shortMantissa(bits, lo, hi int) float32 {
	a := 1<<(bits-1) | g.r.IntN(1<<(bits-1))
	v := float32(math.Ldexp(float64(a), lo+g.r.IntN(hi-lo+1)-bits))
	if g.r.IntN(2) == 0 {
		v = -v
	}
	return v
}

func (g fmaInputs) next() (x, y, z float32) {
	switch g.r.IntN(10) {
	case 0: // raw bit patterns: NaN, Inf, subnormal, anything
		return g.anyBits(), g.anyBits(), g.anyBits()
	case 1: // ordinary magnitudes
		return g.finite(-20, 20), g.finite(-20, 20), g.finite(-40, 40)
	case 2: // exact ties: 13-bit mantissas give 25-26 bit products
		return g.shortMantissa(13, -10, 10), g.shortMantissa(13, -10, 10), g.shortMantissa(1+g.r.IntN(4), -20, 20)
	case 3: // double-rounding traps: a tie plus a far smaller z
		x, y = g.shortMantissa(13, -5, 5), g.shortMantissa(13, -5, 5)
		z = float32(math.Ldexp(1, -30-g.r.IntN(110)))
		if g.r.IntN(2) == 0 {
			z = -z
		}
		return x, y, z
	case 4: // cancellation: z ≈ −x·y
		x, y = g.finite(-30, 30), g.finite(-30, 30)
		z = -float32(float64(x) * float64(y))
		z = math.Float32frombits(math.Float32bits(z) + uint32(g.r.IntN(5)) - 2)
		return x, y, z
	case 5: // near-halfway: z = h − x·y for a float32 halfway point h
		x, y = g.finite(-10, 10), g.finite(-10, 10)
		p := float64(x) * float64(y)
		h := float64(g.finite(-12, 12))
		h += math.Ldexp(1, math.Ilogb(h)-24) // halfway above h (for |h| normal)
		z = float32(h - p)
		return x, y, z
	case 6: // subnormal products and sums
		return g.finite(-80, -60), g.finite(-80, -60), g.finite(-149, -120)
	case 7: // subnormal inputs
		x = math.Float32frombits(g.r.Uint32()&0x807fffff | uint32(g.r.IntN(2))<<23)
		return x, g.finite(-10, 40), g.finite(-140, -100)
	case 8: // overflow region
		return g.finite(60, 127), g.finite(60, 127), g.finite(120, 127)
	default: // zeros of both signs against tiny products
		zs := [...]float32{0, float32(math.Copysign(0, -1))}
		x = g.finite(-80, -40)
		y = g.finite(-80, -40)
		if g.r.IntN(3) == 0 {
			x = zs[g.r.IntN(2)]
		}
		return x, y, zs[g.r.IntN(2)]
	}
}

func TestFMA32ExactlyRounded(t *testing.T) {
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	g := fmaInputs{rand.New(rand.NewPCG(1, 2))}
	bad := 0
	for range n {
		x, y, z := g.next()
		got, want := FMA32(x, y, z), fmaRef(x, y, z)
		if !sameBits(got, want) {
			bad++
			if bad <= 10 {
				t.Errorf("FMA32(%g, %g, %g) = %g (%#08x), want %g (%#08x)", x, y, z,
					got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d wrong", bad, n)
	}
}

// TestFMA32Exhaustive16 checks every product of two 8-bit-mantissa values in
// a small exponent range against every z of a grid: a dense block of ties.
func TestFMA32DenseTies(t *testing.T) {
	var zs []float32
	for e := -40; e <= 4; e++ {
		for _, m := range []float64{1, 1.5, 1.25, 1.75} {
			zs = append(zs, float32(math.Ldexp(m, e)), float32(-math.Ldexp(m, e)))
		}
	}
	step := 1
	if testing.Short() {
		step = 7
	}
	for a := 4096; a < 8192; a += 37 * step {
		for b := 4096; b < 8192; b += 53 * step {
			x, y := float32(a)/4096, float32(b)/8192
			for _, z := range zs {
				if got, want := FMA32(x, y, z), fmaRef(x, y, z); !sameBits(got, want) {
					t.Fatalf("FMA32(%g, %g, %g) = %g, want %g", x, y, z, got, want)
				}
			}
		}
	}
}
