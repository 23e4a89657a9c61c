package kernels

import "math"

// LayerNormBackwardScratch returns the floats of scratch that
// LayerNormBackwardRows needs for rows of width n.
func LayerNormBackwardScratch(n int) int { return 2 * n }

// LayerNormBackwardRows is LayerNormBackward on rows consecutive rows of
// width n (dx, dy and x are rows×n, row-major), bit for bit: row i gives
// exactly what LayerNormBackward(dx row i, dg, db, dy row i, x row i, g, eps)
// gives, and dg and db accumulate the rows in increasing order.
//
// Per row it keeps ĝ in scratch, so that s1 and s2 are Sum(ĝ) and
// Dot(ĝ, x̂) — the same lanes, fused products and Reduce16 as the scalar
// loop of LayerNormBackward — and the dot runs in the vector Dot. The sums
// (of x for the mean, and s1) are vector Dots with a row of ones: x·1 is
// exact, so each lane adds exactly what Sum adds. scratch
// must hold LayerNormBackwardScratch(n) floats; dx must not overlap dy, x or
// g.
func LayerNormBackwardRows(dx, dg, db, dy, x, g []float32, rows, n int, eps float32, scratch []float32) {
	_ = dx[:rows*n]
	_ = dy[:rows*n]
	_ = x[:rows*n]
	g = g[:n]
	dg = dg[:n]
	if db != nil {
		db = db[:n]
	}
	gh, ones := scratch[:n], scratch[n:2*n]
	for i := range ones {
		ones[i] = 1
	}
	nf := float32(n)
	for row := range rows {
		xr := x[row*n : (row+1)*n]
		dxr := dx[row*n : (row+1)*n]
		dyr := dy[row*n : (row+1)*n]
		mean := dotVec(xr, ones) / nf
		for i, v := range xr {
			dxr[i] = v - mean
		}
		r := 1 / float32(math.Sqrt(float64(Dot(dxr, dxr)/nf+eps)))
		for i, d := range dxr {
			xh := float32(d * r)
			gh[i] = float32(dyr[i] * g[i])
			dg[i] += float32(dyr[i] * xh)
			dxr[i] = xh
		}
		if db != nil {
			addVec(db, dyr)
		}
		m1 := dotVec(gh, ones) / nf
		m2 := dotVec(gh, dxr) / nf
		for i, xh := range dxr {
			dxr[i] = float32(r * float32(float32(gh[i]-m1)-float32(xh*m2)))
		}
	}
}

// LayerNormRowsScratch returns the floats of scratch that LayerNormRows
// needs for rows of width n.
func LayerNormRowsScratch(n int) int { return n }

// LayerNormRows is LayerNorm on rows consecutive rows of width n (dst and x
// rows×n, row-major), bit for bit: the mean's sum is a vector Dot with a row
// of ones, which adds exactly what Sum adds in each lane. scratch must hold
// LayerNormRowsScratch(n) floats; dst may not overlap x.
func LayerNormRows(dst, x, g, b []float32, rows, n int, eps float32, scratch []float32) {
	_ = dst[:rows*n]
	_ = x[:rows*n]
	g = g[:n]
	b = b[:n]
	ones := scratch[:n]
	for i := range ones {
		ones[i] = 1
	}
	nf := float32(n)
	for row := range rows {
		xr := x[row*n : (row+1)*n]
		dr := dst[row*n : (row+1)*n]
		mean := dotVec(xr, ones) / nf
		for i, v := range xr {
			dr[i] = v - mean
		}
		v := dotVec(dr, dr) / nf
		r := 1 / float32(math.Sqrt(float64(v+eps)))
		for i, d := range dr {
			dr[i] = float32(float32(d*r)*g[i]) + b[i]
		}
	}
}
