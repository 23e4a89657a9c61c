package kernels

import "math"

// AttentionStep is one incremental query row of Attention (nq = 1, t0 =
// n−1) against key/value caches kept in a decoding layout, written by
// StoreKV, in which the part in use is read as a few long runs of memory:
//
//   - kc holds the keys head-major: key j of head h is the hd floats at
//     kc[(h·ld+j)·hd:], KeyCacheLen(dim, ld) floats;
//   - vc holds the values in chunks of 16 positions, each chunk a dim×16
//     block of its values transposed: column d of value j is
//     vc[(j/16)·(16·dim+16) + 16·d + j mod 16] (a cache line of padding
//     after each chunk), ValueCacheLen(dim, ld) floats. The positions
//     from n on are not read.
//
// ld is the capacity of the caches in positions, a multiple of 16
// (StepCapacity), and n ≤ ld. For each head, the scores are Dot(q_h, k_j,h),
// scaled and soft-maxed exactly as in Attention, and out_h[d] = Dot(p,
// column d of v_h over j < n): lane j mod 16, fused, Reduce16 — the 16
// positions of a chunk are the 16 lanes of one step, a last partial chunk
// masked — which is exactly Attention's weighted sum. The result is therefore
// bit-identical to Attention(out, q, k, v, 1, n, n−1, heads, dim, ·) on the
// same keys and values. scratch must hold AttentionStepScratch(n) floats.
func AttentionStep(out, q, kc, vc []float32, n, ld, heads, dim int, scratch []float32) {
	hd, scale, s, block, stride := stepSetup(out, q, n, ld, heads, dim, scratch)
	_ = kc[:KeyCacheLen(dim, ld)]
	vc = vc[:ValueCacheLen(dim, ld)]
	for h := range heads {
		c0, c1 := h*hd, (h+1)*hd
		matMulTStrided(s, n, q[c0:c1], hd, kc[h*ld*hd:], hd, 1, n, hd)
		softmaxScaled(s[:n], scale)
		chunkWeightedSum(out[c0:c1], block, func(o []float32, x int) { chunkDot(o, s[:n], vc[Lanes*(c0+x):], stride) })
	}
}

// stepSetup checks the lengths of an AttentionStep (or AttentionStepHalf)
// and returns the head width, the scores' scale, the n scores and the
// chunk block cut from scratch, and the value chunks' stride.
func stepSetup(out, q []float32, n, ld, heads, dim int, scratch []float32) (hd int, scale float32, s, block []float32, stride int) {
	hd = dim / heads
	scale = 1 / float32(math.Sqrt(float64(hd)))
	if n < 1 || ld < n || ld%Lanes != 0 {
		panic("kernels: AttentionStep: bad cache length")
	}
	n16 := roundLanes(n)
	w := chunkWidth()
	_ = out[:dim]
	_ = q[:dim]
	return hd, scale, scratch[:n16], scratch[n16 : n16+w], chunkStride(dim)
}

// chunkWeightedSum sets out's columns len(block) at a time (chunkWidth)
// with dot(o, x), which computes the columns from x on into o: in place,
// or, for a last block that runs past out (into the next head's columns,
// or the slack after the last), into block, of which only out's part is
// kept.
func chunkWeightedSum(out, block []float32, dot func(o []float32, x int)) {
	w := len(block)
	for x := 0; x < len(out); x += w {
		if x+w <= len(out) {
			dot(out[x:x+w], x)
			continue
		}
		dot(block, x)
		copy(out[x:], block)
	}
}

// chunkColsMax is the most output columns chunkDot computes at a time
// (chunkWidth: 16 on AVX-512, else 8).
const chunkColsMax = 16

// StoreKV stores key k and value v of position j (len(k) = len(v) = dim)
// into one layer's caches in AttentionStep's layout, ld being the caches'
// capacity (a multiple of 16). AttentionStep over n positions reads
// positions 0…n−1 only, so what the caches held before does not matter.
func StoreKV(kc, vc, k, v []float32, j, ld, heads int) {
	dim := len(k)
	hd := checkStore("StoreKV", kc, vc, dim, len(v), j, ld, heads)
	for h := range heads {
		copy(kc[(h*ld+j)*hd:(h*ld+j+1)*hd], k[h*hd:(h+1)*hd])
	}
	at := j / Lanes * chunkStride(dim)
	chunk := vc[at : at+Lanes*dim]
	for d, x := range v {
		chunk[Lanes*d+j%Lanes] = x
	}
}

// checkStore checks the arguments of StoreKV (or StoreKVHalf, name) and
// returns the head width.
func checkStore[E float32 | uint16](name string, kc, vc []E, dim, vlen, j, ld, heads int) (hd int) {
	if j < 0 || j >= ld || ld%Lanes != 0 || vlen != dim || heads < 1 || dim%heads != 0 {
		panic("kernels: " + name + ": bad position, capacity or width")
	}
	_ = kc[:KeyCacheLen(dim, ld)]
	_ = vc[:ValueCacheLen(dim, ld)]
	return dim / heads
}

// StepCapacity returns the capacity, in positions, of AttentionStep caches
// that must hold n: n rounded up to a multiple of 16.
func StepCapacity(n int) int { return roundLanes(n) }

// KeyCacheLen returns the floats of one layer's key cache of width dim and
// capacity ld in AttentionStep's layout.
func KeyCacheLen(dim, ld int) int { return dim * ld }

// ValueCacheLen returns the floats of one layer's value cache of width dim
// and capacity ld in AttentionStep's layout: ld/16 chunks of 16·dim floats,
// and the 15·16 floats that a last block of up to 16 columns may read past
// the last column (outputs AttentionStep drops).
func ValueCacheLen(dim, ld int) int { return ld/Lanes*chunkStride(dim) + (chunkColsMax-1)*Lanes }

// chunkStride is the distance in floats between the chunks of a value
// cache of width dim: 16·dim, and one cache line more, so that the pieces of
// successive chunks that chunkDot reads do not all fall into the same few
// L1 sets (16·dim floats is a multiple of 4 KiB for the model's widths).
func chunkStride(dim int) int { return Lanes*dim + Lanes }

// AttentionStepScratch returns the scratch floats AttentionStep needs for n
// keys.
func AttentionStepScratch(n int) int { return roundLanes(n) + chunkColsMax }

// roundLanes rounds n up to a multiple of Lanes.
func roundLanes(n int) int { return (n + Lanes - 1) &^ (Lanes - 1) }

// chunkDotGeneric is the specification of chunkDot: out[c] = Dot(p, column
// c of the values), c < len(out), where element t of column c lies at
// values[(t/16)·stride + 16c + t mod 16]; the lanes of a last partial chunk
// from len(p) mod 16 on are not read.
func chunkDotGeneric(out, p, values []float32, stride int) {
	for c := range out {
		var acc [Lanes]float32
		for t, x := range p {
			acc[t%Lanes] = FMA32(x, values[t/Lanes*stride+Lanes*c+t%Lanes], acc[t%Lanes])
		}
		out[c] = Reduce16(&acc)
	}
}
