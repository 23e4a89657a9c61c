package kernels

import "math"

// LayerNorm writes the layer normalisation of x into dst (which may alias x):
// mean = Sum(x)/n, d[i] = x[i] − mean, v = Dot(d, d)/n,
// r = 1/float32(√(v + eps)), dst[i] = float32(float32(d[i]·r)·g[i]) + b[i]
// (unfused). The square root is taken in float64 and rounded to float32,
// which is the correctly rounded float32 root.
func LayerNorm(dst, x, g, b []float32, eps float32) {
	n := len(x)
	dst = dst[:n]
	g = g[:n]
	b = b[:n]
	mean := Sum(x) / float32(n)
	subVec(dst, x, mean)
	v := Dot(dst, dst) / float32(n)
	r := 1 / float32(math.Sqrt(float64(v+eps)))
	normAffine(dst, g, b, r)
}

// subGeneric sets dst[i] = x[i] − s for i < len(dst): the specification of
// subAVX2.
func subGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v - s
	}
}

// normAffineGeneric sets d[i] = float32(float32(d[i]·r)·g[i]) + b[i] for
// i < len(d), rounding after each operation: the specification of
// normAffineAVX2.
func normAffineGeneric(d, g, b []float32, r float32) {
	g, b = g[:len(d)], b[:len(d)]
	for i, v := range d {
		d[i] = float32(float32(v*r)*g[i]) + b[i]
	}
}
