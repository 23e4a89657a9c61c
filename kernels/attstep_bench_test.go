package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkAttentionStep measures one decoding query against the global
// model's caches (4 heads × 64, n keys of capacity 256): "hot" reuses one
// cache, as if it stayed in L2; "cold" cycles through 64 caches (32 MiB),
// as a decoder's 16 lanes × 4 layers do.
func BenchmarkAttentionStep(b *testing.B) {
	const heads, dim, ld = 4, 256, 256
	for _, n := range []int{128, 256} {
		for _, caches := range []int{1, 64} {
			name := "hot"
			if caches > 1 {
				name = "cold"
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				kc := make([][]float32, caches)
				vt := make([][]float32, caches)
				for i := range kc {
					kc[i] = benchVec(r, ld*dim, 1)
					vt[i] = benchVec(r, dim*ld, 1)
				}
				q := benchVec(r, dim, 1)
				out := make([]float32, dim)
				scratch := make([]float32, ld)
				b.SetBytes(int64(2 * n * dim * 4))
				i := 0
				for b.Loop() {
					AttentionStep(out, q, kc[i], vt[i], n, ld, heads, dim, scratch)
					i++
					if i == caches {
						i = 0
					}
				}
			})
		}
	}
}
