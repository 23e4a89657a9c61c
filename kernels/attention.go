package kernels

import "math"

// Attention computes causal multi-head scaled dot-product attention for nq
// query rows at positions t0 … t0+nq−1 against key/value rows at positions
// 0 … nk−1 (nk ≥ t0+nq). q and out are nq×dim, k and v are nk×dim, row-major;
// head h owns columns [h·hd, (h+1)·hd) with hd = dim/heads.
//
// For query t and head h: s[j] = float32(Dot(q_t,h, k_j,h) · scale) for
// j ≤ t, with scale = 1/float32(√hd); p = Softmax(s); out_t,h[d] is the dot
// of p with column d of v over j ≤ t under the Dot contract (lane j mod 16,
// fused, Reduce16). A batched forward (t0 = 0, nq = nk) and an incremental
// step (nq = 1, t0 = nk−1) therefore give bit-identical rows.
//
// scratch must hold at least nk + 16·hd floats.
func Attention(out, q, k, v []float32, nq, nk, t0, heads, dim int, scratch []float32) {
	hd := dim / heads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	p := scratch[:nk]
	acc := scratch[nk : nk+Lanes*hd]
	_ = out[:nq*dim]
	_ = q[:nq*dim]
	for i := range nq {
		t := t0 + i
		n := t + 1
		for h := range heads {
			c0 := h * hd
			// The scores are one row of q_h·k_hᵀ: a 1×n matrix product whose
			// rows of k are strided by dim.
			s := p[:n]
			matMulTStrided(s, n, q[i*dim+c0:], hd, k[c0:], dim, 1, n, hd)
			for j := range s {
				s[j] *= scale
			}
			Softmax(s, s)
			// out_h[d] = Σ_j p[j]·v[j][d] with j in lane j mod 16: lane l is
			// the vector acc[l·hd:(l+1)·hd], and each term is one fused axpy
			// of row j of v_h into it, in increasing j.
			clear(acc)
			for j, pj := range s {
				l := j % Lanes
				axpyVec(acc[l*hd:(l+1)*hd], pj, v[j*dim+c0:j*dim+c0+hd])
			}
			// Reduce16 on every column at once: lanes l+8 onto l, then l+4,
			// then l+2, then lane 1 onto lane 0.
			addVec(acc[:8*hd], acc[8*hd:16*hd])
			addVec(acc[:4*hd], acc[4*hd:8*hd])
			addVec(acc[:2*hd], acc[2*hd:4*hd])
			oh := out[i*dim+c0 : i*dim+c0+hd]
			copy(oh, acc[:hd])
			addVec(oh, acc[hd:2*hd])
		}
	}
}
