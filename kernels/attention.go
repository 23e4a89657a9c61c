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
	for i := range nq {
		t := t0 + i
		n := t + 1
		for h := range heads {
			qh := q[i*dim+h*hd : i*dim+(h+1)*hd]
			for j := range n {
				p[j] = Dot(qh, k[j*dim+h*hd:j*dim+(h+1)*hd]) * scale
			}
			Softmax(p[:n], p[:n])
			clear(acc)
			for j := range n {
				lane := acc[(j%Lanes)*hd : (j%Lanes+1)*hd]
				vj := v[j*dim+h*hd : j*dim+(h+1)*hd]
				pj := p[j]
				for d, vv := range vj {
					lane[d] = FMA32(pj, vv, lane[d])
				}
			}
			oh := out[i*dim+h*hd : i*dim+(h+1)*hd]
			var a [Lanes]float32
			for d := range hd {
				for l := range Lanes {
					a[l] = acc[l*hd+d]
				}
				oh[d] = Reduce16(&a)
			}
		}
	}
}
