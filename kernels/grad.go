package kernels

import "math"

// Backward primitives for training.
//
// Training needs only to be reproducible for a given seed and thread count
// (DESIGN.md §2), but these functions keep the forward discipline anyway: every
// reduction is a Dot, Sum or MatMulT (or a loop that follows their 16-lane
// order exactly, said so where it happens), every product that is added is
// FMA32 or rounded with an explicit float32 conversion, and nothing depends on
// the compiler's choice to fuse. So a gradient is the same on every GOARCH and
// build, and a faster MatMulT (assembly, blocking) speeds these up without
// changing a bit of their results.
//
// Like the rest of the package, they are single-threaded: a trainer splits
// windows or heads across goroutines and sums the per-goroutine gradients in a
// fixed order.

// linearBackwardRows is the number of rows of dy and x that LinearBackward
// reduces in one matrix product for dw and db. The products of the chunks
// are added to dw one after the other: a reduction over k = 256 keeps the
// packed operands in L2 (a product over thousands of rows runs from L3 at
// half the speed), and the chunks' transposes stay small.
const linearBackwardRows = 256

// LinearBackwardScratch returns the number of floats of scratch that
// LinearBackward needs for m rows of in inputs and out outputs.
func LinearBackwardScratch(m, in, out int) int {
	r := padStride(min(m, linearBackwardRows))
	return max(in*padStride(out), out*(in+1)) + r*(in+1+out)
}

// LinearBackward is the backward pass of Linear (y = x·wᵀ + bias, x m×in,
// w out×in, y m×out, all row-major). Given dy = ∂L/∂y (m×out) it computes:
//
//   - dx = dy·w (m×in), overwriting dx: dx[i*in+j] = Dot(dy row i, column j
//     of w), the 16 lanes running over o. dx may be nil (the first layer has no
//     input gradient to pass on).
//   - dw += dyᵀ·x (out×in), ACCUMULATING into dw, chunk by chunk: the rows
//     are cut into chunks of 256 (the last one shorter) and, for each chunk
//     in order, dw[o*in+j] = dw[o*in+j] + Dot(column o of dy, column j of x)
//     over the rows of the chunk, the lanes running over those rows, the dot
//     rounded before the add. Accumulating lets a trainer sum the gradient of
//     several calls (windows of a batch, patches of a step) into one buffer in
//     the order it calls.
//   - db += Σ_i dy[i] (out), accumulating the same way: for each chunk,
//     db[o] = db[o] + Sum(column o of dy over the chunk). db may be nil (a
//     layer without bias).
//
// Where the vertical kernels take the shapes (verticalFits; widths multiples of 8
// and reductions of 16, see verticalFits), dy·w and each chunk's dyᵀ·x run
// through them with w and x as they are, and the column sums are Sums of
// the rows of dyᵀ. Otherwise the columns are packed into rows of scratch
// first, so every dot runs over contiguous memory and the products are
// MatMulT's, and the column sums come out of the same product as dw, as the
// dot with a row of ones: a product by 1 is exact, so each lane adds
// exactly what Sum adds. Either way every element is the Dot or Sum stated
// above, bit for bit. scratch
// must hold LinearBackwardScratch(m, in, out) floats; dx, dw, db and scratch
// must not overlap each other or the inputs.
func LinearBackward(dx, dw, db, dy, x, w []float32, m, in, out int, scratch []float32) {
	_ = dy[:m*out]
	_ = x[:m*in]
	_ = w[:out*in]
	_ = dw[:out*in]
	r := min(m, linearBackwardRows)
	ld := padStride(r) // row stride of the packed chunks
	in1 := in          // columns of the dw product: in, plus the ones for db
	if db != nil {
		db = db[:out]
		in1++
	}
	nb := max(in*padStride(out), out*(in+1))
	big := scratch[:nb] // wᵀ (in×out), then a chunk's dw|db term (out×in1)
	s := scratch[nb:]
	dyT := s[:out*ld]                  // dyᵀ of a chunk (out×rows)
	xT := s[out*ld : out*ld+(in+1)*ld] // xᵀ of a chunk (in×rows), then ones

	if dx != nil {
		_ = dx[:m*in]
		if verticalFits(m, in, out) {
			// w (out×in) is already the k×n operand of the a·b kernels.
			matMulVertical(dx[:m*in], in, dy, out, w, in, m, in, out)
		} else {
			ldw := padStride(out)
			transposeStrided(big, ldw, w, in, out, in)
			matMulTPanels(dx[:m*in], in, dy, out, big, ldw, m, in, out)
		}
	}
	for i0 := 0; i0 < m; i0 += r {
		rows := min(r, m-i0)
		transposeStrided(dyT, ld, dy[i0*out:], out, rows, out)
		if verticalFits(out, in, rows) {
			// The chunk of x (rows×in) is the k×n operand of the a·b
			// kernels as it is. The column of ones becomes a Sum of each
			// row of dyᵀ: a product by 1 is exact, so the dot with ones
			// and the Sum add the same values in the same lanes.
			matMulVertical(big, in1, dyT, ld, x[i0*in:], in, out, in, rows)
			if db != nil {
				for o := range out {
					big[o*in1+in] = Sum(dyT[o*ld : o*ld+rows])
				}
			}
		} else {
			transposeStrided(xT, ld, x[i0*in:], in, rows, in)
			if db != nil {
				ones := xT[in*ld : in*ld+rows]
				for i := range ones {
					ones[i] = 1
				}
			}
			matMulTPanels(big, in1, dyT, ld, xT, ld, out, in1, rows)
		}
		if db == nil {
			addVec(dw[:out*in], big)
			continue
		}
		for o := range out {
			addVec(dw[o*in:o*in+in], big[o*in1:])
			db[o] += big[o*in1+in]
		}
	}
}

// LayerNormBackward is the backward pass of LayerNorm for one row. Given
// dy = ∂L/∂y it writes dx = ∂L/∂x (overwriting) and accumulates the gain and
// bias gradients: dg[i] += dy[i]·x̂[i], db[i] += dy[i]. db may be nil.
//
// It recomputes the forward exactly as LayerNorm does: mean = Sum(x)/n,
// d[i] = x[i] − mean, v = Dot(d, d)/n, r = 1/float32(√(v + eps)),
// x̂[i] = float32(d[i]·r). With ĝ[i] = float32(dy[i]·g[i]) (∂L/∂x̂) it takes
// s1 = Σ ĝ[i] and s2 = Σ ĝ[i]·x̂[i] in the order of Sum and Dot respectively
// (lane i mod 16, s2 fused, Reduce16) and returns
//
//	dx[i] = float32(r · float32(float32(ĝ[i] − s1/n) − float32(x̂[i]·(s2/n)))),
//
// the usual r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)). dg[i] adds float32(dy[i]·x̂[i]).
// dx must not overlap dy, x or g.
func LayerNormBackward(dx, dg, db, dy, x, g []float32, eps float32) {
	n := len(x)
	dx = dx[:n]
	dy = dy[:n]
	g = g[:n]
	dg = dg[:n]
	nf := float32(n)
	mean := Sum(x) / nf
	for i, v := range x {
		dx[i] = v - mean
	}
	r := 1 / float32(math.Sqrt(float64(Dot(dx, dx)/nf+eps)))

	var a1, a2 [Lanes]float32
	for i, d := range dx {
		xh := float32(d * r)
		gh := float32(dy[i] * g[i])
		l := i % Lanes
		a1[l] += gh
		a2[l] = FMA32(gh, xh, a2[l])
		dg[i] += float32(dy[i] * xh)
		dx[i] = xh
	}
	if db != nil {
		db = db[:n]
		for i, v := range dy {
			db[i] += v
		}
	}
	m1 := Reduce16(&a1) / nf
	m2 := Reduce16(&a2) / nf
	for i, xh := range dx {
		gh := float32(dy[i] * g[i])
		dx[i] = float32(r * float32(float32(gh-m1)-float32(xh*m2)))
	}
}

// GELUBackward writes dx[i] = dy[i]·GELU′(x[i]) for the tanh approximation of
// GELU: with u = c·(x + a·x³) and t = Tanh(u),
//
//	GELU′(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·c·(1 + 3a·x²),
//
// each product rounded (unfused) in the order written, u computed exactly as
// GELU computes it. dx may alias dy.
func GELUBackward(dx, dy, x []float32) {
	dx = dx[:len(x)]
	dy = dy[:len(x)]
	for i, v := range x {
		x2 := float32(v * v)
		x3 := float32(float32(float32(geluA*v)*v) * v)
		u := float32(geluC * (v + x3))
		t := Tanh(u)
		sech2 := 1 - float32(t*t)
		du := float32(geluC * (1 + float32(3*geluA*x2)))
		d := float32(0.5*(1+t)) + float32(float32(float32(0.5*v)*sech2)*du)
		dx[i] = float32(dy[i] * d)
	}
}

// SoftmaxCrossEntropy takes one row of logits (256 for a next-byte model, but
// any length works) and the byte that came next. It returns the loss
// −ln p[target] in nats and writes dlogits = p − onehot(target), the gradient
// of that loss, where p = Softmax(logits) computed by Softmax itself, so the
// loss is exactly the coding cost of the forward pass's distribution.
//
// math.Log is fine here: the loss only reports, it never feeds the coder. When
// p[target] underflows to 0 the loss comes from the log-sum-exp in float64
// instead, so it stays finite. dlogits must not overlap logits.
func SoftmaxCrossEntropy(dlogits, logits []float32, target byte) float32 {
	dlogits = dlogits[:len(logits)]
	t := int(target)
	lt := logits[t]
	Softmax(dlogits, logits)
	pt := dlogits[t]
	dlogits[t] -= 1
	if pt > 0 {
		return float32(-math.Log(float64(pt)))
	}
	// p[target] underflowed: −ln p = ln Σ e^(l−m) − (l_t − m), in float64.
	m := float64(Max(logits))
	var s float64
	for _, l := range logits {
		s += math.Exp(float64(l) - m)
	}
	return float32(math.Log(s) - (float64(lt) - m))
}

// AttentionBackwardScratch returns the number of floats of scratch that
// AttentionBackward needs for T positions, heads heads and width dim.
func AttentionBackwardScratch(T, heads, dim int) int {
	hd := dim / heads
	return 3*T*T + T*hd
}

// attBlock is the number of rows of a causal attention matrix that
// AttentionBackward computes per product, a multiple of Lanes.
const attBlock = 16

// AttentionBackward is the backward pass of Attention in its batched form
// (t0 = 0, nq = nk = T, causal). q, k, v and dout = ∂L/∂out are T×dim,
// row-major, head h owning columns [h·hd, (h+1)·hd), hd = dim/heads. It
// OVERWRITES dq, dk and dv (T×dim each) with ∂L/∂q, ∂L/∂k, ∂L/∂v.
//
// Per head it recomputes the probabilities exactly as the forward does,
// P[t][j] = Softmax_j(float32(Dot(q_t, k_j)·scale)) for j ≤ t and 0 above the
// diagonal, then, every product and sum in the order of Dot and MatMulT:
//
//	dP[t][j] = Dot(dout_t, v_j)                          (j ≤ t, lanes over d)
//	c_t      = Dot(P_t, dP_t) over j ≤ t                 (lanes over j)
//	G[t][j]  = float32(float32(P[t][j]·float32(dP[t][j] − c_t))·scale)
//	dq_t[d]  = Σ_j G[t][j]·k_j[d]     lanes over j = 0…L(t)−1
//	dk_j[d]  = Σ_t G[t][j]·q_t[d]     lanes over t = 0…T−1
//	dv_j[d]  = Σ_t P[t][j]·dout_t[d]  lanes over t = 0…T−1
//
// with L(t) = min(T, 16·⌈(t+1)/16⌉): the sum for dq runs to the end of the
// 16-row block of t, over the zeros of the causal mask up to there. The
// products are computed in blocks of 16 rows that skip the zeros above the
// diagonal: for dq and the scores, the columns past the block; for dk and
// dv, the terms t < 16·⌊j/16⌋, which come first in their lanes, where a zero
// product added to a lane that is still +0 leaves it +0 — so those two are
// exactly the sums over the full T. scratch must hold
// AttentionBackwardScratch(T, heads, dim) floats and not overlap anything else.
func AttentionBackward(dq, dk, dv, dout, q, k, v []float32, T, heads, dim int, scratch []float32) {
	attentionBackward(dq, dk, dv, dim, dout, q, k, v, nil, T, heads, dim, scratch)
}

// AttentionBackwardKept is AttentionBackward, bit for bit, with the
// probabilities P of every head taken from probs as AttentionBatch kept
// them (heads×T×T) instead of recomputed: that saves the score product and
// the softmax. Row t of dq, dk and dv starts at t·ldd (ldd ≥ dim), so that
// they can be the thirds of one packed q|k|v gradient (ldd = 3·dim); the
// floats between the rows are left alone. scratch must hold
// AttentionBackwardScratch(T, heads, dim) floats.
func AttentionBackwardKept(dq, dk, dv []float32, ldd int, dout, q, k, v, probs []float32, T, heads, dim int, scratch []float32) {
	_ = probs[:heads*T*T]
	if ldd < dim {
		panic("kernels: AttentionBackwardKept: ldd < dim")
	}
	attentionBackward(dq, dk, dv, ldd, dout, q, k, v, probs, T, heads, dim, scratch)
}

// attentionBackward is AttentionBackward; probs, when not nil, holds P.
func attentionBackward(dq, dk, dv []float32, ldd int, dout, q, k, v, probs []float32, T, heads, dim int, scratch []float32) {
	hd := dim / heads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	_ = q[:T*dim]
	_ = k[:T*dim]
	_ = v[:T*dim]
	_ = dout[:T*dim]
	if T > 0 {
		_ = dq[:(T-1)*ldd+dim]
		_ = dk[:(T-1)*ldd+dim]
		_ = dv[:(T-1)*ldd+dim]
	}
	tt, th := T*T, T*hd
	s := scratch[:3*tt+th]
	p, g, sq := s[:tt], s[tt:2*tt], s[2*tt:3*tt] // P, then G, then a transpose of either
	tr := s[3*tt : 3*tt+th]                      // a hd×T transpose

	for h := range heads {
		c0 := h * hd
		// P and dP (into g), row block by row block, each block's columns
		// up to its last row; then the rows as the forward computes them.
		if probs != nil {
			p = probs[h*tt : (h+1)*tt]
		}
		for t0 := 0; t0 < T; t0 += attBlock {
			r := min(attBlock, T-t0)
			if probs == nil {
				matMulTStrided(p[t0*T:], T, q[t0*dim+c0:], dim, k[c0:], dim, r, t0+r, hd)
			}
			matMulTStrided(g[t0*T:], T, dout[t0*dim+c0:], dim, v[c0:], dim, r, t0+r, hd)
		}
		for t := range T {
			pt := p[t*T : t*T+t+1]
			if probs == nil {
				for j := range pt {
					pt[j] *= scale
				}
				Softmax(pt, pt)
				clear(p[t*T+t+1 : (t+1)*T])
			}
			gt := g[t*T : (t+1)*T]
			c := Dot(pt, gt[:t+1])
			for j, pj := range pt {
				gt[j] = float32(float32(pj*float32(gt[j]-c)) * scale)
			}
			clear(gt[t+1:])
		}

		// dq = G·k, each row block over the columns up to its end.
		transposeStrided(tr, T, k[c0:], dim, T, hd)
		for t0 := 0; t0 < T; t0 += attBlock {
			r := min(attBlock, T-t0)
			matMulTStrided(dq[t0*ldd+c0:], ldd, g[t0*T:], T, tr, T, r, hd, t0+r)
		}
		// dk = Gᵀ·q and dv = Pᵀ·dout, each row block j0… from t = j0 on.
		transposeStrided(sq, T, g, T, T, T)
		transposeStrided(tr, T, q[c0:], dim, T, hd)
		for j0 := 0; j0 < T; j0 += attBlock {
			r := min(attBlock, T-j0)
			matMulTStrided(dk[j0*ldd+c0:], ldd, sq[j0*T+j0:], T, tr[j0:], T, r, hd, T-j0)
		}
		transposeStrided(sq, T, p, T, T, T)
		transposeStrided(tr, T, dout[c0:], dim, T, hd)
		for j0 := 0; j0 < T; j0 += attBlock {
			r := min(attBlock, T-j0)
			matMulTStrided(dv[j0*ldd+c0:], ldd, sq[j0*T+j0:], T, tr[j0:], T, r, hd, T-j0)
		}
	}
}
