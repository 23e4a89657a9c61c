package kernels

import "math"

// The leaves of arith.Quantize, the quantizer that turns the model's 256
// probabilities into the coder's frequency table once per coded byte. They
// are integer operations on the bits of the floats, so every variant gives
// the same results trivially; they live here for the ISA dispatch.

// MaxBits returns the largest IEEE bit pattern of the x[i], read as
// unsigned integers (0 for an empty x). For non-negative finite floats it
// is the bits of the largest; a sign bit, NaN or ±Inf gives at least
// 0x7F800000.
func MaxBits(x []float32) uint32 {
	n8 := len(x) &^ 7
	m := maxBitsVec(x[:n8])
	for _, v := range x[n8:] {
		m = max(m, math.Float32bits(v))
	}
	return m
}

func maxBitsGeneric(x []float32) uint32 {
	var m uint32
	for _, v := range x {
		m = max(m, math.Float32bits(v))
	}
	return m
}

// FixedPoint sets out[i], i < len(out), to the block fixed point of
// arith.Quantize's step 1 for p[i] and the largest exponent emax ≥ 1:
// with p[i]'s bits read as mant·2^e (sign dropped; the 24-bit mantissa with
// its implicit bit, or for exponent 0 the exponent 1 without it), out[i] =
// floor(mant·2^8 / 2^(emax−e)). Every exponent must be at most emax. It
// returns Σ out[i] (below 2^40 for len(out) ≤ 256).
func FixedPoint(out []uint32, p []float32, emax uint32) uint64 {
	p = p[:len(out)]
	n8 := len(out) &^ 7
	sum := fixedPointVec(out[:n8], p[:n8], emax)
	return sum + fixedPointGeneric(out[n8:], p[n8:], emax)
}

func fixedPointGeneric(out []uint32, p []float32, emax uint32) uint64 {
	p = p[:len(out)]
	var sum uint64
	for i, v := range p {
		b := math.Float32bits(v) & 0x7FFFFFFF
		e := b >> 23
		normal := (e + 0xFF) >> 8 // 1 unless e == 0 (subnormal or zero)
		mant := uint64(b&0x7FFFFF | normal<<23)
		x := mant << 8 >> (emax - (e + 1 - normal))
		out[i] = uint32(x)
		sum += x
	}
	return sum
}

// ScaleCounts sets freqs[i] = 1 + floor(x[i]·m / 2^40), i < len(freqs),
// and returns Σ freqs[i] mod 2^32: arith.Quantize's step 2. Every
// x[i]·m must be below 2^64.
func ScaleCounts(freqs, x []uint32, m uint64) uint32 {
	x = x[:len(freqs)]
	n8 := len(freqs) &^ 7
	total := scaleCountsVec(freqs[:n8], x[:n8], m)
	return total + scaleCountsGeneric(freqs[n8:], x[n8:], m)
}

func scaleCountsGeneric(freqs, x []uint32, m uint64) uint32 {
	x = x[:len(freqs)]
	var total uint32
	for i, v := range x {
		f := 1 + uint32(uint64(v)*m>>40)
		freqs[i] = f
		total += f
	}
	return total
}
