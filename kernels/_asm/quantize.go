package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The frequency total of package arith (arith.TotalBits): the generator
// does not import the module it generates for.
const arithTotal = 1 << 24

// generateArith is the -set arith mode: the integer leaves of package arith.
func generateArith() {
	ConstraintExpr("!purego")
	quantizeAVX512()
	cumulativeAVX512()
	Generate()
}

// quantizeAVX512 generates arith.Quantize's common case as one leaf: all 256
// entries held in Z0–Z15, their largest bit pattern, the first entry that
// has it, the block fixed points x_i (VPSRLVD gives 0 for counts of 32 and
// more, as the rule's clamped 64-bit shift of a value below 2^32 does), S
// in 64-bit lanes, M by DIVQ, x_i·M in 64 bits from two VPMULUDQ per half
// (M may exceed 32 bits), and the remainder added to the first largest
// entry. All of it is integer arithmetic, exact in any order. It returns
// false, having written nothing, when an entry has its sign bit set or is
// NaN or Inf, or when every entry is zero: Quantize's Go code handles those.
func quantizeAVX512() {
	TEXT("quantizeAVX512", NOSPLIT, "func(probs *float32, freqs *uint32) bool")
	Pragma("noescape")
	Doc("quantizeAVX512 computes Quantize(probs[0:256], freqs[0:256]) with AVX-512F when every entry is finite and non-negative (no −0) and one is not zero, and reports whether it did.")
	pp, fp, t, best, mask := RSI, RDI, RAX, RBX, RCX
	Load(Param("probs"), pp)
	Load(Param("freqs"), fp)
	x := func(i int) VecPhysical { return zmm(i) }
	for i := range 16 {
		VMOVDQU32(Mem{Base: pp, Disp: 64 * i}, x(i))
	}
	// The largest bit pattern: a tree over the registers, then the lanes.
	for i := range 8 {
		VPMAXUD(x(2*i), x(2*i+1), zmm(16+i))
	}
	for w := 4; w >= 1; w /= 2 {
		for i := range w {
			VPMAXUD(zmm(16+i), zmm(16+i+w), zmm(16+i))
		}
	}
	foldLanes(func(a, b, d VecPhysical) { VPMAXUD(a, b, d) }, Z16, Z17, 4)
	VMOVD(X16, t.As32())
	CMPL(t.As32(), U32(0x7f800000))
	JAE(LabelRef("slow"))
	TESTL(t.As32(), t.As32())
	JZ(LabelRef("slow"))

	// The first entry with those bits.
	VPBROADCASTD(t.As32(), Z16)
	for i := range 16 {
		VPCMPEQD(x(i), Z16, K1)
		KMOVW(K1, mask.As32())
		TESTL(mask.As32(), mask.As32())
		JNZ(LabelRef(fmt.Sprintf("found%d", i)))
	}
	for i := range 16 {
		Label(fmt.Sprintf("found%d", i))
		TZCNTL(mask.As32(), best.As32())
		ADDL(U32(16*i), best.As32())
		JMP(LabelRef("fixed"))
	}

	// x_i = mant·2^8 >> ((E−1) − e + normal), E = max(e_max, 1).
	Label("fixed")
	SHRL(U8(23), t.As32())
	MOVL(U32(1), mask.As32())
	CMPL(t.As32(), mask.As32())
	CMOVLCS(mask.As32(), t.As32())
	DECL(t.As32())
	VPBROADCASTD(t.As32(), Z17) // E − 1
	MOVL(U32(0x7fffff), t.As32())
	VPBROADCASTD(t.As32(), Z18)
	MOVL(U32(0xff), t.As32())
	VPBROADCASTD(t.As32(), Z19)
	MOVQ(U64(0xffffffff), t)
	VPBROADCASTQ(t, Z25) // the low half of each 64-bit lane
	VPXORD(Z23, Z23, Z23)
	VPXORD(Z24, Z24, Z24)
	for i := range 16 {
		e, normal, cnt := Z20, Z21, Z22
		VPSRLD(U8(23), x(i), e)
		VPADDD(Z19, e, normal)
		VPSRLD(U8(8), normal, normal)
		VPSUBD(e, Z17, cnt)
		VPADDD(normal, cnt, cnt)
		VPANDD(Z18, x(i), x(i))
		VPSLLD(U8(23), normal, normal)
		VPORD(normal, x(i), x(i))
		VPSLLD(U8(8), x(i), x(i))
		VPSRLVD(cnt, x(i), x(i))
		// S, in 64-bit lanes: the even and the odd entries.
		VPANDQ(Z25, x(i), e)
		VPADDQ(e, Z23, Z23)
		VPSRLQ(U8(32), x(i), e)
		VPADDQ(e, Z24, Z24)
	}
	VPADDQ(Z24, Z23, Z23)
	foldLanes(func(a, b, d VecPhysical) { VPADDQ(a, b, d) }, Z23, Z24, 8)
	VMOVQ(X23, mask) // S

	// M = ceil(T·2^40 / S), T = Total − 256; the dividend is below 2^64.
	MOVQ(U64((arithTotal-256)<<40-1), t)
	ADDQ(mask, t)
	XORL(EDX, EDX)
	DIVQ(mask)
	VPBROADCASTQ(t, Z28) // M: VPMULUDQ reads its low 32 bits
	SHRQ(U8(32), t)
	VPBROADCASTQ(t, Z29) // M >> 32
	MOVL(U32(1), t.As32())
	VPBROADCASTD(t.As32(), Z27)
	VPXORD(Z26, Z26, Z26)
	// freqs[i] = 1 + floor(x_i·M / 2^40), Σ freqs in Z26.
	mulShift := func(src, dst, tmp VecPhysical) { // src ≠ dst
		VPMULUDQ(Z29, src, tmp)
		VPMULUDQ(Z28, src, dst)
		VPSLLQ(U8(32), tmp, tmp)
		VPADDQ(tmp, dst, dst)
		VPSRLQ(U8(40), dst, dst)
	}
	for i := range 16 {
		even, odd, tmp := Z20, Z21, Z22
		mulShift(x(i), even, tmp)
		VPSRLQ(U8(32), x(i), x(i))
		mulShift(x(i), odd, tmp)
		VPSLLQ(U8(32), odd, odd)
		VPORQ(odd, even, even)
		VPADDD(Z27, even, even)
		VMOVDQU32(even, Mem{Base: fp, Disp: 64 * i})
		VPADDD(even, Z26, Z26)
	}
	foldLanes(func(a, b, d VecPhysical) { VPADDD(a, b, d) }, Z26, Z27, 4)
	VMOVD(X26, t.As32())
	MOVL(U32(arithTotal), mask.As32())
	SUBL(t.As32(), mask.As32())
	ADDL(mask.As32(), Mem{Base: fp, Index: best, Scale: 4})
	VZEROUPPER()
	MOVB(U8(1), t.As8())
	Store(t.As8(), ReturnIndex(0))
	RET()

	Label("slow")
	VZEROUPPER()
	XORL(t.As32(), t.As32())
	Store(t.As8(), ReturnIndex(0))
	RET()
}

// foldLanes combines the lanes of z (size bytes each, 4 or 8) with op into
// its lowest lane, using tmp, in AVX-512F ZMM operations only (no VL):
// halves, then quarters, then pairs of 64 and 32 bits.
func foldLanes(op func(a, b, d VecPhysical), z, tmp VecPhysical, size int) {
	VSHUFI64X2(U8(0x4e), z, z, tmp)
	op(tmp, z, z)
	VSHUFI64X2(U8(0xb1), z, z, tmp)
	op(tmp, z, z)
	VPSHUFD(U8(0x4e), z, tmp)
	op(tmp, z, z)
	if size == 4 {
		VPSHUFD(U8(0xb1), z, tmp)
		op(tmp, z, z)
	}
}

// cumulativeAVX512 generates Cumulative.Set's sums: the prefix sums of the
// 256 frequencies, each vector's lanes by an in-register scan (VALIGND
// shifts by 1, 2, 4 and 8 lanes with zeros, added), plus the running total
// of the vectors before, stored one entry on (c[s+1] = Σ freqs[:s+1]), and
// c[0] = 0; and the total in 64-bit lanes, which the caller checks before
// it trusts the 32-bit sums (with a total of 2^24 none of them wrapped).
func cumulativeAVX512() {
	TEXT("cumulativeAVX512", NOSPLIT, "func(c *uint32, freqs *uint32) uint64")
	Pragma("noescape")
	Doc("cumulativeAVX512 sets c[0] = 0 and c[s+1] = Σ freqs[:s+1] mod 2^32 for s < 256, and returns Σ freqs in 64 bits, with AVX-512F.")
	cp, fp, t := RDI, RSI, RAX
	Load(Param("c"), cp)
	Load(Param("freqs"), fp)
	MOVL(U32(0), Mem{Base: cp})
	VPXORD(Z31, Z31, Z31) // zeros
	VPXORD(Z30, Z30, Z30) // the running total, in every lane
	VPXORD(Z28, Z28, Z28) // the 64-bit sums: even entries
	VPXORD(Z29, Z29, Z29) // odd entries
	MOVQ(U64(0xffffffff), t)
	VPBROADCASTQ(t, Z27)
	MOVL(U32(15), t.As32())
	VPBROADCASTD(t.As32(), Z26) // VPERMD index of lane 15
	for i := range 16 {
		x, s := zmm(i%4), zmm(4+i%4)
		VMOVDQU32(Mem{Base: fp, Disp: 64 * i}, x)
		VPANDQ(Z27, x, s)
		VPADDQ(s, Z28, Z28)
		VPSRLQ(U8(32), x, s)
		VPADDQ(s, Z29, Z29)
		for _, k := range []int{1, 2, 4, 8} {
			VALIGND(U8(16-k), Z31, x, s)
			VPADDD(s, x, x)
		}
		VPADDD(Z30, x, x)
		VMOVDQU32(x, Mem{Base: cp, Disp: 4 + 64*i})
		VPERMD(x, Z26, Z30)
	}
	VPADDQ(Z29, Z28, Z28)
	foldLanes(func(a, b, d VecPhysical) { VPADDQ(a, b, d) }, Z28, Z29, 8)
	VMOVQ(X28, t)
	Store(t, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
