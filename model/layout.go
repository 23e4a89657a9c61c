package model

import "strconv"

// Tensor is a named view into a model's flat weight arena. Shape follows the
// PyTorch convention: a Linear weight is [out, in], row-major.
type Tensor struct {
	Name   string
	Shape  []int
	Offset int       // index of the first element in the flat arena
	Data   []float32 // the view itself; nil in a Config's Layout
}

// Len returns the number of elements, the product of Shape.
func (t Tensor) Len() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// initKind says how New fills a tensor.
type initKind uint8

const (
	initNormal   initKind = iota // normal(0, 0.02)
	initResidual                 // normal(0, 0.02/√(2·layers)): output projections into the residual stream
	initZero                     // biases
	initOne                      // LayerNorm gains
)

// spec is one tensor of the layout with where to bind it in a model.
type spec struct {
	name   string
	shape  []int
	init   initKind
	layers int // for initResidual: the layer count of its transformer
	dst    *[]float32
}

// blockWeights are the tensors of one pre-LayerNorm transformer block.
type blockWeights struct {
	ln1W, ln1B []float32
	qkvW, qkvB []float32 // [3d, d] and [3d]: rows 0..d−1 are q, then k, then v
	outW, outB []float32
	ln2W, ln2B []float32
	fc1W, fc1B []float32 // [4d, d]
	fc2W, fc2B []float32 // [d, 4d]
}

// weights are the named views of a model into its arena.
type weights struct {
	gEmbed, gPos, gPad []float32
	gBlocks            []blockWeights
	g2lW, g2lB         []float32
	lEmbed, lPos, lPad []float32
	lBlocks            []blockWeights
	lnfW, lnfB         []float32
	headW, headB       []float32
}

// specs lists the tensors of c in their fixed order: the order of the arena,
// of the fingerprint, of the safetensors data and of the random init. The
// dst pointers point into w, which may be a throwaway.
func specs(c Config, w *weights) []spec {
	e, dg, dl, p := c.embedDim(), c.GlobalDim, c.LocalDim, c.PatchSize
	w.gBlocks = make([]blockWeights, c.GlobalLayers)
	w.lBlocks = make([]blockWeights, c.LocalLayers)
	s := []spec{
		{name: "global.embed", shape: []int{256, e}, dst: &w.gEmbed},
		{name: "global.pos", shape: []int{c.Window(), e}, dst: &w.gPos},
		{name: "global.pad", shape: []int{dg}, dst: &w.gPad},
	}
	s = appendBlocks(s, "global.blocks.", w.gBlocks, dg, c.globalHidden())
	s = append(s,
		spec{name: "g2l.weight", shape: []int{dl, e}, dst: &w.g2lW},
		spec{name: "g2l.bias", shape: []int{dl}, init: initZero, dst: &w.g2lB},
		spec{name: "local.embed", shape: []int{256, dl}, dst: &w.lEmbed},
		spec{name: "local.pos", shape: []int{p, dl}, dst: &w.lPos},
		spec{name: "local.pad", shape: []int{dl}, dst: &w.lPad},
	)
	s = appendBlocks(s, "local.blocks.", w.lBlocks, dl, c.localHidden())
	s = append(s,
		spec{name: "local.ln_f.weight", shape: []int{dl}, init: initOne, dst: &w.lnfW},
		spec{name: "local.ln_f.bias", shape: []int{dl}, init: initZero, dst: &w.lnfB},
		spec{name: "head.weight", shape: []int{256, dl}, dst: &w.headW},
		spec{name: "head.bias", shape: []int{256}, init: initZero, dst: &w.headB},
	)
	return s
}

func appendBlocks(s []spec, prefix string, blocks []blockWeights, d, h int) []spec {
	n := len(blocks)
	for i := range blocks {
		b := &blocks[i]
		pre := prefix + strconv.Itoa(i) + "."
		s = append(s,
			spec{name: pre + "ln1.weight", shape: []int{d}, init: initOne, dst: &b.ln1W},
			spec{name: pre + "ln1.bias", shape: []int{d}, init: initZero, dst: &b.ln1B},
			spec{name: pre + "attn.qkv.weight", shape: []int{3 * d, d}, dst: &b.qkvW},
			spec{name: pre + "attn.qkv.bias", shape: []int{3 * d}, init: initZero, dst: &b.qkvB},
			spec{name: pre + "attn.out.weight", shape: []int{d, d}, init: initResidual, layers: n, dst: &b.outW},
			spec{name: pre + "attn.out.bias", shape: []int{d}, init: initZero, dst: &b.outB},
			spec{name: pre + "ln2.weight", shape: []int{d}, init: initOne, dst: &b.ln2W},
			spec{name: pre + "ln2.bias", shape: []int{d}, init: initZero, dst: &b.ln2B},
			spec{name: pre + "mlp.fc1.weight", shape: []int{h, d}, dst: &b.fc1W},
			spec{name: pre + "mlp.fc1.bias", shape: []int{h}, init: initZero, dst: &b.fc1B},
			spec{name: pre + "mlp.fc2.weight", shape: []int{d, h}, init: initResidual, layers: n, dst: &b.fc2W},
			spec{name: pre + "mlp.fc2.bias", shape: []int{d}, init: initZero, dst: &b.fc2B},
		)
	}
	return s
}

// Layout returns the tensors of a model of shape c, in arena order, with
// Offset set and Data nil. A gradient or optimizer-state arena of
// c.Params() floats uses the same layout. c must pass Validate.
func (c Config) Layout() []Tensor {
	var w weights
	ss := specs(c, &w)
	out := make([]Tensor, len(ss))
	off := 0
	for i, s := range ss {
		out[i] = Tensor{Name: s.name, Shape: s.shape, Offset: off}
		off += out[i].Len()
	}
	return out
}

// bind points the views of w into arena following specs, and returns the
// tensors.
func bind(ss []spec, arena []float32) []Tensor {
	out := make([]Tensor, len(ss))
	off := 0
	for i, s := range ss {
		t := Tensor{Name: s.name, Shape: s.shape, Offset: off}
		n := t.Len()
		t.Data = arena[off : off+n : off+n]
		*s.dst = t.Data
		out[i] = t
		off += n
	}
	return out
}
