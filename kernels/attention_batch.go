package kernels

import "math"

// AttentionBatchScratch returns the floats of scratch AttentionBatch needs
// for T positions, heads heads and width dim.
func AttentionBatchScratch(T, heads, dim int) int {
	return T*T + ValueCacheLen(dim/heads, roundLanes(T)) + chunkColsMax
}

// AttentionBatch is the batched causal Attention (t0 = 0, nq = nk = T),
// bit for bit, computed as matrix products instead of one score row and one
// axpy per key: per head, the scores of 16 rows at a time are one product
// up to the block's last key (every score is the same Dot as Attention's),
// scaled and put through Softmax row by row as Attention does, and out_t is
// the product of P_t (length t+1) with the head's values, each out_t[d] =
// Dot(P_t, column d of v over j ≤ t) — Attention's order (lane j mod 16,
// fused, Reduce16) — from the values in AttentionStep's chunks. It
// is what the training forward runs; Attention stays the one definition.
// probs, if not nil, keeps P for AttentionBackwardKept: heads×T×T floats,
// head h's P at [h·T·T, (h+1)·T·T), row-major, zero above the diagonal.
// scratch must hold AttentionBatchScratch(T, heads, dim) floats and overlap
// nothing else.
func AttentionBatch(out, q, k, v, probs []float32, T, heads, dim int, scratch []float32) {
	hd := dim / heads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	_ = out[:T*dim]
	_ = q[:T*dim]
	_ = k[:T*dim]
	_ = v[:T*dim]
	p := scratch[:T*T]
	// The head's values in AttentionStep's chunks of 16 positions.
	stride := chunkStride(hd)
	chunks := scratch[T*T : T*T+ValueCacheLen(hd, roundLanes(T))]
	block := scratch[len(p)+len(chunks):][:chunkWidth()]
	if probs != nil {
		_ = probs[:heads*T*T]
	}
	for h := range heads {
		c0 := h * hd
		if probs != nil {
			p = probs[h*T*T : (h+1)*T*T]
		}
		for t0 := 0; t0 < T; t0 += attBlock {
			r := min(attBlock, T-t0)
			matMulTStrided(p[t0*T:], T, q[t0*dim+c0:], dim, k[c0:], dim, r, t0+r, hd)
		}
		for j0 := 0; j0 < T; j0 += Lanes {
			transposeStrided(chunks[j0/Lanes*stride:], Lanes, v[j0*dim+c0:], dim, min(Lanes, T-j0), hd)
		}
		for t := range T {
			pt := p[t*T : t*T+t+1]
			softmaxScaled(pt, scale)
			if probs != nil {
				clear(p[t*T+t+1 : (t+1)*T])
			}
			chunkWeightedSum(out[t*dim+c0:t*dim+c0+hd], block, func(o []float32, x int) { chunkDot(o, pt, chunks[Lanes*x:], stride) })
		}
	}
}
