package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLinearWeights checks that products through a pack give Linear's and
// LinearCols's bits on the matrix itself, write nothing outside their
// columns, for every ISA the pack is made with and every ISA it is used
// with (a pack made with AVX-512 blocks and used by AVX2 kernels reads
// them 16 columns at a time), at shapes the vertical kernels take and
// shapes they do not, with the packed path forced for every row count and
// with the dispatch's own choice.
func TestLinearWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	savedISA, savedAlways := isa, packedAlways
	defer func() { isa, packedAlways = savedISA, savedAlways }()
	shapes := [][2]int{{96, 96}, {96, 384}, {384, 96}, {256, 256}, {32, 264}, {16, 8}, {16, 40}, {48, 24}, {33, 7}, {16, 5}, {400, 16}}
	rows := []int{1, 2, 3, 8, 9, 33, 128}
	if testing.Short() {
		rows = []int{1, 3, 9, 33}
	}
	for _, sh := range shapes {
		in, out := sh[0], sh[1]
		w := nastyVec(r, in*out)
		bias := randF32(r, out, 1)
		for _, packISA := range isaLevels {
			isa = packISA
			lw := PackLinear(w, in, out)
			for _, useISA := range isaLevels {
				for _, always := range []bool{true, false} {
					isa, packedAlways = useISA, always
					for _, m := range rows {
						name := fmt.Sprintf("%dx%dx%d/pack=%v/use=%v/always=%v", m, out, in, packISA, useISA, always)
						x := nastyVec(r, m*in)
						for _, b := range [][]float32{bias, nil} {
							want := make([]float32, m*out)
							Linear(want, x, w, b, m, in, out)
							off := r.IntN(4)
							buf, y := guarded(m*out, off)
							lw.Linear(y, x, b, m)
							checkGuard(t, buf, m*out, off, name)
							for i := range want {
								if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
									t.Fatalf("%s: Linear y[%d] = %g, want %g", name, i, y[i], want[i])
								}
							}
							// Column cuts at odd places and at blocks.
							for _, cuts := range [][]int{{0, out / 2, out}, {0, 1 % (out + 1), out/3 + 1, out}, {0, min(24, out), min(40, out), out}} {
								buf, y := guarded(m*out, off)
								for c := 0; c+1 < len(cuts); c++ {
									j0, j1 := cuts[c], cuts[c+1]
									lw.LinearCols(y, x, b, m, j0, j1)
									checkCols(t, name, y, want, m, out, j0, j1)
								}
								checkGuard(t, buf, m*out, off, name+" cols")
							}
						}
					}
				}
			}
		}
	}
}

// TestPackLinearPanics checks the shape checks of PackLinear and of the
// column range.
func TestPackLinearPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"short weights": func() { PackLinear(make([]float32, 5), 2, 3) },
		"negative in":   func() { PackLinear(nil, -1, 3) },
		"bad columns": func() {
			PackLinear(make([]float32, 8), 1, 8).LinearCols(make([]float32, 8), make([]float32, 1), nil, 1, 3, 2)
		},
		"past the end": func() {
			PackLinear(make([]float32, 8), 1, 8).LinearCols(make([]float32, 8), make([]float32, 1), nil, 1, 0, 9)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
