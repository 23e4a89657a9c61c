//go:build !purego

package kernels

import "testing"

// BenchmarkFMAPeak measures the fp32 FMA peak of one core: a loop of
// independent VFMADD231PS on 12 YMM (AVX2) or 24 ZMM (AVX-512) registers, so
// MatMulT's GFLOP/s can be stated as a fraction of it.
func BenchmarkFMAPeak(b *testing.B) {
	const iters = 1 << 16
	b.Run("isa=avx2", func(b *testing.B) {
		if !hasISA(isaAVX2) {
			b.Skip("no AVX2+FMA")
		}
		for b.Loop() {
			fmaPeakAVX2(iters)
		}
		reportGFLOPs(b, iters*12*8*2)
	})
	b.Run("isa=avx512", func(b *testing.B) {
		if !hasISA(isaAVX512) {
			b.Skip("no AVX-512F")
		}
		for b.Loop() {
			fmaPeakAVX512(iters)
		}
		reportGFLOPs(b, iters*24*16*2)
	})
}

func hasISA(l isaLevel) bool {
	for _, v := range isaLevels {
		if v == l {
			return true
		}
	}
	return false
}
