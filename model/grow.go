package model

import (
	"fmt"
	"slices"
	"strings"
)

// Grow returns a model of shape cfg that computes what m computes, to
// continue training m with more parameters. cfg may differ from m.Cfg only
// in wider MLPs (GlobalMLP, LocalMLP at least m's hidden widths). Every
// tensor of m is copied; the new hidden units get fc1 rows drawn as New
// draws them for cfg and seed, zero biases and zero fc2 columns, so they
// add nothing until training moves them. (The MLP outputs are the same sums
// with zero terms added; the kernels may group a longer sum differently, so
// the probabilities agree to float rounding, not bit for bit.) The name is
// kept.
func Grow(m *Model, cfg Config, seed uint64) (*Model, error) {
	old := m.Cfg
	same := cfg
	same.GlobalMLP, same.LocalMLP = old.GlobalMLP, old.LocalMLP
	if same != old {
		return nil, fmt.Errorf("%w: grow: only the MLP widths may change (from %+v to %+v)", ErrConfig, old, cfg)
	}
	if cfg.globalHidden() < old.globalHidden() || cfg.localHidden() < old.localHidden() {
		return nil, fmt.Errorf("%w: grow: MLP widths %d, %d are narrower than the model's %d, %d",
			ErrConfig, cfg.globalHidden(), cfg.localHidden(), old.globalHidden(), old.localHidden())
	}
	g, err := New(cfg, seed)
	if err != nil {
		return nil, err
	}
	g.SetName(m.Name())
	for i, dst := range g.tensors {
		src := m.tensors[i]
		if dst.Name != src.Name {
			return nil, fmt.Errorf("model: grow: tensor %d is %s in the new layout, %s in the old", i, dst.Name, src.Name)
		}
		switch {
		case slices.Equal(dst.Shape, src.Shape):
			copy(dst.Data, src.Data)
		case strings.HasSuffix(dst.Name, "mlp.fc1.weight"), strings.HasSuffix(dst.Name, "mlp.fc1.bias"):
			// Rows of the old hidden units first; the new rows keep New's
			// (random weights, zero biases).
			copy(dst.Data, src.Data)
		case strings.HasSuffix(dst.Name, "mlp.fc2.weight"):
			// d rows of h inputs: the old columns, then zeros.
			d, h, oh := dst.Shape[0], dst.Shape[1], src.Shape[1]
			for r := range d {
				row := dst.Data[r*h : (r+1)*h]
				copy(row, src.Data[r*oh:(r+1)*oh])
				clear(row[oh:])
			}
		default:
			return nil, fmt.Errorf("model: grow: %s changes shape from %v to %v", dst.Name, src.Shape, dst.Shape)
		}
	}
	return g, nil
}
