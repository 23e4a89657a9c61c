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

// TestVariantsChunkDot checks chunkDot, in every ISA's widths (8 and 16
// columns), against Dot over each column gathered from the chunked layout,
// at every length 0…80 — partial last chunks included — with nasty values
// and with products that all underflow to −0 (a lane turned +0 would show),
// guards around the outputs, and
// NaN in every float of the layout that the length does not cover.
func TestVariantsChunkDot(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	const dim = 40
	stride := chunkStride(dim)
	forEachISA(t, func(t *testing.T) {
		for n := 0; n <= 160; n++ {
			// Past 80, every product underflows to −0, so every lane and
			// the sum are −0: a masked lane turned +0 would show.
			tiny := func() []float32 {
				v := make([]float32, n%80)
				for i := range v {
					v[i] = 1e-30
				}
				return v
			}
			p := nastyVec(r, n)
			if n > 80 {
				p = tiny()
			}
			values := make([]float32, (len(p)/Lanes+1)*stride+Lanes*chunkColsMax)
			for i := range values {
				values[i] = float32(math.NaN())
			}
			cols := make([][]float32, dim)
			for c := range cols {
				cols[c] = nastyVec(r, len(p))
				if n > 80 {
					cols[c] = tiny()
					for i := range cols[c] {
						cols[c][i] = -cols[c][i]
					}
				}
				for t0, x := range cols[c] {
					values[t0/Lanes*stride+Lanes*c+t0%Lanes] = x
				}
			}
			for _, w := range []int{8, 16} {
				for x := 0; x+w <= dim; x += 8 {
					buf, got := guarded(w, 1)
					chunkDot(got, p, values[Lanes*x:], stride)
					checkGuard(t, buf, w, 1, "chunkDot")
					for c := range w {
						if want := Dot(p, cols[x+c]); !sameBits(got[c], want) {
							t.Fatalf("n=%d w=%d column %d: %g (%#x), Dot %g (%#x)", n, w, x+c, got[c], math.Float32bits(got[c]), want, math.Float32bits(want))
						}
					}
				}
			}
		}
	})
}

// TestShortAttentionStepMatchesAttention checks ShortAttentionStep bit for
// bit against Attention's incremental row, with every ISA variant, at every
// length 1…16, on heads whose width is a multiple of 16 (the AVX-512 leaf)
// and not, more heads than the leaf takes, with nasty values, a cache that
// held NaN and infinities, and guards around the output.
func TestShortAttentionStepMatchesAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	shapes := [][2]int{{2, 96}, {1, 64}, {4, 64}, {1, 16}, {3, 48}, {8, 128}, {9, 144}, {2, 40}, {1, 7}, {3, 30}}
	forEachISA(t, func(t *testing.T) {
		for _, sh := range shapes {
			heads, dim := sh[0], sh[1]
			hd := dim / heads
			for rep := range 6 {
				const T = ShortAttentionMax
				q := randF32(r, T*dim, 2)
				k := randF32(r, T*dim, 2)
				var v []float32
				if rep%2 == 0 {
					v = nastyVec(r, T*dim)
				} else {
					v = randF32(r, T*dim, 1)
				}
				if rep == 5 { // every product underflows to −0
					for i := range v {
						v[i] = -1e-30
					}
					for i := range q {
						q[i] = 0
					}
				}
				cache := make([]float32, ShortCacheLen(dim))
				for i := range cache {
					cache[i] = [3]float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}[i%3]
				}
				want := make([]float32, dim)
				sc := make([]float32, T+Lanes*hd)
				for t0 := range T {
					Attention(want, q[t0*dim:], k, v, 1, t0+1, t0, heads, dim, sc)
					buf, got := guarded(dim, 1)
					ShortAttentionStep(got, q[t0*dim:], k[t0*dim:], v[t0*dim:], cache, t0+1, heads, dim)
					checkGuard(t, buf, dim, 1, "ShortAttentionStep out")
					for d := range dim {
						if !sameBits(got[d], want[d]) {
							t.Fatalf("%v rep %d n=%d: out[%d] = %g, Attention %g", sh, rep, t0+1, d, got[d], want[d])
						}
					}
				}
			}
		}
	})
}
