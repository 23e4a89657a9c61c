package model

import (
	"runtime"

	"github.com/mbzip/mbzip/kernels"
)

// Batch steps n independent byte streams ("rows") of one model in lock-step,
// for decoding and sampling. Each row keeps a key/value cache per layer: the
// global transformer runs once per patch of a row, the local one once per
// byte. The rows that need a step in one call are stacked, so every Linear
// layer is one matrix × matrix product over them.
//
// The probabilities are bit-identical to Forward on the same bytes, including
// the context reset every Window() bytes. A Batch is not safe for concurrent
// use. Row indices must lie in [0, n); a wrong index panics like a slice
// index.
type Batch struct {
	m    *Model
	lin  *linears // the Linear layers it runs: the model's, or an Inference's packed ones
	rows []rowState

	gs     *stack    // n rows of GlobalDim
	ls     *stack    // n rows of LocalDim
	g      []float32 // g2l output, n·P rows of LocalDim
	headIn []float32 // n rows of LocalDim: final local states gathered for the head

	one    [1]int // a one-row list for advance, without allocating
	need   []int  // rows to step in this call
	starts []int  // rows of need whose position starts a patch

	// With threads (SetThreads): the team, each part's attention
	// scratch (part 0 uses the stacks' own), and the attention jobs, bound
	// once, with their arguments.
	team             *team
	gScratch         [][]float32
	lScratch         [][]float32
	gAttJob, lAttJob func(part int)
	layer            int   // the block the attention jobs run
	attRows          []int // the rows they run on
	// The local step cut by rows (localRowsJob): each part runs every
	// local block over its rows through a view of the local stack.
	lViews       []stack
	localRowsJob func(part int)
}

// rowState is the incremental state of one stream.
type rowState struct {
	pos     int  // bytes of the current window already pushed
	patches int  // global steps done in the current window
	stepped bool // the step for position pos is done and last is valid
	prev    byte // the byte at pos−1, used when pos%P ≠ 0

	patch []float32 // GlobalDim: h_t of the bytes of the current patch, the next patch's global input
	// The key/value caches, per layer in kernels.AttentionStep's layout
	// (written by kernels.StoreKV), of the capacities of Batch.capacities.
	gK, gV []float32 // GlobalLayers caches of GlobalDim
	// With Config.HalfKV, gKh and gVh replace gK and gV: binary16 elements
	// in kernels.StoreKVHalf's layout, of the same lengths.
	gKh, gVh []uint16
	lK, lV   []float32 // LocalLayers caches of LocalDim (lK alone when shortLocal)
	g        []float32 // PatchSize × LocalDim: g2l output of the current patch
	last     []float32 // LocalDim: final local state at pos
}

// NewBatch returns a Batch of n rows, each a fresh stream. A row's caches
// (8·GlobalLayers·Window·GlobalDim/PatchSize bytes and a little more, 2 MiB
// for "ref"; half that with HalfKV) are allocated on its first use, not
// here. Inference.NewBatch makes one that runs on packed weights.
func (m *Model) NewBatch(n int) *Batch { return m.newBatch(n, m.plain) }

// newBatch is NewBatch running the Linear layers lin.
func (m *Model) newBatch(n int, lin *linears) *Batch {
	n = max(n, 0)
	c := m.Cfg
	return &Batch{
		m:      m,
		lin:    lin,
		rows:   make([]rowState, n),
		gs:     newStack(n, c.GlobalDim, c.globalHidden(), c.GlobalHeads, c.ContextPatches),
		ls:     newStack(n, c.LocalDim, c.localHidden(), c.LocalHeads, c.PatchSize),
		g:      make([]float32, n*c.PatchSize*c.LocalDim),
		headIn: make([]float32, n*c.LocalDim),
		need:   make([]int, 0, n),
		starts: make([]int, 0, n),
	}
}

// SetThreads lets threads goroutines share every step from now on: each
// global product's output columns and the rows' attention are cut among
// them, and the local step by rows where each thread gets at least
// localRowsMin, threads−1 helper goroutines running beside the caller
// until SetThreads changes their number or Close. The probabilities are
// the same bit for bit. Decoding a few rows streams every weight once per step, so that two
// threads sharing one row decode it about 1.4 × faster than one. The
// threads wait for each other spinning, so they are capped at
// runtime.GOMAXPROCS (more would wait for a CPU at every product).
func (b *Batch) SetThreads(threads int) {
	threads = max(min(threads, runtime.GOMAXPROCS(0)), 1)
	if b.team != nil && b.team.parts == threads || b.team == nil && threads == 1 {
		return
	}
	b.Close()
	if threads == 1 {
		return
	}
	b.team = newTeam(threads)
	b.gs.team, b.ls.team = b.team, b.team
	b.gScratch = append(b.gScratch[:0], b.gs.scratch)
	b.lScratch = append(b.lScratch[:0], b.ls.scratch)
	for range threads - 1 {
		b.gScratch = append(b.gScratch, make([]float32, len(b.gs.scratch)))
		b.lScratch = append(b.lScratch, make([]float32, len(b.ls.scratch)))
	}
	b.lViews = make([]stack, threads)
	if b.gAttJob == nil {
		b.gAttJob, b.lAttJob, b.localRowsJob = b.globalAttention, b.localAttention, b.localRows
	}
}

// Close stops the helper goroutines of SetThreads; the Batch goes on with
// one thread. A Batch that had more threads must be closed before it is
// dropped, or its helpers live on.
func (b *Batch) Close() {
	if b.team != nil {
		b.team.close()
		b.team, b.gs.team, b.ls.team = nil, nil, nil
	}
}

// Rows returns the number of rows n.
func (b *Batch) Rows() int { return len(b.rows) }

// Pos returns how many bytes of its current window row has been told; the
// next distribution is for the byte at that position.
func (b *Batch) Pos(row int) int { return b.rows[row].pos }

// row returns the state of row r, allocating its caches on first use.
func (b *Batch) row(r int) *rowState {
	st := &b.rows[r]
	if st.patch == nil {
		c := b.m.Cfg
		dg, dl := c.GlobalDim, c.LocalDim
		gld, lld := b.capacities()
		gk := c.GlobalLayers * kernels.KeyCacheLen(dg, gld)
		gv := c.GlobalLayers * kernels.ValueCacheLen(dg, gld)
		lk := c.LocalLayers * kernels.KeyCacheLen(dl, lld)
		lv := c.LocalLayers * kernels.ValueCacheLen(dl, lld)
		if b.shortLocal() {
			lk, lv = c.LocalLayers*kernels.ShortCacheLen(dl), 0
		}
		if c.HalfKV {
			half := make([]uint16, gk+gv)
			st.gKh, st.gVh = half[:gk:gk], half[gk:]
			gk, gv = 0, 0
		}
		buf := make([]float32, dg+gk+gv+lk+lv+c.PatchSize*dl+dl)
		take := func(n int) []float32 {
			s := buf[:n:n]
			buf = buf[n:]
			return s
		}
		st.patch = take(dg)
		st.gK, st.gV = take(gk), take(gv)
		st.lK, st.lV = take(lk), take(lv)
		st.g = take(c.PatchSize * dl)
		st.last = take(dl)
	}
	return st
}

// Next writes the next-byte distribution of each listed row into
// probs[i*256:(i+1)*256], i being the index in rows. It is bit-identical to
// Forward on the bytes pushed to the row since its window began. Calling Next
// again before Push gives the same distribution without stepping again.
func (b *Batch) Next(rows []int, probs []float32) {
	_ = probs[:len(rows)*256]
	b.need = b.need[:0]
	for _, r := range rows {
		if st := b.row(r); !st.stepped {
			st.stepped = true // also dedupes a row listed twice
			b.need = append(b.need, r)
		}
	}
	b.step(b.need)

	// Head over the listed rows, at most n at a time (n rows fit the
	// workspace; a longer list repeats rows).
	dl := b.m.Cfg.LocalDim
	n := len(b.rows)
	for s := 0; s < len(rows); s += n {
		chunk := rows[s:min(s+n, len(rows))]
		for i, r := range chunk {
			copy(b.headIn[i*dl:(i+1)*dl], b.rows[r].last)
		}
		b.m.head(probs[s*256:], b.headIn, b.ls.a, len(chunk), b.lin)
	}
}

// Push tells each listed row the byte actually coded at its position
// (syms[i] for rows[i]); the row moves to the next position, and starts a
// fresh window after Window() bytes. A row whose distribution was not asked
// for with Next is stepped first, so Push alone feeds a prompt.
func (b *Batch) Push(rows []int, syms []byte) {
	_ = syms[:len(rows)]
	b.need = b.need[:0]
	for _, r := range rows {
		if st := b.row(r); !st.stepped {
			st.stepped = true
			b.need = append(b.need, r)
		}
	}
	b.step(b.need)
	for i, r := range rows {
		b.advance(r, syms[i])
	}
}

// Reset starts the row over as a fresh stream.
func (b *Batch) Reset(row int) {
	st := &b.rows[row]
	st.pos, st.patches, st.stepped, st.prev = 0, 0, false, 0
}

// advance records sym at the row's position and moves it on.
func (b *Batch) advance(r int, sym byte) {
	st := &b.rows[r]
	if !st.stepped {
		// Only when rows lists r twice: the second byte's position was
		// never stepped.
		st.stepped = true
		b.one[0] = r
		b.step(b.one[:])
	}
	c := b.m.Cfg
	p, e := c.PatchSize, c.embedDim()
	b.m.globalEmbed(st.patch[(st.pos%p)*e:], sym, st.pos)
	st.prev = sym
	st.pos++
	st.stepped = false
	if st.pos == c.Window() {
		st.pos, st.patches = 0, 0
	}
}

// step runs the model at the current position of each listed row (distinct
// rows): the global transformer for rows whose position starts a patch, then
// the local transformer for all, leaving each row's final local state in
// last.
func (b *Batch) step(rows []int) {
	if len(rows) == 0 {
		return
	}
	m := b.m
	c := m.Cfg
	p, dg, dl := c.PatchSize, c.GlobalDim, c.LocalDim

	// Global step: one patch for every row that starts one.
	b.starts = b.starts[:0]
	for _, r := range rows {
		if st := &b.rows[r]; st.patches*p <= st.pos {
			b.starts = append(b.starts, r)
		}
	}
	if ns := len(b.starts); ns > 0 {
		gs := b.gs
		for i, r := range b.starts {
			st := &b.rows[r]
			if st.patches == 0 {
				copy(gs.x[i*dg:(i+1)*dg], m.w.gPad)
			} else {
				copy(gs.x[i*dg:(i+1)*dg], st.patch)
			}
		}
		for l := range m.w.gBlocks {
			blk := &m.w.gBlocks[l]
			gs.pre(blk, &b.lin.g[l], ns)
			b.layer, b.attRows = l, b.starts
			if b.team != nil {
				b.team.run(b.gAttJob)
			} else {
				b.globalAttentionRows(0, ns, gs.scratch)
			}
			gs.post(blk, &b.lin.g[l], ns)
		}
		gs.linear(b.g, gs.x[:ns*dg], b.lin.g2l, m.w.g2lB, ns*p)
		for i, r := range b.starts {
			st := &b.rows[r]
			copy(st.g, b.g[i*p*dl:(i+1)*p*dl])
			st.patches++
		}
	}

	// Local step: one byte position for every row.
	ls := b.ls
	n := len(rows)
	for i, r := range rows {
		st := &b.rows[r]
		pp := st.pos % p
		m.localInput(ls.x[i*dl:], st.g[pp*dl:], pp, st.prev)
	}
	if b.team != nil && n >= localRowsMin*b.team.parts {
		// Each thread runs the whole local step over its rows: one
		// meeting instead of one per product.
		b.attRows = rows
		b.team.run(b.localRowsJob)
	} else {
		for l := range m.w.lBlocks {
			blk := &m.w.lBlocks[l]
			ls.pre(blk, &b.lin.l[l], n)
			b.layer, b.attRows = l, rows
			if b.team != nil {
				b.team.run(b.lAttJob)
			} else {
				b.localAttentionRows(l, 0, n, ls.scratch)
			}
			ls.post(blk, &b.lin.l[l], n)
		}
	}
	for i, r := range rows {
		copy(b.rows[r].last, ls.x[i*dl:(i+1)*dl])
	}
}

// globalAttention is the team's job for part of the rows of a global
// attention step (b.layer, b.attRows).
func (b *Batch) globalAttention(part int) {
	i0, i1 := b.team.span(len(b.attRows), part)
	b.globalAttentionRows(i0, i1, b.gScratch[part])
}

// globalAttentionRows caches the keys and values of rows [i0, i1) of
// b.attRows in block b.layer and attends over their caches.
func (b *Batch) globalAttentionRows(i0, i1 int, scratch []float32) {
	c := b.m.Cfg
	gs, dg, l := b.gs, c.GlobalDim, b.layer
	ld, _ := b.capacities()
	keys, values := kernels.KeyCacheLen(dg, ld), kernels.ValueCacheLen(dg, ld)
	for i := i0; i < i1; i++ {
		st := &b.rows[b.attRows[i]]
		k := st.patches
		key, value := gs.k[i*dg:(i+1)*dg], gs.v[i*dg:(i+1)*dg]
		if c.HalfKV {
			kc := st.gKh[l*keys : (l+1)*keys]
			vc := st.gVh[l*values : (l+1)*values]
			kernels.StoreKVHalf(kc, vc, key, value, k, ld, c.GlobalHeads)
			kernels.AttentionStepHalf(gs.att[i*dg:], gs.q[i*dg:], kc, vc, k+1, ld, c.GlobalHeads, dg, scratch)
			continue
		}
		kc := st.gK[l*keys : (l+1)*keys]
		vc := st.gV[l*values : (l+1)*values]
		kernels.StoreKV(kc, vc, key, value, k, ld, c.GlobalHeads)
		kernels.AttentionStep(gs.att[i*dg:], gs.q[i*dg:], kc, vc, k+1, ld, c.GlobalHeads, dg, scratch)
	}
}

// localAttention is the team's job for part of the rows of a local
// attention step.
func (b *Batch) localAttention(part int) {
	i0, i1 := b.team.span(len(b.attRows), part)
	b.localAttentionRows(b.layer, i0, i1, b.lScratch[part])
}

// localRowsMin is the fewest rows per thread for which a team cuts the
// local step by rows (localRows) rather than every product by columns.
const localRowsMin = 2

// localRows is the team's job for part of the rows of a local step (the
// rows b.attRows, their inputs in place): every local block over rows
// [i0, i1) through a view of the local stack at those rows, so that the
// part's products run on its rows alone, without a team. Each row's
// outputs are the same Dot as in the whole stack's products.
func (b *Batch) localRows(part int) {
	i0, i1 := b.team.span(len(b.attRows), part)
	if i0 == i1 {
		return
	}
	ls := b.ls
	d, h := ls.d, ls.hid
	v := &b.lViews[part]
	*v = stack{d: d, hid: h, heads: ls.heads,
		x: ls.x[i0*d:], a: ls.a[i0*d:], q: ls.q[i0*d:], k: ls.k[i0*d:], v: ls.v[i0*d:],
		att: ls.att[i0*d:], y: ls.y[i0*d:], h: ls.h[i0*h:], scratch: b.lScratch[part]}
	for l := range b.m.w.lBlocks {
		blk := &b.m.w.lBlocks[l]
		v.pre(blk, &b.lin.l[l], i1-i0)
		b.localAttentionRows(l, i0, i1, b.lScratch[part])
		v.post(blk, &b.lin.l[l], i1-i0)
	}
}

// localAttentionRows is globalAttentionRows for the local transformer's
// block l.
func (b *Batch) localAttentionRows(l, i0, i1 int, scratch []float32) {
	c := b.m.Cfg
	ls, dl := b.ls, c.LocalDim
	_, ld := b.capacities()
	keys, values := kernels.KeyCacheLen(dl, ld), kernels.ValueCacheLen(dl, ld)
	if b.shortLocal() {
		cl := kernels.ShortCacheLen(dl)
		for i := i0; i < i1; i++ {
			st := &b.rows[b.attRows[i]]
			at := i * dl
			kernels.ShortAttentionStep(ls.att[at:], ls.q[at:], ls.k[at:], ls.v[at:], st.lK[l*cl:(l+1)*cl], st.pos%c.PatchSize+1, c.LocalHeads, dl)
		}
		return
	}
	for i := i0; i < i1; i++ {
		st := &b.rows[b.attRows[i]]
		pp := st.pos % c.PatchSize
		kc := st.lK[l*keys : (l+1)*keys]
		vc := st.lV[l*values : (l+1)*values]
		kernels.StoreKV(kc, vc, ls.k[i*dl:(i+1)*dl], ls.v[i*dl:(i+1)*dl], pp, ld, c.LocalHeads)
		kernels.AttentionStep(ls.att[i*dl:], ls.q[i*dl:], kc, vc, pp+1, ld, c.LocalHeads, dl, scratch)
	}
}

// shortLocal reports whether the local transformer's attention runs
// through kernels.ShortAttentionStep, whose caches (in lK) hold a patch of
// up to 16 bytes: where that is one assembly leaf. Both paths give the
// same bits.
func (b *Batch) shortLocal() bool {
	c := b.m.Cfg
	return c.PatchSize <= kernels.ShortAttentionMax && kernels.ShortAttentionFast(c.LocalHeads, c.LocalDim)
}

// capacities returns the capacities, in positions, of a row's global and
// local caches: ContextPatches and PatchSize, rounded up as
// kernels.AttentionStep needs.
func (b *Batch) capacities() (global, local int) {
	c := b.m.Cfg
	return kernels.StepCapacity(c.ContextPatches), kernels.StepCapacity(c.PatchSize)
}
