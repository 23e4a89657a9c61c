package codec

import (
	"fmt"
	"sync"

	"github.com/mbzip/mbzip/arith"
)

// This file is the coding loop, shared by the encoder and the decoder (and,
// later, the sampler). Per segment and per block (one model window):
//
//	probabilities  ─► stage.quantize ─► symbolCoder.code ─► stage.observe(sym)
//	(Forward over the block when encoding, Batch.Next/Push when decoding)
//	… and after the block's last byte: stage.endBlock(block).
//
// Everything between the model's float distribution and the coder's integer
// frequencies happens in segmentCoder.step and the stage it calls, the same
// code for both directions, so encoder and decoder cannot drift apart
// (DESIGN.md §2).

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
}

func (s *segmentCoder) reset(st stage, sc symbolCoder) {
	s.st, s.sc, s.pos, s.bits = st, sc, 0, 0
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
	s.bits += costQ16(s.freqs[sym])
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

// block returns the block that lane l codes at step t, or −1 when the lane
// is idle then.
func (o laneOrder) block(t, l int) int {
	b := t/o.w*o.lanes + l
	if b >= o.blocks() || t%o.w >= o.blockLen(b) {
		return -1
	}
	return b
}

// encodeModel arithmetic-codes seg with net in the lane order of lanes
// (laneOrder), appending the code to dst. probs is scratch, grown as
// needed to chunk·Window()·256 floats, where chunk, a whole number of lane
// groups and at least threads blocks, is how many blocks go through the
// model at once (one goroutine per block, up to threads). It returns the
// code, the grown scratch, the model's cost of seg, and its float
// cross-entropy: −log2 p of every true byte (encode_xent.go), summed in
// byte order whatever the threads and lanes.
func encodeModel(net network, level int, seg, dst []byte, probs []float32, sc *segmentCoder, threads, lanes int) (code []byte, scratch []float32, cost uint64, xent float64, err error) {
	enc := arith.NewEncoder(dst)
	sc.reset(newStage(level), &encodeSymbol{e: enc})
	w := net.Window()
	lanes, threads = max(lanes, 1), max(threads, 1)
	o := laneOrder{n: len(seg), w: w, lanes: lanes}
	nb := o.blocks()
	chunk := min(lanes*((threads+lanes-1)/lanes), (nb+lanes-1)/lanes*lanes)
	if n := chunk * w * 256; len(probs) < n {
		probs = make([]float32, n)
	}
	for b0 := 0; b0 < nb; b0 += chunk {
		b1 := min(b0+chunk, nb)
		forwardBlocks(net, seg, w, b0, b1, probs, threads)
		for b := b0; b < b1; b++ {
			p := probs[(b-b0)*w*256:]
			for t, c := range seg[b*w : b*w+o.blockLen(b)] {
				xent += xentBits(p[t*256+int(c)])
			}
		}
		for g0 := b0; g0 < b1; g0 += lanes {
			g1 := min(g0+lanes, b1)
			for t := 0; t < w; t++ {
				for b := g0; b < g1; b++ {
					n := o.blockLen(b)
					if t >= n {
						break // only the segment's last block is short
					}
					q := probs[((b-b0)*w+t)*256:][:256]
					if _, err := sc.step(q, seg[b*w+t]); err != nil {
						return nil, probs, 0, 0, err
					}
					if t == n-1 {
						sc.st.endBlock(seg[b*w : b*w+n])
					}
				}
			}
		}
	}
	code = enc.Finish()
	if err := enc.Err(); err != nil {
		return nil, probs, 0, 0, err
	}
	return code, probs, sc.bits, xent, nil
}

// forwardBlocks runs the model over blocks b0 … b1−1 of seg (blocks of w
// bytes), block b's distributions going to probs[(b−b0)·w·256:], with up
// to threads goroutines.
func forwardBlocks(net network, seg []byte, w, b0, b1 int, probs []float32, threads int) {
	block := func(b int) {
		net.Forward(seg[b*w:min((b+1)*w, len(seg))], probs[(b-b0)*w*256:])
	}
	threads = min(threads, b1-b0)
	if threads <= 1 {
		for b := b0; b < b1; b++ {
			block(b)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range threads {
		wg.Go(func() {
			for b := b0 + i; b < b1; b += threads {
				block(b)
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
	bits    uint64 // the model's cost of the decoded bytes
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
	b      batch
	rows   int // rows of b
	probs  []float32
	syms   []byte
	list   []int
	steps  []laneStep
	active []*decodeJob
}

func newDecoderGroup(net network, level int) *decoderGroup {
	return &decoderGroup{net: net, level: level}
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
		j.sc.reset(newStage(g.level), &decodeSymbol{d: d})
		// Lanes write their bytes out of order: the buffer takes the
		// segment's length (checked against the segment size) up front.
		j.out = append(j.out, make([]byte, j.origLen)...)
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
				j.bits = j.sc.bits
				continue
			}
			keep = append(keep, j)
		}
		g.active = keep
	}
}
