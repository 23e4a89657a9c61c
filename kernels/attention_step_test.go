package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestAttentionStepMatchesAttention checks AttentionStep bit for bit against
// Attention's incremental row, with every ISA variant, on nasty values (−0
// lanes, subnormals, overflow) and lengths around the 16 lanes.
func TestAttentionStepMatchesAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	shapes := [][3]int{{40, 4, 256}, {8, 2, 96}, {33, 3, 30}, {70, 1, 7}, {37, 2, 64}, {1, 1, 4}}
	forEachISA(t, func(t *testing.T) {
		for _, sh := range shapes {
			T, heads, dim := sh[0], sh[1], sh[2]
			hd := dim / heads
			ld := T + 3
			q := randF32(r, T*dim, 2)
			k := randF32(r, T*dim, 2)
			var v []float32
			if r.IntN(2) == 0 {
				v = nastyVec(r, T*dim)
			} else {
				v = randF32(r, T*dim, 1)
			}
			kc := make([]float32, heads*ld*hd)
			vt := make([]float32, dim*ld)
			for j := range T {
				for h := range heads {
					copy(kc[(h*ld+j)*hd:(h*ld+j+1)*hd], k[j*dim+h*hd:j*dim+(h+1)*hd])
				}
				for d := range dim {
					vt[d*ld+j] = v[j*dim+d]
				}
			}
			want := make([]float32, dim)
			sc := make([]float32, T+Lanes*hd)
			for t0 := range T {
				Attention(want, q[t0*dim:], k, v, 1, t0+1, t0, heads, dim, sc)
				buf, got := guarded(dim, 1)
				sbuf, scr := guarded(t0+1, 2)
				AttentionStep(got, q[t0*dim:], kc, vt, t0+1, ld, heads, dim, scr)
				checkGuard(t, buf, dim, 1, "AttentionStep out")
				checkGuard(t, sbuf, t0+1, 2, "AttentionStep scratch")
				for d := range dim {
					if !sameBits(got[d], want[d]) {
						t.Fatalf("%v t=%d: out[%d] = %g, Attention %g", sh, t0, d, got[d], want[d])
					}
				}
			}
		}
	})
}
