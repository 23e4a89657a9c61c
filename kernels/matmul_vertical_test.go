package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestVerticalSpec checks the specification of the vertical kernels
// against Dot: verticalGeneric must give every output exactly as Dot does
// on the row of a and the column of b, for every k it takes.
func TestVerticalSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, k := range []int{16, 32, 48, 96, 112, 256, 384, 1024} {
		for _, rows := range []int{1, 2, 3} {
			lda, ldb, ldc := k+r.IntN(5), 8+r.IntN(5), 8+r.IntN(5)
			a := nastyVec(r, (rows-1)*lda+k)
			b := nastyVec(r, (k-1)*ldb+8)
			c := make([]float32, (rows-1)*ldc+8)
			verticalGeneric(c, ldc, a, lda, b, ldb, rows, k)
			col := make([]float32, k)
			for j := range 8 {
				for kk := range col {
					col[kk] = b[kk*ldb+j]
				}
				for i := range rows {
					want := Dot(a[i*lda:i*lda+k], col)
					if got := c[i*ldc+j]; !sameBits(got, want) {
						t.Fatalf("k=%d: c[%d,%d] = %g (%#x), Dot gives %g (%#x)", k, i, j,
							got, math.Float32bits(got), want, math.Float32bits(want))
					}
				}
			}
		}
	}
}

// TestMatMulTVertical runs MatMulT and the strided panels at shapes the
// vertical kernels take (k a multiple of 16, m ≥ verticalMinRows), with
// columns left over for the horizontal kernels and panels of a few rows,
// on every ISA (the AVX-512 vertical kernels forced on), against the
// pure-Go product, with guard words.
func TestMatMulTVertical(t *testing.T) {
	saved := panelFloats
	defer func() { panelFloats = saved }()
	forceVertical512(t)
	r := rand.New(rand.NewPCG(63, 64))
	type tc struct{ m, n, k, ldc, lda, ldb, panel int }
	cases := []tc{
		{32, 8, 16, 8, 16, 16, 32 << 10}, {33, 8, 16, 8, 16, 16, 32 << 10},
		{64, 288, 96, 288, 96, 96, 32 << 10}, {65, 37, 96, 41, 99, 100, 32 << 10},
		{40, 15, 32, 15, 32, 32, 32 << 10}, {35, 24, 256, 30, 260, 257, 32 << 10},
		{77, 16, 96, 16, 96, 96, 96 * 5}, {50, 9, 48, 9, 48, 48, 48 * 2},
		{31, 8, 16, 8, 16, 16, 32 << 10}, {48, 7, 96, 7, 96, 96, 32 << 10}, {48, 16, 95, 16, 95, 95, 32 << 10},
	}
	if !testing.Short() {
		cases = append(cases, tc{300, 384, 96, 384, 96, 96, 32 << 10}, tc{129, 96, 384, 96, 384, 384, 32 << 10})
	}
	for _, c := range cases {
		a := nastyVec(r, (c.m-1)*c.lda+c.k)
		b := nastyVec(r, (c.n-1)*c.ldb+c.k)
		size := (c.m-1)*c.ldc + c.n
		want := make([]float32, size)
		matMulTGeneric(want, c.ldc, a, c.lda, b, c.ldb, c.m, c.n, c.k)
		name := fmt.Sprintf("%dx%dx%d/ld=%d,%d,%d/panel=%d", c.m, c.n, c.k, c.ldc, c.lda, c.ldb, c.panel)
		panelFloats = c.panel
		forEachISA(t, func(t *testing.T) {
			off := r.IntN(4)
			buf, got := guarded(size, off)
			for i := range got {
				got[i] = math.Float32frombits(guardBits)
			}
			matMulTPanels(got, c.ldc, a, c.lda, b, c.ldb, c.m, c.n, c.k)
			checkGuard(t, buf, size, off, name)
			for i := 0; i < c.m; i++ {
				for j := 0; j < c.n; j++ {
					if g, w := got[i*c.ldc+j], want[i*c.ldc+j]; !sameBits(g, w) {
						t.Fatalf("%s: c[%d,%d] = %g, pure Go %g", name, i, j, g, w)
					}
				}
			}
		})
	}
}
