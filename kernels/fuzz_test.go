package kernels

import (
	"fmt"
	"math"
	"testing"
)

// fuzzPalette holds the values the fuzzer builds operands from: the signed
// zeros, exact small integers and halves (whose products and sums can
// cancel exactly), values whose products underflow or overflow, a
// subnormal, binary16's largest, and the infinities.
var fuzzPalette = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -2, 3, -0.25,
	1e-30, -1e-30, 1e30, -1e30, 1e-40, -1e-40, 65504, -1.0009765625,
	float32(math.Inf(1)), float32(math.Inf(-1)),
}

// fuzzValue is the value one or two bytes of data at *at make, cycling: a
// byte below 2·len(fuzzPalette) picks a palette value, any other the byte
// pair as a small fraction, so that the fuzzer steers both the special
// values and the ordinary ones.
func fuzzValue(data []byte, at *int) float32 {
	if len(data) == 0 {
		return 0
	}
	b := data[*at%len(data)]
	*at++
	if int(b) < 2*len(fuzzPalette) {
		return fuzzPalette[int(b)%len(fuzzPalette)]
	}
	c := data[*at%len(data)]
	*at++
	return float32(int(b)-128)/16 + float32(c)/4096
}

// fuzzMatrix fills a rows×cols matrix from data as mode says: 0, value by
// value; 1, one value throughout; 2, one value per row; 3, one per column.
// The uniform modes make the degenerate products (every term a zero of one
// sign, or cancelling exactly) that value-by-value filling rarely meets.
func fuzzMatrix(data []byte, at *int, mode byte, rows, cols int) []float32 {
	v := make([]float32, rows*cols)
	switch mode % 4 {
	case 0:
		for i := range v {
			v[i] = fuzzValue(data, at)
		}
	case 1:
		x := fuzzValue(data, at)
		for i := range v {
			v[i] = x
		}
	case 2:
		for r := range rows {
			x := fuzzValue(data, at)
			for c := range cols {
				v[r*cols+c] = x
			}
		}
	case 3:
		for c := range cols {
			x := fuzzValue(data, at)
			for r := range rows {
				v[r*cols+c] = x
			}
		}
	}
	return v
}

// levelsAgree runs run once with every kernel level this CPU has and fails
// the test where a level gives other bits than pure Go (NaNs alike,
// whatever their payload): run's output p is names[p], and what says what
// ran. It returns pure Go's outputs.
func levelsAgree(t *testing.T, what string, names []string, run func() [][]float32) [][]float32 {
	t.Helper()
	saved := isa
	defer func() { isa = saved }()
	isa = isaGeneric
	want := run()
	for _, l := range isaLevels[1:] {
		isa = l
		got := run()
		for p, name := range names {
			for i := range got[p] {
				if !sameBits(got[p][i], want[p][i]) {
					t.Fatalf("%s, %s, %v: [%d] = %g (%#x), pure Go %g (%#x)", name, what, l, i,
						got[p][i], math.Float32bits(got[p][i]), want[p][i], math.Float32bits(want[p][i]))
				}
			}
		}
	}
	return want
}

// FuzzProductsAgree computes the matrix products (LinearWeights on float32
// and on binary16 weights too), Dot and Sum of
// fuzzer-made shapes and operands with every kernel level this CPU runs and
// fails where one gives other bits than pure Go (NaNs alike whatever their
// payload). The first three bytes choose m, n and k, with flags that round
// n to 8 or 16 and k to 16, so that the one-row, vertical and packed paths
// all get their shapes; the fourth how a and b are filled (fuzzMatrix); the
// rest are the operands. The cases it has caught are in testdata.
func FuzzProductsAgree(f *testing.F) {
	// testdata/fuzz/FuzzProductsAgree/columnDots-negative-zero is one row
	// of −1 against a 16×16 b of +0: every product −0, so every lane and
	// every output +0 (columnDots gave −0 until session 17).
	f.Add([]byte{7, 40, 95, 0, 200, 1, 17, 33, 250, 9})
	f.Add([]byte{130, 31 | 0x80, 31 | 0x40, 2<<2 | 3, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		m := 1 + int(data[0]&0x7f)%9
		if data[0]&0x80 != 0 {
			m += matMulVerticalMinRows - 5 // around the vertical kernels' threshold
		}
		n := 1 + int(data[1]&0x3f)
		switch data[1] >> 6 {
		case 1:
			n = (n + 7) &^ 7
		case 2, 3:
			n = (n + 15) &^ 15
		}
		k := int(data[2] & 0x3f)
		if data[2]&0x40 != 0 {
			k = (k + 1) * Lanes
		}
		mode, ops, at := data[3], data[4:], 0
		a := fuzzMatrix(ops, &at, mode, m, k)
		b := fuzzMatrix(ops, &at, mode>>2, k, n) // read as n×k by MatMulT and Linear
		x := a[:k]
		// The binary16 weights of PackLinearHalf (its pass-ordered panels
		// and R×C binary16 kernels), and a bias.
		bHalf := append([]float32(nil), b...)
		RoundHalf(bHalf)
		bias := fuzzMatrix(ops, &at, mode>>4, 1, n)
		run := func() [][]float32 {
			abt := make([]float32, m*n)
			MatMulT(abt, a, b, m, n, k)
			ab := make([]float32, m*n)
			MatMul(ab, a, b, m, n, k)
			atb := make([]float32, m*n)
			if m*k > 0 {
				MatMulTA(atb, a, b, m, n, k) // a read as k×m
			}
			lin := make([]float32, m*n)
			PackLinear(b, k, n).Linear(lin, a, nil, m)
			linHalf := make([]float32, m*n)
			PackLinearHalf(bHalf, k, n).Linear(linHalf, a, bias, m)
			// Again with the AVX2 binary16 kernels taking every size.
			linHalfAll := make([]float32, m*n)
			saved := avx2HalfMinWeights
			avx2HalfMinWeights = 0
			PackLinearHalf(bHalf, k, n).Linear(linHalfAll, a, bias, m)
			avx2HalfMinWeights = saved
			return [][]float32{abt, ab, atb, lin, linHalf, linHalfAll, {Dot(x, b[:k]), Sum(a)}}
		}
		levelsAgree(t, fmt.Sprintf("%d×%d×%d", m, n, k), []string{"MatMulT", "MatMul", "MatMulTA", "LinearWeights", "LinearWeights binary16", "LinearWeights binary16, every size", "Dot, Sum"}, run)
	})
}

// FuzzAttentionAgree runs the attention kernels on fuzzer-made queries,
// keys and values (fuzzMatrix's fills, the palette's infinities and zeros
// included) with every level this CPU runs and fails where one gives other
// bits than pure Go: Attention, AttentionStep on float32 and binary16
// caches, ShortAttentionStep position by position, and AttentionBatch. The
// first bytes choose the heads (1, 2 or 4), the head width (16 to 64) and
// the positions (1 to 40), the next the fills.
func FuzzAttentionAgree(f *testing.F) {
	f.Add([]byte{1, 2, 7, 0, 3, 0, 5})               // two heads of 48, 8 positions, values −1·+0
	f.Add([]byte{2, 0, 39, 1<<4 | 2<<2 | 3, 200, 1}) // four heads of 16, 40 positions
	f.Add([]byte{0, 3, 15, 0, 16, 17, 250, 3, 9})    // an infinity among the keys
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		heads := []int{1, 2, 4}[int(data[0])%3]
		dim := heads * 16 * (1 + int(data[1])%4)
		n := 1 + int(data[2])%40
		mode, ops, at := data[3], data[4:], 0
		q := fuzzMatrix(ops, &at, mode, n, dim)
		k := fuzzMatrix(ops, &at, mode>>2, n, dim)
		v := fuzzMatrix(ops, &at, mode>>4, n, dim)
		ld := roundLanes(n)
		run := func() [][]float32 {
			att := make([]float32, n*dim)
			Attention(att, q, k, v, n, n, 0, heads, dim, make([]float32, n+Lanes*dim))
			kc, vc := make([]float32, KeyCacheLen(dim, ld)), make([]float32, ValueCacheLen(dim, ld))
			kh, vh := make([]uint16, KeyCacheLen(dim, ld)), make([]uint16, ValueCacheLen(dim, ld))
			short := make([]float32, ShortCacheLen(dim))
			step := make([]float32, n*dim)
			half := make([]float32, n*dim)
			shortOut := make([]float32, n*dim)
			scratch := make([]float32, AttentionStepScratch(ld))
			for j := range n {
				row := func(x []float32) []float32 { return x[j*dim : (j+1)*dim] }
				StoreKV(kc, vc, row(k), row(v), j, ld, heads)
				AttentionStep(row(step), row(q), kc, vc, j+1, ld, heads, dim, scratch)
				StoreKVHalf(kh, vh, row(k), row(v), j, ld, heads)
				AttentionStepHalf(row(half), row(q), kh, vh, j+1, ld, heads, dim, scratch)
				if j < ShortAttentionMax {
					ShortAttentionStep(row(shortOut), row(q), row(k), row(v), short, j+1, heads, dim)
				}
			}
			batch := make([]float32, n*dim)
			AttentionBatch(batch, q, k, v, nil, n, heads, dim, make([]float32, AttentionBatchScratch(n, heads, dim)))
			return [][]float32{att, step, half, shortOut, batch}
		}
		levelsAgree(t, fmt.Sprintf("%d heads, width %d, %d positions", heads, dim, n), []string{"Attention", "AttentionStep", "AttentionStepHalf", "ShortAttentionStep", "AttentionBatch"}, run)
	})
}

// FuzzVectorsAgree runs the row kernels on fuzzer-made rows (two rows of n,
// fuzzMatrix's fills) with every level this CPU runs and fails where one
// gives other bits than pure Go: Max, Softmax, GELUInPlace, LayerNorm and
// LayerNormRows, Add, RoundHalf, and the backward kernels GELUBackward,
// GELUBackwardVec, LayerNormBackward and LayerNormBackwardRows. The first
// byte and its flag choose n (0 to 127, or that times 8), the next the
// fills of x, of the gradient dy, and of the gains and biases.
func FuzzVectorsAgree(f *testing.F) {
	f.Add([]byte{96, 0, 0, 1, 2, 3, 200, 17})
	f.Add([]byte{255, 1 | 2<<2 | 3<<4, 16, 3, 0, 1})
	f.Add([]byte{17, 0, 0, 16, 17, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := int(data[0] & 0x7f)
		if data[0]&0x80 != 0 {
			n *= 8
		}
		mode, ops, at := data[1], data[2:], 0
		x := fuzzMatrix(ops, &at, mode, 2, n)
		dy := fuzzMatrix(ops, &at, mode>>2, 2, n)
		gb := fuzzMatrix(ops, &at, mode>>4, 2, n)
		g, b := gb[:n], gb[n:]
		const eps = 1e-5
		run := func() [][]float32 {
			mx := []float32{Max(x[:n]), Max(x)}
			soft := make([]float32, 2*n)
			Softmax(soft[:n], x[:n])
			gelu := append([]float32(nil), x...)
			GELUInPlace(gelu)
			ln := make([]float32, 2*n)
			LayerNorm(ln[:n], x[:n], g, b, eps)
			lnRows := make([]float32, 2*n)
			LayerNormRows(lnRows, x, g, b, 2, n, eps)
			sum := append([]float32(nil), x...)
			Add(sum, dy)
			half := append([]float32(nil), x...)
			RoundHalf(half)
			gb1 := make([]float32, 2*n)
			GELUBackward(gb1, dy, x)
			gb2 := make([]float32, 2*n)
			GELUBackwardVec(gb2, dy, x, make([]float32, GELUBackwardScratch(2*n)))
			dx, dg, db := make([]float32, n), make([]float32, n), make([]float32, n)
			LayerNormBackward(dx, dg, db, dy[:n], x[:n], g, eps)
			dxr, dgr, dbr := make([]float32, 2*n), make([]float32, n), make([]float32, n)
			LayerNormBackwardRows(dxr, dgr, dbr, dy, x, g, 2, n, eps, make([]float32, LayerNormBackwardScratch(n)))
			return [][]float32{mx, soft, gelu, ln, lnRows, sum, half, gb1, gb2, dx, dg, db, dxr, dgr, dbr}
		}
		names := []string{"Max", "Softmax", "GELUInPlace", "LayerNorm", "LayerNormRows", "Add", "RoundHalf",
			"GELUBackward", "GELUBackwardVec", "LayerNormBackward dx", "dg", "db", "LayerNormBackwardRows dx", "dg", "db"}
		levelsAgree(t, fmt.Sprintf("n = %d", n), names, run)
	})
}
