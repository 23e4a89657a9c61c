//go:build !purego

package arith

import "golang.org/x/sys/cpu"

// useAVX512 reports whether Quantize runs its common case with
// quantizeAVX512, and Cumulative.Set its sums with cumulativeAVX512.
var useAVX512 = cpu.X86.HasAVX512F

// quantizeLeaf runs Quantize's common case (every entry finite and
// non-negative, not all zero) with the assembly leaf where the CPU has
// AVX-512, and reports whether it did; freqs are then set.
func quantizeLeaf(probs []float32, freqs []uint32) bool {
	return useAVX512 && quantizeAVX512(&probs[0], &freqs[0])
}

// cumulativeLeaf runs Cumulative.Set's sums with the assembly leaf where the
// CPU has AVX-512: c[s] = Σ freqs[:s] mod 2^32 for s ≤ 256, and the total in
// 64 bits. It reports whether it did.
func cumulativeLeaf(c *[257]uint32, freqs []uint32) (uint64, bool) {
	if !useAVX512 {
		return 0, false
	}
	return cumulativeAVX512(&c[0], &freqs[0]), true
}
