//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// verticalKernel is one assembly vertical kernel and its block shape.
type verticalKernel struct {
	rows, cols int
	f          func(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
}

// verticalKernels lists the vertical kernels this CPU can run.
func verticalKernels() []verticalKernel {
	ks := []verticalKernel{{1, 8, mmvAVX2_1x8}, {2, 8, mmvAVX2_2x8}, {1, 16, mmvAVX2_1x16}, {2, 16, mmvAVX2_2x16}}
	if hasISA(isaAVX512) {
		ks = append(ks, verticalKernel{2, 32, mmvAVX512_2x32}, verticalKernel{4, 32, mmvAVX512_4x32}, verticalKernel{1, 16, mmvAVX512_1x16})
	}
	return ks
}

// TestVerticalAVX2 compares the assembly vertical kernels (AVX2, and
// AVX-512 where the CPU has it) with their Go twin, verticalGeneric, bit for bit, at odd strides, with guard words
// around the output block.
func TestVerticalAVX2(t *testing.T) {
	if !hasISA(isaAVX2) {
		t.Skip("no AVX2+FMA")
	}
	r := rand.New(rand.NewPCG(65, 66))
	for k := 16; k <= 1024; k += 16 {
		for _, kn := range verticalKernels() {
			rows, cols := kn.rows, kn.cols
			lda, ldb, ldc := k+r.IntN(7), cols+r.IntN(9), cols+r.IntN(9)
			a := nastyVec(r, (rows-1)*lda+k)
			b := nastyVec(r, (k-1)*ldb+cols)
			size := (rows-1)*ldc + cols
			want := make([]float32, size)
			for j0 := 0; j0 < cols; j0 += 8 {
				verticalGeneric(want[j0:], ldc, a, lda, b[j0:], ldb, rows, k)
			}
			off := r.IntN(4)
			buf, got := guarded(size, off)
			kn.f(&got[0], ldc, &a[0], lda, &b[0], ldb, k)
			name := fmt.Sprintf("mmvAVX2_%dx%d k=%d ldc=%d lda=%d ldb=%d", rows, cols, k, ldc, lda, ldb)
			checkBlock(t, name, buf, got, want, rows, cols, ldc, off)
		}
	}
}

// checkBlock fails the test unless got, the rows×cols block at row stride
// ldc inside the guarded buf (at off), holds want bit for bit and nothing
// outside the block was written: not between its rows, nor around it.
func checkBlock(t *testing.T, name string, buf, got, want []float32, rows, cols, ldc, off int) {
	t.Helper()
	for i := range rows {
		for j := range cols {
			if g, w := got[i*ldc+j], want[i*ldc+j]; !sameBits(g, w) {
				t.Fatalf("%s: c[%d,%d] = %g, Go twin %g", name, i, j, g, w)
			}
		}
		// Between the rows of the block, the output is not the kernel's.
		for j := cols; j < ldc && i < rows-1; j++ {
			if !sameBits(got[i*ldc+j], math.Float32frombits(guardBits)) {
				t.Fatalf("%s: wrote c[%d,%d] outside the block", name, i, j)
			}
		}
	}
	checkGuard(t, buf, (rows-1)*ldc+cols, off, name)
}

// TestVerticalHalf compares the pass-ordered binary16 kernels
// (mmvhAVX512_4x32, mmvhAVX2_2x16), b in binary16 as pass-ordered panels
// (packPassHalf), with Dot on b's values as float32 (plus the bias, for
// half the lengths), bit for bit, at odd strides, with guard words around
// and between the output rows, and on panels packed from a wider matrix.
func TestVerticalHalf(t *testing.T) {
	type kernel func(c *float32, ldc int, a *float32, lda int, b *uint16, k int, bias *float32)
	for _, kc := range []struct {
		name       string
		level      isaLevel
		rows, cols int
		kern       kernel
	}{
		{"mmvhAVX2_2x16", isaAVX2, 2, 16, mmvhAVX2_2x16},
		{"mmvhAVX512_4x32", isaAVX512, 4, 32, mmvhAVX512_4x32},
	} {
		t.Run(kc.name, func(t *testing.T) {
			if !hasISA(kc.level) || kc.level == isaAVX2 && !f16c {
				t.Skip("not on this CPU")
			}
			verticalHalf(t, kc.name, kc.rows, kc.cols, kc.kern)
		})
	}
}

func verticalHalf(t *testing.T, name string, rows, cols int, kern func(c *float32, ldc int, a *float32, lda int, b *uint16, k int, bias *float32)) {
	r := rand.New(rand.NewPCG(67, 68))
	for k := 16; k <= 1024; k += 16 {
		lda, ldc := k+r.IntN(7), cols+r.IntN(9)
		n := cols * (1 + r.IntN(3)) // the block is one of n/cols
		a := nastyVec(r, (rows-1)*lda+k)
		w := nastyVec(r, n*k) // n×k: the b of a·bᵀ
		roundHalfGeneric(w)
		h := make([]uint16, len(w))
		halfBitsVec(h, w)
		panels := make([]uint16, n*k)
		packPassHalf(panels, h, n, k, cols)
		s0 := cols * r.IntN(n/cols)
		size := (rows-1)*ldc + cols
		want := make([]float32, size)
		for i := range rows {
			for j := range cols {
				want[i*ldc+j] = dotGeneric(a[i*lda:i*lda+k], w[(s0+j)*k:(s0+j+1)*k])
			}
		}
		off := r.IntN(4)
		buf, got := guarded(size, off)
		var bp *float32
		if k%32 == 16 { // with a bias, added to each column's Dot
			bias := nastyVec(r, n)
			bp = &bias[s0]
			for i := range rows {
				for j := range cols {
					want[i*ldc+j] += bias[s0+j]
				}
			}
		}
		kern(&got[0], ldc, &a[0], lda, &panels[s0*k], k, bp)
		checkBlock(t, fmt.Sprintf("%s k=%d ldc=%d lda=%d columns %d of %d bias %v", name, k, ldc, lda, s0, n, bp != nil), buf, got, want, rows, cols, ldc, off)
	}
}

// BenchmarkMatMulVertical compares, at training shapes that MatMulT gives
// the vertical kernels, MatMulT with them (vertical) and without
// (horizontal: the R×C micro-kernels), on AVX2 and, where the CPU has it,
// on AVX-512 (vertical there at any number of rows), one core.
func BenchmarkMatMulVertical(b *testing.B) {
	if !hasISA(isaAVX2) {
		b.Skip("no AVX2+FMA")
	}
	saved, saved512, savedRows, savedTRows, savedLong := isa, vertical512, vertical512MinRows, vertical512TMinRows, vertical512TLongMinRows
	defer func() {
		isa, verticalOn, vertical512, vertical512MinRows, vertical512TMinRows, vertical512TLongMinRows = saved, true, saved512, savedRows, savedTRows, savedLong
	}()
	vertical512MinRows, vertical512TMinRows, vertical512TLongMinRows = 0, 0, 0
	r := rand.New(rand.NewPCG(1, 2))
	// The local layers' products over a window (forward and the two of
	// the backward pass), a global one small enough to take, and the
	// fewest rows that take them.
	for _, s := range [][3]int{{2048, 288, 96}, {2048, 384, 96}, {2048, 96, 384}, {512, 256, 256}, {32, 288, 96}} {
		m, n, k := s[0], s[1], s[2]
		a, bm, c := benchVec(r, m*k, 1), benchVec(r, n*k, 1), make([]float32, m*n)
		variants := []struct {
			name string
			isa  isaLevel
			on   bool
		}{{"horizontal", isaAVX2, false}, {"vertical", isaAVX2, true}}
		if hasISA(isaAVX512) {
			variants = append(variants, []struct {
				name string
				isa  isaLevel
				on   bool
			}{{"horizontal-avx512", isaAVX512, false}, {"vertical-avx512", isaAVX512, true}}...)
		}
		for _, v := range variants {
			b.Run(fmt.Sprintf("m=%d,n=%d,k=%d/%s", m, n, k, v.name), func(b *testing.B) {
				isa, verticalOn, vertical512 = v.isa, v.on, v.on
				for b.Loop() {
					MatMulT(c, a, bm, m, n, k)
				}
				reportGFLOPs(b, 2*float64(m*n*k))
			})
		}
	}
}

// BenchmarkVerticalKernel times the leaves alone, all operands in L1, at
// k = 96 and 256: the vertical blocks against the horizontal 4×3.
func BenchmarkVerticalKernel(b *testing.B) {
	if !hasISA(isaAVX2) {
		b.Skip("no AVX2+FMA")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{96, 256} {
		a, bm, c := benchVec(r, 4*k, 1), benchVec(r, 32*k, 1), make([]float32, 4*32)
		for _, kn := range verticalKernels() {
			b.Run(fmt.Sprintf("k=%d/vertical%dx%d", k, kn.rows, kn.cols), func(b *testing.B) {
				for b.Loop() {
					kn.f(&c[0], 32, &a[0], k, &bm[0], kn.cols, k)
				}
				reportGFLOPs(b, 2*float64(kn.rows*kn.cols*k))
			})
		}
		b.Run(fmt.Sprintf("k=%d/horizontal4x3", k), func(b *testing.B) {
			for b.Loop() {
				mmAVX2_4x3(&c[0], 32, &a[0], k, &bm[0], k, k)
			}
			reportGFLOPs(b, 2*4*3*float64(k))
		})
	}
}
