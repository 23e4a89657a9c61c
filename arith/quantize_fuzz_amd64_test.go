//go:build !purego

package arith

import (
	"math"
	"slices"
	"testing"
)

// FuzzQuantizeAgree gives quantizeAVX512 fuzzer-made distributions of 256
// entries — each byte an exponent and a few mantissa bits, so that
// subnormals, ties, huge ratios and exact zeros all come up, a byte of 255
// a negative entry or NaN — and fails unless it declines exactly what
// quantizeGo must see and otherwise writes quantizeGo's frequencies, and
// nothing outside them.
func FuzzQuantizeAgree(f *testing.F) {
	f.Add([]byte{127})
	f.Add([]byte{1, 2, 3, 4, 130, 0, 0, 0, 200})
	f.Add([]byte{0, 0, 0, 255})
	f.Add([]byte{254, 254, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if !useAVX512 || len(data) == 0 {
			return
		}
		probs := make([]float32, 256)
		for i := range probs {
			b := data[i%len(data)]
			switch {
			case b == 255 && i%2 == 0:
				probs[i] = float32(math.NaN())
			case b == 255:
				probs[i] = -1
			default:
				// b's low 7 bits pick the exponent, from the subnormals up to
				// 2^64; its top bit and i a few mantissa bits.
				bits := uint32(b&0x7f)<<24 | uint32(b>>7)<<22 | uint32(i%4)<<20
				if b&0x7f == 0 {
					bits = uint32(i%3) << 10 // +0 or subnormals
				}
				probs[i] = math.Float32frombits(bits)
			}
		}
		want := make([]uint32, 256)
		errGo := quantizeGo(probs, want)
		const guard = 0xdeadbeef
		got := make([]uint32, 256+32)
		for i := range got {
			got[i] = guard
		}
		out := got[16 : 16+256]
		ok := quantizeAVX512(&probs[0], &out[0])
		if slices.ContainsFunc(got[:16], func(v uint32) bool { return v != guard }) ||
			slices.ContainsFunc(got[16+256:], func(v uint32) bool { return v != guard }) {
			t.Fatal("wrote outside freqs")
		}
		if !ok {
			if slices.ContainsFunc(out, func(v uint32) bool { return v != guard }) {
				t.Fatal("declined, but wrote freqs")
			}
			return // the Go code handles it; Quantize then calls quantizeGo
		}
		if errGo != nil {
			t.Fatalf("the leaf took an input quantizeGo rejects (%v)", errGo)
		}
		if !slices.Equal(out, want) {
			t.Fatalf("freqs differ from quantizeGo's: %v, want %v", out, want)
		}
	})
}
