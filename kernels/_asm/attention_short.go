package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// shortHeadsMax is the most heads shortAttentionAVX512 takes (its frame
// holds a vector per head).
const shortHeadsMax = 8

// shortAttentionAVX512 generates ShortAttentionStep — the store of the
// newest key and value, and AttentionStep over at most 16 positions in its
// layout — as one leaf, in which every reduction of Attention is vertical:
//
//   - The scores: with the keys transposed (row d holds the 16 positions'
//     element d), lane accumulator l of Dot(q_h, k_j) for all 16 j at once
//     is Z(12+l) = FMA(q[16c+l], row 16c+l, ·) over the 16-element chunks c
//     in order, from +0, and Reduce16's tree is VADDPS between registers.
//     Lane n−1, the newest key, is Dot(q_h, k) computed from k itself and
//     put in with a one-lane mask: the key is stored last, as a load of a
//     row four bytes of which were just written would wait for that store.
//     Lanes j ≥ n hold whatever the cache held; the mask K6 keeps them out
//     of the softmax, which is softmaxShortAVX512's.
//   - The values, by rows: Attention's lane j of out[d] is FMA(p_j, v_j[d],
//     +0), 16 columns at a time in one register per j (left +0 for j ≥ n,
//     which are not read), and Reduce16's tree again between registers.
//
// The heads' scores, then their softmaxes, then their weighted sums run in
// three loops, so that the heads' long dependency chains overlap.
func shortAttentionAVX512() {
	TEXT("shortAttentionAVX512", NOSPLIT, "func(out *float32, q *float32, k *float32, v *float32, cache *float32, n int, heads int, groups int, scale float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("shortAttentionAVX512 runs ShortAttentionStep(out, q, k, v, cache, n, heads, dim) with AVX-512F for dim = heads·groups·16, 1 ≤ n ≤ 16, heads ≤ %d.", shortHeadsMax))
	frame := AllocLocal(64 * shortHeadsMax) // each head's scores, then probabilities
	op, qp, kp, vcol, n, hcnt, cnt, vrow, rowBytes, t, sp, kk := gp[0], gp[1], gp[2], gp[3], gp[4], gp[5], gp[6], gp[7], gp[8], gp[9], gp[10], gp[11]
	acc := func(l int) VecPhysical { return zmm(12 + l) }
	Load(Param("cache"), kp)
	Load(Param("n"), n)
	// dim = 16·heads·groups: the value rows' stride, and where they start
	// (after the 16·dim floats of transposed keys).
	Load(Param("heads"), hcnt)
	Load(Param("groups"), rowBytes)
	IMULQ(hcnt, rowBytes)
	SHLQ(U8(6), rowBytes) // 4·dim
	MOVQ(rowBytes, vcol)
	SHLQ(U8(4), vcol)
	ADDQ(kp, vcol)
	// The newest value, row n−1, in whole vectors (which its loads below
	// take from the store buffer).
	LEAQ(Mem{Base: n, Disp: -1}, t)
	IMULQ(rowBytes, t)
	ADDQ(vcol, t)
	Load(Param("v"), vrow)
	XORQ(cnt, cnt)
	Label("value")
	VMOVUPS(Mem{Base: vrow, Index: cnt, Scale: 1}, Z0)
	VMOVUPS(Z0, Mem{Base: t, Index: cnt, Scale: 1})
	ADDQ(U8(64), cnt)
	CMPQ(cnt, rowBytes)
	JNE(LabelRef("value"))
	softmaxRowSetup(n, t, "newest")
	XORL(t.As32(), t.As32())
	LEAQ(Mem{Base: n, Disp: -1}, cnt)
	BTSL(cnt.As32(), t.As32())
	KMOVW(t.As32(), K5) // lane n−1

	// The scores of every head.
	Load(Param("q"), qp)
	Load(Param("k"), kk)
	LEAQ(frame, sp)
	Label("scores")
	for l := range 16 {
		VPXORD(acc(l), acc(l), acc(l))
	}
	VPXORD(Z1, Z1, Z1)
	Load(Param("groups"), cnt)
	Label("keys")
	for l := range 16 {
		row := zmm(30 + l%2)
		VMOVUPS(Mem{Base: kp, Disp: 64 * l}, row)
		VFMADD231PS_BCST(Mem{Base: qp, Disp: 4 * l}, row, acc(l))
	}
	VMOVUPS(Mem{Base: qp}, Z2)
	VFMADD231PS(Mem{Base: kk}, Z2, Z1) // the newest key's lanes
	ADDQ(U32(64), qp)
	ADDQ(U32(64), kk)
	ADDQ(U32(1024), kp)
	DECQ(cnt)
	JNZ(LabelRef("keys"))
	treeAdd(acc)
	reduce16(1, 2)
	VBROADCASTSS(X1, Z1)
	VMOVAPS(Z1, K5, acc(0))
	VMOVUPS(acc(0), Mem{Base: sp})
	ADDQ(U8(64), sp)
	DECQ(hcnt)
	JNZ(LabelRef("scores"))

	// softmaxScaled of each head's lanes < n.
	Load(Param("heads"), hcnt)
	LEAQ(frame, sp)
	Label("softmax")
	VMOVUPS(Mem{Base: sp}, Z0)
	softmaxRow()
	VMOVUPS(Z6, Mem{Base: sp})
	ADDQ(U8(64), sp)
	DECQ(hcnt)
	JNZ(LabelRef("softmax"))

	// The weighted sums of the values, 16 columns at a time.
	Load(Param("out"), op)
	Load(Param("heads"), hcnt)
	LEAQ(frame, sp)
	Label("head")
	Load(Param("groups"), cnt)
	Label("values")
	MOVQ(vcol, vrow)
	for j := range 16 {
		VPXORD(acc(j), acc(j), acc(j))
		CMPQ(n, U8(j))
		JLE(LabelRef(fmt.Sprintf("skip%d", j)))
		VMOVUPS(Mem{Base: vrow}, zmm(30+j%2))
		VFMADD231PS_BCST(Mem{Base: sp, Disp: 4 * j}, zmm(30+j%2), acc(j))
		ADDQ(rowBytes, vrow)
		Label(fmt.Sprintf("skip%d", j))
	}
	treeAdd(acc)
	VMOVUPS(acc(0), Mem{Base: op})
	ADDQ(U32(64), op)
	ADDQ(U32(64), vcol)
	DECQ(cnt)
	JNZ(LabelRef("values"))
	ADDQ(U8(64), sp)
	DECQ(hcnt)
	JNZ(LabelRef("head"))

	// The newest key, column n−1 of the transposed rows.
	Load(Param("k"), kk)
	Load(Param("cache"), kp)
	LEAQ(Mem{Base: kp, Index: n, Scale: 4, Disp: -4}, kp)
	MOVQ(rowBytes, cnt)
	SHRQ(U8(6), cnt)
	Label("column")
	for i := range 16 {
		MOVL(Mem{Base: kk, Disp: 4 * i}, t.As32())
		MOVL(t.As32(), Mem{Base: kp, Disp: 64 * i})
	}
	ADDQ(U8(64), kk)
	ADDQ(U32(1024), kp)
	DECQ(cnt)
	JNZ(LabelRef("column"))
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
