package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// LayerNormBackwardRows is LayerNormBackward row by row, bit for bit, on
// every instruction set.
func TestLayerNormBackwardRows(t *testing.T) {
	defer func(l isaLevel) { isa = l }(isa)
	for _, l := range isaLevels {
		isa = l
		rng := rand.New(rand.NewPCG(31, 32))
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {5, 16}, {2, 32}, {9, 96}, {3, 256}, {1, 384}, {4, 257}} {
			rows, n := sh[0], sh[1]
			t.Run(fmt.Sprintf("%v/rows%d_n%d", l, rows, n), func(t *testing.T) {
				x := randF32(rng, rows*n, 2)
				dy := randF32(rng, rows*n, 1)
				g := randF32(rng, n, 1)
				dg0 := randF32(rng, n, 1)
				db0 := randF32(rng, n, 1)

				want := make([]float32, rows*n)
				wdg := append([]float32(nil), dg0...)
				wdb := append([]float32(nil), db0...)
				for r := range rows {
					LayerNormBackward(want[r*n:(r+1)*n], wdg, wdb, dy[r*n:(r+1)*n], x[r*n:(r+1)*n], g, 1e-5)
				}
				buf, got := guarded(rows*n, 1)
				dgBuf, dg := guarded(n, 2)
				dbBuf, db := guarded(n, 3)
				copy(dg, dg0)
				copy(db, db0)
				LayerNormBackwardRows(got, dg, db, dy, x, g, rows, n, 1e-5, randF32(rng, LayerNormBackwardScratch(n), 9))
				checkGuard(t, buf, rows*n, 1, "LayerNormBackwardRows")
				checkGuard(t, dgBuf, n, 2, "LayerNormBackwardRows dg")
				checkGuard(t, dbBuf, n, 3, "LayerNormBackwardRows db")
				same := func(what string, a, b []float32) {
					for i := range a {
						if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
							t.Fatalf("%s[%d] = %v, want %v", what, i, a[i], b[i])
						}
					}
				}
				same("dx", got, want)
				same("dg", dg, wdg)
				same("db", db, wdb)

				// Without db.
				dg2 := append([]float32(nil), dg0...)
				LayerNormBackwardRows(got, dg2, nil, dy, x, g, rows, n, 1e-5, make([]float32, LayerNormBackwardScratch(n)))
				same("dx (no db)", got, want)
				same("dg (no db)", dg2, wdg)
			})
		}
	}
}
