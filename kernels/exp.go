package kernels

import "math"

var negInf = float32(math.Inf(-1))

var posInf = float32(math.Inf(1))

// Coefficients of the degree-6 polynomial for e^r on |r| ≤ ln2/2 (Cephes expf).
const (
	expP0 = 1.9875691500e-4
	expP1 = 1.3981999507e-3
	expP2 = 8.3334519073e-3
	expP3 = 4.1665795894e-2
	expP4 = 1.6666665459e-1
	expP5 = 5.0000001201e-1

	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375
	ln2Lo  = -2.12194440e-4
	expMax = 88.72283935546875
	expMin = -103.97207708
)

// Exp returns e^x to within about 2 ulp, computed only with float32 +, −, ×,
// FMA32 and exact scaling by powers of two, so it is identical everywhere.
//
// Steps: k = x·log2e rounded half away from zero (to int32); r = FMA32(−k,
// ln2Hi, x), then r = FMA32(−k, ln2Lo, r); p = Horner in r with FMA32 over
// P0..P5, then y = FMA32(p, r², r) + 1, i.e. y = float32(FMA32(p, r*r, r) + 1);
// result y·2^k, scaled in two exact steps when 2^k is not a normal float32.
func Exp(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expMax:
		return posInf
	case x < expMin:
		return 0
	}
	z := float32(x * log2e)
	var k int32
	if z >= 0 {
		k = int32(float32(z + 0.5))
	} else {
		k = int32(float32(z - 0.5))
	}
	kf := float32(k)
	r := FMA32(-kf, ln2Hi, x)
	r = FMA32(-kf, ln2Lo, r)
	r2 := float32(r * r)
	p := FMA32(expP0, r, expP1)
	p = FMA32(p, r, expP2)
	p = FMA32(p, r, expP3)
	p = FMA32(p, r, expP4)
	p = FMA32(p, r, expP5)
	y := FMA32(p, r2, r) + 1
	return scalePow2(y, k)
}

// scalePow2 returns y·2^k for 0.5 ≤ |y| < 2 with a single rounding (only in
// the subnormal range). When 2^k is not a normal float32 the scaling takes two
// steps, and the first must be exact: for k < −126, y·2^(k+64) is a normal
// number (k ≥ −150 in Exp), and only the final ·2^−64 rounds. Scaling by 2^−126
// first, as an earlier version did, rounds twice whenever |y| < 1 and gave a
// result one subnormal ulp off for about 0.4% of such inputs.
func scalePow2(y float32, k int32) float32 {
	if k > 127 {
		y *= pow2(127)
		k -= 127
	} else if k < -126 {
		if k < -190 {
			return 0 * y // |y·2^k| < 2^−189 rounds to a zero of y's sign
		}
		y *= pow2(k + 64) // exact: the product is a normal number
		k = -64
	}
	return y * pow2(k)
}

// pow2 returns 2^k for -126 ≤ k ≤ 127.
func pow2(k int32) float32 {
	return math.Float32frombits(uint32(k+127) << 23)
}

// Tanh returns tanh(u) = (e^{2u} − 1)/(e^{2u} + 1) with Exp, clamped to ±1 for
// |u| > 9 where float32 cannot tell it from 1.
func Tanh(u float32) float32 {
	if u > 9 {
		return 1
	}
	if u < -9 {
		return -1
	}
	t := Exp(2 * u)
	return (t - 1) / (t + 1)
}

const (
	geluC = 0.7978845608028654 // √(2/π)
	geluA = 0.044715
)

// GELU returns the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
// with every product rounded (unfused) in the order written:
// u = c·(x + (a·x)·x·x), g = (0.5·x)·(1 + Tanh(u)).
func GELU(x float32) float32 {
	x3 := float32(float32(float32(geluA*x)*x) * x)
	u := float32(geluC * (x + x3))
	return float32(float32(0.5*x) * (1 + Tanh(u)))
}

// GELUInPlace applies GELU to every element of x.
func GELUInPlace(x []float32) {
	geluVec(x)
}

// softmaxScaled sets x[i] = float32(x[i]·scale) and then x = Softmax(x):
// exactly `for i := range x { x[i] *= scale }; Softmax(x, x)`, the
// attention's scaled scores turned into probabilities. On AVX-512 all of
// it is one leaf (softmaxLeaf): a row of at most 16 (the local
// attention's) one vector, a longer one the scaling with Max's lanes, the
// exponentials with Sum's lanes and the division, without the returns to
// Go between them; the lanes are those of Max and Sum, so the result is
// the same bit for bit.
func softmaxScaled(x []float32, scale float32) {
	if softmaxLeaf(x, scale) {
		return
	}
	for i := range x {
		x[i] *= scale
	}
	Softmax(x, x)
}

// expSubSumGeneric sets dst[i] = Exp(x[i] − sub) and adds it to acc[i mod
// 16], for every i < len(dst) in order: the specification of
// expSubSumAVX512, and with acc at +0, the lanes of Sum over dst.
func expSubSumGeneric(acc *[Lanes]float32, dst, x []float32, sub float32) {
	x = x[:len(dst)]
	for i := range dst {
		e := Exp(x[i] - sub)
		dst[i] = e
		acc[i%Lanes] += e
	}
}

// Softmax writes softmax(x) into dst (which may alias x): m = Max(x),
// e[i] = Exp(x[i] − m), s = Sum(e), dst[i] = e[i] / s.
//
// Where the ISA has the fused pass (fusedSoftmax), the exponentials and
// Sum's lanes are one pass (expSubSumBlocks), with the same result.
func Softmax(dst, x []float32) {
	softmaxFrom(dst[:len(x)], x, Max(x))
}

// softmaxFrom is Softmax given m = Max(x): e[i] = Exp(x[i] − m), dst[i] =
// e[i] / Sum(e), the exponentials and Sum's lanes in one pass where the
// ISA has it (fusedSoftmax).
func softmaxFrom(dst, x []float32, m float32) {
	if fusedSoftmax(len(x)) {
		var sum [Lanes]float32
		expSubSumBlocks(&sum, dst, x, m)
		divVec(dst, dst, Reduce16(&sum))
		return
	}
	expSubVec(dst, x, m)
	divVec(dst, dst, Sum(dst))
}

// divGeneric sets dst[i] = x[i] / d for i < len(dst): the specification of
// divAVX2.
func divGeneric(dst, x []float32, d float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] / d
	}
}
