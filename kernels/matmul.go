package kernels

// MatMulT computes c = a · bᵀ: c[i*n+j] = Dot(a[i*k:(i+1)*k], b[j*k:(j+1)*k])
// for i < m, j < n. a is m×k, b is n×k and c is m×n, all row-major; every
// element is rounded exactly as Dot rounds it. The other layouts (a·b, aᵀ·b)
// are this one after packing the operands so that k is contiguous.
func MatMulT(c, a, b []float32, m, n, k int) {
	_ = c[:m*n]
	_ = a[:m*k]
	_ = b[:n*k]
	for i := range m {
		ai := a[i*k : (i+1)*k]
		ci := c[i*n : (i+1)*n]
		for j := range n {
			ci[j] = Dot(ai, b[j*k:(j+1)*k])
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
