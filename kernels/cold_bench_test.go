package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMatMulTCold measures MatMulT at decoding shapes (few rows of a)
// with b cold: each iteration uses the next of enough distinct copies of b
// to overflow the L3 cache (64 MiB in all), as the weights of one layer are
// when a decoding step comes back to it after all the others.
func BenchmarkMatMulTCold(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const pool = 64 << 20 / 4 // floats
	benchEachISA(b, func(b *testing.B) {
		for _, s := range [][3]int{{1, 768, 256}, {4, 768, 256}, {8, 768, 256}, {4, 256, 1024}, {16, 768, 256}} {
			m, n, k := s[0], s[1], s[2]
			nb := pool / (n * k)
			bs := make([][]float32, nb)
			for i := range bs {
				bs[i] = benchVec(r, n*k, 1)
			}
			a := benchVec(r, m*k, 1)
			c := make([]float32, m*n)
			b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
				cycle(b, nb, func(i int) { MatMulT(c, a, bs[i], m, n, k) })
				reportGFLOPs(b, 2*float64(m*n*k))
			})
		}
	})
}
