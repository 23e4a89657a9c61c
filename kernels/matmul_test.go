package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// matShapes are the (m, n, k) shapes the matrix tests run: degenerate ones,
// every k around the 16-lane block boundaries, odd sizes that leave edge
// blocks in every direction, and the model's own shapes.
func matShapes(short bool) [][3]int {
	s := [][3]int{
		{0, 0, 0}, {1, 1, 0}, {0, 5, 7}, {5, 0, 7}, {3, 4, 0},
		{1, 1, 1}, {1, 256, 96}, {8, 288, 96}, {5, 7, 33}, {13, 11, 1000},
		{4, 3, 16}, {4, 3, 17}, {7, 5, 250}, {64, 96, 256}, {3, 65, 64},
	}
	for k := 1; k <= 48; k++ {
		s = append(s, [3]int{1 + k%5, 1 + k%7, k})
	}
	if !short {
		s = append(s, [3]int{64, 768, 256}, [3]int{17, 1024, 256}, [3]int{33, 97, 999})
	}
	return s
}

// matMulTCheck runs MatMulT through mm into a guarded output and checks every
// element against Dot (bit-identical, the contract) and float64 (accuracy).
func matMulTCheck(t *testing.T, name string, mm func(c, a, b []float32, m, n, k int), r *rand.Rand, m, n, k int) {
	t.Helper()
	offA, offB, offC := r.IntN(5), r.IntN(5), r.IntN(5)
	a := randF32(r, offA+m*k, 2)[offA:]
	b := randF32(r, offB+n*k, 2)[offB:]
	buf, c := guarded(m*n, offC)
	mm(c, a, b, m, n, k)
	checkGuard(t, buf, m*n, offC, fmt.Sprintf("%s %dx%dx%d", name, m, n, k))
	for i := range m {
		for j := range n {
			x, y := a[i*k:(i+1)*k], b[j*k:(j+1)*k]
			want := Dot(x, y)
			got := c[i*n+j]
			if !sameBits(got, want) {
				t.Fatalf("%s %dx%dx%d: c[%d,%d] = %g (%#x), Dot gives %g (%#x)", name, m, n, k, i, j,
					got, math.Float32bits(got), want, math.Float32bits(want))
			}
			ref, abs := dotErr64(x, y)
			if d := math.Abs(float64(got) - ref); d > dotTol(k, abs) {
				t.Fatalf("%s %dx%dx%d: c[%d,%d] = %g, float64 %g", name, m, n, k, i, j, got, ref)
			}
		}
	}
}

func TestMatMulT(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, s := range matShapes(testing.Short()) {
		matMulTCheck(t, "MatMulT", MatMulT, r, s[0], s[1], s[2])
	}
}

// TestMatMulTPanels forces panels of a few rows, so that the products split
// into many panels, a short last one included, and checks every element as
// TestMatMulT does.
func TestMatMulTPanels(t *testing.T) {
	saved := panelFloats
	defer func() { panelFloats = saved }()
	r := rand.New(rand.NewPCG(23, 24))
	for _, floats := range []int{2 << 10, 1 << 10, 64} { // panels of 20, 8 and the minimum 4 rows at k = 96
		panelFloats = floats
		for _, s := range [][3]int{{51, 37, 96}, {64, 29, 33}, {23, 5, 1000}, {9, 8, 1}} {
			matMulTCheck(t, fmt.Sprintf("MatMulT panels of %d floats", floats), MatMulT, r, s[0], s[1], s[2])
		}
	}
}

func TestLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {8, 288, 96}, {2, 17, 33}, {4, 0, 3}, {0, 3, 4}} {
		m, in, out := s[0], s[1], s[2]
		x := randF32(r, m*in, 1)
		w := randF32(r, out*in, 1)
		bias := randF32(r, out, 1)
		for _, withBias := range []bool{false, true} {
			off := r.IntN(4)
			buf, y := guarded(m*out, off)
			bb := bias
			if !withBias {
				bb = nil
			}
			Linear(y, x, w, bb, m, in, out)
			checkGuard(t, buf, m*out, off, "Linear")
			for i := range m {
				for o := range out {
					want := Dot(x[i*in:(i+1)*in], w[o*in:(o+1)*in])
					if withBias {
						want += bias[o]
					}
					if !sameBits(y[i*out+o], want) {
						t.Fatalf("Linear %v bias=%v: y[%d,%d] = %g, want %g", s, withBias, i, o, y[i*out+o], want)
					}
				}
			}
		}
	}
}

// TestLinearCols splits products into column ranges (empty, one column,
// odd cuts, all) and checks that each call writes exactly its columns of
// Linear's output, bit for bit, and nothing else: the other columns keep
// their guard pattern until their own call writes them.
func TestLinearCols(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][3]int{{1, 96, 256}, {4, 256, 768}, {3, 33, 7}, {8, 288, 96}, {2, 17, 1}, {5, 1280, 256}} {
		m, in, out := s[0], s[1], s[2]
		x := randF32(r, m*in, 1)
		w := randF32(r, out*in, 1)
		bias := randF32(r, out, 1)
		want := make([]float32, m*out)
		Linear(want, x, w, bias, m, in, out)
		for _, cuts := range [][]int{{0, out}, {0, out / 2, out}, {0, 0, 1 % (out + 1), out}, {0, out / 3, out/3 + 5%(out-out/3+1), out}} {
			off := r.IntN(4)
			buf, y := guarded(m*out, off)
			for c := 0; c+1 < len(cuts); c++ {
				j0, j1 := cuts[c], cuts[c+1]
				LinearCols(y, x, w, bias, m, in, out, j0, j1)
				checkCols(t, fmt.Sprintf("LinearCols %v", s), y, want, m, out, j0, j1)
			}
			checkGuard(t, buf, m*out, off, "LinearCols")
		}
	}
	for _, bad := range [][2]int{{-1, 2}, {3, 2}, {0, 9}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("LinearCols columns %v of 8 did not panic", bad)
				}
			}()
			LinearCols(make([]float32, 8), make([]float32, 1), make([]float32, 8), nil, 1, 1, 8, bad[0], bad[1])
		}()
	}
}

// checkCols fails the test unless y (m rows of out columns), after a call
// that computed its columns [j0, j1) when those before j0 were already
// done, holds want's bits in every column below j1 and the guard pattern
// from j1 on.
func checkCols(t *testing.T, name string, y, want []float32, m, out, j0, j1 int) {
	t.Helper()
	for i := range m {
		for j := range out {
			got := math.Float32bits(y[i*out+j])
			switch {
			case j >= j0 && j < j1 && got != math.Float32bits(want[i*out+j]):
				t.Fatalf("%s: cols [%d,%d): y[%d,%d] = %g, want %g", name, j0, j1, i, j, y[i*out+j], want[i*out+j])
			case j >= j1 && got != guardBits:
				t.Fatalf("%s: cols [%d,%d) wrote column %d of row %d", name, j0, j1, j, i)
			}
		}
	}
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][2]int{{0, 0}, {1, 1}, {1, 7}, {7, 1}, {5, 9}, {16, 16}, {33, 17}, {8, 3}, {16, 40}, {70, 9}, {9, 70}} {
		m, n := s[0], s[1]
		a := randF32(r, m*n, 1)
		buf, d := guarded(m*n, 3)
		Transpose(d, a, m, n)
		checkGuard(t, buf, m*n, 3, "Transpose")
		for i := range m {
			for j := range n {
				if !sameBits(d[j*m+i], a[i*n+j]) {
					t.Fatalf("Transpose %dx%d wrong at %d,%d", m, n, i, j)
				}
			}
		}
	}
}
