package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// adamRef is an independent float64 AdamW, written from PyTorch's
// documentation of torch.optim.AdamW.
type adamRef struct {
	b1, b2, eps, wd float64
	m, v            []float64
	t               int
}

func (a *adamRef) step(p, g []float64, lr float64, decay []bool) {
	a.t++
	for i := range p {
		if decay[i] {
			p[i] -= lr * a.wd * p[i]
		}
		a.m[i] = a.b1*a.m[i] + (1-a.b1)*g[i]
		a.v[i] = a.b2*a.v[i] + (1-a.b2)*g[i]*g[i]
		mh := a.m[i] / (1 - math.Pow(a.b1, float64(a.t)))
		vh := a.v[i] / (1 - math.Pow(a.b2, float64(a.t)))
		p[i] -= lr * mh / (math.Sqrt(vh) + a.eps)
	}
}

func TestAdamWMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 300
	cfg := AdamWConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
	noDecay := []ParamRange{{Off: 250, Len: 50}, {Off: 10, Len: 20}} // unsorted on purpose
	o, err := NewAdamW(n, cfg, noDecay)
	if err != nil {
		t.Fatal(err)
	}
	decay := make([]bool, n)
	for i := range decay {
		decay[i] = !(i >= 10 && i < 30) && !(i >= 250)
	}
	ref := &adamRef{b1: 0.9, b2: 0.95, eps: 1e-8, wd: 0.1, m: make([]float64, n), v: make([]float64, n)}
	p := make([]float32, n)
	p64 := make([]float64, n)
	for i := range p {
		p[i] = float32(rng.NormFloat64())
		p64[i] = float64(p[i])
	}
	g := make([]float32, n)
	g64 := make([]float64, n)
	for step := range 50 {
		for i := range g {
			g[i] = float32(rng.NormFloat64() * 0.1)
			g64[i] = float64(g[i])
		}
		lr := float32(1e-2)
		o.Step(p, g, lr)
		ref.step(p64, g64, float64(lr), decay)
		for i := range p {
			if d := math.Abs(float64(p[i]) - p64[i]); d > 1e-5*math.Max(1, math.Abs(p64[i])) {
				t.Fatalf("step %d: p[%d] = %v, reference %v", step, i, p[i], p64[i])
			}
		}
	}
	if o.Steps != 50 {
		t.Errorf("Steps = %d, want 50", o.Steps)
	}
}

func TestAdamWConvergesOnQuadratic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 64
	a := make([]float32, n) // curvatures spread over two decades
	c := make([]float32, n) // minimum
	for i := range a {
		a[i] = float32(math.Pow(10, rng.Float64()*2-1))
		c[i] = float32(rng.NormFloat64())
	}
	cfg := DefaultAdamW()
	cfg.WeightDecay = 0
	o, err := NewAdamW(n, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float32, n)
	g := make([]float32, n)
	loss := func() float64 {
		var s float64
		for i := range p {
			d := float64(p[i] - c[i])
			s += float64(a[i]) * d * d
		}
		return s
	}
	start := loss()
	sched := Schedule{Peak: 0.1, Warmup: 20, Total: 1500, MinRatio: 0.01}
	for step := range 1500 {
		for i := range g {
			g[i] = 2 * a[i] * (p[i] - c[i])
		}
		o.Step(p, g, sched.LR(step))
	}
	end := loss()
	if !(end < 1e-6*start) {
		t.Fatalf("loss %g → %g: AdamW did not converge", start, end)
	}
	for i := range p {
		if math.Abs(float64(p[i]-c[i])) > 1e-3 {
			t.Errorf("p[%d] = %v, want %v", i, p[i], c[i])
		}
	}
}

func TestAdamWDecayRanges(t *testing.T) {
	// With zero gradients the Adam term is 0/(0+ε) = 0, so only the decoupled
	// decay moves the parameters: decayed ones shrink, excluded ones stay.
	const n = 40
	o, err := NewAdamW(n, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}, []ParamRange{{Off: 5, Len: 10}, {Off: 39, Len: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float32, n)
	for i := range p {
		p[i] = 1
	}
	for range 10 {
		o.Step(p, make([]float32, n), 0.1)
	}
	want := math.Pow(1-0.1*0.5, 10)
	for i, v := range p {
		excluded := (i >= 5 && i < 15) || i == 39
		switch {
		case excluded && v != 1:
			t.Errorf("p[%d] = %v, excluded from decay, want 1", i, v)
		case !excluded && math.Abs(float64(v)-want) > 1e-6:
			t.Errorf("p[%d] = %v, want %v", i, v, want)
		}
	}

	for _, bad := range [][]ParamRange{{{Off: -1, Len: 2}}, {{Off: 30, Len: 11}}, {{Off: 0, Len: 10}, {Off: 9, Len: 2}}} {
		if _, err := NewAdamW(n, DefaultAdamW(), bad); err == nil {
			t.Errorf("NewAdamW accepted ranges %v", bad)
		}
	}
	if _, err := NewAdamW(n, AdamWConfig{Beta1: 1, Beta2: 0.9, Eps: 1e-8}, nil); err == nil {
		t.Error("NewAdamW accepted beta1 = 1")
	}
}

func TestNoDecayRanges(t *testing.T) {
	layout := []Tensor{
		{Name: "global.embed", Shape: []int{256, 4}, Offset: 0},
		{Name: "global.pos", Shape: []int{8, 4}, Offset: 1024},
		{Name: "b.ln1.weight", Shape: []int{4}, Offset: 1056},
		{Name: "b.attn.qkv.weight", Shape: []int{12, 4}, Offset: 1060},
		{Name: "b.attn.qkv.bias", Shape: []int{12}, Offset: 1108},
		{Name: "head.weight", Shape: []int{256, 4}, Offset: 1120},
		{Name: "head.bias", Shape: []int{256}, Offset: 2144},
	}
	got := NoDecayRanges(layout)
	want := []ParamRange{{0, 1060}, {1108, 12}, {2144, 256}}
	if len(got) != len(want) {
		t.Fatalf("NoDecayRanges = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("NoDecayRanges = %v, want %v", got, want)
		}
	}
}

func TestAdamWStateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 100
	o, err := NewAdamW(n, DefaultAdamW(), []ParamRange{{Off: 90, Len: 10}})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float32, n)
	g := make([]float32, n)
	fill := func() {
		for i := range g {
			g[i] = float32(rng.NormFloat64())
		}
	}
	for range 3 {
		fill()
		o.Step(p, g, 1e-3)
	}
	data, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var r AdamW
	if err := r.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if r.AdamWConfig != o.AdamWConfig || r.Steps != o.Steps || len(r.NoDecay) != 1 || r.NoDecay[0] != o.NoDecay[0] {
		t.Fatalf("restored %+v / %v / %d, want %+v / %v / %d", r.AdamWConfig, r.NoDecay, r.Steps, o.AdamWConfig, o.NoDecay, o.Steps)
	}
	// Continuing from the restored state gives the same bits.
	p2 := append([]float32(nil), p...)
	fill()
	o.Step(p, g, 1e-3)
	r.Step(p2, g, 1e-3)
	for i := range p {
		if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || o.M[i] != r.M[i] || o.V[i] != r.V[i] {
			t.Fatalf("element %d differs after resuming", i)
		}
	}

	// Every truncation and every single-bit flip is refused with the typed error.
	for cut := 0; cut < len(data); cut += 7 {
		if err := new(AdamW).UnmarshalBinary(data[:cut]); !errors.Is(err, ErrOptimizerState) {
			t.Fatalf("truncated to %d bytes: err = %v", cut, err)
		}
	}
	for i := 0; i < len(data); i += 5 {
		c := append([]byte(nil), data...)
		c[i] ^= 0x10
		if err := new(AdamW).UnmarshalBinary(c); !errors.Is(err, ErrOptimizerState) {
			t.Fatalf("bit flip at %d: err = %v", i, err)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	g := []float32{3, 4, 0, 0} // norm 5
	if n := ClipGradNorm(g, 10); n != 5 || g[0] != 3 || g[1] != 4 {
		t.Fatalf("below the limit: norm %v, grads %v", n, g)
	}
	if n := ClipGradNorm(g, 1); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	if got := GradNorm(g); math.Abs(float64(got)-1) > 1e-6 {
		t.Fatalf("norm after clipping to 1 = %v", got)
	}
	if math.Abs(float64(g[0])-0.6) > 1e-6 || math.Abs(float64(g[1])-0.8) > 1e-6 {
		t.Fatalf("direction changed: %v", g)
	}

	rng := rand.New(rand.NewPCG(7, 8))
	big := make([]float32, 1000)
	for i := range big {
		big[i] = float32(rng.NormFloat64())
	}
	orig := append([]float32(nil), big...)
	n0 := ClipGradNorm(big, 2)
	n1 := GradNorm(big)
	if math.Abs(float64(n1)-2) > 1e-5 {
		t.Fatalf("norm after clipping = %v, want 2", n1)
	}
	for i := range big {
		if math.Abs(float64(big[i])-float64(orig[i])*2/float64(n0)) > 1e-6 {
			t.Fatalf("element %d scaled to %v, want %v", i, big[i], float64(orig[i])*2/float64(n0))
		}
	}

	nan := []float32{1, float32(math.NaN())}
	if n := ClipGradNorm(nan, 1); !math.IsNaN(float64(n)) || nan[0] != 1 {
		t.Fatalf("NaN gradient: norm %v, grads %v", n, nan)
	}
}

func TestScheduleLR(t *testing.T) {
	s := Schedule{Peak: 1e-3, Warmup: 100, Total: 1100, MinRatio: 0.1}
	near := func(a float32, b float64) bool { return math.Abs(float64(a)-b) <= 1e-6*b+1e-12 }
	if !near(s.LR(0), 1e-5) || !near(s.LR(49), 5e-4) || !near(s.LR(99), 1e-3) {
		t.Errorf("warmup: LR(0)=%v LR(49)=%v LR(99)=%v", s.LR(0), s.LR(49), s.LR(99))
	}
	if !near(s.LR(100), 1e-3) {
		t.Errorf("LR(Warmup) = %v, want the peak", s.LR(100))
	}
	if !near(s.LR(600), 1e-3*(0.1+0.9*0.5)) {
		t.Errorf("LR(midpoint) = %v, want %v", s.LR(600), 1e-3*0.55)
	}
	if !near(s.LR(1100), 1e-4) || !near(s.LR(5000), 1e-4) {
		t.Errorf("after Total: %v, %v, want 1e-4", s.LR(1100), s.LR(5000))
	}
	for step := 101; step <= 1100; step++ {
		if s.LR(step) > s.LR(step-1) {
			t.Fatalf("LR rises during decay at step %d", step)
		}
	}
	if got := (Schedule{Peak: 1, Total: 10}).LR(0); got != 1 {
		t.Errorf("no warmup: LR(0) = %v, want 1", got)
	}
}

// StepThreads and the threaded clipping give Step's and ClipGradNorm's bits
// for any number of goroutines, across NoDecay ranges that straddle the
// goroutines' boundaries.
func TestAdamWStepThreads(t *testing.T) {
	const n = 50000
	rng := rand.New(rand.NewPCG(7, 8))
	nd := []ParamRange{{Off: 0, Len: 3}, {Off: 12000, Len: 9000}, {Off: 33333, Len: 1}, {Off: 49990, Len: 10}}
	p0 := make([]float32, n)
	g0 := make([]float32, n)
	for i := range p0 {
		p0[i] = float32(rng.NormFloat64())
		g0[i] = float32(rng.NormFloat64() * 1e-2)
	}
	var want []float32
	var wantG []float32
	for _, threads := range []int{1, 2, 3, 7} {
		o, err := NewAdamW(n, DefaultTrainOptions().adamW(), nd)
		if err != nil {
			t.Fatal(err)
		}
		p := append([]float32(nil), p0...)
		g := append([]float32(nil), g0...)
		if norm, want := clipGradNorm(g, 0.5, threads), GradNorm(g0); norm != want {
			t.Fatalf("threads %d: norm %v, want %v", threads, norm, want)
		}
		for s := range 3 {
			o.StepThreads(p, g, 1e-3*float32(s+1), threads)
		}
		if threads == 1 {
			want, wantG = p, g
			// Step and ClipGradNorm are the one-goroutine forms.
			o2, _ := NewAdamW(n, DefaultTrainOptions().adamW(), nd)
			p2 := append([]float32(nil), p0...)
			g2 := append([]float32(nil), g0...)
			ClipGradNorm(g2, 0.5)
			for s := range 3 {
				o2.Step(p2, g2, 1e-3*float32(s+1))
			}
			for i := range p2 {
				if math.Float32bits(p2[i]) != math.Float32bits(p[i]) || math.Float32bits(g2[i]) != math.Float32bits(g[i]) {
					t.Fatalf("Step and StepThreads(1) differ at %d", i)
				}
			}
			continue
		}
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(want[i]) || math.Float32bits(g[i]) != math.Float32bits(wantG[i]) {
				t.Fatalf("threads %d: p[%d] = %v, g = %v, want %v, %v", threads, i, p[i], g[i], want[i], wantG[i])
			}
		}
	}
}
