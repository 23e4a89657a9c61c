//go:build !purego

package arith

import "golang.org/x/sys/cpu"

// useAVX512 reports whether Quantize runs its common case with
// quantizeAVX512; tests clear it to force the Go code.
var useAVX512 = cpu.X86.HasAVX512F

// quantizeLeaf runs Quantize's common case (every entry finite and
// non-negative, not all zero) with the assembly leaf where the CPU has
// AVX-512, and reports whether it did; freqs are then set.
func quantizeLeaf(probs []float32, freqs []uint32) bool {
	return useAVX512 && quantizeAVX512(&probs[0], &freqs[0])
}
