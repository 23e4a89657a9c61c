package model

import (
	"errors"
	"fmt"

	"github.com/mbzip/mbzip/kernels"
)

// This file holds the training forward and the backward pass: the gradient
// of the mean next-byte cross-entropy of a batch of windows with respect to
// every weight, in the layout of Flat.
//
// The training forward is Forward with its activations kept: the B windows of
// a call are stacked, B·K patch rows for the global transformer and B·W byte
// rows for the local one, so that every Linear is one matrix product over all
// of them (forward and backward alike); attention runs per window (global)
// or per patch (local). Each kept activation is computed by the same kernel
// calls, on the same operands, as Forward computes it — or, for attention,
// by kernels.AttentionBatch, which gives kernels.Attention's bits — so the
// probabilities (and hence the loss) are bit-identical to Forward's for the
// same window.
//
// Training need only be reproducible for a given seed and thread count
// (DESIGN.md §2), but the backward pass follows the forward's discipline: all
// reductions are kernels calls (Dot, Sum, MatMulT through kernels.LinearBackward,
// LayerNormBackwardRows, AttentionBackwardKept), every product that is added
// is fused or rounded explicitly, and the scatter-adds into embedding
// gradients run in row order. A gradient is therefore the same on every
// GOARCH and build. The order of a weight gradient's sum depends on the rows
// of the call (LinearBackward adds 256-row chunks in turn), so it depends on
// how many windows a workspace takes at once: fixed for a given batch and
// thread count.

// ErrWindows reports training windows that do not fit a GradWorkspace: too
// many of them, or one whose length is not the model's Window().
var ErrWindows = errors.New("model: bad training windows")

// stackActs are the kept activations of one transformer (global or local)
// over rows stacked rows of width d.
type stackActs struct {
	rows, d, hid, heads int
	seg                 int         // attention segment: rows attend within runs of seg rows
	xs                  [][]float32 // residual stream: xs[0] is the input, xs[l+1] the output of block l
	layers              []layerActs
}

// layerActs are the activations one block keeps for its backward pass.
type layerActs struct {
	a1, q, k, v, att []float32 // LN1 output, projections, attention output (rows×d)
	xm, a2           []float32 // stream after the attention residual; its LN2 output (rows×d)
	hp, ha           []float32 // MLP hidden before and after GELU (rows×hid)
	probs            []float32 // attention probabilities, heads×seg×seg per segment (rows·heads·seg)
}

func newStackActs(rows, d, hid, heads, seg, layers int) stackActs {
	n, nh := rows*d, rows*hid
	np := rows * heads * seg
	buf := make([]float32, n*(layers+1)+layers*(7*n+2*nh+np))
	take := func(k int) []float32 {
		s := buf[:k:k]
		buf = buf[k:]
		return s
	}
	s := stackActs{rows: rows, d: d, hid: hid, heads: heads, seg: seg, xs: make([][]float32, layers+1), layers: make([]layerActs, layers)}
	for i := range s.xs {
		s.xs[i] = take(n)
	}
	for i := range s.layers {
		L := &s.layers[i]
		L.a1, L.q, L.k, L.v, L.att = take(n), take(n), take(n), take(n), take(n)
		L.xm, L.a2 = take(n), take(n)
		L.hp, L.ha = take(nh), take(nh)
		L.probs = take(np)
	}
	return s
}

// GradWorkspace is the memory of a training forward and backward over up to
// a fixed number of windows: the kept activations, the backward temporaries
// and a gradient arena of Cfg.Params() floats laid out as Flat. It is
// allocated once and reused for every step, so training allocates nothing
// per step. It reads the model's weights at each call, so an optimizer may
// update them between calls. A GradWorkspace is not safe for concurrent use;
// a data-parallel trainer gives each goroutine its own.
type GradWorkspace struct {
	m    *Model
	nb   int       // capacity in windows
	grad []float32 // gradient arena, layout of Flat
	gw   weights   // named views into grad

	glob, loc stackActs
	lnf       []float32    // LN_f output, B·W × D_L
	logits    []float32    // B·W × 256: logits, then ∂L/∂logits in place
	prow      [256]float32 // one row of p − onehot
	gradView  []Tensor     // Params-like views of grad, for tests and reports
	attScr    []float32    // kernels.AttentionBatch scratch
	abScr     []float32    // kernels.AttentionBackward scratch
	lbScr     []float32    // kernels.LinearBackward scratch
	dx, dt    []float32    // residual-stream gradient and a LayerNorm-backward temporary
	da, datt  []float32    // gradient of a LayerNorm output; of an attention output
	dqkv, dh  []float32    // packed q|k|v gradient (rows×3d); MLP hidden gradient (rows×4d)
	geluScr   []float32    // kernels.GELUBackwardVec scratch (rows×4d)
	lnScr     []float32    // kernels.LayerNormBackwardRows scratch
}

// NewGradWorkspace returns a workspace for up to windows windows of m's
// Window() bytes. Its memory is about (16·(GlobalLayers·K·D_G +
// LocalLayers·W·D_L) + GlobalLayers·K·H_G·K + LocalLayers·W·H_L·P)·4 bytes
// per window (activations and attention probabilities) plus one gradient
// arena: about 55 MB per window for the "ref" config.
func NewGradWorkspace(m *Model, windows int) *GradWorkspace {
	windows = max(windows, 1)
	c := m.Cfg
	p, k, w := c.PatchSize, c.ContextPatches, c.Window()
	e, dg, dl := c.embedDim(), c.GlobalDim, c.LocalDim
	ng, nl := windows*k, windows*w
	ws := &GradWorkspace{m: m, nb: windows}
	ws.grad = make([]float32, c.Params())
	ws.gradView = bind(specs(c, &ws.gw), ws.grad)
	hg, hl := c.globalHidden(), c.localHidden()
	ws.glob = newStackActs(ng, dg, hg, c.GlobalHeads, k, c.GlobalLayers)
	ws.loc = newStackActs(nl, dl, hl, c.LocalHeads, p, c.LocalLayers)
	ws.lnf = make([]float32, nl*dl)
	ws.logits = make([]float32, nl*256)
	ws.attScr = make([]float32, max(kernels.AttentionBatchScratch(k, c.GlobalHeads, dg),
		kernels.AttentionBatchScratch(p, c.LocalHeads, dl)))
	ws.abScr = make([]float32, max(kernels.AttentionBackwardScratch(k, c.GlobalHeads, dg),
		kernels.AttentionBackwardScratch(p, c.LocalHeads, dl)))
	lb := 0
	for _, s := range [][3]int{ // rows, in, out of every Linear
		{ng, dg, 3 * dg}, {ng, dg, dg}, {ng, dg, hg}, {ng, hg, dg},
		{nl, e, dl},
		{nl, dl, 3 * dl}, {nl, dl, dl}, {nl, dl, hl}, {nl, hl, dl},
		{nl, dl, 256},
	} {
		lb = max(lb, kernels.LinearBackwardScratch(s[0], s[1], s[2]))
	}
	ws.lbScr = make([]float32, lb)
	n := max(ng*dg, nl*dl)
	ws.dx, ws.dt, ws.da, ws.datt = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	nh := max(ng*hg, nl*hl)
	ws.dqkv, ws.dh = make([]float32, 3*n), make([]float32, nh)
	ws.geluScr = make([]float32, kernels.GELUBackwardScratch(nh))
	ws.lnScr = make([]float32, kernels.LayerNormBackwardScratch(max(dg, dl)))
	return ws
}

// Windows returns the capacity of the workspace in windows.
func (ws *GradWorkspace) Windows() int { return ws.nb }

// Grad returns the gradient arena, laid out as the model's Flat (and
// Config.Layout). Accumulate adds to it; ZeroGrad clears it.
func (ws *GradWorkspace) Grad() []float32 { return ws.grad }

// GradTensors returns named views of the gradient arena, one per tensor of
// Params, in the same order.
func (ws *GradWorkspace) GradTensors() []Tensor { return ws.gradView }

// ZeroGrad clears the gradient arena.
func (ws *GradWorkspace) ZeroGrad() { clear(ws.grad) }

// Accumulate runs the training forward and backward over windows, each
// exactly Window() bytes long, predicting every byte of each (the first from
// the pads alone). It returns the sum over all their bytes of the
// cross-entropy −ln p(byte) in nats, as float32 terms summed in float64 in
// order, and ADDS to the gradient arena the gradient of scale times that sum.
// A trainer passes scale = 1/(bytes in its batch), so that the arena holds
// the gradient of the mean loss, and may call Accumulate several times
// (micro-batches) before reading it.
//
// The probability of each byte is the one Forward gives for the same window,
// bit for bit.
func (ws *GradWorkspace) Accumulate(windows [][]byte, scale float32) (float64, error) {
	c := ws.m.Cfg
	w := c.Window()
	if len(windows) > ws.nb {
		return 0, fmt.Errorf("%w: %d windows, workspace holds %d", ErrWindows, len(windows), ws.nb)
	}
	for i, x := range windows {
		if len(x) != w {
			return 0, fmt.Errorf("%w: window %d has %d bytes, want %d", ErrWindows, i, len(x), w)
		}
	}
	if len(windows) == 0 {
		return 0, nil
	}
	ws.forward(windows)
	nats := ws.loss(windows, scale)
	ws.backward(windows)
	return nats, nil
}

// forward runs the training forward up to the logits.
func (ws *GradWorkspace) forward(windows [][]byte) {
	m := ws.m
	c := m.Cfg
	p, k, w := c.PatchSize, c.ContextPatches, c.Window()
	e, dg, dl := c.embedDim(), c.GlobalDim, c.LocalDim
	nb := len(windows)
	ng, nl := nb*k, nb*w

	// Global input: per window, G_pad then the embedded bytes of the
	// previous patch, as Model.window builds it.
	gx := ws.glob.xs[0]
	for b, x := range windows {
		base := b * k * dg
		copy(gx[base:base+dg], m.w.gPad)
		for kk := 1; kk < k; kk++ {
			for j := range p {
				t := (kk-1)*p + j
				m.globalEmbed(gx[base+kk*dg+j*e:], x[t], t)
			}
		}
	}
	ws.stackForward(&ws.glob, m.w.gBlocks, ng, m.Cfg.HalfKV)

	// Global → local over all B·W slices, then the local input in place.
	lx := ws.loc.xs[0]
	kernels.Linear(lx[:nl*dl], ws.glob.xs[len(ws.glob.xs)-1][:ng*dg], m.w.g2lW, m.w.g2lB, nl, e, dl)
	for b, x := range windows {
		for t := range w {
			var prev byte
			if t > 0 {
				prev = x[t-1]
			}
			row := lx[(b*w+t)*dl:]
			m.localInput(row, row, t%p, prev)
		}
	}
	ws.stackForward(&ws.loc, m.w.lBlocks, nl, false)

	// Head up to the logits: LN_f, Linear.
	xf := ws.loc.xs[len(ws.loc.xs)-1]
	kernels.LayerNormRows(ws.lnf, xf, m.w.lnfW, m.w.lnfB, nl, dl, lnEps)
	kernels.Linear(ws.logits[:nl*256], ws.lnf[:nl*dl], m.w.headW, m.w.headB, nl, dl, 256)
}

// stackForward runs the blocks over the first rows rows of s.xs[0], keeping
// every activation: the operations of stack.pre and stack.post, in the same
// order on the same operands (attention by AttentionBatch, LayerNorm by
// LayerNormRows, both bit-identical). halfKV rounds the keys and values as
// Forward does with Config.HalfKV; the backward pass takes the rounding's
// derivative as 1 (a straight-through estimate).
func (ws *GradWorkspace) stackForward(s *stackActs, blocks []blockWeights, rows int, halfKV bool) {
	d, h, n, nh := s.d, s.hid, rows*s.d, rows*s.hid
	for l := range blocks {
		b := &blocks[l]
		L := &s.layers[l]
		x, next := s.xs[l][:n], s.xs[l+1][:n]
		kernels.LayerNormRows(L.a1, x, b.ln1W, b.ln1B, rows, d, lnEps)
		a := L.a1[:n]
		kernels.Linear(L.q, a, b.qkvW[:d*d], b.qkvB[:d], rows, d, d)
		kernels.Linear(L.k, a, b.qkvW[d*d:2*d*d], b.qkvB[d:2*d], rows, d, d)
		kernels.Linear(L.v, a, b.qkvW[2*d*d:], b.qkvB[2*d:], rows, d, d)
		if halfKV {
			kernels.RoundHalf(L.k[:n])
			kernels.RoundHalf(L.v[:n])
		}
		for r := 0; r < rows; r += s.seg {
			o := r * d
			kernels.AttentionBatch(L.att[o:], L.q[o:], L.k[o:], L.v[o:], L.probs[r*s.heads*s.seg:], s.seg, s.heads, d, ws.attScr)
		}
		// next serves as the projection y before it becomes the output.
		kernels.Linear(next, L.att[:n], b.outW, b.outB, rows, d, d)
		xm := L.xm[:n]
		copy(xm, x)
		kernels.Add(xm, next) // x + y: one IEEE addition, as Forward adds
		kernels.LayerNormRows(L.a2, xm, b.ln2W, b.ln2B, rows, d, lnEps)
		kernels.Linear(L.hp, L.a2[:n], b.fc1W, b.fc1B, rows, d, h)
		copy(L.ha[:nh], L.hp[:nh])
		kernels.GELUInPlace(L.ha[:nh])
		kernels.Linear(next, L.ha[:nh], b.fc2W, b.fc2B, rows, h, d)
		kernels.Add(next, xm)
	}
}

// loss turns the logits into ∂(scale·Σ loss)/∂logits in place and returns
// Σ −ln p(byte) over all bytes, in nats.
func (ws *GradWorkspace) loss(windows [][]byte, scale float32) float64 {
	w := ws.m.Cfg.Window()
	var nats float64
	row := ws.prow[:]
	for b, x := range windows {
		for t, target := range x {
			lr := ws.logits[(b*w+t)*256 : (b*w+t+1)*256]
			nats += float64(kernels.SoftmaxCrossEntropy(row, lr, target))
			for i, g := range row {
				lr[i] = float32(g * scale)
			}
		}
	}
	return nats
}

// backward propagates ∂L/∂logits back through every op, adding the weight
// gradients to the arena.
func (ws *GradWorkspace) backward(windows [][]byte) {
	m, g := ws.m, &ws.gw
	c := m.Cfg
	p, k, w := c.PatchSize, c.ContextPatches, c.Window()
	e, dg, dl := c.embedDim(), c.GlobalDim, c.LocalDim
	nb := len(windows)
	ng, nl := nb*k, nb*w

	// Head: Linear, then LN_f row by row (into dx).
	kernels.LinearBackward(ws.da[:nl*dl], g.headW, g.headB, ws.logits[:nl*256], ws.lnf[:nl*dl], m.w.headW, nl, dl, 256, ws.lbScr)
	xf := ws.loc.xs[len(ws.loc.xs)-1]
	kernels.LayerNormBackwardRows(ws.dx, g.lnfW, g.lnfB, ws.da, xf, m.w.lnfW, nl, dl, lnEps, ws.lnScr)
	ws.stackBackward(&ws.loc, m.w.lBlocks, g.lBlocks, nl)

	// Local input: dx is now ∂L/∂(local input), which is also ∂L/∂g.
	dx := ws.dx[:nl*dl]
	for b, x := range windows {
		for t := range w {
			row := dx[(b*w+t)*dl : (b*w+t+1)*dl]
			if pp := t % p; pp == 0 {
				kernels.Add(g.lPad, row)
			} else {
				kernels.Add(g.lEmbed[int(x[t-1])*dl:(int(x[t-1])+1)*dl], row)
				kernels.Add(g.lPos[pp*dl:(pp+1)*dl], row)
			}
		}
	}

	// Global → local: the B·W slices of width e are the rows of the global
	// output seen as (B·W)×e. The result goes to dt, then back into dx.
	gout := ws.glob.xs[len(ws.glob.xs)-1]
	kernels.LinearBackward(ws.dt[:nl*e], g.g2lW, g.g2lB, dx, gout[:ng*dg], m.w.g2lW, nl, e, dl, ws.lbScr)
	copy(ws.dx[:ng*dg], ws.dt[:ng*dg])
	ws.stackBackward(&ws.glob, m.w.gBlocks, g.gBlocks, ng)

	// Global input: G_pad for patch 0, Eg and Pg for the bytes of patches
	// 1…K−1 (the bytes of the last patch feed no global input).
	dx = ws.dx[:ng*dg]
	for b, x := range windows {
		base := b * k * dg
		kernels.Add(g.gPad, dx[base:base+dg])
		for kk := 1; kk < k; kk++ {
			for j := range p {
				t := (kk-1)*p + j
				s := dx[base+kk*dg+j*e : base+kk*dg+(j+1)*e]
				kernels.Add(g.gEmbed[int(x[t])*e:(int(x[t])+1)*e], s)
				kernels.Add(g.gPos[t*e:(t+1)*e], s)
			}
		}
	}
}

// stackBackward takes ws.dx = ∂L/∂(output of the last block) over rows rows
// and leaves ws.dx = ∂L/∂(input of the first block), adding the gradients of
// the blocks' weights into gb.
func (ws *GradWorkspace) stackBackward(s *stackActs, blocks, gb []blockWeights, rows int) {
	d, h, n, nh := s.d, s.hid, rows*s.d, rows*s.hid
	dx, dt, da := ws.dx[:n], ws.dt[:n], ws.da[:n]
	dh := ws.dh[:nh]
	for l := len(blocks) - 1; l >= 0; l-- {
		b, g := &blocks[l], &gb[l]
		L := &s.layers[l]

		// out = xm + fc2(GELU(fc1(LN2(xm)))).
		kernels.LinearBackward(dh, g.fc2W, g.fc2B, dx, L.ha[:nh], b.fc2W, rows, h, d, ws.lbScr)
		kernels.GELUBackwardVec(dh, dh, L.hp[:nh], ws.geluScr)
		kernels.LinearBackward(da, g.fc1W, g.fc1B, dh, L.a2[:n], b.fc1W, rows, d, h, ws.lbScr)
		kernels.LayerNormBackwardRows(dt, g.ln2W, g.ln2B, da, L.xm, b.ln2W, rows, d, lnEps, ws.lnScr)
		kernels.Add(dx, dt) // dx = ∂L/∂xm

		// xm = x + out(Attn(q, k, v)), q|k|v = qkv(LN1(x)).
		datt := ws.datt[:n]
		kernels.LinearBackward(datt, g.outW, g.outB, dx, L.att[:n], b.outW, rows, d, d, ws.lbScr)
		// ∂L/∂q, ∂L/∂k, ∂L/∂v straight into the thirds of the packed q|k|v
		// gradient (rows×3d).
		dqkv := ws.dqkv[:3*n]
		for r := 0; r < rows; r += s.seg {
			o := r * d
			g3 := dqkv[3*o:]
			kernels.AttentionBackwardKept(g3, g3[d:], g3[2*d:], 3*d, datt[o:], L.q[o:], L.k[o:], L.v[o:], L.probs[r*s.heads*s.seg:], s.seg, s.heads, d, ws.abScr)
		}
		kernels.LinearBackward(da, g.qkvW, g.qkvB, dqkv, L.a1[:n], b.qkvW, rows, d, 3*d, ws.lbScr)
		x := s.xs[l]
		kernels.LayerNormBackwardRows(dt, g.ln1W, g.ln1B, da, x, b.ln1W, rows, d, lnEps, ws.lnScr)
		kernels.Add(dx, dt) // dx = ∂L/∂x
	}
}
