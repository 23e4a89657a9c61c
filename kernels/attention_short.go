package kernels

import "math"

// ShortAttentionMax is the most positions ShortAttentionStep attends to:
// one 16-lane chunk, which holds a local transformer's patch.
const ShortAttentionMax = Lanes

// ShortCacheLen returns the floats of one layer's ShortAttentionStep cache
// for keys and values of width dim: 16 positions of each.
func ShortCacheLen(dim int) int { return 2 * Lanes * dim }

// ShortAttentionStep is AttentionStep for at most 16 positions (a local
// transformer's patch), with the key and value of the newest position
// stored first: it writes key k and value v (dim floats each) of position
// n−1 into cache and sets out (dim floats) to the attention of query q over
// positions 0…n−1, 1 ≤ n ≤ 16. The result is bit-identical to
// Attention(out, q, K, V, 1, n, n−1, heads, dim, ·) where rows j of K and V
// are the keys and values stored at position j.
//
// The cache (ShortCacheLen(dim) floats) holds the keys transposed — element
// d of key j at cache[16·d + j] — and then the values by rows: element d of
// value j at cache[16·dim + j·dim + d]. In that layout both of Attention's
// reductions run across registers instead of within one (see
// shortAttentionGeneric). What the cache held at positions n and beyond
// does not matter.
func ShortAttentionStep(out, q, k, v, cache []float32, n, heads, dim int) {
	if n < 1 || n > ShortAttentionMax || heads < 1 || dim%heads != 0 {
		panic("kernels: ShortAttentionStep: bad length, heads or width")
	}
	_ = out[:dim]
	_ = q[:dim]
	_ = k[:dim]
	_ = v[:dim]
	cache = cache[:ShortCacheLen(dim)]
	if shortAttentionLeaf(out, q, k, v, cache, n, heads, dim) {
		return
	}
	j := n - 1
	keys := cache[:Lanes*dim]
	for d, x := range k[:dim] {
		keys[Lanes*d+j] = x
	}
	copy(cache[Lanes*dim+j*dim:Lanes*dim+(j+1)*dim], v[:dim])
	shortAttentionGeneric(out, q, cache, n, heads, dim)
}

// shortAttentionGeneric is the attention part of ShortAttentionStep: with
// the stores before it, the specification of the assembly leaf
// (shortAttentionLeaf), written the way it computes. Head h's score j is
// Dot(q_h, key j): lane l accumulates the elements i ≡ l (mod 16) in
// increasing i from +0, and Reduce16 combines the lanes. The scores are
// soft-maxed by softmaxScaled, and out_h[d] is Attention's weighted sum:
// Reduce16 of the lanes FMA32(p_j, v_j[d], +0), lane j for j < n, +0
// beyond.
func shortAttentionGeneric(out, q, cache []float32, n, heads, dim int) {
	hd := dim / heads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	keys, values := cache[:Lanes*dim], cache[Lanes*dim:]
	var s, lanes [Lanes]float32
	for h := range heads {
		c0 := h * hd
		for j := range n {
			clear(lanes[:])
			for i := range hd {
				lanes[i%Lanes] = FMA32(q[c0+i], keys[Lanes*(c0+i)+j], lanes[i%Lanes])
			}
			s[j] = Reduce16(&lanes)
		}
		softmaxScaled(s[:n], scale)
		for d := c0; d < c0+hd; d++ {
			clear(lanes[:])
			for j := range n {
				lanes[j] = FMA32(s[j], values[j*dim+d], 0)
			}
			out[d] = Reduce16(&lanes)
		}
	}
}
