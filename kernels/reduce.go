package kernels

// Lanes is the number of interleaved partial accumulators of every reduction.
const Lanes = 16

// Reduce16 combines 16 lane accumulators by the contract's fixed tree:
// a[j] += a[j+8] for j < 8, then a[j] += a[j+4] for j < 4, then a[j] += a[j+2]
// for j < 2, then a[0] + a[1]. It overwrites a.
func Reduce16(a *[Lanes]float32) float32 {
	for j := 0; j < 8; j++ {
		a[j] += a[j+8]
	}
	for j := 0; j < 4; j++ {
		a[j] += a[j+4]
	}
	a[0] += a[2]
	a[1] += a[3]
	return a[0] + a[1]
}

// Dot returns Σ x[i]·y[i] over i < len(x). Order: lane i mod 16 accumulates
// fused, acc = FMA32(x[i], y[i], acc), in increasing i starting from +0; the
// lanes are combined by Reduce16. y must be at least as long as x.
func Dot(x, y []float32) float32 {
	return dotVec(x, y[:len(x)])
}

// dotGeneric is the pure-Go Dot, the twin every assembly variant must match
// bit for bit. len(y) = len(x).
func dotGeneric(x, y []float32) float32 {
	var acc [Lanes]float32
	i := 0
	for ; i+Lanes <= len(x); i += Lanes {
		xs, ys := x[i:i+Lanes:i+Lanes], y[i:i+Lanes:i+Lanes]
		for l := range Lanes {
			acc[l] = FMA32(xs[l], ys[l], acc[l])
		}
	}
	for l := 0; i < len(x); i, l = i+1, l+1 {
		acc[l] = FMA32(x[i], y[i], acc[l])
	}
	return Reduce16(&acc)
}

// Sum returns Σ x[i]. Order: lane i mod 16 accumulates acc = acc + x[i] in
// increasing i starting from +0; the lanes are combined by Reduce16.
func Sum(x []float32) float32 {
	var acc [Lanes]float32
	i := len(x) &^ (Lanes - 1)
	if i > 0 {
		sumBlocks(&acc, x[:i])
	}
	for l := 0; i < len(x); i, l = i+1, l+1 {
		acc[l] += x[i]
	}
	return Reduce16(&acc)
}

// sumBlocksGeneric adds x[16b+l] to acc[l] for every block b of x (len(x) a
// multiple of Lanes), in order: the specification of sumBlocksAVX2.
func sumBlocksGeneric(acc *[Lanes]float32, x []float32) {
	for i := 0; i+Lanes <= len(x); i += Lanes {
		xs := x[i : i+Lanes : i+Lanes]
		for l := range Lanes {
			acc[l] += xs[l]
		}
	}
}

// Max returns the largest element of x, ignoring NaNs: −Inf when x is empty
// or all NaN, and +0 when the largest is a zero of either sign. Order: lane
// i mod 16 keeps acc = x[i] where x[i] > acc, in increasing i from −Inf,
// then the lanes in order the same way. A maximum is exact, so that order
// shows only in which zero a plain loop would return; reporting +0 for both
// makes Max the same for every variant, and no probability depends on the
// sign (Exp(x − 0) = Exp(x − (−0)) for every x, both Exps of ±0 being 1).
func Max(x []float32) float32 {
	// Below 16 elements each lane holds at most one, so the lanes in order
	// are the elements in order (the local attention's softmax rows are
	// this short).
	lanes := x
	var acc [Lanes]float32
	if len(x) >= Lanes {
		for l := range acc {
			acc[l] = negInf
		}
		i := len(x) &^ (Lanes - 1)
		maxBlocks(&acc, x[:i])
		for l := 0; i < len(x); i, l = i+1, l+1 {
			if x[i] > acc[l] {
				acc[l] = x[i]
			}
		}
		lanes = acc[:]
	}
	return maxOfLanes(lanes)
}

// maxOfLanes is Max's last step: the lanes in order, each kept where it is
// greater (NaN never is), from −Inf; +0 for a zero of either sign.
func maxOfLanes(lanes []float32) float32 {
	m := negInf
	for _, v := range lanes {
		if v > m {
			m = v
		}
	}
	if m == 0 {
		return 0 // +0 for −0 too
	}
	return m
}

// maxBlocksGeneric sets acc[l] = x[16b+l] where x[16b+l] > acc[l], for every
// block b of x (len(x) a multiple of Lanes) in order: the specification of
// maxBlocksAVX2.
func maxBlocksGeneric(acc *[Lanes]float32, x []float32) {
	for i := 0; i+Lanes <= len(x); i += Lanes {
		xs := x[i : i+Lanes : i+Lanes]
		for l, v := range xs {
			if v > acc[l] {
				acc[l] = v
			}
		}
	}
}

// xorBlocksGeneric sets acc[l] ^= x[16b+l] for every block b of x (len(x)
// a multiple of Lanes): the specification of xorBlocksAVX512 and
// xorBlocksAVX2, the probes with which BenchmarkMemoryRead measures how fast
// one core reads each level of the memory hierarchy. Sum cannot: its
// contract chains every block on one accumulator, so it measures the
// latency of an addition once the data come from L1 or L2.
func xorBlocksGeneric(acc *[Lanes]uint32, x []uint32) {
	for i := 0; i+Lanes <= len(x); i += Lanes {
		xs := x[i : i+Lanes : i+Lanes]
		for l := range Lanes {
			acc[l] ^= xs[l]
		}
	}
}

// xorRowsGeneric is the specification of the xorRows probes: groups of
// rows rows of rowLen elements (a multiple of Lanes) from the start of x,
// folded as xorBlocksGeneric folds them. The probes read each group's rows
// interleaved, as the one-row products read b; XOR does not care, so the
// result is xorBlocksGeneric's on the groups' elements.
func xorRowsGeneric(acc *[Lanes]uint32, x []uint32, rows, rowLen int) {
	groups := len(x) / (rows * rowLen)
	xorBlocksGeneric(acc, x[:groups*rows*rowLen])
}
