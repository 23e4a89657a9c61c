package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// forEachISA runs f once with every implementation this CPU can run forced.
func forEachISA(t *testing.T, f func(t *testing.T)) {
	saved := isa
	defer func() { isa = saved }()
	for _, l := range isaLevels {
		isa = l
		t.Run(l.String(), f)
	}
	isa = saved
}

// nastyVec fills v with values that stress the bit-identity of the variants:
// products that underflow to −0 (so lanes hold −0 and the tail must not turn
// them into +0), subnormals, huge values whose products overflow to ±Inf,
// exact cancellations and ordinary numbers.
func nastyVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	mode := r.IntN(4)
	for i := range v {
		switch {
		case mode == 0: // all tiny: every product underflows, signs random
			v[i] = float32(math.Copysign(1e-30*(1+r.Float64()), r.Float64()-0.5))
		case mode == 1 && r.IntN(50) == 0:
			v[i] = float32(math.Copysign(1e30, r.Float64()-0.5))
		case r.IntN(20) == 0:
			v[i] = float32(r.NormFloat64() * 1e-40)
		case r.IntN(20) == 0:
			v[i] = float32(math.Copysign(0, r.Float64()-0.5))
		default:
			v[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(20)-10))
		}
	}
	return v
}

func TestVariantsDot(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	type tc struct{ x, y []float32 }
	var cases []tc
	for n := 0; n <= 1000; n++ {
		reps := 1
		if n <= 48 {
			reps = 8
		}
		for range reps {
			off := r.IntN(3)
			x := nastyVec(r, n+off)[off:]
			y := nastyVec(r, n+off+1)[off:]
			cases = append(cases, tc{x, y})
		}
	}
	want := make([]float32, len(cases))
	for i, c := range cases {
		want[i] = dotGeneric(c.x, c.y[:len(c.x)])
	}
	forEachISA(t, func(t *testing.T) {
		for i, c := range cases {
			if got := Dot(c.x, c.y); !sameBits(got, want[i]) {
				t.Fatalf("n=%d: Dot = %g (%#x), pure Go %g (%#x)", len(c.x), got, math.Float32bits(got), want[i], math.Float32bits(want[i]))
			}
		}
	})
}

// TestVariantsDotNegZeroTail pins the tail rule: lanes at or past k mod 16
// must stay exactly as they are, −0 included.
func TestVariantsDotNegZeroTail(t *testing.T) {
	for n := 16; n < 48; n++ {
		x := make([]float32, n)
		y := make([]float32, n)
		for i := range 16 { // every lane −0 after the first block
			x[i], y[i] = -1e-30, 1e-30
		}
		for i := 16; i < n; i++ {
			x[i], y[i] = -1e-30, 1e-30 // more −0 products
		}
		negZero := float32(math.Copysign(0, -1))
		forEachISA(t, func(t *testing.T) {
			if got := Dot(x, y); !sameBits(got, negZero) {
				t.Fatalf("n=%d: Dot = %g (%#x), want −0", n, got, math.Float32bits(got))
			}
		})
	}
}

func TestVariantsMatMulT(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	type tc struct{ m, n, k, ldc, lda, ldb int }
	var cases []tc
	for _, s := range matShapes(testing.Short()) {
		cases = append(cases, tc{s[0], s[1], s[2], s[1], s[2], s[2]})
	}
	for range 200 {
		m, n, k := 1+r.IntN(13), 1+r.IntN(19), r.IntN(70)
		cases = append(cases, tc{m, n, k, n + r.IntN(3), k + r.IntN(3), k + r.IntN(20)})
	}
	for _, c := range cases {
		a := nastyVec(r, max(0, (c.m-1)*c.lda+c.k))
		b := nastyVec(r, max(0, (c.n-1)*c.ldb+c.k))
		size := max(0, (c.m-1)*c.ldc+c.n)
		want := make([]float32, size)
		for i := range want {
			want[i] = math.Float32frombits(guardBits)
		}
		matMulTGeneric(want, c.ldc, a, c.lda, b, c.ldb, c.m, c.n, c.k)
		name := fmt.Sprintf("%dx%dx%d/ld=%d,%d,%d", c.m, c.n, c.k, c.ldc, c.lda, c.ldb)
		forEachISA(t, func(t *testing.T) {
			off := r.IntN(4)
			buf, got := guarded(size, off)
			matMulTStrided(got, c.ldc, a, c.lda, b, c.ldb, c.m, c.n, c.k)
			checkGuard(t, buf, size, off, name)
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("%s: c[%d] = %g, pure Go %g", name, i, got[i], want[i])
				}
			}
			if c.ldc == c.n && c.lda == c.k && c.ldb == c.k {
				buf, got := guarded(size, off)
				MatMulT(got, a, b, c.m, c.n, c.k)
				checkGuard(t, buf, size, off, "MatMulT "+name)
				for i := range got {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("MatMulT %s: c[%d] = %g, pure Go %g", name, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestVariantsMatMulLayouts checks MatMul (a·b) and MatMulTA (aᵀ·b) with
// every ISA forced against the pure-Go Dot of a row (or column) of a and a
// column of b, bit for bit, with guard values around c: the model's shapes,
// shapes the vertical kernels take (n a multiple of 8, k of 16 up to 384),
// on a packed b and, below matMulVerticalMinRows rows with n not a multiple
// of 64, on b in place, and ones they do not, and random odd ones.
func TestVariantsMatMulLayouts(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	shapes := append(matShapes(testing.Short()), [3]int{2, 16, 16}, [3]int{9, 24, 384}, [3]int{3, 8, 400}, [3]int{64, 256, 1024}, [3]int{5, 40, 96},
		[3]int{matMulVerticalMinRows, 24, 96}, [3]int{matMulVerticalMinRows + 3, 40, 32}, [3]int{256, 16, 384}, [3]int{200, 16, 400},
		[3]int{1, 288, 96}, [3]int{2, 296, 48}, [3]int{1, 64, 96}, [3]int{2, 256, 32}, [3]int{1, 128, 16}, [3]int{matMulVerticalMinRows - 1, 288, 96}, [3]int{7, 24, 384}, [3]int{3, 40, 400})
	for range 100 {
		shapes = append(shapes, [3]int{1 + r.IntN(13), 8 * (1 + r.IntN(5)), 16 * r.IntN(8)}, [3]int{1 + r.IntN(13), 1 + r.IntN(19), r.IntN(70)})
	}
	column := func(x []float32, rows, cols, j int) []float32 {
		v := make([]float32, rows)
		for i := range v {
			v[i] = x[i*cols+j]
		}
		return v
	}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a := nastyVec(r, m*k) // m×k for MatMul, k×m for MatMulTA
		b := nastyVec(r, k*n) // k×n
		ab := make([]float32, m*n)
		atb := make([]float32, m*n)
		for j := range n {
			bj := column(b, k, n, j)
			for i := range m {
				ab[i*n+j] = dotGeneric(a[i*k:(i+1)*k], bj)
				atb[i*n+j] = dotGeneric(column(a, k, m, i), bj)
			}
		}
		forEachISA(t, func(t *testing.T) {
			for _, l := range []struct {
				name string
				mm   func(c, a, b []float32, m, n, k int)
				want []float32
			}{{"MatMul", MatMul, ab}, {"MatMulTA", MatMulTA, atb}} {
				name := fmt.Sprintf("%s %dx%dx%d", l.name, m, n, k)
				off := r.IntN(4)
				buf, got := guarded(m*n, off)
				l.mm(got, a, b, m, n, k)
				checkGuard(t, buf, m*n, off, name)
				for i := range got {
					if !sameBits(got[i], l.want[i]) {
						t.Fatalf("%s: c[%d] = %g, pure-Go Dot %g", name, i, got[i], l.want[i])
					}
				}
			}
		})
	}
}

// TestVariantsZeroProducts checks the products whose every term is a zero
// product: Dot's lanes start at +0, so a lane of −0 products ends +0 (−0 +
// +0 = +0), and so does the dot; a kernel that starts a lane with a plain
// multiplication ends it −0, and the dot −0 when every lane does. (One-row
// MatMul did, through columnDots, until session 17.) Each row of a is one
// sign, ±1, and half the columns of b are all zeros of one sign, the rest
// small integers and zeros of either sign, in every layout at one and more
// rows.
func TestVariantsZeroProducts(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	shapes := [][3]int{{1, 16, 16}, {1, 256, 96}, {1, 24, 40}, {1, 1024, 32}, {2, 288, 96}, {3, 40, 33}, {8, 288, 96}, {130, 24, 96}, {5, 7, 1}}
	signedZero := func() float32 { return float32(math.Copysign(0, float64(r.IntN(2))-0.5)) }
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a := make([]float32, m*k)
		for i := range m {
			sign := float32(1 - 2*r.IntN(2))
			for t := range k {
				a[i*k+t] = sign
			}
		}
		b := make([]float32, k*n) // k×n; bt is its transpose
		for j := range n {
			zeros, z := r.IntN(2) == 0, signedZero()
			for t := range k {
				switch {
				case zeros:
					b[t*n+j] = z
				case r.IntN(3) == 0:
					b[t*n+j] = signedZero()
				default:
					b[t*n+j] = float32(r.IntN(5) - 2)
				}
			}
		}
		bt := make([]float32, n*k)
		Transpose(bt, b, k, n)
		at := make([]float32, k*m)
		Transpose(at, a, m, k)
		want := make([]float32, m*n)
		for i := range m {
			for j := range n {
				want[i*n+j] = dotGeneric(a[i*k:(i+1)*k], bt[j*k:(j+1)*k])
			}
		}
		forEachISA(t, func(t *testing.T) {
			for _, l := range []struct {
				name string
				run  func(c []float32)
			}{
				{"MatMulT", func(c []float32) { MatMulT(c, a, bt, m, n, k) }},
				{"MatMul", func(c []float32) { MatMul(c, a, b, m, n, k) }},
				{"MatMulTA", func(c []float32) { MatMulTA(c, at, b, m, n, k) }},
				{"Linear", func(c []float32) { Linear(c, a, bt, nil, m, k, n) }},
				{"LinearWeights", func(c []float32) { PackLinear(bt, k, n).Linear(c, a, nil, m) }},
				{"LinearWeightsHalf", func(c []float32) { PackLinearHalf(bt, k, n).Linear(c, a, nil, m) }},
			} {
				got := make([]float32, m*n)
				l.run(got)
				for i := range got {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("%s %dx%dx%d: c[%d] = %g (bits %#x), pure-Go Dot %g (bits %#x)", l.name, m, n, k, i,
							got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		})
	}
}

// sumSpec is Sum as its contract states it, written out: lane l adds the
// elements i ≡ l (mod 16) in order, then the lanes fold by Reduce16.
func sumSpec(x []float32) float32 {
	var acc [Lanes]float32
	for i, v := range x {
		acc[i%Lanes] += v
	}
	return Reduce16(&acc)
}

func TestVariantsSum(t *testing.T) {
	r := rand.New(rand.NewPCG(57, 58))
	for n := 0; n <= 1000; n++ {
		off := n % 7
		buf := nastyVec(r, n+off+3)
		x := buf[off : off+n : off+n]
		want := sumSpec(x)
		forEachISA(t, func(t *testing.T) {
			if got := Sum(x); !sameBits(got, want) {
				t.Fatalf("n=%d off=%d: Sum = %g, contract %g", n, off, got, want)
			}
		})
	}
}

// randomWords returns n random words for the read probes, and random
// starting lanes.
func randomWords(r *rand.Rand, n int) (x []uint32, lanes [Lanes]uint32) {
	x = make([]uint32, n)
	for i := range x {
		x[i] = r.Uint32()
	}
	for l := range lanes {
		lanes[l] = r.Uint32()
	}
	return x, lanes
}

// TestVariantsXORBlocks checks the read probe of BenchmarkMemoryRead against
// its specification at every whole number of blocks up to 1000 words and
// every phase of the four-block loop, with guard words after x that it must
// not read into the result.
func TestVariantsXORBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(59, 60))
	for n := 0; n <= 1000; n += Lanes {
		buf, start := randomWords(r, n+Lanes)
		want := start
		xorBlocksGeneric(&want, buf[:n])
		forEachISA(t, func(t *testing.T) {
			got := start
			xorBlocks(&got, buf[:n])
			if got != want {
				t.Fatalf("n=%d: xorBlocks = %x, specification %x", n, got, want)
			}
		})
	}
}

// TestVariantsXORRows checks the xorRows probes against their twin: rows
// of 1 to 9 (the probes' and others), row lengths from one block to past a
// page, and x with and without a partial group after the whole ones.
func TestVariantsXORRows(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, rows := range []int{1, 2, 3, 4, 8, 9} {
		for _, rowLen := range []int{16, 96, 1040} {
			for _, groups := range []int{0, 1, 5} {
				buf, start := randomWords(r, groups*rows*rowLen+r.IntN(2)*rowLen+r.IntN(Lanes))
				want := start
				xorRowsGeneric(&want, buf, rows, rowLen)
				forEachISA(t, func(t *testing.T) {
					got := start
					xorRows(&got, buf, rows, rowLen)
					if got != want {
						t.Fatalf("rows=%d rowLen=%d groups=%d: xorRows = %x, specification %x", rows, rowLen, groups, got, want)
					}
				})
			}
		}
	}
}

func TestVariantsAxpyAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	for n := 0; n <= 200; n++ {
		x := nastyVec(r, n+1)
		y0 := nastyVec(r, n)
		a := float32(r.NormFloat64())
		wantAxpy := append([]float32(nil), y0...)
		axpyGeneric(wantAxpy, a, x)
		wantAdd := append([]float32(nil), y0...)
		addGeneric(wantAdd, x)
		forEachISA(t, func(t *testing.T) {
			off := n % 5
			buf, y := guarded(n, off)
			copy(y, y0)
			axpyVec(y, a, x)
			checkGuard(t, buf, n, off, "axpy")
			for i := range y {
				if !sameBits(y[i], wantAxpy[i]) {
					t.Fatalf("n=%d: axpy[%d] = %g, pure Go %g", n, i, y[i], wantAxpy[i])
				}
			}
			copy(y, y0)
			addVec(y, x)
			checkGuard(t, buf, n, off, "add")
			for i := range y {
				if !sameBits(y[i], wantAdd[i]) {
					t.Fatalf("n=%d: add[%d] = %g, pure Go %g", n, i, y[i], wantAdd[i])
				}
			}
		})
	}
}

func TestVariantsAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(57, 58))
	for _, s := range append(attnShapes, [3]int{20, 4, 256}, [3]int{9, 2, 96}) {
		T, heads, dim := s[0], s[1], s[2]
		q, k, v := randF32(r, T*dim, 2), randF32(r, T*dim, 2), randF32(r, T*dim, 1)
		saved := isa
		isa = isaGeneric
		want := attnRun(t, q, k, v, T, T, 0, heads, dim)
		isa = saved
		forEachISA(t, func(t *testing.T) {
			got := attnRun(t, q, k, v, T, T, 0, heads, dim)
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("%v: out[%d] = %g, pure Go %g", s, i, got[i], want[i])
				}
			}
		})
	}
}

// expSweep returns inputs covering every exponent of float32 of both signs
// (every step-th bit pattern), the reduction boundaries of Exp, its cut-offs
// and the special values.
func expSweep(step uint32) []float32 {
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += step {
		xs = append(xs, math.Float32frombits(b), -math.Float32frombits(b))
	}
	for k := -300; k <= 300; k++ {
		c := float32(float64(k) * math.Ln2 / 2)
		for d := -3; d <= 3; d++ {
			xs = append(xs, math.Float32frombits(math.Float32bits(c)+uint32(d)))
		}
	}
	for _, c := range []float32{expMax, expMin, 9, -9, 4.5, -4.5, 0x1p-126, 1e-45} {
		for d := -3; d <= 3; d++ {
			b := math.Float32bits(c) + uint32(d)
			xs = append(xs, math.Float32frombits(b), -math.Float32frombits(b))
		}
	}
	inf := float32(math.Inf(1))
	// NaNs of both signs, quiet and signalling, with payloads: the kernels
	// must hand on the input's NaN as the scalar code does.
	for _, b := range []uint32{0x7fc00123, 0xffc00001, 0x7f800001, 0xff80dead} {
		xs = append(xs, math.Float32frombits(b))
	}
	return append(xs, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32)
}

func TestVariantsExpGELU(t *testing.T) {
	step := uint32(401)
	if testing.Short() {
		step = 4001
	}
	xs := expSweep(step)
	wantExp := make([]float32, len(xs))
	wantGELU := make([]float32, len(xs))
	for i, x := range xs {
		wantExp[i] = Exp(x)
		wantGELU[i] = GELU(x)
	}
	subs := []float32{0, 3.25, -70}
	forEachISA(t, func(t *testing.T) {
		got := make([]float32, len(xs))
		expSubVec(got, xs, 0)
		for i := range got {
			if !sameBits(got[i], wantExp[i]) {
				t.Fatalf("Exp(%g) = %g (%#x), scalar %g (%#x)", xs[i], got[i], math.Float32bits(got[i]), wantExp[i], math.Float32bits(wantExp[i]))
			}
		}
		copy(got, xs)
		GELUInPlace(got)
		for i := range got {
			if !sameBits(got[i], wantGELU[i]) {
				t.Fatalf("GELU(%g) = %g (%#x), scalar %g (%#x)", xs[i], got[i], math.Float32bits(got[i]), wantGELU[i], math.Float32bits(wantGELU[i]))
			}
		}
		// Lengths 0…40 at odd offsets, with guards, and a subtrahend.
		for n := 0; n <= 40; n++ {
			for _, sub := range subs {
				off := n % 3
				src := xs[1000+n : 1000+2*n]
				buf, dst := guarded(n, off)
				expSubVec(dst, src, sub)
				checkGuard(t, buf, n, off, "expSub")
				for i := range dst {
					if w := Exp(src[i] - sub); !sameBits(dst[i], w) {
						t.Fatalf("n=%d: Exp(%g − %g) = %g, scalar %g", n, src[i], sub, dst[i], w)
					}
				}
			}
			buf, dst := guarded(n, 1)
			copy(dst, xs[2000+n:2000+2*n])
			GELUInPlace(dst)
			checkGuard(t, buf, n, 1, "GELUInPlace")
			for i := range dst {
				if w := GELU(xs[2000+n+i]); !sameBits(dst[i], w) {
					t.Fatalf("n=%d: GELU(%g) = %g, scalar %g", n, xs[2000+n+i], dst[i], w)
				}
			}
		}
	})
}

// TestVariantsTranspose checks transposeStrided (the ISA's 8×8 leaf plus the
// pure-Go edges) against the definition dst[j*ldd+i] = a[i*lda+j] on odd
// shapes, strides and offsets: every other float of dst, the padding between
// its rows and the guards around it included, must keep its guard value.
func TestVariantsTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	type tc struct{ m, n, lda, ldd int }
	var cases []tc
	for m := 0; m <= 19; m++ {
		for n := 0; n <= 19; n++ {
			cases = append(cases, tc{m, n, n + r.IntN(3), m + r.IntN(3)})
		}
	}
	for range 100 {
		m, n := 1+r.IntN(70), 1+r.IntN(70)
		cases = append(cases, tc{m, n, n + r.IntN(20), m + r.IntN(20)})
	}
	cases = append(cases, tc{256, 768, 768, 256}, tc{96, 288, 288, padStride(96)})
	forEachISA(t, func(t *testing.T) {
		for _, c := range cases {
			name := fmt.Sprintf("%dx%d/lda=%d,ldd=%d", c.m, c.n, c.lda, c.ldd)
			a := nastyVec(r, max(0, (c.m-1)*c.lda+c.n))
			size := 0
			if c.m > 0 && c.n > 0 {
				size = (c.n-1)*c.ldd + c.m
			}
			off := r.IntN(4)
			buf, dst := guarded(size, off)
			transposeStrided(dst, c.ldd, a, c.lda, c.m, c.n)
			checkGuard(t, buf, size, off, name)
			want := make([]float32, size)
			for i := range want {
				want[i] = math.Float32frombits(guardBits)
			}
			for i := range c.m {
				for j := range c.n {
					want[j*c.ldd+i] = a[i*c.lda+j]
				}
			}
			for i := range dst {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: dst[%d] = %#x, want %#x", name, i, math.Float32bits(dst[i]), math.Float32bits(want[i]))
				}
			}
		}
	})
}

// maxSpec is Max as its contract states it, written as one plain loop: the
// largest element, NaNs ignored, −Inf for none, +0 for a zero of either
// sign.
func maxSpec(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	if m == 0 {
		return 0
	}
	return m
}

// TestVariantsMaxDiv checks Max and divVec (Softmax's first and last loops)
// with every ISA forced against their pure-Go specifications over lengths
// 0…1000 at odd offsets, on values with zeros of both signs, NaNs and
// infinities mixed in, with guard values around divVec's output (also when
// it overwrites its input, as Softmax does).
func TestVariantsMaxDiv(t *testing.T) {
	r := rand.New(rand.NewPCG(59, 60))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	divisors := []float32{3.3, 1e-30, 1e-40, 7e37, 0, float32(math.Copysign(0, -1)), inf, nan, -2.5}
	for n := 0; n <= 1000; n++ {
		off := n % 7
		src := nastyVec(r, n+off)[off:]
		switch n % 5 {
		case 1: // all zeros of mixed signs: Max must say +0
			for i := range src {
				src[i] = float32(math.Copysign(0, float64(r.IntN(2)*2-1)))
			}
		case 2:
			for range 3 {
				if n > 0 {
					src[r.IntN(n)] = nan
				}
			}
		case 3:
			if n > 0 {
				src[r.IntN(n)] = -inf
				src[r.IntN(n)] = inf
			}
		case 4: // all NaN or −Inf: Max must say −Inf
			for i := range src {
				src[i] = [2]float32{nan, -inf}[r.IntN(2)]
			}
		}
		wantMax := maxSpec(src)
		d := divisors[n%len(divisors)]
		wantDiv := make([]float32, n)
		divGeneric(wantDiv, src, d)
		forEachISA(t, func(t *testing.T) {
			if got := Max(src); !sameBits(got, wantMax) {
				t.Fatalf("n=%d off=%d: Max = %g (bits %#x), contract %g (bits %#x)", n, off, got, math.Float32bits(got), wantMax, math.Float32bits(wantMax))
			}
			buf, dst := guarded(n, off)
			divVec(dst, src, d)
			checkGuard(t, buf, n, off, "divVec")
			for i := range dst {
				if !sameBits(dst[i], wantDiv[i]) {
					t.Fatalf("n=%d d=%g: dst[%d] = %g, pure Go %g", n, d, i, dst[i], wantDiv[i])
				}
			}
			copy(dst, src)
			divVec(dst, dst, d)
			checkGuard(t, buf, n, off, "divVec in place")
			for i := range dst {
				if !sameBits(dst[i], wantDiv[i]) {
					t.Fatalf("n=%d d=%g in place: dst[%d] = %g, pure Go %g", n, d, i, dst[i], wantDiv[i])
				}
			}
		})
	}
	// Max's doc: the sign of a zero maximum cannot change a probability.
	negZero := float32(math.Copysign(0, -1))
	for _, x := range []float32{0, negZero} {
		if a, b := Exp(x-0), Exp(x-negZero); math.Float32bits(a) != math.Float32bits(b) || a != 1 {
			t.Fatalf("Exp(%g − 0) = %g, Exp(%g − (−0)) = %g: want both 1", x, a, x, b)
		}
	}
}

// TestVariantsLayerNorm checks LayerNorm and its two leaves (subVec, the
// centring, and normAffine, the scale and shift) with every ISA forced
// against the pure-Go specifications, bit for bit, over lengths 0…1000 at
// odd offsets with guard values, on nasty values, out of place and in
// place.
func TestVariantsLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for n := 0; n <= 1000; n++ {
		off := n % 7
		x := nastyVec(r, n+off)[off:]
		g, b := nastyVec(r, n), nastyVec(r, n)
		s := float32(r.NormFloat64())
		rs := float32(r.ExpFloat64())
		wantSub := make([]float32, n)
		subGeneric(wantSub, x, s)
		wantAffine := append([]float32(nil), x...)
		normAffineGeneric(wantAffine, g, b, rs)
		saved := isa
		isa = isaGeneric
		wantLN := make([]float32, n)
		LayerNorm(wantLN, x, g, b, 1e-5)
		isa = saved
		forEachISA(t, func(t *testing.T) {
			check := func(what string, got, want []float32) {
				t.Helper()
				for i := range got {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("n=%d: %s[%d] = %g, pure Go %g", n, what, i, got[i], want[i])
					}
				}
			}
			buf, dst := guarded(n, off)
			subVec(dst, x, s)
			checkGuard(t, buf, n, off, "subVec")
			check("subVec", dst, wantSub)
			copy(dst, x)
			normAffine(dst, g, b, rs)
			checkGuard(t, buf, n, off, "normAffine")
			check("normAffine", dst, wantAffine)
			LayerNorm(dst, x, g, b, 1e-5)
			checkGuard(t, buf, n, off, "LayerNorm")
			check("LayerNorm", dst, wantLN)
			copy(dst, x)
			LayerNorm(dst, dst, g, b, 1e-5)
			checkGuard(t, buf, n, off, "LayerNorm in place")
			check("LayerNorm in place", dst, wantLN)
		})
	}
}
