package model

import (
	"sync"

	"github.com/mbzip/mbzip/kernels"
)

// Inference runs a model with its Linear weights packed once for the
// kernels (kernels.PackLinear): its Forward and NewBatch give the model's
// probabilities bit for bit, without the copies of the weights that the
// plain products make on every call. Making one copies the packed weights
// (about the size of the model) and takes a few milliseconds. It reads the
// model's other weights where they lie, so after the weights change (an
// optimizer step) its results are a mix of old and new: make a new one.
// It is safe for concurrent use as the Model is.
type Inference struct {
	m    *Model
	lin  *linears
	pool sync.Pool // *forwardWS, as Model.pool
}

// Inference returns the model with its Linear weights packed, as they are
// now.
func (m *Model) Inference() *Inference {
	return &Inference{m: m, lin: m.newLinears(true)}
}

// Model returns the model it runs.
func (in *Inference) Model() *Model { return in.m }

// Forward is Model.Forward on the packed weights.
func (in *Inference) Forward(seq []byte, probs []float32) {
	in.m.checkForward(seq, probs)
	if len(seq) == 0 {
		return
	}
	in.m.forward(in.lin, &in.pool, seq, probs)
}

// NewBatch is Model.NewBatch on the packed weights.
func (in *Inference) NewBatch(n int) *Batch { return in.m.newBatch(n, in.lin) }

// HalfGlobal makes m its binary16 variant: the Linear weights of the global
// blocks rounded to binary16 (kernels.RoundHalf) and Cfg.HalfKV set, so
// that an Inference's decoder reads the global weights and attention caches
// in half the bytes (kernels.PackLinearHalf, kernels.AttentionStepHalf).
// It is another model, with another fingerprint; call it before m is used.
func (m *Model) HalfGlobal() {
	for _, b := range m.w.gBlocks {
		for _, w := range [][]float32{b.qkvW, b.outW, b.fc1W, b.fc2W} {
			kernels.RoundHalf(w)
		}
	}
	m.Cfg.HalfKV = true
}

// HalfLinears makes m its all-binary16 variant: HalfGlobal, and the Linear
// weights of the local blocks and of the output head rounded to binary16
// too. The decoder then reads the local layers' weights, which it runs
// every byte, in half the bytes (kernels.PackLinearHalf), and with them
// they stay in a 1 MiB L2 that the float32 ones overflowed. It is another
// model, with another fingerprint; call it before m is used.
func (m *Model) HalfLinears() {
	m.HalfGlobal()
	for _, b := range m.w.lBlocks {
		for _, w := range [][]float32{b.qkvW, b.outW, b.fc1W, b.fc2W} {
			kernels.RoundHalf(w)
		}
	}
	kernels.RoundHalf(m.w.headW)
}
