//go:build !purego

package arith

import (
	"math"
	"slices"
	"testing"
)

// TestQuantizeAVX512 compares the assembly leaf with quantizeGo, its
// specification, bit for bit: on every test distribution, on subnormals,
// ties for the largest entry, entries 2^32 and more below it, and the
// largest possible values; and checks that it declines, writing nothing,
// exactly the inputs the Go code must see (a sign bit, NaN, Inf, all zero).
func TestQuantizeAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := newRand(7)
	probs := make([]float32, 256)
	want, got := make([]uint32, 256), make([]uint32, 256+32)
	check := func(name string, declines bool) {
		t.Helper()
		const guard = 0xdeadbeef
		for i := range got {
			got[i] = guard
		}
		out := got[16 : 16+256]
		ok := quantizeAVX512(&probs[0], &out[0])
		for i := range 16 {
			if got[i] != guard || got[16+256+i] != guard {
				t.Fatalf("%s: wrote outside freqs", name)
			}
		}
		if declines {
			if ok {
				t.Fatalf("%s: the leaf took an input the Go code must handle", name)
			}
			if slices.ContainsFunc(out, func(f uint32) bool { return f != guard }) {
				t.Fatalf("%s: declined, but wrote freqs", name)
			}
			return
		}
		if !ok {
			t.Fatalf("%s: the leaf declined a valid input", name)
		}
		if err := quantizeGo(probs, want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(out, want) {
			for i := range want {
				if out[i] != want[i] {
					t.Fatalf("%s: freqs[%d] = %d, want %d", name, i, out[i], want[i])
				}
			}
		}
	}
	for kind := range numDistKinds {
		for range 300 {
			randomProbs(rng, kind, probs)
			check("random", false)
		}
	}
	// Ties for the largest entry: the remainder goes to the first.
	for range 100 {
		randomProbs(rng, distRandom, probs)
		top := float32(1.5)
		for range 1 + rng.IntN(4) {
			probs[rng.IntN(256)] = top
		}
		check("ties", false)
	}
	// Subnormals only, and subnormals beside normals.
	for range 100 {
		for i := range probs {
			probs[i] = math.Float32frombits(rng.Uint32N(1 << 23))
		}
		check("subnormal", false)
		probs[rng.IntN(256)] = math.Float32frombits(1 << 23)
		check("subnormal and normal", false)
	}
	for i := range probs {
		probs[i] = 0
	}
	probs[200] = math.Float32frombits(1)
	check("one smallest subnormal", false)
	for i := range probs {
		probs[i] = math.MaxFloat32
	}
	check("all largest", false)
	probs[3] = math.SmallestNonzeroFloat32
	probs[4] = 0
	check("extremes", false)

	// Declined: every entry zero; a sign bit (−0 included), NaN or Inf anywhere.
	clear(probs)
	check("all zero", true)
	for _, bad := range []float32{float32(math.Copysign(0, -1)), -1, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		for _, at := range []int{0, 137, 255} {
			randomProbs(rng, distRandom, probs)
			probs[at] = bad
			check("bad entry", true)
		}
	}
}

// TestCumulativeAVX512 compares the assembly sums of Cumulative.Set with
// setGo, its specification: the 256 prefix sums modulo 2^32 and the 64-bit
// total, on valid tables, on tables that sum to too little or too much, and
// on ones whose 32-bit sums wrap; with guards around the table.
func TestCumulativeAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := newRand(8)
	freqs := make([]uint32, 256)
	for rep := range 600 {
		switch rep % 4 {
		case 0, 1:
			copy(freqs, randomFreqs(t, rng, distKind(rep%int(numDistKinds))))
		case 2:
			for i := range freqs {
				freqs[i] = rng.Uint32N(1 << 17)
			}
		case 3:
			for i := range freqs {
				freqs[i] = rng.Uint32()
			}
		}
		var want Cumulative
		wantSum := want.setGo(freqs)
		buf := make([]uint32, 257+32)
		for i := range buf {
			buf[i] = 0xdeadbeef
		}
		got := buf[16 : 16+257]
		sum := cumulativeAVX512(&got[0], &freqs[0])
		if sum != wantSum {
			t.Fatalf("rep %d: total %d, want %d", rep, sum, wantSum)
		}
		for i := range 256 {
			if got[i] != want.c[i] {
				t.Fatalf("rep %d: c[%d] = %d, want %d", rep, i, got[i], want.c[i])
			}
		}
		if got[256] != uint32(wantSum) {
			t.Fatalf("rep %d: c[256] = %d, want %d", rep, got[256], uint32(wantSum))
		}
		for i := range 16 {
			if buf[i] != 0xdeadbeef || buf[16+257+i] != 0xdeadbeef {
				t.Fatalf("rep %d: wrote outside the table", rep)
			}
		}
	}
}
