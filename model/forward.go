package model

import (
	"fmt"
	"sync"

	"github.com/mbzip/mbzip/kernels"
)

// stack is the workspace of one transformer (global or local) over up to
// rows stacked rows of width d: the residual stream x and the temporaries of
// a block. Every Linear runs over all rows at once.
type stack struct {
	d, hid, heads int       // width, MLP hidden width, attention heads
	x, a          []float32 // residual stream; LayerNorm output
	q, k, v       []float32 // projections
	att, y        []float32 // attention output; projection back into the stream
	h             []float32 // MLP hidden, rows × hid
	scratch       []float32 // kernels.Attention / kernels.AttentionBatch scratch
	team          *team     // when set, every Linear is cut by columns among its threads
}

// linear is kernels.Linear through lw, cut among the team's threads when s
// has one (the same output bit for bit).
func (s *stack) linear(y, x []float32, lw *kernels.LinearWeights, bias []float32, m int) {
	if s.team != nil {
		s.team.linear(y, x, lw, bias, m)
		return
	}
	lw.Linear(y, x, bias, m)
}

func newStack(rows, d, hid, heads, maxKeys int) *stack {
	n := rows * d
	return &stack{
		d: d, hid: hid, heads: heads,
		x: make([]float32, n), a: make([]float32, n),
		q: make([]float32, n), k: make([]float32, n), v: make([]float32, n),
		att: make([]float32, n), y: make([]float32, n),
		h:       make([]float32, rows*hid),
		scratch: make([]float32, max(maxKeys+kernels.Lanes*(d/heads), kernels.AttentionBatchScratch(maxKeys, heads, d), kernels.AttentionStepScratch(maxKeys))),
	}
}

// pre runs the first half of block b on the first m rows of s.x:
// a = LN1(x), then q, k, v = the three thirds of the qkv projection of a.
// The caller then fills s.att from q, k, v (and its caches) and calls post.
func (s *stack) pre(b *blockWeights, lin *blockLinears, m int) {
	d := s.d
	kernels.LayerNormRows(s.a, s.x, b.ln1W, b.ln1B, m, d, lnEps)
	a := s.a[:m*d]
	s.linear(s.q, a, lin.q, b.qkvB[:d], m)
	s.linear(s.k, a, lin.k, b.qkvB[d:2*d], m)
	s.linear(s.v, a, lin.v, b.qkvB[2*d:], m)
}

// post finishes block b on the first m rows: x += out(att);
// x += fc2(GELU(fc1(LN2(x)))).
func (s *stack) post(b *blockWeights, lin *blockLinears, m int) {
	d, h := s.d, s.hid
	s.linear(s.y, s.att[:m*d], lin.out, b.outB, m)
	kernels.Add(s.x[:m*d], s.y[:m*d])
	kernels.LayerNormRows(s.a, s.x, b.ln2W, b.ln2B, m, d, lnEps)
	s.linear(s.h, s.a[:m*d], lin.fc1, b.fc1B, m)
	kernels.GELUInPlace(s.h[:m*h])
	s.linear(s.y, s.h[:m*h], lin.fc2, b.fc2B, m)
	kernels.Add(s.x[:m*d], s.y[:m*d])
}

// globalEmbed writes h_t = Eg[b] + Pg[t] (width e) into dst: the slice of a
// global patch input that byte b at window position t contributes.
func (m *Model) globalEmbed(dst []float32, b byte, t int) {
	e := m.Cfg.embedDim()
	emb := m.w.gEmbed[int(b)*e : int(b)*e+e]
	pos := m.w.gPos[t*e : t*e+e]
	dst = dst[:e]
	for i := range dst {
		dst[i] = emb[i] + pos[i]
	}
}

// localInput writes the local input of position p of a patch into dst:
// g + L_pad for p = 0, else g + (El[prev] + Pl[p]), with prev the byte
// before. g is the g2l output for that position.
func (m *Model) localInput(dst, g []float32, p int, prev byte) {
	dl := m.Cfg.LocalDim
	dst, g = dst[:dl], g[:dl]
	if p == 0 {
		pad := m.w.lPad[:dl]
		for i := range dst {
			dst[i] = g[i] + pad[i]
		}
		return
	}
	emb := m.w.lEmbed[int(prev)*dl : int(prev)*dl+dl]
	pos := m.w.lPos[p*dl : p*dl+dl]
	for i := range dst {
		dst[i] = g[i] + (emb[i] + pos[i])
	}
}

// head turns the first n rows of final local states x (n × D_L) into byte
// distributions: probs row i = Softmax(head(LN_f(x_i))). a is n × D_L scratch.
func (m *Model) head(probs, x, a []float32, n int, lin *linears) {
	dl := m.Cfg.LocalDim
	kernels.LayerNormRows(a, x, m.w.lnfW, m.w.lnfB, n, dl, lnEps)
	lin.head.Linear(probs[:n*256], a[:n*dl], m.w.headB, n)
	for i := range n {
		row := probs[i*256 : (i+1)*256]
		kernels.Softmax(row, row)
	}
}

// forwardWS is the workspace of Forward for one window.
type forwardWS struct {
	global *stack    // ContextPatches rows of GlobalDim
	local  *stack    // Window rows of LocalDim
	g      []float32 // g2l output, Window × LocalDim
}

func (m *Model) newForwardWS() *forwardWS {
	c := m.Cfg
	w := c.Window()
	return &forwardWS{
		global: newStack(c.ContextPatches, c.GlobalDim, c.globalHidden(), c.GlobalHeads, c.ContextPatches),
		local:  newStack(w, c.LocalDim, c.localHidden(), c.LocalHeads, c.PatchSize),
		g:      make([]float32, w*c.LocalDim),
	}
}

// Forward is the teacher-forced batched pass: for every t < len(seq),
// probs[t*256+b] = P(seq[t] = b | the bytes of seq before t in the same
// window), windows starting at multiples of Cfg.Window(). It gives exactly
// the probabilities a Batch gives for the same bytes. probs must hold
// len(seq)*256 floats; Forward panics otherwise, as copy into a short slice
// would be a silent bug.
func (m *Model) Forward(seq []byte, probs []float32) {
	m.checkForward(seq, probs)
	if len(seq) == 0 {
		return
	}
	m.forward(m.plain, &m.pool, seq, probs)
}

// checkForward panics when probs cannot hold the distributions of seq.
func (m *Model) checkForward(seq []byte, probs []float32) {
	if len(probs) < len(seq)*256 {
		panic(fmt.Sprintf("model: Forward: probs holds %d floats, need %d", len(probs), len(seq)*256))
	}
}

// forward is Forward running the Linear layers lin, with workspaces from
// pool.
func (m *Model) forward(lin *linears, pool *sync.Pool, seq []byte, probs []float32) {
	ws, _ := pool.Get().(*forwardWS)
	if ws == nil {
		ws = m.newForwardWS()
	}
	w := m.Cfg.Window()
	for start := 0; start < len(seq); start += w {
		end := min(start+w, len(seq))
		m.window(lin, ws, seq[start:end], probs[start*256:end*256])
	}
	pool.Put(ws)
}

// window runs the model over one window x (len(x) ≤ Window).
func (m *Model) window(lin *linears, ws *forwardWS, x []byte, probs []float32) {
	c := m.Cfg
	p, e, dg, dl := c.PatchSize, c.embedDim(), c.GlobalDim, c.LocalDim
	n := len(x)
	np := (n + p - 1) / p

	// Global transformer over patches 0..np−1.
	gs := ws.global
	copy(gs.x[:dg], m.w.gPad)
	for k := 1; k < np; k++ {
		for j := range p {
			t := (k-1)*p + j
			m.globalEmbed(gs.x[k*dg+j*e:], x[t], t)
		}
	}
	for l := range m.w.gBlocks {
		b := &m.w.gBlocks[l]
		gs.pre(b, &lin.g[l], np)
		if c.HalfKV {
			kernels.RoundHalf(gs.k[:np*dg])
			kernels.RoundHalf(gs.v[:np*dg])
		}
		// AttentionBatch is Attention over all np rows, bit for bit, as
		// matrix products.
		kernels.AttentionBatch(gs.att, gs.q, gs.k, gs.v, nil, np, c.GlobalHeads, dg, gs.scratch)
		gs.post(b, &lin.g[l], np)
	}
	// Patch outputs cut into np·P slices of width e, each projected to D_L.
	lin.g2l.Linear(ws.g, gs.x[:np*dg], m.w.g2lB, np*p)

	// Local transformer over all n bytes, attention within each patch,
	// localChunk bytes at a time: every row's result is the same, and the
	// activations of a chunk stay in L2.
	ls := ws.local
	chunk := max(1, localChunk/p) * p
	for s0 := 0; s0 < n; s0 += chunk {
		r := min(chunk, n-s0)
		for t := s0; t < s0+r; t++ {
			var prev byte
			if t > 0 {
				prev = x[t-1]
			}
			m.localInput(ls.x[(t-s0)*dl:], ws.g[t*dl:], t%p, prev)
		}
		for l := range m.w.lBlocks {
			b := &m.w.lBlocks[l]
			ls.pre(b, &lin.l[l], r)
			for s := 0; s < r; s += p {
				o := s * dl
				kernels.AttentionBatch(ls.att[o:], ls.q[o:], ls.k[o:], ls.v[o:], nil, min(p, r-s), c.LocalHeads, dl, ls.scratch)
			}
			ls.post(b, &lin.l[l], r)
		}
		m.head(probs[s0*256:], ls.x, ls.a, r, lin)
	}
}

// localChunk is about how many bytes of a window Forward runs through the
// local transformer at a time (whole patches, at least one): 256 rows of
// the widest hidden layer (4·96 floats) are 384 KiB and stay in L2, where a
// 2 KiB window's spill to L3 (compressing ref on one thread: 2 % faster in
// chunks of 256, alternating runs, 64 to 512 alike).
const localChunk = 256
