package model

import "github.com/mbzip/mbzip/kernels"

// linears are a model's Linear layers as kernels.LinearWeights: views of
// the arena (Model.plain, made with the model: what Model.Forward and
// Model.NewBatch use, so that they always see the current weights, an
// optimizer's steps included) or copies packed for the kernels (an
// Inference's). Both give the same bits.
type linears struct {
	g, l      []blockLinears
	g2l, head *kernels.LinearWeights
}

// blockLinears are the Linear layers of one transformer block; q, k and v
// are the three thirds of the qkv projection.
type blockLinears struct {
	q, k, v, out, fc1, fc2 *kernels.LinearWeights
}

// newLinears returns the model's Linear layers, packed
// (kernels.PackLinearHalf) or as plain views of the arena. Packed, a layer
// whose weights are all binary16 values (HalfGlobal, HalfLinears) also
// keeps a binary16 copy, which a decoder's small products read: half the
// bytes to stream from memory or L3 every patch (the global layers) or
// every byte (the local ones). Other layers are turned down on their
// first weights.
func (m *Model) newLinears(packed bool) *linears {
	layer := func(w []float32, in, out int) *kernels.LinearWeights {
		if packed {
			return kernels.PackLinearHalf(w, in, out)
		}
		return &kernels.LinearWeights{W: w[: in*out : in*out], In: in, Out: out}
	}
	blocks := func(bs []blockWeights, d, hid int) []blockLinears {
		ls := make([]blockLinears, len(bs))
		for i, b := range bs {
			ls[i] = blockLinears{
				q:   layer(b.qkvW[:d*d], d, d),
				k:   layer(b.qkvW[d*d:2*d*d], d, d),
				v:   layer(b.qkvW[2*d*d:], d, d),
				out: layer(b.outW, d, d),
				fc1: layer(b.fc1W, d, hid),
				fc2: layer(b.fc2W, hid, d),
			}
		}
		return ls
	}
	c := m.Cfg
	return &linears{
		g:    blocks(m.w.gBlocks, c.GlobalDim, c.globalHidden()),
		l:    blocks(m.w.lBlocks, c.LocalDim, c.localHidden()),
		g2l:  layer(m.w.g2lW, c.embedDim(), c.LocalDim),
		head: layer(m.w.headW, c.LocalDim, 256),
	}
}
