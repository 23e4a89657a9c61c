package arith

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"testing"
)

func checkTable(t *testing.T, f []uint32) {
	t.Helper()
	var sum uint64
	for i, v := range f {
		if v == 0 {
			t.Fatalf("freqs[%d] = 0", i)
		}
		sum += uint64(v)
	}
	if sum != Total {
		t.Fatalf("Σ freqs = %d, want %d", sum, Total)
	}
}

// klBits is Σ p·log2(p/q) with p normalised from probs and q = freqs/Total.
func klBits(probs []float32, freqs []uint32) float64 {
	var s float64
	for _, p := range probs {
		s += float64(p)
	}
	var kl float64
	for i, p := range probs {
		if p == 0 {
			continue
		}
		pn := float64(p) / s
		kl += pn * math.Log2(pn*Total/float64(freqs[i]))
	}
	return kl
}

func TestQuantizeInvariants(t *testing.T) {
	rng := newRand(1)
	p := make([]float32, 256)
	f := make([]uint32, 256)
	idx := make([]int, 256)
	for n := range 3000 {
		kind := distKind(n % int(numDistKinds))
		randomProbs(rng, kind, p)
		if err := Quantize(p, f); err != nil {
			t.Fatalf("kind %d: %v", kind, err)
		}
		checkTable(t, f)
		// Monotone: a more probable symbol never gets a smaller frequency.
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
		for k := 1; k < len(idx); k++ {
			i, j := idx[k], idx[k-1] // p[i] ≥ p[j]
			if p[i] > p[j] && f[i] < f[j] {
				t.Fatalf("kind %d: p[%d]=%g > p[%d]=%g but f %d < %d", kind, i, p[i], j, p[j], f[i], f[j])
			}
		}
	}
}

func TestQuantizeExactCases(t *testing.T) {
	p := make([]float32, 256)
	f := make([]uint32, 256)

	// Uniform: exactly Total/256 each, at any scale, including subnormals.
	for _, v := range []float32{1.0 / 256, 1, 3e38, math.SmallestNonzeroFloat32, 0x1p-130} {
		for i := range p {
			p[i] = v
		}
		if err := Quantize(p, f); err != nil {
			t.Fatal(err)
		}
		for i, x := range f {
			if x != Total/256 {
				t.Fatalf("uniform %g: f[%d] = %d, want %d", v, i, x, Total/256)
			}
		}
	}

	// A single nonzero entry takes everything but the 255 reserved counts.
	clear(p)
	p[77] = 0.25
	if err := Quantize(p, f); err != nil {
		t.Fatal(err)
	}
	for i, x := range f {
		want := uint32(1)
		if i == 77 {
			want = Total - 255
		}
		if x != want {
			t.Fatalf("one-hot: f[%d] = %d, want %d", i, x, want)
		}
	}

	// Two entries 3:1 (and −0 elsewhere): 1 + floor((Total−256)·3/4) and
	// 1 + floor((Total−256)/4), all exact, remainder 0.
	for i := range p {
		p[i] = float32(math.Copysign(0, -1))
	}
	p[3], p[200] = 0.75, 0.25
	if err := Quantize(p, f); err != nil {
		t.Fatal(err)
	}
	if f[3] != 1+(Total-256)*3/4 || f[200] != 1+(Total-256)/4 || f[0] != 1 {
		t.Fatalf("3:1 split: f[3]=%d f[200]=%d f[0]=%d", f[3], f[200], f[0])
	}
}

func TestQuantizeScaleInvariant(t *testing.T) {
	rng := newRand(2)
	p := make([]float32, 256)
	q := make([]float32, 256)
	f := make([]uint32, 256)
	g := make([]uint32, 256)
	for n := range 500 {
		randomProbs(rng, distKind(n%int(numDistKinds)), p)
		if distKind(n%int(numDistKinds)) == distWide {
			continue // scaling would push subnormals out of the format
		}
		for i := range p {
			q[i] = p[i] * 0x1p-20
		}
		if err := Quantize(p, f); err != nil {
			t.Fatal(err)
		}
		if err := Quantize(q, g); err != nil {
			t.Fatal(err)
		}
		for i := range f {
			if f[i] != g[i] {
				t.Fatalf("case %d: scaling by 2^-20 changed f[%d]: %d vs %d", n, i, f[i], g[i])
			}
		}
	}
}

func TestQuantizeLoss(t *testing.T) {
	rng := newRand(3)
	p := make([]float32, 256)
	f := make([]uint32, 256)
	// Bounds in bits per symbol. The floor of one count per symbol costs at
	// most 256/Total/ln2 ≈ 2.2e-5 bit on the sharpest distribution.
	bounds := map[distKind]float64{
		distRandom: 1e-7, distPeaked: 3e-5, distSharp: 3e-5, distUniform: 0,
		distSparse: 3e-5, distWide: 3e-5,
	}
	worst := map[distKind]float64{}
	for n := range 2000 {
		kind := distKind(n % int(numDistKinds))
		randomProbs(rng, kind, p)
		if err := Quantize(p, f); err != nil {
			t.Fatal(err)
		}
		kl := klBits(p, f)
		worst[kind] = max(worst[kind], kl)
		if kl > bounds[kind] {
			t.Fatalf("kind %d: quantization loss %.3g bit > %.3g", kind, kl, bounds[kind])
		}
	}
	t.Logf("worst loss per kind (bits/symbol): %v", worst)

	// The sharpest possible distribution: all mass on one symbol.
	clear(p)
	p[0] = 1
	if err := Quantize(p, f); err != nil {
		t.Fatal(err)
	}
	if kl, want := klBits(p, f), 255.0/Total/math.Ln2*1.0001; kl > want {
		t.Fatalf("one-hot loss %.3g > %.3g", kl, want)
	}
}

func TestQuantizeErrors(t *testing.T) {
	good := func() []float32 {
		p := make([]float32, 256)
		for i := range p {
			p[i] = 1
		}
		return p
	}
	nan := float32(math.NaN())
	cases := []struct {
		name  string
		probs []float32
		nf    int
	}{
		{"short", make([]float32, 255), 256},
		{"long", make([]float32, 257), 256},
		{"nil", nil, 256},
		{"short freqs", good(), 10},
		{"all zero", make([]float32, 256), 256},
		{"all negative zero", func() []float32 {
			p := make([]float32, 256)
			for i := range p {
				p[i] = float32(math.Copysign(0, -1))
			}
			return p
		}(), 256},
	}
	for _, bad := range []float32{nan, float32(math.Inf(1)), float32(math.Inf(-1)), -1e-30, -1} {
		for _, at := range []int{0, 100, 255} {
			p := good()
			p[at] = bad
			cases = append(cases, struct {
				name  string
				probs []float32
				nf    int
			}{"bad value", p, 256})
		}
	}
	for _, c := range cases {
		err := Quantize(c.probs, make([]uint32, c.nf))
		if !errors.Is(err, ErrInvalidProbs) {
			t.Errorf("%s: got %v, want ErrInvalidProbs", c.name, err)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

func TestQuantizeNoAlloc(t *testing.T) {
	rng := newRand(4)
	p := make([]float32, 256)
	randomProbs(rng, distRandom, p)
	f := make([]uint32, 256)
	if n := testing.AllocsPerRun(100, func() { _ = Quantize(p, f) }); n != 0 {
		t.Fatalf("Quantize allocates %v times per call", n)
	}
}
