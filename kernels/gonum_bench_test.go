package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkGonumSgemm is the yardstick for MatMulT: gonum's pure-Go BLAS
// computing the same c = a·bᵀ at the same shapes (its order of summation is
// its own, so only the speed compares).
func BenchmarkGonumSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	var impl gonum.Implementation
	for _, s := range benchMatShapes {
		m, n, k := s[0], s[1], s[2]
		a := benchVec(r, m*k, 1)
		bt := benchVec(r, n*k, 1)
		c := make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
			b.SetBytes(int64(4 * (m*k + n*k)))
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, bt, k, 0, c, n)
			}
			reportGFLOPs(b, 2*float64(m*n*k))
		})
	}
}
