package kernels

import "sync"

// MatMulT computes c = a · bᵀ: c[i*n+j] = Dot(a[i*k:(i+1)*k], b[j*k:(j+1)*k])
// for i < m, j < n. a is m×k, b is n×k and c is m×n, all row-major; every
// element is rounded exactly as Dot rounds it. The other layouts are MatMul
// (a·b) and MatMulTA (aᵀ·b), the same Dots. Many rows
// of a go through in L2-sized panels (matMulTPanels), which changes only
// the order in which the outputs are computed.
func MatMulT(c, a, b []float32, m, n, k int) {
	matMulTPanels(c[:m*n], n, a[:m*k], k, b[:n*k], k, m, n, k)
}

// MatMul computes c = a·b: c[i*n+j] = Dot(a[i*k:(i+1)*k], column j of b)
// for i < m, j < n. a is m×k, b is k×n and c is m×n, all row-major; every
// element is rounded exactly as Dot rounds it, so MatMul(c, a, b) equals
// MatMulT(c, a, bᵀ) bit for bit. It is the backward pass's dx = dy·w.
// Where the vertical kernels take the shape (AVX2 or AVX-512, n a multiple
// of 8, k of 16 up to 384) they compute it, 8 or 16 adjacent columns of b
// to a vector: from at least matMulVerticalMinRows rows on a packed copy of
// b (verticalFits), and with fewer rows on b as it lies when n is not a
// multiple of 64 or there are at most two rows (verticalInPlaceFits);
// otherwise b is transposed, into rows of a padded stride, and the product
// is MatMulT's.
func MatMul(c, a, b []float32, m, n, k int) {
	c, a, b = c[:m*n], a[:m*k], b[:k*n]
	if m == 0 || n == 0 {
		return
	}
	matMulStrided(c, n, a, k, b, n, m, n, k)
}

// matMulStrided is MatMul on strided rows: c[i*ldc+j] = Dot(a[i*lda:][:k],
// column j of b), b k×n at row stride ldb.
func matMulStrided(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	if m >= matMulVerticalMinRows && verticalFits(m, n, k) {
		matMulVertical(c, ldc, a, lda, b, ldb, m, n, k)
		return
	}
	if m == 1 && columnDotsFits(n, k) {
		columnDots(c, a, b, ldb, n, k)
		return
	}
	if verticalInPlaceFits(m, n, k) {
		matMulVerticalInPlace(c, ldc, a, lda, b, ldb, m, n, k)
		return
	}
	withTranspose(b, ldb, k, n, func(bt []float32, ldt int) {
		matMulTPanels(c, ldc, a, lda, bt, ldt, m, n, k)
	})
}

// MatMulTA computes c = aᵀ·b: c[i*n+j] = Dot(column i of a, column j of b)
// for i < m, j < n. a is k×m, b is k×n and c is m×n, all row-major; every
// element is rounded exactly as Dot rounds it. It is the backward pass's
// dw = dyᵀ·x: a is transposed (the short operand in training, a chunk of
// rows) and the product is MatMul's.
func MatMulTA(c, a, b []float32, m, n, k int) {
	c, a, b = c[:m*n], a[:k*m], b[:k*n]
	if m == 0 || n == 0 {
		return
	}
	if m == 1 {
		// A k×1 matrix is its own transpose in memory.
		matMulStrided(c, n, a, k, b, n, m, n, k)
		return
	}
	withTranspose(a, m, k, m, func(at []float32, ldt int) {
		matMulStrided(c, n, at, ldt, b, n, m, n, k)
	})
}

// withTranspose calls f with the cols×rows transpose of x (rows×cols at
// row stride ldx), made in a buffer of transposeBufs at the row stride ldt
// it passes: padStride(rows), so that the rows being written fall into
// different cache sets (at a power-of-two stride a transpose into 1024-float
// rows ran at 4.5 GB/s; see transposeStrips).
func withTranspose(x []float32, ldx, rows, cols int, f func(xt []float32, ldt int)) {
	ldt := padStride(rows)
	buf := transposeBufs.Get().(*[]float32)
	xt := growFloats(buf, (cols-1)*ldt+rows)
	transposeStrided(xt, ldt, x, ldx, rows, cols)
	f(xt, ldt)
	transposeBufs.Put(buf)
}

// matMulVerticalMinRows is the fewest rows for which MatMul takes the
// vertical kernels: they copy all of b into their panels, which fewer rows
// do not repay. BenchmarkMatMulLayouts on the 2-core AVX2 host (GFLOP/s,
// vertical against transpose + MatMulT): 64×768×256 40 against 49, 8×288×96
// 17 against 33, 1×256×96 3.8 against 9.9; 256×768×256 58 against 48,
// 2048×288×96 55 against 54.
const matMulVerticalMinRows = 128

// transposeBufs recycles the transposed operands of MatMul and MatMulTA.
var transposeBufs = sync.Pool{New: func() any { return new([]float32) }}

// growFloats returns (*buf)[:n], reallocating it if it is too short.
func growFloats(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// checkStrided panics (as a slice expression would) unless c, a and b hold
// the m×n, m×k and n×k matrices at row strides ldc, lda and ldb, so that the
// assembly, which does not check bounds, stays inside them.
func checkStrided(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	if m < 0 || n < 0 || k < 0 || ldc < n || lda < k || ldb < k {
		panic("kernels: bad matrix shape or stride")
	}
	if m > 0 && n > 0 {
		_ = c[:(m-1)*ldc+n]
		_ = a[:(m-1)*lda+k]
		_ = b[:(n-1)*ldb+k]
	}
}

// matMulTGeneric is the pure-Go strided MatMulT: c[i*ldc+j] = Dot(a row i,
// b row j) with row i of a at a[i*lda:] and row j of b at b[j*ldb:].
func matMulTGeneric(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	for i := range m {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		for j := range n {
			ci[j] = dotGeneric(ai, b[j*ldb:j*ldb+k])
		}
	}
}

// Linear computes y = x · wᵀ + bias for m rows: y[i*out+o] =
// Dot(x row i, w row o) + bias[o], the sum rounded after the dot. w is out×in
// (the PyTorch nn.Linear layout); bias may be nil.
func Linear(y, x, w, bias []float32, m, in, out int) {
	LinearCols(y, x, w, bias, m, in, out, 0, out)
}

// LinearCols computes the output columns [j0, j1) of Linear(y, x, w, bias,
// m, in, out) and leaves the others alone: every element it writes is the
// one Linear writes, bit for bit (each is its own Dot). Two threads that
// take complementary column ranges of one product each stream half of w.
func LinearCols(y, x, w, bias []float32, m, in, out, j0, j1 int) {
	lw := LinearWeights{W: w, In: in, Out: out} // nothing packed
	lw.LinearCols(y, x, bias, m, j0, j1)
}

// Transpose writes the n×m transpose of the m×n matrix a into dst.
func Transpose(dst, a []float32, m, n int) {
	transposeStrided(dst, m, a, n, m, n)
}

// transposeStrided writes the n×m transpose of the m×n matrix a (row stride
// lda) into dst at row stride ldd: dst[j*ldd+i] = a[i*lda+j]. The ISA's
// leaf (transposeStrips) moves the whole 8×8 blocks, transposeGeneric the
// rest. A transpose only moves floats, so the result is the same whoever
// moves them. A caller that picks ldd itself should use padStride: a
// power-of-two stride maps all the rows being written to a few cache sets.
func transposeStrided(dst []float32, ldd int, a []float32, lda int, m, n int) {
	if m == 0 || n == 0 {
		return
	}
	_ = dst[:(n-1)*ldd+m]
	_ = a[:(m-1)*lda+n]
	m8, n8 := transposeStrips(dst, ldd, a, lda, m, n)
	if n8 < n {
		transposeGeneric(dst[n8*ldd:], ldd, a[n8:], lda, m8, n-n8)
	}
	if m8 < m {
		transposeGeneric(dst[m8:], ldd, a[m8*lda:], lda, m-m8, n)
	}
}

// transposeGeneric is transposeStrided in pure Go.
//
// It moves blocks of 8 rows of a at a time: for each column j the 8 values
// of those rows go to 8 contiguous floats of row j of dst. The reads stream
// along 8 rows and every write fills half a cache line, instead of one
// float per line at a stride of ldd.
func transposeGeneric(dst []float32, ldd int, a []float32, lda int, m, n int) {
	if m == 0 || n == 0 {
		return
	}
	_ = dst[:(n-1)*ldd+m]
	_ = a[:(m-1)*lda+n]
	i := 0
	for ; i+8 <= m; i += 8 {
		r0 := a[i*lda : i*lda+n]
		r1 := a[(i+1)*lda:][:len(r0)]
		r2 := a[(i+2)*lda:][:len(r0)]
		r3 := a[(i+3)*lda:][:len(r0)]
		r4 := a[(i+4)*lda:][:len(r0)]
		r5 := a[(i+5)*lda:][:len(r0)]
		r6 := a[(i+6)*lda:][:len(r0)]
		r7 := a[(i+7)*lda:][:len(r0)]
		d := dst[i:]
		for j, v := range r0 {
			d := d[j*ldd:][:8:8]
			d[0] = v
			d[1] = r1[j]
			d[2] = r2[j]
			d[3] = r3[j]
			d[4] = r4[j]
			d[5] = r5[j]
			d[6] = r6[j]
			d[7] = r7[j]
		}
	}
	for ; i < m; i++ {
		for j, v := range a[i*lda : i*lda+n] {
			dst[j*ldd+i] = v
		}
	}
}

// padStride returns a row stride of at least n floats for a matrix written
// or read column-wise: a whole number of 64-byte lines, and an odd number of
// them, so that consecutive rows fall in different cache sets.
func padStride(n int) int {
	l := (n + 15) &^ 15
	if l/16%2 == 0 {
		l += 16
	}
	return l
}
