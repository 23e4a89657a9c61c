package kernels

import "math"

// This file holds the half-precision (IEEE binary16) side of the kernels: a
// model may round its global keys and values to binary16 (model.Config's
// HalfKV), which a decoder then caches in half the memory, and its weights
// (PackLinearHalf keeps a binary16 copy of those that are). Rounding is a
// pure function (round to nearest even, as VCVTPS2PH with immediate 0
// does), and every binary16 value is exactly a float32, so a product over
// the rounded values stored as float32 and the same product over the
// binary16 bits converted on load give the same bits.

// HalfBits returns x rounded to the nearest binary16, ties to even, as its
// bits: overflow gives ±Inf, values below the smallest subnormal round to
// ±0 or it, and a NaN keeps its sign and the top 10 bits of its payload
// with the quiet bit set — what the F16C and AVX-512 conversions give.
func HalfBits(x float32) uint16 {
	b := math.Float32bits(x)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff:
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	case exp > 127+15:
		return sign | 0x7c00
	case exp >= 127-14:
		// Normal: 10 mantissa bits kept, 13 rounded away. A carry out of
		// the mantissa bumps the exponent, up to Inf, as it should.
		h := uint32(exp-127+15)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	case exp < 127-25:
		// Below half of the smallest subnormal (2^-25): ±0. (Exactly
		// 2^-25, exp 102, rounds to even, 0, below.)
		return sign
	default:
		// Subnormal: value = m·2^(exp−150) with the implicit bit; in units
		// of 2^-24 that is m >> (126 − exp), rounded to nearest even.
		m := mant | 0x800000
		shift := uint(126 - exp) // 14 … 24 for exp 112 … 102
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
}

// HalfFloat returns the float32 of binary16 bits h, exactly; a NaN gets the
// quiet bit and keeps its payload in the top mantissa bits.
func HalfFloat(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		if mant != 0 {
			return math.Float32frombits(sign | 0x7fc00000 | mant<<13)
		}
		return math.Float32frombits(sign | 0x7f800000)
	case exp == 0:
		// Zero or subnormal: mant·2^-24, exact in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// RoundHalf rounds each x[i] to binary16 in place: x[i] =
// HalfFloat(HalfBits(x[i])).
func RoundHalf(x []float32) { roundHalfVec(x) }

// roundHalfGeneric is the specification of RoundHalf.
func roundHalfGeneric(x []float32) {
	for i, v := range x {
		x[i] = HalfFloat(HalfBits(v))
	}
}

// halfBitsGeneric is the specification of halfBitsVec: dst[i] =
// HalfBits(x[i]) for i < len(dst), x at least as long.
func halfBitsGeneric(dst []uint16, x []float32) {
	for i, v := range x[:len(dst)] {
		dst[i] = HalfBits(v)
	}
}

// StoreKVHalf is StoreKV into binary16 caches (KeyCacheLen and
// ValueCacheLen uint16 elements): key k and value v of position j, rounded
// by HalfBits. Each head's keys and values lie in chunks of 16 positions,
// each chunk transposed: element d of head h's key j at kc[h·ld·hd +
// (j/16)·16·hd + 16·d + j mod 16], and its value at the same place of vc.
// So the key dots, like the weighted sums of the values, reduce across
// registers (keyDotsHalf), and each head reads its keys and then its values
// as two runs of memory.
func StoreKVHalf(kc, vc []uint16, k, v []float32, j, ld, heads int) {
	dim := len(k)
	hd := checkStore("StoreKVHalf", kc, vc, dim, len(v), j, ld, heads)
	for h := range heads {
		at := h*ld*hd + j/Lanes*Lanes*hd
		scatterHalf(kc[at:at+Lanes*hd], k[h*hd:(h+1)*hd], j%Lanes)
		scatterHalf(vc[at:at+Lanes*hd], v[h*hd:(h+1)*hd], j%Lanes)
	}
}

// scatterHalf sets chunk[16·d + lane] = HalfBits(x[d]) for d < len(x):
// column lane of a transposed chunk.
func scatterHalf(chunk []uint16, x []float32, lane int) {
	if len(x) == 0 {
		return
	}
	_ = chunk[Lanes*(len(x)-1)+lane]
	if n := scatterHalfVec(chunk[lane:], x); n > 0 {
		chunk, x = chunk[Lanes*n:], x[n:]
	}
	scatterHalfGeneric(chunk, x, lane)
}

// scatterHalfGeneric is the specification of scatterHalf.
func scatterHalfGeneric(chunk []uint16, x []float32, lane int) {
	var xh [Lanes]uint16 // x, converted 16 at a time, then scattered
	for d0 := 0; d0 < len(x); d0 += Lanes {
		part := xh[:min(Lanes, len(x)-d0)]
		halfBitsVec(part, x[d0:])
		for d, h := range part {
			chunk[Lanes*(d0+d)+lane] = h
		}
	}
}

// AttentionStepHalf is AttentionStep over binary16 caches written by
// StoreKVHalf: each key and value is converted exactly to float32 and goes
// through the same operations in the same order, so the result is
// AttentionStep's on caches holding the rounded values — and Attention's on
// keys and values rounded by RoundHalf. scratch must hold
// AttentionStepScratch(n) floats.
func AttentionStepHalf(out, q []float32, kc, vc []uint16, n, ld, heads, dim int, scratch []float32) {
	hd, scale, s, block, _ := stepSetup(out, q, n, ld, heads, dim, scratch)
	stride := Lanes * hd // from one chunk of a head's values to the next
	_ = kc[:KeyCacheLen(dim, ld)]
	vc = vc[:ValueCacheLen(dim, ld)]
	for h := range heads {
		c0, c1 := h*hd, (h+1)*hd
		// The keys of a head are ld/16 chunks; the positions n…len(s)−1 of
		// the last lie within the capacity, so the dots may run over them.
		values := vc[h*ld*hd:]
		var next []uint16 // the next head's keys, prefetched
		if h+1 < heads {
			next = kc[(h+1)*ld*hd : (h+2)*ld*hd]
		}
		keyDotsHalf(s, n, q[c0:c1], kc[h*ld*hd:(h+1)*ld*hd], next, values)
		softmaxScaled(s[:n], scale)
		chunkWeightedSum(out[c0:c1], block, func(o []float32, x int) { chunkDotHalf(o, s[:n], values[Lanes*x:], stride) })
	}
}

// keyDotsHalfGeneric is the specification of keyDotsHalf: s[j] = Dot(q,
// key j) for j < n, element d of key j being HalfFloat of keys[(j/16)·16·
// len(q) + 16·d + j mod 16] (StoreKVHalf's chunks of one head). An
// implementation may also write s[j] for n ≤ j < n rounded up to 16.
func keyDotsHalfGeneric(s []float32, n int, q []float32, keys []uint16) {
	hd := len(q)
	for j := range n {
		chunk := keys[j/Lanes*Lanes*hd:]
		var acc [Lanes]float32
		for i, x := range q {
			acc[i%Lanes] = FMA32(x, HalfFloat(chunk[Lanes*i+j%Lanes]), acc[i%Lanes])
		}
		s[j] = Reduce16(&acc)
	}
}

// chunkDotHalfGeneric is chunkDotGeneric over binary16 values: out[c] =
// Dot(p, column c), element t of column c being HalfFloat of
// values[(t/16)·stride + 16c + t mod 16]; the lanes of a last partial
// chunk from len(p) mod 16 on do not count.
func chunkDotHalfGeneric(out, p []float32, values []uint16, stride int) {
	for c := range out {
		var acc [Lanes]float32
		for t, x := range p {
			acc[t%Lanes] = FMA32(x, HalfFloat(values[t/Lanes*stride+Lanes*c+t%Lanes]), acc[t%Lanes])
		}
		out[c] = Reduce16(&acc)
	}
}

// pairOrder is the order in which the vertical kernels finish the lane
// pairs {j, j+8} of the Reduce16 tree (verticalPair in the generator).
var pairOrder = [8]int{0, 4, 2, 6, 1, 5, 3, 7}

// packPassHalf writes the n×k binary16 matrix h (row-major, n a multiple
// of cols, k of 16) into dst as the pass-ordered panels of mmvhAVX512_4x32
// (cols = 32) or mmvhAVX2_2x16 (cols = 16): for each block of cols rows of
// h (cols output columns), at dst[s·k:], the eight passes of pairOrder one
// after the other, pass {j, j+8} holding for t < k/16 element 16t+j then
// element 16t+j+8 of the cols rows. A pass thus reads one contiguous run,
// and the kernel the panel in the order it lies.
func packPassHalf(dst, h []uint16, n, k, cols int) {
	_, _ = dst[:n*k], h[:n*k]
	for s := 0; s < n; s += cols {
		blk := dst[s*k : (s+cols)*k]
		at := 0
		for _, j := range pairOrder {
			for t := 0; t < k; t += Lanes {
				for _, r := range [2]int{t + j, t + j + 8} {
					for c := range cols {
						blk[at+c] = h[(s+c)*k+r]
					}
					at += cols
				}
			}
		}
	}
}
