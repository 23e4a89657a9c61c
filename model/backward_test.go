package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/kernels"
)

// gradConfig is the smallest shape that still has every part of the model:
// two patches' worth of context and more, two heads on both sides.
var gradConfig = Config{PatchSize: 2, GlobalDim: 8, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 8, LocalLayers: 1, LocalHeads: 2, ContextPatches: 4}

// gradMLPConfig is gradConfig with MLP widths of its own (odd, not 4·d).
var gradMLPConfig = Config{PatchSize: 2, GlobalDim: 8, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 8, LocalLayers: 1, LocalHeads: 2, ContextPatches: 4,
	GlobalMLP: 13, LocalMLP: 5}

// ref64 is an independent float64 implementation of the model's loss,
// written straight from the architecture in doc.go with math's exp, log and
// tanh. It checks the training forward (its loss must agree to float32
// accuracy) and gives finite differences precise enough to check every
// gradient entry.
type ref64 struct {
	cfg Config
	p   []float64
	off map[string]int
}

func newRef64(m *Model) *ref64 {
	r := &ref64{cfg: m.Cfg, p: make([]float64, len(m.Flat())), off: map[string]int{}}
	for i, v := range m.Flat() {
		r.p[i] = float64(v)
	}
	for _, t := range m.Cfg.Layout() {
		r.off[t.Name] = t.Offset
	}
	return r
}

// t returns n parameters of the tensor name from its start.
func (r *ref64) t(name string, n int) []float64 {
	o, ok := r.off[name]
	if !ok {
		panic("ref64: no tensor " + name)
	}
	return r.p[o : o+n]
}

func ln64(x, g, b []float64) []float64 {
	n := float64(len(x))
	var mean, v float64
	for _, xi := range x {
		mean += xi
	}
	mean /= n
	for _, xi := range x {
		v += (xi - mean) * (xi - mean)
	}
	v /= n
	r := 1 / math.Sqrt(v+lnEps)
	out := make([]float64, len(x))
	for i, xi := range x {
		out[i] = (xi-mean)*r*g[i] + b[i]
	}
	return out
}

// lin64 is y = x·wᵀ + b for one row x; w is out×len(x).
func lin64(x, w, b []float64, out int) []float64 {
	y := make([]float64, out)
	for o := range y {
		s := b[o]
		for j, xj := range x {
			s += w[o*len(x)+j] * xj
		}
		y[o] = s
	}
	return y
}

func gelu64(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(0.7978845608028654*(x+0.044715*x*x*x)))
}

// block64 runs one pre-LN block over the causal sequence xs (rows of width d).
func (r *ref64) block64(pre string, xs [][]float64, heads, hid int) [][]float64 {
	d := len(xs[0])
	hd := d / heads
	T := len(xs)
	q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
	for t, x := range xs {
		a := ln64(x, r.t(pre+"ln1.weight", d), r.t(pre+"ln1.bias", d))
		qkv := lin64(a, r.t(pre+"attn.qkv.weight", 3*d*d), r.t(pre+"attn.qkv.bias", 3*d), 3*d)
		q[t], k[t], v[t] = qkv[:d], qkv[d:2*d], qkv[2*d:]
	}
	out := make([][]float64, T)
	for t := range xs {
		att := make([]float64, d)
		for h := range heads {
			c0 := h * hd
			s := make([]float64, t+1)
			mx := math.Inf(-1)
			for j := range s {
				var dot float64
				for i := range hd {
					dot += q[t][c0+i] * k[j][c0+i]
				}
				s[j] = dot / math.Sqrt(float64(hd))
				mx = math.Max(mx, s[j])
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - mx)
				z += s[j]
			}
			for j := range s {
				for i := range hd {
					att[c0+i] += s[j] / z * v[j][c0+i]
				}
			}
		}
		y := lin64(att, r.t(pre+"attn.out.weight", d*d), r.t(pre+"attn.out.bias", d), d)
		xm := make([]float64, d)
		for i := range xm {
			xm[i] = xs[t][i] + y[i]
		}
		a := ln64(xm, r.t(pre+"ln2.weight", d), r.t(pre+"ln2.bias", d))
		h := lin64(a, r.t(pre+"mlp.fc1.weight", hid*d), r.t(pre+"mlp.fc1.bias", hid), hid)
		for i := range h {
			h[i] = gelu64(h[i])
		}
		y = lin64(h, r.t(pre+"mlp.fc2.weight", d*hid), r.t(pre+"mlp.fc2.bias", d), d)
		out[t] = make([]float64, d)
		for i := range y {
			out[t][i] = xm[i] + y[i]
		}
	}
	return out
}

// windowLoss returns Σ −ln p(x_t) over the full window x, in nats.
func (r *ref64) windowLoss(x []byte) float64 {
	c := r.cfg
	P, K, e, dg, dl := c.PatchSize, c.ContextPatches, c.embedDim(), c.GlobalDim, c.LocalDim
	gx := make([][]float64, K)
	gx[0] = append([]float64(nil), r.t("global.pad", dg)...)
	eg, pg := r.t("global.embed", 256*e), r.t("global.pos", c.Window()*e)
	for k := 1; k < K; k++ {
		gx[k] = make([]float64, dg)
		for j := range P {
			t := (k-1)*P + j
			for i := range e {
				gx[k][j*e+i] = eg[int(x[t])*e+i] + pg[t*e+i]
			}
		}
	}
	for l := range c.GlobalLayers {
		gx = r.block64(fmt.Sprintf("global.blocks.%d.", l), gx, c.GlobalHeads, c.globalHidden())
	}
	el, pl, lpad := r.t("local.embed", 256*dl), r.t("local.pos", P*dl), r.t("local.pad", dl)
	var loss float64
	for k := range K {
		lx := make([][]float64, P)
		for j := range P {
			g := lin64(gx[k][j*e:(j+1)*e], r.t("g2l.weight", dl*e), r.t("g2l.bias", dl), dl)
			for i := range g {
				if j == 0 {
					g[i] += lpad[i]
				} else {
					g[i] += el[int(x[k*P+j-1])*dl+i] + pl[j*dl+i]
				}
			}
			lx[j] = g
		}
		for l := range c.LocalLayers {
			lx = r.block64(fmt.Sprintf("local.blocks.%d.", l), lx, c.LocalHeads, c.localHidden())
		}
		for j, h := range lx {
			a := ln64(h, r.t("local.ln_f.weight", dl), r.t("local.ln_f.bias", dl))
			logits := lin64(a, r.t("head.weight", 256*dl), r.t("head.bias", 256), 256)
			mx := math.Inf(-1)
			for _, v := range logits {
				mx = math.Max(mx, v)
			}
			var z float64
			for _, v := range logits {
				z += math.Exp(v - mx)
			}
			loss += math.Log(z) - (logits[x[k*P+j]] - mx)
		}
	}
	return loss
}

func (r *ref64) loss(windows [][]byte) float64 {
	var s float64
	for _, x := range windows {
		s += r.windowLoss(x)
	}
	return s
}

// scrambleWeights gives every parameter a random value of a size that makes
// every gradient term visible: LayerNorm gains around 1, everything else
// (biases, pads, embeddings too) spread around 0, so that no term of the
// backward pass hides behind a zero or a one of the initialisation.
func scrambleWeights(m *Model, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 99))
	for _, t := range m.Params() {
		for i := range t.Data {
			switch {
			case strings.Contains(t.Name, "ln") && strings.HasSuffix(t.Name, ".weight"):
				t.Data[i] = float32(1 + 0.3*r.NormFloat64())
			case len(t.Shape) == 2 && strings.HasSuffix(t.Name, ".weight"):
				t.Data[i] = float32(r.NormFloat64() / math.Sqrt(float64(t.Shape[1])))
			default:
				t.Data[i] = float32(0.3 * r.NormFloat64())
			}
		}
	}
}

// gradMismatch is one gradient entry that disagrees with finite differences.
type gradMismatch struct {
	tensor         string
	index          int
	analytic, numd float64
}

// Tolerances of the gradient check: an entry with |numeric| > gradBig must
// agree within gradRel relative error, a smaller one within gradAbs. The
// analytic gradient is float32 and agrees to about 3e-5 relative here; a
// dropped term of the backward pass (a residual branch, GELU′, a pad or
// position gradient) changes entries by far more, and so does a gradient
// 0.1 % too large (see also TestGradCheckCatchesMissingTerm).
const (
	gradBig = 1e-3
	gradRel = 1e-3
	gradAbs = 1e-6
)

// checkGrads compares the analytic gradient grad (layout of r's model)
// against central differences of r.loss·scale and returns the mismatches and,
// per tensor, the largest relative error on entries above gradBig and their
// number. With only set, it checks that tensor alone. Embedding rows of bytes absent from windows are not differenced:
// their gradient must be exactly zero, which is checked instead.
func checkGrads(r *ref64, windows [][]byte, scale float64, grad []float32, only string) (bad []gradMismatch, worst map[string]float64, big map[string]int) {
	used := map[byte]bool{}
	for _, x := range windows {
		for _, b := range x {
			used[b] = true
		}
	}
	worst, big = map[string]float64{}, map[string]int{}
	const h = 1e-4
	for _, t := range r.cfg.Layout() {
		if only != "" && t.Name != only {
			continue
		}
		n := t.Len()
		for i := range n {
			idx := t.Offset + i
			ga := float64(grad[idx])
			if t.Name == "global.embed" || t.Name == "local.embed" {
				if row := i / t.Shape[1]; !used[byte(row)] {
					if ga != 0 {
						bad = append(bad, gradMismatch{t.Name, i, ga, 0})
					}
					continue
				}
			}
			save := r.p[idx]
			r.p[idx] = save + h
			lp := r.loss(windows)
			r.p[idx] = save - h
			lm := r.loss(windows)
			r.p[idx] = save
			gn := (lp - lm) / (2 * h) * scale
			diff := math.Abs(ga - gn)
			if math.Abs(gn) > gradBig {
				big[t.Name]++
				rel := diff / math.Abs(gn)
				worst[t.Name] = math.Max(worst[t.Name], rel)
				if rel > gradRel {
					bad = append(bad, gradMismatch{t.Name, i, ga, gn})
				}
			} else if diff > gradAbs {
				bad = append(bad, gradMismatch{t.Name, i, ga, gn})
			}
		}
	}
	return bad, worst, big
}

// gradFixture is a scrambled gradConfig model, two windows over a small
// alphabet (so that embedding rows collect several terms) and its analytic
// gradient of the mean loss.
func gradFixture(t *testing.T, cfg Config) (*Model, [][]byte, float64, []float32) {
	t.Helper()
	m := newTestModel(t, cfg, 5)
	scrambleWeights(m, 6)
	r := rand.New(rand.NewPCG(7, 8))
	w := cfg.Window()
	windows := make([][]byte, 2)
	for i := range windows {
		windows[i] = make([]byte, w)
		for j := range windows[i] {
			windows[i][j] = "abcab\x00\xff"[r.IntN(7)]
		}
	}
	ws := NewGradWorkspace(m, len(windows))
	scale := 1 / float32(len(windows)*w)
	nats, err := ws.Accumulate(windows, scale)
	if err != nil {
		t.Fatal(err)
	}
	ref := newRef64(m).loss(windows)
	if math.Abs(nats-ref) > 1e-5*math.Abs(ref) {
		t.Fatalf("training forward loss %v nats, float64 reference %v", nats, ref)
	}
	return m, windows, float64(scale), append([]float32(nil), ws.Grad()...)
}

// TestGradCheck compares the gradient of every parameter tensor with central
// finite differences of an independent float64 implementation of the loss.
func TestGradCheck(t *testing.T) {
	for name, cfg := range map[string]Config{"grad": gradConfig, "grad-mlp": gradMLPConfig} {
		t.Run(name, func(t *testing.T) {
			m, windows, scale, grad := gradFixture(t, cfg)
			bad, worst, big := checkGrads(newRef64(m), windows, scale, grad, "")
			for i, b := range bad {
				if i == 20 {
					t.Errorf("… %d mismatches in all", len(bad))
					break
				}
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", b.tensor, b.index, b.analytic, b.numd)
			}
			for _, tn := range m.Cfg.Layout() {
				if big[tn.Name] == 0 {
					t.Errorf("%s: no gradient entry above %g: the check would not see a wrong one", tn.Name, gradBig)
					continue
				}
				t.Logf("%-32s %4d entries > %g, worst relative error %.2e", tn.Name, big[tn.Name], gradBig, worst[tn.Name])
			}
		})
	}
}

// TestGradCheckCatchesMissingTerm shows that the tolerances of the check are
// tight enough to see a missing term: for every tensor, taking away the
// largest contribution (zeroing its largest entry) or a hundredth of the whole
// tensor's gradient makes checkGrads fail on that tensor.
func TestGradCheckCatchesMissingTerm(t *testing.T) {
	if testing.Short() {
		t.Skip("differences the whole model once per tensor")
	}
	m, windows, scale, grad := gradFixture(t, gradConfig)
	r := newRef64(m)
	for _, tn := range m.Cfg.Layout() {
		g := grad[tn.Offset : tn.Offset+tn.Len()]
		arg := 0
		for i, v := range g {
			if math.Abs(float64(v)) > math.Abs(float64(g[arg])) {
				arg = i
			}
		}
		for _, mode := range []string{"zero largest", "scale 0.99"} {
			broken := append([]float32(nil), grad...)
			bg := broken[tn.Offset : tn.Offset+tn.Len()]
			if mode == "zero largest" {
				bg[arg] = 0
			} else {
				for i := range bg {
					bg[i] = float32(bg[i] * 0.99)
				}
			}
			if bad, _, _ := checkGrads(r, windows, scale, broken, tn.Name); len(bad) == 0 {
				t.Errorf("%s: %s went unnoticed", tn.Name, mode)
			}
		}
	}
}

// TestTrainForwardMatchesForward checks that the training forward's
// distributions are Forward's bit for bit, and its loss terms −ln p of them.
func TestTrainForwardMatchesForward(t *testing.T) {
	cfgs := map[string]Config{"grad": gradConfig, "grad-mlp": gradMLPConfig}
	for k, v := range testConfigs {
		cfgs[k] = v
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			m := newTestModel(t, cfg, 3)
			r := rand.New(rand.NewPCG(11, uint64(len(name))))
			w := cfg.Window()
			windows := make([][]byte, 3)
			for i := range windows {
				windows[i] = randBytes(r, w)
			}
			ws := NewGradWorkspace(m, len(windows))
			ws.forward(windows)
			row := make([]float32, 256)
			var want float64
			for b, x := range windows {
				probs := forward(m, x)
				for tt := range w {
					kernels.Softmax(row, ws.logits[(b*w+tt)*256:(b*w+tt+1)*256])
					if i := sameBits(row, probs[tt*256:(tt+1)*256]); i >= 0 {
						t.Fatalf("window %d byte %d: p[%d] = %v, Forward %v", b, tt, i, row[i], probs[tt*256+i])
					}
					want += float64(float32(-math.Log(float64(probs[tt*256+int(x[tt])]))))
				}
			}
			nats := ws.loss(windows, 1)
			if nats != want {
				t.Fatalf("loss %v nats, Σ −ln p of Forward %v", nats, want)
			}
		})
	}
}

func TestAccumulateErrors(t *testing.T) {
	m := newTestModel(t, gradConfig, 1)
	ws := NewGradWorkspace(m, 2)
	w := gradConfig.Window()
	for name, windows := range map[string][][]byte{
		"short":    {make([]byte, w-1)},
		"long":     {make([]byte, w), make([]byte, w+1)},
		"too many": {make([]byte, w), make([]byte, w), make([]byte, w)},
	} {
		if _, err := ws.Accumulate(windows, 1); !errors.Is(err, ErrWindows) {
			t.Errorf("%s: err = %v, want ErrWindows", name, err)
		}
	}
	for i, g := range ws.Grad() {
		if g != 0 {
			t.Fatalf("a refused call changed grad[%d] to %v", i, g)
		}
	}
	if nats, err := ws.Accumulate(nil, 1); err != nil || nats != 0 {
		t.Errorf("no windows: %v, %v", nats, err)
	}
}

// TestAccumulateAdds checks that Accumulate adds to the arena rather than
// overwriting it, and that ZeroGrad clears it: two calls on different
// windows give the sum of the two separate gradients up to float32 rounding.
func TestAccumulateAdds(t *testing.T) {
	m := newTestModel(t, Configs["tiny"], 2)
	r := rand.New(rand.NewPCG(1, 2))
	w := m.Cfg.Window()
	a, b := [][]byte{randBytes(r, w)}, [][]byte{randBytes(r, w)}
	ws := NewGradWorkspace(m, 1)
	grad := func(sets ...[][]byte) []float32 {
		ws.ZeroGrad()
		for _, s := range sets {
			if _, err := ws.Accumulate(s, 0.5); err != nil {
				t.Fatal(err)
			}
		}
		return append([]float32(nil), ws.Grad()...)
	}
	ga, gb, gab := grad(a), grad(b), grad(a, b)
	var norm float64
	for i := range gab {
		norm = math.Max(norm, math.Abs(float64(gab[i])))
	}
	for i := range gab {
		if d := math.Abs(float64(gab[i] - (ga[i] + gb[i]))); d > 1e-5*norm {
			t.Fatalf("grad[%d]: a then b %v, a + b %v", i, gab[i], ga[i]+gb[i])
		}
	}
}
