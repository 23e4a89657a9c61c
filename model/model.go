package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// Model is a MEGABYTE model: its shape and its weights, held in one flat
// float32 arena with named views. It is read-only once built (see the
// package comment on concurrency); Cfg must not be changed.
type Model struct {
	Cfg Config

	name    string
	arena   []float32
	tensors []Tensor
	w       weights
	plain   *linears  // the Linear layers as views of the arena
	pool    sync.Pool // *forwardWS, so that concurrent Forward calls never share a workspace
}

// alloc builds a model of shape cfg with a zeroed arena and returns it with
// its specs in arena order. cfg must be valid.
func alloc(cfg Config) (*Model, []spec) {
	m := &Model{Cfg: cfg}
	ss := specs(cfg, &m.w)
	m.arena = make([]float32, cfg.Params())
	m.tensors = bind(ss, m.arena)
	m.plain = m.newLinears(false)
	return m, ss
}

// New returns a model of shape cfg with seeded random weights: normal(0,
// 0.02) for weight matrices, embeddings and pads, 0.02/√(2·layers) for the
// output projections that feed a residual stream (attn.out, mlp.fc2), zeros
// for biases and ones for LayerNorm gains. The weights depend only on cfg and
// seed, bit for bit on every machine: they are drawn from SplitMix64 and
// shaped into a normal variate by integer sums (see normalSource).
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, ss := alloc(cfg)
	src := normalSource{state: seed}
	for i, s := range ss {
		data := m.tensors[i].Data
		switch s.init {
		case initZero:
			clear(data)
		case initOne:
			for j := range data {
				data[j] = 1
			}
		case initNormal:
			src.fill(data, 0.02)
		case initResidual:
			src.fill(data, 0.02/math.Sqrt(float64(2*s.layers)))
		}
	}
	return m, nil
}

// Name returns the model's name (recorded in .mbz files and safetensors
// metadata); it is not part of the fingerprint.
func (m *Model) Name() string { return m.name }

// SetName sets the model's name.
func (m *Model) SetName(name string) { m.name = name }

// Params returns the named views of the weights in arena order. Writing
// through Data changes the model (for an optimizer); nothing else may run on
// the model meanwhile.
func (m *Model) Params() []Tensor { return m.tensors }

// Flat returns the whole weight arena, the concatenation of Params in order.
func (m *Model) Flat() []float32 { return m.arena }

// Fingerprint returns the SHA-256 of the canonical config JSON (json.Marshal
// of Cfg) followed by every weight as float32 little-endian bits, in arena
// order. It identifies the probability function a file was coded with; the
// name is not included, so renaming a model keeps its files decodable.
func (m *Model) Fingerprint() [32]byte {
	h := sha256.New()
	cj, err := json.Marshal(m.Cfg)
	if err != nil {
		// A struct of ints always marshals.
		panic(fmt.Sprintf("model: marshal config: %v", err))
	}
	h.Write(cj)
	var buf [4096]byte
	for data := m.arena; len(data) > 0; {
		n := min(len(data), len(buf)/4)
		for i, v := range data[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		h.Write(buf[:4*n])
		data = data[n:]
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// normalSource draws approximately normal float32 values using integer
// arithmetic only, so that the result is the same on every machine: the sum
// of 12 uniform 32-bit integers (Irwin–Hall, variance 12·2⁶⁴/12 = 2⁶⁴) minus
// its mean 6·2³² is an exact integer with standard deviation 2³², then scaled
// by std/2³² with one float64 multiplication and rounded to float32. Both
// roundings are IEEE operations and hence identical everywhere. The tails
// are cut at ±6σ, which an initialisation does not miss.
type normalSource struct{ state uint64 }

// next returns the next SplitMix64 output.
func (r *normalSource) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// fill sets every element of dst to a normal(0, std) draw.
func (r *normalSource) fill(dst []float32, std float64) {
	scale := std / (1 << 32)
	for i := range dst {
		var sum uint64 // < 12·2³² < 2³⁶: exact
		for range 6 {
			u := r.next()
			sum += u>>32 + u&0xffffffff
		}
		n := int64(sum) - 6<<32 // |n| < 2³⁵: exact in float64
		dst[i] = float32(float64(n) * scale)
	}
}
