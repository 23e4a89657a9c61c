package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// halfRef is an independent specification of HalfBits for non-NaN x: the
// binary16 values, ordered by their bits, are searched for x's neighbours
// in float64, and the nearer wins, ties going to the even bits; beyond
// 65504 + 16 (half an ulp past the largest) lies Inf.
func halfRef(x float32) uint16 {
	var sign uint16
	a := float64(x)
	if math.Signbit(a) {
		sign, a = 0x8000, -a
	}
	if a >= 65520 {
		return sign | 0x7c00
	}
	// Smallest h in [0, 0x7bff] with value ≥ a.
	h := sort.Search(0x7c00, func(i int) bool { return float64(HalfFloat(uint16(i))) >= a })
	if h == 0x7c00 {
		h = 0x7bff
	}
	if v := float64(HalfFloat(uint16(h))); v == a || h == 0 {
		return sign | uint16(h)
	}
	lo, hi := float64(HalfFloat(uint16(h-1))), float64(HalfFloat(uint16(h)))
	switch {
	case a-lo < hi-a:
		h--
	case a-lo == hi-a && (h-1)%2 == 0:
		h--
	}
	return sign | uint16(h)
}

// halfValue64 is HalfFloat's specification in float64.
func halfValue64(h uint16) float64 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e, m := int(h>>10&0x1f), float64(h&0x3ff)
	switch e {
	case 0:
		return s * math.Ldexp(m, -24)
	case 0x1f:
		if m == 0 {
			return math.Inf(int(s))
		}
		return math.NaN()
	}
	return s * math.Ldexp(1024+m, e-25)
}

// TestHalfFloat checks every binary16 value: HalfFloat against the float64
// formula (NaNs: quiet, payload kept), and HalfBits back to the same bits
// (a signalling NaN comes back quiet).
func TestHalfFloat(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := HalfFloat(h)
		want := halfValue64(h)
		if math.IsNaN(want) {
			wb := uint32(h&0x8000)<<16 | 0x7fc00000 | uint32(h&0x3ff)<<13
			if math.Float32bits(f) != wb {
				t.Fatalf("HalfFloat(%#04x) = %#08x, want quiet NaN %#08x", h, math.Float32bits(f), wb)
			}
			if back := HalfBits(f); back != h|0x200 {
				t.Fatalf("HalfBits(HalfFloat(%#04x)) = %#04x, want %#04x", h, back, h|0x200)
			}
			continue
		}
		if float64(f) != want || math.Signbit(float64(f)) != math.Signbit(want) {
			t.Fatalf("HalfFloat(%#04x) = %g, want %g", h, f, want)
		}
		if back := HalfBits(f); back != h {
			t.Fatalf("HalfBits(HalfFloat(%#04x)) = %#04x", h, back)
		}
	}
}

// halfTestValues returns float32s that stress HalfBits: every value a
// binary16 ulp, half an ulp and a float32 ulp either side of each
// binary16 (ties and near-ties, subnormal and overflow edges included),
// float32 exponents all the way down and up, and random bits.
func halfTestValues(r *rand.Rand, random int) []float32 {
	var v []float32
	for i := 0; i < 0x7c00; i += 7 {
		h := HalfFloat(uint16(i))
		next := float32(halfValue64(uint16(i + 1)))
		mid := float32((float64(h) + float64(next)) / 2) // exact in float32
		for _, x := range []float32{h, mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9), math.Nextafter32(h, 0), math.Nextafter32(h, 1e9)} {
			v = append(v, x, -x)
		}
	}
	for e := -160; e <= 130; e++ {
		for _, m := range []float64{1, 1.5, 1.0009765625, 1.00048828125, 1.99951171875, 1.9990234375} {
			x := float32(math.Ldexp(m, e))
			v = append(v, x, -x)
		}
	}
	v = append(v, 65504, 65519.996, 65520, 65536, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x33000000), math.Float32frombits(0x33000001), math.Float32frombits(0x32ffffff))
	for range random {
		v = append(v, math.Float32frombits(r.Uint32()))
	}
	return v
}

// TestHalfBits checks HalfBits against halfRef (and, for NaNs, against the
// payload rule) on halfTestValues.
func TestHalfBits(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, x := range halfTestValues(r, 200_000) {
		got := HalfBits(x)
		if x != x {
			b := math.Float32bits(x)
			want := uint16(b>>16)&0x8000 | 0x7e00 | uint16(b>>13&0x3ff)
			if got != want {
				t.Fatalf("HalfBits(NaN %#08x) = %#04x, want %#04x", b, got, want)
			}
			continue
		}
		if want := halfRef(x); got != want {
			t.Fatalf("HalfBits(%g = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
	}
}

// TestVariantsRoundHalf checks RoundHalf and halfBitsVec with every ISA
// (VCVTPS2PH and VCVTPH2PS on amd64) against roundHalfGeneric and HalfBits
// bit for bit on halfTestValues, NaN payloads included, at every length
// 0…40 and offset, with guards.
func TestVariantsRoundHalf(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	vals := halfTestValues(r, 100_000)
	want := append([]float32(nil), vals...)
	roundHalfGeneric(want)
	forEachISA(t, func(t *testing.T) {
		got := append([]float32(nil), vals...)
		RoundHalf(got)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("RoundHalf(%#08x) = %#08x, want %#08x", math.Float32bits(vals[i]), math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
		for n := range 41 {
			off := r.IntN(len(vals) - n)
			buf, x := guarded(n, n%3)
			copy(x, vals[off:off+n])
			RoundHalf(x)
			checkGuard(t, buf, n, n%3, "RoundHalf")
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(want[off+i]) {
					t.Fatalf("n=%d: RoundHalf(%#08x) = %#08x, want %#08x", n, math.Float32bits(vals[off+i]), math.Float32bits(x[i]), math.Float32bits(want[off+i]))
				}
			}
			// halfBitsVec, with guard elements either side.
			const guard = 0xbeef
			hb := make([]uint16, n+2*guardWords)
			for i := range hb {
				hb[i] = guard
			}
			halfBitsVec(hb[guardWords:guardWords+n], vals[off:off+n+1])
			for i, h := range hb {
				switch {
				case i < guardWords || i >= guardWords+n:
					if h != guard {
						t.Fatalf("n=%d: halfBitsVec wrote guard element %d", n, i)
					}
				case h != HalfBits(vals[off+i-guardWords]):
					t.Fatalf("n=%d: halfBitsVec(%#08x) = %#04x, want %#04x", n, math.Float32bits(vals[off+i-guardWords]), h, HalfBits(vals[off+i-guardWords]))
				}
			}
		}
	})
}

// TestAttentionStepHalf checks AttentionStepHalf bit for bit against
// AttentionStep on caches of the same values rounded by RoundHalf — and so
// against Attention — with every ISA, on nasty values, at every length up
// to T, for head widths that are multiples of 16 (the assembly) and not,
// with caches that held NaN before StoreKVHalf wrote them and guards.
func TestAttentionStepHalf(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	shapes := [][3]int{{40, 4, 256}, {21, 2, 96}, {33, 3, 48}, {19, 1, 16}, {37, 2, 64}, {1, 1, 4}, {17, 5, 40}, {35, 4, 12}, {24, 2, 160}}
	forEachISA(t, func(t *testing.T) {
		for _, sh := range shapes {
			T, heads, dim := sh[0], sh[1], sh[2]
			ld := StepCapacity(T + 3)
			q := randF32(r, T*dim, 2)
			k, v := nastyVec(r, T*dim), nastyVec(r, T*dim)
			if r.IntN(2) == 0 {
				k = randF32(r, T*dim, 3)
			}
			kr := append([]float32(nil), k...)
			vr := append([]float32(nil), v...)
			roundHalfGeneric(kr)
			roundHalfGeneric(vr)
			kc := make([]float32, KeyCacheLen(dim, ld))
			vc := make([]float32, ValueCacheLen(dim, ld))
			kh := make([]uint16, KeyCacheLen(dim, ld))
			vh := make([]uint16, ValueCacheLen(dim, ld))
			for i := range kh {
				kh[i] = 0x7e00 | uint16(i&0xff) // NaNs, with payloads
			}
			for i := range vh {
				vh[i] = 0xfc00 // −Inf
			}
			for t0 := range T {
				StoreKV(kc, vc, kr[t0*dim:(t0+1)*dim], vr[t0*dim:(t0+1)*dim], t0, ld, heads)
				StoreKVHalf(kh, vh, k[t0*dim:(t0+1)*dim], v[t0*dim:(t0+1)*dim], t0, ld, heads)
				want := make([]float32, dim)
				AttentionStep(want, q[t0*dim:], kc, vc, t0+1, ld, heads, dim, make([]float32, AttentionStepScratch(t0+1)))
				buf, got := guarded(dim, 1)
				sbuf, scr := guarded(AttentionStepScratch(t0+1), 2)
				AttentionStepHalf(got, q[t0*dim:], kh, vh, t0+1, ld, heads, dim, scr)
				checkGuard(t, buf, dim, 1, "AttentionStepHalf out")
				checkGuard(t, sbuf, AttentionStepScratch(t0+1), 2, "AttentionStepHalf scratch")
				for d := range dim {
					if !sameBits(got[d], want[d]) {
						t.Fatalf("%v t=%d: out[%d] = %g, AttentionStep on rounded caches %g", sh, t0, d, got[d], want[d])
					}
				}
			}
		}
	})
}

// TestLinearWeightsHalf checks PackLinearHalf: weights that are all
// binary16 values get the binary16 copy, and its products — the binary16
// micro-kernels halfBlockRows rows at a time where halfLinear takes the
// layer, the float32 ones elsewhere — give Linear's bits on the matrix
// itself, at every row count 0…20 (the four-row blocks and every
// remainder), at 37 and at 133 (two blocks of 64 and a remainder),
// reduction lengths with and without a tail, column cuts at odd places,
// with guards; one weight off the binary16 grid keeps the float32 products
// only. It runs once with AVX2's size threshold and once without, so that
// every shape goes through the AVX2 binary16 kernels where k allows.
func TestLinearWeightsHalf(t *testing.T) {
	r := rand.New(rand.NewPCG(97, 98))
	// The last six take the pass-ordered binary16 panels on AVX-512
	// (mmvhAVX512_4x32, four rows at a time: whole 32-column blocks, k a
	// multiple of 16 up to passHalfMaxK), and four of them on AVX2
	// (mmvhAVX2_2x16, two rows at a time, 16-column blocks, k up to
	// avx2PassHalfMaxK).
	shapes := [][2]int{{256, 30}, {64, 13}, {48, 9}, {20, 7}, {33, 12}, {16, 8}, {1024, 6}, {96, 96}, {96, 64}, {128, 32}, {48, 128}, {256, 64}, {384, 32}}
	saved := avx2HalfMinWeights
	defer func() { avx2HalfMinWeights = saved }()
	for _, least := range []int{saved, 0} {
		avx2HalfMinWeights = least
		t.Run(fmt.Sprintf("avx2HalfMinWeights=%d", least), func(t *testing.T) { linearWeightsHalf(t, r, shapes) })
	}
}

func linearWeightsHalf(t *testing.T, r *rand.Rand, shapes [][2]int) {
	forEachISA(t, func(t *testing.T) {
		for _, sh := range shapes {
			in, out := sh[0], sh[1]
			w := nastyVec(r, in*out)
			roundHalfGeneric(w)
			off := append([]float32(nil), w...)
			off[len(off)/2] = math.Nextafter32(off[len(off)/2], 1)
			if off[len(off)/2] == HalfFloat(HalfBits(off[len(off)/2])) {
				off[len(off)/2] = 1.0001
			}
			if PackLinearHalf(off, in, out).half != nil {
				t.Fatalf("%dx%d: a weight off the binary16 grid got a binary16 copy", out, in)
			}
			lw := PackLinearHalf(w, in, out)
			if lw.half == nil {
				t.Fatalf("%dx%d: binary16 weights got no binary16 copy", out, in)
			}
			if fits := passHalfFits(out, in) && halfLinear(in, out); fits != (lw.passHalf != nil) {
				t.Fatalf("%dx%d: pass-ordered panels %v, want %v", out, in, lw.passHalf != nil, fits)
			}
			bias := randF32(r, out, 1)
			for _, m := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 37, 133} {
				name := fmt.Sprintf("%dx%dx%d", m, out, in)
				x := nastyVec(r, m*in)
				want := make([]float32, m*out)
				Linear(want, x, w, bias, m, in, out)
				o := r.IntN(4)
				buf, y := guarded(m*out, o)
				lw.Linear(y, x, bias, m)
				checkGuard(t, buf, m*out, o, name)
				checkCols(t, name, y, want, m, out, 0, out)
				buf, y = guarded(m*out, o)
				for _, cut := range [][2]int{{0, 1}, {1, out/2 + 1}, {out/2 + 1, out}} {
					lw.LinearCols(y, x, nil, m, cut[0], cut[1])
				}
				checkGuard(t, buf, m*out, o, name+" cols")
				Linear(want, x, w, nil, m, in, out)
				checkCols(t, name+" cols", y, want, m, out, 0, out)
				for _, w := range []int{16, 32} { // cuts on the panels' blocks
					if out%w == 0 && out > w {
						buf, y = guarded(m*out, o)
						lw.LinearCols(y, x, nil, m, 0, w)
						lw.LinearCols(y, x, nil, m, w, out)
						checkGuard(t, buf, m*out, o, fmt.Sprintf("%s %d-column cols", name, w))
						checkCols(t, fmt.Sprintf("%s %d-column cols", name, w), y, want, m, out, 0, out)
					}
				}
			}
		}
	})
}

// TestStoreKVPanics checks that StoreKV and StoreKVHalf refuse a position
// outside the capacity, a capacity that is not a multiple of 16, a value of
// another width, heads that do not divide the width, and short caches.
func TestStoreKVPanics(t *testing.T) {
	const dim, ld, heads = 8, 16, 2
	k, v := make([]float32, dim), make([]float32, dim)
	kc, vc := make([]float32, KeyCacheLen(dim, ld)), make([]float32, ValueCacheLen(dim, ld))
	kh, vh := make([]uint16, KeyCacheLen(dim, ld)), make([]uint16, ValueCacheLen(dim, ld))
	for name, args := range map[string]struct {
		v        []float32
		j, ld, h int
		short    bool
	}{
		"position past the capacity": {v, ld, ld, heads, false},
		"negative position":          {v, -1, ld, heads, false},
		"capacity not of 16":         {v, 0, 12, heads, false},
		"value of another width":     {v[:dim-1], 0, ld, heads, false},
		"heads not dividing":         {v, 0, ld, 3, false},
		"short caches":               {v, 0, ld, heads, true},
	} {
		for _, half := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/half=%v", name, half), func(t *testing.T) {
				defer func() {
					if recover() == nil {
						t.Fatal("no panic")
					}
				}()
				n := 0
				if args.short {
					n = 1
				}
				if half {
					StoreKVHalf(kh[:len(kh)-n:len(kh)-n], vh, k, args.v, args.j, args.ld, args.h)
				} else {
					StoreKV(kc[:len(kc)-n:len(kc)-n], vc, k, args.v, args.j, args.ld, args.h)
				}
			})
		}
	}
	StoreKV(kc, vc, k, v, ld-1, ld, heads) // the last position is fine
	StoreKVHalf(kh, vh, k, v, ld-1, ld, heads)
}

// TestScatterHalf checks scatterHalf, with every ISA, against its Go twin at
// every length 0…70 and every lane: the column gets HalfBits of nasty
// values and every other element of the chunk keeps its guard.
func TestScatterHalf(t *testing.T) {
	r := rand.New(rand.NewPCG(97, 98))
	forEachISA(t, func(t *testing.T) {
		for n := 0; n <= 70; n++ {
			x := nastyVec(r, n)
			for lane := range Lanes {
				got, want := make([]uint16, Lanes*n+Lanes), make([]uint16, Lanes*n+Lanes)
				for i := range got {
					got[i], want[i] = 0xabcd, 0xabcd
				}
				scatterHalf(got[:Lanes*n], x, lane)
				scatterHalfGeneric(want[:Lanes*n], x, lane)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("n=%d lane=%d: chunk[%d] = %#x, want %#x", n, lane, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestExactHalves checks exactHalvesInto, with every ISA, against its Go
// twin at every length 0…70: on binary16 values (subnormals, ±0, ±Inf
// included), which pass, and with one float32 that is not a binary16 value
// (or a NaN) at each position, which fails; the conversions match, and the
// guards after them hold.
func TestExactHalves(t *testing.T) {
	r := rand.New(rand.NewPCG(99, 100))
	specials := []uint16{0x0000, 0x8000, 0x0001, 0x83ff, 0x7c00, 0xfc00, 0x7bff, 0x3c00}
	bad := []float32{1 + 1.0/4096, float32(math.NaN()), 1e-30, 70000, -3.0e-8}
	forEachISA(t, func(t *testing.T) {
		for n := 0; n <= 70; n++ {
			w := make([]float32, n)
			for i := range w {
				h := uint16(r.Uint32())
				if h&0x7c00 == 0x7c00 { // no NaNs among the exact values
					h = specials[r.IntN(len(specials))]
				}
				w[i] = HalfFloat(h)
			}
			check := func(at int, want bool) {
				got, ref := make([]uint16, n+8), make([]uint16, n+8)
				for i := range got {
					got[i], ref[i] = 0xabcd, 0xabcd
				}
				exact := exactHalvesInto(got[:n], w)
				if wantG := exactHalvesGeneric(ref[:n], w); exact != wantG || exact != want {
					t.Fatalf("n=%d bad at %d: %v, Go twin %v, want %v", n, at, exact, wantG, want)
				}
				for i := range got {
					if got[i] != ref[i] {
						t.Fatalf("n=%d: h[%d] = %#x, want %#x", n, i, got[i], ref[i])
					}
				}
			}
			check(-1, true)
			for at := range n {
				old := w[at]
				w[at] = bad[r.IntN(len(bad))]
				check(at, false)
				w[at] = old
			}
		}
	})
}
