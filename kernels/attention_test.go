package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// attnRef64 is causal multi-head attention in float64 for query rows at
// positions t0…t0+nq−1.
func attnRef64(q, k, v []float32, nq, t0, heads, dim int) []float64 {
	hd := dim / heads
	out := make([]float64, nq*dim)
	scale := 1 / math.Sqrt(float64(hd))
	for i := range nq {
		t := t0 + i
		for h := range heads {
			s := make([]float64, t+1)
			m := math.Inf(-1)
			for j := range s {
				for d := range hd {
					s[j] += float64(q[i*dim+h*hd+d]) * float64(k[j*dim+h*hd+d])
				}
				s[j] *= scale
				m = math.Max(m, s[j])
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - m)
				z += s[j]
			}
			for j := range s {
				for d := range hd {
					out[i*dim+h*hd+d] += s[j] / z * float64(v[j*dim+h*hd+d])
				}
			}
		}
	}
	return out
}

// attnShapes are (T, heads, dim): the model's global and local shapes, a
// head width that is not a multiple of 16, and lengths around the 16 lanes.
var attnShapes = [][3]int{
	{1, 1, 4}, {17, 2, 12}, {40, 4, 256}, {8, 2, 96}, {33, 3, 30}, {70, 1, 7}, {16, 2, 64},
}

func attnRun(t *testing.T, q, k, v []float32, nq, nk, t0, heads, dim int) []float32 {
	t.Helper()
	hd := dim / heads
	off := (nq + t0) % 4
	buf, out := guarded(nq*dim, off)
	sbuf, scratch := guarded(nk+Lanes*hd, 1)
	Attention(out, q, k, v, nq, nk, t0, heads, dim, scratch)
	what := fmt.Sprintf("Attention nq=%d nk=%d t0=%d heads=%d dim=%d", nq, nk, t0, heads, dim)
	checkGuard(t, buf, nq*dim, off, what+" out")
	checkGuard(t, sbuf, nk+Lanes*hd, 1, what+" scratch")
	return out
}

func TestAttentionAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, s := range attnShapes {
		T, heads, dim := s[0], s[1], s[2]
		q := randF32(r, T*dim, 1.5)
		k := randF32(r, T*dim, 1.5)
		v := randF32(r, T*dim, 1)
		got := attnRun(t, q, k, v, T, T, 0, heads, dim)
		want := attnRef64(q, k, v, T, 0, heads, dim)
		hd := dim / heads
		// Score errors of ~hd/16 ulp of |q||k| move the weights relatively by
		// as much; the weighted sum of |v| ≤ 1 adds its own lane rounding.
		tol := float64(hd/16+T/16+8) * 0x1p-22 * (1 + 1.5*1.5*float64(hd)/math.Sqrt(float64(hd)))
		for i := range got {
			if d := math.Abs(float64(got[i]) - want[i]); d > tol {
				t.Fatalf("%v: out[%d] = %g, want %g (err %g > %g)", s, i, got[i], want[i], d, tol)
			}
		}
	}
}

// TestAttentionIncremental checks the contract that makes decoding possible: a
// batched pass, one-row steps and chunks of rows give bit-identical rows, and
// keys beyond the last query are ignored.
func TestAttentionIncremental(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, s := range attnShapes {
		T, heads, dim := s[0], s[1], s[2]
		q := randF32(r, T*dim, 2)
		k := randF32(r, T*dim, 2)
		v := randF32(r, T*dim, 1)
		batch := attnRun(t, q, k, v, T, T, 0, heads, dim)
		for t0 := range T {
			// One row at a time with exactly t0+1 keys, as a decoder does.
			one := attnRun(t, q[t0*dim:(t0+1)*dim], k, v, 1, t0+1, t0, heads, dim)
			for d := range dim {
				if !sameBits(one[d], batch[t0*dim+d]) {
					t.Fatalf("%v: step t=%d differs from batch at %d: %g vs %g", s, t0, d, one[d], batch[t0*dim+d])
				}
			}
			// A chunk of up to 3 rows against all T keys.
			nq := min(3, T-t0)
			chunk := attnRun(t, q[t0*dim:(t0+nq)*dim], k, v, nq, T, t0, heads, dim)
			for i := range chunk {
				if !sameBits(chunk[i], batch[t0*dim+i]) {
					t.Fatalf("%v: chunk t0=%d nq=%d differs at %d", s, t0, nq, i)
				}
			}
		}
	}
}
