package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchMatShapes are the MatMulT shapes of the "ref" model: the global
// transformer's QKV and MLP products over 64-row blocks, the local
// transformer over one patch (8 rows), and one decoding step.
var benchMatShapes = [][3]int{
	{64, 768, 256},  // global QKV
	{64, 1024, 256}, // global MLP up
	{64, 256, 1024}, // global MLP down
	{8, 288, 96},    // local QKV, one patch
	{1, 256, 96},    // local output head, one decoding step
}

// reportGFLOPs adds a GFLOP/s metric: flops per iteration (2 per multiply-add).
func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkMatMulT(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchMatShapes {
		m, n, k := s[0], s[1], s[2]
		a := randF32(r, m*k, 1)
		bt := randF32(r, n*k, 1)
		c := make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
			b.SetBytes(int64(4 * (m*k + n*k)))
			for b.Loop() {
				MatMulT(c, a, bt, m, n, k)
			}
			reportGFLOPs(b, 2*float64(m*n*k))
		})
	}
}

func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{16, 64, 96, 256, 1024} {
		x := randF32(r, n, 1)
		y := randF32(r, n, 1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			var s float32
			for b.Loop() {
				s += Dot(x, y)
			}
			_ = s
			reportGFLOPs(b, 2*float64(n))
		})
	}
}

func BenchmarkFMA32(b *testing.B) {
	x, y, z := float32(1.1), float32(0.9), float32(0.3)
	for b.Loop() {
		z = FMA32(x, y, z)
	}
	_ = z
}

func BenchmarkExp(b *testing.B) {
	x := make([]float32, 1024)
	r := rand.New(rand.NewPCG(1, 3))
	for i := range x {
		x[i] = float32(-20 * r.Float64())
	}
	b.SetBytes(4 * 1024)
	var s float32
	for b.Loop() {
		for _, v := range x {
			s += Exp(v)
		}
	}
	_ = s
}

func BenchmarkSoftmax256(b *testing.B) {
	x := randF32(rand.New(rand.NewPCG(1, 4)), 256, 8)
	dst := make([]float32, 256)
	b.SetBytes(4 * 256)
	for b.Loop() {
		Softmax(dst, x)
	}
}

func BenchmarkLayerNorm256(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 5))
	x, g, bias := randF32(r, 256, 2), randF32(r, 256, 1), randF32(r, 256, 1)
	dst := make([]float32, 256)
	b.SetBytes(4 * 256)
	for b.Loop() {
		LayerNorm(dst, x, g, bias, 1e-5)
	}
}

// BenchmarkAttention runs the global transformer's attention over a window
// of 256 patches (batched) and one decoding step at the end of it.
func BenchmarkAttention(b *testing.B) {
	const T, heads, dim = 256, 4, 256
	r := rand.New(rand.NewPCG(1, 6))
	q, k, v := randF32(r, T*dim, 1), randF32(r, T*dim, 1), randF32(r, T*dim, 1)
	out := make([]float32, T*dim)
	scratch := make([]float32, T+Lanes*dim/heads)
	// Σ over queries of (t+1) keys, times QKᵀ and PV, per element of dim.
	flops := 2 * 2 * float64(T*(T+1)/2) * dim
	b.Run("batched", func(b *testing.B) {
		for b.Loop() {
			Attention(out, q, k, v, T, T, 0, heads, dim, scratch)
		}
		reportGFLOPs(b, flops)
	})
	b.Run("step", func(b *testing.B) {
		for b.Loop() {
			Attention(out, q[(T-1)*dim:], k, v, 1, T, T-1, heads, dim, scratch)
		}
		reportGFLOPs(b, 2*2*T*dim)
	})
}
