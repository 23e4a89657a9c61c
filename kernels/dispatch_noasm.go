//go:build !amd64 || purego

package kernels

// isaLevel names one implementation of the leaf kernels; without assembly
// there is only the pure-Go one.
type isaLevel int

const isaGeneric isaLevel = 0

func (isaLevel) String() string { return "generic" }

// isa is the level in use (always generic here); tests set it like on amd64.
var isa = isaGeneric

// isaLevels lists every level this build can run.
var isaLevels = []isaLevel{isaGeneric}

func dotVec(x, y []float32) float32 { return dotGeneric(x, y) }

func matMulTStrided(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, n, k int) {
	checkStrided(c, ldc, a, lda, b, ldb, m, n, k)
	matMulTGeneric(c, ldc, a, lda, b, ldb, m, n, k)
}

func matMulTVertical([]float32, int, []float32, int, []float32, int, int, int, int) bool {
	return false
}

func verticalFits(m, n, k int) bool { return false }

func matMulVertical([]float32, int, []float32, int, []float32, int, int, int, int) {
	panic("kernels: no vertical kernels in this build")
}

func transposeStrips([]float32, int, []float32, int, int, int) (m8, n8 int) { return 0, 0 }

func axpyVec(y []float32, a float32, x []float32) { axpyGeneric(y, a, x[:len(y)]) }

func addVec(y, x []float32) { addGeneric(y, x[:len(y)]) }

func sumBlocks(acc *[Lanes]float32, x []float32) { sumBlocksGeneric(acc, x) }

func xorBlocks(acc *[Lanes]uint32, x []uint32) { xorBlocksGeneric(acc, x) }

func xorRows(acc *[Lanes]uint32, x []uint32, rows, rowLen int) {
	xorRowsGeneric(acc, x, rows, rowLen)
}

func maxBlocks(acc *[Lanes]float32, x []float32) { maxBlocksGeneric(acc, x) }

func divVec(dst, x []float32, d float32) { divGeneric(dst, x[:len(dst)], d) }

func subVec(dst, x []float32, s float32) { subGeneric(dst, x, s) }

func normAffine(d, g, b []float32, r float32) { normAffineGeneric(d, g, b, r) }

func expSubVec(dst, x []float32, sub float32) { expSubGeneric(dst, x[:len(dst)], sub) }

func geluVec(x []float32) { geluGeneric(x) }

func geluBackwardVec(dx, dy, x, scratch []float32) { geluBackwardGeneric(dx, dy, x, scratch) }

func verticalInPlaceFits(m, n, k int) bool { return false }

func columnDotsFits(n, k int) bool { return false }

func layerNormRowsVec(_, _, _, _ []float32, _ int, _ float32) bool { return false }

func layerNormBackwardRowsVec(_, _, _, _, _, _, _ []float32, _, _ int, _ float32) bool { return false }

func columnDots(c, a, b []float32, ldb, n, k int) { columnDotsGeneric(c, a, b, ldb, n, k) }

func columnDotsInto(c, _, a, b []float32, ldb, n, k int) { columnDotsGeneric(c, a, b, ldb, n, k) }

func matMulVerticalInPlace([]float32, int, []float32, int, []float32, int, int, int, int) {
	panic("kernels: no vertical kernels in this build")
}

func chunkWidth() int { return 8 }

func chunkDot(out, p, values []float32, stride int) { chunkDotGeneric(out, p, values, stride) }

func fusedSoftmax(int) bool { return false }

func softmaxLeaf([]float32, float32) bool { return false }

func expSubSumBlocks(acc *[Lanes]float32, dst, x []float32, sub float32) {
	expSubSumGeneric(acc, dst, x, sub)
}

// verticalPack packs nothing without the vertical kernels.
type verticalPack struct{}

func packVertical([]float32, int, int) verticalPack { return verticalPack{} }

func passHalfFits(int, int) bool { return false }

func floatRowsFirst(int, int) bool { return false }

func (*verticalPack) takes(int) bool { return false }

func passHalfCols() int { return 0 }

func passHalfRows() int { return 1 }

func matMulTPassHalf([]float32, int, []float32, int, []uint16, []float32, int, int, int, int, int) {
	panic("kernels: no binary16 kernels in this build")
}

func (*verticalPack) matMulT(_ []float32, _ int, _ []float32, _ int, _, j0, _ int) (lo, hi int) {
	return j0, j0
}

// packedAlways is there for the tests; nothing is packed in this build.
var packedAlways = false

func keyDotsHalf(s []float32, n int, q []float32, keys, _, _ []uint16) {
	keyDotsHalfGeneric(s, n, q, keys)
}

func chunkDotHalf(out, p []float32, values []uint16, stride int) {
	chunkDotHalfGeneric(out, p, values, stride)
}

func roundHalfVec(x []float32) { roundHalfGeneric(x) }

func halfBitsVec(dst []uint16, x []float32) { halfBitsGeneric(dst, x[:len(dst)]) }

func halfProducts(int) bool { return false }

func halfLinear(int, int) bool { return false }

// avx2HalfMinWeights is dispatch_amd64.go's threshold, which tests set;
// nothing reads it without the assembly.
var avx2HalfMinWeights = 1 << 16

func matMulTHalf([]float32, int, []float32, int, []uint16, int, int, int, int) {
	panic("kernels: no binary16 kernels in this build")
}

// ShortAttentionFast reports whether ShortAttentionStep runs as one
// assembly leaf: never in this build.
func ShortAttentionFast(heads, dim int) bool { return false }

func shortAttentionLeaf(_, _, _, _, _ []float32, _, _, _ int) bool { return false }

func scatterHalfVec([]uint16, []float32) int { return 0 }

func exactHalvesLeaf([]uint16, []float32) (exact, ok bool) { return false, false }

// ISA names the implementation of the leaf kernels in use: in this build
// (-tags purego, or an architecture without assembly) always "generic",
// pure Go.
func ISA() string { return "generic" }

func adamWVec(p, g, m, v []float32, c AdamWCoefs) { adamWGeneric(p, g, m, v, c) }
