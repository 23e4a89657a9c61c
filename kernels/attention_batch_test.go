package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// AttentionBatch gives Attention's batched result bit for bit on every
// instruction set.
func TestAttentionBatch(t *testing.T) {
	defer func(l isaLevel) { isa = l }(isa)
	for _, l := range isaLevels {
		isa = l
		rng := rand.New(rand.NewPCG(41, 42))
		for _, sh := range [][3]int{{1, 1, 4}, {3, 1, 5}, {8, 2, 96}, {17, 2, 12}, {40, 4, 32}, {100, 3, 39}, {256, 4, 256}} {
			T, heads, dim := sh[0], sh[1], sh[2]
			t.Run(fmt.Sprintf("%v/T%d_h%d_d%d", l, T, heads, dim), func(t *testing.T) {
				q := randF32(rng, T*dim, 2)
				k := randF32(rng, T*dim, 2)
				v := randF32(rng, T*dim, 1)
				want := make([]float32, T*dim)
				Attention(want, q, k, v, T, T, 0, heads, dim, make([]float32, T+Lanes*dim))
				buf, got := guarded(T*dim, 2)
				AttentionBatch(got, q, k, v, nil, T, heads, dim, randF32(rng, AttentionBatchScratch(T, heads, dim), 9))
				checkGuard(t, buf, T*dim, 2, "AttentionBatch")
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("out[%d] = %v, Attention %v", i, got[i], want[i])
					}
				}

				// Keeping P changes nothing, and AttentionBackwardKept on
				// the kept P is AttentionBackward.
				probs := randF32(rng, heads*T*T, 9)
				got2 := make([]float32, T*dim)
				AttentionBatch(got2, q, k, v, probs, T, heads, dim, randF32(rng, AttentionBatchScratch(T, heads, dim), 9))
				for i := range want {
					if math.Float32bits(got2[i]) != math.Float32bits(want[i]) {
						t.Fatalf("with probs: out[%d] = %v, Attention %v", i, got2[i], want[i])
					}
				}
				dout := randF32(rng, T*dim, 1)
				var d1, d2 [3][]float32
				for i := range d1 {
					d1[i], d2[i] = make([]float32, T*dim), make([]float32, T*dim)
				}
				AttentionBackward(d1[0], d1[1], d1[2], dout, q, k, v, T, heads, dim, make([]float32, AttentionBackwardScratch(T, heads, dim)))
				AttentionBackwardKept(d2[0], d2[1], d2[2], dim, dout, q, k, v, probs, T, heads, dim, randF32(rng, AttentionBackwardScratch(T, heads, dim), 9))
				for j := range d1 {
					for i := range d1[j] {
						if math.Float32bits(d1[j][i]) != math.Float32bits(d2[j][i]) {
							t.Fatalf("AttentionBackwardKept: gradient %d differs at %d: %v, want %v", j, i, d2[j][i], d1[j][i])
						}
					}
				}
				// Into a packed q|k|v gradient: ldd = 3·dim, the thirds at 0, dim, 2·dim.
				pbuf, packed := guarded(3*T*dim, 0)
				AttentionBackwardKept(packed, packed[dim:], packed[2*dim:], 3*dim, dout, q, k, v, probs, T, heads, dim, make([]float32, AttentionBackwardScratch(T, heads, dim)))
				checkGuard(t, pbuf, 3*T*dim, 0, "AttentionBackwardKept packed")
				for j := range d1 {
					for r := range T {
						for c := range dim {
							if got, want := packed[r*3*dim+j*dim+c], d1[j][r*dim+c]; math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("packed: gradient %d row %d col %d = %v, want %v", j, r, c, got, want)
							}
						}
					}
				}
			})
		}
	}
}

func BenchmarkAttentionBatch(b *testing.B) {
	for _, s := range [][3]int{{256, 4, 256}, {8, 2, 96}} {
		T, heads, dim := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(1, 1))
		q := benchVec(rng, T*dim, 1)
		k := benchVec(rng, T*dim, 1)
		v := benchVec(rng, T*dim, 1)
		out := make([]float32, T*dim)
		scratch := make([]float32, max(AttentionBatchScratch(T, heads, dim), T+Lanes*dim))
		for _, name := range []string{"Attention", "AttentionBatch"} {
			b.Run(fmt.Sprintf("%s/T=%d,heads=%d,dim=%d", name, T, heads, dim), func(b *testing.B) {
				loopCPU(b, func() {
					if name == "Attention" {
						Attention(out, q, k, v, T, T, 0, heads, dim, scratch)
					} else {
						AttentionBatch(out, q, k, v, nil, T, heads, dim, scratch)
					}
				})
			})
		}
	}
}
