package codec

import (
	"fmt"
	"slices"
	"sync"

	"github.com/mbzip/mbzip/arith"
)

// This file is the coding loop, shared by the encoder and the decoder (and,
// later, the sampler). Per segment, byte by byte in lane order (laneOrder:
// the blocks, one model window each, interleaved in groups of lanes):
//
//	probabilities  ─► stage.quantize ─► coder ─► stage.observe(sym)
//	(Forward over the block when encoding, Batch.Next/Push when decoding)
//	… and after a block's last byte: stage.endBlock(block).
//
// Between the model's float distribution and the coder's integer
// frequencies there is only the stage: segmentCoder.step calls it for the
// decoder (and for the encoder when the stage has state); with a static
// stage the encoder calls it for each block ahead of the lane order
// (encodeAhead), which gives the same frequencies. Encoder and decoder
// cannot drift apart (DESIGN.md §2).

// stage is the seam between the model's float distribution and the
// arithmetic coder. It must be a pure function of the bytes of the segment
// coded so far (as told through observe and endBlock), the model and the
// level. Today the only stage is quantizeStage; adaptive levels (mixer, APM)
// and online weight updates plug in here.
type stage interface {
	// quantize turns one byte's distribution (256 float32) into 256
	// frequencies, each ≥ 1, summing to arith.Total.
	quantize(probs []float32, freqs []uint32) error
	// observe is told the byte actually coded.
	observe(sym byte)
	// endBlock is called after the last byte of each block (model window)
	// with the block's bytes: the hook for weight updates between windows.
	endBlock(block []byte)
	// static reports that quantize depends on its distribution alone, not
	// on the bytes observed before, and is safe for concurrent use: the
	// encoder then quantizes every block as soon as the model has run over
	// it, on several threads, ahead of the lane order in which the bytes
	// are coded (encodeAhead). Otherwise the encoder keeps the
	// distributions of a whole lane group and quantizes in coding order
	// (encodeInOrder), as the decoder does.
	static() bool
}

// newStage returns the stage of a level, fresh for each segment.
func newStage(level int) stage {
	_ = level // every level uses the static model today
	return quantizeStage{}
}

// quantizeStage is the identity stage: the model's probabilities quantized
// by arith.Quantize, with no learning.
type quantizeStage struct{}

func (quantizeStage) quantize(probs []float32, freqs []uint32) error {
	return arith.Quantize(probs, freqs)
}
func (quantizeStage) observe(byte)    {}
func (quantizeStage) endBlock([]byte) {}
func (quantizeStage) static() bool    { return true }

// symbolCoder is the coder side of the loop: the encoder codes the byte it
// is given and returns it, the decoder ignores it and returns the byte it
// decodes.
type symbolCoder interface {
	code(freqs []uint32, sym byte) (byte, error)
}

type encodeSymbol struct {
	e   *arith.Encoder
	cum arith.Cumulative
}

func (c *encodeSymbol) code(freqs []uint32, sym byte) (byte, error) {
	if err := c.cum.Set(freqs); err != nil {
		return 0, err
	}
	c.e.EncodeCumulative(&c.cum, sym)
	return sym, c.e.Err()
}

type decodeSymbol struct {
	d   *arith.Decoder
	cum arith.Cumulative
}

func (c *decodeSymbol) code(freqs []uint32, _ byte) (byte, error) {
	if err := c.cum.Set(freqs); err != nil {
		return 0, err
	}
	return c.d.DecodeCumulative(&c.cum)
}

// segmentCoder is the state of one segment in the loop.
type segmentCoder struct {
	st    stage
	sc    symbolCoder
	freqs [256]uint32
	pos   int    // bytes coded so far
	bits  uint64 // Σ −log2 of the coded frequencies, in 2^-bitsFrac bits
	cost  bool   // whether to keep bits: the encoder records them, the decoder need not
}

func (s *segmentCoder) reset(st stage, sc symbolCoder, cost bool) {
	s.st, s.sc, s.pos, s.bits, s.cost = st, sc, 0, 0, cost
}

// step codes one byte: probs is the model's distribution for it, sym the
// byte when encoding (ignored when decoding). It returns the byte coded.
func (s *segmentCoder) step(probs []float32, sym byte) (byte, error) {
	if err := s.st.quantize(probs, s.freqs[:]); err != nil {
		return 0, fmt.Errorf("byte %d: quantizing the model's distribution: %w", s.pos, err)
	}
	sym, err := s.sc.code(s.freqs[:], sym)
	if err != nil {
		return 0, fmt.Errorf("byte %d: %w", s.pos, err)
	}
	if s.cost {
		s.bits += costQ16(s.freqs[sym])
	}
	s.st.observe(sym)
	s.pos++
	return sym, nil
}

// laneOrder is the coding order of a model-coded segment of n bytes cut
// into blocks of w bytes (model windows): the blocks are taken in groups of
// lanes consecutive blocks, and a group is coded position by position —
// byte t of the group's first block, byte t of its second, …, then byte
// t+1 of each. With lanes = 1 that is block after block, version 1's only
// order. Blocks are independent contexts of the model, so a decoder steps
// the lanes of a group as the rows of one batch; every block but the last
// is full, so the lanes of a group end together except in the last group.
type laneOrder struct{ n, w, lanes int }

func (o laneOrder) blocks() int { return (o.n + o.w - 1) / o.w }

// blockLen is the length of block b.
func (o laneOrder) blockLen(b int) int { return min(o.w, o.n-b*o.w) }

// rows is the number of lanes that ever hold a block.
func (o laneOrder) rows() int { return min(o.lanes, o.blocks()) }

// steps is the number of positions stepped: w per group but the last,
// which takes as long as its first block.
func (o laneOrder) steps() int {
	nb := o.blocks()
	if nb == 0 {
		return 0
	}
	last := (nb - 1) / o.lanes * o.lanes
	return last/o.lanes*o.w + o.blockLen(last)
}

// visit calls f(b, t) for byte t of block b, for every byte of the blocks
// b0 … b1−1 (whole lane groups from b0) in lane order, and stops at the
// first error f returns.
func (o laneOrder) visit(b0, b1 int, f func(b, t int) error) error {
	for g0 := b0; g0 < b1; g0 += o.lanes {
		g1 := min(g0+o.lanes, b1)
		for t := range o.blockLen(g0) { // the group's first block is its longest
			for b := g0; b < g1 && t < o.blockLen(b); b++ {
				if err := f(b, t); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// block returns the block that lane l codes at step t, or −1 when the lane
// is idle then.
func (o laneOrder) block(t, l int) int {
	b := t/o.w*o.lanes + l
	if b >= o.blocks() || t%o.w >= o.blockLen(b) {
		return -1
	}
	return b
}

// encodeScratch is what encodeModel reuses from one segment to the next.
type encodeScratch struct {
	// encodeAhead: one block's distributions and a quantizer per thread, and
	// the coder interval and cross-entropy of every byte of a chunk.
	probs  [][]float32
	quant  []symbolPricer
	ranges []symbolRange
	xents  []float64
	// encodeInOrder: the distributions of a chunk.
	group []float32
	sc    segmentCoder
}

// symbolRange is a byte's interval of the coder: [lo, lo+freq) of Total.
type symbolRange struct{ lo, freq uint32 }

// symbolPricer turns distributions into coder intervals with a static stage.
type symbolPricer struct {
	freqs [256]uint32
	cum   arith.Cumulative
}

// chunkBlocks is how many blocks encodeModel runs the model over at once:
// whole lane groups, at least threads blocks, at most the segment's.
func chunkBlocks(nb, threads, lanes int) int {
	return min(lanes*((threads+lanes-1)/lanes), (nb+lanes-1)/lanes*lanes)
}

// encodeModel arithmetic-codes seg with net and the stage st in the lane
// order of lanes (laneOrder), appending the code to dst, with up to threads
// goroutines running the model over a chunk of blocks at once
// (chunkBlocks). It returns the code, the model's cost of seg, and its
// float cross-entropy: −log2 p of every true byte (encode_xent.go), summed
// in byte order whatever the threads and lanes.
func encodeModel(net network, st stage, seg, dst []byte, s *encodeScratch, threads, lanes int) (code []byte, cost uint64, xent float64, err error) {
	enc := arith.NewEncoder(dst)
	lanes, threads = max(lanes, 1), max(threads, 1)
	if st.static() {
		cost, xent, err = encodeAhead(net, st, seg, enc, s, threads, lanes)
	} else {
		cost, xent, err = encodeInOrder(net, st, seg, enc, s, threads, lanes)
	}
	if err != nil {
		return nil, 0, 0, err
	}
	code = enc.Finish()
	if err := enc.Err(); err != nil {
		return nil, 0, 0, err
	}
	return code, cost, xent, nil
}

// encodeAhead is encodeModel for a static stage. Each thread runs the model
// over a block and quantizes it at once, keeping only the coder interval of
// every byte; the intervals are then coded in lane order. Its memory is one
// block's distributions per thread (Window() KiB) and 16 bytes per byte of a
// chunk, not a lane group's distributions.
func encodeAhead(net network, st stage, seg []byte, enc *arith.Encoder, s *encodeScratch, threads, lanes int) (cost uint64, xent float64, err error) {
	w := net.Window()
	o := laneOrder{n: len(seg), w: w, lanes: lanes}
	nb := o.blocks()
	chunk := chunkBlocks(nb, threads, lanes)
	threads = min(threads, chunk)
	for len(s.probs) < threads {
		s.probs = append(s.probs, make([]float32, w*256))
		s.quant = append(s.quant, symbolPricer{})
	}
	if n := chunk * w; len(s.ranges) < n {
		s.ranges, s.xents = make([]symbolRange, n), make([]float64, n)
	}
	costs := make([]uint64, threads)
	errs := make([]error, chunk)
	for b0 := 0; b0 < nb; b0 += chunk {
		b1 := min(b0+chunk, nb)
		stripe(b0, b1, threads, func(i, b int) {
			at := (b - b0) * w
			block := seg[b*w : b*w+o.blockLen(b)]
			c, t, err := s.quant[i].price(net, st, block, s.probs[i], s.ranges[at:], s.xents[at:])
			costs[i] += c
			errs[b-b0] = nil
			if err != nil {
				errs[b-b0] = fmt.Errorf("byte %d: %w", b*w+t, err)
			}
		})
		for _, err := range errs[:b1-b0] {
			if err != nil {
				return 0, 0, err
			}
		}
		for b := b0; b < b1; b++ {
			for _, x := range s.xents[(b-b0)*w : (b-b0)*w+o.blockLen(b)] {
				xent += x
			}
		}
		o.visit(b0, b1, func(b, t int) error {
			r := s.ranges[(b-b0)*w+t]
			enc.EncodeRange(r.lo, r.freq)
			st.observe(seg[b*w+t])
			if n := o.blockLen(b); t == n-1 {
				st.endBlock(seg[b*w : b*w+n])
			}
			return nil
		})
		if err := enc.Err(); err != nil {
			return 0, 0, err
		}
	}
	for _, c := range costs {
		cost += c
	}
	return cost, xent, nil
}

// price runs the model over block and writes, for every byte t, its coder
// interval to ranges[t] and its cross-entropy to xents[t]; it returns the
// model's cost of the block, or the byte that failed and why.
func (q *symbolPricer) price(net network, st stage, block []byte, probs []float32, ranges []symbolRange, xents []float64) (cost uint64, failed int, err error) {
	net.Forward(block, probs)
	for t, c := range block {
		p := probs[t*256 : (t+1)*256]
		xents[t] = xentBits(p[c])
		if err := st.quantize(p, q.freqs[:]); err != nil {
			return cost, t, fmt.Errorf("quantizing the model's distribution: %w", err)
		}
		if err := q.cum.Set(q.freqs[:]); err != nil {
			return cost, t, err
		}
		lo, f := q.cum.Range(c)
		ranges[t] = symbolRange{lo, f}
		cost += costQ16(f)
	}
	return cost, 0, nil
}

// encodeInOrder is encodeModel for a stage with state: it keeps the
// distributions of a chunk (lanes × Window() KiB at least) and quantizes
// every byte in coding order, through segmentCoder.step as the decoder
// does.
func encodeInOrder(net network, st stage, seg []byte, enc *arith.Encoder, s *encodeScratch, threads, lanes int) (cost uint64, xent float64, err error) {
	sc := &s.sc
	sc.reset(st, &encodeSymbol{e: enc}, true)
	w := net.Window()
	o := laneOrder{n: len(seg), w: w, lanes: lanes}
	nb := o.blocks()
	chunk := chunkBlocks(nb, threads, lanes)
	if n := chunk * w * 256; len(s.group) < n {
		s.group = make([]float32, n)
	}
	probs := s.group
	for b0 := 0; b0 < nb; b0 += chunk {
		b1 := min(b0+chunk, nb)
		stripe(b0, b1, threads, func(_, b int) {
			net.Forward(seg[b*w:b*w+o.blockLen(b)], probs[(b-b0)*w*256:])
		})
		for b := b0; b < b1; b++ {
			p := probs[(b-b0)*w*256:]
			for t, c := range seg[b*w : b*w+o.blockLen(b)] {
				xent += xentBits(p[t*256+int(c)])
			}
		}
		err := o.visit(b0, b1, func(b, t int) error {
			if _, err := sc.step(probs[((b-b0)*w+t)*256:][:256], seg[b*w+t]); err != nil {
				return err
			}
			if n := o.blockLen(b); t == n-1 {
				sc.st.endBlock(seg[b*w : b*w+n])
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	return sc.bits, xent, nil
}

// stripe calls f(i, b) for the blocks b0 … b1−1 on up to threads
// goroutines, goroutine i taking blocks b0+i, b0+i+threads, … (i = 0 alone
// when one goroutine does).
func stripe(b0, b1, threads int, f func(i, b int)) {
	threads = min(threads, b1-b0)
	if threads <= 1 {
		for b := b0; b < b1; b++ {
			f(0, b)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range threads {
		wg.Go(func() {
			for b := b0 + i; b < b1; b += threads {
				f(i, b)
			}
		})
	}
	wg.Wait()
}

// threadShare is job i's share of threads spread over n jobs: the first
// threads%n jobs get one more than the others.
func threadShare(threads, n, i int) int {
	t := threads / n
	if i < threads%n {
		t++
	}
	return t
}

// decodeJob is one model-coded segment for decodeModel.
type decodeJob struct {
	code    []byte // the arithmetic code
	origLen int
	lanes   int    // record.lanes
	out     []byte // its capacity is reused; decoded bytes end up here
	err     error

	// Set by decoderGroup.decode.
	order laneOrder
	row0  int // the batch row of lane 0
	dec   *arith.Decoder
	sc    segmentCoder
}

// laneStep is one lane's byte in a step of a decoderGroup.
type laneStep struct {
	job   *decodeJob
	block int
}

// decoderGroup decodes model-coded segments in lock-step, every lane of
// every segment (laneOrder) a row of one batch, so that the model runs
// matrix × matrix over the rows. Its buffers are reused from one call to
// the next.
type decoderGroup struct {
	net    network
	level  int
	stage  func(level int) stage
	b      batch
	rows   int // rows of b
	probs  []float32
	syms   []byte
	list   []int
	steps  []laneStep
	active []*decodeJob
}

func newDecoderGroup(net network, level int, stage func(level int) stage) *decoderGroup {
	return &decoderGroup{net: net, level: level, stage: stage}
}

// decode decodes the jobs, with threads goroutines sharing every step of
// the batch. A job that fails records its error and leaves the batch; the
// others go on.
func (g *decoderGroup) decode(jobs []*decodeJob, threads int) {
	w := g.net.Window()
	rows := 0
	g.active = g.active[:0]
	for _, j := range jobs {
		j.order = laneOrder{n: j.origLen, w: w, lanes: max(j.lanes, 1)}
		j.row0 = rows
		rows += j.order.rows()
		j.out = j.out[:0]
		d, err := arith.NewDecoder(j.code)
		if err != nil {
			j.err = err
			continue
		}
		j.dec = d
		j.sc.reset(g.stage(g.level), &decodeSymbol{d: d}, false)
		// Lanes write their bytes out of order: the buffer takes the
		// segment's length (checked against the segment size) up front.
		j.out = slices.Grow(j.out, j.origLen)[:j.origLen]
		g.active = append(g.active, j)
	}
	if rows > g.rows {
		g.b, g.rows = g.net.NewBatch(rows), rows
		g.probs = make([]float32, rows*256)
		g.syms = make([]byte, rows)
	}
	g.b.SetThreads(threads)
	defer g.b.Close()
	for t := 0; len(g.active) > 0; t++ {
		g.list, g.steps = g.list[:0], g.steps[:0]
		for _, j := range g.active {
			for l := range j.order.rows() {
				b := j.order.block(t, l)
				if b < 0 {
					break
				}
				if t%w == 0 {
					g.b.Reset(j.row0 + l) // a fresh window
				}
				g.list = append(g.list, j.row0+l)
				g.steps = append(g.steps, laneStep{job: j, block: b})
			}
		}
		g.b.Next(g.list, g.probs[:len(g.list)*256])
		pos := t % w
		for i, s := range g.steps {
			j := s.job
			g.syms[i] = 0
			if j.err != nil {
				continue
			}
			sym, err := j.sc.step(g.probs[i*256:(i+1)*256], 0)
			if err != nil {
				j.err = err
				continue
			}
			g.syms[i] = sym
			at := s.block * w
			j.out[at+pos] = sym
			if n := j.order.blockLen(s.block); pos == n-1 {
				j.sc.st.endBlock(j.out[at : at+n])
			}
		}
		g.b.Push(g.list, g.syms[:len(g.list)])
		// Drop jobs that are done or failed.
		keep := g.active[:0]
		for _, j := range g.active {
			if j.err != nil {
				continue
			}
			if t+1 == j.order.steps() {
				// The code must end exactly here: nothing may follow.
				if err := j.dec.Finish(); err != nil {
					j.err = fmt.Errorf("after byte %d: %w", j.origLen-1, err)
				}
				continue
			}
			keep = append(keep, j)
		}
		g.active = keep
	}
}
