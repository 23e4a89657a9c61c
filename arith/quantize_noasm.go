//go:build !amd64 || purego

package arith

// quantizeLeaf is the assembly leaf's place on builds without it: Quantize
// runs in Go.
func quantizeLeaf(probs []float32, freqs []uint32) bool { return false }

// cumulativeLeaf is the assembly leaf's place on builds without it.
func cumulativeLeaf(*[257]uint32, []uint32) (uint64, bool) { return 0, false }
