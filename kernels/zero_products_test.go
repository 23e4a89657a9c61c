package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The tests here feed kernels operands that make many outputs sums of zero
// products only, whose sign the contract fixes (lanes start at +0, so −0
// products sum to +0): a kernel that started a lane with a plain product
// would give −0 there (columnDots did until session 17; see
// TestVariantsZeroProducts for the matrix products).

// sameAcrossISAs is levelsAgree for one output, and fails the test too where
// the operands made no zero output at all (it would prove nothing).
func sameAcrossISAs(t *testing.T, name string, f func() []float32) {
	t.Helper()
	want := levelsAgree(t, "zero products", []string{name}, func() [][]float32 { return [][]float32{f()} })
	if !slices.Contains(want[0], 0) {
		t.Fatalf("%s: no zero output: the operands test nothing", name)
	}
}

// TestVariantsZeroProductsAttention: keys half zeros of either sign, every
// third column of the values zeros of one sign, through every attention
// kernel, the backward pass included.
func TestVariantsZeroProductsAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sz := func() float32 { return float32(math.Copysign(0, float64(r.IntN(2))-0.5)) }
	for _, c := range []struct{ heads, dim, n int }{{4, 256, 37}, {2, 96, 8}, {4, 256, 256}, {1, 16, 5}} {
		heads, dim, n := c.heads, c.dim, c.n
		q := make([]float32, dim)
		for i := range q {
			q[i] = float32(1 - 2*r.IntN(2))
		}
		ks := make([][]float32, n)
		vs := make([][]float32, n)
		colSign := make([]float32, dim)
		for i := range colSign {
			colSign[i] = sz()
		}
		for j := range n {
			ks[j] = make([]float32, dim)
			vs[j] = make([]float32, dim)
			for i := range dim {
				if r.IntN(2) == 0 {
					ks[j][i] = sz()
				} else {
					ks[j][i] = float32(r.IntN(3) - 1)
				}
				if i%3 == 0 {
					vs[j][i] = colSign[i]
				} else {
					vs[j][i] = float32(r.IntN(3)-1) * 0.5
				}
			}
		}
		sameAcrossISAs(t, "AttentionStep", func() []float32 {
			return stepOverCaches(StoreKV, AttentionStep, q, ks, vs, heads)
		})
		sameAcrossISAs(t, "AttentionStepHalf", func() []float32 {
			return stepOverCaches(StoreKVHalf, AttentionStepHalf, q, ks, vs, heads)
		})
		if n <= ShortAttentionMax {
			sameAcrossISAs(t, "ShortAttentionStep", func() []float32 {
				cache := make([]float32, ShortCacheLen(dim))
				out := make([]float32, dim)
				for j := range n {
					ShortAttentionStep(out, q, ks[j], vs[j], cache, j+1, heads, dim)
				}
				return out
			})
		}
		// Whole-sequence attention and its batch form.
		T := n
		qa := make([]float32, T*dim)
		ka := make([]float32, T*dim)
		va := make([]float32, T*dim)
		for j := range T {
			copy(qa[j*dim:], q)
			copy(ka[j*dim:], ks[j])
			copy(va[j*dim:], vs[j])
		}
		sameAcrossISAs(t, "AttentionBatch", func() []float32 {
			out := make([]float32, T*dim)
			probs := make([]float32, heads*T*T)
			AttentionBatch(out, qa, ka, va, probs, T, heads, dim, make([]float32, AttentionBatchScratch(T, heads, dim)))
			return out
		})
		dout := make([]float32, T*dim)
		for i := range dout {
			if i%2 == 0 {
				dout[i] = sz()
			} else {
				dout[i] = float32(r.IntN(3) - 1)
			}
		}
		sameAcrossISAs(t, "AttentionBackward", func() []float32 {
			dq, dk, dv := make([]float32, T*dim), make([]float32, T*dim), make([]float32, T*dim)
			AttentionBackward(dq, dk, dv, dout, qa, ka, va, T, heads, dim, make([]float32, AttentionBackwardScratch(T, heads, dim)))
			return append(append(dq, dk...), dv...)
		})
	}
}

// stepOverCaches stores the keys ks and values vs in caches of element E
// with store and returns step's attention of q over all of them.
func stepOverCaches[E float32 | uint16](store func(kc, vc []E, k, v []float32, j, ld, heads int),
	step func(out, q []float32, kc, vc []E, n, ld, heads, dim int, scratch []float32),
	q []float32, ks, vs [][]float32, heads int) []float32 {
	n, dim := len(ks), len(q)
	ld := roundLanes(n)
	kc, vc := make([]E, KeyCacheLen(dim, ld)), make([]E, ValueCacheLen(dim, ld))
	for j := range n {
		store(kc, vc, ks[j], vs[j], j, ld, heads)
	}
	out := make([]float32, dim)
	step(out, q, kc, vc, n, ld, heads, dim, make([]float32, AttentionStepScratch(ld)))
	return out
}

// TestVariantsZeroProductsBackward: LinearBackward with rows of x of one
// sign, half the columns of dy zeros of one sign, and zeros in w.
func TestVariantsZeroProductsBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sz := func() float32 { return float32(math.Copysign(0, float64(r.IntN(2))-0.5)) }
	for _, s := range [][3]int{{1, 96, 256}, {8, 96, 288}, {130, 96, 24}, {2048, 96, 32}, {3, 33, 40}} {
		m, in, out := s[0], s[1], s[2]
		x := make([]float32, m*in)
		w := make([]float32, out*in)
		dy := make([]float32, m*out)
		rowSign := make([]float32, m)
		for i := range m {
			rowSign[i] = float32(1 - 2*r.IntN(2))
		}
		for i := range x {
			x[i] = rowSign[i/in]
		}
		colZero := make([]float32, out)
		for j := range colZero {
			colZero[j] = sz()
		}
		for i := range dy {
			if (i%out)%2 == 0 {
				dy[i] = colZero[i%out]
			} else {
				dy[i] = float32(r.IntN(3) - 1)
			}
		}
		for i := range w {
			if i%5 == 0 {
				w[i] = sz()
			} else {
				w[i] = float32(r.IntN(3) - 1)
			}
		}
		sameAcrossISAs(t, "LinearBackward", func() []float32 {
			dx, dw, db := make([]float32, m*in), make([]float32, out*in), make([]float32, out)
			LinearBackward(dx, dw, db, dy, x, w, m, in, out, make([]float32, LinearBackwardScratch(m, in, out)))
			return append(append(dx, dw...), db...)
		})
	}
}

// TestVariantsZeroRows: LayerNorm, LayerNormRows, Softmax and Sum over
// rows of zeros of either sign, where every sum is one of zeros.
func TestVariantsZeroRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 16, 96, 256, 1000} {
		x := make([]float32, n)
		neg := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Copysign(0, float64(r.IntN(2))-0.5))
			neg[i] = float32(math.Copysign(0, -1))
		}
		g := make([]float32, n)
		b := make([]float32, n)
		for i := range g {
			g[i] = float32(1 - 2*r.IntN(2))
			b[i] = float32(math.Copysign(0, float64(r.IntN(2))-0.5))
		}
		for _, row := range [][]float32{x, neg} {
			sameAcrossISAs(t, "LayerNorm", func() []float32 {
				dst := make([]float32, n)
				LayerNorm(dst, row, g, b, 1e-5)
				return dst
			})
			sameAcrossISAs(t, "LayerNormRows", func() []float32 {
				rows := append(append([]float32(nil), row...), row...)
				dst := make([]float32, 2*n)
				LayerNormRows(dst, rows, g, b, 2, n, 1e-5)
				return dst
			})
			sameAcrossISAs(t, "Sum", func() []float32 { return []float32{Sum(row)} })
			sameAcrossISAs(t, "Dot", func() []float32 { return []float32{Dot(row, g)} })
		}
	}
}
