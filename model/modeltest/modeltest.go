// Package modeltest builds models for tests of the packages above model: a
// "tiny" model whose prediction is fixed, so that a test knows the exact
// cross-entropy of any text it codes.
package modeltest

import (
	"math"
	"testing"

	"github.com/mbzip/mbzip/model"
)

// Fixed returns a "tiny" model called name whose every prediction is probs,
// whatever the context: the head's weights are zero and its bias holds the
// log-probabilities (−30 for the bytes probs leaves out, e^-30 ≈ 1e-13
// each, so the softmax gives probs almost exactly).
func Fixed(tb testing.TB, name string, probs map[byte]float64) *model.Model {
	tb.Helper()
	m, err := model.New(model.Configs["tiny"], 7)
	if err != nil {
		tb.Fatal(err)
	}
	m.SetName(name)
	for _, p := range m.Params() {
		switch p.Name {
		case "head.weight":
			clear(p.Data)
		case "head.bias":
			for i := range p.Data {
				p.Data[i] = -30
				if q, ok := probs[byte(i)]; ok {
					p.Data[i] = float32(math.Log(q))
				}
			}
		}
	}
	return m
}
