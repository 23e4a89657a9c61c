//go:build !purego

package kernels

import (
	"math"
	"testing"
	"time"
)

// BenchmarkFMAPeak measures the fp32 FMA peak of one core: a loop of
// independent VFMADD231PS on 12 YMM (AVX2) or 24 ZMM (AVX-512) registers, so
// MatMulT's GFLOP/s can be stated as a fraction of it: GFLOP/s over the
// whole run, and best-GFLOP/s, the fastest call, which a busy host cannot
// lower.
func BenchmarkFMAPeak(b *testing.B) {
	const iters = 1 << 16
	for _, v := range []struct {
		name  string
		level isaLevel
		peak  func(int)
		flops float64 // per iteration: the kernel's chains × lanes × 2
	}{
		{"isa=avx2", isaAVX2, fmaPeakAVX2, 12 * 8 * 2},
		{"isa=avx512", isaAVX512, fmaPeakAVX512, 24 * 16 * 2},
	} {
		b.Run(v.name, func(b *testing.B) {
			if !hasISA(v.level) {
				b.Skipf("no %v", v.level)
			}
			// best is the fastest call: another process holding the core
			// only ever lengthens a call, so the best is the peak, where
			// the mean of a busy host's run falls below it.
			best := time.Duration(math.MaxInt64)
			for b.Loop() {
				t0 := time.Now()
				v.peak(iters)
				best = min(best, time.Since(t0))
			}
			reportGFLOPs(b, iters*v.flops)
			b.ReportMetric(iters*v.flops/best.Seconds()/1e9, "best-GFLOP/s")
		})
	}
}

func hasISA(l isaLevel) bool {
	for _, v := range isaLevels {
		if v == l {
			return true
		}
	}
	return false
}
