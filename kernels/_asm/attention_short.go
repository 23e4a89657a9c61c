package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// shortAttentionAVX512 generates shortAttention, AttentionStep over at most
// 16 positions in ShortAttentionStep's layout, as one leaf: every reduction
// of Attention is vertical there.
//
//   - The scores: with the keys transposed (row d holds the 16 positions'
//     element d), lane accumulator l of Dot(q_h, k_j) for all 16 j at once
//     is Z(12+l) = FMA(q[16c+l], row 16c+l, ·) over the 16-element chunks c
//     in order, from +0, and Reduce16's tree is VADDPS between registers.
//     Lanes j ≥ n hold whatever the cache held; the mask K6 keeps them out
//     of the softmax, which is softmaxShortAVX512's.
//   - The values, by rows: Attention's lane j of out[d] is FMA(p_j, v_j[d],
//     +0), 16 columns at a time in one register per j (left +0 for j ≥ n,
//     which are not read), and Reduce16's tree again between registers.
func shortAttentionAVX512() {
	TEXT("shortAttentionAVX512", NOSPLIT, "func(out *float32, q *float32, cache *float32, n int, heads int, groups int, scale float32)")
	Pragma("noescape")
	Doc("shortAttentionAVX512 computes shortAttentionGeneric(out, q, cache, n, heads, dim) with AVX-512F for dim = heads·groups·16, 1 ≤ n ≤ 16.")
	probs := AllocLocal(64)
	op, qp, kp, vcol, n, hcnt, cnt, vrow, rowBytes, t := gp[0], gp[1], gp[2], gp[3], gp[4], gp[5], gp[6], gp[7], gp[8], gp[9]
	acc := func(l int) VecPhysical { return zmm(12 + l) }
	Load(Param("out"), op)
	Load(Param("q"), qp)
	Load(Param("cache"), kp)
	Load(Param("n"), n)
	Load(Param("heads"), hcnt)
	// dim = 16·heads·groups: the value rows' stride, and where they start
	// (after the 16·dim floats of transposed keys).
	Load(Param("groups"), rowBytes)
	IMULQ(hcnt, rowBytes)
	SHLQ(U8(6), rowBytes) // 4·dim
	MOVQ(rowBytes, vcol)
	SHLQ(U8(4), vcol)
	ADDQ(kp, vcol)
	broadcastParam("scale", Z28)
	MOVL(U32(0xff800000), t.As32())
	VPBROADCASTD(t.As32(), Z29) // −Inf
	CMPQ(n, U8(16))
	JNE(LabelRef("part"))
	KXNORW(K6, K6, K6)
	JMP(LabelRef("head"))
	Label("part")
	tailMask(n, t, K6)

	Label("head")
	for l := range 16 {
		VPXORD(acc(l), acc(l), acc(l))
	}
	Load(Param("groups"), cnt)
	Label("keys")
	for l := range 16 {
		row := zmm(30 + l%2)
		VMOVUPS(Mem{Base: kp, Disp: 64 * l}, row)
		VFMADD231PS_BCST(Mem{Base: qp, Disp: 4 * l}, row, acc(l))
	}
	ADDQ(U32(64), qp)
	ADDQ(U32(1024), kp)
	DECQ(cnt)
	JNZ(LabelRef("keys"))
	treeAdd(acc)
	VMOVAPS(acc(0), Z0)

	// softmaxScaled of lanes < n, as softmaxShortAVX512 does it.
	VMULPS(Z28, Z0, Z0)
	VCMPPS(U8(7), Z0, Z0, K6, K7) // ORD_Q within the row
	VBLENDMPS(Z0, Z29, K7, Z12)
	maxFold(12, 13)
	VBROADCASTSS(X12, Z12)
	VSUBPS(Z12, Z0, Z0)
	expCore512(zsets[0], false).emit() // Z6 = Exp(Z0)
	VMOVAPS_Z(Z6, K6, Z6)              // +0 past the row
	VMOVAPS(Z6, Z7)
	reduce16(7, 8)
	VBROADCASTSS(X7, Z7)
	VDIVPS(Z7, Z6, Z6)
	VMOVUPS(Z6, probs)

	Load(Param("groups"), cnt)
	Label("values")
	MOVQ(vcol, vrow)
	for j := range 16 {
		VPXORD(acc(j), acc(j), acc(j))
		CMPQ(n, U8(j))
		JLE(LabelRef(fmt.Sprintf("skip%d", j)))
		VMOVUPS(Mem{Base: vrow}, zmm(30+j%2))
		VFMADD231PS_BCST(probs.Offset(4*j), zmm(30+j%2), acc(j))
		ADDQ(rowBytes, vrow)
		Label(fmt.Sprintf("skip%d", j))
	}
	treeAdd(acc)
	VMOVUPS(acc(0), Mem{Base: op})
	ADDQ(U32(64), op)
	ADDQ(U32(64), vcol)
	DECQ(cnt)
	JNZ(LabelRef("values"))
	DECQ(hcnt)
	JNZ(LabelRef("head"))
	VZEROUPPER()
	RET()
}

// treeAdd combines 16 registers by Reduce16's tree, element by element:
// acc(l) += acc(l+w) for w = 8, 4, 2, 1, leaving the sums in acc(0).
func treeAdd(acc func(int) VecPhysical) {
	for w := 8; w >= 1; w /= 2 {
		for l := range w {
			VADDPS(acc(l+w), acc(l), acc(l))
		}
	}
}
