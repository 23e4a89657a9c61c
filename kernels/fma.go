package kernels

import "math"

// FMA32 returns x*y + z rounded once to float32 (round to nearest even): the
// "fused" operation of the contract, as VFMADD computes it.
//
// The product of two float32 values is exact in float64, so the only
// difficulty is the double rounding float64 → float32 of the sum. It goes wrong
// only when the float64 sum lies exactly halfway between two float32 values
// (or in float32's subnormal range); there the sum is recomputed with
// round-to-odd, which makes the final rounding exact.
func FMA32(x, y, z float32) float32 {
	p := float64(x) * float64(y) // exact
	zf := float64(z)
	s := p + zf
	b := math.Float64bits(s)
	exp := (b >> 52) & 0x7ff
	if b&0x1fffffff != 0x10000000 && exp >= 1023-126 {
		return float32(s)
	}
	if exp == 0x7ff || s == 0 {
		return float32(s)
	}
	// TwoSum: err is the exact rounding error of s = p + zf.
	bb := s - p
	err := (p - (s - bb)) + (zf - bb)
	if err != 0 && b&1 == 0 {
		// Round to odd: step s one ulp towards the exact value.
		if (err > 0) == (s > 0) {
			b++
		} else {
			b--
		}
		s = math.Float64frombits(b)
	}
	return float32(s)
}
