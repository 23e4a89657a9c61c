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

// benchVec returns n values uniform in (−scale, scale): ordinary model-like
// data. (randF32 mixes in subnormals, which cost a microcode assist per
// operation on Intel cores, and the contract forbids flushing them.)
func benchVec(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = scale * float32(2*r.Float64()-1)
	}
	return v
}

// reportGFLOPs adds a GFLOP/s metric: flops per iteration (2 per multiply-add).
func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// benchEachISA runs f as a sub-benchmark per implementation this CPU runs.
func benchEachISA(b *testing.B, f func(b *testing.B)) {
	saved := isa
	defer func() { isa = saved }()
	for _, l := range isaLevels {
		isa = l
		b.Run("isa="+l.String(), f)
	}
}

func BenchmarkMatMulT(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	benchEachISA(b, func(b *testing.B) {
		for _, s := range benchMatShapes {
			m, n, k := s[0], s[1], s[2]
			a := benchVec(r, m*k, 1)
			bt := benchVec(r, n*k, 1)
			c := make([]float32, m*n)
			b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
				b.SetBytes(int64(4 * (m*k + n*k)))
				for b.Loop() {
					MatMulT(c, a, bt, m, n, k)
				}
				reportGFLOPs(b, 2*float64(m*n*k))
			})
		}
	})
}

func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	benchEachISA(b, func(b *testing.B) {
		for _, n := range []int{16, 64, 96, 256, 1024} {
			x := benchVec(r, n, 1)
			y := benchVec(r, n, 1)
			b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				var s float32
				for b.Loop() {
					s += Dot(x, y)
				}
				_ = s
				reportGFLOPs(b, 2*float64(n))
			})
		}
	})
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
	x := benchVec(rand.New(rand.NewPCG(1, 4)), 256, 8)
	dst := make([]float32, 256)
	benchEachISA(b, func(b *testing.B) {
		b.SetBytes(4 * 256)
		for b.Loop() {
			Softmax(dst, x)
		}
	})
}

func BenchmarkGELU1024(b *testing.B) {
	x := benchVec(rand.New(rand.NewPCG(1, 8)), 1024, 4)
	y := make([]float32, len(x))
	benchEachISA(b, func(b *testing.B) {
		b.SetBytes(4 * 1024)
		for b.Loop() {
			copy(y, x)
			GELUInPlace(y)
		}
	})
}

func BenchmarkLayerNorm256(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 5))
	x, g, bias := benchVec(r, 256, 2), benchVec(r, 256, 1), benchVec(r, 256, 1)
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
	q, k, v := benchVec(r, T*dim, 1), benchVec(r, T*dim, 1), benchVec(r, T*dim, 1)
	out := make([]float32, T*dim)
	scratch := make([]float32, T+Lanes*dim/heads)
	// Σ over queries of (t+1) keys, times QKᵀ and PV, per element of dim.
	flops := 2 * 2 * float64(T*(T+1)/2) * dim
	benchEachISA(b, func(b *testing.B) {
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
	})
}

// BenchmarkAttentionLocal is the local transformer's attention: one patch
// of 8 bytes, 96 wide, 2 heads.
func BenchmarkAttentionLocal(b *testing.B) {
	const T, heads, dim = 8, 2, 96
	r := rand.New(rand.NewPCG(1, 7))
	q, k, v := benchVec(r, T*dim, 1), benchVec(r, T*dim, 1), benchVec(r, T*dim, 1)
	out := make([]float32, T*dim)
	scratch := make([]float32, T+Lanes*dim/heads)
	benchEachISA(b, func(b *testing.B) {
		for b.Loop() {
			Attention(out, q, k, v, T, T, 0, heads, dim, scratch)
		}
		reportGFLOPs(b, 2*2*float64(T*(T+1)/2)*dim)
	})
}

// memorySink keeps BenchmarkMemoryRead's sums alive.
var memorySink float32

// BenchmarkMemoryRead measures how fast one core reads memory that lies in
// L1, in L2, in L3 and beyond it (MB/s counts the bytes read), in 64 KiB
// pieces: "sum" adds them with Sum, as the kernels' reductions do, and
// "xor-<isa>" folds them into independent accumulators with each ISA's
// xorBlocks, which keeps no order and so shows what the cache itself
// delivers to loads of that width (Sum chains each block on one
// accumulator). Decoding reads each row's attention caches once per patch,
// and they are larger than L3 together, so "memory" bounds the speed of
// decoding on one thread. The one-row products read their weights from L2
// at 0.5 FLOP per byte, so "L2" bounds those; "L2-96KiB" is exactly the b
// of the m = 1 shape of BenchmarkMatMulLayouts, read again and again as
// that benchmark does, which the prefetchers serve less well than a long
// run, and "L2-96KiB/rows<R>" reads it as a 1×R block of the one-row a·bᵀ
// does, R rows of 96 floats interleaved (xorRows, AVX-512 only): the more
// rows at once, the slower L2 delivers them (docs/speed.md).
func BenchmarkMemoryRead(b *testing.B) {
	for _, c := range []struct {
		name  string
		bytes int
	}{{"L1", 32 << 10}, {"L2-96KiB", 96 << 10}, {"L2", 512 << 10}, {"L3", 8 << 20}, {"memory", 256 << 20}} {
		const piece = 16 << 10 // elements
		b.Run(c.name+"/sum", func(b *testing.B) {
			x := make([]float32, c.bytes/4)
			for i := range x {
				x[i] = 1
			}
			b.SetBytes(int64(c.bytes))
			for b.Loop() {
				for o := 0; o < len(x); o += piece {
					memorySink += Sum(x[o:min(o+piece, len(x))])
				}
			}
		})
		x := make([]uint32, c.bytes/4)
		for i := range x {
			x[i] = uint32(i) // not left zero: untouched pages all map the one zero page
		}
		saved := isa
		for _, l := range isaLevels {
			isa = l
			b.Run(c.name+"/xor-"+l.String(), func(b *testing.B) {
				var acc [Lanes]uint32
				b.SetBytes(int64(c.bytes))
				for b.Loop() {
					for o := 0; o < len(x); o += piece {
						xorBlocks(&acc, x[o:min(o+piece, len(x))])
					}
				}
				memorySink += float32(acc[0])
			})
		}
		isa = saved
		if c.name == "L2-96KiB" {
			// The one-row a·bᵀ at the m = 1 shape: rows of k = 96 floats,
			// read rows at a time (xorRows).
			for _, rows := range []int{1, 2, 4, 8} {
				b.Run(fmt.Sprintf("%s/rows%d", c.name, rows), func(b *testing.B) {
					var acc [Lanes]uint32
					b.SetBytes(int64(len(x) / (rows * 96) * rows * 96 * 4))
					for b.Loop() {
						xorRows(&acc, x, rows, 96)
					}
					memorySink += float32(acc[0])
				})
			}
		}
	}
}
