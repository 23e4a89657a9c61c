package arith

import "fmt"

// Cumulative is a validated frequency table with its prefix sums: the
// cumulative frequency of symbol s is lo(s) = Σ freqs[:s], and lo(256) = Total.
// Building it once per coded symbol lets the encoder look up a symbol's range
// in O(1) and the decoder find a symbol by binary search.
//
// The zero value is not a valid table; encoding or decoding with it reports
// ErrInvalidFreqs.
type Cumulative struct {
	c [257]uint32
}

// Set replaces the table with freqs, which must hold 256 frequencies summing to
// exactly Total. Zero frequencies are allowed (such symbols cannot be coded).
// On error c is left invalid, as the zero value is.
func (c *Cumulative) Set(freqs []uint32) error {
	c.c[256] = 0
	if len(freqs) != 256 {
		return fmt.Errorf("%w: %d frequencies, want 256", ErrInvalidFreqs, len(freqs))
	}
	sum, ok := cumulativeLeaf(&c.c, freqs)
	if !ok {
		sum = c.setGo(freqs)
	}
	if sum != Total {
		c.c[256] = 0
		return fmt.Errorf("%w: frequencies sum to %d, want %d", ErrInvalidFreqs, sum, Total)
	}
	c.c[256] = Total
	return nil
}

// setGo is the specification of the assembly leaf of Set: it stores the
// prefix sums of freqs (256 entries) in c.c[:256], each modulo 2^32, and
// returns their total in 64 bits, which Set checks.
func (c *Cumulative) setGo(freqs []uint32) uint64 {
	freqs = freqs[:256]
	// The sum is taken in 64 bits so that no overflow can wrap to Total; once
	// the total is checked, every prefix sum fits in uint32. Four entries
	// per step keep the chain of dependent additions 64 long, not 256.
	var sum uint64
	for i := 0; i < 256; i += 4 {
		q := freqs[i : i+4 : i+4]
		d := c.c[i : i+4 : i+4]
		f0, f1, f2, f3 := uint64(q[0]), uint64(q[1]), uint64(q[2]), uint64(q[3])
		f01 := f0 + f1
		d[0] = uint32(sum)
		d[1] = uint32(sum + f0)
		d[2] = uint32(sum + f01)
		d[3] = uint32(sum + f01 + f2)
		sum += f01 + (f2 + f3)
	}
	return sum
}

// Range returns the cumulative frequency lo and the frequency f of sym, so that
// sym owns the targets lo ≤ t < lo+f.
func (c *Cumulative) Range(sym byte) (lo, freq uint32) {
	lo = c.c[sym]
	return lo, c.c[int(sym)+1] - lo
}

// Find returns the symbol that owns target: the largest s with lo(s) ≤ target.
// For target < Total that symbol has a nonzero frequency. It is a fixed
// eight-step binary search.
func (c *Cumulative) Find(target uint32) byte {
	s := 0
	for step := 128; step > 0; step >>= 1 {
		if c.c[s+step] <= target {
			s += step
		}
	}
	return byte(s)
}

// valid reports whether c was filled by a successful Set.
func (c *Cumulative) valid() bool { return c.c[256] == Total }

// symbolRange validates freqs and returns the cumulative frequency and the
// frequency of sym without building the whole table.
func symbolRange(freqs []uint32, sym byte) (lo, freq uint32, err error) {
	if len(freqs) != 256 {
		return 0, 0, fmt.Errorf("%w: %d frequencies, want 256", ErrInvalidFreqs, len(freqs))
	}
	freqs = freqs[:256]
	below, above := sum32(freqs[:sym]), sum32(freqs[sym:])
	if below+above != Total {
		return 0, 0, fmt.Errorf("%w: frequencies sum to %d, want %d", ErrInvalidFreqs, below+above, Total)
	}
	if freqs[sym] == 0 {
		return 0, 0, fmt.Errorf("%w: coded symbol %d has frequency 0", ErrInvalidFreqs, sym)
	}
	return uint32(below), freqs[sym], nil
}

// sum32 returns Σ f in 64 bits, with four independent accumulators.
func sum32(f []uint32) uint64 {
	var s0, s1, s2, s3 uint64
	for len(f) >= 4 {
		s0 += uint64(f[0])
		s1 += uint64(f[1])
		s2 += uint64(f[2])
		s3 += uint64(f[3])
		f = f[4:]
	}
	for _, v := range f {
		s0 += uint64(v)
	}
	return (s0 + s1) + (s2 + s3)
}
