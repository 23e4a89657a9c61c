package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestOneRowProducts compares the one-row a·bᵀ (rowPairs on AVX2 and
// AVX-512: rowPairsShortAVX2 for k ≤ 96, rowPairsAVX2 and rowPairsAVX512
// above) with Dot, row by row, bit for bit: every n up to past two of
// rowPairsShortAVX2's chunks of 32 rows (so every tail of a quad and of a
// pair), k in every multiple of 16 the short kernels take and beyond, k
// not a multiple of 16 (the micro-kernels), odd row strides and offsets,
// guard words around the output.
func TestOneRowProducts(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	ks := []int{16, 32, 48, 64, 80, 96, 112, 128, 256, 384, 1008, 17, 100}
	forEachISA(t, func(t *testing.T) {
		for _, k := range ks {
			for n := 1; n <= 70; n++ {
				ldb := k + r.IntN(5)
				off := r.IntN(4)
				a := nastyVec(r, k+off)[off:]
				b := nastyVec(r, (n-1)*ldb+k+off)[off:]
				cbuf, c := guarded(n, off)
				matMulTPanels(c, n, a, k, b, ldb, 1, n, k)
				what := fmt.Sprintf("n=%d k=%d ldb=%d", n, k, ldb)
				checkGuard(t, cbuf, n, off, what)
				for j := range n {
					want := Dot(a, b[j*ldb:j*ldb+k])
					if !sameBits(c[j], want) {
						t.Fatalf("%s: c[%d] = %g, Dot gives %g", what, j, c[j], want)
					}
				}
			}
		}
	})
}
