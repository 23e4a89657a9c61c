package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttentionStepMatchesAttention checks AttentionStep bit for bit against
// Attention's incremental row, with every ISA variant, on nasty values (−0
// lanes, subnormals, overflow), lengths around the 16 lanes, heads whose
// width is not a multiple of 8 (or is under 8), and caches that held NaN
// and infinities before StoreKV wrote them.
func TestAttentionStepMatchesAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	shapes := [][3]int{{40, 4, 256}, {8, 2, 96}, {33, 3, 30}, {70, 1, 7}, {37, 2, 64}, {1, 1, 4}, {20, 6, 48}, {17, 5, 40}, {40, 1, 33}, {35, 4, 12}}
	forEachISA(t, func(t *testing.T) {
		for _, sh := range shapes {
			T, heads, dim := sh[0], sh[1], sh[2]
			hd := dim / heads
			ld := StepCapacity(T + 3)
			q := randF32(r, T*dim, 2)
			k := randF32(r, T*dim, 2)
			var v []float32
			if r.IntN(2) == 0 {
				v = nastyVec(r, T*dim)
			} else {
				v = randF32(r, T*dim, 1)
			}
			// Caches that held something else before: StoreKV must leave
			// nothing of it where AttentionStep reads.
			kc := make([]float32, KeyCacheLen(dim, ld))
			vc := make([]float32, ValueCacheLen(dim, ld))
			for i := range vc {
				vc[i] = float32(math.NaN())
			}
			for i := range kc {
				kc[i] = float32(math.Inf(1))
			}
			want := make([]float32, dim)
			sc := make([]float32, T+Lanes*hd)
			for t0 := range T {
				StoreKV(kc, vc, k[t0*dim:(t0+1)*dim], v[t0*dim:(t0+1)*dim], t0, ld, heads)
				Attention(want, q[t0*dim:], k, v, 1, t0+1, t0, heads, dim, sc)
				buf, got := guarded(dim, 1)
				sbuf, scr := guarded(AttentionStepScratch(t0+1), 2)
				AttentionStep(got, q[t0*dim:], kc, vc, t0+1, ld, heads, dim, scr)
				checkGuard(t, buf, dim, 1, "AttentionStep out")
				checkGuard(t, sbuf, AttentionStepScratch(t0+1), 2, "AttentionStep scratch")
				for d := range dim {
					if !sameBits(got[d], want[d]) {
						t.Fatalf("%v t=%d: out[%d] = %g, Attention %g", sh, t0, d, got[d], want[d])
					}
				}
			}
		}
	})
}
