package codec

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// network is what the coding loop needs from a model: its identity, its
// window, the teacher-forced pass (encoder) and the lock-step batch
// (decoder). *model.Model provides it through modelNetwork; tests substitute
// small deterministic predictors.
type network interface {
	Name() string
	Fingerprint() [32]byte
	// Window is the block length: Forward and a batch row see only the
	// bytes of the current window.
	Window() int
	// Forward writes the distribution of every byte of seq (one window or
	// less) given the bytes before it into probs[t*256:(t+1)*256].
	Forward(seq []byte, probs []float32)
	NewBatch(n int) batch
}

// batch steps n independent streams in lock-step (see model.Batch).
type batch interface {
	Next(rows []int, probs []float32)
	Push(rows []int, syms []byte)
	Reset(row int)
	// SetThreads lets that many threads share each step (model.Batch);
	// Close goes back to one.
	SetThreads(threads int)
	Close()
}

// modelNetwork adapts *model.Model to network, computing the fingerprint
// (a hash of every weight) once, and running the model through a
// model.Inference (packed weights) made on first use.
type modelNetwork struct {
	m    *model.Model
	fp   [32]byte
	once sync.Once
	inf  *model.Inference
}

func newModelNetwork(m *model.Model) *modelNetwork {
	return &modelNetwork{m: m, fp: builtin.Fingerprint(m)}
}

// inference returns the packed model, packing it the first time.
func (n *modelNetwork) inference() *model.Inference {
	n.once.Do(func() { n.inf = n.m.Inference() })
	return n.inf
}

func (n *modelNetwork) Name() string                        { return n.m.Name() }
func (n *modelNetwork) Fingerprint() [32]byte               { return n.fp }
func (n *modelNetwork) Window() int                         { return n.m.Cfg.Window() }
func (n *modelNetwork) Forward(seq []byte, probs []float32) { n.inference().Forward(seq, probs) }
func (n *modelNetwork) NewBatch(rows int) batch             { return n.inference().NewBatch(rows) }

// encoderNetwork returns the network a Writer codes with: the WithModel
// model, else the built-in default for the modality kind.
func encoderNetwork(o *options, kind modalities.Kind) (network, error) {
	if o.net != nil {
		return o.net, nil
	}
	m := o.model
	if m == nil {
		var err error
		if m, err = builtin.DefaultFor(kind.String()); err != nil {
			return nil, fmt.Errorf("codec: default model for %v: %w", kind, err)
		}
	}
	if w := m.Cfg.Window(); w < 1 {
		return nil, fmt.Errorf("codec: model %q has window %d", m.Name(), w)
	}
	if len(m.Name()) > MaxModelName {
		return nil, fmt.Errorf("codec: model name is %d bytes, more than %d", len(m.Name()), MaxModelName)
	}
	return newModelNetwork(m), nil
}

// explicitNetwork reports whether the options fix the network before any
// data is seen (otherwise it depends on the detected modality).
func explicitNetwork(o *options) bool { return o.net != nil || o.model != nil || o.modalitySet }

// fingerprintString is the short form of a fingerprint used in messages.
func fingerprintString(fp [32]byte) string {
	return hex.EncodeToString(fp[:6]) + "…"
}

// decoderNetwork finds the network a file was made with: the WithModel model
// if its fingerprint matches, else the resolver's answer (default: the
// built-in model of that name), which must match too.
func decoderNetwork(o *options, h *header) (network, error) {
	unavailable := func(why string) error {
		return newError(ErrModelUnavailable, fmt.Sprintf("made with model %q (fingerprint %s), which is not available: %s",
			h.modelName, fingerprintString(h.fingerprint), why))
	}
	if o.net != nil {
		if fp := o.net.Fingerprint(); fp != h.fingerprint {
			return nil, unavailable("the given model has fingerprint " + fingerprintString(fp))
		}
		return o.net, nil
	}
	var why string
	if o.model != nil {
		n := newModelNetwork(o.model)
		if n.fp == h.fingerprint {
			return n, nil
		}
		why = fmt.Sprintf("the given model %q has fingerprint %s; ", o.model.Name(), fingerprintString(n.fp))
	}
	resolve := o.resolver
	if resolve == nil {
		resolve = func(name string, _ [32]byte) (*model.Model, error) { return builtin.Lookup(name) }
	}
	m, err := resolve(h.modelName, h.fingerprint)
	if err != nil {
		return nil, unavailable(why + err.Error())
	}
	if m == nil {
		return nil, unavailable(why + "the resolver returned no model")
	}
	n := newModelNetwork(m)
	if !bytes.Equal(n.fp[:], h.fingerprint[:]) {
		return nil, unavailable(fmt.Sprintf("%sthe model found under that name has fingerprint %s", why, fingerprintString(n.fp)))
	}
	if n.Window() < 1 {
		return nil, unavailable(fmt.Sprintf("%sits window is %d", why, n.Window()))
	}
	return n, nil
}
