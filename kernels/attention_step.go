package kernels

import "math"

// AttentionStep is one incremental query row of Attention (nq = 1, t0 =
// n−1) against key/value caches kept in a decoding layout, so that both
// products are matrix products with contiguous rows instead of one axpy per
// key:
//
//   - kc holds the keys head-major: key j of head h is the hd floats at
//     kc[(h·ld+j)·hd:].
//   - vt holds the values transposed: column d of the values (d < dim) is
//     the row vt[d·ld : d·ld+n], so value j of head h at column d' is
//     vt[(h·hd+d')·ld+j].
//
// ld ≥ n is the capacity (keys) of the caches. For each head, the scores are
// Dot(q_h, k_j,h), scaled and soft-maxed exactly as in Attention, and
// out_h[d] = Dot(p, column d of v_h over j < n): lane j mod 16, fused,
// Reduce16, which is exactly Attention's weighted sum. The result is
// therefore bit-identical to Attention(out, q, k, v, 1, n, n−1, heads, dim,
// ·) on the same keys and values. scratch must hold at least n floats.
func AttentionStep(out, q, kc, vt []float32, n, ld, heads, dim int, scratch []float32) {
	hd := dim / heads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	if n < 1 || ld < n {
		panic("kernels: AttentionStep: bad cache length")
	}
	s := scratch[:n]
	_ = out[:dim]
	_ = q[:dim]
	_ = kc[:heads*ld*hd]
	_ = vt[:dim*ld]
	for h := range heads {
		c0 := h * hd
		matMulTStrided(s, n, q[c0:c0+hd], hd, kc[h*ld*hd:], hd, 1, n, hd)
		for j := range s {
			s[j] *= scale
		}
		Softmax(s, s)
		matMulTStrided(out[c0:c0+hd], hd, s, n, vt[c0*ld:], ld, 1, hd, n)
	}
}
