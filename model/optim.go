package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
	"strings"

	"github.com/mbzip/mbzip/kernels"
)

// This file holds the optimizer side of training: AdamW over a model's flat
// parameter arena (Model.Flat, laid out as Config.Layout), global-norm
// gradient clipping and the learning-rate schedule.
//
// Training is not on the probability path (DESIGN.md §2): it needs only to be
// reproducible for a given seed and thread count, so math.Sqrt, Pow and Cos are
// used freely here. The element-wise float32 arithmetic still rounds every
// product explicitly, so the update is the same on every GOARCH.

// ErrOptimizerState reports optimizer state (a checkpoint) that is truncated,
// corrupt or does not fit the optimizer it is loaded into.
var ErrOptimizerState = errors.New("model: malformed optimizer state")

// ParamRange is the half-open range [Off, Off+Len) of a flat parameter arena.
type ParamRange struct {
	Off, Len int
}

// AdamWConfig holds the hyperparameters of AdamW (Loshchilov & Hutter,
// "Decoupled Weight Decay Regularization"), named as in PyTorch.
type AdamWConfig struct {
	Beta1       float32 // decay of the first-moment estimate, in [0, 1)
	Beta2       float32 // decay of the second-moment estimate, in [0, 1)
	Eps         float32 // added to √v̂, > 0
	WeightDecay float32 // decoupled decay per unit of learning rate, ≥ 0
}

// DefaultAdamW returns the usual transformer settings: β = (0.9, 0.95),
// ε = 1e-8, weight decay 0.1.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
}

// Validate reports whether c can drive an optimizer.
func (c AdamWConfig) Validate() error {
	ok := func(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }
	switch {
	case !ok(c.Beta1) || c.Beta1 < 0 || c.Beta1 >= 1:
		return fmt.Errorf("model: AdamW beta1 %v not in [0, 1)", c.Beta1)
	case !ok(c.Beta2) || c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("model: AdamW beta2 %v not in [0, 1)", c.Beta2)
	case !ok(c.Eps) || c.Eps <= 0:
		return fmt.Errorf("model: AdamW eps %v not positive", c.Eps)
	case !ok(c.WeightDecay) || c.WeightDecay < 0:
		return fmt.Errorf("model: AdamW weight decay %v negative", c.WeightDecay)
	}
	return nil
}

// AdamW is the AdamW optimizer over a flat float32 parameter vector. Its
// fields are its whole state, exported so that a trainer can inspect them;
// MarshalBinary and UnmarshalBinary save and restore them for checkpoints.
type AdamW struct {
	AdamWConfig
	// NoDecay lists the ranges that weight decay skips (biases, LayerNorm
	// parameters, embeddings: see NoDecayRanges), sorted and disjoint.
	NoDecay []ParamRange
	M, V    []float32 // first and second moment estimates, one per parameter
	Steps   int64     // number of Step calls so far; the bias correction uses Steps+1
}

// NewAdamW returns an optimizer for n parameters with zero moments. noDecay
// is copied, sorted and checked: every range must lie in [0, n) and ranges
// must not overlap.
func NewAdamW(n int, cfg AdamWConfig, noDecay []ParamRange) (*AdamW, error) {
	if n < 0 {
		return nil, fmt.Errorf("model: AdamW over %d parameters", n)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nd, err := normRanges(noDecay, n)
	if err != nil {
		return nil, err
	}
	return &AdamW{AdamWConfig: cfg, NoDecay: nd, M: make([]float32, n), V: make([]float32, n)}, nil
}

// normRanges returns a sorted copy of r without empty ranges, or an error if
// a range leaves [0, n) or two overlap.
func normRanges(r []ParamRange, n int) ([]ParamRange, error) {
	out := make([]ParamRange, 0, len(r))
	for _, x := range r {
		if x.Off < 0 || x.Len < 0 || x.Off > n || x.Len > n-x.Off {
			return nil, fmt.Errorf("model: no-decay range [%d, %d+%d) outside %d parameters", x.Off, x.Off, x.Len, n)
		}
		if x.Len > 0 {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Off < out[j].Off })
	for i := 1; i < len(out); i++ {
		if out[i].Off < out[i-1].Off+out[i-1].Len {
			return nil, fmt.Errorf("model: no-decay ranges [%d, +%d) and [%d, +%d) overlap",
				out[i-1].Off, out[i-1].Len, out[i].Off, out[i].Len)
		}
	}
	return out, nil
}

// NoDecayRanges returns the ranges of layout that weight decay should skip.
// Decay applies only to the matrices of linear layers, the tensors named
// "….weight" with two dimensions (attention and MLP projections, g2l, head);
// everything else — biases, LayerNorm gains and biases, pads, and the byte
// and position embeddings, which are lookup tables rather than maps — is
// excluded. Adjacent excluded tensors are merged into one range.
func NoDecayRanges(layout []Tensor) []ParamRange {
	var out []ParamRange
	for _, t := range layout {
		if len(t.Shape) == 2 && strings.HasSuffix(t.Name, ".weight") {
			continue
		}
		n := t.Len()
		if k := len(out) - 1; k >= 0 && out[k].Off+out[k].Len == t.Offset {
			out[k].Len += n
			continue
		}
		out = append(out, ParamRange{Off: t.Offset, Len: n})
	}
	return out
}

// Step applies one AdamW update to params given their gradients grads and the
// learning rate lr, as PyTorch's torch.optim.AdamW does. With t = Steps+1,
// bc1 = 1 − β1^t and bc2 = 1 − β2^t (float64, then rounded), for every i:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + ((1−β2)·g)·g
//	p = p·(1 − lr·wd)                       (skipped inside NoDecay)
//	p = p − ((lr/bc1)·m) / (√v/√bc2 + ε)
//
// all in float32 with every product rounded before it is added. It panics if
// params or grads do not have len(M) elements, like a slice index out of range:
// that is a programming error, not bad data.
func (o *AdamW) Step(params, grads []float32, lr float32) {
	o.StepThreads(params, grads, lr, 1)
}

// StepThreads is Step with the parameters cut into threads contiguous
// ranges updated by as many goroutines. Every parameter's update reads only
// its own p, g, m and v, so the result is the same bits for any threads.
func (o *AdamW) StepThreads(params, grads []float32, lr float32, threads int) {
	n := len(o.M)
	if len(params) != n || len(grads) != n || len(o.V) != n {
		panic(fmt.Sprintf("model: AdamW.Step: %d params, %d grads, optimizer for %d", len(params), len(grads), n))
	}
	t := float64(o.Steps + 1)
	bc1 := 1 - math.Pow(float64(o.Beta1), t)
	bc2 := 1 - math.Pow(float64(o.Beta2), t)
	stepSize := float32(float64(lr) / bc1)
	sqrtBc2 := float32(math.Sqrt(bc2))
	decay := float32(1 - float64(lr)*float64(o.WeightDecay))
	b1, b2 := o.Beta1, o.Beta2
	withDecay := kernels.AdamWCoefs{Beta1: b1, Beta2: b2, C1: 1 - b1, C2: 1 - b2,
		Decay: decay, StepSize: stepSize, SqrtBc2: sqrtBc2, Eps: o.Eps}
	noDecay := withDecay
	noDecay.Decay = 1 // float32(p·1) is p
	update := func(lo, hi int, decayed bool) {
		c := noDecay
		if decayed {
			c = withDecay
		}
		kernels.AdamWUpdate(params[lo:hi], grads[lo:hi], o.M[lo:hi], o.V[lo:hi], c)
	}
	// [lo, hi) of each thread, cut at the NoDecay ranges.
	threads = max(1, min(threads, n/4096))
	parallel(threads, func(i int) {
		lo, hi := i*n/threads, (i+1)*n/threads
		span := func(a, b int, decayed bool) {
			a, b = max(a, lo), min(b, hi)
			if a < b {
				update(a, b, decayed)
			}
		}
		off := 0
		for _, r := range o.NoDecay {
			span(off, r.Off, true)
			span(r.Off, r.Off+r.Len, false)
			off = r.Off + r.Len
		}
		span(off, n, true)
	})
	o.Steps++
}

// Binary layout of the optimizer state (little-endian): the magic
// "MBZADAMW", a uint32 version (1), the parameter count n and Steps as
// uint64, Beta1, Beta2, Eps and WeightDecay as float32 bits, a uint32 range
// count followed by (Off, Len) uint64 pairs, M and V as n float32 each, and a
// CRC-32 (IEEE) of everything before it.
const (
	adamMagic   = "MBZADAMW"
	adamVersion = 1
	adamHeader  = 8 + 4 + 8 + 8 + 4*4 + 4
)

// MarshalBinary encodes the whole optimizer state.
func (o *AdamW) MarshalBinary() ([]byte, error) {
	n := len(o.M)
	if len(o.V) != n {
		return nil, fmt.Errorf("%w: %d first moments, %d second moments", ErrOptimizerState, n, len(o.V))
	}
	b := make([]byte, 0, adamHeader+16*len(o.NoDecay)+8*n+4)
	b = append(b, adamMagic...)
	b = binary.LittleEndian.AppendUint32(b, adamVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(n))
	b = binary.LittleEndian.AppendUint64(b, uint64(o.Steps))
	for _, f := range []float32{o.Beta1, o.Beta2, o.Eps, o.WeightDecay} {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(o.NoDecay)))
	for _, r := range o.NoDecay {
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Off))
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Len))
	}
	for _, s := range [][]float32{o.M, o.V} {
		for _, f := range s {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalBinary restores state written by MarshalBinary, replacing all of
// o. Every length is checked against the data before anything is allocated;
// errors wrap ErrOptimizerState. To resume training, check that len(o.M) is
// the model's parameter count.
func (o *AdamW) UnmarshalBinary(data []byte) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrOptimizerState, fmt.Sprintf(format, a...))
	}
	if len(data) < adamHeader+4 {
		return bad("%d bytes, shorter than the header", len(data))
	}
	if string(data[:8]) != adamMagic {
		return bad("bad magic %q", data[:8])
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return bad("checksum mismatch")
	}
	le := binary.LittleEndian
	if v := le.Uint32(data[8:]); v != adamVersion {
		return bad("unsupported version %d", v)
	}
	n64, steps := le.Uint64(data[12:]), le.Uint64(data[20:])
	var cfg AdamWConfig
	cfg.Beta1 = math.Float32frombits(le.Uint32(data[28:]))
	cfg.Beta2 = math.Float32frombits(le.Uint32(data[32:]))
	cfg.Eps = math.Float32frombits(le.Uint32(data[36:]))
	cfg.WeightDecay = math.Float32frombits(le.Uint32(data[40:]))
	nr64 := uint64(le.Uint32(data[44:]))
	rest := uint64(len(body) - adamHeader)
	if steps > math.MaxInt64 {
		return bad("step count %d", steps)
	}
	// rest must be exactly 16·ranges + 8·n; check without overflow.
	if nr64 > rest/16 || n64 > (rest-16*nr64)/8 || 16*nr64+8*n64 != rest {
		return bad("%d parameters and %d ranges do not fit %d bytes", n64, nr64, rest)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrOptimizerState, err)
	}
	n := int(n64)
	p := data[adamHeader:]
	ranges := make([]ParamRange, nr64)
	for i := range ranges {
		off, ln := le.Uint64(p), le.Uint64(p[8:])
		if off > n64 || ln > n64-off {
			return bad("no-decay range [%d, +%d) outside %d parameters", off, ln, n)
		}
		ranges[i] = ParamRange{Off: int(off), Len: int(ln)}
		p = p[16:]
	}
	nd, err := normRanges(ranges, n)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOptimizerState, err)
	}
	m, v := make([]float32, n), make([]float32, n)
	for i := range m {
		m[i] = math.Float32frombits(le.Uint32(p[4*i:]))
	}
	p = p[4*n:]
	for i := range v {
		v[i] = math.Float32frombits(le.Uint32(p[4*i:]))
	}
	*o = AdamW{AdamWConfig: cfg, NoDecay: nd, M: m, V: v, Steps: int64(steps)}
	return nil
}

// GradNorm returns the Euclidean norm of grads. Each square is the exact
// float64 product of a float32 with itself (so fusing cannot change it), and
// the squares are summed in float64 in increasing index order.
func GradNorm(grads []float32) float32 {
	var s float64
	for _, g := range grads {
		s += float64(g) * float64(g)
	}
	return float32(math.Sqrt(s))
}

// ClipGradNorm scales grads in place so that their global norm is at most
// maxNorm, as torch.nn.utils.clip_grad_norm_ does: when the norm exceeds
// maxNorm every gradient is multiplied by float32(maxNorm/(norm + 1e-6)). It
// returns the norm before clipping. A maxNorm ≤ 0 only measures. A NaN or
// infinite norm leaves grads untouched and is returned as is: the caller
// should skip that step.
func ClipGradNorm(grads []float32, maxNorm float32) float32 {
	return clipGradNorm(grads, maxNorm, 1)
}

// clipGradNorm is ClipGradNorm with the scaling (not the norm, whose sum
// has one order) split across threads goroutines; the bits are the same.
func clipGradNorm(grads []float32, maxNorm float32, threads int) float32 {
	norm := GradNorm(grads)
	if maxNorm <= 0 || !(norm > maxNorm) || math.IsInf(float64(norm), 0) {
		return norm
	}
	scale := float32(float64(maxNorm) / (float64(norm) + 1e-6))
	n := len(grads)
	threads = max(1, min(threads, n/4096))
	parallel(threads, func(i int) {
		g := grads[i*n/threads : (i+1)*n/threads]
		for j, v := range g {
			g[j] = float32(v * scale)
		}
	})
	return norm
}

// Schedule is linear warmup followed by cosine decay of the learning rate.
type Schedule struct {
	Peak     float32 // learning rate at the end of warmup
	Warmup   int     // steps of linear warmup
	Total    int     // step at which the cosine reaches its minimum
	MinRatio float32 // final learning rate as a fraction of Peak, in [0, 1]
}

// LR returns the learning rate for step (counted from 0):
//
//   - step < Warmup: Peak·(step+1)/Warmup, so the first step is not wasted
//     at lr = 0 and step Warmup−1 reaches Peak;
//   - Warmup ≤ step < Total: Peak·(r + (1−r)·(1 + cos(π·s))/2) with
//     s = (step−Warmup)/(Total−Warmup) and r = MinRatio;
//   - step ≥ Total: Peak·MinRatio.
func (s Schedule) LR(step int) float32 {
	peak := float64(s.Peak)
	r := float64(s.MinRatio)
	switch {
	case step < 0:
		return 0
	case step < s.Warmup:
		return float32(peak * float64(step+1) / float64(s.Warmup))
	case step >= s.Total:
		return float32(peak * r)
	}
	frac := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return float32(peak * (r + (1-r)*0.5*(1+math.Cos(math.Pi*frac))))
}
