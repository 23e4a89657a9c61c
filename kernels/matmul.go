package kernels

// MatMulT computes c = a · bᵀ: c[i*n+j] = Dot(a[i*k:(i+1)*k], b[j*k:(j+1)*k])
// for i < m, j < n. a is m×k, b is n×k and c is m×n, all row-major; every
// element is rounded exactly as Dot rounds it. The other layouts (a·b, aᵀ·b)
// are this one after packing the operands so that k is contiguous.
func MatMulT(c, a, b []float32, m, n, k int) {
	matMulTStrided(c[:m*n], n, a[:m*k], k, b[:n*k], k, m, n, k)
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
	MatMulT(y, x, w, m, out, in)
	if bias == nil {
		return
	}
	for i := range m {
		yi := y[i*out : (i+1)*out]
		for o, b := range bias[:out] {
			yi[o] += b
		}
	}
}

// Transpose writes the n×m transpose of the m×n matrix a into dst.
func Transpose(dst, a []float32, m, n int) {
	_ = dst[:m*n]
	for i := range m {
		for j, v := range a[i*n : (i+1)*n] {
			dst[j*m+i] = v
		}
	}
}
