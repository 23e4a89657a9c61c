package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGrow widens the MLPs of a trained-looking model (scrambled weights)
// and checks that the grown model gives the same distributions to float
// rounding, keeps every old weight and name, and starts its new units at
// zero output.
func TestGrow(t *testing.T) {
	old := testConfigs["odd"]
	m := newTestModel(t, old, 3)
	scrambleWeights(m, 4)
	m.SetName("before")
	wider := old
	wider.GlobalMLP, wider.LocalMLP = 4*old.GlobalDim+5, 4*old.LocalDim+3
	g, err := Grow(m, wider, 9)
	if err != nil {
		t.Fatal(err)
	}
	if g.Cfg != wider || g.Name() != "before" || g.Cfg.Params() <= m.Cfg.Params() {
		t.Fatalf("grown model: config %+v name %q params %d", g.Cfg, g.Name(), g.Cfg.Params())
	}
	seq := randBytes(rand.New(rand.NewPCG(1, 2)), 2*old.Window()+3)
	want := make([]float32, len(seq)*256)
	got := make([]float32, len(seq)*256)
	m.Forward(seq, want)
	g.Forward(seq, got)
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 1e-5 {
		t.Errorf("grown model's probabilities differ by up to %g", worst)
	}
	// The new fc1 rows are random (the units must be able to learn), the
	// new fc2 columns and fc1 biases zero.
	for i, tn := range g.Params() {
		o := m.Params()[i]
		switch {
		case hasSuffix(tn.Name, "mlp.fc1.weight"):
			if !equalFloats(tn.Data[:len(o.Data)], o.Data) || allZero(tn.Data[len(o.Data):]) {
				t.Errorf("%s: old rows changed or new rows zero", tn.Name)
			}
		case hasSuffix(tn.Name, "mlp.fc1.bias"):
			if !equalFloats(tn.Data[:len(o.Data)], o.Data) || !allZero(tn.Data[len(o.Data):]) {
				t.Errorf("%s: old entries changed or new ones not zero", tn.Name)
			}
		case hasSuffix(tn.Name, "mlp.fc2.weight"):
			h, oh := tn.Shape[1], o.Shape[1]
			for r := range tn.Shape[0] {
				if !equalFloats(tn.Data[r*h:r*h+oh], o.Data[r*oh:(r+1)*oh]) || !allZero(tn.Data[r*h+oh:(r+1)*h]) {
					t.Errorf("%s row %d: old columns changed or new ones not zero", tn.Name, r)
					break
				}
			}
		default:
			if !equalFloats(tn.Data, o.Data) {
				t.Errorf("%s changed", tn.Name)
			}
		}
	}
	// Growing to the same config copies the model.
	same, err := Grow(m, old, 9)
	if err != nil || same.Fingerprint() != m.Fingerprint() {
		t.Errorf("Grow to the same config: %v, fingerprint changed: %v", err, err == nil)
	}
}

func TestGrowRejects(t *testing.T) {
	old := Configs["tiny"]
	m := newTestModel(t, old, 1)
	for name, mutate := range map[string]func(*Config){
		"other dim":      func(c *Config) { c.GlobalDim = 64 },
		"more layers":    func(c *Config) { c.LocalLayers = 2 },
		"narrower mlp":   func(c *Config) { c.GlobalMLP = 4*c.GlobalDim - 1 },
		"narrower local": func(c *Config) { c.LocalMLP = 1 },
		"invalid":        func(c *Config) { c.GlobalMLP = -5 },
	} {
		c := old
		mutate(&c)
		if _, err := Grow(m, c, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Grow = %v, want ErrConfig", name, err)
		}
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func allZero(a []float32) bool {
	for _, v := range a {
		if v != 0 {
			return false
		}
	}
	return true
}
