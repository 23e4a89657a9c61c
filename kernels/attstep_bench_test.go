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
				q := benchVec(r, dim, 1)
				out := make([]float32, dim)
				scratch := make([]float32, AttentionStepScratch(ld))
				if half {
					kc, vc := benchCaches(r, caches, n, dim, ld, heads, StoreKVHalf)
					b.SetBytes(int64(2 * n * dim * 2))
					cycle(b, caches, func(i int) { AttentionStepHalf(out, q, kc[i], vc[i], n, ld, heads, dim, scratch) })
					return
				}
				kc, vc := benchCaches(r, caches, n, dim, ld, heads, StoreKV)
				b.SetBytes(int64(2 * n * dim * 4))
				cycle(b, caches, func(i int) { AttentionStep(out, q, kc[i], vc[i], n, ld, heads, dim, scratch) })
			})
		}
	}
}

// benchCaches returns count key and value caches of capacity ld, each
// holding n random positions written by store.
func benchCaches[E float32 | uint16](r *rand.Rand, count, n, dim, ld, heads int, store func(kc, vc []E, k, v []float32, j, ld, heads int)) (kc, vc [][]E) {
	kc, vc = make([][]E, count), make([][]E, count)
	for i := range kc {
		kc[i] = make([]E, KeyCacheLen(dim, ld))
		vc[i] = make([]E, ValueCacheLen(dim, ld))
		for j := range n {
			store(kc[i], vc[i], benchVec(r, dim, 1), benchVec(r, dim, 1), j, ld, heads)
		}
	}
	return kc, vc
}

// cycle runs step(i) once per iteration of b.Loop, i going round 0…n−1.
func cycle(b *testing.B, n int, step func(i int)) {
	i := 0
	for b.Loop() {
		step(i)
		if i++; i == n {
			i = 0
		}
	}
}

// BenchmarkLocalAttention measures the local transformer's attention of one
// byte (2 heads × 48, a patch of 8): a whole patch, positions 1…8, per
// iteration, with the general caches (StoreKV and AttentionStep) and with
// ShortAttentionStep's.
func BenchmarkLocalAttention(b *testing.B) {
	const heads, dim, patch = 2, 96, 8
	r := rand.New(rand.NewPCG(3, 4))
	q, k, v := benchVec(r, dim, 1), benchVec(r, dim, 1), benchVec(r, dim, 1)
	out := make([]float32, dim)
	benchEachISA(b, func(b *testing.B) {
		b.Run("general", func(b *testing.B) {
			ld := StepCapacity(patch)
			kc, vc := make([]float32, KeyCacheLen(dim, ld)), make([]float32, ValueCacheLen(dim, ld))
			scratch := make([]float32, AttentionStepScratch(ld))
			for b.Loop() {
				for j := range patch {
					StoreKV(kc, vc, k, v, j, ld, heads)
					AttentionStep(out, q, kc, vc, j+1, ld, heads, dim, scratch)
				}
			}
		})
		b.Run("short", func(b *testing.B) {
			cache := make([]float32, ShortCacheLen(dim))
			for b.Loop() {
				for j := range patch {
					ShortAttentionStep(out, q, k, v, cache, j+1, heads, dim)
				}
			}
		})
	})
}
