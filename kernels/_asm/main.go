// Command asm generates the amd64 assembly of package kernels with avo.
//
// Run it from package kernels with `go generate` (see kernels/generate.go),
// or by hand:
//
//	cd kernels/_asm && go run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -pkg kernels
//
// It also writes ../kernels_table_amd64.go, the Go table of the generated
// micro-kernels. With -set arith it writes package arith's integer leaf
// instead (see arith/generate.go). Every function follows the contract of package kernels
// (kernels/doc.go): element i of a reduction goes into lane i mod 16, each lane
// accumulates with one exactly rounded VFMADD231PS per element in increasing
// i, and the lanes are combined by the Reduce16 tree (fold the upper 256 bits
// onto the lower, then the upper 128, then the upper 64, then lane 1 onto
// lane 0). The AVX2 code keeps lanes 0-7 and 8-15 in two YMM registers; the
// AVX-512 code keeps all 16 in one ZMM register.
//
// The tail of a reduction (k mod 16 = r ≠ 0) must leave lanes r…15 exactly
// as they are. AVX-512 does it with merge-masked FMAs. AVX2 loads both
// operands with VMASKMOVPS (masked lanes read as +0, and nothing is read
// there) and ORs −0 into the masked lanes of one operand: the product of the
// masked lanes is then +0·(−0) = −0, and x + (−0) = x for every x, −0
// included. (A +0 product would turn a −0 lane into +0.)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"math"
	mathbits "math/bits"
	"os"
	"path/filepath"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// shape is one micro-kernel: R rows of A times C rows of B.
type shape struct{ R, C int }

// avx2Cmax and avx512Cmax give, for R = 1…4 rows, the widest kernel: the
// accumulators, the B registers and one A register fit in 16 YMM / 32 ZMM
// registers, and there are at least 8 independent accumulators where the
// shape allows (FMA latency 4 × 2 FMA ports). AVX2's one-row kernel
// (microAVX2Row) keeps both halves of its 7 outputs and of a: 16 YMM.
var (
	avx2Cmax   = [5]int{0, 7, 5, 3, 3}
	avx512Cmax = [5]int{0, 8, 8, 6, 6}
)

// gp are the general-purpose registers the kernels use: not SP, not BP (the
// frame pointer) and not R15 (clobbered by global data access in -dynlink
// builds).
var gp = []GPPhysical{RAX, RBX, RCX, RDX, RSI, RDI, R8, R9, R10, R11, R12, R13, R14}

// The tail tables. A static symbol cannot take an index register (RIP-relative
// addressing), so code loads the address of a table entry with LEAQ first.
var (
	// tailTab is the mask table, 16 × 0xffffffff then 16 × 0, followed at
	// byte negOff by the −0 table, 16 × 0 then 16 × 0x80000000. From entry
	// 16−r, the next 16 words of the first are the mask of the lanes below
	// r, and those of the second hold −0 exactly in the lanes at or above r.
	tailTab Mem
	// kmaskTab holds the uint16 (1<<r)−1 for r = 0…15: the AVX-512 tail mask.
	kmaskTab Mem
	// laneIdx is the VPERMPS index that gathers lanes 0, 4, 8, 12 into 0-3.
	laneIdx Mem
)

const negOff = 128

// maskedNegZero loads src into dst under the tail mask ym, with −0 in the
// lanes the mask leaves out (the −0 table at tab, from tailPtr, for lane
// half d): multiplied by anything finite they give −0, which adds to any
// accumulator without changing it (a +0 would turn a −0 lane into +0).
func maskedNegZero(src Mem, ym VecPhysical, tab GPPhysical, d int, dst VecPhysical) {
	VMASKMOVPS(src, ym, dst)
	VORPS(Mem{Base: tab, Disp: negOff + d}, dst, dst)
}

// tailPtr sets p = &tailTab[16 − r] from r = k mod 16 in rk (which it changes).
func tailPtr(rk, p GPPhysical) {
	NEGQ(rk)
	ADDQ(U8(16), rk)
	LEAQ(tailTab, p)
	LEAQ(Mem{Base: p, Index: rk, Scale: 4}, p)
}

func main() {
	table := flag.String("table", "../kernels_table_amd64.go", "file to write the Go table of micro-kernels to")
	set := flag.String("set", "kernels", "which package's functions to generate: kernels or arith")
	flag.Parse()
	if *set == "arith" {
		generateArith()
		return
	}
	ConstraintExpr("!purego")

	tailTab = GLOBL("tailTab", RODATA|NOPTR)
	for i := range 32 { // the assembler wants DATA in increasing order
		DATA(4*i, U32(map[bool]uint32{true: 0xffffffff}[i < 16]))
	}
	for i := range 32 {
		DATA(negOff+4*i, U32(map[bool]uint32{true: 0x80000000}[i >= 16]))
	}
	laneIdx = GLOBL("laneIdx", RODATA|NOPTR)
	for l := range 16 {
		DATA(4*l, U32(uint32(4*l%16)))
	}
	kmaskTab = GLOBL("kmaskTab", RODATA|NOPTR)
	for r := range 16 {
		DATA(2*r, U16(uint16(1<<r-1)))
	}

	dotAVX2()
	dotAVX512()
	var avx2, avx512 []shape
	for r := 1; r <= 4; r++ {
		for c := 1; c <= avx2Cmax[r]; c++ {
			avx2 = append(avx2, shape{r, c})
			if r == 1 {
				microAVX2Row(c, false)
				microAVX2Row(c, true)
				continue
			}
			microAVX2(r, c, false, false)
			microAVX2(r, c, true, false)
		}
		for c := 1; c <= avx2Cmax[r]; c++ {
			microAVX2(r, c, true, true)
		}
		for c := 1; c <= avx512Cmax[r]; c++ {
			avx512 = append(avx512, shape{r, c})
			microAVX512(r, c, false, false)
			microAVX512(r, c, true, false)
			microAVX512(r, c, true, true)
		}
	}
	verticalAVX2(1, 1)
	verticalAVX2(2, 1)
	verticalAVX2(1, 2)
	verticalPair("AVX2", 2, 8, ymm, 16)
	verticalPair("AVX512", 2, 16, zmm, 32)
	verticalPair("AVX512", 4, 16, zmm, 32)
	verticalHalf("AVX512", 4, 16)
	verticalHalf("AVX2", 2, 8)
	verticalRow512()
	transposeAVX2("transpose8AVX2", 1)
	transposeAVX2("transpose16AVX2", 2)
	peak("fmaPeakAVX2", 12, ymm, func(v VecPhysical) { VXORPS(v, v, v) })
	peak("fmaPeakAVX512", 24, zmm, func(v VecPhysical) { VPXORD(v, v, v) })
	axpyAVX2()
	columnDots("AVX2", 8, 8, ymm)
	rowPairs("AVX2")
	rowPairs("AVX512")
	for kb := 1; kb <= rowPairsShortBlocks; kb++ {
		rowPairsShortAVX2(kb)
	}
	columnDots("AVX512", 16, 8, zmm)
	addAVX2()
	sumBlocksAVX2()
	maxBlocksAVX2()
	xorBlocksProbe("AVX512")
	xorBlocksProbe("AVX2")
	for _, rows := range xorRowsCounts {
		xorRowsAVX512(rows)
	}
	divAVX2()
	subAVX2()
	normAffineAVX2()
	layerNormRowsAVX512()
	layerNormBackwardRowsAVX512()
	chunkDotAVX2(false)
	chunkDotAVX512(false)
	keyDotsHalfAVX2()
	keyDotsHalfPairsAVX2()
	keyDotsHalfAVX512()
	chunkDotAVX2(true)
	chunkDotAVX512(true)
	roundHalfAVX2()
	roundHalfAVX512()
	halfBitsAVX2()
	halfBitsAVX512()
	halvesExactAVX512()
	scatterHalfAVX2()
	vconsts = defineVConsts()
	expSubAVX2()
	geluAVX2()
	expSubAVX512()
	expSubSumAVX512()
	softmaxShortAVX512()
	softmaxLongAVX512()
	shortAttentionAVX512()
	geluAVX512()
	geluBackwardAVX2()
	geluBackwardAVX512()
	adamW("AVX2")
	adamW("AVX512")

	Generate()
	if err := writeTable(*table, avx2, avx512); err != nil {
		log.Fatal(err)
	}
}

func ymm(i int) VecPhysical {
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}
func xmm(i int) VecPhysical {
	return []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}[i]
}
func zmm(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
}

// reduce8 folds the 8 lanes of y (lane j already holds a[j] + a[j+8]) by the
// rest of the Reduce16 tree into lane 0 of x (the low half of y), using the
// XMM register tx as scratch.
func reduce8(y, x, tx VecPhysical) {
	VEXTRACTF128(U8(1), y, tx) // lanes 4-7
	VADDPS(tx, x, x)           // a[j] += a[j+4], j < 4
	VMOVHLPS(x, x, tx)         // lanes 2-3 to 0-1
	VADDPS(tx, x, x)           // a[j] += a[j+2], j < 2
	VMOVSHDUP(x, tx)           // lane 1 to 0
	VADDSS(tx, x, x)           // a[0] + a[1]
}

// reduce16 folds the 16 lanes of zmm(i) by the Reduce16 tree into lane 0
// of xmm(i), with ymm(t) as scratch (i, t < 16, VEX-encodable).
func reduce16(i, t int) {
	VEXTRACTF64X4(U8(1), zmm(i), ymm(t))
	VADDPS(ymm(t), ymm(i), ymm(i)) // a[j] += a[j+8]
	reduce8(ymm(i), xmm(i), xmm(t))
}

// maxFold folds the 16 lanes of zmm(i), none a NaN, by VMAXPS (exact in
// any order) into lane 0 of xmm(i), a zero of either sign made +0 by
// adding +0, with ymm(t) as scratch (i, t < 16): the lanes' part of Max.
func maxFold(i, t int) {
	VEXTRACTF64X4(U8(1), zmm(i), ymm(t))
	VMAXPS(ymm(t), ymm(i), ymm(i))
	VEXTRACTF128(U8(1), ymm(i), xmm(t))
	VMAXPS(xmm(t), xmm(i), xmm(i))
	VMOVHLPS(xmm(i), xmm(i), xmm(t))
	VMAXPS(xmm(t), xmm(i), xmm(i))
	VMOVSHDUP(xmm(i), xmm(t))
	VMAXSS(xmm(t), xmm(i), xmm(i))
	VXORPS(xmm(t), xmm(t), xmm(t))
	VADDSS(xmm(t), xmm(i), xmm(i)) // +0 for a zero of either sign
}

// dotAVX2 is Dot with lanes 0-7 in Y0 and 8-15 in Y1.
func dotAVX2() {
	TEXT("dotAVX2", NOSPLIT, "func(x, y []float32) float32")
	Pragma("noescape")
	Doc("dotAVX2 is Dot for AVX2+FMA: lanes 0-7 in Y0, lanes 8-15 in Y1.")
	xp := Load(Param("x").Base(), RSI)
	yp := Load(Param("y").Base(), RDI)
	n := RCX
	Load(Param("x").Len(), n)
	off, cnt := RAX, RDX
	VXORPS(Y0, Y0, Y0)
	VXORPS(Y1, Y1, Y1)
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, Y2)
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1, Disp: 32}, Y3)
	VFMADD231PS(Mem{Base: yp, Index: off, Scale: 1}, Y2, Y0)
	VFMADD231PS(Mem{Base: yp, Index: off, Scale: 1, Disp: 32}, Y3, Y1)
	ADDQ(U8(64), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U8(15), n)
	JZ(LabelRef("reduce"))
	tailPtr(n, cnt)
	for h, acc := range []VecPhysical{Y0, Y1} {
		d := 32 * h
		VMOVUPS(Mem{Base: cnt, Disp: d}, Y4)
		VMASKMOVPS(Mem{Base: xp, Index: off, Scale: 1, Disp: d}, Y4, Y2)
		maskedNegZero(Mem{Base: yp, Index: off, Scale: 1, Disp: d}, Y4, cnt, d, Y3)
		VFMADD231PS(Y3, Y2, acc)
	}
	Label("reduce")
	VADDPS(Y1, Y0, Y0) // a[j] += a[j+8]
	reduce8(Y0, X0, X1)
	VZEROUPPER() // before the SSE store: no AVX-SSE transition
	Store(X0, ReturnIndex(0))
	RET()
}

// dotAVX512 is Dot with the 16 lanes in Z0.
func dotAVX512() {
	TEXT("dotAVX512", NOSPLIT, "func(x, y []float32) float32")
	Pragma("noescape")
	Doc("dotAVX512 is Dot for AVX-512F: the 16 lanes in Z0.")
	xp := Load(Param("x").Base(), RSI)
	yp := Load(Param("y").Base(), RDI)
	n := RCX
	Load(Param("x").Len(), n)
	off, cnt := RAX, RDX
	VXORPS(Y0, Y0, Y0) // VEX zeroes the upper half of Z0 too
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, Z1)
	VFMADD231PS(Mem{Base: yp, Index: off, Scale: 1}, Z1, Z0)
	ADDQ(U8(64), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U8(15), n)
	JZ(LabelRef("reduce"))
	tailMask(n, cnt, K1)
	VMOVUPS_Z(Mem{Base: xp, Index: off, Scale: 1}, K1, Z1)
	VMOVUPS_Z(Mem{Base: yp, Index: off, Scale: 1}, K1, Z2)
	VFMADD231PS(Z2, Z1, K1, Z0)
	Label("reduce")
	VEXTRACTF64X4(U8(1), Z0, Y1)
	VADDPS(Y1, Y0, Y0) // a[j] += a[j+8]
	reduce8(Y0, X0, X1)
	VZEROUPPER() // before the SSE store: no AVX-SSE transition
	Store(X0, ReturnIndex(0))
	RET()
}

// prefetchBlocks is how many column blocks ahead the prefetching
// micro-kernels (mmAVX2pf_RxC, mmAVX512pf_RxC) prefetch rows of B.
const prefetchBlocks = 2

// microName returns the name of the R×C micro-kernel of isa ("AVX2",
// "AVX512", "hAVX512"), with "pf" for the prefetching one, and what its
// doc adds for the prefetch.
func microName(isa string, r, c int, prefetch bool) (name, what string) {
	if !prefetch {
		return kernelName(isa, r, c), ""
	}
	return kernelName(isa+"pf", r, c), fmt.Sprintf(", prefetching the rows of b %d column blocks ahead", prefetchBlocks)
}

// prefetchStart sets pf to the C rows of b prefetchBlocks column blocks
// after b0's, with ldb in bytes in ldbBytes.
func prefetchStart(c int, ldbBytes, b0, pf GPPhysical) {
	IMUL3Q(U32(prefetchBlocks*c), ldbBytes, pf)
	ADDQ(b0, pf)
}

// prefetchLines prefetches the given cache lines at pf and moves pf past
// step bytes.
func prefetchLines(pf GPPhysical, lines, step int) {
	for j := range lines {
		PREFETCHT0(Mem{Base: pf, Disp: 64 * j})
	}
	ADDQ(U32(step), pf)
}

const microSig = "func(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)"

// microHalfSig is microSig with b in binary16.
const microHalfSig = "func(c *float32, ldc int, a *float32, lda int, b *uint16, ldb int, k int)"

// kernelName is the name of the R×C micro-kernel of an instruction set.
func kernelName(isa string, r, c int) string { return fmt.Sprintf("mm%s_%dx%d", isa, r, c) }

// loadPointers loads the R row pointers of A and the C row pointers of B,
// whose elements are float32 or, with half, binary16.
func loadPointers(r, c int, half bool) (ap, bp []GPPhysical, off, cnt GPPhysical) {
	off, cnt = gp[0], gp[1]
	regs := gp[2:]
	ap, bp = regs[:r], regs[r:r+c]
	loadRowPointers(ap, "a", "lda", cnt)
	if half {
		loadRowPointersOf(bp, "b", "ldb", cnt, 2)
	} else {
		loadRowPointers(bp, "b", "ldb", cnt)
	}
	return ap, bp, off, cnt
}

// loadRowPointers sets ptr[i] to row i of the matrix at parameter base,
// whose row stride in floats is parameter stride, and leaves the stride in
// bytes in scratch (the prefetching micro-kernels use ldb's).
func loadRowPointers(ptr []GPPhysical, base, stride string, scratch GPPhysical) {
	loadRowPointersOf(ptr, base, stride, scratch, 4)
}

// loadRowPointersOf is loadRowPointers for elements of size bytes (2 or 4).
func loadRowPointersOf(ptr []GPPhysical, base, stride string, scratch GPPhysical, size int) {
	Load(Param(base), ptr[0])
	Load(Param(stride), scratch)
	SHLQ(U8(map[int]uint8{2: 1, 4: 2}[size]), scratch)
	for i := 1; i < len(ptr); i++ {
		LEAQ(Mem{Base: ptr[i-1], Index: scratch, Scale: 1}, ptr[i])
	}
}

// storeResults reduces the accumulators of an R×C block and stores
// c[i·ldc + j], up to four adjacent outputs of a row at a time (group).
func storeResults(r, c int, acc func(i, j int) VecPhysical, group func(accs []VecPhysical, dst Mem)) {
	cp, ldc := gp[2], gp[3]
	Load(Param("c"), cp)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	for i := range r {
		for j0 := 0; j0 < c; j0 += 4 {
			var accs []VecPhysical
			for j := j0; j < min(c, j0+4); j++ {
				accs = append(accs, acc(i, j))
			}
			group(accs, Mem{Base: cp, Disp: 4 * j0})
		}
		if i < r-1 {
			ADDQ(ldc, cp)
		}
	}
}

// quad returns four accumulators of a group, repeating the first for the
// missing ones (their results are not stored).
func quad(accs []VecPhysical) (a, b, c, d VecPhysical) {
	q := []VecPhysical{accs[0], accs[0], accs[0], accs[0]}
	copy(q, accs)
	return q[0], q[1], q[2], q[3]
}

// groupAVX2 finishes the Reduce16 tree of up to four YMM accumulators whose
// lane j already holds a[j] + a[j+8], with the four folds shared between
// them, and stores the results at dst[0…len(accs)). Y12–Y15 are scratch.
func groupAVX2(accs []VecPhysical, dst Mem) {
	a, b, c, d := quad(accs)
	t0, t1, t2, t3 := Y12, Y13, Y14, Y15
	VPERM2F128(U8(0x20), c, a, t0) // [a0-3 | c0-3]
	VPERM2F128(U8(0x31), c, a, t1) // [a4-7 | c4-7]
	VADDPS(t1, t0, t0)             // a[j] += a[j+4]: [a' | c']
	VPERM2F128(U8(0x20), d, b, t1)
	VPERM2F128(U8(0x31), d, b, t2)
	VADDPS(t2, t1, t1)            // [b' | d']
	VSHUFPS(U8(0x44), t1, t0, t2) // [a0 a1 b0 b1 | c0 c1 d0 d1]
	VSHUFPS(U8(0xee), t1, t0, t3) // [a2 a3 b2 b3 | c2 c3 d2 d3]
	VADDPS(t3, t2, t2)            // a[j] += a[j+2]: [u0 u1 u2 u3 | u4 u5 u6 u7]
	VSHUFPS(U8(0x88), t2, t2, t3) // [u0 u2 u0 u2 | u4 u6 u4 u6]
	VSHUFPS(U8(0xdd), t2, t2, t2) // [u1 u3 u1 u3 | u5 u7 u5 u7]
	VADDPS(t2, t3, t2)            // a[0] + a[1]: [a b a b | c d c d]
	switch len(accs) {
	case 1:
		VMOVSS(X14, dst)
	default:
		VMOVLPS(X14, dst)
	}
	if len(accs) > 2 {
		VEXTRACTF128(U8(1), t2, X15)
		if len(accs) == 3 {
			VMOVSS(X15, dst.Offset(8))
		} else {
			VMOVLPS(X15, dst.Offset(8))
		}
	}
}

// group512 finishes the Reduce16 tree of up to four ZMM accumulators, the
// four folds shared between them, and stores the results at
// dst[0…len(accs)). Z0–Z3 are scratch; Z4 holds the lane indices 0, 4, 8, 12.
func group512(accs []VecPhysical, dst Mem) {
	a, b, c, d := quad(accs)
	VSHUFF32X4(U8(0x44), b, a, Z0) // [a0-7 | b0-7]
	VSHUFF32X4(U8(0xee), b, a, Z1) // [a8-15 | b8-15]
	VADDPS(Z1, Z0, Z0)             // a[j] += a[j+8]
	VSHUFF32X4(U8(0x44), d, c, Z1)
	VSHUFF32X4(U8(0xee), d, c, Z2)
	VADDPS(Z2, Z1, Z1)
	VSHUFF32X4(U8(0x88), Z1, Z0, Z2) // [a0-3 | b0-3 | c0-3 | d0-3]
	VSHUFF32X4(U8(0xdd), Z1, Z0, Z3) // [a4-7 | b4-7 | c4-7 | d4-7]
	VADDPS(Z3, Z2, Z2)               // a[j] += a[j+4]
	VSHUFPS(U8(0x0e), Z2, Z2, Z3)    // lanes 2, 3 of each quarter to 0, 1
	VADDPS(Z3, Z2, Z2)               // a[j] += a[j+2]
	VMOVSHDUP(Z2, Z3)                // lane 1 to 0
	VADDPS(Z3, Z2, Z2)               // a[0] + a[1], in lanes 0, 4, 8, 12
	VPERMPS(Z2, Z4, Z2)              // to lanes 0-3
	switch len(accs) {
	case 4:
		VMOVUPS(X2, dst)
	default:
		VMOVSS(X2, dst)
		for j := 1; j < len(accs); j++ {
			VEXTRACTPS(U8(j), X2, dst.Offset(4*j))
		}
	}
}

// microAVX2 generates the R×C AVX2 micro-kernel. It runs the whole k loop
// twice, once for lanes 0-7 (bytes 0-31 of every 64-byte block) and once for
// lanes 8-15, so that each pass has R·C independent one-register
// accumulators; the first pass's accumulators wait on the stack and are
// added to the second's (a[j] + a[j+8], the first fold of the tree).
//
// With prefetch, it is mmAVX2pf_RxC, which also prefetches the rows of B of
// the column block prefetchBlocks ahead (see below). The prefetches help
// when B comes from L3 or memory and each column block is used once or
// twice (decoding: m ≤ 8), and cost when it is warm and reused by many
// row blocks (they evict the rows in use from L1), so matMulTStrided
// calls the prefetching kernel only on a column block's first row block.
//
// With half it is mmhAVX2pf_RxC (prefetching), b in binary16: each pass
// converts 8 elements of every row of B at a time (VCVTPH2PS, F16C) into
// registers that all R rows of A use, and off counts b's bytes, so that
// a's are at Scale 2. k must be a multiple of 16: there is no tail, since
// AVX2 has no masked 16-bit load to stop a last partial block from reading
// past the end of b.
func microAVX2(r, c int, prefetch, half bool) {
	isa, sig, what, feature := "AVX2", microSig, "", "AVX2+FMA"
	aScale, bStep := uint8(1), 64 // bytes of a row of B per 16 elements
	if half {
		isa, sig, what, feature = "hAVX2", microHalfSig, ", b in binary16 converted exactly on load; k is a positive multiple of 16", "AVX2+FMA+F16C"
		aScale, bStep = 2, 32
	}
	name, pfWhat := microName(isa, r, c, prefetch)
	what = pfWhat + what
	TEXT(name, 0, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d block c[i·ldc+j] = Dot(a row i, b row j), i < %d, j < %d (rows of length k at strides lda, ldb), with %s%s.",
		name, r, c, r, c, feature, what))
	bInRegs := r*c+c+1 <= 16
	if half && !bInRegs {
		panic("binary16 rows of B must fit in registers")
	}
	acc := func(i, j int) VecPhysical { return ymm(i*c + j) }
	var breg []VecPhysical
	if bInRegs {
		for j := range c {
			breg = append(breg, ymm(r*c+j))
		}
	}
	ya := ymm(15) // A row (main loop), scratch (tail)
	ym := ymm(14) // tail mask
	if !bInRegs && r*c+2 > 16 {
		panic("too many accumulators")
	}
	low := AllocLocal(32 * r * c)
	var bt Mem
	if !half {
		bt = AllocLocal(32 * c)
	}
	ap, bp, off, cnt := loadPointers(r, c, half)
	k := gp[2+r+c]
	// pf walks the memory that follows this block's C rows of B at
	// prefetchBlocks blocks ahead, C rows' 16 elements per iteration of the
	// first pass, so that the next calls of a column loop find their rows
	// of B in L1 (with small m the weights stream from L3 or memory, and
	// the demand misses of one call alone cannot keep enough lines in
	// flight). Prefetching never faults and changes no result.
	pf := gp[2+r+c+1]
	if prefetch {
		prefetchStart(c, cnt, bp[0], pf) // cnt = ldb in bytes
	}
	for h := range 2 {
		d := 32 * h // a's bytes of this half (and b's, in float32)
		bd := d * bStep / 64
		for i := range r {
			for j := range c {
				VXORPS(acc(i, j), acc(i, j), acc(i, j))
			}
		}
		XORQ(off, off)
		Load(Param("k"), cnt)
		SHRQ(U8(4), cnt)
		JZ(LabelRef(fmt.Sprintf("tail%d", h)))
		Label(fmt.Sprintf("loop%d", h))
		for j := range breg {
			src := Mem{Base: bp[j], Index: off, Scale: 1, Disp: bd}
			if half {
				VCVTPH2PS(src, breg[j])
			} else {
				VMOVUPS(src, breg[j])
			}
		}
		if prefetch && h == 0 {
			prefetchLines(pf, (c*bStep+63)/64, bStep*c)
		}
		for i := range r {
			VMOVUPS(Mem{Base: ap[i], Index: off, Scale: aScale, Disp: d}, ya)
			for j := range c {
				if bInRegs {
					VFMADD231PS(breg[j], ya, acc(i, j))
				} else {
					VFMADD231PS(Mem{Base: bp[j], Index: off, Scale: 1, Disp: d}, ya, acc(i, j))
				}
			}
		}
		ADDQ(U8(bStep), off)
		DECQ(cnt)
		JNZ(LabelRef(fmt.Sprintf("loop%d", h)))

		Label(fmt.Sprintf("tail%d", h))
		if !half {
			Load(Param("k"), k)
			ANDQ(U8(15), k)
			JZ(LabelRef(fmt.Sprintf("done%d", h)))
			maskedHalfAVX2(d, ap, bp, off, cnt, k, bt, ym, ya, acc)
		}
		Label(fmt.Sprintf("done%d", h))
		for i := range r {
			for j := range c {
				if h == 0 {
					VMOVUPS(acc(i, j), low.Offset(32*(i*c+j)))
				} else {
					VADDPS(low.Offset(32*(i*c+j)), acc(i, j), acc(i, j)) // a[j] += a[j+8]
				}
			}
		}
	}
	storeResults(r, c, acc, groupAVX2)
	VZEROUPPER()
	RET()
}

// maskedHalfAVX2 runs the R×C AVX2 FMAs of half d/32 (lanes d/4 …
// d/4+7) of the last, partial block of 16 (k mod 16 = r ≠ 0 in k, which it
// changes) at off: the lanes from r on are read from neither a nor b and
// add −0 (see maskedNegZero). b's masked rows go through the stack (bt, C
// rows of 32 bytes); ym and ya are scratch, and so is cnt.
func maskedHalfAVX2(d int, ap, bp []GPPhysical, off, cnt, k GPPhysical, bt Mem, ym, ya VecPhysical, acc func(i, j int) VecPhysical) {
	tailPtr(k, cnt)
	VMOVUPS(Mem{Base: cnt, Disp: d}, ym)
	for j := range bp {
		maskedNegZero(Mem{Base: bp[j], Index: off, Scale: 1, Disp: d}, ym, cnt, d, ya)
		VMOVUPS(ya, bt.Offset(32*j))
	}
	for i := range ap {
		VMASKMOVPS(Mem{Base: ap[i], Index: off, Scale: 1, Disp: d}, ym, ya)
		for j := range bp {
			VFMADD231PS(bt.Offset(32*j), ya, acc(i, j))
		}
	}
}

// microAVX2Row generates the 1×C AVX2 micro-kernel (C ≤ 7) in one pass
// over k: lanes 0–7 and 8–15 of each output have a register each (2C
// accumulators and two of a), where microAVX2 runs k twice and waits on
// the stack. One row of a is the one-row products' kernel, and there each
// output's k/8 FMAs are few beside the rest of its work. A partial last
// block goes through the stack as in microAVX2, one half after the other;
// the halves meet as microAVX2's do (a[j] + a[j+8], the first fold).
func microAVX2Row(c int, prefetch bool) {
	if 2*c+2 > 16 {
		panic("too many accumulators")
	}
	name, what := microName("AVX2", 1, c, prefetch)
	TEXT(name, 0, microSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the 1×%d block c[j] = Dot(a row 0, b row j), j < %d (rows of length k at stride ldb), with AVX2+FMA in one pass over k%s.",
		name, c, c, what))
	half := func(h, j int) VecPhysical { return ymm(h*c + j) } // lanes 8h…8h+7 of output j
	bt := AllocLocal(32 * c)
	ap, bp, off, cnt := loadPointers(1, c, false)
	k := gp[2+1+c]
	pf := gp[2+1+c+1]
	if prefetch {
		prefetchStart(c, cnt, bp[0], pf) // cnt = ldb in bytes
	}
	for h := range 2 {
		for j := range c {
			VXORPS(half(h, j), half(h, j), half(h, j))
		}
	}
	XORQ(off, off)
	Load(Param("k"), cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: ap[0], Index: off, Scale: 1}, Y14)
	VMOVUPS(Mem{Base: ap[0], Index: off, Scale: 1, Disp: 32}, Y15)
	if prefetch {
		prefetchLines(pf, c, 64*c)
	}
	for j := range c {
		VFMADD231PS(Mem{Base: bp[j], Index: off, Scale: 1}, Y14, half(0, j))
		VFMADD231PS(Mem{Base: bp[j], Index: off, Scale: 1, Disp: 32}, Y15, half(1, j))
	}
	ADDQ(U8(64), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))

	Label("tail")
	Load(Param("k"), k)
	ANDQ(U8(15), k)
	JZ(LabelRef("done"))
	for h := range 2 {
		if h > 0 {
			Load(Param("k"), k)
			ANDQ(U8(15), k)
		}
		maskedHalfAVX2(32*h, ap, bp, off, cnt, k, bt, Y14, Y15, func(_, j int) VecPhysical { return half(h, j) })
	}
	Label("done")
	for j := range c {
		VADDPS(half(1, j), half(0, j), half(0, j)) // a[j] += a[j+8]
	}
	storeResults(1, c, func(_, j int) VecPhysical { return half(0, j) }, groupAVX2)
	VZEROUPPER()
	RET()
}

// quadLanes are the lanes of a quad, and quadOrder the order the quads
// (named by their first lane) are summed in, for the vertical kernels. The
// Reduce16 tree, written as sums of quads, is
//
//	c_l = (a_l + a_{l+8}) + (a_{l+4} + a_{l+12})   (l = 0…3: the first two folds)
//	sum = (c_0 + c_2) + (c_1 + c_3)                (the last two)
//
// so a kernel that accumulates one quad of lanes at a time needs to keep at
// most two partial sums per output: c_0 (then c_0 + c_2) and c_1.
var (
	quadLanes = [4]int{0, 8, 4, 12}
	quadOrder = [4]int{0, 2, 1, 3}
)

// verticalAVX2 generates mmvAVX2_Rx8, which computes an R×8 block of a·b
// (b k×8 at row stride ldb) with the 8 outputs of a row in the 8 lanes of
// one YMM register ("vertical" accumulation): each of the contract's 16
// reduction lanes of an output is a register of its own, so the Reduce16
// tree is plain VADDPS between registers, with no shuffles, shared by the 8
// outputs. It finishes one quad of lanes at a time (see quadOrder), which
// keeps 4 accumulators and at most 2 partial sums per row. k must be a
// multiple of 16. Per element: one 32-byte load of b, shared by the R rows,
// and one VBROADCASTSS of a per row.
func verticalAVX2(r, v int) {
	name := fmt.Sprintf("mmvAVX2_%dx%d", r, 8*v)
	TEXT(name, NOSPLIT, microSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d block c[i·ldc+j] = Dot(a row i, column j of b), i < %d, j < %d, b k×%d at row stride ldb, k a multiple of 16, with AVX2+FMA, eight outputs per register.",
		name, r, 8*v, r, 8*v, 8*v))
	rv := r * v
	acc := func(x, i, u int) VecPhysical { return ymm(x*rv + i*v + u) }         // lane quadLanes[x] of the quad, row i, columns 8u…
	hold := func(h, i, u int) VecPhysical { return ymm(4*rv + h*rv + i*v + u) } // c_0 (+ c_2), c_1
	bc := ymm(6 * rv)
	bInRegs := r > 1
	bv := func(u int) VecPhysical { return ymm(6*rv + 1 + u) }
	if 6*rv+1+map[bool]int{true: v}[bInRegs] > 16 {
		panic("too many registers")
	}
	ap := gp[:r]
	bp, pq, off, cnt, t := gp[r], gp[r+1], gp[r+2], gp[r+3], gp[r+4]
	s4, s8, s12, s16 := gp[r+5], gp[r+6], gp[r+7], gp[r+8] // 4, 8, 12, 16 rows of b in bytes
	loadRowPointers(ap, "a", "lda", cnt)
	Load(Param("b"), bp)
	Load(Param("ldb"), s4)
	SHLQ(U8(4), s4) // 4 rows in bytes
	LEAQ(Mem{Base: s4, Index: s4, Scale: 1}, s8)
	LEAQ(Mem{Base: s8, Index: s4, Scale: 1}, s12)
	LEAQ(Mem{Base: s8, Index: s8, Scale: 1}, s16)
	Load(Param("k"), t)
	SHRQ(U8(4), t)
	for qi, l := range quadOrder {
		for x := range 4 {
			for i := range r {
				for u := range v {
					VXORPS(acc(x, i, u), acc(x, i, u), acc(x, i, u))
				}
			}
		}
		// pq = b + l rows: cnt holds one row in bytes.
		Load(Param("ldb"), cnt)
		SHLQ(U8(2), cnt)
		switch l {
		case 0:
			MOVQ(bp, pq)
		case 1:
			LEAQ(Mem{Base: bp, Index: cnt, Scale: 1}, pq)
		case 2:
			LEAQ(Mem{Base: bp, Index: cnt, Scale: 2}, pq)
		case 3:
			LEAQ(Mem{Base: bp, Index: cnt, Scale: 2}, pq)
			ADDQ(cnt, pq)
		}
		XORQ(off, off)
		MOVQ(t, cnt)
		loop := fmt.Sprintf("quad%d", l)
		Label(loop)
		for x, rows := range []GPPhysical{nil, s8, s4, s12} { // lanes l, l+8, l+4, l+12
			src := func(u int) Mem {
				if rows == nil {
					return Mem{Base: pq, Disp: 32 * u}
				}
				return Mem{Base: pq, Index: rows, Scale: 1, Disp: 32 * u}
			}
			if bInRegs {
				for u := range v {
					VMOVUPS(src(u), bv(u))
				}
			}
			for i := range r {
				VBROADCASTSS(Mem{Base: ap[i], Index: off, Scale: 1, Disp: 4 * (l + quadLanes[x])}, bc)
				for u := range v {
					if bInRegs {
						VFMADD231PS(bv(u), bc, acc(x, i, u))
					} else {
						VFMADD231PS(src(u), bc, acc(x, i, u))
					}
				}
			}
		}
		ADDQ(s16, pq)
		ADDQ(U8(64), off)
		DECQ(cnt)
		JNZ(LabelRef(loop))
		for i := range r {
			for u := range v {
				a0, a1, a2, a3 := acc(0, i, u), acc(1, i, u), acc(2, i, u), acc(3, i, u)
				VADDPS(a1, a0, a0) // a_l + a_{l+8}
				VADDPS(a3, a2, a2) // a_{l+4} + a_{l+12}
				VADDPS(a2, a0, a0) // c_l
				switch qi {
				case 0:
					VMOVAPS(a0, hold(0, i, u)) // c_0
				case 1:
					VADDPS(a0, hold(0, i, u), hold(0, i, u)) // c_0 + c_2
				case 2:
					VMOVAPS(a0, hold(1, i, u)) // c_1
				case 3:
					VADDPS(a0, hold(1, i, u), a0) // c_1 + c_3
					VADDPS(a0, hold(0, i, u), a0) // (c_0 + c_2) + (c_1 + c_3)
				}
			}
		}
	}
	storeVertical(r, v, 8, func(i, u int) VecPhysical { return acc(0, i, u) })
	VZEROUPPER()
	RET()
}

// storeVertical stores the r×wv outputs of a vertical kernel (w floats per
// register), register out(i, u) at c[i·ldc + wu…]. It takes RAX and RBX, free once the k loops
// are done.
func storeVertical(r, v, w int, out func(i, u int) VecPhysical) {
	cp, ldc := gp[0], gp[1]
	Load(Param("c"), cp)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	for i := range r {
		for u := range v {
			VMOVUPS(out(i, u), Mem{Base: cp, Disp: 4 * w * u})
		}
		if i < r-1 {
			ADDQ(ldc, cp)
		}
	}
}

// pairOrder is the order in which verticalPair finishes the lane pairs
// {j, j+8} (b_j = a_j + a_{j+8}): the Reduce16 tree then needs at most
// three partial sums per output (S0, S1, S2 below).
var pairOrder = [8]int{0, 4, 2, 6, 1, 5, 3, 7}

// verticalPair generates the vertical r×(2w) block of an ISA whose vectors
// hold w floats (mmvAVX2_2x16, w = 8; mmvAVX512_2x32 and mmvAVX512_4x32,
// w = 16): r rows of a (2 or 4) against two w-column vectors of b, so that
// each broadcast of a feeds two FMAs and each load of b r FMAs: one load
// per FMA with two rows, three per four FMAs with four. Only two lanes are
// in flight per output (a pair {j, j+8}: 4r accumulators); the partial
// sums of the tree wait in S0, S1, S2, in registers where there are enough
// (two rows, 32 ZMM) and otherwise S1 and S2 on the stack.
func verticalPair(isa string, r, w int, reg func(int) VecPhysical, nregs int) {
	const v = 2
	name := fmt.Sprintf("mmv%s_%dx%d", isa, r, 2*w)
	frame := 0
	holdsInRegs := 4*r+2+r+2*r+4*r <= nregs
	if !holdsInRegs {
		frame = 2 * r * v * 4 * w
	}
	flags := NOSPLIT
	if frame > 0 {
		flags = 0
	}
	TEXT(name, flags, microSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d block c[i·ldc+j] = Dot(a row i, column j of b), i < %d, j < %d, b k×%d at row stride ldb, k a multiple of 16, with %s, %d outputs per register.",
		name, r, 2*w, r, 2*w, 2*w, map[string]string{"AVX2": "AVX2+FMA", "AVX512": "AVX-512F"}[isa], w))
	acc := func(x, i, u int) VecPhysical { return reg(x*2*r + i*2 + u) } // lane j+8x of the pair
	bv := func(u int) VecPhysical { return reg(4*r + u) }
	bc := func(i int) VecPhysical { return reg(4*r + 2 + i) }
	s0 := func(i, u int) VecPhysical { return reg(5*r + 2 + i*2 + u) }
	// hold(h) is S1 (h = 0) or S2 (h = 1): a register or a stack slot.
	var stack Mem
	if !holdsInRegs {
		stack = AllocLocal(frame)
	}
	hold := func(h, i, u int) Op {
		if holdsInRegs {
			return reg(7*r + 2 + h*2*r + i*2 + u)
		}
		return stack.Offset(4 * w * (h*r*v + i*v + u))
	}
	zero := func(x VecPhysical) { VXORPS(x, x, x) }
	if isa == "AVX512" {
		zero = func(x VecPhysical) { VPXORD(x, x, x) } // VXORPS on ZMM would need AVX512DQ
	}
	ap := gp[:r]
	bp, pq, off, cnt, t, s8, s16, ldb := gp[r], gp[r+1], gp[r+2], gp[r+3], gp[r+4], gp[r+5], gp[r+6], gp[r+7]
	loadRowPointers(ap, "a", "lda", cnt)
	Load(Param("b"), bp)
	Load(Param("ldb"), ldb)
	MOVQ(ldb, s8)
	SHLQ(U8(5), s8) // 8 rows in bytes
	LEAQ(Mem{Base: s8, Index: s8, Scale: 1}, s16)
	Load(Param("k"), t)
	SHRQ(U8(4), t)
	for pi, j := range pairOrder {
		for x := range 2 {
			for i := range r {
				for u := range v {
					zero(acc(x, i, u))
				}
			}
		}
		if j == 0 {
			MOVQ(bp, pq)
		} else {
			IMUL3Q(U32(4*j), ldb, pq) // j rows in bytes
			ADDQ(bp, pq)
		}
		XORQ(off, off)
		MOVQ(t, cnt)
		loop := fmt.Sprintf("pair%d", j)
		Label(loop)
		for x := range 2 { // lanes j, j+8
			for u := range v {
				if x == 0 {
					VMOVUPS(Mem{Base: pq, Disp: 4 * w * u}, bv(u))
				} else {
					VMOVUPS(Mem{Base: pq, Index: s8, Scale: 1, Disp: 4 * w * u}, bv(u))
				}
			}
			for i := range r {
				VBROADCASTSS(Mem{Base: ap[i], Index: off, Scale: 1, Disp: 4 * (j + 8*x)}, bc(i))
			}
			for i := range r {
				for u := range v {
					VFMADD231PS(bv(u), bc(i), acc(x, i, u))
				}
			}
		}
		ADDQ(s16, pq)
		ADDQ(U8(64), off)
		DECQ(cnt)
		JNZ(LabelRef(loop))
		foldPair(pi, r, v, acc, s0, hold)
	}
	storeVertical(r, v, w, func(i, u int) VecPhysical { return acc(0, i, u) })
	VZEROUPPER()
	RET()
}

// foldPair finishes the lane pair of pass pi (pairOrder[pi]) of the
// vertical kernels for r rows of v vectors: b_j = a_j + a_{j+8} from the
// pair's accumulators acc(0, ·) and acc(1, ·), folded into the Reduce16
// tree's partial sums S0 (s0) and S1, S2 (hold 0 and 1); after the last
// pass the result is in acc(0, ·).
func foldPair(pi, r, v int, acc func(x, i, u int) VecPhysical, s0 func(i, u int) VecPhysical, hold func(h, i, u int) Op) {
	for i := range r {
		for u := range v {
			bj := acc(0, i, u)
			VADDPS(acc(1, i, u), bj, bj) // b_j = a_j + a_{j+8}
			switch pi {
			case 0: // b_0
				VMOVAPS(bj, s0(i, u))
			case 1: // c_0 = b_0 + b_4
				VADDPS(bj, s0(i, u), s0(i, u))
			case 2: // b_2
				VMOVUPS(bj, hold(0, i, u))
			case 3: // d_0 = c_0 + (b_2 + b_6)
				VADDPS(hold(0, i, u), bj, bj)
				VADDPS(bj, s0(i, u), s0(i, u))
			case 4: // b_1
				VMOVUPS(bj, hold(0, i, u))
			case 5: // c_1 = b_1 + b_5
				VADDPS(hold(0, i, u), bj, bj)
				VMOVUPS(bj, hold(0, i, u))
			case 6: // b_3
				VMOVUPS(bj, hold(1, i, u))
			case 7: // e = d_0 + (c_1 + (b_3 + b_7))
				VADDPS(hold(1, i, u), bj, bj)
				VADDPS(hold(0, i, u), bj, bj)
				VADDPS(bj, s0(i, u), bj)
			}
		}
	}
}

// verticalHalf generates the vertical kernels with b in binary16 stored in
// pass order (the Go twin packPassHalf: for each lane pair {j, j+8} in
// pairOrder, the k/16 pairs of rows 16t+j and 16t+j+8 of the panel's 2w
// columns, one after the other), so that each pass reads one contiguous
// run and the eight passes the whole panel once: mmvhAVX512_4x32 (four
// rows of a, w = 16) and mmvhAVX2_2x16 (two rows, w = 8, F16C). Each
// broadcast of a feeds two FMAs and each load of b r; the tree's S1 and S2
// wait on the stack. Each pass prefetches the same bytes of the next
// panel, which the caller's next column block reads.
func verticalHalf(isa string, r, w int) {
	const v = 2
	name := fmt.Sprintf("mmvh%s_%dx%d", isa, r, v*w)
	reg, zero, cpuName := zmm, func(x VecPhysical) { VPXORD(x, x, x) }, "AVX-512F"
	if isa == "AVX2" {
		reg, zero, cpuName = ymm, func(x VecPhysical) { VXORPS(x, x, x) }, "AVX2+FMA+F16C"
	}
	TEXT(name, 0, "func(c *float32, ldc int, a *float32, lda int, b *uint16, k int, bias *float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d block c[i·ldc+j] = Dot(a row i, column j of b), i < %d, j < %d, b k×%d in binary16 in pass order (packPassHalf), k a multiple of 16, with %s, prefetching the same bytes of the next %d columns' panel; then, unless bias is nil, c[i·ldc+j] += bias[j], rounded once more as a separate addition.",
		name, r, v*w, r, v*w, v*w, cpuName, v*w))
	rowBytes := 2 * v * w // one row of the panel in binary16
	acc := func(x, i, u int) VecPhysical { return reg(x*2*r + i*2 + u) }
	bv := func(u int) VecPhysical { return reg(4*r + u) }
	bc := func(i int) VecPhysical { return reg(4*r + 2 + i) }
	s0 := func(i, u int) VecPhysical { return reg(5*r + 2 + i*2 + u) }
	stack := AllocLocal(2 * r * v * 4 * w)
	hold := func(h, i, u int) Op { return stack.Offset(4 * w * (h*r*v + i*v + u)) }
	ap := gp[:r]
	pq, off, cnt, t, next := gp[r], gp[r+1], gp[r+2], gp[r+3], gp[r+4]
	loadRowPointers(ap, "a", "lda", cnt)
	Load(Param("b"), pq)
	Load(Param("k"), t)
	MOVQ(t, next)
	SHLQ(U8(mathbits.TrailingZeros(uint(rowBytes))), next) // the panel's bytes: the next panel is that far on
	SHRQ(U8(4), t)
	for pi, j := range pairOrder {
		for x := range 2 {
			for i := range r {
				for u := range v {
					zero(acc(x, i, u))
				}
			}
		}
		XORQ(off, off)
		MOVQ(t, cnt)
		loop := fmt.Sprintf("pass%d", j)
		Label(loop)
		// The same bytes of the next panel, which the caller's next
		// column block reads: streamed from L3, the panels come in time.
		for l := 0; l < 2*rowBytes; l += 64 {
			PREFETCHT0(Mem{Base: pq, Index: next, Scale: 1, Disp: l})
		}
		for x := range 2 { // lanes j, j+8: rows 16t+j, 16t+j+8
			for u := range v {
				VCVTPH2PS(Mem{Base: pq, Disp: rowBytes*x + 2*w*u}, bv(u))
			}
			for i := range r {
				VBROADCASTSS(Mem{Base: ap[i], Index: off, Scale: 1, Disp: 4 * (j + 8*x)}, bc(i))
			}
			for i := range r {
				for u := range v {
					VFMADD231PS(bv(u), bc(i), acc(x, i, u))
				}
			}
		}
		ADDQ(U8(2*rowBytes), pq)
		ADDQ(U8(64), off)
		DECQ(cnt)
		JNZ(LabelRef(loop))
		foldPair(pi, r, v, acc, s0, hold)
	}
	// The bias, where there is one: c + bias rounded as its own addition,
	// as LinearCols adds it to a stored c.
	bp := gp[r]
	Load(Param("bias"), bp)
	TESTQ(bp, bp)
	JZ(LabelRef("store"))
	for u := range v {
		VMOVUPS(Mem{Base: bp, Disp: 4 * w * u}, bv(u))
	}
	for i := range r {
		for u := range v {
			VADDPS(bv(u), acc(0, i, u), acc(0, i, u))
		}
	}
	Label("store")
	storeVertical(r, v, w, func(i, u int) VecPhysical { return acc(0, i, u) })
	VZEROUPPER()
	RET()
}

// verticalRow512 generates mmvAVX512_1x16, the one-row vertical kernel of
// AVX-512: the 16 outputs of a row in the lanes of one ZMM register and
// each of the contract's 16 reduction lanes in an accumulator of its own
// (Z0–Z15), all in flight at once, so b is read in one pass; the Reduce16
// tree is then 15 VADDPS between the accumulators. Per element: one
// 64-byte load of b and one FMA with a broadcast of a. k must be a
// multiple of 16.
func verticalRow512() {
	const name = "mmvAVX512_1x16"
	TEXT(name, NOSPLIT, microSig)
	Pragma("noescape")
	Doc(name + " computes the 1×16 block c[j] = Dot(a row 0, column j of b), j < 16, b k×16 at row stride ldb, k a multiple of 16, with AVX-512F, the 16 outputs in one register.")
	acc := func(l int) VecPhysical { return zmm(l) }
	bv := func(l int) VecPhysical { return zmm(16 + l%8) }
	ap, bp, ldb, cnt := gp[0], gp[1], gp[2], gp[3]
	Load(Param("a"), ap)
	Load(Param("b"), bp)
	Load(Param("ldb"), ldb)
	SHLQ(U8(2), ldb) // one row of b in bytes
	for l := range 16 {
		VPXORD(acc(l), acc(l), acc(l))
	}
	Load(Param("k"), cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("reduce"))
	Label("loop")
	for l := range 16 {
		VMOVUPS(Mem{Base: bp}, bv(l))
		VFMADD231PS_BCST(Mem{Base: ap, Disp: 4 * l}, bv(l), acc(l))
		ADDQ(ldb, bp)
	}
	ADDQ(U8(64), ap)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("reduce")
	for _, h := range []int{8, 4, 2, 1} {
		for l := range h {
			VADDPS(acc(l+h), acc(l), acc(l)) // lane l += lane l+h
		}
	}
	cp := gp[4]
	Load(Param("c"), cp)
	VMOVUPS(acc(0), Mem{Base: cp})
	VZEROUPPER()
	RET()
}

// microAVX512 generates the R×C AVX-512 micro-kernel: one ZMM accumulator
// per output, merge-masked FMAs for the tail, and the reduction network
// (storeResultsNet) where netFits, group512 otherwise.
func microAVX512(r, c int, prefetch, half bool) {
	isa, sig, what := "AVX512", microSig, ""
	if half {
		// b in binary16: each B load converts 16 of them (VCVTPH2PS), and
		// off counts b's bytes, so that a's are at Scale 2.
		isa, sig, what = "hAVX512", microHalfSig, ", b in binary16 converted exactly on load"
	}
	name, pfWhat := microName(isa, r, c, prefetch)
	what += pfWhat
	aScale, bStep := uint8(1), 64 // bytes of a row of B per 16 elements
	if half {
		aScale, bStep = 2, 32
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d block c[i·ldc+j] = Dot(a row i, b row j), i < %d, j < %d (rows of length k at strides lda, ldb), with AVX-512F%s.",
		name, r, c, r, c, what))
	bInRegs := r*c+c+1 <= 32 && r > 1
	// Z0 holds the A row, Z1… the B rows, then the accumulators; Z0 and Z1
	// are the scratch of the final reduction.
	za := Z0
	var breg []VecPhysical
	nb := 1 // Z1 is needed as a tail temporary even when B is not in registers
	if bInRegs {
		nb = c
	}
	for j := range nb {
		breg = append(breg, zmm(1+j))
	}
	first := max(1+nb, 5) // Z0-Z4 are the scratch of the final reduction
	if first+r*c > 32 {
		panic("too many accumulators")
	}
	acc := func(i, j int) VecPhysical { return zmm(first + i*c + j) }
	ap, bp, off, cnt := loadPointers(r, c, half)
	k := gp[2+r+c]
	// As in microAVX2: pf walks the c rows of b prefetchBlocks column
	// blocks ahead, the bytes of c rows' 16 elements per iteration.
	// It takes the register after k's where one is left, else k's own (4×6
	// uses all thirteen): k is not needed until the tail, which reloads it.
	pf := k
	if 2+r+c+1 < len(gp) {
		pf = gp[2+r+c+1]
	}
	if prefetch {
		prefetchStart(c, cnt, bp[0], pf) // cnt = ldb in bytes
	}
	for i := range r {
		for j := range c {
			VPXORD(acc(i, j), acc(i, j), acc(i, j)) // VXORPS on ZMM would need AVX512DQ
		}
	}
	// loadB loads 16 elements of row j of B at off into v, under mask when
	// not nil (zeroing the other lanes).
	loadB := func(j int, v VecPhysical, mask Op) {
		src := Mem{Base: bp[j], Index: off, Scale: 1}
		switch {
		case half && mask != nil:
			VCVTPH2PS_Z(src, mask, v)
		case half:
			VCVTPH2PS(src, v)
		case mask != nil:
			VMOVUPS_Z(src, mask, v)
		default:
			VMOVUPS(src, v)
		}
	}
	XORQ(off, off)
	Load(Param("k"), cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	if bInRegs {
		for j := range c {
			loadB(j, breg[j], nil)
		}
	}
	if prefetch {
		prefetchLines(pf, (c*bStep+63)/64, bStep*c)
	}
	for i := range r {
		VMOVUPS(Mem{Base: ap[i], Index: off, Scale: aScale}, za)
		for j := range c {
			switch {
			case bInRegs:
				VFMADD231PS(breg[j], za, acc(i, j))
			case half:
				loadB(j, breg[0], nil)
				VFMADD231PS(breg[0], za, acc(i, j))
			default:
				VFMADD231PS(Mem{Base: bp[j], Index: off, Scale: 1}, za, acc(i, j))
			}
		}
	}
	ADDQ(U8(bStep), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))

	Label("tail")
	Load(Param("k"), k)
	ANDQ(U8(15), k)
	JZ(LabelRef("reduce"))
	tailMask(k, cnt, K1)
	if bInRegs {
		for j := range c {
			loadB(j, breg[j], K1)
		}
	}
	for i := range r {
		VMOVUPS_Z(Mem{Base: ap[i], Index: off, Scale: aScale}, K1, za)
		for j := range c {
			b := breg[0]
			if bInRegs {
				b = breg[j]
			} else {
				loadB(j, b, K1)
			}
			VFMADD231PS(b, za, K1, acc(i, j))
		}
	}

	Label("reduce")
	if netFits(r, c) {
		var scratch []VecPhysical
		for z := range 32 {
			if z < first || z >= first+r*c {
				scratch = append(scratch, zmm(z))
			}
		}
		storeResultsNet(r, c, acc, scratch)
	} else {
		VMOVUPS(laneIdx, Z4)
		storeResults(r, c, acc, group512)
	}
	VZEROUPPER()
	RET()
}

// peak generates an fp32 FMA throughput loop: n iterations of one
// VFMADD231PS into each of nacc independent accumulators.
func peak(name string, nacc int, reg func(int) VecPhysical, zero func(VecPhysical)) {
	TEXT(name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	Doc(name + " runs n iterations of independent VFMADD231PS on " + fmt.Sprint(nacc) + " registers: the FMA peak.")
	n := Load(Param("n"), RCX)
	for i := range nacc + 2 {
		zero(reg(i))
	}
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("loop")
	for i := range nacc {
		VFMADD231PS(reg(nacc), reg(nacc+1), reg(i))
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// axpyAVX2 generates y[i] = FMA32(a, x[i], y[i]) for i < len(y): each
// element is independent, so any vector width gives the pure-Go result.
func axpyAVX2() {
	TEXT("axpyAVX2", NOSPLIT, "func(y []float32, a float32, x []float32)")
	Pragma("noescape")
	Doc("axpyAVX2 sets y[i] = FMA32(a, x[i], y[i]) for i < len(y) with AVX2+FMA.")
	yp := Load(Param("y").Base(), RDI)
	n := RCX
	Load(Param("y").Len(), n)
	xp := Load(Param("x").Base(), RSI)
	broadcastParam("a", Y0)
	off, cnt := RAX, RDX
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(5), cnt)
	JZ(LabelRef("tail8"))
	Label("loop32")
	for u := range 4 {
		VMOVUPS(Mem{Base: yp, Index: off, Scale: 1, Disp: 32 * u}, ymm(1+u))
	}
	for u := range 4 {
		VFMADD231PS(Mem{Base: xp, Index: off, Scale: 1, Disp: 32 * u}, Y0, ymm(1+u))
	}
	for u := range 4 {
		VMOVUPS(ymm(1+u), Mem{Base: yp, Index: off, Scale: 1, Disp: 32 * u})
	}
	ADDQ(U8(128), off)
	DECQ(cnt)
	JNZ(LabelRef("loop32"))
	Label("tail8")
	MOVQ(n, cnt)
	ANDQ(U8(31), cnt)
	SHRQ(U8(3), cnt)
	JZ(LabelRef("tail"))
	Label("loop8")
	VMOVUPS(Mem{Base: yp, Index: off, Scale: 1}, Y1)
	VFMADD231PS(Mem{Base: xp, Index: off, Scale: 1}, Y0, Y1)
	VMOVUPS(Y1, Mem{Base: yp, Index: off, Scale: 1})
	ADDQ(U8(32), off)
	DECQ(cnt)
	JNZ(LabelRef("loop8"))
	Label("tail")
	ANDQ(U8(7), n)
	JZ(LabelRef("done"))
	tailPtr(n, cnt) // a mask of the first r lanes
	VMOVUPS(Mem{Base: cnt}, Y4)
	VMASKMOVPS(Mem{Base: yp, Index: off, Scale: 1}, Y4, Y1)
	VMASKMOVPS(Mem{Base: xp, Index: off, Scale: 1}, Y4, Y2)
	VFMADD231PS(Y2, Y0, Y1)
	VMASKMOVPS(Y1, Y4, Mem{Base: yp, Index: off, Scale: 1})
	Label("done")
	VZEROUPPER()
	RET()
}

// columnRows is how many rows of one lane columnDots reads at once: at six
// (k = 96 in one go) no chain waits in memory between segments; at three
// the lanes' round trips through acc, written back to L2 when b pushes them
// out of L1, cost a tenth of the speed.
const columnRows = 6

// columnCombines lists, for the last segment of lane l ≥ 8, the lanes
// l − d whose partial sums columnDots adds in front of lane l's sum, in
// order: the Reduce16 tree taken in lane order. Lane 8 + j meets lane j
// (s_j = L_j + L_{j+8}); lane 12 + j meets s_j too (u_j = s_j + s_{j+4});
// lane 14 meets u_0 too (u_0 + u_2); lane 15 meets a_0 too ((u_0 + u_2) +
// (u_1 + u_3)). Lanes 8–11 take the first one, 12–13 the first two, 14
// three, 15 all four (the segment's "kind"). Each sum is stored where the
// last partial it read lay; lane 15's is the output.
var columnCombines = []int{8, 12, 14, 15}

// columnDots generates c[j] = Dot(a[0:k], column j of b) for j < n, b k×n
// at row stride ldb, reading b lane by lane: lane l's rows l, l+16, … go
// through the n columns columnRows at a time, cols vectors of columns per
// step, each column's chain held in a register from the segment's first
// term to its last. Lane after lane, those rows continue where the lane
// before ended, so b is read as columnRows sequential streams, which L2
// feeds nearly as fast as one (read in lane order 0, 8, 4, 12, … the same
// kernel ran at two thirds of the speed). A chain longer than one segment
// waits in acc (lane l at acc + l·n) between them, and lanes 0 to 7 wait
// there for the tree, which runs at the end of lanes 8 to 15
// (columnCombines) while b still streams in. A lane's first term is an FMA
// onto a zeroed register, not a product: FMA32(a, b, +0) is +0 where a·b
// is −0, as in Dot. k ≥ 16 gives every lane a first term.
func columnDots(isa string, w, cols int, reg func(int) VecPhysical) {
	if cols&(cols-1) != 0 || columnRows < 1 || columnRows > 6 {
		log.Fatalf("columnDots: %d columns, %d rows", cols, columnRows)
	}
	name := "columnDots" + isa
	TEXT(name, NOSPLIT, "func(c *float32, acc *float32, a *float32, b *float32, ldb int, n int, k int)")
	Pragma("noescape")
	feature := "AVX2+FMA"
	if w == 16 {
		feature = "AVX-512F"
	}
	Doc(name + " sets c[j] = Dot(a[0:k], column j of b) for j < n, b k×n at row stride ldb, reading b lane by lane (" + fmt.Sprint(columnRows) + " rows of a lane at once, each column's chain in a register), with " + feature + "; acc holds 16·n floats of lanes and partial sums; n is a positive multiple of " + fmt.Sprint(w) + " and k ≥ 16.")
	accp := Load(Param("acc"), R8)
	stride := Load(Param("ldb"), R10)
	SHLQ(U8(6), stride) // 16 rows, in bytes
	lane, r0, kind := RDI, RBX, R11
	p0, p3, cnt, src, out := RCX, R9, R13, R14, RSI
	ptrs := []GPPhysical{RAX, RDX, R15, R12} // columnCombines' slots
	vb := 4 * w
	bc := func(s int) VecPhysical { return reg(s) }
	acc := func(u int) VecPhysical { return reg(columnRows + u) }
	temp := func(u int) VecPhysical { return reg(columnRows + cols + u%2) }
	rowMem := func(s, disp int) Mem {
		base := p0
		if s >= 3 {
			base, s = p3, s-3
		}
		if s == 0 {
			return Mem{Base: base, Disp: disp}
		}
		return Mem{Base: base, Index: stride, Scale: uint8(s), Disp: disp}
	}
	XORQ(lane, lane)
	Label("lane")
	MOVQ(lane, r0)
	Label("segment")
	// The segment's pointers and kind; cnt holds the rows left in the
	// lane, ceil((k − r0)/16).
	Load(Param("k"), cnt)
	SUBQ(r0, cnt)
	ADDQ(U8(15), cnt)
	SHRQ(U8(4), cnt)
	// kind holds n in bytes until the slots are found.
	Load(Param("n"), kind)
	SHLQ(U8(2), kind)
	slot := func(d int, to GPPhysical) {
		MOVQ(lane, to)
		if d > 0 {
			SUBQ(U8(d), to)
		}
		IMULQ(kind, to)
		ADDQ(accp, to)
	}
	for i, d := range columnCombines {
		slot(d, ptrs[i])
	}
	slot(0, out)
	MOVQ(out, src)
	// p0 = b + r0·ldb = b + r0·stride/16, p3 = p0 + 3·stride
	MOVQ(r0, p0)
	IMULQ(stride, p0)
	SHRQ(U8(4), p0)
	Load(Param("b"), p3)
	ADDQ(p3, p0)
	LEAQ(Mem{Base: p0, Index: stride, Scale: 2}, p3)
	ADDQ(stride, p3)
	// kind: 0 but in the last segment of lanes 8 to 15, where it counts
	// the lanes columnCombines names that lane is at or past (8, 12, 14,
	// 15: 1 … 4), and out moves to the last slot those combines read.
	XORQ(kind, kind)
	CMPQ(cnt, U8(columnRows))
	JA(LabelRef("kindSet"))
	for i, from := range columnCombines {
		CMPQ(lane, U8(from))
		JB(LabelRef("kindSet"))
		MOVQ(U32(i+1), kind)
		if i < len(columnCombines)-1 {
			MOVQ(ptrs[i], out)
		}
	}
	Load(Param("c"), out)
	Label("kindSet")
	// The bodies. A segment of columnRows rows (every segment at k = 96)
	// has one for each kind; a shorter one, the last of a lane where k/16
	// is no multiple of columnRows, reads kind as it goes.
	type spec struct{ rows, kind int } // kind −1: read from the register
	var specs []spec
	for kd := range len(columnCombines) + 1 {
		specs = append(specs, spec{columnRows, kd})
	}
	for rows := columnRows - 1; rows >= 1; rows-- {
		specs = append(specs, spec{rows, -1})
	}
	CMPQ(cnt, U8(columnRows))
	JB(LabelRef(fmt.Sprint("body", columnRows-1, "r")))
	for _, sp := range specs {
		rows, kd := sp.rows, sp.kind
		tag := fmt.Sprint(rows, "r", kd)
		if kd < 0 {
			tag = fmt.Sprint(rows, "r")
		}
		Label("body" + tag)
		switch {
		case kd >= 0 && kd < len(columnCombines):
			CMPQ(kind, U8(kd))
			JNE(LabelRef(fmt.Sprint("body", rows, "r", kd+1)))
		case kd < 0 && rows > 1:
			CMPQ(cnt, U8(rows))
			JB(LabelRef(fmt.Sprint("body", rows-1, "r")))
		}
		Load(Param("a"), cnt)
		for s := range rows {
			VBROADCASTSS(Mem{Base: cnt, Index: r0, Scale: 4, Disp: 64 * s}, bc(s))
		}
		CMPQ(r0, lane)
		JNE(LabelRef("later" + tag))
		for _, first := range []bool{true, false} {
			tag := tag
			if !first {
				Label("later" + tag)
				tag += "L"
			}
			// What moves along the columns: the rows, the chain's slot
			// unless first, the slots the tree reads, and where the sums
			// go.
			combines := len(columnCombines)
			if kd >= 0 {
				combines = kd
			}
			moving := []GPPhysical{p0}
			if rows > 3 {
				moving = append(moving, p3)
			}
			if !first {
				moving = append(moving, src)
			}
			moving = append(moving, ptrs[:combines]...)
			moving = append(moving, out)
			run := func(us int, tag string) {
				for u := range us {
					if first {
						VXORPS(acc(u).AsY(), acc(u).AsY(), acc(u).AsY())
					} else {
						VMOVUPS(Mem{Base: src, Disp: u * vb}, acc(u))
					}
				}
				for s := range rows {
					for u := range us {
						VFMADD231PS(rowMem(s, u*vb), bc(s), acc(u))
					}
				}
				for i := range combines {
					if kd < 0 {
						CMPQ(kind, U8(i))
						JE(LabelRef("store" + tag))
					}
					for u := range us {
						// The earlier partial sum is the first operand,
						// as in Reduce16.
						VMOVUPS(Mem{Base: ptrs[i], Disp: u * vb}, temp(u))
						VADDPS(acc(u), temp(u), acc(u))
					}
				}
				if kd < 0 {
					Label("store" + tag)
				}
				for u := range us {
					VMOVUPS(acc(u), Mem{Base: out, Disp: u * vb})
				}
				for _, r := range moving {
					ADDQ(U32(us*vb), r)
				}
			}
			Load(Param("n"), cnt)
			SHRQ(U8(bits(cols*w)), cnt)
			JZ(LabelRef("tail" + tag))
			Label("many" + tag)
			run(cols, "M"+tag)
			DECQ(cnt)
			JNZ(LabelRef("many" + tag))
			Label("tail" + tag)
			Load(Param("n"), cnt)
			ANDQ(U32(cols*w-1), cnt)
			SHRQ(U8(bits(w)), cnt)
			JZ(LabelRef("next"))
			Label("one" + tag)
			run(1, "O"+tag)
			DECQ(cnt)
			JNZ(LabelRef("one" + tag))
			JMP(LabelRef("next"))
		}
	}
	Label("next")
	ADDQ(U32(16*columnRows), r0)
	Load(Param("k"), RAX)
	CMPQ(r0, RAX)
	JB(LabelRef("segment"))
	INCQ(lane)
	CMPQ(lane, U8(16))
	JB(LabelRef("lane"))
	VZEROUPPER()
	RET()
}

// rowPairsParams loads the parameters the one-row kernels share: c, b,
// ldb (in bytes) and n.
func rowPairsParams() (cp, bp, ldb, n Register) {
	cp = Load(Param("c"), RDI)
	bp = Load(Param("b"), R9)
	ldb = Load(Param("ldb"), R10)
	SHLQ(U8(2), ldb)
	n = Load(Param("n"), R11)
	return cp, bp, ldb, n
}

// rowPairs generates rowPairs<isa>, the one-row a·bᵀ: c[j] = Dot(a[0:k],
// b row j) for j < n, rows of b at stride ldb, k a positive multiple of 16.
// It reads b two rows at a time — each row's lanes in one ZMM or two YMM
// accumulators, a loaded once for both — and finishes four outputs at a
// time with the shared Reduce16 tree. Two rows at a time, because L2 feeds
// one core fewer bytes the more rows it reads at once: BenchmarkMemoryRead's
// "L2-96KiB/rows<R>" probes (docs/speed.md), where the micro-kernels' 1×C
// blocks read 7 or 8 rows together.
func rowPairs(isa string) {
	name := "rowPairs" + isa
	TEXT(name, NOSPLIT, "func(c *float32, a *float32, b *float32, ldb int, n int, k int)")
	Pragma("noescape")
	avx512 := isa == "AVX512"
	feature := map[bool]string{false: "AVX2+FMA", true: "AVX-512F"}[avx512]
	Doc(name + " sets c[j] = Dot(a[0:k], b row j) for j < n, rows at stride ldb, two rows at a time, with " + feature + "; k is a positive multiple of 16.")
	cp, bp, ldb, n := rowPairsParams()
	kb := Load(Param("k"), R12)
	SHRQ(U8(4), kb)
	p, pa, cnt := RCX, RSI, RAX
	if avx512 {
		VMOVUPS(laneIdx, Z4)
	}
	// Accumulators: row r of the four, lanes 8h…8h+7 (AVX2) or all 16.
	acc := func(r, h int) VecPhysical {
		if avx512 {
			return zmm(8 + r)
		}
		return ymm(2*r + h)
	}
	halves := map[bool]int{false: 2, true: 1}[avx512]
	pair := func(first, rows int, tag string) {
		for r := first; r < first+rows; r++ {
			for h := range halves {
				VXORPS(acc(r, h).AsY(), acc(r, h).AsY(), acc(r, h).AsY())
			}
		}
		if first == 0 {
			MOVQ(bp, p)
		} else {
			LEAQ(Mem{Base: bp, Index: ldb, Scale: 2}, p)
		}
		Load(Param("a"), pa)
		av := func(u, h int) VecPhysical {
			if avx512 {
				return zmm(12 + u)
			}
			return ymm(8 + 2*u + h)
		}
		block := func(u int) {
			for h := range halves {
				VMOVUPS(Mem{Base: pa, Disp: 64*u + 32*h}, av(u, h))
			}
			for r := first; r < first+rows; r++ {
				for h := range halves {
					m := Mem{Base: p, Disp: 64*u + 32*h}
					if r > first {
						m.Index, m.Scale = ldb, 1
					}
					VFMADD231PS(m, av(u, h), acc(r, h))
				}
			}
		}
		// Two blocks of 16 a round, then the odd one.
		MOVQ(kb, cnt)
		SHRQ(U8(1), cnt)
		JZ(LabelRef("odd" + tag))
		Label("loop" + tag)
		block(0)
		block(1)
		ADDQ(U8(128), p)
		ADDQ(U8(128), pa)
		DECQ(cnt)
		JNZ(LabelRef("loop" + tag))
		Label("odd" + tag)
		TESTQ(U32(1), kb)
		JZ(LabelRef("even" + tag))
		block(0)
		Label("even" + tag)
	}
	finish := func(rows int) {
		var accs []VecPhysical
		for r := range rows {
			if !avx512 {
				VADDPS(acc(r, 1), acc(r, 0), acc(r, 0)) // a[j] += a[j+8]
			}
			accs = append(accs, acc(r, 0))
		}
		if avx512 {
			group512(accs, Mem{Base: cp})
		} else {
			groupAVX2(accs, Mem{Base: cp})
		}
	}
	Label("quad")
	CMPQ(n, U8(4))
	JB(LabelRef("rest"))
	pair(0, 2, "A")
	pair(2, 2, "B")
	finish(4)
	ADDQ(U8(16), cp)
	LEAQ(Mem{Base: bp, Index: ldb, Scale: 4}, bp)
	SUBQ(U8(4), n)
	JMP(LabelRef("quad"))
	Label("rest")
	CMPQ(n, U8(1))
	JB(LabelRef("done"))
	JE(LabelRef("rest1"))
	CMPQ(n, U8(2))
	JE(LabelRef("rest2"))
	pair(0, 2, "C")
	pair(2, 1, "D")
	finish(3)
	JMP(LabelRef("done"))
	Label("rest2")
	pair(0, 2, "E")
	finish(2)
	JMP(LabelRef("done"))
	Label("rest1")
	pair(0, 1, "F")
	finish(1)
	Label("done")
	VZEROUPPER()
	RET()
}

// rowPairsShortBlocks is the largest k/16 for which rowPairsShortAVX2 holds
// a in registers: 2·6 YMM registers of a and 4 accumulators fill all 16.
const rowPairsShortBlocks = 6

// rowPairsChunk is how many rows rowPairsShortAVX2 takes between
// reductions: their folded lanes wait on the stack, 32 bytes a row.
const rowPairsChunk = 32

// rowPairsShortAVX2 generates rowPairsShortAVX2_<kb>: rowPairsAVX2 for k =
// 16·kb, with all of a in registers, so that the only loads are of b — one
// per FMA, where rowPairsAVX2 loads a once for two. AVX2 loads two YMM a
// cycle, which caps rowPairsAVX2 at 4/3 of an FMA a cycle. The 16 registers
// are all taken (2·kb of a, 4 accumulators), so the Reduce16 tree cannot
// run alongside: each row's lanes, folded once (a[j] + a[j+8]), go to the
// stack, and every rowPairsChunk rows the tree runs four rows at a time
// from there, after which a is loaded again.
func rowPairsShortAVX2(kb int) {
	name := fmt.Sprintf("rowPairsShortAVX2_%d", kb)
	TEXT(name, 0, "func(c *float32, a *float32, b *float32, ldb int, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets c[j] = Dot(a[0:%d], b row j) for j < n, rows at stride ldb, with a in registers, with AVX2+FMA.", name, 16*kb))
	buf := AllocLocal(32 * rowPairsChunk)
	cp, bp, ldb, n := rowPairsParams()
	ap := Load(Param("a"), RSI)
	rows, slot, left := RCX, RAX, RDX // rows in this chunk; its stack slot; rows left to fold
	acc := func(r, h int) VecPhysical { return ymm(2*r + h) }
	av := func(u, h int) VecPhysical { return ymm(4 + 2*u + h) }
	row := func(r int) {
		for h := range 2 {
			VXORPS(acc(r, h), acc(r, h), acc(r, h))
		}
	}
	Label("chunk")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	for u := range kb {
		for h := range 2 {
			VMOVUPS(Mem{Base: ap, Disp: 64*u + 32*h}, av(u, h))
		}
	}
	MOVQ(U32(rowPairsChunk), rows)
	CMPQ(n, rows)
	CMOVQLT(n, rows)
	XORQ(slot, slot)
	MOVQ(rows, left)
	// Pairs of rows, then an odd last one.
	Label("pair")
	CMPQ(left, U8(2))
	JB(LabelRef("odd"))
	row(0)
	row(1)
	for u := range kb {
		for h := range 2 {
			VFMADD231PS(Mem{Base: bp, Disp: 64*u + 32*h}, av(u, h), acc(0, h))
			VFMADD231PS(Mem{Base: bp, Index: ldb, Scale: 1, Disp: 64*u + 32*h}, av(u, h), acc(1, h))
		}
	}
	for r := range 2 {
		VADDPS(acc(r, 1), acc(r, 0), acc(r, 0)) // a[j] += a[j+8]
		VMOVUPS(acc(r, 0), buf.Idx(slot, 1).Offset(32*r))
	}
	LEAQ(Mem{Base: bp, Index: ldb, Scale: 2}, bp)
	ADDQ(U8(64), slot)
	SUBQ(U8(2), left)
	JMP(LabelRef("pair"))
	Label("odd")
	TESTQ(left, left)
	JZ(LabelRef("fold"))
	row(0)
	for u := range kb {
		for h := range 2 {
			VFMADD231PS(Mem{Base: bp, Disp: 64*u + 32*h}, av(u, h), acc(0, h))
		}
	}
	VADDPS(acc(0, 1), acc(0, 0), acc(0, 0))
	VMOVUPS(acc(0, 0), buf.Idx(slot, 1))
	ADDQ(ldb, bp)
	// The tree, four rows at a time, then the last one to three.
	Label("fold")
	SUBQ(rows, n)
	XORQ(slot, slot)
	MOVQ(rows, left)
	Label("quad")
	CMPQ(left, U8(4))
	JB(LabelRef("tail"))
	for r := range 4 {
		VMOVUPS(buf.Idx(slot, 1).Offset(32*r), ymm(r))
	}
	groupAVX2([]VecPhysical{Y0, Y1, Y2, Y3}, Mem{Base: cp})
	ADDQ(U8(16), cp)
	ADDQ(U32(128), slot)
	SUBQ(U8(4), left)
	JMP(LabelRef("quad"))
	Label("tail")
	for t := 1; t <= 3; t++ {
		CMPQ(left, U8(t))
		JNE(LabelRef(fmt.Sprintf("not%d", t)))
		var accs []VecPhysical
		for r := range t {
			VMOVUPS(buf.Idx(slot, 1).Offset(32*r), ymm(r))
			accs = append(accs, ymm(r))
		}
		groupAVX2(accs, Mem{Base: cp})
		ADDQ(U8(4*t), cp)
		Label(fmt.Sprintf("not%d", t))
	}
	JMP(LabelRef("chunk"))
	Label("done")
	VZEROUPPER()
	RET()
}

// bits returns log2 of a power of two.
func bits(x int) uint8 {
	b := uint8(0)
	for x > 1 {
		x >>= 1
		b++
	}
	return b
}

// layerNormRowsAVX512 generates LayerNorm over rows rows of n floats (n a
// positive multiple of 16) in three passes per row, each LayerNorm's step
// on whole vectors: Sum's lanes (acc + x, from +0) folded by Reduce16, the
// mean by a division, dst = x − mean with Dot(dst, dst)'s lanes (FMA32
// from +0) alongside, Reduce16 and a division, the root in float64 rounded
// to float32, its reciprocal, and dst = float32(float32(d·r)·g) + b.
func layerNormRowsAVX512() {
	TEXT("layerNormRowsAVX512", NOSPLIT, "func(dst *float32, x *float32, gain *float32, bias *float32, n int, rows int, eps float32)")
	Pragma("noescape")
	Doc("layerNormRowsAVX512 sets dst row i to LayerNorm(x row i, gain, bias, eps) for i < rows, rows of n floats (a positive multiple of 16) at stride n, with AVX-512F; dst may be x.")
	dp := Load(Param("dst"), RDI)
	xp := Load(Param("x"), RSI)
	gptr := Load(Param("gain"), R8)
	bptr := Load(Param("bias"), R9)
	nb := Load(Param("n"), R10)
	rows := Load(Param("rows"), R11)
	off, t := RAX, RCX
	VCVTSI2SSQ(nb, X15, X15) // float32(n), exact below 2^24
	SHLQ(U8(2), nb)          // bytes
	Label("row")
	layerNormScale(xp, dp, nb, off, t, paramAddr("eps"))
	rowLoop("affine", off, nb, func() {
		VMULPS(Mem{Base: dp, Index: off, Scale: 1}, Z3, Z4)
		VMULPS(Mem{Base: gptr, Index: off, Scale: 1}, Z4, Z4)
		VADDPS(Mem{Base: bptr, Index: off, Scale: 1}, Z4, Z4)
		VMOVUPS(Z4, Mem{Base: dp, Index: off, Scale: 1})
	})
	ADDQ(nb, xp)
	ADDQ(nb, dp)
	DECQ(rows)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}

// rowLoop emits a loop over one row of the AVX-512 LayerNorm kernels, off
// running from 0 to the row's nb bytes one vector at a time.
func rowLoop(name string, off GPPhysical, nb Register, body func()) {
	XORQ(off, off)
	Label(name)
	body()
	ADDQ(U8(64), off)
	CMPQ(off, nb)
	JNE(LabelRef(name))
}

// layerNormScale emits the per-row statistics of the AVX-512 LayerNorm
// kernels for the row at xp (nb bytes, X15 = float32(n)): Sum's lanes
// (from +0) folded by Reduce16 and divided by n for the mean, d = x − mean
// stored at dp with Dot(d, d)'s lanes (FMA32 from +0) alongside, Reduce16
// and a division, the root of v + eps in float64 rounded to float32, and
// its reciprocal r in every lane of Z3. t is scratch.
func layerNormScale(xp, dp, nb Register, off, t GPPhysical, eps Mem) {
	acc := Z1
	VPXORD(acc, acc, acc)
	rowLoop("sum", off, nb, func() { VADDPS(Mem{Base: xp, Index: off, Scale: 1}, acc, acc) })
	reduce16(1, 2) // acc into lane 0 of X1
	VDIVSS(X15, X1, X1)
	VBROADCASTSS(X1, Z3) // mean
	VPXORD(acc, acc, acc)
	rowLoop("sub", off, nb, func() {
		VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, Z4)
		VSUBPS(Z3, Z4, Z4)
		VMOVUPS(Z4, Mem{Base: dp, Index: off, Scale: 1})
		VFMADD231PS(Z4, Z4, acc)
	})
	reduce16(1, 2)
	VDIVSS(X15, X1, X1)   // v
	VADDSS(eps, X1, X1)   // v + eps
	VCVTSS2SD(X1, X1, X1) // exact
	VSQRTSD(X1, X1, X1)   // correctly rounded float64 root
	VCVTSD2SS(X1, X1, X1) // rounded to float32
	MOVL(U32(0x3f800000), t.As32())
	VMOVD(t.As32(), X5)
	VDIVSS(X1, X5, X5) // r = 1/root
	VBROADCASTSS(X5, Z3)
}

// addAVX2 generates y[i] += x[i] for i < len(y).
func addAVX2() {
	TEXT("addAVX2", NOSPLIT, "func(y, x []float32)")
	Pragma("noescape")
	Doc("addAVX2 sets y[i] = y[i] + x[i] for i < len(y) with AVX.")
	yp := Load(Param("y").Base(), RDI)
	n := RCX
	Load(Param("y").Len(), n)
	xp := Load(Param("x").Base(), RSI)
	off, cnt := RAX, RDX
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(3), cnt)
	JZ(LabelRef("tail"))
	Label("loop8")
	VMOVUPS(Mem{Base: yp, Index: off, Scale: 1}, Y1)
	VADDPS(Mem{Base: xp, Index: off, Scale: 1}, Y1, Y1)
	VMOVUPS(Y1, Mem{Base: yp, Index: off, Scale: 1})
	ADDQ(U8(32), off)
	DECQ(cnt)
	JNZ(LabelRef("loop8"))
	Label("tail")
	ANDQ(U8(7), n)
	JZ(LabelRef("done"))
	tailPtr(n, cnt)
	VMOVUPS(Mem{Base: cnt}, Y4)
	VMASKMOVPS(Mem{Base: yp, Index: off, Scale: 1}, Y4, Y1)
	VMASKMOVPS(Mem{Base: xp, Index: off, Scale: 1}, Y4, Y2)
	VADDPS(Y2, Y1, Y1)
	VMASKMOVPS(Y1, Y4, Mem{Base: yp, Index: off, Scale: 1})
	Label("done")
	VZEROUPPER()
	RET()
}

// sumBlocksAVX2 generates the 16-lane accumulation of Sum: for each whole
// block of 16 elements, acc[l] += x[16b+l], lanes 0–7 in one register and
// 8–15 in another, so every lane adds its elements in the order of the pure-Go
// loop (sumBlocksGeneric).
func sumBlocksAVX2() {
	laneBlocks("sumBlocksAVX2", "adds x[16b+l] to acc[l] for every whole block b of x, in order, with AVX.",
		func(xp Register) {
			VADDPS(Mem{Base: xp}, Y0, Y0)
			VADDPS(Mem{Base: xp, Disp: 32}, Y1, Y1)
		})
}

// xorRowsCounts are the numbers of rows the xorRows probes read at once.
var xorRowsCounts = []int{1, 2, 4, 8}

// xorRowsAVX512 generates xorRows<R>AVX512, the probe of BenchmarkMemoryRead
// that reads x as the one-row kernels read b: groups of R rows of rowBytes
// (a multiple of 64), the R rows of a group interleaved 64 bytes at a time,
// as a 1×R block of a·bᵀ reads them. XOR keeps no order, so acc ends as
// xorBlocks would leave it (xorRowsGeneric); only the order of the reads
// changes, and with it how fast L2 delivers them.
func xorRowsAVX512(rows int) {
	name := fmt.Sprintf("xorRows%dAVX512", rows)
	TEXT(name, NOSPLIT, "func(acc *[16]uint32, x *uint32, groups int, rowBytes int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets acc[l] ^= x[16b+l] for every block b of groups·%d rows of rowBytes, a multiple of 64, reading the %d rows of a group interleaved 64 bytes at a time, with AVX-512F.", name, rows, rows))
	ptr := []GPPhysical{RSI, R10, R11, R12, R13, R14, RBX, RDX}[:rows]
	Load(Param("x"), ptr[0])
	groups := Load(Param("groups"), R9)
	rb := Load(Param("rowBytes"), R8)
	off, pairsEnd, gb := RCX, RAX, RDI
	for j := 1; j < rows; j++ {
		LEAQ(Mem{Base: ptr[j-1], Index: rb, Scale: 1}, ptr[j])
	}
	accs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7}
	ap := Load(Param("acc"), RDI)
	VMOVDQU32(Mem{Base: ap}, Z0)
	for _, z := range accs[1:] {
		VPXORD(z, z, z)
	}
	IMUL3Q(U32(rows), rb, gb) // one group
	MOVQ(rb, pairsEnd)
	ANDQ(I32(-128), pairsEnd)
	TESTQ(groups, groups)
	JZ(LabelRef("fold"))
	Label("group")
	XORQ(off, off)
	// Two lines of each row a round, then the odd one.
	Label("pairs")
	CMPQ(off, pairsEnd)
	JAE(LabelRef("single"))
	for u := range 2 {
		for j, p := range ptr {
			z := accs[(j+rows*u)%8]
			VPXORD(Mem{Base: p, Index: off, Scale: 1, Disp: 64 * u}, z, z)
		}
	}
	ADDQ(U32(128), off)
	JMP(LabelRef("pairs"))
	Label("single")
	CMPQ(off, rb)
	JAE(LabelRef("next"))
	for j, p := range ptr {
		VPXORD(Mem{Base: p, Index: off, Scale: 1}, accs[j], accs[j])
	}
	Label("next")
	for _, p := range ptr {
		ADDQ(gb, p)
	}
	DECQ(groups)
	JNZ(LabelRef("group"))
	Label("fold")
	VPXORD(Z1, Z0, Z0)
	VPXORD(Z3, Z2, Z2)
	VPXORD(Z5, Z4, Z4)
	VPXORD(Z7, Z6, Z6)
	VPXORD(Z2, Z0, Z0)
	VPXORD(Z6, Z4, Z4)
	VPXORD(Z4, Z0, Z0)
	Load(Param("acc"), RDI)
	VMOVDQU32(Z0, Mem{Base: RDI})
	VZEROUPPER()
	RET()
}

// xorBlocksProbe generates xorBlocks<isa>, the read probe of
// BenchmarkMemoryRead: acc[l] ^= x[16b+l] for every whole block b of x,
// four blocks a round, with 64-byte loads (AVX512, four accumulators) or
// 32-byte ones (AVX2, eight: lanes 0–7 of a block in the even ones, 8–15
// in the odd). XOR has no latency to speak of and the accumulators no
// order to keep, so the loop runs as fast as the cache or memory delivers
// x — unlike Sum, whose contract chains every block on one accumulator and
// caps it at 64 bytes per addition latency.
func xorBlocksProbe(isa string) {
	avx512 := isa == "AVX512"
	name := "xorBlocks" + isa
	TEXT(name, NOSPLIT, "func(acc *[16]uint32, x []uint32)")
	Pragma("noescape")
	feature := map[bool]string{false: "AVX2", true: "AVX-512F"}[avx512]
	Doc(name + " sets acc[l] ^= x[16b+l] for every whole block b of x with " + feature + ".")
	per, vb := 2, 32 // vectors in a block of 16, bytes in a vector
	regs := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	xor := func(src Op, v VecPhysical) { VPXOR(src, v, v) }
	move := func(src, dst Op) { VMOVDQU(src, dst) }
	if avx512 {
		per, vb = 1, 64
		regs = []VecPhysical{Z0, Z1, Z2, Z3}
		xor = func(src Op, v VecPhysical) { VPXORD(src, v, v) }
		move = func(src, dst Op) { VMOVDQU32(src, dst) }
	}
	ap := Load(Param("acc"), RDI)
	xp := Load(Param("x").Base(), RSI)
	cnt := RCX
	Load(Param("x").Len(), cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("done"))
	for h := range per {
		move(Mem{Base: ap, Disp: vb * h}, regs[h])
	}
	for _, r := range regs[per:] {
		xor(r, r)
	}
	quads := RDX
	MOVQ(cnt, quads)
	SHRQ(U8(2), quads)
	JZ(LabelRef("single"))
	Label("loop4")
	for i, r := range regs {
		xor(Mem{Base: xp, Disp: vb * i}, r)
	}
	ADDQ(U32(256), xp)
	DECQ(quads)
	JNZ(LabelRef("loop4"))
	Label("single")
	ANDQ(U8(3), cnt)
	JZ(LabelRef("fold"))
	Label("loop1")
	for h := range per {
		xor(Mem{Base: xp, Disp: vb * h}, regs[h])
	}
	ADDQ(U8(64), xp)
	DECQ(cnt)
	JNZ(LabelRef("loop1"))
	Label("fold")
	for step := per; step < len(regs); step *= 2 {
		for i := 0; i < len(regs); i += 2 * step {
			for h := range per {
				xor(regs[i+step+h], regs[i+h])
			}
		}
	}
	for h := range per {
		move(regs[h], Mem{Base: ap, Disp: vb * h})
	}
	VZEROUPPER()
	Label("done")
	RET()
}

// maxBlocksAVX2 generates the 16-lane pass of Max: for each whole block of
// 16 elements, acc[l] = x[16b+l] if x[16b+l] > acc[l], which is what VMAXPS
// does with x as its first source (equal values and NaN keep acc), so every
// lane follows the pure-Go loop (maxBlocksGeneric).
func maxBlocksAVX2() {
	laneBlocks("maxBlocksAVX2", "sets acc[l] = x[16b+l] where x[16b+l] > acc[l], for every whole block b of x in order, with AVX.",
		func(xp Register) {
			VMOVUPS(Mem{Base: xp}, Y2)
			VMOVUPS(Mem{Base: xp, Disp: 32}, Y3)
			VMAXPS(Y0, Y2, Y0) // Y0 = Y2 > Y0 ? Y2 : Y0
			VMAXPS(Y1, Y3, Y1)
		})
}

// laneBlocks generates a func(acc *[16]float32, x []float32) that runs
// step over every whole block of 16 elements of x, in order, with lanes
// 0–7 of acc in Y0 and 8–15 in Y1 (x's block at xp; Y2–Y15 free).
func laneBlocks(name, doc string, step func(xp Register)) {
	TEXT(name, NOSPLIT, "func(acc *[16]float32, x []float32)")
	Pragma("noescape")
	Doc(name + " " + doc)
	ap := Load(Param("acc"), RDI)
	xp := Load(Param("x").Base(), RSI)
	cnt := RCX
	Load(Param("x").Len(), cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("done"))
	VMOVUPS(Mem{Base: ap}, Y0)
	VMOVUPS(Mem{Base: ap, Disp: 32}, Y1)
	Label("loop16")
	step(xp)
	ADDQ(U8(64), xp)
	DECQ(cnt)
	JNZ(LabelRef("loop16"))
	VMOVUPS(Y0, Mem{Base: ap})
	VMOVUPS(Y1, Mem{Base: ap, Disp: 32})
	VZEROUPPER()
	Label("done")
	RET()
}

// subAVX2 generates dst[i] = x[i] − s, LayerNorm's centring.
func subAVX2() {
	vecScalar("subAVX2", "s", "sets dst[i] = x[i] − s for i < len(dst) with AVX.",
		func() {}, func() { VSUBPS(Y12, Y0, Y6) })
}

// vecScalar generates a func(dst, x []float32, <param> float32) that runs
// elementwise over x into dst (result in Y6), with the scalar parameter
// broadcast to Y12.
func vecScalar(name, param, doc string, pre, body func()) {
	TEXT(name, NOSPLIT, fmt.Sprintf("func(dst, x []float32, %s float32)", param))
	Pragma("noescape")
	Doc(name + " " + doc)
	yp, n, xp := RDI, RCX, RSI
	Load(Param("dst").Base(), yp)
	Load(Param("dst").Len(), n)
	Load(Param("x").Base(), xp)
	broadcastParam(param, Y12)
	elementwise(yp, xp, n, pre, body, nil, Y6)
}

// normAffineAVX2 generates LayerNorm's last loop, in place: d[i] =
// float32(float32(d[i]·r)·g[i]) + b[i], three roundings, no fusion, as the
// pure-Go twin (normAffineGeneric) writes it.
func normAffineAVX2() {
	TEXT("normAffineAVX2", NOSPLIT, "func(d, g, b []float32, r float32)")
	Pragma("noescape")
	Doc("normAffineAVX2 sets d[i] = float32(float32(d[i]·r)·g[i]) + b[i] for i < len(d) with AVX; len(g) and len(b) ≥ len(d).")
	dp, n, gp_, bp := RDI, RCX, RSI, RBX
	Load(Param("d").Base(), dp)
	Load(Param("d").Len(), n)
	Load(Param("g").Base(), gp_)
	Load(Param("b").Base(), bp)
	broadcastParam("r", Y12)
	post := func(off GPPhysical, tail bool) {
		g := Mem{Base: gp_, Index: off, Scale: 1}
		b := Mem{Base: bp, Index: off, Scale: 1}
		if tail {
			VMASKMOVPS(g, Y15, Y8)
			VMASKMOVPS(b, Y15, Y9)
			VMULPS(Y8, Y6, Y6)
			VADDPS(Y9, Y6, Y6)
			return
		}
		VMULPS(g, Y6, Y6)
		VADDPS(b, Y6, Y6)
	}
	elementwise(dp, dp, n, func() {}, func() { VMULPS(Y12, Y0, Y6) }, post, Y6)
}

// chunkDotAVX2 generates chunkDotAVX2, the weighted sum of AttentionStep
// over values kept in chunks of 16 positions: c[j] = Dot(a[0:k], column j
// of the values), j < 8, where element t of column j lies at
// b[(t/16)·bstep/4 + 16j + t mod 16], so each chunk holds the 16 lanes of
// the 8 columns in 512 contiguous bytes. Like the R×C micro-kernels it
// runs the k loop twice, for lanes 0–7 and 8–15, each with eight
// one-register accumulators, and finishes with groupAVX2. A last partial
// chunk (k mod 16 ≠ 0) is read with masked loads, as in microAVX2, so that
// its lanes from k mod 16 on are neither read nor changed.
//
// With half it is chunkDotHalfAVX2, over binary16 values (F16C): 8 values
// of a column converted at a time, and in a last partial chunk the
// converted values of the lanes out of range, which may be anything, are
// replaced by −0 (AND with the mask, OR with the −0 table) to multiply the
// masked +0 of a.
func chunkDotAVX2(half bool) {
	name, elem, vs, isa := "chunkDotAVX2", "float32", "values", "AVX2+FMA"
	scale := 1 // bytes of a value per byte of a float32
	if half {
		name, elem, vs, isa = "chunkDotHalfAVX2", "uint16", "binary16 values", "AVX2+FMA+F16C"
		scale = 2
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(c *float32, ldc int, a *float32, b *%s, bstep int, k int)", elem))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes c[j] = Dot(a[0:k], column j), j < 8, of %s in chunks of 16 rows: element t of column j at b[(t/16)·bstep/%d + 16j + t%%16], with %s.", name, vs, 4/scale, isa))
	const c = 8
	acc := func(_, j int) VecPhysical { return ymm(j) }
	ya, ym, yb := ymm(15), ymm(14), ymm(13)
	low := AllocLocal(32 * c)
	ap, bq, step, cnt, r := gp[0], gp[1], gp[4], gp[5], gp[6]
	for h := range 2 {
		d := 32 * h // a's bytes of this half; the values' are d/scale
		for j := range c {
			VXORPS(acc(0, j), acc(0, j), acc(0, j))
		}
		Load(Param("a"), ap)
		Load(Param("b"), bq)
		Load(Param("bstep"), step)
		Load(Param("k"), cnt)
		SHRQ(U8(4), cnt)
		JZ(LabelRef(fmt.Sprintf("tail%d", h)))
		Label(fmt.Sprintf("loop%d", h))
		VMOVUPS(Mem{Base: ap, Disp: d}, ya)
		for j := range c {
			col := Mem{Base: bq, Disp: (64*j + d) / scale}
			if half {
				VCVTPH2PS(col, yb)
				VFMADD231PS(yb, ya, acc(0, j))
			} else {
				VFMADD231PS(col, ya, acc(0, j))
			}
		}
		ADDQ(U8(64), ap)
		ADDQ(step, bq)
		DECQ(cnt)
		JNZ(LabelRef(fmt.Sprintf("loop%d", h)))
		// The last k mod 16 lanes: the others multiply a masked +0 by a
		// −0 and so leave their accumulators as they are.
		Label(fmt.Sprintf("tail%d", h))
		Load(Param("k"), r)
		ANDQ(U8(15), r)
		JZ(LabelRef(fmt.Sprintf("done%d", h)))
		tailPtr(r, cnt)
		VMOVUPS(Mem{Base: cnt, Disp: d}, ym)
		VMASKMOVPS(Mem{Base: ap, Disp: d}, ym, ya)
		for j := range c {
			col := Mem{Base: bq, Disp: (64*j + d) / scale}
			if half {
				VCVTPH2PS(col, yb)
				VANDPS(ym, yb, yb)
				VORPS(Mem{Base: cnt, Disp: negOff + d}, yb, yb)
			} else {
				maskedNegZero(col, ym, cnt, d, yb)
			}
			VFMADD231PS(yb, ya, acc(0, j))
		}
		Label(fmt.Sprintf("done%d", h))
		for j := range c {
			if h == 0 {
				VMOVUPS(acc(0, j), low.Offset(32*j))
			} else {
				VADDPS(low.Offset(32*j), acc(0, j), acc(0, j)) // a[j] += a[j+8]
			}
		}
	}
	storeResults(1, c, acc, groupAVX2)
	VZEROUPPER()
	RET()
}

// chunkDotAVX512 generates chunkDotAVX512, chunkDotAVX2 for 16 columns with
// AVX-512F: a chunk's 16 lanes of the 16 columns are 1 KiB of contiguous
// values, one ZMM accumulator per column (Z8–Z23), one FMA per column and
// chunk, and group512 finishes the trees four columns at a time. A last
// partial chunk goes through merge-masked FMAs. With half it is
// chunkDotHalfAVX512, over binary16 values (512 bytes a chunk), each
// column's 16 converted by VCVTPH2PS (zeroing-masked in a last partial
// chunk) before its FMA.
func chunkDotAVX512(half bool) {
	name, elem, vs := "chunkDotAVX512", "float32", "values"
	scale := 1
	if half {
		name, elem, vs = "chunkDotHalfAVX512", "uint16", "binary16 values"
		scale = 2
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(c *float32, ldc int, a *float32, b *%s, bstep int, k int)", elem))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes c[j] = Dot(a[0:k], column j), j < 16, of %s in chunks of 16 rows: element t of column j at b[(t/16)·bstep/%d + 16j + t%%16], with AVX-512F.", name, vs, 4/scale))
	const c = 16
	acc := func(_, j int) VecPhysical { return zmm(8 + j) }
	tmp := func(j int) VecPhysical { return zmm(25 + j%7) }
	za := Z24
	ap, bq, step, cnt, r := gp[0], gp[1], gp[4], gp[5], gp[6]
	for j := range c {
		VPXORD(acc(0, j), acc(0, j), acc(0, j))
	}
	Load(Param("a"), ap)
	Load(Param("b"), bq)
	Load(Param("bstep"), step)
	Load(Param("k"), cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: ap}, za)
	for j := range c {
		col := Mem{Base: bq, Disp: 64 * j / scale}
		if half {
			VCVTPH2PS(col, tmp(j))
			VFMADD231PS(tmp(j), za, acc(0, j))
		} else {
			VFMADD231PS(col, za, acc(0, j))
		}
	}
	ADDQ(U8(64), ap)
	ADDQ(step, bq)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	// The last k mod 16 lanes, with merge-masked FMAs.
	Label("tail")
	Load(Param("k"), r)
	ANDQ(U8(15), r)
	JZ(LabelRef("done"))
	tailMask(r, cnt, K1)
	VMOVUPS_Z(Mem{Base: ap}, K1, za)
	for j := range c {
		col := Mem{Base: bq, Disp: 64 * j / scale}
		if half {
			VCVTPH2PS_Z(col, K1, tmp(j))
			VFMADD231PS(tmp(j), za, K1, acc(0, j))
		} else {
			VFMADD231PS(col, za, K1, acc(0, j))
		}
	}
	Label("done")
	VMOVUPS(laneIdx, Z4)
	storeResults(1, c, acc, group512)
	VZEROUPPER()
	RET()
}

// divAVX2 generates dst[i] = x[i] / d, the last loop of Softmax: VDIVPS
// rounds each quotient correctly, as Go's float32 division does. The tail's
// lanes past the end load as zeros: 0/d never traps, and they are not
// stored.
func divAVX2() {
	vecScalar("divAVX2", "d", "sets dst[i] = x[i] / d for i < len(dst) with AVX.",
		func() {}, func() { VDIVPS(Y12, Y0, Y6) })
}

// writeTable writes the Go table that maps a block shape to its kernel.
func writeTable(path string, avx2, avx512 []shape) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by kernels/_asm. DO NOT EDIT.\n\n//go:build !purego\n\npackage kernels\n\n")
	// kernelRows writes rows 1…4 of a [5][maxC + 1] table of isa's R×C
	// kernels.
	kernelRows := func(indent, isa string, shapes []shape) {
		for r := 1; r <= 4; r++ {
			fmt.Fprintf(&b, "%s%d: {", indent, r)
			for _, s := range shapes {
				if s.R == r {
					fmt.Fprintf(&b, "%d: %s, ", s.C, kernelName(isa, s.R, s.C))
				}
			}
			fmt.Fprintf(&b, "},\n")
		}
	}
	emit := func(name, isa string, cmax [5]int, shapes []shape) {
		fmt.Fprintf(&b, "// %s holds the %s micro-kernels: k[R][C] computes an R×C block", name, isa)
		fmt.Fprintf(&b, ",\n// pf[R][C] the same while prefetching rows of b for the next column blocks")
		fmt.Fprintf(&b, ".\n")
		fmt.Fprintf(&b, "var %s = kernelSet{\n\tcmax: [5]int{0, %d, %d, %d, %d},\n", name, cmax[1], cmax[2], cmax[3], cmax[4])
		table := func(field, isa string) {
			fmt.Fprintf(&b, "\t%s: [5][maxC + 1]microKernel{\n", field)
			kernelRows("\t\t", isa, shapes)
			fmt.Fprintf(&b, "\t},\n")
		}
		table("k", isa)
		table("pf", isa+"pf")
		fmt.Fprintf(&b, "}\n\n")
	}
	emit("avx2Kernels", "AVX2", avx2Cmax, avx2)
	emit("avx512Kernels", "AVX512", avx512Cmax, avx512)
	// The binary16-b kernels, prefetching only (they serve few rows, their
	// b from memory).
	emitHalf := func(name, isa, what string, shapes []shape) {
		fmt.Fprintf(&b, "// %s holds the %s micro-kernels with b in binary16, each\n", name, what)
		fmt.Fprintf(&b, "// prefetching the rows of b for the next column blocks.\n")
		fmt.Fprintf(&b, "var %s = [5][maxC + 1]microHalfKernel{\n", name)
		kernelRows("\t", isa, shapes)
		fmt.Fprintf(&b, "}\n\n")
	}
	emitHalf("avx2HalfKernels", "hAVX2pf", "AVX2 (k a multiple of 16)", avx2)
	emitHalf("avx512HalfKernels", "hAVX512pf", "AVX-512", avx512)
	fmt.Fprintf(&b, "// rowPairsShortAVX2 holds rowPairsShortAVX2_<k/16> at index k/16.\n")
	fmt.Fprintf(&b, "var rowPairsShortAVX2 = [...]rowPairsShortKernel{")
	for kb := 1; kb <= rowPairsShortBlocks; kb++ {
		fmt.Fprintf(&b, "%d: rowPairsShortAVX2_%d, ", kb, kb)
	}
	fmt.Fprintf(&b, "}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return fmt.Errorf("formatting the kernel table: %w", err)
	}
	return os.WriteFile(filepath.Clean(path), src, 0o644)
}

// vconst names the constants of the vector Exp and GELU, each replicated
// into a 32-byte row of the vconstTab table so it can be an AVX2 operand.
type vconst int

const (
	cLog2e vconst = iota
	cSign
	cHalf
	cLn2Hi
	cLn2Lo
	cP0
	cP1
	cP2
	cP3
	cP4
	cP5
	cOne
	cMinusOne
	cExpMax
	cExpMin
	cInf
	cI64
	cI127
	cIMinus64
	cIMinus126
	cNine
	cMinusNine
	cGeluA
	cGeluC
	cGelu3A
	nVConst
)

var vconsts Mem

func f32(x float64) uint32 { return math.Float32bits(float32(x)) }

// defineVConsts writes the constant table. The float constants are those of
// exp.go, rounded to float32 exactly as the Go compiler rounds them there.
func defineVConsts() Mem {
	v := [nVConst]uint32{
		cLog2e:     f32(1.44269504088896341),
		cSign:      0x80000000,
		cHalf:      f32(0.5),
		cLn2Hi:     f32(0.693359375),
		cLn2Lo:     f32(-2.12194440e-4),
		cP0:        f32(1.9875691500e-4),
		cP1:        f32(1.3981999507e-3),
		cP2:        f32(8.3334519073e-3),
		cP3:        f32(4.1665795894e-2),
		cP4:        f32(1.6666665459e-1),
		cP5:        f32(5.0000001201e-1),
		cOne:       f32(1),
		cMinusOne:  f32(-1),
		cExpMax:    f32(88.72283935546875),
		cExpMin:    f32(-103.97207708),
		cInf:       0x7f800000,
		cI64:       64,
		cI127:      127,
		cIMinus64:  uint32(0xffffffc0), // int32 −64
		cIMinus126: uint32(0xffffff82), // int32 −126
		cNine:      f32(9),
		cMinusNine: f32(-9),
		cGeluA:     f32(0.044715),
		cGeluC:     f32(0.7978845608028654),
		cGelu3A:    f32(3 * 0.044715), // 3·geluA, folded as a constant as in GELUBackward
	}
	m := GLOBL("vconstTab", RODATA|NOPTR)
	for i, bits := range v {
		for l := range 8 {
			DATA(32*i+4*l, U32(bits))
		}
	}
	return m
}

func vc(c vconst) Mem { return vconsts.Offset(32 * int(c)) }

// expCore computes Y6 = Exp(Y0) lane by lane, bit-identical to the scalar
// Exp in exp.go (same float32 operations in the same order; FMA32 is
// VFMADD/VFNMADD, whose negated product is exact). Y0 is preserved;
// Y1–Y11 are clobbered.
//
// With tanhRange, only the lanes with |Y0| ≤ 18 (Tanh's Exp(2u) for |u| ≤
// 9) must come out right, and NaN: the others are overwritten by ±1 after.
// There k = round(x·log2e) lies in [−26, 26], where scalePow2 is the one
// product y·2^k (its second factor is 1), and x is inside (expMin, expMax),
// so the range cases are left out; NaN still returns x as Exp does.
func expCore(tanhRange bool) {
	// k = int32(float32(z ± 0.5)) with z = float32(x·log2e): half away from
	// zero. (z = −0 takes −0.5 here and +0.5 in Go; both truncate to 0.)
	VMULPS(vc(cLog2e), Y0, Y1)
	VANDPS(vc(cSign), Y1, Y2)
	VORPS(vc(cHalf), Y2, Y2)
	VADDPS(Y2, Y1, Y1)
	VCVTTPS2DQ(Y1, Y1) // k (truncation, as Go's int32 conversion)
	VCVTDQ2PS(Y1, Y3)  // kf
	VMOVAPS(Y0, Y4)
	VFNMADD231PS(vc(cLn2Hi), Y3, Y4) // r = FMA32(−kf, ln2Hi, x)
	VFNMADD231PS(vc(cLn2Lo), Y3, Y4) // r = FMA32(−kf, ln2Lo, r)
	VMULPS(Y4, Y4, Y5)               // r2 = float32(r·r)
	VMOVUPS(vc(cP0), Y6)
	for _, c := range []vconst{cP1, cP2, cP3, cP4, cP5} {
		VFMADD213PS(vc(c), Y4, Y6) // p = FMA32(p, r, P)
	}
	VFMADD213PS(Y4, Y5, Y6) // FMA32(p, r2, r)
	VADDPS(vc(cOne), Y6, Y6)
	if tanhRange {
		VPADDD(vc(cI127), Y1, Y9)
		VPSLLD(U8(23), Y9, Y9)
		VMULPS(Y9, Y6, Y6)        // y·2^k
		VCMPPS(U8(3), Y0, Y0, Y7) // UNORD_Q
		VBLENDVPS(Y7, Y0, Y6, Y6)
		return
	}
	// scalePow2: y·2^j1·2^j2 with (j1, j2) = (k, 0), (127, k−127) for
	// k > 127, (k+64, −64) for k < −126; the first product is exact and the
	// second is ·1 in the common case, as in Go.
	VPCMPGTD(vc(cI127), Y1, Y7) // big: k > 127
	VMOVDQU(vc(cIMinus126), Y11)
	VPCMPGTD(Y1, Y11, Y8) // small: −126 > k
	VPADDD(vc(cI64), Y1, Y9)
	VBLENDVPS(Y8, Y9, Y1, Y9)
	VBLENDVPS(Y7, vc(cI127), Y9, Y9) // j1
	VPSUBD(vc(cI127), Y1, Y10)
	VANDPS(Y7, Y10, Y10)
	VANDPS(vc(cIMinus64), Y8, Y11)
	VORPS(Y11, Y10, Y10) // j2
	VPADDD(vc(cI127), Y9, Y9)
	VPSLLD(U8(23), Y9, Y9)
	VPADDD(vc(cI127), Y10, Y10)
	VPSLLD(U8(23), Y10, Y10)
	VMULPS(Y9, Y6, Y6)
	VMULPS(Y10, Y6, Y6)
	// The special cases, which Go tests first: NaN, x > expMax, x < expMin.
	VCMPPS(U8(0x1e), vc(cExpMax), Y0, Y7) // GT_OQ
	VBLENDVPS(Y7, vc(cInf), Y6, Y6)
	VCMPPS(U8(0x11), vc(cExpMin), Y0, Y8) // LT_OQ
	VANDNPS(Y6, Y8, Y6)
	VCMPPS(U8(3), Y0, Y0, Y7) // UNORD_Q
	VBLENDVPS(Y7, Y0, Y6, Y6)
}

// elementwise generates a loop over y, 8 lanes at a time with a masked
// tail, that loads x[i] (after pre) into Y0, runs body (result in res),
// then post when not nil (which may finish res from other inputs at byte
// offset off; in the tail, Y15 masks the lanes in range) and stores res to
// y[i]. Y12–Y15 are free for pre.
func elementwise(yp, xp, n GPPhysical, pre func(), body func(), post func(off GPPhysical, tail bool), res VecPhysical) {
	off, cnt := RAX, RDX
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(3), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, Y0)
	pre()
	body()
	if post != nil {
		post(off, false)
	}
	VMOVUPS(res, Mem{Base: yp, Index: off, Scale: 1})
	ADDQ(U8(32), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U8(7), n)
	JZ(LabelRef("done"))
	tailPtr(n, cnt)
	VMOVUPS(Mem{Base: cnt}, Y15)
	VMASKMOVPS(Mem{Base: xp, Index: off, Scale: 1}, Y15, Y0)
	pre()
	body()
	VMOVUPS(Mem{Base: cnt}, Y15)
	if post != nil {
		post(off, true)
	}
	VMASKMOVPS(res, Y15, Mem{Base: yp, Index: off, Scale: 1})
	Label("done")
	VZEROUPPER()
	RET()
}

// expSubAVX2 generates dst[i] = Exp(x[i] − sub), the inner loop of Softmax.
func expSubAVX2() {
	vecScalar("expSubAVX2", "sub", "sets dst[i] = Exp(x[i] − sub) for i < len(dst) with AVX2+FMA, bit-identical to Exp.",
		func() { VSUBPS(Y12, Y0, Y0) }, func() { expCore(false) })
}

// inPlace starts the function name, a func(x []float32) that works on x in
// place, with its doc line, and returns the registers holding x's base and
// length.
func inPlace(name, doc string) (xp, n GPPhysical) {
	TEXT(name, NOSPLIT, "func(x []float32)")
	Pragma("noescape")
	Doc(doc)
	xp, n = RSI, RCX
	Load(Param("x").Base(), xp)
	Load(Param("x").Len(), n)
	return xp, n
}

// geluAVX2 generates x[i] = GELU(x[i]) in place.
func geluAVX2() {
	xp, n := inPlace("geluAVX2", "geluAVX2 sets x[i] = GELU(x[i]) for i < len(x) with AVX2+FMA, bit-identical to GELU.")
	body := func() {
		geluTanh()
		// g = float32(float32(0.5·x)·(1 + Tanh(u)))
		VADDPS(vc(cOne), Y1, Y1)
		VMULPS(vc(cHalf), Y13, Y2)
		VMULPS(Y1, Y2, Y6)
	}
	elementwise(xp, xp, n, func() {}, body, nil, Y6)
}

// geluTanh computes, from Y0 = x, Y13 = x, Y12 = u = float32(geluC·(x +
// ((a·x)·x)·x)) as GELU and GELUBackward compute it, and Y1 = Tanh(u):
// (e − 1)/(e + 1) with e = Exp(2u), or ±1 beyond ±9, as Tanh does. Y0 holds
// 2u afterwards; Y2–Y11 are clobbered.
func geluTanh() {
	VMOVAPS(Y0, Y13)
	VMULPS(vc(cGeluA), Y13, Y12)
	VMULPS(Y13, Y12, Y12)
	VMULPS(Y13, Y12, Y12)
	VADDPS(Y12, Y13, Y12)
	VMULPS(vc(cGeluC), Y12, Y12)
	VADDPS(Y12, Y12, Y0) // 2u, exact
	expCore(true)
	VSUBPS(vc(cOne), Y6, Y1)
	VADDPS(vc(cOne), Y6, Y2)
	VDIVPS(Y2, Y1, Y1)
	VCMPPS(U8(0x1e), vc(cNine), Y12, Y7) // u > 9
	VBLENDVPS(Y7, vc(cOne), Y1, Y1)
	VCMPPS(U8(0x11), vc(cMinusNine), Y12, Y7) // u < −9
	VBLENDVPS(Y7, vc(cMinusOne), Y1, Y1)
}

// bc is the broadcast (embedded {1to16}) operand of a constant of vconsts.
func bc(c vconst) Mem { return vc(c) }

// zset is one copy of the registers of the AVX-512 Exp and GELU: Z(i) for
// i < 14 and three mask registers (big, small and a temporary). The loops
// run two copies interleaved (GELU three, in fewer registers), so that the
// long dependency chain of one vector overlaps the others' without needing
// the whole out-of-order window.
type zset struct {
	base int
	big  Op
	sml  Op
	tmp  Op
	regs []int // where not nil, Z(i) is Z(regs[i]) (−1: not available)
}

func (r zset) z(i int) VecPhysical {
	if r.regs != nil {
		if r.regs[i] < 0 {
			panic(fmt.Sprintf("zset: z(%d) is not in this copy", i))
		}
		return zmm(r.regs[i])
	}
	return zmm(r.base + i)
}

// geluZsets are three copies of the ten registers that GELU's body uses
// (z(0)–z(6), z(9), z(12), z(13); the tanh range needs no scalePow2 and
// no big or small masks), so that three vectors are in flight.
var geluZsets = func() [3]zset {
	var out [3]zset
	tmps := [3]Op{K1, K2, K3}
	for c := range out {
		regs := make([]int, 14)
		for i := range regs {
			regs[i] = -1
		}
		for j, i := range []int{0, 1, 2, 3, 4, 5, 6, 9, 12, 13} {
			regs[i] = 10*c + j
		}
		out[c] = zset{tmp: tmps[c], regs: regs}
	}
	return out
}()

// zsets are the two copies: Z0–Z13 with K1–K3, Z14–Z27 with K4, K5, K7
// (K6 is the tail's mask).
var zsets = [2]zset{{base: 0, big: K1, sml: K2, tmp: K3}, {base: 14, big: K4, sml: K5, tmp: K7}}

// steps is a straight-line instruction sequence, one closure per
// instruction, so that copies can be interleaved.
type steps []func()

// interleaveAll emits the sequences one instruction of each in turn, so
// that the copies' dependency chains overlap.
func interleaveAll(ss ...steps) {
	longest := 0
	for _, s := range ss {
		longest = max(longest, len(s))
	}
	for i := range longest {
		for _, s := range ss {
			if i < len(s) {
				s[i]()
			}
		}
	}
}

func (s steps) emit() {
	for _, f := range s {
		f()
	}
}

// expCore512 is expCore on ZMM registers: z(6) = Exp(z(0)), the same
// float32 operations in the same order, with the AVX2 blends and vector
// compares turned into mask registers, and tanhRange as there. z(0) is
// preserved; z(1)–z(11) are clobbered.
func expCore512(r zset, tanhRange bool) steps {
	z := r.z
	s := steps{
		func() { VMULPS_BCST(bc(cLog2e), z(0), z(1)) },
		func() { VPANDD_BCST(bc(cSign), z(1), z(2)) },
		func() { VPORD_BCST(bc(cHalf), z(2), z(2)) },
		func() { VADDPS(z(2), z(1), z(1)) },
		func() { VCVTTPS2DQ(z(1), z(1)) }, // k
		func() { VCVTDQ2PS(z(1), z(3)) },  // kf
		func() { VMOVAPS(z(0), z(4)) },
		func() { VFNMADD231PS_BCST(bc(cLn2Hi), z(3), z(4)) }, // r = FMA32(−kf, ln2Hi, x)
		func() { VFNMADD231PS_BCST(bc(cLn2Lo), z(3), z(4)) }, // r = FMA32(−kf, ln2Lo, r)
		func() { VMULPS(z(4), z(4), z(5)) },                  // r2
		func() { VBROADCASTSS(vc(cP0), z(6)) },
	}
	for _, c := range []vconst{cP1, cP2, cP3, cP4, cP5} {
		s = append(s, func() { VFMADD213PS_BCST(bc(c), z(4), z(6)) }) // p = FMA32(p, r, P)
	}
	s = append(s,
		func() { VFMADD213PS(z(4), z(5), z(6)) }, // FMA32(p, r2, r)
		func() { VADDPS_BCST(bc(cOne), z(6), z(6)) },
	)
	if tanhRange {
		return append(s,
			func() { VPADDD_BCST(bc(cI127), z(1), z(9)) },
			func() { VPSLLD(U8(23), z(9), z(9)) },
			func() { VMULPS(z(9), z(6), z(6)) },         // y·2^k
			func() { VCMPPS(U8(3), z(0), z(0), r.tmp) }, // UNORD_Q
			func() { VBLENDMPS(z(0), z(6), r.tmp, z(6)) },
		)
	}
	return append(s,
		// scalePow2, as in expCore.
		func() { VPCMPGTD_BCST(bc(cI127), z(1), r.big) }, // big: k > 127
		func() { VPBROADCASTD(vc(cIMinus126), z(11)) },
		func() { VPCMPGTD(z(1), z(11), r.sml) }, // small: −126 > k
		func() { VPADDD_BCST(bc(cI64), z(1), z(9)) },
		func() { VPBLENDMD(z(9), z(1), r.sml, z(9)) }, // small ? k+64 : k
		func() { VPBROADCASTD(vc(cI127), z(8)) },
		func() { VPBLENDMD(z(8), z(9), r.big, z(9)) }, // j1 = big ? 127 : …
		func() { VPSUBD_BCST(bc(cI127), z(1), z(10)) },
		func() { VPXORD(z(7), z(7), z(7)) },
		func() { VPBLENDMD(z(10), z(7), r.big, z(10)) }, // big ? k−127 : 0
		func() { VPBROADCASTD(vc(cIMinus64), z(11)) },
		func() { VPBLENDMD(z(11), z(10), r.sml, z(10)) }, // j2 = small ? −64 : …
		func() { VPADDD(z(8), z(9), z(9)) },
		func() { VPSLLD(U8(23), z(9), z(9)) },
		func() { VPADDD(z(8), z(10), z(10)) },
		func() { VPSLLD(U8(23), z(10), z(10)) },
		func() { VMULPS(z(9), z(6), z(6)) },
		func() { VMULPS(z(10), z(6), z(6)) },
		// The special cases, which Go tests first: NaN, x > expMax, x < expMin.
		func() { VCMPPS_BCST(U8(0x1e), bc(cExpMax), z(0), r.tmp) }, // GT_OQ
		func() { VBROADCASTSS(vc(cInf), z(7)) },
		func() { VBLENDMPS(z(7), z(6), r.tmp, z(6)) },
		func() { VCMPPS_BCST(U8(0x11), bc(cExpMin), z(0), r.tmp) }, // LT_OQ
		func() { VPXORD(z(7), z(7), z(7)) },
		func() { VBLENDMPS(z(7), z(6), r.tmp, z(6)) },
		func() { VCMPPS(U8(3), z(0), z(0), r.tmp) }, // UNORD_Q
		func() { VBLENDMPS(z(0), z(6), r.tmp, z(6)) },
	)
}

// elementwise512 is elementwise with AVX-512F: 32 lanes at a time in the
// z(0) of both zsets, with body's two copies interleaved; then 16 with the
// first copy; then the tail through the K6 mask of kmaskTab (masked-off
// lanes load as zeros and are not stored). pre may use Z28–Z31; the result
// is z(6). post, when not nil, runs after body on each copy in element
// order (the first 16 lanes before the next 16), with the tail's mask K6
// or nil for a whole vector; end, when not nil, runs before the return.
func elementwise512(yp, xp, n GPPhysical, pre func(r zset), body func(r zset) steps, post func(r zset, mask Op), end func()) {
	if post == nil {
		post = func(zset, Op) {}
	}
	off, cnt := RAX, RDX
	a, b := zsets[0], zsets[1]
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(5), cnt)
	JZ(LabelRef("single"))
	Label("loop")
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, a.z(0))
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1, Disp: 64}, b.z(0))
	pre(a)
	pre(b)
	interleaveAll(body(a), body(b))
	post(a, nil)
	post(b, nil)
	VMOVUPS(a.z(6), Mem{Base: yp, Index: off, Scale: 1})
	VMOVUPS(b.z(6), Mem{Base: yp, Index: off, Scale: 1, Disp: 64})
	ADDQ(U8(128), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("single")
	BTQ(U8(4), n)
	JCC(LabelRef("tail")) // bit 4 of n clear: no 16-lane block left
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, a.z(0))
	pre(a)
	body(a).emit()
	post(a, nil)
	VMOVUPS(a.z(6), Mem{Base: yp, Index: off, Scale: 1})
	ADDQ(U8(64), off)
	Label("tail")
	ANDQ(U8(15), n)
	JZ(LabelRef("done"))
	tailMask(n, cnt, K6)
	VMOVUPS_Z(Mem{Base: xp, Index: off, Scale: 1}, K6, a.z(0))
	pre(a)
	body(a).emit()
	post(a, K6)
	VMOVUPS(a.z(6), K6, Mem{Base: yp, Index: off, Scale: 1})
	Label("done")
	if end != nil {
		end()
	}
	VZEROUPPER()
	RET()
}

// tailMask loads into k the AVX-512 mask of the first n mod 16 lanes
// (n < 16), from kmaskTab through the scratch register tmp.
func tailMask(n, tmp GPPhysical, k Op) {
	LEAQ(kmaskTab, tmp)
	KMOVW(Mem{Base: tmp, Index: n, Scale: 2}, k)
}

// broadcastParam broadcasts the float32 parameter name to every lane of v.
func broadcastParam(name string, v VecPhysical) {
	VBROADCASTSS(paramAddr(name), v)
}

// paramAddr is the address of the scalar parameter name.
func paramAddr(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		log.Fatal(err)
	}
	return p.Addr
}

// expSub512 is the loop of expSubAVX512 and expSubSumAVX512 over dst and x
// with sub in Z28: dst[i] = Exp(x[i] − sub), then post and end as
// elementwise512 runs them.
func expSub512(post func(r zset, mask Op), end func()) {
	yp, n, xp := RDI, RCX, RSI
	Load(Param("dst").Base(), yp)
	Load(Param("dst").Len(), n)
	Load(Param("x").Base(), xp)
	broadcastParam("sub", Z28)
	elementwise512(yp, xp, n, func(r zset) { VSUBPS(Z28, r.z(0), r.z(0)) }, func(r zset) steps { return expCore512(r, false) }, post, end)
}

// expSubAVX512 generates expSubAVX2 with AVX-512F.
func expSubAVX512() {
	TEXT("expSubAVX512", NOSPLIT, "func(dst, x []float32, sub float32)")
	Pragma("noescape")
	Doc("expSubAVX512 sets dst[i] = Exp(x[i] − sub) for i < len(dst) with AVX-512F, bit-identical to Exp.")
	expSub512(nil, nil)
}

// expSubSumAVX512 generates the second pass of softmaxScaled: expSubAVX512
// that also adds each dst[i] to acc[i mod 16] in increasing i, Sum's lane
// order (expSubSumGeneric). The masked-off lanes of the tail add nothing.
func expSubSumAVX512() {
	TEXT("expSubSumAVX512", NOSPLIT, "func(acc *[16]float32, dst, x []float32, sub float32)")
	Pragma("noescape")
	Doc("expSubSumAVX512 sets dst[i] = Exp(x[i] − sub) and adds it to acc[i mod 16], for i < len(dst) in order, with AVX-512F, bit-identical to expSubSumGeneric.")
	ap := RBX
	Load(Param("acc"), ap)
	VMOVUPS(Mem{Base: ap}, Z29)
	expSub512(
		func(r zset, mask Op) {
			if mask == nil {
				VADDPS(r.z(6), Z29, Z29)
			} else {
				VADDPS(r.z(6), Z29, mask, Z29)
			}
		},
		func() { VMOVUPS(Z29, Mem{Base: ap}) })
}

// softmaxShortAVX512 generates softmaxScaled for a row of at most 16
// elements, one masked vector and every step of softmaxScaled on it:
// x·scale; Max (one element per lane: NaNs and the lanes past the row at
// −Inf, the lanes folded by maxFold); Exp(x − m) (expCore512); Sum (each
// lane +0 + e = e, the lanes past the row +0, Reduce16); e / s.
func softmaxShortAVX512() {
	TEXT("softmaxShortAVX512", NOSPLIT, "func(x *float32, n int, scale float32)")
	Pragma("noescape")
	Doc("softmaxShortAVX512 applies softmaxScaled(x[0:n], scale), 1 ≤ n ≤ 16, with AVX-512F, bit-identical to softmaxScaled.")
	xp, n, t := RDI, RCX, RDX
	Load(Param("x"), xp)
	Load(Param("n"), n)
	softmaxRowSetup(n, t, "load")
	VMOVUPS_Z(Mem{Base: xp}, K6, Z0)
	softmaxRow()
	VMOVUPS(Z6, K6, Mem{Base: xp})
	VZEROUPPER()
	RET()
}

// softmaxRowSetup broadcasts the float32 parameter scale into Z28 and −Inf
// into Z29 and sets K6 to the lanes below n (1 ≤ n ≤ 16), with t as
// scratch, for softmaxRow; the code goes on at label next.
func softmaxRowSetup(n, t GPPhysical, next string) {
	broadcastParam("scale", Z28)
	MOVL(U32(0xff800000), t.As32())
	VPBROADCASTD(t.As32(), Z29) // −Inf
	CMPQ(n, U8(16))
	JNE(LabelRef("part"))
	KXNORW(K6, K6, K6)
	JMP(LabelRef(next))
	Label("part")
	tailMask(n, t, K6)
	Label(next)
}

// softmaxRow is softmaxScaled of the lanes of Z0 under K6, as set up by
// softmaxRowSetup: Z6 = the probabilities, +0 past the row. What Z0 holds
// past the row does not matter. It clobbers Z0–Z13, K1–K3 and K7.
func softmaxRow() {
	VMULPS(Z28, Z0, Z0)
	// Max over the row's lanes, NaNs left out.
	VCMPPS(U8(7), Z0, Z0, K6, K7) // ORD_Q within the row
	VBLENDMPS(Z0, Z29, K7, Z12)
	maxFold(12, 13)
	VBROADCASTSS(X12, Z12)
	VSUBPS(Z12, Z0, Z0)
	expCore512(zsets[0], false).emit() // Z6 = Exp(Z0)
	VMOVAPS_Z(Z6, K6, Z6)              // +0 past the row
	// Sum: Reduce16 of the lanes, in a copy.
	VMOVAPS(Z6, Z7)
	reduce16(7, 8)
	VBROADCASTSS(X7, Z7)
	VDIVPS(Z7, Z6, Z6)
}

// softmaxLongAVX512 generates softmaxScaled as one leaf for a row of any
// length: x·scale in place with Max's lanes (acc[i mod 16] = x[i] where
// x[i] > acc, from −Inf: VMAXPS with x first, so a NaN is never kept; the
// tail's masked-off lanes keep acc), the lanes folded (exact in any order,
// a zero made +0), the passes of expSubSumAVX512 (Exp(x − m) in place and
// Sum's lanes from +0, block after block), the Reduce16 tree, and x / s —
// without the returns to Go between them.
func softmaxLongAVX512() {
	TEXT("softmaxLongAVX512", NOSPLIT, "func(x *float32, n int, scale float32)")
	Pragma("noescape")
	Doc("softmaxLongAVX512 applies softmaxScaled(x[0:n], scale), n ≥ 1, with AVX-512F, bit-identical to softmaxScaled.")
	xp, n, p, cnt, t := RDI, RCX, RSI, RDX, RBX
	Load(Param("x"), xp)
	Load(Param("n"), n)
	broadcastParam("scale", Z28)
	MOVL(U32(0xff800000), t.As32())
	VPBROADCASTD(t.As32(), Z30) // the lanes' maxima, from −Inf
	// The tail's mask, K6, and the full blocks' count.
	MOVQ(n, cnt)
	ANDQ(U8(15), cnt)
	tailMask(cnt, t, K6)
	// blocks runs body(offset mask) over the full blocks, then over the
	// tail under K6 (zeroing loads, masked stores).
	blocks := func(tag string, body func(m Mem, mask Op)) {
		MOVQ(xp, p)
		MOVQ(n, cnt)
		SHRQ(U8(4), cnt)
		JZ(LabelRef("tail" + tag))
		Label("full" + tag)
		body(Mem{Base: p}, nil)
		ADDQ(U8(64), p)
		DECQ(cnt)
		JNZ(LabelRef("full" + tag))
		Label("tail" + tag)
		MOVQ(n, t)
		ANDQ(U8(15), t)
		JZ(LabelRef("done" + tag))
		body(Mem{Base: p}, K6)
		Label("done" + tag)
	}
	load := func(m Mem, mask Op, z VecPhysical) {
		if mask == nil {
			VMOVUPS(m, z)
		} else {
			VMOVUPS_Z(m, mask, z)
		}
	}
	store := func(z VecPhysical, m Mem, mask Op) {
		if mask == nil {
			VMOVUPS(z, m)
		} else {
			VMOVUPS(z, mask, m)
		}
	}
	// x·scale, and the lanes' maxima.
	blocks("S", func(m Mem, mask Op) {
		load(m, mask, Z0)
		VMULPS(Z28, Z0, Z0)
		store(Z0, m, mask)
		if mask == nil {
			VMAXPS(Z30, Z0, Z30) // Z30 = Z0 > Z30 ? Z0 : Z30
		} else {
			VMAXPS(Z30, Z0, mask, Z30)
		}
	})
	// The lanes folded: exact in any order, no NaN among them; +0 for
	// a zero of either sign.
	VMOVAPS(Z30, Z12)
	maxFold(12, 13)
	VBROADCASTSS(X12, Z28) // m
	// Exp(x − m) in place, and Sum's lanes from +0.
	VPXORD(Z29, Z29, Z29)
	blocks("E", func(m Mem, mask Op) {
		load(m, mask, Z0)
		VSUBPS(Z28, Z0, Z0)
		expCore512(zsets[0], false).emit() // Z6 = Exp(Z0)
		store(Z6, m, mask)
		if mask == nil {
			VADDPS(Z6, Z29, Z29)
		} else {
			VADDPS(Z6, Z29, mask, Z29)
		}
	})
	VMOVAPS(Z29, Z7)
	reduce16(7, 8)
	VBROADCASTSS(X7, Z7) // s
	blocks("D", func(m Mem, mask Op) {
		load(m, mask, Z0)
		VDIVPS(Z7, Z0, Z0)
		store(Z0, m, mask)
	})
	VZEROUPPER()
	RET()
}

// geluAVX512 generates geluAVX2 with AVX-512F.
func geluAVX512() {
	xp, n := inPlace("geluAVX512", "geluAVX512 sets x[i] = GELU(x[i]) for i < len(x) with AVX-512F, bit-identical to GELU.")
	body := func(r zset) steps {
		z := r.z
		return append(geluTanh512(r),
			// g = float32(float32(0.5·x)·(1 + Tanh(u)))
			func() { VADDPS_BCST(bc(cOne), z(1), z(1)) },
			func() { VMULPS_BCST(bc(cHalf), z(13), z(2)) },
			func() { VMULPS(z(1), z(2), z(6)) },
		)
	}
	elementwise3x512(xp, xp, n, geluZsets, body, nil)
}

// geluTanh512 is geluTanh on ZMM in the registers of r: from z(0) = x, it
// leaves z(13) = x, z(12) = u and z(1) = Tanh(u).
func geluTanh512(r zset) steps {
	z := r.z
	s := steps{
		func() { VMOVAPS(z(0), z(13)) },
		func() { VMULPS_BCST(bc(cGeluA), z(13), z(12)) },
		func() { VMULPS(z(13), z(12), z(12)) },
		func() { VMULPS(z(13), z(12), z(12)) },
		func() { VADDPS(z(12), z(13), z(12)) },
		func() { VMULPS_BCST(bc(cGeluC), z(12), z(12)) },
		func() { VADDPS(z(12), z(12), z(0)) }, // 2u, exact
	}
	s = append(s, expCore512(r, true)...)
	return append(s,
		func() { VSUBPS_BCST(bc(cOne), z(6), z(1)) },
		func() { VADDPS_BCST(bc(cOne), z(6), z(2)) },
		func() { VDIVPS(z(2), z(1), z(1)) },
		func() { VCMPPS_BCST(U8(0x1e), bc(cNine), z(12), r.tmp) }, // u > 9
		func() { VBROADCASTSS(vc(cOne), z(3)) },
		func() { VBLENDMPS(z(3), z(1), r.tmp, z(1)) },
		func() { VCMPPS_BCST(U8(0x11), bc(cMinusNine), z(12), r.tmp) }, // u < −9
		func() { VBROADCASTSS(vc(cMinusOne), z(3)) },
		func() { VBLENDMPS(z(3), z(1), r.tmp, z(1)) },
	)
}

// geluBackwardAVX512 generates geluBackwardAVX2 with AVX-512F, three
// vectors in flight.
func geluBackwardAVX512() {
	TEXT("geluBackwardAVX512", NOSPLIT, "func(dx, dy, x []float32)")
	Pragma("noescape")
	Doc("geluBackwardAVX512 sets dx[i] = dy[i]·GELU′(x[i]) for i < len(x) with AVX-512F, bit-identical to GELUBackward; len(dx) and len(dy) ≥ len(x), and dx may be dy.")
	dxp, dyp, xp, n := RDI, RBX, RSI, RCX
	Load(Param("dx").Base(), dxp)
	Load(Param("dy").Base(), dyp)
	Load(Param("x").Base(), xp)
	Load(Param("x").Len(), n)
	body := func(r zset) steps {
		z := r.z
		return append(geluTanh512(r),
			func() { VMULPS(z(13), z(13), z(2)) }, // x2 = float32(x·x)
			func() { VMULPS(z(1), z(1), z(3)) },
			func() { VBROADCASTSS(vc(cOne), z(4)) },
			func() { VSUBPS(z(3), z(4), z(3)) },             // sech2 = 1 − float32(t·t)
			func() { VMULPS_BCST(bc(cGelu3A), z(2), z(2)) }, // float32(3a·x2)
			func() { VADDPS_BCST(bc(cOne), z(2), z(2)) },    // 1 + …
			func() { VMULPS_BCST(bc(cGeluC), z(2), z(2)) },  // du = float32(geluC·(1 + …))
			func() { VADDPS_BCST(bc(cOne), z(1), z(5)) },    // 1 + t
			func() { VMULPS_BCST(bc(cHalf), z(5), z(5)) },   // float32(0.5·(1 + t))
			func() { VMULPS_BCST(bc(cHalf), z(13), z(6)) },  // 0.5·x
			func() { VMULPS(z(3), z(6), z(6)) },             // float32(0.5·x·sech2)
			func() { VMULPS(z(2), z(6), z(6)) },             // float32(… ·du)
			func() { VADDPS(z(6), z(5), z(6)) },             // d
		)
	}
	// post multiplies by dy: float32(dy·d).
	post := func(r zset, off GPPhysical, disp int, mask Op) steps {
		z := r.z
		dy := Mem{Base: dyp, Index: off, Scale: 1, Disp: disp}
		if mask == nil {
			return steps{func() { VMULPS(dy, z(6), z(6)) }}
		}
		return steps{
			func() { VMOVUPS_Z(dy, mask, z(0)) },
			func() { VMULPS(z(0), z(6), z(6)) },
		}
	}
	elementwise3x512(dxp, xp, n, geluZsets, body, post)
}

// elementwise3x512 is elementwise512 with three copies of body
// interleaved: 48 lanes at a time, then 16 at a time with the first copy,
// then the tail through the K6 mask. It reads x at xp and writes the result,
// z(6), to yp (which may be xp); post, where not nil, follows body for the
// vector at byte disp past off, masked by mask in the tail.
func elementwise3x512(yp, xp, n GPPhysical, copies [3]zset, body func(r zset) steps, post func(r zset, off GPPhysical, disp int, mask Op) steps) {
	off, rem := RAX, RDX
	a := copies[0]
	full := func(r zset, disp int, mask Op) steps {
		s := body(r)
		if post != nil {
			s = append(s, post(r, off, disp, mask)...)
		}
		return s
	}
	XORQ(off, off)
	MOVQ(n, rem)
	Label("loop")
	CMPQ(rem, U8(48))
	JB(LabelRef("single"))
	for c, r := range copies {
		VMOVUPS(Mem{Base: xp, Index: off, Scale: 1, Disp: 64 * c}, r.z(0))
	}
	interleaveAll(full(copies[0], 0, nil), full(copies[1], 64, nil), full(copies[2], 128, nil))
	for c, r := range copies {
		VMOVUPS(r.z(6), Mem{Base: yp, Index: off, Scale: 1, Disp: 64 * c})
	}
	ADDQ(U32(192), off)
	SUBQ(U8(48), rem)
	JMP(LabelRef("loop"))
	Label("single")
	CMPQ(rem, U8(16))
	JB(LabelRef("tail"))
	VMOVUPS(Mem{Base: xp, Index: off, Scale: 1}, a.z(0))
	full(a, 0, nil).emit()
	VMOVUPS(a.z(6), Mem{Base: yp, Index: off, Scale: 1})
	ADDQ(U8(64), off)
	SUBQ(U8(16), rem)
	JMP(LabelRef("single"))
	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("done"))
	tailMask(rem, n, K6)
	VMOVUPS_Z(Mem{Base: xp, Index: off, Scale: 1}, K6, a.z(0))
	full(a, 0, K6).emit()
	VMOVUPS(a.z(6), K6, Mem{Base: yp, Index: off, Scale: 1})
	Label("done")
	VZEROUPPER()
	RET()
}

// geluBackwardAVX2 generates dx[i] = dy[i]·GELU′(x[i]), GELUBackward's
// formula operation by operation (every product rounded, no FMA).
func geluBackwardAVX2() {
	TEXT("geluBackwardAVX2", NOSPLIT, "func(dx, dy, x []float32)")
	Pragma("noescape")
	Doc("geluBackwardAVX2 sets dx[i] = dy[i]·GELU′(x[i]) for i < len(x) with AVX2+FMA, bit-identical to GELUBackward; len(dx) and len(dy) ≥ len(x), and dx may be dy.")
	dxp, dyp, xp, n := RDI, RBX, RSI, RCX
	Load(Param("dx").Base(), dxp)
	Load(Param("dy").Base(), dyp)
	Load(Param("x").Base(), xp)
	Load(Param("x").Len(), n)
	// body computes Y6 = GELU′(x) of Y0 = x.
	body := func() {
		geluTanh()
		VMULPS(Y13, Y13, Y2) // x2 = float32(x·x)
		VMULPS(Y1, Y1, Y3)
		VMOVUPS(vc(cOne), Y4)
		VSUBPS(Y3, Y4, Y3)          // sech2 = 1 − float32(t·t)
		VMULPS(vc(cGelu3A), Y2, Y5) // float32(3a·x2)
		VADDPS(vc(cOne), Y5, Y5)    // 1 + …
		VMULPS(vc(cGeluC), Y5, Y5)  // du = float32(geluC·(1 + …))
		VADDPS(vc(cOne), Y1, Y6)    // 1 + t
		VMULPS(vc(cHalf), Y6, Y6)   // float32(0.5·(1 + t))
		VMULPS(vc(cHalf), Y13, Y7)  // 0.5·x
		VMULPS(Y3, Y7, Y7)          // float32(0.5·x·sech2)
		VMULPS(Y5, Y7, Y7)          // float32(… ·du)
		VADDPS(Y7, Y6, Y6)          // d
	}
	// post multiplies by dy[i]: float32(dy·d).
	post := func(off GPPhysical, tail bool) {
		dy := Mem{Base: dyp, Index: off, Scale: 1}
		if tail {
			VMASKMOVPS(dy, Y15, Y8)
			VMULPS(Y8, Y6, Y6)
			return
		}
		VMULPS(dy, Y6, Y6)
	}
	elementwise(dxp, xp, n, func() {}, body, post, Y6)
}

// transposeAVX2 generates the strip of 8·g rows of a transpose (g = 1 or
// 2): for the n&^7 first columns j of the 8·g rows of a at stride lda,
// dst[j·ldd+i] = a[i·lda+j] (i < 8·g). A transpose only moves floats, so it
// is exact whatever the order. Each 8×8 block is loaded as 128-bit halves,
// rows i and i+4 in one YMM register (the lane crossing done by the loads),
// then transposed inside the 128-bit lanes by 16 unpack/shuffle
// instructions. With g = 2 each column of a 16-row strip is written as 64
// contiguous bytes, a whole cache line when dst is aligned, instead of two
// halves written a strip apart: large transposes, whose rows of dst fall in
// few cache sets, would otherwise read every line of dst in twice.
func transposeAVX2(name string, g int) {
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, a *float32, lda int, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[j·ldd+i] = a[i·lda+j] for i < %d, j < n&^7 with AVX.", name, 8*g))
	d, t, p, s, cnt := RDI, RDX, RSI, RCX, RBX
	Load(Param("dst"), d)
	Load(Param("ldd"), t)
	Load(Param("a"), p)
	Load(Param("lda"), s)
	Load(Param("n"), cnt)
	SHRQ(U8(3), cnt)
	JZ(LabelRef("done"))
	SHLQ(U8(2), t)
	SHLQ(U8(2), s)
	q, s3, d4, t3, t8, p8, q8 := R8, R9, R10, R11, R12, R13, RAX
	LEAQ(Mem{Base: s, Index: s, Scale: 2}, s3) // 3·lda bytes
	LEAQ(Mem{Base: p, Index: s, Scale: 4}, q)  // row 4
	if g == 2 {
		LEAQ(Mem{Base: q, Index: s, Scale: 4}, p8)  // row 8
		LEAQ(Mem{Base: p8, Index: s, Scale: 4}, q8) // row 12
	}
	LEAQ(Mem{Base: t, Index: t, Scale: 2}, t3)
	LEAQ(Mem{Base: d, Index: t, Scale: 4}, d4) // dst row 4 of the block
	MOVQ(t, t8)
	SHLQ(U8(3), t8)
	// rowOf addresses row i (< 4) after base, rows stride bytes apart (s3:
	// three strides), with the base+index forms that need no multiply.
	rowOf := func(base, stride, s3 GPPhysical, i int) Mem {
		switch i {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: stride, Scale: 1}
		case 2:
			return Mem{Base: base, Index: stride, Scale: 2}
		}
		return Mem{Base: base, Index: s3, Scale: 1}
	}
	row := func(i int) Mem { // row i of a, at the current column
		return rowOf([]GPPhysical{p, q, p8, q8}[i/4], s, s3, i%4)
	}
	out := func(j int) Mem { // row j of the dst block
		return rowOf([]GPPhysical{d, d4}[j/4], t, t3, j%4)
	}
	Label("loop")
	for h := range 2 { // columns 4h…4h+3
		for r0 := 0; r0 < 8*g; r0 += 8 { // rows r0…r0+7
			// R[i] = [a_{r0+i}[4h…4h+3] | a_{r0+i+4}[4h…4h+3]], i < 4.
			for i := range 4 {
				VMOVUPS(row(r0+i).Offset(16*h), xmm(i))
				VINSERTF128(U8(1), row(r0+i+4).Offset(16*h), ymm(i), ymm(i))
			}
			VUNPCKLPS(Y1, Y0, Y4)         // a0 b0 a1 b1 | e0 f0 e1 f1
			VUNPCKHPS(Y1, Y0, Y5)         // a2 b2 a3 b3 | e2 f2 e3 f3
			VUNPCKLPS(Y3, Y2, Y6)         // c0 d0 c1 d1 | g0 h0 g1 h1
			VUNPCKHPS(Y3, Y2, Y7)         // c2 d2 c3 d3 | g2 h2 g3 h3
			VSHUFPS(U8(0x44), Y6, Y4, Y0) // a0 b0 c0 d0 | e0 f0 g0 h0
			VSHUFPS(U8(0xee), Y6, Y4, Y1) // column 1
			VSHUFPS(U8(0x44), Y7, Y5, Y2) // column 2
			VSHUFPS(U8(0xee), Y7, Y5, Y3) // column 3
			for j := range 4 {
				VMOVUPS(ymm(j), out(4*h+j).Offset(4*r0))
			}
		}
	}
	ADDQ(U8(32), p)
	ADDQ(U8(32), q)
	if g == 2 {
		ADDQ(U8(32), p8)
		ADDQ(U8(32), q8)
	}
	ADDQ(t8, d)
	ADDQ(t8, d4)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// keyDotsHalfAVX512 generates keyDotsHalf over StoreKVHalf's key chunks
// (16 positions, transposed: element d of position j at (j/16)·16·k + 16·d
// + j mod 16): lane accumulator l of Dot(q, key j) for the chunk's 16 j at
// once is Z(l) = FMA(q[d], row d, ·) over d ≡ l (mod 16) in increasing d,
// from +0, and Reduce16's tree is VADDPS between registers (treeAdd): no
// reduction within a register.
func keyDotsHalfAVX512() {
	TEXT("keyDotsHalfAVX512", NOSPLIT, "func(s *float32, q *float32, keys *uint16, chunks int, k int)")
	Pragma("noescape")
	Doc("keyDotsHalfAVX512 computes keyDotsHalfGeneric's s[j] for the 16·chunks keys of the key chunks, k a positive multiple of 16, with AVX-512F.")
	sp, qp, kp, cnt, inner, qq := gp[0], gp[1], gp[2], gp[3], gp[4], gp[5]
	Load(Param("s"), sp)
	Load(Param("q"), qp)
	Load(Param("keys"), kp)
	Load(Param("chunks"), cnt)
	Label("chunk")
	for l := range 16 {
		VPXORD(zmm(l), zmm(l), zmm(l))
	}
	MOVQ(qp, qq)
	Load(Param("k"), inner)
	SHRQ(U8(4), inner)
	Label("dims")
	for l := range 16 {
		row := zmm(16 + l%8)
		VCVTPH2PS(Mem{Base: kp, Disp: 32 * l}, row)
		VFMADD231PS_BCST(Mem{Base: qq, Disp: 4 * l}, row, zmm(l))
	}
	ADDQ(U32(64), qq)
	ADDQ(U32(512), kp)
	DECQ(inner)
	JNZ(LabelRef("dims"))
	treeAdd(zmm)
	VMOVUPS(Z0, Mem{Base: sp})
	ADDQ(U32(64), sp)
	DECQ(cnt)
	JNZ(LabelRef("chunk"))
	VZEROUPPER()
	RET()
}

// keyDotsHalfAVX2 generates keyDotsHalfAVX512 for AVX2+FMA+F16C. A chunk's
// 16 positions take two YMM registers per lane accumulator, so the lanes go
// four at a time (eight accumulators, each broadcast of q feeding both
// halves): lanes 12–15 and 8–11 are kept on the stack, lanes 4–7 get 12–15
// added (Reduce16's first step) and are kept too, and lanes 0–3 get 8–11
// and then 4–7; the last two steps of the tree run between registers.
func keyDotsHalfAVX2() {
	TEXT("keyDotsHalfAVX2", NOSPLIT, "func(s *float32, q *float32, keys *uint16, chunks int, k int)")
	Pragma("noescape")
	Doc("keyDotsHalfAVX2 computes keyDotsHalfGeneric's s[j] for the 16·chunks keys of the key chunks, k a positive multiple of 16, with AVX2+FMA+F16C.")
	kept := AllocLocal(3 * 8 * 32) // lanes 12–15, 8–11 and 4–7 (folded)
	spill := func(g int) Mem { return kept.Offset(256 * (3 - g)) }
	sp, qp, kp, cnt, inner, qq, kk := gp[0], gp[1], gp[2], gp[3], gp[4], gp[5], gp[6]
	// acc(l, h): lane l of the group, positions 8h … 8h+7.
	acc := func(l, h int) VecPhysical { return ymm(2*l + h) }
	Load(Param("s"), sp)
	Load(Param("q"), qp)
	Load(Param("keys"), kp)
	Load(Param("chunks"), cnt)
	Label("chunk")
	for g := 3; g >= 0; g-- { // lanes 4g … 4g+3
		for i := range 8 {
			VXORPS(ymm(i), ymm(i), ymm(i))
		}
		MOVQ(qp, qq)
		MOVQ(kp, kk)
		Load(Param("k"), inner)
		SHRQ(U8(4), inner)
		Label(fmt.Sprintf("dims%d", g))
		for l := range 4 {
			d := 4*g + l
			qd, r0, r1 := ymm(8+l%2*4), ymm(9+l%2*4), ymm(10+l%2*4)
			VBROADCASTSS(Mem{Base: qq, Disp: 4 * d}, qd)
			VCVTPH2PS(Mem{Base: kk, Disp: 32 * d}, r0)
			VCVTPH2PS(Mem{Base: kk, Disp: 32*d + 16}, r1)
			VFMADD231PS(r0, qd, acc(l, 0))
			VFMADD231PS(r1, qd, acc(l, 1))
		}
		ADDQ(U32(64), qq)
		ADDQ(U32(512), kk)
		DECQ(inner)
		JNZ(LabelRef(fmt.Sprintf("dims%d", g)))
		switch g {
		case 1: // a[4+l] += a[12+l]
			for i := range 8 {
				VADDPS(spill(3).Offset(32*i), ymm(i), ymm(i))
			}
		case 0: // a[l] += a[8+l], then a[l] += a[4+l]
			for i := range 8 {
				VADDPS(spill(2).Offset(32*i), ymm(i), ymm(i))
			}
			for i := range 8 {
				VADDPS(spill(1).Offset(32*i), ymm(i), ymm(i))
			}
		}
		if g > 0 {
			for i := range 8 {
				VMOVUPS(ymm(i), spill(g).Offset(32*i))
			}
		}
	}
	for h := range 2 { // a[l] += a[l+2], then a[0] + a[1]
		VADDPS(acc(2, h), acc(0, h), acc(0, h))
		VADDPS(acc(3, h), acc(1, h), acc(1, h))
		VADDPS(acc(1, h), acc(0, h), acc(0, h))
		VMOVUPS(acc(0, h), Mem{Base: sp, Disp: 32 * h})
	}
	ADDQ(U32(64), sp)
	Load(Param("k"), inner)
	SHLQ(U8(5), inner) // a chunk's bytes: 16 positions of k binary16 values
	ADDQ(inner, kp)
	DECQ(cnt)
	JNZ(LabelRef("chunk"))
	VZEROUPPER()
	RET()
}

// keyDotsHalfPairsAVX2 generates keyDotsHalfAVX2 for two chunks (32
// positions, four YMM registers per lane accumulator) at a time, lanes two
// at a time, so that each broadcast of q feeds four FMAs. Reduce16's tree
// folds as the lanes come: lanes 8–15 are kept on the stack; lanes 6–7 and
// 4–5 get 14–15 and 12–13 added and are kept; lanes 2–3 get 10–11 and
// then 6–7; lanes 0–1 get 8–9, then 4–5, then 2–3; lane 1 goes onto lane
// 0 between registers.
func keyDotsHalfPairsAVX2() {
	TEXT("keyDotsHalfPairsAVX2", 0, "func(s *float32, q *float32, keys *uint16, nextKeys *uint16, values *uint16, pairs int, k int)")
	Pragma("noescape")
	Doc("keyDotsHalfPairsAVX2 computes keyDotsHalfGeneric's s[j] for the 32·pairs keys of the key chunks, k a positive multiple of 16, with AVX2+FMA+F16C; as it reads each byte of keys it prefetches the same byte of nextKeys and of values (hints: neither is read).")
	kept := AllocLocal(7 * 8 * 32)
	raw := func(g int) Mem { return kept.Offset(256 * (g - 4)) }    // lanes 2g, 2g+1, g ≥ 4
	folded := func(g int) Mem { return kept.Offset(256 * (g + 3)) } // g = 1, 2, 3
	sp, qp, kp, cnt, inner, qq, ka, kb, chunk, pf, vpf := gp[0], gp[1], gp[2], gp[3], gp[4], gp[5], gp[6], gp[7], gp[8], gp[9], gp[10]
	// acc(l, h): lane l of the pair, positions 8h … 8h+7 of the 32.
	acc := func(l, h int) VecPhysical { return ymm(4*l + h) }
	add := func(m Mem) {
		for i := range 8 {
			VADDPS(m.Offset(32*i), ymm(i), ymm(i))
		}
	}
	keep := func(m Mem) {
		for i := range 8 {
			VMOVUPS(ymm(i), m.Offset(32*i))
		}
	}
	Load(Param("s"), sp)
	Load(Param("q"), qp)
	Load(Param("keys"), kp)
	Load(Param("pairs"), cnt)
	Load(Param("k"), chunk)
	SHLQ(U8(5), chunk) // a chunk's bytes: 16 positions of k binary16 values
	// Each pass reads one line in eight of a pair, so a pair coming from
	// memory costs eight round trips (3–4 GB/s from memory on the 2-core
	// EPYC); the weighted sum reads the values eight columns at a time,
	// one line in eight of a chunk again. So pf walks the next head's keys
	// and vpf this head's values, two cache lines an inner iteration: a
	// pair is k lines, read over 8·k/16 iterations.
	Load(Param("nextKeys"), pf)
	Load(Param("values"), vpf)
	Label("pair")
	for g := 7; g >= 0; g-- { // lanes 2g, 2g+1
		for i := range 8 {
			VXORPS(ymm(i), ymm(i), ymm(i))
		}
		MOVQ(qp, qq)
		MOVQ(kp, ka)
		LEAQ(Mem{Base: kp, Index: chunk, Scale: 1}, kb)
		Load(Param("k"), inner)
		SHRQ(U8(4), inner)
		Label(fmt.Sprintf("dims%d", g))
		PREFETCHT0(Mem{Base: pf})
		PREFETCHT0(Mem{Base: pf, Disp: 64})
		PREFETCHT0(Mem{Base: vpf})
		PREFETCHT0(Mem{Base: vpf, Disp: 64})
		ADDQ(U8(128), pf)
		ADDQ(U8(128), vpf)
		for l := range 2 {
			d := 2*g + l
			qd := ymm(8 + 4*l)
			VBROADCASTSS(Mem{Base: qq, Disp: 4 * d}, qd)
			for h := range 4 {
				base := []GPPhysical{ka, kb}[h/2]
				r := ymm(9 + 4*l + h%3)
				VCVTPH2PS(Mem{Base: base, Disp: 32*d + 16*(h%2)}, r)
				VFMADD231PS(r, qd, acc(l, h))
			}
		}
		ADDQ(U32(64), qq)
		ADDQ(U32(512), ka)
		ADDQ(U32(512), kb)
		DECQ(inner)
		JNZ(LabelRef(fmt.Sprintf("dims%d", g)))
		switch g {
		case 7, 6, 5, 4:
			keep(raw(g))
		case 3, 2: // a[2g+l] += a[2g+8+l]
			add(raw(g + 4))
			keep(folded(g))
		case 1: // lanes 2–3: += 10–11, then += 6–7
			add(raw(5))
			add(folded(3))
			keep(folded(1))
		case 0: // lanes 0–1: += 8–9, += 4–5, += 2–3
			add(raw(4))
			add(folded(2))
			add(folded(1))
		}
	}
	for h := range 4 { // a[0] + a[1]
		VADDPS(acc(1, h), acc(0, h), acc(0, h))
		VMOVUPS(acc(0, h), Mem{Base: sp, Disp: 32 * h})
	}
	ADDQ(U32(128), sp)
	LEAQ(Mem{Base: kp, Index: chunk, Scale: 2}, kp)
	DECQ(cnt)
	JNZ(LabelRef("pair"))
	VZEROUPPER()
	RET()
}

// roundHalfAVX2 generates RoundHalf with F16C: VCVTPS2PH (round to nearest
// even) and back.
func roundHalfAVX2() {
	xp, n := inPlace("roundHalfAVX2", "roundHalfAVX2 sets x[i] = HalfFloat(HalfBits(x[i])) for i < len(x) with AVX and F16C.")
	elementwise(xp, xp, n, func() {}, func() {
		VCVTPS2PH(U8(0), Y0, X6)
		VCVTPH2PS(X6, Y6)
	}, nil, Y6)
}

// roundHalfAVX512 generates roundHalfAVX2 with AVX-512F.
func roundHalfAVX512() {
	xp, n := inPlace("roundHalfAVX512", "roundHalfAVX512 sets x[i] = HalfFloat(HalfBits(x[i])) for i < len(x) with AVX-512F.")
	body := func(r zset) steps {
		return steps{
			func() { VCVTPS2PH(U8(0), r.z(0), r.z(6).AsY()) },
			func() { VCVTPH2PS(r.z(6).AsY(), r.z(6)) },
		}
	}
	elementwise512(xp, xp, n, func(zset) {}, body, nil, nil)
}

// halfBitsAVX2 generates dst[i] = HalfBits(x[i]) with F16C for the whole
// blocks of 8 (the caller converts the rest): VCVTPS2PH with immediate 0
// rounds to nearest even.
func halfBitsAVX2() {
	TEXT("halfBitsAVX2", NOSPLIT, "func(dst []uint16, x []float32)")
	Pragma("noescape")
	Doc("halfBitsAVX2 sets dst[i] = HalfBits(x[i]) for i < len(dst) rounded down to a multiple of 8, with AVX and F16C.")
	dp, xp, cnt := RDI, RSI, RCX
	Load(Param("dst").Base(), dp)
	Load(Param("x").Base(), xp)
	Load(Param("dst").Len(), cnt)
	SHRQ(U8(3), cnt)
	JZ(LabelRef("done"))
	Label("loop")
	VMOVUPS(Mem{Base: xp}, Y0)
	VCVTPS2PH(U8(0), Y0, Mem{Base: dp})
	ADDQ(U8(32), xp)
	ADDQ(U8(16), dp)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	Label("done")
	RET()
}

// scatterHalfAVX2 generates the column store of StoreKVHalf: eight values
// at a time converted by VCVTPS2PH (as halfBitsAVX2) and stored one by one,
// 32 bytes (a transposed chunk's row) apart.
func scatterHalfAVX2() {
	TEXT("scatterHalfAVX2", NOSPLIT, "func(col *uint16, x *float32, n int)")
	Pragma("noescape")
	Doc("scatterHalfAVX2 sets col[16·d] = HalfBits(x[d]) for d < n, n a positive multiple of 8, with AVX and F16C.")
	cp, xp, cnt := RDI, RSI, RCX
	Load(Param("col"), cp)
	Load(Param("x"), xp)
	Load(Param("n"), cnt)
	SHRQ(U8(3), cnt)
	Label("loop")
	VMOVUPS(Mem{Base: xp}, Y1)
	VCVTPS2PH(U8(0), Y1, X0)
	for i := range 8 {
		VPEXTRW(U8(i), X0, Mem{Base: cp, Disp: 32 * i})
	}
	ADDQ(U8(32), xp)
	ADDQ(U32(256), cp)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	RET()
}

// halfBitsAVX512 generates halfBitsAVX2 with AVX-512F, 16 at a time, and
// the last len mod 16 under a mask.
func halfBitsAVX512() { halfBits512(false) }

// halvesExactAVX512 generates exactHalvesInto: halfBitsAVX512's conversion
// and stores, each value converted back and compared with the original as
// floats (ordered and equal: a NaN never is; zeros keep their sign both
// ways, so equal floats here are equal bits), the verdicts ANDed in K3.
func halvesExactAVX512() { halfBits512(true) }

// halfBits512 generates halfBitsAVX512, or with check halvesExactAVX512.
func halfBits512(check bool) {
	if check {
		TEXT("halvesExactAVX512", NOSPLIT, "func(dst []uint16, x []float32) bool")
		Pragma("noescape")
		Doc("halvesExactAVX512 sets dst[i] = HalfBits(x[i]) for i < len(dst) and reports whether every HalfFloat(dst[i]) has the bits of x[i] (no NaN), with AVX-512F.")
	} else {
		TEXT("halfBitsAVX512", NOSPLIT, "func(dst []uint16, x []float32)")
		Pragma("noescape")
		Doc("halfBitsAVX512 sets dst[i] = HalfBits(x[i]) for i < len(dst) with AVX-512F.")
	}
	dp, xp, n, cnt := RDI, RSI, RCX, RDX
	Load(Param("dst").Base(), dp)
	Load(Param("x").Base(), xp)
	Load(Param("dst").Len(), n)
	if check {
		KXNORW(K3, K3, K3)
	}
	MOVQ(n, cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: xp}, Z0)
	if check {
		VCVTPS2PH(U8(0), Z0, Y1)
		VMOVDQU(Y1, Mem{Base: dp})
		VCVTPH2PS(Y1, Z2)
		VCMPPS(U8(0), Z2, Z0, K2) // EQ_OQ
		KANDW(K2, K3, K3)
	} else {
		VCVTPS2PH(U8(0), Z0, Mem{Base: dp})
	}
	ADDQ(U8(64), xp)
	ADDQ(U8(32), dp)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U8(15), n)
	JZ(LabelRef("done"))
	tailMask(n, cnt, K1)
	VMOVUPS_Z(Mem{Base: xp}, K1, Z0)
	VCVTPS2PH(U8(0), Z0, K1, Mem{Base: dp})
	if check {
		VCVTPS2PH(U8(0), Z0, Y1)
		VCVTPH2PS(Y1, Z2)
		VCMPPS(U8(0), Z2, Z0, K1, K2)
		KXNORW(K2, K1, K2) // lanes past the tail pass
		KANDW(K2, K3, K3)
	}
	Label("done")
	if check {
		KORTESTW(K3, K3) // CF: every lane passed
		SETCS(AL)
		Store(AL, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

// adamWParams are the float32 parameters of the AdamW kernels, in the
// order of their signature and of AdamWCoefs.
var adamWParams = []string{"b1", "b2", "c1", "c2", "decay", "step", "sqrtBc2", "eps"}

// adamW generates adamW<ISA>: AdamWUpdate's formula operation by operation
// (every product rounded, no FMA; VSQRTPS and VDIVPS are correctly rounded,
// as math.Sqrt and Go's division are), 8 (AVX2) or 16 (AVX-512) parameters
// at a time, the tail through a mask: the masked-off lanes compute on
// zeros and are not stored.
func adamW(isa string) {
	name := "adamW" + isa
	TEXT(name, NOSPLIT, "func(p, g, m, v []float32, b1, b2, c1, c2, decay, step, sqrtBc2, eps float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s applies AdamWUpdate to p[i], m[i], v[i] for i < len(p) with %s, bit-identical to adamWGeneric; len(g), len(m) and len(v) ≥ len(p).",
		name, map[string]string{"AVX2": "AVX", "AVX512": "AVX-512F"}[isa]))
	wide := isa == "AVX512"
	reg, lanes := ymm, 8
	if wide {
		reg, lanes = zmm, 16
	}
	pp, gp, mp, vp, n := RDI, RSI, R8, R9, RCX
	Load(Param("p").Base(), pp)
	Load(Param("g").Base(), gp)
	Load(Param("m").Base(), mp)
	Load(Param("v").Base(), vp)
	Load(Param("p").Len(), n)
	// The coefficients in registers 8–15, in adamWParams' order.
	k := func(name string) VecPhysical {
		for i, p := range adamWParams {
			if p == name {
				return reg(8 + i)
			}
		}
		panic(name)
	}
	for _, p := range adamWParams {
		broadcastParam(p, k(p))
	}
	off, cnt := RAX, RDX
	XORQ(off, off)
	MOVQ(n, cnt)
	SHRQ(U8(map[bool]uint8{false: 3, true: 4}[wide]), cnt)
	at := func(base GPPhysical) Mem { return Mem{Base: base, Index: off, Scale: 1} }
	// body updates one vector; load and store move one vector, masked in
	// the tail.
	body := func(load func(Mem, VecPhysical), store func(VecPhysical, Mem)) {
		g, m, v, p, t, u := reg(0), reg(1), reg(2), reg(3), reg(4), reg(5)
		load(at(gp), g)
		load(at(mp), m)
		load(at(vp), v)
		load(at(pp), p)
		VMULPS(k("b1"), m, m) // float32(β1·m)
		VMULPS(k("c1"), g, t) // float32(C1·g)
		VADDPS(t, m, m)       // m
		VMULPS(k("b2"), v, v) // float32(β2·v)
		VMULPS(k("c2"), g, t) // float32(C2·g)
		VMULPS(g, t, t)       // float32(… ·g)
		VADDPS(t, v, v)       // v
		store(m, at(mp))
		store(v, at(vp))
		VMULPS(k("decay"), p, p)   // float32(p·Decay)
		VSQRTPS(v, t)              // float32(√v)
		VDIVPS(k("sqrtBc2"), t, t) // … / SqrtBc2
		VADDPS(k("eps"), t, t)     // den
		VMULPS(k("step"), m, u)    // float32(StepSize·m)
		VDIVPS(t, u, u)            // … / den
		VSUBPS(u, p, p)            // p
		store(p, at(pp))
	}
	JZ(LabelRef("tail"))
	Label("loop")
	body(func(m Mem, x VecPhysical) { VMOVUPS(m, x) }, func(x VecPhysical, m Mem) { VMOVUPS(x, m) })
	ADDQ(U8(4*lanes), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U8(lanes-1), n)
	JZ(LabelRef("done"))
	if wide {
		tailMask(n, cnt, K1)
		body(func(m Mem, x VecPhysical) { VMOVUPS_Z(m, K1, x) }, func(x VecPhysical, m Mem) { VMOVUPS(x, K1, m) })
	} else {
		tailPtr(n, cnt)
		mask := Y7 // registers 0–5 hold the data, 8–15 the coefficients
		VMOVUPS(Mem{Base: cnt}, mask)
		body(func(m Mem, x VecPhysical) { VMASKMOVPS(m, mask, x) }, func(x VecPhysical, m Mem) { VMASKMOVPS(x, mask, m) })
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// layerNormBackwardRowsAVX512 generates LayerNormBackwardRows for rows of
// n floats, n a positive multiple of 16: per row, the forward's mean and r
// as layerNormRowsAVX512 computes them, then one pass that writes x̂ to dx
// and ĝ to scratch, accumulates dg (and db) and the lanes of Sum(ĝ) and
// Dot(ĝ, x̂) (from +0, the dot fused), and a last pass for dx — every
// operation the scalar loop's, in its order.
func layerNormBackwardRowsAVX512() {
	TEXT("layerNormBackwardRowsAVX512", NOSPLIT, "func(dx, dg, db, dy, x, gain, scratch *float32, n int, rows int, eps float32)")
	Pragma("noescape")
	Doc("layerNormBackwardRowsAVX512 computes LayerNormBackwardRows(dx, dg, db, dy, x, gain, rows, n, eps, scratch) for n a positive multiple of 16 with AVX-512F; db may be nil.")
	dxp := Load(Param("dx"), RDI)
	dgp := Load(Param("dg"), R8)
	dbp := Load(Param("db"), R9)
	dyp := Load(Param("dy"), RSI)
	xp := Load(Param("x"), RDX)
	gptr := Load(Param("gain"), R12)
	ghp := Load(Param("scratch"), R13)
	nb := Load(Param("n"), R10)
	rows := Load(Param("rows"), R11)
	off, t := RAX, RCX
	at := func(base Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }
	VCVTSI2SSQ(nb, X15, X15) // float32(n), exact below 2^24
	SHLQ(U8(2), nb)          // bytes
	loop := func(name string, body func()) { rowLoop(name, off, nb, body) }
	Label("row")
	layerNormScale(xp, dxp, nb, off, t, paramAddr("eps"))
	// x̂ = float32(d·r) into dx, ĝ = float32(dy·g) into scratch,
	// dg += float32(dy·x̂), db += dy; Sum(ĝ)'s lanes in Z1, Dot(ĝ, x̂)'s
	// in Z6.
	VPXORD(Z1, Z1, Z1)
	VPXORD(Z6, Z6, Z6)
	loop("grads", func() {
		VMOVUPS(at(dyp), Z8)
		VMULPS(at(dxp), Z3, Z4) // x̂
		VMOVUPS(Z4, at(dxp))
		VMULPS(at(gptr), Z8, Z5) // ĝ
		VMOVUPS(Z5, at(ghp))
		VMULPS(Z4, Z8, Z7)
		VADDPS(at(dgp), Z7, Z7)
		VMOVUPS(Z7, at(dgp))
		VADDPS(Z5, Z1, Z1)
		VFMADD231PS(Z4, Z5, Z6)
		TESTQ(dbp, dbp)
		JZ(LabelRef("nobias"))
		VADDPS(at(dbp), Z8, Z8)
		VMOVUPS(Z8, at(dbp))
		Label("nobias")
	})
	reduce16(1, 2)
	VDIVSS(X15, X1, X1) // m1
	VBROADCASTSS(X1, Z9)
	reduce16(6, 7)
	VDIVSS(X15, X6, X6) // m2
	VBROADCASTSS(X6, Z10)
	// dx = float32(r·float32(float32(ĝ − m1) − float32(x̂·m2))).
	loop("dx", func() {
		VMOVUPS(at(ghp), Z4)
		VSUBPS(Z9, Z4, Z4)
		VMULPS(at(dxp), Z10, Z5)
		VSUBPS(Z5, Z4, Z4)
		VMULPS(Z3, Z4, Z4)
		VMOVUPS(Z4, at(dxp))
	})
	ADDQ(nb, xp)
	ADDQ(nb, dxp)
	ADDQ(nb, dyp)
	DECQ(rows)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}
