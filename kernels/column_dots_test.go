package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestColumnDots compares columnDots, on every ISA that takes the shape,
// with its Go twin bit for bit: odd row strides and offsets, k from 16 to
// past 1000 (lanes of one to six rows, of whole segments of six and of a
// shorter last one), widths up to columnDotsMaxN, guard words around the
// output and around the lanes.
func TestColumnDots(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	forEachISA(t, func(t *testing.T) {
		for trial := range 400 {
			k := Lanes + r.IntN(80)
			switch trial % 4 {
			case 1:
				k = Lanes * (1 + r.IntN(8))
			case 2:
				k = 16 + r.IntN(1000)
			case 3:
				k = 96 * (1 + r.IntN(4)) // whole segments only
			}
			n := 16 * (1 + r.IntN(24))
			if trial%5 == 0 {
				n = 8 * (1 + r.IntN(8))
			}
			if trial == 0 {
				n = columnDotsMaxN
			}
			if !columnDotsFits(n, k) {
				continue
			}
			ldb := n + r.IntN(9)
			off := r.IntN(5)
			a := nastyVec(r, k+off)[off:]
			b := nastyVec(r, (k-1)*ldb+n+off)[off:]
			want := make([]float32, n)
			columnDotsGeneric(want, a, b, ldb, n, k)
			cbuf, got := guarded(n, off)
			abuf, acc := guarded(Lanes*n, r.IntN(3))
			accOff := len(abuf) - len(acc) - 2*guardWords
			columnDotsInto(got, acc, a, b, ldb, n, k)
			what := fmt.Sprintf("n=%d k=%d ldb=%d", n, k, ldb)
			checkGuard(t, cbuf, n, off, what+" c")
			checkGuard(t, abuf, Lanes*n, accOff, what+" acc")
			for j := range n {
				if !sameBits(got[j], want[j]) {
					t.Fatalf("%s: c[%d] = %g, want %g", what, j, got[j], want[j])
				}
			}
		}
	})
}
