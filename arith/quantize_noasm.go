//go:build !amd64 || purego

package arith

// quantizeLeaf is the assembly leaf's place on builds without it: Quantize
// runs in Go.
func quantizeLeaf(probs []float32, freqs []uint32) bool { return false }
