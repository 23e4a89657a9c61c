package arith

import (
	"fmt"
	"math"
)

// Quantize turns a distribution over 256 symbols into a frequency table:
// every freqs[i] ≥ 1 and Σ freqs = Total exactly. probs need not be
// normalised; only the ratios between entries matter, and scaling every entry
// by the same power of two gives the same table.
//
// The rule, in integer arithmetic after an exact conversion:
//
//  1. Each probs[i] is read through its IEEE bits as mant_i·2^e_i (24-bit
//     mantissa with the implicit bit; subnormals have exponent 1 and no
//     implicit bit). With E the largest exponent, x_i = floor(mant_i·2^8 /
//     2^(E−e_i)): a block fixed point in which the largest entry lies in
//     [2^31, 2^32) (lower only if it is subnormal) and entries below 2^-32
//     of it become 0.
//  2. With S = Σ x_i (< 2^40), T = Total − 256 and M = ceil(T·2^40 / S),
//     freqs[i] = 1 + floor(x_i·M / 2^40). Every product fits in 64 bits.
//     Rounding M up makes x_i·M/2^40 exceed x_i·T/S by less than 2^-8, so
//     the floors are those of the exact shares except within 2^-8 below an
//     integer, and still Σ floor ≤ floor(T + S/2^40) = T.
//  3. The remainder Total − Σ freqs, between 0 and 255, is added to the
//     largest entry of probs (the lowest index among equals), which has the
//     largest frequency, so the relative distortion is smallest there and
//     a more probable symbol never gets a smaller frequency.
//
// Reserving one count per symbol costs at most 256/Total of the probability
// mass, about 2.2e-5 bit per symbol on a distribution sharper than 1 − 2^-24;
// a uniform input gives a uniform table exactly.
//
// Quantize returns an error wrapping ErrInvalidProbs, and leaves freqs
// unspecified, when len(probs) or len(freqs) is not 256, or when an entry is
// NaN, ±Inf or negative (−0 counts as 0), or every entry is 0. It does not
// allocate.
func Quantize(probs []float32, freqs []uint32) error {
	if len(probs) != 256 {
		return fmt.Errorf("%w: %d probabilities, want 256", ErrInvalidProbs, len(probs))
	}
	if len(freqs) != 256 {
		return fmt.Errorf("%w: %d-entry frequency table, want 256", ErrInvalidProbs, len(freqs))
	}
	probs, freqs = probs[:256], freqs[:256]
	if quantizeLeaf(probs, freqs) {
		return nil
	}
	return quantizeGo(probs, freqs)
}

// quantizeGo is Quantize in Go, for 256 entries: the specification of the
// assembly leaf, and the path of every input the leaf leaves to it.
func quantizeGo(probs []float32, freqs []uint32) error {
	probs, freqs = probs[:256], freqs[:256]
	// Non-negative finite float32 values order like their bit patterns, and
	// anything else (sign bit, NaN, Inf) has bits ≥ those of +Inf, so one
	// max over the bits both validates and finds the largest exponent.
	// Four maxima in flight: one chain of dependent CMOVs would take a
	// cycle or two per entry.
	var m0, m1, m2, m3 uint32
	for i := 0; i < 256; i += 4 {
		q := probs[i : i+4 : i+4]
		m0 = max(m0, math.Float32bits(q[0]))
		m1 = max(m1, math.Float32bits(q[1]))
		m2 = max(m2, math.Float32bits(q[2]))
		m3 = max(m3, math.Float32bits(q[3]))
	}
	maxBits := max(m0, m1, m2, m3)
	if maxBits >= 0x7F800000 {
		var err error
		if maxBits, err = checkProbs(probs); err != nil {
			return err
		}
	}
	if maxBits == 0 {
		return fmt.Errorf("%w: every probability is zero", ErrInvalidProbs)
	}
	// The largest x is the first entry with the largest bits: x is exact
	// at the top exponent and smaller at every other.
	best := 0
	for math.Float32bits(probs[best]) != maxBits {
		best++
	}

	emax := max(maxBits>>23, 1)
	var x [256]uint32         // each x < 2^32
	var s0, s1, s2, s3 uint64 // four sums in flight, like the maxima
	for i := 0; i < 256; i += 4 {
		q, xs := probs[i:i+4:i+4], x[i:i+4:i+4]
		x0, x1, x2, x3 := fixedPoint(q[0], emax), fixedPoint(q[1], emax), fixedPoint(q[2], emax), fixedPoint(q[3], emax)
		xs[0], xs[1], xs[2], xs[3] = uint32(x0), uint32(x1), uint32(x2), uint32(x3)
		s0 += x0
		s1 += x1
		s2 += x2
		s3 += x3
	}
	sum := s0 + s1 + s2 + s3

	const spread = Total - 256
	m := (spread<<40 + sum - 1) / sum
	var t0, t1, t2, t3 uint32
	for i := 0; i < 256; i += 4 {
		xs, fs := x[i:i+4:i+4], freqs[i:i+4:i+4]
		fs[0] = 1 + uint32(uint64(xs[0])*m>>40)
		fs[1] = 1 + uint32(uint64(xs[1])*m>>40)
		fs[2] = 1 + uint32(uint64(xs[2])*m>>40)
		fs[3] = 1 + uint32(uint64(xs[3])*m>>40)
		t0 += fs[0]
		t1 += fs[1]
		t2 += fs[2]
		t3 += fs[3]
	}
	total := t0 + t1 + t2 + t3
	freqs[best] += Total - total
	return nil
}

// fixedPoint is step 1 of Quantize's rule for an entry p (finite and
// non-negative, or −0) when the largest exponent is emax ≥ 1, without
// branches: floor(mant·2^8 / 2^(emax−e)).
func fixedPoint(p float32, emax uint32) uint64 {
	b := math.Float32bits(p) & 0x7FFFFFFF
	e := b >> 23
	normal := (e + 0xFF) >> 8 // 1 unless e == 0 (subnormal or zero)
	mant := uint64(b&0x7FFFFF | normal<<23)
	// mant·2^8 < 2^32, so every shift from 32 on gives 0: clamping to 63
	// spares Go's check for counts of 64 and more.
	return mant << 8 >> (min(emax-(e+1-normal), 63) & 63)
}

// checkProbs is the slow path of Quantize when some entry has its sign bit
// set or is NaN or Inf: it names the first bad entry, or, when the only
// culprits are negative zeros, returns the largest bit pattern of the rest.
func checkProbs(probs []float32) (uint32, error) {
	var maxBits uint32
	for i, p := range probs {
		b := math.Float32bits(p)
		switch {
		case b == 0x80000000:
			continue
		case p != p:
			return 0, fmt.Errorf("%w: probs[%d] is NaN", ErrInvalidProbs, i)
		case b&0x7FFFFFFF == 0x7F800000:
			return 0, fmt.Errorf("%w: probs[%d] is %v", ErrInvalidProbs, i, p)
		case b>>31 != 0:
			return 0, fmt.Errorf("%w: probs[%d] = %v is negative", ErrInvalidProbs, i, p)
		}
		maxBits = max(maxBits, b)
	}
	return maxBits, nil
}
