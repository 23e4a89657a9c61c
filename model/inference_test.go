package model

import (
	"math/rand/v2"
	"testing"
)

// TestInferenceForward checks that Inference.Forward gives Model.Forward's
// probabilities bit for bit, for the test configurations and a model of
// the "ref" shape (whose layers the packed kernels take), and that an
// Inference made after the weights change follows them.
func TestInferenceForward(t *testing.T) {
	cfgs := map[string]Config{"ref": Configs["ref"]}
	for name, cfg := range testConfigs {
		cfgs[name] = cfg
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			m := newTestModel(t, cfg, 11)
			r := rand.New(rand.NewPCG(3, 4))
			n := cfg.Window() + cfg.PatchSize + 3
			if testing.Short() && name == "ref" {
				n = 2*cfg.PatchSize + 1
			}
			seq := randBytes(r, n)
			want := forward(m, seq)
			inf := m.Inference()
			if inf.Model() != m {
				t.Fatal("Inference.Model is not the model")
			}
			got := make([]float32, len(seq)*256)
			inf.Forward(seq, got)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("Inference.Forward differs from Forward at float %d: %g against %g", i, got[i], want[i])
			}

			// Change a weight of every Linear layer's matrix through the
			// arena, as an optimizer step does.
			for i := range m.Flat() {
				if i%97 == 0 {
					m.Flat()[i] += 0.01
				}
			}
			changed := forward(m, seq)
			if sameBits(changed, want) < 0 {
				t.Fatal("changing the weights did not change Forward")
			}
			m.Inference().Forward(seq, got)
			if i := sameBits(got, changed); i >= 0 {
				t.Fatalf("a new Inference differs from Forward on the changed weights at float %d", i)
			}
		})
	}
}
