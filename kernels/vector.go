package kernels

// axpyGeneric sets y[i] = FMA32(a, x[i], y[i]) for i < len(y). Each element
// is independent, so the vector variants match it at any width.
func axpyGeneric(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i, xv := range x {
		y[i] = FMA32(a, xv, y[i])
	}
}

// addGeneric sets y[i] = y[i] + x[i] for i < len(y).
func addGeneric(y, x []float32) {
	x = x[:len(y)]
	for i, xv := range x {
		y[i] += xv
	}
}

// expSubGeneric sets dst[i] = Exp(x[i] − sub) for i < len(dst).
func expSubGeneric(dst, x []float32, sub float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = Exp(v - sub)
	}
}

// geluGeneric sets x[i] = GELU(x[i]).
func geluGeneric(x []float32) {
	for i, v := range x {
		x[i] = GELU(v)
	}
}
