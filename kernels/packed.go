package kernels

import (
	"fmt"
	"math"
)

// LinearWeights is the weight matrix of a Linear layer, W (Out × In, row
// major: the layout Linear takes), with a copy of it packed for this
// machine's kernels: on amd64 with AVX2 or AVX-512, and In a multiple of 16
// up to 384, the column panels of the vertical kernels, which Linear
// otherwise builds on every call that takes them (matMulTVertical) and does
// not use for fewer rows.
// Linear and LinearCols through it compute every output element as the
// one Dot that the package's Linear and LinearCols compute on W, so the
// results are the same bit for bit whatever the rows, the ISA and the
// column ranges; only the speed differs (packedFits and halfLinear choose
// per call).
//
// The copy is taken by PackLinear: when W changes (an optimizer step), pack
// again. A LinearWeights is read-only and safe for concurrent use.
type LinearWeights struct {
	W       []float32
	In, Out int
	pack    verticalPack
	half    []uint16 // W in binary16, from PackLinearHalf; nil if not
	// passHalf is W in binary16 as pass-ordered panels of passCols columns
	// (packPassHalf), where passHalfFits; nil if not.
	passHalf []uint16
	passCols int
}

// PackLinear returns the weights w (out × in) of a Linear layer with their
// packed copy, made for the ISA in use. It keeps w itself, for the products
// that the pack does not take.
func PackLinear(w []float32, in, out int) *LinearWeights {
	w = linearMatrix("PackLinear", w, in, out)
	return &LinearWeights{W: w, In: in, Out: out, pack: packVertical(w, out, in)}
}

// linearMatrix returns w cut to the out × in weights of a Linear layer,
// and panics, naming fn, when it is shorter or a size is negative.
func linearMatrix(fn string, w []float32, in, out int) []float32 {
	if in < 0 || out < 0 || len(w) < in*out {
		panic(fmt.Sprintf("kernels: %s: %d weights for %d×%d", fn, len(w), out, in))
	}
	return w[: in*out : in*out]
}

// PackLinearHalf is PackLinear that also keeps W in binary16 when every
// weight is exactly a binary16 value (a model whose weights were rounded
// with RoundHalf). Where halfLinear takes the layer (AVX-512; AVX2 with
// F16C for In a multiple of 16, for large layers and those with
// pass-ordered panels), products then read that copy, half the bytes,
// halfBlockRows rows at a time (a decoder's step streams every weight
// from memory once for its rows), with kernels that convert it exactly on
// load: four rows at a time from pass-ordered panels on AVX-512
// (mmvhAVX512_4x32, blocks of 32 columns), two on AVX2 (mmvhAVX2_2x16,
// blocks of 16, In ≤ avx2PassHalfMaxK), where In ≤ passHalfMaxK and the
// columns are whole blocks, the R×C binary16 kernels otherwise; and it
// makes no float32 panels, except on AVX2 for the small layers, whose
// products of many rows keep the float32 vertical kernels
// (floatRowsFirst). Every output is the same Dot, so the results are the
// same bit for bit.
func PackLinearHalf(w []float32, in, out int) *LinearWeights {
	w = linearMatrix("PackLinearHalf", w, in, out)
	half := exactHalves(w)
	if half == nil || !halfLinear(in, out) {
		lw := PackLinear(w, in, out)
		lw.half = half
		return lw
	}
	// Products read the binary16 copy and need no float32 panels, except
	// where floatRowsFirst keeps them for many rows.
	lw := &LinearWeights{W: w, In: in, Out: out, half: half}
	if floatRowsFirst(in, out) {
		lw.pack = packVertical(w, out, in)
	}
	if passHalfFits(out, in) {
		lw.passCols = passHalfCols()
		lw.passHalf = make([]uint16, out*in)
		packPassHalf(lw.passHalf, lw.half, out, in, lw.passCols)
	}
	return lw
}

// exactHalves returns w in binary16, or nil when a weight is not exactly a
// binary16 value (or is a NaN). A float32 matrix is turned down on its
// first weights, before the copy is allocated.
func exactHalves(w []float32) []uint16 {
	var first [256]uint16
	if !exactHalvesInto(first[:min(len(w), len(first))], w) {
		return nil
	}
	h := make([]uint16, len(w))
	if !exactHalvesInto(h, w) {
		return nil
	}
	return h
}

// exactHalvesInto sets h[i] to the binary16 bits of w[i], i < len(h), and
// reports whether each converts back to w[i] exactly (a NaN never does).
func exactHalvesInto(h []uint16, w []float32) bool {
	if exact, ok := exactHalvesLeaf(h, w); ok {
		return exact
	}
	return exactHalvesGeneric(h, w)
}

// exactHalvesGeneric is the specification of exactHalvesInto.
func exactHalvesGeneric(h []uint16, w []float32) bool {
	halfBitsVec(h, w)
	for i, b := range h {
		if v := HalfFloat(b); v != v || math.Float32bits(v) != math.Float32bits(w[i]) {
			return false
		}
	}
	return true
}

// halfRowsMax is the most rows of a decoder's step (16 rows per thread),
// which LinearCols gives the binary16 kernels as one block.
const halfRowsMax = 16

// halfBlockRows is the block of rows in which LinearCols gives the binary16
// kernels the products of more than halfRowsMax rows (an encoder's
// window). Each block streams the weights from L2 (the local layers) or L3
// (the global ones) once, and each 32-column panel, once in L1, serves 16
// calls of the four-row kernel instead of 4, while the block's 64 rows of
// x (24–96 KiB) stay in L2. Compressing 256 KiB with text-ref-v7-f16 on
// one thread of the AVX-512 Zen 5 (session 27, 13 runs each, alternating
// with blocks of 16): 2.73–2.87 s, median 2.78, against 2.76–3.02, median
// 2.85; on two threads 1.51–1.52 s against 1.54–1.56. Blocks of 128 to
// 2048 rows ran like 64, and 16-row blocks for the layers without
// pass-ordered panels (the global fc2) gained nothing. On the AVX2
// kernels the same within the noise (5.62–5.85 s against 5.55–5.75).
const halfBlockRows = 64

// Linear computes y = x·Wᵀ + bias for the m rows of x, like Linear(y, x,
// lw.W, bias, m, lw.In, lw.Out).
func (lw *LinearWeights) Linear(y, x, bias []float32, m int) {
	lw.LinearCols(y, x, bias, m, 0, lw.Out)
}

// LinearCols computes the output columns [j0, j1) of lw.Linear and leaves
// the others alone, like LinearCols(y, x, lw.W, bias, m, lw.In, lw.Out, j0,
// j1).
func (lw *LinearWeights) LinearCols(y, x, bias []float32, m, j0, j1 int) {
	in, out := lw.In, lw.Out
	if j0 < 0 || j1 < j0 || j1 > out {
		panic("kernels: LinearCols: bad column range")
	}
	if m == 0 || j0 == j1 {
		return
	}
	_ = y[:m*out]
	_ = x[:m*in]
	if lw.half != nil && in > 0 && halfLinear(in, out) && !(m > halfRowsMax && lw.pack.takes(m)) {
		// A decoder's step is one block of at most halfRowsMax rows; an
		// encoder's many rows take several, which read half the bytes of
		// the float32 kernels and keep pace with them or beat them
		// (compressing 256 KiB with text-ref-v7-f16 on one thread: 4 %
		// faster on AVX-512, the same on AVX2).
		for i := 0; i < m; i += halfBlockRows {
			lw.halfRows(y[i*out:], x[i*in:], bias, min(halfBlockRows, m-i), j0, j1)
		}
		return
	}
	lo, hi := lw.pack.matMulT(y, out, x, in, m, j0, j1)
	if j0 < lo {
		matMulTPanels(y[j0:], out, x, in, lw.W[j0*in:lo*in], in, m, lo-j0, in)
	}
	if hi < j1 {
		// Where the pack declines, lo = hi = j0 and this is all of it.
		matMulTPanels(y[hi:], out, x, in, lw.W[hi*in:j1*in], in, m, j1-hi, in)
	}
	addBias(y, out, bias, 0, m, j0, j1)
}

// halfRows is LinearCols on the binary16 copy for m ≤ halfBlockRows rows:
// four rows (AVX-512) or two (AVX2) at a time from the pass-ordered panels
// where they take the columns, the bias added before the store, and the
// rest with the R×C binary16 kernels, the bias added after.
func (lw *LinearWeights) halfRows(y, x, bias []float32, m, j0, j1 int) {
	in, out := lw.In, lw.Out
	mp := 0
	if cols := lw.passCols; lw.passHalf != nil && cols == passHalfCols() && j0%cols == 0 && j1%cols == 0 {
		mp = m - m%passHalfRows()
		matMulTPassHalf(y, out, x, in, lw.passHalf, bias, mp, j0, j1, in, cols)
	}
	if mp < m {
		matMulTHalf(y[mp*out+j0:], out, x[mp*in:], in, lw.half[j0*in:j1*in], in, m-mp, j1-j0, in)
		addBias(y, out, bias, mp, m, j0, j1)
	}
}

// addBias adds bias[j] to y[i·ldy+j] for rows [i0, i1) and columns [j0,
// j1), as its own rounding; nothing when bias is nil.
func addBias(y []float32, ldy int, bias []float32, i0, i1, j0, j1 int) {
	if bias == nil {
		return
	}
	bias = bias[j0:j1]
	for i := i0; i < i1; i++ {
		addVec(y[i*ldy+j0:i*ldy+j1], bias)
	}
}
