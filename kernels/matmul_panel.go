package kernels

// panelFloats is the size, in floats, of the panel of rows of a that
// matMulTPanels keeps in L2 while every column block of b passes over it
// (128 KiB: half the L2 of the smallest core this runs on). It is a
// variable only so that tests can force many small panels and
// BenchmarkMatMulPanels can sweep it; nothing else changes it.
var panelFloats = 32 << 10

// matMulTPanels is matMulTStrided cut into panels of rows of a, each small
// enough to stay in L2 while the blocks of b stream past, instead of
// streaming all of a (megabytes for the thousands of rows of a training
// batch) from L3 once per block of b. Every output is still computed by one
// micro-kernel accumulator, so the results are exactly MatMulT's.
func matMulTPanels(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	if matMulTVertical(c, ldc, a, lda, b, ldb, m, n, k) {
		return
	}
	p := max(4, panelFloats/max(k, 1)&^3)
	if m <= p {
		matMulTStrided(c, ldc, a, lda, b, ldb, m, n, k)
		return
	}
	for i0 := 0; i0 < m; i0 += p {
		r := min(p, m-i0)
		matMulTStrided(c[i0*ldc:], ldc, a[i0*lda:], lda, b, ldb, r, n, k)
	}
}
