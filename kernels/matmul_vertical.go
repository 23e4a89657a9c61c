package kernels

// The vertical kernels compute a·b (b k×n, row-major) with the outputs of 8
// adjacent columns in the lanes of one vector and each of the contract's 16
// reduction lanes of an output in a register of its own, so the Reduce16
// tree becomes plain vector additions shared by those 8 outputs instead of
// a shuffle tree per output. That pays where k is short (the local model's
// k = 96), where the horizontal kernels spend as long folding as
// multiplying, and b needs no packing: 8 adjacent columns are 8 contiguous
// floats of every row.

// verticalQuads lists the reduction lanes in the order the vertical kernels
// accumulate them: four quads {l, l+8, l+4, l+12}, for l = 0, 2, 1, 3. The
// Reduce16 tree written as sums of quads is
//
//	c_l = (a_l + a_{l+8}) + (a_{l+4} + a_{l+12}),  sum = (c_0 + c_2) + (c_1 + c_3),
//
// so a kernel that finishes one quad at a time keeps at most two partial
// sums per output.
var verticalQuads = [4][4]int{{0, 8, 4, 12}, {2, 10, 6, 14}, {1, 9, 5, 13}, {3, 11, 7, 15}}

// verticalGeneric is the specification of the vertical kernels
// (mmvAVX2_Rx8): the r×8 block c[i*ldc+j] = Dot(a row i, column j of b),
// i < r, j < 8, for b k×8 at row stride ldb and k a multiple of 16. Each
// output's lanes accumulate exactly as Dot's do; only the order in which
// the lanes are finished differs, which changes no result.
func verticalGeneric(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, r, k int) {
	for i := range r {
		ai := a[i*lda : i*lda+k]
		var hold [2][8]float32 // c_0 (+ c_2), c_1
		var sum [8]float32
		for q, quad := range verticalQuads {
			var acc [4][8]float32
			for t := 0; t < k; t += Lanes {
				for x, l := range quad {
					bv := b[(t+l)*ldb : (t+l)*ldb+8]
					for j := range bv {
						acc[x][j] = FMA32(ai[t+l], bv[j], acc[x][j])
					}
				}
			}
			for j := range 8 {
				cl := (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j])
				switch q {
				case 0:
					hold[0][j] = cl
				case 1:
					hold[0][j] += cl
				case 2:
					hold[1][j] = cl
				case 3:
					sum[j] = hold[0][j] + (hold[1][j] + cl)
				}
			}
		}
		copy(c[i*ldc:i*ldc+8], sum[:])
	}
}
