package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The reduction network of the AVX-512 R×C micro-kernels. group512 folds
// four accumulators at a time with nine shuffles (2.25 an output); the
// network folds eight or sixteen with about one each. At every fold of the
// Reduce16 tree it pairs two vectors: a blend takes half the lanes from
// each, a shuffle brings the partners of those lanes, and one VADDPS adds
// both vectors' folds. Shuffles of 512 bits run on one port on Intel and
// on two of four on Zen 5, blends on more; at k = 96 a 4×6 block's 54
// shuffles under group512 came close to its 144 FMAs. Through the network
// (BenchmarkMatMulLayouts, AVX-512, best of three, GFLOP/s): a·bᵀ at 8 ×
// 288 × 96 went from 168.0 to 190.1 on the 2-core EPYC and from 88.1 to
// 112.9 on the device's Xeon, at 64 × 768 × 256 from 211.0 to 220.0 and
// from 126.1 to 138.8.
//
// The generator simulates every instruction it emits on netNodes and
// panics unless each addition joins the two halves of one fold of one
// accumulator's tree, in the order Reduce16 adds them (x + y and y + x
// are the same float32, NaN payloads aside, which the package's contract
// does not fix), and unless every accumulator's sum reaches a lane that is
// stored.

// netNode is what a lane of a vector in the network holds: node j of
// level level of the Reduce16 tree of accumulator acc (level 0: lane j of
// the accumulator; level 4: its whole sum). acc < 0 marks a lane no result
// uses.
type netNode struct{ acc, level, j int }

// netVec is a register of the network and what its lanes hold.
type netVec struct {
	reg   VecPhysical
	lanes [16]netNode
}

var junk = netNode{acc: -1}

// netSum is the lanes of x + y: where x[l] and y[l] are the two halves of
// a fold of one accumulator's tree, their parent; elsewhere junk.
func netSum(x, y [16]netNode) [16]netNode {
	var s [16]netNode
	for l := range 16 {
		a, b := x[l], y[l]
		if a.j > b.j {
			a, b = b, a
		}
		half := 8 >> a.level
		if a.acc < 0 || a.acc != b.acc || a.level != b.level || a.level >= 4 || b.j != a.j+half || a.j >= half {
			s[l] = junk
			continue
		}
		s[l] = netNode{acc: a.acc, level: a.level + 1, j: a.j}
	}
	return s
}

// netCheckFold panics unless sum, the fold of x and y, still holds every
// accumulator that x and y held, with all the nodes of its new level.
func netCheckFold(what string, x, y, sum [16]netNode) {
	need := map[int]bool{}
	for _, v := range [][16]netNode{x, y} {
		for _, n := range v {
			if n.acc >= 0 {
				need[n.acc] = true
			}
		}
	}
	for _, n := range sum {
		delete(need, n.acc)
	}
	if len(need) > 0 {
		panic(fmt.Sprintf("reduction network, %s: accumulators %v lost", what, need))
	}
	full := map[[2]int]bool{} // (acc, j) at the new level must all be there
	for _, n := range sum {
		if n.acc >= 0 {
			full[[2]int{n.acc, n.j}] = true
		}
	}
	for _, n := range sum {
		if n.acc < 0 {
			continue
		}
		for j := range 16 >> n.level {
			if !full[[2]int{n.acc, j}] {
				panic(fmt.Sprintf("reduction network, %s: accumulator %d lacks node %d of level %d", what, n.acc, j, n.level))
			}
		}
	}
}

// Lane semantics of the instructions the network emits (Intel's order of
// sources: src1 is avo's last source operand).

func simShuff32x4(imm int, src2, src1 [16]netNode) (d [16]netNode) {
	for q := range 4 {
		src := src1
		if q >= 2 {
			src = src2
		}
		sel := imm >> (2 * q) & 3
		copy(d[4*q:4*q+4], src[4*sel:4*sel+4])
	}
	return d
}

func simShufps(imm int, src2, src1 [16]netNode) (d [16]netNode) {
	for q := range 4 {
		for e := range 4 {
			src := src1
			if e >= 2 {
				src = src2
			}
			d[4*q+e] = src[4*q+(imm>>(2*e)&3)]
		}
	}
	return d
}

func simBlend(mask uint16, src2, src1 [16]netNode) (d [16]netNode) {
	for l := range 16 {
		if mask>>l&1 != 0 {
			d[l] = src2[l]
		} else {
			d[l] = src1[l]
		}
	}
	return d
}

func simMovshdup(src [16]netNode) (d [16]netNode) {
	for l := range 16 {
		d[l] = src[l|1]
	}
	return d
}

// netSiblingIndex returns the VPERMT2PS index (table1's lanes 0-15, then
// table2's as 16-31) that puts in each lane l the other half of the fold
// whose one half is in t1[l], and its lanes.
func netSiblingIndex(t1, table1, table2 [16]netNode) (idx [16]int, d [16]netNode) {
	for l, n := range t1 {
		half := 8 >> n.level
		want := netNode{acc: n.acc, level: n.level, j: n.j + half}
		if n.j >= half {
			want.j = n.j - half
		}
		idx[l] = -1
		for i := range 32 {
			src := table1
			if i >= 16 {
				src = table2
			}
			if src[i%16] == want {
				idx[l] = i
				break
			}
		}
		if idx[l] < 0 {
			panic(fmt.Sprintf("reduction network: no lane holds %+v", want))
		}
		d[l] = want
	}
	return idx, d
}

// netConsts collects the index vectors the network loads, by contents.
var netConsts = map[[16]int]Mem{}

func netConst(idx [16]int) Mem {
	if m, ok := netConsts[idx]; ok {
		return m
	}
	m := GLOBL(fmt.Sprintf("netIdx%d", len(netConsts)), RODATA|NOPTR)
	for l, v := range idx {
		DATA(4*l, U32(uint32(v)))
	}
	netConsts[idx] = m
	return m
}

// netPool hands out the registers the network may overwrite.
type netPool struct{ free []VecPhysical }

func (p *netPool) get() VecPhysical {
	if len(p.free) == 0 {
		panic("reduction network: out of scratch registers")
	}
	r := p.free[0]
	p.free = p.free[1:]
	return r
}

func (p *netPool) put(r VecPhysical) { p.free = append(p.free, r) }

// kmask sets k to mask through the general register tmp.
func kmask(k Op, tmp GPPhysical, mask uint16) {
	MOVL(U32(uint32(mask)), tmp.As32())
	KMOVW(tmp.As32(), k)
}

// reduceNet folds the 8 or 16 accumulators in regs (which it overwrites)
// with the network and returns the register whose lanes hold their sums,
// and which lane holds accumulator i's (in the order of regs). K2, K3 and
// K4 must hold the blend masks 0xff00, 0xf0f0 and 0xcccc.
func reduceNet(regs []VecPhysical, pool *netPool) (VecPhysical, [16]int) {
	if len(regs) != 8 && len(regs) != 16 {
		panic("reduceNet: 8 or 16 accumulators")
	}
	vs := make([]netVec, len(regs))
	for i, r := range regs {
		vs[i].reg = r
		for l := range 16 {
			vs[i].lanes[l] = netNode{acc: i, level: 0, j: l}
		}
	}
	// Fold 8: [x lanes 0-7 | y lanes 8-15] + [x 8-15 | y 0-7].
	vs = netFoldPairs("fold 8", vs, pool, K2, 0xff00,
		func(y, x, d VecPhysical) { VSHUFF32X4(U8(0x4e), y, x, d) },
		func(y, x [16]netNode) [16]netNode { return simShuff32x4(0x4e, y, x) })
	// Fold 4: a blend of chunks 0, 2 of one and 1, 3 of the other, and a
	// two-table permute for their partners.
	var next []netVec
	var idxReg VecPhysical
	var idx0 [16]int
	for p := 0; p+1 < len(vs); p += 2 {
		x, y := vs[p], vs[p+1]
		t := pool.get()
		VBLENDMPS(y.reg, x.reg, K3, t)
		t1 := simBlend(0xf0f0, y.lanes, x.lanes)
		idx, t2 := netSiblingIndex(t1, x.lanes, y.lanes)
		if p == 0 {
			idx0 = idx
			idxReg = pool.get()
			VMOVUPS(netConst(idx), idxReg)
		} else if idx != idx0 {
			panic("reduction network: fold 4 needs two index vectors")
		}
		VPERMT2PS(y.reg, idxReg, x.reg)
		VADDPS(t, x.reg, x.reg)
		sum := netSum(t1, t2)
		netCheckFold("fold 4", x.lanes, y.lanes, sum)
		pool.put(t)
		pool.put(y.reg)
		next = append(next, netVec{x.reg, sum})
	}
	pool.put(idxReg)
	vs = next
	// Fold 2, inside each 128-bit chunk: [x0 x1 y2 y3] + [x2 x3 y0 y1].
	vs = netFoldPairs("fold 2", vs, pool, K4, 0xcccc,
		func(y, x, d VecPhysical) { VSHUFPS(U8(0x4e), y, x, d) },
		func(y, x [16]netNode) [16]netNode { return simShufps(0x4e, y, x) })
	// Fold 1: two vectors, even lanes + odd lanes of each (VSHUFPS); one,
	// itself + its odd lanes moved down (VMOVSHDUP), half its lanes junk.
	var out netVec
	if len(vs) == 2 {
		x, y := vs[0], vs[1]
		s := pool.get()
		VSHUFPS(U8(0xdd), y.reg, x.reg, s)
		t2 := simShufps(0xdd, y.lanes, x.lanes)
		VSHUFPS(U8(0x88), y.reg, x.reg, x.reg)
		t1 := simShufps(0x88, y.lanes, x.lanes)
		VADDPS(s, x.reg, x.reg)
		sum := netSum(t1, t2)
		netCheckFold("fold 1", x.lanes, y.lanes, sum)
		pool.put(s)
		pool.put(y.reg)
		out = netVec{x.reg, sum}
	} else {
		x := vs[0]
		s := pool.get()
		VMOVSHDUP(x.reg, s)
		t2 := simMovshdup(x.lanes)
		VADDPS(s, x.reg, x.reg)
		sum := netSum(x.lanes, t2)
		netCheckFold("fold 1", x.lanes, x.lanes, sum)
		pool.put(s)
		out = netVec{x.reg, sum}
	}
	var where [16]int
	for i := range where {
		where[i] = -1
	}
	for l, n := range out.lanes {
		if n.acc >= 0 && n.level == 4 && where[n.acc] < 0 {
			where[n.acc] = l
		}
	}
	for i := range regs {
		if where[i] < 0 {
			panic(fmt.Sprintf("reduction network: accumulator %d's sum is in no lane", i))
		}
	}
	return out.reg, where
}

// netFoldPairs folds the vectors vs in pairs (x, y) into x: x = blend(x, y
// under k, whose bits are mask) + shuffle(y, x), the shuffle made in a
// scratch register, as sim says its lanes come; y goes back to the pool.
func netFoldPairs(what string, vs []netVec, pool *netPool, k Op, mask uint16,
	shuffle func(y, x, dst VecPhysical), sim func(y, x [16]netNode) [16]netNode) []netVec {
	var next []netVec
	for p := 0; p+1 < len(vs); p += 2 {
		x, y := vs[p], vs[p+1]
		s := pool.get()
		shuffle(y.reg, x.reg, s)
		t2 := sim(y.lanes, x.lanes)
		VBLENDMPS(y.reg, x.reg, k, x.reg)
		t1 := simBlend(mask, y.lanes, x.lanes)
		VADDPS(s, x.reg, x.reg)
		sum := netSum(t1, t2)
		netCheckFold(what, x.lanes, y.lanes, sum)
		pool.put(s)
		pool.put(y.reg)
		next = append(next, netVec{x.reg, sum})
	}
	return next
}

// netFits reports whether the R×C AVX-512 kernels reduce through the
// network: their accumulators must come in whole groups of 8 or 16, so
// that no register has to stand in twice.
func netFits(r, c int) bool { return r*c%8 == 0 }

// storeResultsNet is storeResults for the AVX-512 R×C kernels through the
// network: the accumulators in row-major order, sixteen at a time (the
// last group eight), each group's sums permuted into row-major lanes and
// stored a row at a time under a mask (the lanes of other rows masked off,
// so the address of lane 0 may lie before the row). scratch are the vector
// registers the kernel no longer needs.
func storeResultsNet(r, c int, acc func(i, j int) VecPhysical, scratch []VecPhysical) {
	cp, ldc, tmp := gp[2], gp[3], gp[4]
	rows := append([]GPPhysical{cp}, gp[5:5+r-1]...) // row 0 is c itself
	Load(Param("c"), cp)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	for i := 1; i < r; i++ {
		LEAQ(Mem{Base: rows[i-1], Index: ldc, Scale: 1}, rows[i])
	}
	kmask(K2, tmp, 0xff00)
	kmask(K3, tmp, 0xf0f0)
	kmask(K4, tmp, 0xcccc)
	pool := &netPool{free: append([]VecPhysical(nil), scratch...)}
	n := r * c
	for g0 := 0; g0 < n; g0 += 16 {
		size := min(16, n-g0)
		regs := make([]VecPhysical, size)
		for i := range size {
			regs[i] = acc((g0+i)/c, (g0+i)%c)
		}
		res, where := reduceNet(regs, pool)
		var idx [16]int
		for l := range 16 {
			idx[l] = where[min(l, size-1)]
		}
		perm := pool.get()
		VMOVUPS(netConst(idx), perm)
		VPERMPS(res, perm, res)
		pool.put(perm)
		// Lane l now holds output g0 + l: row (g0+l)/c, column (g0+l)%c.
		for lo := 0; lo < size; {
			i, j := (g0+lo)/c, (g0+lo)%c
			hi := min(size, lo+c-j)
			mask := uint16((1<<hi - 1) &^ (1<<lo - 1))
			kmask(K5, tmp, mask)
			VMOVUPS(res, K5, Mem{Base: rows[i], Disp: 4 * (j - lo)})
			lo = hi
		}
	}
}
