package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkAttentionStep measures one decoding query against a global
// layer's caches (4 heads × 64, n keys of capacity 256): "hot" reuses one
// cache, which stays in L2; "cold" cycles through 64 of them (32 MiB, as
// many as a decoder's 16 rows × 4 layers), which come from memory. MB/s
// counts the keys and values in use. "half" runs AttentionStepHalf on
// binary16 caches, whose 64 take 16 MiB.
func BenchmarkAttentionStep(b *testing.B) {
	const heads, dim, ld = 4, 256, 256
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{128, 256} {
		for _, cfg := range []struct {
			caches int
			half   bool
		}{{1, false}, {64, false}, {1, true}, {64, true}} {
			caches, half := cfg.caches, cfg.half
			name := "hot"
			if caches > 1 {
				name = "cold"
			}
			if half {
				name += "/half"
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				kc := make([][]float32, caches)
				vc := make([][]float32, caches)
				for i := range kc {
					kc[i] = make([]float32, KeyCacheLen(dim, ld))
					vc[i] = make([]float32, ValueCacheLen(dim, ld))
					for j := range n {
						StoreKV(kc[i], vc[i], benchVec(r, dim, 1), benchVec(r, dim, 1), j, ld, heads)
					}
				}
				q := benchVec(r, dim, 1)
				out := make([]float32, dim)
				scratch := make([]float32, AttentionStepScratch(ld))
				b.SetBytes(int64(2 * n * dim * 4))
				i := 0
				if half {
					kh := make([][]uint16, caches)
					vh := make([][]uint16, caches)
					for i := range kh {
						kh[i] = make([]uint16, KeyCacheLen(dim, ld))
						vh[i] = make([]uint16, ValueCacheLen(dim, ld))
						for j := range n {
							StoreKVHalf(kh[i], vh[i], benchVec(r, dim, 1), benchVec(r, dim, 1), j, ld, heads)
						}
					}
					b.SetBytes(int64(2 * n * dim * 2))
					for b.Loop() {
						AttentionStepHalf(out, q, kh[i], vh[i], n, ld, heads, dim, scratch)
						i++
						if i == caches {
							i = 0
						}
					}
					return
				}
				for b.Loop() {
					AttentionStep(out, q, kc[i], vc[i], n, ld, heads, dim, scratch)
					i++
					if i == caches {
						i = 0
					}
				}
			})
		}
	}
}
