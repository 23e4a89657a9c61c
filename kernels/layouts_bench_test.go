package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// layoutShapes are the decoding and coding shapes of benchMatShapes plus two
// of training: the global QKV product over one 256-patch window and the
// local QKV product over one 2048-byte window.
var layoutShapes = append(append([][3]int(nil), benchMatShapes...), [3]int{256, 768, 256}, [3]int{2048, 288, 96})

// layouts are the three products the forward and backward passes need:
// c = a·bᵀ (MatMulT, Linear's forward), c = a·b (MatMul, the backward's
// dx = dy·w) and c = aᵀ·b (MatMulTA, dw = dyᵀ·x), each figure including
// whatever transposes and packing the kernel does.
var layouts = []struct {
	name string
	// run computes c (m×n) from a and b stored as the layout says, using
	// the scratch at (m×k) and bt (n×k).
	run func(c, a, b, at, bt []float32, m, n, k int)
	// gonum is the same product through gonum's pure-Go Sgemm.
	gonum func(impl gonum.Implementation, c, a, b []float32, m, n, k int)
}{
	{
		name: "ABt",
		run:  func(c, a, b, _, _ []float32, m, n, k int) { MatMulT(c, a, b, m, n, k) },
		gonum: func(impl gonum.Implementation, c, a, b []float32, m, n, k int) {
			impl.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, c, n)
		},
	},
	{
		name: "AB",
		run:  func(c, a, b, _, _ []float32, m, n, k int) { MatMul(c, a, b, m, n, k) },
		gonum: func(impl gonum.Implementation, c, a, b []float32, m, n, k int) {
			impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		},
	},
	{
		name: "AtB",
		run:  func(c, a, b, _, _ []float32, m, n, k int) { MatMulTA(c, a, b, m, n, k) },
		gonum: func(impl gonum.Implementation, c, a, b []float32, m, n, k int) {
			impl.Sgemm(blas.Trans, blas.NoTrans, m, n, k, 1, a, m, b, n, 0, c, n)
		},
	},
}

// BenchmarkMatMulLayouts measures the three matrix-product layouts (ABt:
// c = a·bᵀ, AB: c = a·b, AtB: c = aᵀ·b) at the model's shapes for every
// implementation this CPU runs and for gonum's pure-Go BLAS (with all of
// GOMAXPROCS, and on one core like the kernels): GFLOP/s counts 2·m·n·k per
// product.
func BenchmarkMatMulLayouts(b *testing.B) {
	type operands struct{ a, b, at, bt, c []float32 }
	r := rand.New(rand.NewPCG(1, 2))
	ops := make(map[[3]int]operands)
	for _, s := range layoutShapes {
		m, n, k := s[0], s[1], s[2]
		ops[s] = operands{benchVec(r, m*k, 1), benchVec(r, n*k, 1), make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)}
	}
	each := func(b *testing.B, run func(b *testing.B, l int, o operands, m, n, k int)) {
		for li, l := range layouts {
			for _, s := range layoutShapes {
				m, n, k := s[0], s[1], s[2]
				b.Run(fmt.Sprintf("%s/m=%d,n=%d,k=%d", l.name, m, n, k), func(b *testing.B) {
					run(b, li, ops[s], m, n, k)
					reportGFLOPs(b, 2*float64(m*n*k))
				})
			}
		}
	}
	benchEachISA(b, func(b *testing.B) {
		each(b, func(b *testing.B, l int, o operands, m, n, k int) {
			for b.Loop() {
				layouts[l].run(o.c, o.a, o.b, o.at, o.bt, m, n, k)
			}
		})
	})
	// gonum's Sgemm splits a product over GOMAXPROCS goroutines, while the
	// kernels above run on one core: "gonum" is gonum as a caller gets it,
	// "gonum-1core" the per-core figure to compare the kernels with. The
	// testing package sets GOMAXPROCS afresh for every leaf benchmark, so
	// the leaf itself limits it (and puts it back).
	gonumBench := func(procs int) func(b *testing.B) {
		return func(b *testing.B) {
			var impl gonum.Implementation
			each(b, func(b *testing.B, l int, o operands, m, n, k int) {
				if procs > 0 {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				}
				for b.Loop() {
					layouts[l].gonum(impl, o.c, o.a, o.b, m, n, k)
				}
			})
		}
	}
	b.Run("gonum", gonumBench(0))
	b.Run("gonum-1core", gonumBench(1))
}

// BenchmarkMatMulPanels sweeps the panel of matMulTPanels (panelFloats)
// over the products of a training step with many rows of a: the local
// model's over one 2048-byte window (k = 96, and its MLP down, k = 384) and
// the global QKV over 256 patches, per ISA. Panels change speed only.
func BenchmarkMatMulPanels(b *testing.B) {
	saved := panelFloats
	defer func() { panelFloats = saved }()
	r := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{2048, 288, 96}, {2048, 384, 96}, {2048, 96, 384}, {256, 768, 256}}
	benchEachISA(b, func(b *testing.B) {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a, bt, c := benchVec(r, m*k, 1), benchVec(r, n*k, 1), make([]float32, m*n)
			for _, floats := range []int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10} {
				b.Run(fmt.Sprintf("m=%d,n=%d,k=%d/panel=%dK", m, n, k, floats>>10), func(b *testing.B) {
					panelFloats = floats
					for range b.N {
						MatMulT(c, a, bt, m, n, k)
					}
					reportGFLOPs(b, 2*float64(m*n*k))
				})
			}
		}
	})
}
