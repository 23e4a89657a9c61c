package kernels

import "math"

// LayerNormBackwardScratch returns the floats of scratch that
// LayerNormBackwardRows needs for rows of width n.
func LayerNormBackwardScratch(n int) int { return n }

// LayerNormBackwardRows is LayerNormBackward on rows consecutive rows of
// width n (dx, dy and x are rows×n, row-major), bit for bit: row i gives
// exactly what LayerNormBackward(dx row i, dg, db, dy row i, x row i, g, eps)
// gives, and dg and db accumulate the rows in increasing order.
//
// Per row it keeps ĝ in scratch, so that s1 and s2 are Sum(ĝ) and
// Dot(ĝ, x̂) — the same lanes, fused products and Reduce16 as the scalar
// loop of LayerNormBackward — and both run in the vector kernels; on
// AVX-512, with n a multiple of 16, one leaf (layerNormBackwardRowsAVX512)
// runs every row. scratch must hold LayerNormBackwardScratch(n) floats; dx
// must not overlap dy, x or g.
func LayerNormBackwardRows(dx, dg, db, dy, x, g []float32, rows, n int, eps float32, scratch []float32) {
	_ = dx[:rows*n]
	_ = dy[:rows*n]
	_ = x[:rows*n]
	g = g[:n]
	dg = dg[:n]
	if db != nil {
		db = db[:n]
	}
	gh := scratch[:n]
	if layerNormBackwardRowsVec(dx, dg, db, dy, x, g, gh, rows, n, eps) {
		return
	}
	nf := float32(n)
	for row := range rows {
		xr := x[row*n : (row+1)*n]
		dxr := dx[row*n : (row+1)*n]
		dyr := dy[row*n : (row+1)*n]
		mean := Sum(xr) / nf
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
		m1 := Sum(gh) / nf
		m2 := dotVec(gh, dxr) / nf
		for i, xh := range dxr {
			dxr[i] = float32(r * float32(float32(gh[i]-m1)-float32(xh*m2)))
		}
	}
}

// LayerNormRows is LayerNorm on rows consecutive rows of width n (dst and x
// rows×n, row-major): exactly LayerNorm(dst[i·n:(i+1)·n], x[i·n:(i+1)·n],
// g, b, eps) for i < rows; dst may be x, but may not overlap it otherwise.
// On AVX-512, with n a multiple of 16, one leaf runs LayerNorm's steps on
// whole vectors for all the rows.
func LayerNormRows(dst, x, g, b []float32, rows, n int, eps float32) {
	if rows <= 0 || n <= 0 {
		return
	}
	dst, x, g, b = dst[:rows*n], x[:rows*n], g[:n], b[:n]
	if layerNormRowsVec(dst, x, g, b, rows, eps) {
		return
	}
	for row := range rows {
		LayerNorm(dst[row*n:(row+1)*n], x[row*n:(row+1)*n], g, b, eps)
	}
}
