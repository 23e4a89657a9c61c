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

	// Non-negative finite float32 values order like their bit patterns, and
	// anything else (sign bit, NaN, Inf) has bits ≥ those of +Inf, so one
	// max over the bits both validates and finds the largest exponent.
	var maxBits uint32
	for _, p := range probs {
		maxBits = max(maxBits, math.Float32bits(p))
	}
	if maxBits >= 0x7F800000 {
		var err error
		if maxBits, err = checkProbs(probs); err != nil {
			return err
		}
	}
	if maxBits == 0 {
		return fmt.Errorf("%w: every probability is zero", ErrInvalidProbs)
	}

	emax := max(maxBits>>23, 1)
	var x [256]uint64
	var sum, bestX uint64
	best := 0
	for i, p := range probs {
		// Step 1 of the rule, without branches. Entries
		// are finite and non-negative here, but may be −0.
		b := math.Float32bits(p) & 0x7FFFFFFF
		e := b >> 23
		normal := (e + 0xFF) >> 8 // 1 unless e == 0 (subnormal or zero)
		mant := uint64(b&0x7FFFFF | normal<<23)
		xi := mant << 8 >> (emax - (e + 1 - normal))
		x[i] = xi
		sum += xi
		if xi > bestX { // x is exact at the top exponent, so this is argmax p
			best, bestX = i, xi
		}
	}

	const spread = Total - 256
	m := (spread<<40 + sum - 1) / sum
	var total uint32
	for i, xi := range x {
		f := 1 + uint32(xi*m>>40)
		freqs[i] = f
		total += f
	}
	freqs[best] += Total - total
	return nil
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
