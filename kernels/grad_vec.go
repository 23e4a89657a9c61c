package kernels

// GELUBackwardScratch returns the floats of scratch GELUBackwardVec needs for
// n elements.
func GELUBackwardScratch(n int) int { return n }

// GELUBackwardVec computes exactly what GELUBackward computes, bit for bit,
// in vector passes: with AVX-512 or AVX2 the whole formula 48 or 8
// elements at a time (geluBackwardAVX512, geluBackwardAVX2), otherwise
// geluBackwardGeneric, which takes the exponentials of all elements in one
// pass instead of one scalar Tanh per element. The exponential is most of
// GELU′'s cost, and GELU′ runs over every hidden activation of a training
// step, four per residual width. dx may alias dy; scratch must hold
// GELUBackwardScratch(len(x)) floats and overlap nothing else.
func GELUBackwardVec(dx, dy, x, scratch []float32) {
	n := len(x)
	geluBackwardVec(dx[:n], dy[:n], x, scratch[:GELUBackwardScratch(n)])
}

// geluBackwardGeneric is GELUBackwardVec in Go, on slices of equal length.
//
// Per element, with u computed exactly as GELU computes it: Tanh(u) is 1 for
// u > 9, −1 for u < −9, else (e − 1)/(e + 1) with e = Exp(2·u); the vector
// pass computes Exp(2·u − 0), and 2·u − 0 is 2·u exactly, so e is the same
// float. The rest is GELUBackward's formula in the same order.
func geluBackwardGeneric(dx, dy, x, scratch []float32) {
	n := len(x)
	dx = dx[:n]
	dy = dy[:n]
	e := scratch[:n]
	for i, v := range x {
		e[i] = 2 * geluU(v)
	}
	expSubVec(e, e, 0)
	for i, v := range x {
		u := geluU(v)
		var t float32
		switch {
		case u > 9:
			t = 1
		case u < -9:
			t = -1
		default:
			t = (e[i] - 1) / (e[i] + 1)
		}
		x2 := float32(v * v)
		sech2 := 1 - float32(t*t)
		du := float32(geluC * (1 + float32(3*geluA*x2)))
		d := float32(0.5*(1+t)) + float32(float32(float32(0.5*v)*sech2)*du)
		dx[i] = float32(dy[i] * d)
	}
}

// geluU returns u = c·(x + (a·x)·x·x) as GELU and GELUBackward compute it.
func geluU(v float32) float32 {
	x3 := float32(float32(float32(geluA*v)*v) * v)
	return float32(geluC * (v + x3))
}
