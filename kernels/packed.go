package kernels

import "fmt"

// LinearWeights is the weight matrix of a Linear layer, W (Out × In, row
// major: the layout Linear takes), with a copy of it packed for this
// machine's kernels: on amd64 with AVX2 or AVX-512, and In a multiple of 16
// up to 384, the column panels of the vertical kernels, which Linear
// otherwise builds on every call that takes them (matMulTVertical) and does
// not use for fewer rows.
// Linear and LinearCols through it compute every output element as the
// one Dot that the package's Linear and LinearCols compute on W, so the
// results are the same bit for bit whatever the rows, the ISA and the
// column ranges; only the speed differs (packedFits chooses per call).
//
// The copy is taken by PackLinear: when W changes (an optimizer step), pack
// again. A LinearWeights is read-only and safe for concurrent use.
type LinearWeights struct {
	W       []float32
	In, Out int
	pack    verticalPack
}

// PackLinear returns the weights w (out × in) of a Linear layer with their
// packed copy, made for the ISA in use. It keeps w itself, for the products
// that the pack does not take.
func PackLinear(w []float32, in, out int) *LinearWeights {
	if in < 0 || out < 0 || len(w) < in*out {
		panic(fmt.Sprintf("kernels: PackLinear: %d weights for %d×%d", len(w), out, in))
	}
	w = w[: in*out : in*out]
	return &LinearWeights{W: w, In: in, Out: out, pack: packVertical(w, out, in)}
}

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
	lo, hi := lw.pack.matMulT(y, out, x, in, m, j0, j1)
	if j0 < lo {
		matMulTPanels(y[j0:], out, x, in, lw.W[j0*in:lo*in], in, m, lo-j0, in)
	}
	if hi < j1 {
		// Where the pack declines, lo = hi = j0 and this is all of it.
		matMulTPanels(y[hi:], out, x, in, lw.W[hi*in:j1*in], in, m, j1-hi, in)
	}
	if bias == nil {
		return
	}
	bias = bias[j0:j1]
	for i := range m {
		addVec(y[i*out+j0:i*out+j1], bias)
	}
}
