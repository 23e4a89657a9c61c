package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxScaled checks softmaxScaled and Softmax against their
// definitions in pure Go (scale, then Max, Exp, Sum and the division) and
// the fused leaves against their pure-Go twins, bit for bit, for every ISA, over lengths 0…1000 with guards around the row:
// scores of every size, rows whose scaled maximum is ±0, rows with NaN
// (ignored by the maximum, passed on by the exponentials), ±Inf and
// subnormals; rows of one vector many times over.
func TestSoftmaxScaled(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	maxLen := 1000
	if testing.Short() {
		maxLen = 300
	}
	var lengths []int
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
		if n >= 1 && n <= Lanes {
			// One vector: AVX-512 runs the whole row in one leaf.
			for range 24 {
				lengths = append(lengths, n)
			}
		}
	}
	for n := 41; n <= maxLen; n += 1 + r.IntN(37) {
		lengths = append(lengths, n)
	}
	row := func(n int) []float32 {
		x := nastyVec(r, n)
		switch r.IntN(6) {
		case 0: // all zeros of both signs: the maximum is ±0
			for i := range x {
				x[i] = float32(math.Copysign(0, r.Float64()-0.5))
			}
		case 1:
			if n > 0 {
				x[r.IntN(n)] = float32(math.NaN())
			}
		case 2:
			if n > 0 {
				x[r.IntN(n)] = float32(math.Inf(2*r.IntN(2) - 1))
			}
		}
		return x
	}
	forEachISA(t, func(t *testing.T) {
		for _, n := range lengths {
			for _, scale := range []float32{0.125, 1 / float32(math.Sqrt(48)), -3, 1e-30} {
				name := fmt.Sprintf("n=%d scale=%g", n, scale)
				x := row(n)
				// The definition, in pure Go.
				isaInTest := isa
				isa = isaLevels[0]
				want := append([]float32(nil), x...)
				for i := range want {
					want[i] *= scale
				}
				Softmax(want, want)
				wantUnscaled := make([]float32, n)
				Softmax(wantUnscaled, x)
				isa = isaInTest
				gotUnscaled := make([]float32, n)
				Softmax(gotUnscaled, x)
				checkSameBits(t, name+": Softmax", gotUnscaled, wantUnscaled)
				off := r.IntN(4)
				buf, got := guarded(n, off)
				copy(got, x)
				softmaxScaled(got, scale)
				checkGuard(t, buf, n, off, name)
				checkSameBits(t, name+": softmaxScaled", got, want)

				// The fused leaf against its twin, from the same accumulators.
				var acc, accWant [Lanes]float32
				sub := float32(r.NormFloat64() * 10)
				for l := range acc {
					acc[l] = float32(math.Abs(r.NormFloat64()))
				}
				accWant = acc
				buf, gd := guarded(n, off)
				wd := make([]float32, n)
				expSubSumBlocks(&acc, gd, x, sub)
				expSubSumGeneric(&accWant, wd, x, sub)
				checkGuard(t, buf, n, off, name+" expSubSumBlocks")
				checkSameBits(t, name+": expSubSumBlocks dst", gd, wd)
				checkSameBits(t, name+": expSubSumBlocks acc", acc[:], accWant[:])
			}
		}
	})
}

// checkSameBits fails the test at the first element where got and want
// differ in bits.
func checkSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if !sameBits(got[i], want[i]) {
			t.Fatalf("%s[%d] = %g (%#x), want %g (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
