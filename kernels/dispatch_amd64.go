//go:build !purego

package kernels

import (
	"math"
	"sync"

	"golang.org/x/sys/cpu"
)

// isaLevel names one implementation of the leaf kernels. Every level gives
// bit-identical results (the contract in doc.go); they differ only in speed.
type isaLevel int

const (
	isaGeneric isaLevel = iota // pure Go
	isaAVX2                    // AVX2 + FMA: two YMM registers per 16-lane accumulator
	isaAVX512                  // AVX-512F: one ZMM register per accumulator
)

func (l isaLevel) String() string {
	return [...]string{"generic", "avx2", "avx512"}[l]
}

// isa is the level in use, detected once. Tests set it to force a variant.
var isa = detectISA()

// isaLevels lists every level this CPU can run, the generic one first.
var isaLevels = supportedISAs()

func supportedISAs() []isaLevel {
	l := []isaLevel{isaGeneric}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l, isaAVX2)
		if cpu.X86.HasAVX512F {
			// cpu.X86.HasAVX512F is set only when the OS saves the ZMM state.
			l = append(l, isaAVX512)
		}
	}
	return l
}

// ISA names the implementation of the leaf kernels in use: "avx512",
// "avx2", "avx2 without F16C" (whose binary16 kernels run in Go) or
// "generic" (pure Go). Every one computes the same bits; they differ only in
// speed. It is detected once from the CPU; GODEBUG=cpu.avx512f=off selects
// AVX2 on an AVX-512 machine and GODEBUG=cpu.avx2=off pure Go, as
// golang.org/x/sys/cpu reads them, which lets one machine run what another
// would.
func ISA() string {
	if isa == isaAVX2 && !f16c {
		return "avx2 without F16C"
	}
	return isa.String()
}

func detectISA() isaLevel {
	l := supportedISAs()
	return l[len(l)-1]
}

// prefetchRows is the most rows of a for which every row block of
// matMulTStrided prefetches (measured with b cold: at m = 8 and 16 that is
// 4–18% faster than prefetching on the first row block only).
const prefetchRows = 16

// maxC is the widest micro-kernel block, in rows of b.
const maxC = 8

// microKernel computes an R×C block c[i*ldc+j] = Dot(a row i, b row j) for
// rows of length k ≥ 1; strides are in elements. It does not check bounds.
type microKernel func(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

// kernelSet is the micro-kernels of one instruction set: k[R][C] for
// 1 ≤ R ≤ 4 and 1 ≤ C ≤ cmax[R], and pf[R][C], where not nil, the same
// kernel that also prefetches the rows of b of the column blocks after its
// own.
type kernelSet struct {
	cmax [5]int
	k    [5][maxC + 1]microKernel
	pf   [5][maxC + 1]microKernel
}

// first returns the R×C kernel for the first row block of a column block:
// the prefetching one where there is one.
func (ks *kernelSet) first(r, c int) microKernel {
	if f := ks.pf[r][c]; f != nil {
		return f
	}
	return ks.k[r][c]
}

// dotVec is Dot on slices of equal length, in the level's implementation.
func dotVec(x, y []float32) float32 {
	switch isa {
	case isaAVX512:
		return dotAVX512(x, y)
	case isaAVX2:
		return dotAVX2(x, y)
	}
	return dotGeneric(x, y)
}

// matMulTStrided is MatMulT on strided rows: c[i*ldc+j] = Dot(a[i*lda:][:k],
// b[j*ldb:][:k]) for i < m, j < n.
//
// Blocking: 4-row blocks of a against column blocks of cmax[4] rows of b,
// the column block outermost so that its rows of b stay in L1 while every
// block of a streams past; the last m mod 4 rows use the widest kernel of
// their height. Every output is one micro-kernel accumulator, so the blocking
// never changes a result.
//
// With up to prefetchRows rows every call uses the prefetching kernel: it
// brings the rows of b of the next column blocks towards L1, which pays
// when b is cold and used by few rows (decoding). With more rows only the
// first row block of each column block (and the last m mod 4 rows, which
// make one pass of their own) prefetch; the later row blocks, which find b
// in cache, use the plain kernel (prefetching there evicts the rows in use
// and costs a fifth of the speed of a warm 64-row product).
func matMulTStrided(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	checkStrided(c, ldc, a, lda, b, ldb, m, n, k)
	var ks *kernelSet
	switch isa {
	case isaAVX512:
		ks = &avx512Kernels
	case isaAVX2:
		ks = &avx2Kernels
	default:
		matMulTGeneric(c, ldc, a, lda, b, ldb, m, n, k)
		return
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	if m == 1 && k%Lanes == 0 {
		rowPairs(c, a, b, ldb, n, k)
		return
	}
	m4 := m &^ 3
	if m4 > 0 {
		cw := ks.cmax[4]
		for j0 := 0; j0 < n; j0 += cw {
			cc := min(cw, n-j0)
			ks.first(4, cc)(&c[j0], ldc, &a[0], lda, &b[j0*ldb], ldb, k)
			kern := ks.k[4][cc]
			if m <= prefetchRows {
				kern = ks.first(4, cc)
			}
			for i0 := 4; i0 < m4; i0 += 4 {
				kern(&c[i0*ldc+j0], ldc, &a[i0*lda], lda, &b[j0*ldb], ldb, k)
			}
		}
	}
	if r := m - m4; r > 0 {
		cw := ks.cmax[r]
		for j0 := 0; j0 < n; j0 += cw {
			cc := min(cw, n-j0)
			ks.first(r, cc)(&c[m4*ldc+j0], ldc, &a[m4*lda], lda, &b[j0*ldb], ldb, k)
		}
	}
}

// verticalMinRows is the fewest rows of a for which matMulTVertical
// transposes b for the vertical kernels: the transpose moves all k·n floats
// of b once per call, which few rows do not repay.
const verticalMinRows = 32

// verticalOn enables the vertical kernels; it is a variable only so that
// BenchmarkMatMulVertical can compare them with the horizontal ones.
var verticalOn = true

// vertical512 lets AVX-512 machines use the vertical kernels too, with
// mmvAVX512_2x32 for 32-column blocks (and the AVX2 kernels for the rest).
var vertical512 = true

// vertical512MinRows is the fewest rows for which AVX-512 machines take
// the packed vertical kernels for an a·b product (MatMul, LinearBackward);
// a variable so that tests and benchmarks can give them fewer. Session 11,
// packed vertical against transpose + MatMulT, GFLOP/s, on the device's
// Xeon and on the AVX-512 EPYC host: 256×768×256 118 / 219 against 106 /
// 202, 512×256×256 119 against 85 (Xeon), 127×288×96 110 against 56
// (Xeon); but 64×1024×256 60 against 85 (Xeon) and 64×96×384 90 against
// 101 (Xeon).
var vertical512MinRows = 128

// vertical512TMinRows is the fewest rows for which AVX-512 machines take
// the vertical kernels for an a·bᵀ product (matMulTVertical), which must
// transpose b first. On the device's Xeon (session 6) MatMulT at the local
// layers' window shapes ran 76 / 127 / 69 GFLOP/s against 51 / 80 / 61 for
// the R×C kernels (m = 2048; n, k = 288, 96 / 384, 96 / 96, 384), but lost
// at 512×256×256 (75 against 116) and 32×288×96 (56 against 76). Since the
// AVX-512 vertical kernel of session 11 it wins from 128 rows (session 12,
// transpose included, GFLOP/s on the EPYC host / the Xeon, vertical
// against R×C): 128×256×256 215 / 134 against 207 / 129, 256×1024×256
// 214 / 131 against 203 / 121, 512×1024×256 225 / 134 against 209 / 123;
// but 64×768×256 205 / 117 against 203 / 126, and with k = 384 the R×C
// kernels stay ahead below 1024 rows (128×96×384 219 against 202 even with
// b packed beforehand).
var vertical512TMinRows = 128

// vertical512TLongMinRows is vertical512TMinRows for reductions longer
// than 256.
var vertical512TLongMinRows = 1024

// vertical512TFits reports whether AVX-512 machines take the vertical
// kernels for an a·bᵀ product of m rows with reductions of length k.
func vertical512TFits(m, k int) bool {
	if k > 256 {
		return m >= vertical512TLongMinRows
	}
	return m >= vertical512TMinRows
}

// vertical512MaxFloats is verticalMaxFloats on AVX-512 machines, whose L2
// (1–2 MiB) holds the transposed copy of a global layer's weights (the
// session 12 figures above include 1024×256).
const vertical512MaxFloats = 1 << 18

// verticalPanels recycles the packed copies of b.
var verticalPanels = sync.Pool{New: func() any { return new([]float32) }}

// verticalMaxFloats bounds the transposed copy of b that matMulTVertical
// makes: past it (768×256 and 96×2048 were measured) the copy leaves L2 and
// the transpose costs what the kernels save.
const verticalMaxFloats = 1 << 16

// verticalMaxK is the longest reduction the vertical kernels take: every
// pair of rows reads its whole k×16 block of b, which must stay in L1
// (24 KiB at k = 384; at k = 768 the block comes from L2 and the kernels
// are slower than the horizontal ones).
const verticalMaxK = 384

// verticalFits reports whether matMulVertical takes an a·b product of m
// rows, n columns and reductions of length k: verticalShape, on AVX2, or on
// AVX-512 from vertical512MinRows rows.
func verticalFits(m, n, k int) bool {
	return verticalISA() && m > 0 && verticalShape(n, k) && (isa != isaAVX512 || m >= vertical512MinRows)
}

// verticalISA reports whether the vertical kernels are on for this ISA.
func verticalISA() bool {
	return verticalOn && (isa == isaAVX2 || isa == isaAVX512 && vertical512)
}

// verticalShape reports whether the vertical kernels take n columns and
// reductions of length k: n a multiple of 8, k a multiple of 16 up to
// verticalMaxK.
func verticalShape(n, k int) bool {
	return n > 0 && n%8 == 0 && k > 0 && k%Lanes == 0 && k <= verticalMaxK
}

// verticalBlocks calls f for the column blocks the vertical kernels cut n
// columns (a multiple of 8) into: the widest block of the ISA (32 columns
// on AVX-512, 16 on AVX2) while it fits, then one of 16, then one of 8. A
// block starting at column j0 lies at panels[j0·k:] in the packed form, k
// rows of width floats.
func verticalBlocks(n int, f func(j0, width int)) {
	verticalBlocksOf(n, widestBlock(), f)
}

// widestBlock is the widest column block of the ISA's vertical kernels: 32
// on AVX-512, else 16.
func widestBlock() int {
	if isa == isaAVX512 {
		return 32
	}
	return 16
}

// verticalBlocksOf is verticalBlocks with blocks of at most widest (16 or
// 32) columns.
func verticalBlocksOf(n, widest int, f func(j0, width int)) {
	j0 := 0
	for ; j0+widest <= n; j0 += widest {
		f(j0, widest)
	}
	for _, w := range []int{16, 8} {
		if w < widest && j0+w <= n {
			f(j0, w)
			j0 += w
		}
	}
}

// rowPairs computes the one-row a·bᵀ, c[j] = Dot(a[:k], b row j) for j < n,
// rows of b at stride ldb and k a positive multiple of 16, on AVX2 or
// AVX-512: with rowPairsAVX512, with rowPairsShortAVX2 where a fits in
// registers (k ≤ 96), else with rowPairsAVX2. They read b two rows at a
// time, where the 1×C micro-kernels read C rows together and L2 feeds
// those more slowly (docs/speed.md). n and k are positive and the caller
// has checked the bounds (checkStrided).
func rowPairs(c, a, b []float32, ldb, n, k int) {
	switch {
	case isa == isaAVX512:
		rowPairsAVX512(&c[0], &a[0], &b[0], ldb, n, k)
	case k/Lanes < len(rowPairsShortAVX2):
		rowPairsShortAVX2[k/Lanes](&c[0], &a[0], &b[0], ldb, n)
	default:
		rowPairsAVX2(&c[0], &a[0], &b[0], ldb, n, k)
	}
}

// rowPairsShortKernel is a rowPairsShortAVX2 kernel, for one k.
type rowPairsShortKernel func(c *float32, a *float32, b *float32, ldb int, n int)

// matMulTVertical computes matMulTPanels with the vertical kernels where
// they fit and pay (at least verticalMinRows rows, b no larger than
// verticalMaxFloats), and reports whether it did: it transposes the first
// n &^ 7 rows of b straight into the kernels' panels; the last n mod 8
// columns go through matMulTStrided.
func matMulTVertical(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) bool {
	n8 := n &^ 7
	maxFloats := verticalMaxFloats
	if isa == isaAVX512 {
		maxFloats = vertical512MaxFloats
	}
	if !verticalFits(m, n8, k) || m < verticalMinRows || n8*k > maxFloats ||
		isa == isaAVX512 && !vertical512TFits(m, k) {
		return false
	}
	checkStrided(c, ldc, a, lda, b, ldb, m, n, k)
	buf := verticalPanels.Get().(*[]float32)
	panels := growFloats(buf, n8*k)
	verticalBlocks(n8, func(j0, w int) {
		transposeStrided(panels[j0*k:], w, b[j0*ldb:], ldb, w, k)
	})
	matMulPanels(c, ldc, a, lda, panels, m, n8, k)
	verticalPanels.Put(buf)
	if n8 < n {
		matMulTStrided(c[n8:], ldc, a, lda, b[n8*ldb:], ldb, m, n-n8, k)
	}
	return true
}

// matMulVertical computes the a·b product c[i*ldc+j] = Dot(a row i, column
// j of b) for i < m, j < n, b k×n at row stride ldb, with the vertical
// kernels: n a multiple of 8 and k of 16 (verticalFits). It copies b into
// the kernels' panels first: read in place, 16 columns of b at a stride of
// a power of two floats (the model's widths) fall into a few cache sets.
func matMulVertical(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	if m == 0 {
		return
	}
	if n%8 != 0 || k%Lanes != 0 || ldb < n {
		panic("kernels: bad shape for the vertical kernels")
	}
	_ = b[:(k-1)*ldb+n]
	buf := verticalPanels.Get().(*[]float32)
	panels := growFloats(buf, n*k)
	verticalBlocks(n, func(j0, w int) {
		p := panels[j0*k : (j0+w)*k]
		for kk := range k {
			copy(p[kk*w:kk*w+w], b[kk*ldb+j0:])
		}
	})
	matMulPanels(c, ldc, a, lda, panels, m, n, k)
	verticalPanels.Put(buf)
}

// matMulPanels computes c[i*ldc+j] = Dot(a row i, column j of b) for
// i < m, j < n (n a multiple of 8, k of 16) from b packed in the blocks of
// verticalBlocks. Rows of a go in L2-sized panels, each crossing every
// block by verticalBlock.
func matMulPanels(c []float32, ldc int, a []float32, lda int, panels []float32, m, n, k int) {
	if m == 0 {
		return
	}
	if n%8 != 0 || k%Lanes != 0 || ldc < n || lda < k {
		panic("kernels: bad shape for the vertical kernels")
	}
	_ = c[:(m-1)*ldc+n]
	_ = a[:(m-1)*lda+k]
	_ = panels[:n*k]
	panelCols(c, ldc, a, lda, panels, widestBlock(), n, k, m, 0, n)
}

// panelCols computes the columns [lo, hi) (multiples of 8 up to n8) of
// matMulPanels from panels cut into the blocks of verticalBlocksOf(n8,
// widest): rows of a in L2-sized panels, each crossing the blocks' shares
// of [lo, hi) in pieces the ISA's kernels take, which read their columns
// of a block at the block's width as stride. The callers have checked the
// bounds.
func panelCols(c []float32, ldc int, a []float32, lda int, panels []float32, widest, n8, k, m, lo, hi int) {
	isaWidest := widestBlock()
	rows := max(2, panelFloats/k&^1)
	for i0 := 0; i0 < m; i0 += rows {
		i1 := min(i0+rows, m)
		verticalBlocksOf(n8, widest, func(b0, bw int) {
			for s, e := max(b0, lo), min(b0+bw, hi); s < e; {
				w := 8
				switch {
				case e-s >= 32 && isaWidest >= 32:
					w = 32
				case e-s >= 16:
					w = 16
				}
				verticalBlock(c[s:], ldc, a, lda, panels[b0*k+s-b0:], bw, i0, i1, w, k)
				s += w
			}
		})
	}
}

// verticalBlock computes rows i0 ≤ i < i1 of the w columns c[i*ldc+j],
// j < w (w = 8, 16 or, on AVX-512, 32), from the k×w block of b at blk with
// row stride ldb: four rows at a time where w = 32 (mmvAVX512_4x32, which
// loads b once for four rows: 237 GFLOP/s hot against 220 for two), then
// two at a time (mmvAVX512_2x32, mmvAVX2_2x16 or mmvAVX2_2x8 by w), and
// an odd last row with the one-row kernels
// (mmvAVX512_1x16 on AVX-512, else mmvAVX2_1x16; mmvAVX2_1x8 for w = 8).
// The callers have checked the bounds.
func verticalBlock(c []float32, ldc int, a []float32, lda int, blk []float32, ldb, i0, i1, w, k int) {
	pair := mmvAVX2_2x8
	switch w {
	case 32:
		pair = mmvAVX512_2x32
	case 16:
		pair = mmvAVX2_2x16
	}
	if w == 32 {
		for ; i0+4 <= i1; i0 += 4 {
			mmvAVX512_4x32(&c[i0*ldc], ldc, &a[i0*lda], lda, &blk[0], ldb, k)
		}
	}
	pairs := i0 + (i1-i0)&^1
	for i := i0; i < pairs; i += 2 {
		pair(&c[i*ldc], ldc, &a[i*lda], lda, &blk[0], ldb, k)
	}
	if pairs == i1 {
		return
	}
	if w == 8 {
		mmvAVX2_1x8(&c[pairs*ldc], ldc, &a[pairs*lda], lda, &blk[0], ldb, k)
		return
	}
	row := mmvAVX2_1x16
	if isa == isaAVX512 {
		row = mmvAVX512_1x16
	}
	for h := 0; h < w; h += 16 {
		row(&c[pairs*ldc+h], ldc, &a[pairs*lda], lda, &blk[h], ldb, k)
	}
}

// layerNormBackwardRowsVec runs LayerNormBackwardRows with
// layerNormBackwardRowsAVX512 where it takes the rows (AVX-512, n a
// multiple of 16) and reports whether it did; the lengths are checked.
func layerNormBackwardRowsVec(dx, dg, db, dy, x, g, scratch []float32, rows, n int, eps float32) bool {
	if isa != isaAVX512 || n%Lanes != 0 || rows <= 0 || n <= 0 {
		return false
	}
	var dbp *float32
	if db != nil {
		dbp = &db[0]
	}
	layerNormBackwardRowsAVX512(&dx[0], &dg[0], dbp, &dy[0], &x[0], &g[0], &scratch[0], n, rows, eps)
	return true
}

// layerNormRowsVec runs LayerNormRows with layerNormRowsAVX512 where it
// takes the rows (AVX-512, n a multiple of 16) and reports whether it did;
// the lengths are checked.
func layerNormRowsVec(dst, x, g, b []float32, m int, eps float32) bool {
	n := len(g)
	if isa != isaAVX512 || n%Lanes != 0 {
		return false
	}
	layerNormRowsAVX512(&dst[0], &x[0], &g[0], &b[0], n, m, eps)
	return true
}

// columnDotsFits reports whether columnDots computes a one-row a·b of n
// columns and reductions of length k: n a multiple of the vector width up
// to columnDotsMaxN, k at least 16 (every lane gets a first term).
func columnDotsFits(n, k int) bool {
	w := 8
	if isa == isaAVX512 {
		w = 16
	}
	return isa >= isaAVX2 && k >= Lanes && n > 0 && n%w == 0 && n <= columnDotsMaxN
}

// columnDots computes c[j] = Dot(a[:k], column j of b), j < n, for b k×n at
// row stride ldb, with columnDotsAVX2 or columnDotsAVX512, for the shapes
// of columnDotsFits. At one row nothing reuses b, so what counts is how b
// streams in from L2: whole rows, six sequential streams (the vertical
// kernels, 16 or 32 columns at a time, read a few cache lines of every row,
// and took twice the time).
func columnDots(c, a, b []float32, ldb, n, k int) {
	buf := transposeBufs.Get().(*[]float32)
	columnDotsInto(c, growFloats(buf, Lanes*n), a, b, ldb, n, k)
	transposeBufs.Put(buf)
}

// columnDotsInto is columnDots with the lanes kept in acc (Lanes·n floats).
func columnDotsInto(c, acc, a, b []float32, ldb, n, k int) {
	if n <= 0 || k < Lanes || ldb < n {
		panic("kernels: columnDots: bad shape")
	}
	_, _, _, _ = c[:n], acc[:Lanes*n], a[:k], b[:(k-1)*ldb+n]
	if isa == isaAVX512 {
		columnDotsAVX512(&c[0], &acc[0], &a[0], &b[0], ldb, n, k)
	} else {
		columnDotsAVX2(&c[0], &acc[0], &a[0], &b[0], ldb, n, k)
	}
}

// verticalInPlaceFits reports whether MatMul's a·b of fewer than
// matMulVerticalMinRows rows of a takes matMulVerticalInPlace: on AVX2 or
// AVX-512, for n a multiple of 8 but not of 64 (or any n at one or two
// rows) and k a multiple of 16 up to verticalMaxK.
// Read in place, the k rows of a 16-column block of b lie one row stride
// apart; a stride of a multiple of 64 floats puts them in at most 16 of
// L1's 64 sets (at 256 floats, in 4), so every pair of rows of a re-reads
// the block from L2. BenchmarkMatMulLayouts on the 2-core AVX2 host, in
// place against transpose + MatMulT (GFLOP/s, m×n×k): 2×288×96 50.7 against
// 18.6, 8×288×96 64.6 against 38.4, 32×288×96 49.6 against 38.0, 8×96×384
// 41.6 against 37.3, 127×288×96 50.7 against 51.3; but 8×256×96 21.3
// against 38.4, 64×384×96 28.1 against 47.5, 64×768×256 20.8 against 51.5.
// AVX-512 (session 11; device Xeon / EPYC host): 8×288×96 111 / 191 against
// 34 / 102, 32×288×96 116 against 60 (Xeon), 8×96×384 69 against 31 (Xeon).
// With one or two rows the aliasing costs less than the transpose whatever
// n (EPYC host, AVX2 / AVX-512: 1×256×96 37.9 / 43.6 against 20.3 / 22.1,
// 2×768×256 39.8 / 68.2 against 25.0 / 26.5; at 4 rows it is a draw).
func verticalInPlaceFits(m, n, k int) bool {
	return verticalISA() && m > 0 && m < matMulVerticalMinRows && (n%64 != 0 || m <= 2) && verticalShape(n, k)
}

// matMulVerticalInPlace computes c[i*ldc+j] = Dot(a row i, column j of b)
// for i < m, j < n, with the vertical kernels reading b (k×n at row stride
// ldb) where it lies, for the shapes of verticalInPlaceFits.
func matMulVerticalInPlace(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	if m == 0 {
		return
	}
	if n%8 != 0 || k%Lanes != 0 || ldb < n || ldc < n || lda < k {
		panic("kernels: bad shape for the vertical kernels")
	}
	_ = b[:(k-1)*ldb+n]
	_ = c[:(m-1)*ldc+n]
	_ = a[:(m-1)*lda+k]
	verticalBlocks(n, func(j0, w int) {
		verticalBlock(c[j0:], ldc, a, lda, b[j0:], ldb, 0, m, w, k)
	})
}

// transposeStrips transposes the 8×8 blocks of transposeStrided (rows
// < m8, columns < n8) with the ISA's leaves, in strips of 16 rows and one
// of 8, and returns m8 and n8; the caller has checked the bounds.
func transposeStrips(dst []float32, ldd int, a []float32, lda int, m, n int) (m8, n8 int) {
	if isa < isaAVX2 || m < 8 || n < 8 {
		return 0, 0
	}
	m8, n8 = m&^7, n&^7
	// When the rows of dst lie a multiple of 1 KiB apart, 16 columns at a
	// time: a strip across all n columns writes n rows of dst that share
	// a few cache sets, and the lines it fills are evicted before the next
	// strip. BenchmarkTranspose on the AVX-512 EPYC host, GB/s, whole
	// strips against 16 columns: 1024×256 4.5 against 19.9, 512×1024 6.8
	// against 30.4, 4096×96 5.2 against 21.4, 256×768 16.8 against 36.6;
	// but 288×2048 48.9 against 31.4 and 128×1024 47.1 against 29.3.
	tile := n8
	if ldd >= 256 && ldd%256 == 0 {
		tile = 16
	}
	for j0 := 0; j0 < n8; j0 += tile {
		w := min(tile, n8-j0)
		i := 0
		for ; i+16 <= m8; i += 16 {
			transpose16AVX2(&dst[j0*ldd+i], ldd, &a[i*lda+j0], lda, w)
		}
		if i < m8 {
			transpose8AVX2(&dst[j0*ldd+i], ldd, &a[i*lda+j0], lda, w)
		}
	}
	return m8, n8
}

// axpyVec sets y[i] = FMA32(a, x[i], y[i]) for i < len(y); len(x) ≥ len(y).
func axpyVec(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	if isa >= isaAVX2 {
		axpyAVX2(y, a, x)
		return
	}
	axpyGeneric(y, a, x)
}

// sumBlocks adds x[16b+l] to acc[l] for every block b of x (len(x) a
// multiple of Lanes), in order.
func sumBlocks(acc *[Lanes]float32, x []float32) {
	if isa >= isaAVX2 {
		sumBlocksAVX2(acc, x)
		return
	}
	sumBlocksGeneric(acc, x)
}

// xorBlocks is xorBlocksGeneric through the ISA's read probe.
func xorBlocks(acc *[Lanes]uint32, x []uint32) {
	if isa == isaAVX512 {
		xorBlocksAVX512(acc, x)
		return
	}
	if isa >= isaAVX2 {
		xorBlocksAVX2(acc, x)
		return
	}
	xorBlocksGeneric(acc, x)
}

// xorRows is xorRowsGeneric through the AVX-512 probe for rows rows
// (xorRowsProbes) where it runs.
func xorRows(acc *[Lanes]uint32, x []uint32, rows, rowLen int) {
	if rowLen <= 0 || rowLen%Lanes != 0 || rows <= 0 {
		panic("kernels: xorRows: bad shape")
	}
	groups := len(x) / (rows * rowLen)
	if isa == isaAVX512 && rows < len(xorRowsProbes) && xorRowsProbes[rows] != nil && groups > 0 {
		xorRowsProbes[rows](acc, &x[0], groups, 4*rowLen)
		return
	}
	xorRowsGeneric(acc, x, rows, rowLen)
}

// xorRowsProbes holds the xorRows probes at the rows they read at once.
var xorRowsProbes = [...]func(acc *[16]uint32, x *uint32, groups int, rowBytes int){
	1: xorRows1AVX512, 2: xorRows2AVX512, 4: xorRows4AVX512, 8: xorRows8AVX512,
}

// maxBlocks is maxBlocksGeneric through the ISA's kernel.
func maxBlocks(acc *[Lanes]float32, x []float32) {
	if isa >= isaAVX2 {
		maxBlocksAVX2(acc, x)
		return
	}
	maxBlocksGeneric(acc, x)
}

// divVec sets dst[i] = x[i] / d for i < len(dst); len(x) ≥ len(dst).
func divVec(dst, x []float32, d float32) {
	x = x[:len(dst)]
	if isa >= isaAVX2 {
		divAVX2(dst, x, d)
		return
	}
	divGeneric(dst, x, d)
}

// subVec sets dst[i] = x[i] − s for i < len(dst); len(x) ≥ len(dst).
func subVec(dst, x []float32, s float32) {
	x = x[:len(dst)]
	if isa >= isaAVX2 {
		subAVX2(dst, x, s)
		return
	}
	subGeneric(dst, x, s)
}

// normAffine is normAffineGeneric through the ISA's kernel.
func normAffine(d, g, b []float32, r float32) {
	g, b = g[:len(d)], b[:len(d)]
	if isa >= isaAVX2 {
		normAffineAVX2(d, g, b, r)
		return
	}
	normAffineGeneric(d, g, b, r)
}

// addVec sets y[i] = y[i] + x[i] for i < len(y); len(x) ≥ len(y).
func addVec(y, x []float32) {
	x = x[:len(y)]
	if isa >= isaAVX2 {
		addAVX2(y, x)
		return
	}
	addGeneric(y, x)
}

// expSubVec sets dst[i] = Exp(x[i] − sub) for i < len(dst); len(x) ≥ len(dst).
func expSubVec(dst, x []float32, sub float32) {
	x = x[:len(dst)]
	switch isa {
	case isaAVX512:
		expSubAVX512(dst, x, sub)
		return
	case isaAVX2:
		expSubAVX2(dst, x, sub)
		return
	}
	expSubGeneric(dst, x, sub)
}

// fusedSoftmax reports whether Softmax takes the fused pass of the
// exponentials and Sum's lanes for a row of n: on AVX-512, from one
// 16-lane block on.
func fusedSoftmax(n int) bool { return isa == isaAVX512 && n >= Lanes }

// softmaxLeaf runs softmaxScaled on x in one AVX-512 leaf, and reports
// whether it did: softmaxShortAVX512 for one vector (1 to 16 elements),
// softmaxLongAVX512 for more.
func softmaxLeaf(x []float32, scale float32) bool {
	if isa != isaAVX512 || len(x) == 0 {
		return false
	}
	if len(x) <= Lanes {
		softmaxShortAVX512(&x[0], len(x), scale)
	} else {
		softmaxLongAVX512(&x[0], len(x), scale)
	}
	return true
}

// expSubSumBlocks is expSubSumGeneric through the ISA's kernel.
func expSubSumBlocks(acc *[Lanes]float32, dst, x []float32, sub float32) {
	x = x[:len(dst)]
	if isa == isaAVX512 {
		expSubSumAVX512(acc, dst, x, sub)
		return
	}
	expSubSumGeneric(acc, dst, x, sub)
}

// adamWVec is AdamWUpdate on slices of equal length.
func adamWVec(p, g, m, v []float32, c AdamWCoefs) {
	switch isa {
	case isaAVX512:
		adamWAVX512(p, g, m, v, c.Beta1, c.Beta2, c.C1, c.C2, c.Decay, c.StepSize, c.SqrtBc2, c.Eps)
	case isaAVX2:
		adamWAVX2(p, g, m, v, c.Beta1, c.Beta2, c.C1, c.C2, c.Decay, c.StepSize, c.SqrtBc2, c.Eps)
	default:
		adamWGeneric(p, g, m, v, c)
	}
}

// geluBackwardVec is GELUBackwardVec on slices of equal length.
func geluBackwardVec(dx, dy, x, scratch []float32) {
	switch {
	case isa == isaAVX512:
		geluBackwardAVX512(dx, dy, x)
	case isa >= isaAVX2:
		geluBackwardAVX2(dx, dy, x)
	default:
		geluBackwardGeneric(dx, dy, x, scratch)
	}
}

// geluVec sets x[i] = GELU(x[i]).
func geluVec(x []float32) {
	switch isa {
	case isaAVX512:
		geluAVX512(x)
		return
	case isaAVX2:
		geluAVX2(x)
		return
	}
	geluGeneric(x)
}

// chunkWidth is how many columns AttentionStep gives chunkDot at a time:
// 16 for chunkDotAVX512, else 8.
func chunkWidth() int {
	if isa == isaAVX512 {
		return 16
	}
	return 8
}

// chunkDot is chunkDotGeneric through chunkDotAVX2 (8 columns) or
// chunkDotAVX512 (16).
func chunkDot(out, p, values []float32, stride int) {
	n, w := len(p), len(out)
	if !chunkAsm(n, w, false) {
		chunkDotGeneric(out, p, values, stride)
		return
	}
	_ = values[(n-1)/Lanes*stride+Lanes*w-1]
	if w == 16 {
		chunkDotAVX512(&out[0], w, &p[0], &values[0], 4*stride, n)
		return
	}
	chunkDotAVX2(&out[0], w, &p[0], &values[0], 4*stride, n)
}

// chunkAsm reports whether chunkDot (with half, chunkDotHalf) runs an
// assembly kernel for n positions and w columns: 8 with AVX2 (and F16C for
// binary16), 16 with AVX-512.
func chunkAsm(n, w int, half bool) bool {
	if isa < isaAVX2 || half && isa == isaAVX2 && !f16c || n == 0 {
		return false
	}
	return w == 8 || w == 16 && isa == isaAVX512
}

// verticalPack is the first n8 = n&^7 rows of an n×k weight matrix w (the
// b of an a·bᵀ product, as Linear takes it) transposed once into the
// vertical kernels' column panels: the blocks of verticalBlocksOf(n8,
// widest), the block at column j0 at panels[j0·k:], k rows of its width.
// The zero value packs nothing.
type verticalPack struct {
	panels []float32
	n8, k  int
	widest int
}

// packVertical packs w (n×k) for the vertical kernels of the ISA in use, or
// returns the zero pack where they do not run (no vertical ISA, k not a
// multiple of 16 or longer than verticalMaxK, fewer than 8 columns).
func packVertical(w []float32, n, k int) verticalPack {
	n8 := n &^ 7
	if !verticalISA() || !verticalShape(n8, k) {
		return verticalPack{}
	}
	p := verticalPack{panels: make([]float32, n8*k), n8: n8, k: k, widest: widestBlock()}
	verticalBlocksOf(n8, p.widest, func(j0, w8 int) {
		transposeStrided(p.panels[j0*k:], w8, w[j0*k:], k, w8, k)
	})
	return p
}

// packedAlways makes packedFits take every product, so that tests run the
// packed path at every shape.
var packedAlways = false

// packedFits reports whether a product of m rows with reductions of length
// k takes a pack's panels rather than the R×C kernels on the matrix itself.
// With the panels made once, only the kernels' speed decides. The 2-core
// AVX-512 EPYC, packed against MatMulT (GFLOP/s, m×n×k): 128×96×96 234
// against 165, 8×384×96 191 against 167, but 8×96×384 167 against 214,
// 16×256×256 205 against 217 and 128×96×384 202 against 219; 32×768×256
// 219 against 206, 128×1024×256 225 against 205. On AVX2 the two are
// within 10 % from 4 to 16 rows; packed wins at two rows and at 32 and more
// (by 0–11 %). One row with k a multiple of 16 goes to MatMulT's rowPairs,
// which beats the packed one-row kernel on both ISAs (LinearWeightsDecode,
// hot, AVX-512: 1×256×96 84 against 65, 1×96×96 114–129 against 76–92,
// 1×384×96 87 against 65, 1×96×384 66 against 66; AVX2: 76–78 against 54,
// 87 against 58–59, 81 against 53, 60–61 against 57–58; the global
// layers', cold, read at memory speed either way: 11–17 on AVX-512, 11–19
// on AVX2); other one-row products stay packed.
// Wherever MatMulT would transpose b for the vertical kernels
// (vertical512TFits), the pack spares it the transpose.
func packedFits(m, k int) bool {
	if !verticalISA() || m <= 0 {
		return false
	}
	if packedAlways {
		return true
	}
	if m == 1 {
		return k%Lanes != 0
	}
	if isa == isaAVX512 {
		return k <= 128 && m >= 8 || k <= 256 && m >= 32 || vertical512TFits(m, k)
	}
	return m == 2 || m >= 32
}

// matMulT computes columns [lo, hi) of the a·bᵀ product c = a·wᵀ (m rows,
// a at row stride lda, c at ldc) from the pack, for the largest [lo, hi)
// within [j0, j1) that it covers (multiples of 8 below n8), and returns lo
// and hi; lo = hi when packedFits declines m rows. The caller computes the
// rest from w. Every element is the Dot the R×C kernels compute.
func (p *verticalPack) matMulT(c []float32, ldc int, a []float32, lda int, m, j0, j1 int) (lo, hi int) {
	lo, hi = min((j0+7)&^7, p.n8), min(j1&^7, p.n8)
	if p.panels == nil || lo >= hi || !packedFits(m, p.k) {
		return j0, j0
	}
	_ = c[:(m-1)*ldc+hi]
	_ = a[:(m-1)*lda+p.k]
	panelCols(c, ldc, a, lda, p.panels, p.widest, p.n8, p.k, m, lo, hi)
	return lo, hi
}

// passHalfCols is the width of the pass-ordered binary16 panels of the
// ISA in use (packPassHalf): 32 columns for mmvhAVX512_4x32, 16 for
// mmvhAVX2_2x16; 0 where neither runs.
func passHalfCols() int {
	switch {
	case isa == isaAVX512:
		return 32
	case isa == isaAVX2 && f16c:
		return 16
	}
	return 0
}

// passHalfRows is the rows of a that the pass-ordered kernel of the ISA in
// use computes at a time: 4 on AVX-512, 2 on AVX2.
func passHalfRows() int {
	if isa == isaAVX512 {
		return 4
	}
	return 2
}

// passHalfFits reports whether PackLinearHalf makes the pass-ordered
// binary16 panels of an n×k weight matrix: n a multiple of passHalfCols,
// k a multiple of 16 up to passHalfMaxK.
func passHalfFits(n, k int) bool {
	cols, maxK := passHalfCols(), passHalfMaxK
	if cols == 16 {
		maxK = avx2PassHalfMaxK
	}
	return cols > 0 && n > 0 && n%cols == 0 && k > 0 && k%Lanes == 0 && k <= maxK
}

// avx2PassHalfMaxK is passHalfMaxK for mmvhAVX2_2x16, whose one F16C
// conversion to two FMAs pays only where the R×C kernels' reductions weigh
// most. Sixteen rows, binary16 weights cycled through L2 or L3 (GFLOP/s,
// mmvhAVX2_2x16 against what ran before: the R×C binary16 kernels at
// 65 536 weights and more, float32 below): 16×96×96 38–54 against 36,
// 16×384×96 44–50 against 35–37, 16×256×96 43 against 38–40; but
// 16×768×256 45 against 49–54, 16×96×384 43–53 against 50–51.
const avx2PassHalfMaxK = 128

// passHalfMaxK is the longest reduction for which PackLinearHalf makes the
// pass-ordered panels. Eight rows, binary16 weights cycled through L3
// (GFLOP/s, mmvhAVX512_4x32 against the R×C binary16 kernels): 8×768×256
// 220 against 188, 8×1024×256 215 against 184, the local layers' k = 96
// 207–219 against 169–183; hot, the local MLP's 8×96×384 236 against 213;
// but 8×256×1024 159 against 187, its 64 KiB panels read twice from L2.
const passHalfMaxK = 384

// matMulTPassHalf computes rows [0, m) (m a multiple of passHalfRows) and
// columns [j0, j1) (multiples of cols, passHalfCols) of c = a·wᵀ from w's
// pass-ordered binary16 panels (packPassHalf, k×cols per cols columns),
// with mmvhAVX512_4x32 or mmvhAVX2_2x16, and adds bias[j] to column j
// unless bias is nil; every element is the Dot the other kernels compute,
// and the bias the same separate addition as LinearCols's.
func matMulTPassHalf(c []float32, ldc int, a []float32, lda int, panels []uint16, bias []float32, m, j0, j1, k, cols int) {
	if m == 0 || j0 == j1 {
		return
	}
	rows := passHalfRows()
	if cols == 0 || cols != passHalfCols() || m%rows != 0 || j0%cols != 0 || j1%cols != 0 || k%Lanes != 0 {
		panic("kernels: matMulTPassHalf: bad shape")
	}
	_ = c[(m-1)*ldc+j1-1]
	_ = a[(m-1)*lda+k-1]
	_ = panels[j1*k-1]
	if bias != nil {
		_ = bias[j1-1]
	}
	kern := mmvhAVX2_2x16
	if cols == 32 {
		kern = mmvhAVX512_4x32
	}
	for s := j0; s < j1; s += cols {
		var bs *float32
		if bias != nil {
			bs = &bias[s]
		}
		for i := 0; i < m; i += rows {
			kern(&c[i*ldc+s], ldc, &a[i*lda], lda, &panels[s*k], k, bs)
		}
	}
}

// f16c reports the F16C conversions that the AVX2 binary16 kernels need
// (every AVX2 CPU made has them; AVX-512F has its own).
var f16c = cpu.X86.HasF16C

// keyDotsHalf is keyDotsHalfGeneric through keyDotsHalfAVX512 or
// keyDotsHalfAVX2 when len(q) is a multiple of 16; they compute n rounded
// up to 16 dots (whole chunks), which s and keys must hold. nextKeys and
// values, laid out as keys (the next head's keys and this head's values in
// StoreKVHalf's caches), are hints: the AVX2 kernel prefetches their bytes
// as it reads the keys', for the next head and for the weighted sum that
// follows, and never reads them. Either may be empty.
func keyDotsHalf(s []float32, n int, q []float32, keys, nextKeys, values []uint16) {
	hd := len(q)
	switch {
	case n == 0 || hd == 0 || hd%Lanes != 0 || isa < isaAVX2 || isa == isaAVX2 && !f16c:
		keyDotsHalfGeneric(s, n, q, keys)
	default:
		chunks := (n + Lanes - 1) / Lanes
		_, _ = s[Lanes*chunks-1], keys[Lanes*chunks*hd-1]
		if isa == isaAVX512 {
			keyDotsHalfAVX512(&s[0], &q[0], &keys[0], chunks, hd)
			return
		}
		// AVX2: two chunks at a time, then a last one alone.
		pairs := chunks / 2
		if pairs > 0 {
			keyDotsHalfPairsAVX2(&s[0], &q[0], &keys[0], hint(nextKeys, keys), hint(values, keys), pairs, hd)
		}
		if chunks%2 != 0 {
			at := 2 * pairs * Lanes
			keyDotsHalfAVX2(&s[at], &q[0], &keys[at*hd], 1, hd)
		}
	}
}

// hint returns the address of a prefetch hint, or where it is empty that
// of fallback (non-empty), whose lines are being read anyway.
func hint(x, fallback []uint16) *uint16 {
	if len(x) > 0 {
		return &x[0]
	}
	return &fallback[0]
}

// chunkDotHalf is chunkDotHalfGeneric through chunkDotHalfAVX2 (8 columns)
// or chunkDotHalfAVX512 (16).
func chunkDotHalf(out, p []float32, values []uint16, stride int) {
	n, w := len(p), len(out)
	if !chunkAsm(n, w, true) {
		chunkDotHalfGeneric(out, p, values, stride)
		return
	}
	_ = values[(n-1)/Lanes*stride+Lanes*w-1]
	if w == 16 {
		chunkDotHalfAVX512(&out[0], w, &p[0], &values[0], 2*stride, n)
		return
	}
	chunkDotHalfAVX2(&out[0], w, &p[0], &values[0], 2*stride, n)
}

// roundHalfVec is roundHalfGeneric through roundHalfAVX512 or roundHalfAVX2.
func roundHalfVec(x []float32) {
	switch {
	case isa == isaAVX512:
		roundHalfAVX512(x)
	case isa == isaAVX2 && f16c:
		roundHalfAVX2(x)
	default:
		roundHalfGeneric(x)
	}
}

// halfBitsVec is halfBitsGeneric through halfBitsAVX512 or halfBitsAVX2.
func halfBitsVec(dst []uint16, x []float32) {
	x = x[:len(dst)]
	switch {
	case isa == isaAVX512:
		halfBitsAVX512(dst, x)
	case isa == isaAVX2 && f16c:
		n8 := len(dst) &^ 7
		halfBitsAVX2(dst[:n8], x)
		halfBitsGeneric(dst[n8:], x[n8:])
	default:
		halfBitsGeneric(dst, x)
	}
}

// microHalfKernel is microKernel with b in binary16, converted exactly on
// load.
type microHalfKernel func(c *float32, ldc int, a *float32, lda int, b *uint16, ldb int, k int)

// halfProducts reports whether matMulTHalf runs here for reductions of
// length k: on AVX-512, and on AVX2 with F16C when k is a multiple of 16
// (the AVX2 kernels have no tail).
func halfProducts(k int) bool {
	return isa == isaAVX512 || isa == isaAVX2 && f16c && k%Lanes == 0
}

// halfLinear reports whether a Linear layer of in × out binary16 weights
// takes the binary16 kernels (LinearWeights with PackLinearHalf): always
// where halfProducts(in) on AVX-512; on AVX2 from avx2HalfMinWeights
// weights on, and below that only where the pass-ordered mmvhAVX2_2x16
// takes the layer (passHalfFits; see avx2PassHalfMaxK), since with the
// weights hot the float32 kernels are as fast as the binary16 R×C ones or
// faster. BenchmarkLinearWeightsDecode on the 2-core EPYC, AVX2, GFLOP/s
// binary16 R×C against float32: the global layers' (196 608 and 262 144
// weights, cold) 107–111 against 62–100 at 8 rows, 90–111 against 70–113
// at 16, 33–48 against 14–18 at one; the local layers' (9 216 to 36 864,
// hot) 93–118 against 97–120 at 8 rows, 61–80 against 62–89 at one.
func halfLinear(in, out int) bool {
	return halfProducts(in) && (isa == isaAVX512 || in*out >= avx2HalfMinWeights || passHalfFits(out, in))
}

// floatRowsFirst reports whether PackLinearHalf keeps float32 panels for
// products of more than halfRowsMax rows (an encoder's window) of a layer
// that halfLinear gives the binary16 kernels: on AVX2, the layers below
// avx2HalfMinWeights, which take them only for mmvhAVX2_2x16's few rows.
// Over a window's 2048 rows the float32 vertical kernels were as fast
// (2-core EPYC, 2048 × 96 × 96, 2048 × 384 × 96 and 2048 × 256 × 96:
// 43–69 GFLOP/s either way, three runs) and are what compressing was
// tuned on.
func floatRowsFirst(in, out int) bool {
	return isa == isaAVX2 && in*out < avx2HalfMinWeights && passHalfFits(out, in)
}

// takes reports whether p computes products of m rows (matMulT).
func (p *verticalPack) takes(m int) bool { return p.panels != nil && packedFits(m, p.k) }

// avx2HalfMinWeights is the fewest weights for which halfLinear takes the
// AVX2 binary16 kernels; a variable so that tests can send every layer
// through them.
var avx2HalfMinWeights = 1 << 16

// matMulTHalf is matMulTStrided with b in binary16 (HalfFloat of each
// element), through the avx512HalfKernels or the avx2HalfKernels: every
// output is the Dot of matMulTStrided on b's values as float32. Only where
// halfProducts(k).
func matMulTHalf(c []float32, ldc int, a []float32, lda int, b []uint16, ldb int, m, n, k int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || !halfProducts(k) {
		panic("kernels: matMulTHalf: no binary16 kernels for this product")
	}
	_ = c[(m-1)*ldc+n-1]
	_ = a[(m-1)*lda+k-1]
	_ = b[(n-1)*ldb+k-1]
	cmax, kernels := &avx512Kernels.cmax, &avx512HalfKernels
	if isa == isaAVX2 {
		cmax, kernels = &avx2Kernels.cmax, &avx2HalfKernels
	}
	// As matMulTStrided: a column block of b for all row blocks of four,
	// then the last rows.
	m4 := m &^ 3
	if m4 > 0 {
		for j0 := 0; j0 < n; j0 += cmax[4] {
			cc := min(cmax[4], n-j0)
			kern := kernels[4][cc]
			for i0 := 0; i0 < m4; i0 += 4 {
				kern(&c[i0*ldc+j0], ldc, &a[i0*lda], lda, &b[j0*ldb], ldb, k)
			}
		}
	}
	if r := m - m4; r > 0 {
		for j0 := 0; j0 < n; j0 += cmax[r] {
			cc := min(cmax[r], n-j0)
			kernels[r][cc](&c[m4*ldc+j0], ldc, &a[m4*lda], lda, &b[j0*ldb], ldb, k)
		}
	}
}

// shortHeadsMax is the most heads shortAttentionAVX512 takes.
const shortHeadsMax = 8

// ShortAttentionFast reports whether ShortAttentionStep runs as one
// assembly leaf for heads of width dim/heads: on AVX-512, when that width
// is a multiple of 16 and there are at most 8 heads. Elsewhere it runs in
// Go, slower than StoreKV and AttentionStep with their leaves.
func ShortAttentionFast(heads, dim int) bool {
	return isa == isaAVX512 && heads > 0 && heads <= shortHeadsMax && dim%heads == 0 && dim/heads%Lanes == 0
}

// shortAttentionLeaf runs ShortAttentionStep (its arguments checked) as the
// shortAttentionAVX512 leaf where ShortAttentionFast, and reports whether
// it did.
func shortAttentionLeaf(out, q, k, v, cache []float32, n, heads, dim int) bool {
	if !ShortAttentionFast(heads, dim) {
		return false
	}
	hd := dim / heads
	shortAttentionAVX512(&out[0], &q[0], &k[0], &v[0], &cache[0], n, heads, hd/Lanes, 1/float32(math.Sqrt(float64(hd))))
	return true
}

// scatterHalfVec stores the first len(x) rounded down to 8 elements of
// scatterHalf (col = chunk[lane:]) with scatterHalfAVX2, where the CPU has
// F16C, and returns how many it stored.
func scatterHalfVec(col []uint16, x []float32) int {
	n := len(x) &^ 7
	if isa < isaAVX2 || !f16c || n == 0 {
		return 0
	}
	_ = col[Lanes*(n-1)]
	scatterHalfAVX2(&col[0], &x[0], n)
	return n
}

// exactHalvesLeaf runs exactHalvesInto with halvesExactAVX512 on AVX-512,
// and reports whether it did.
func exactHalvesLeaf(h []uint16, w []float32) (exact, ok bool) {
	if isa != isaAVX512 {
		return false, false
	}
	return halvesExactAVX512(h, w[:len(h)]), true
}
