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

// encodeModel arithmetic-codes seg with net, block by block, appending the
// code to dst. probs is scratch of at least threads·Window()·256 floats:
// with threads > 1 the model runs over that many blocks at once, one
// goroutine each (the blocks are independent contexts), and the coder
// takes them in order. It returns the code, the model's cost of seg, and
// its float cross-entropy: −log2 p of every true byte (encode_xent.go),
// summed in byte order whatever the threads.
func encodeModel(net network, level int, seg, dst []byte, probs []float32, sc *segmentCoder, threads int) (code []byte, cost uint64, xent float64, err error) {
	enc := arith.NewEncoder(dst)
	sc.reset(newStage(level), &encodeSymbol{e: enc})
	w := net.Window()
	threads = max(threads, 1)
	for start := 0; start < len(seg); start += threads * w {
		n := min(threads*w, len(seg)-start)
		if threads == 1 {
			net.Forward(seg[start:start+n], probs[:n*256])
		} else {
			var wg sync.WaitGroup
			for b := 0; b < n; b += w {
				block := seg[start+b : start+min(b+w, n)]
				p := probs[b*256 : (b+len(block))*256]
				wg.Go(func() { net.Forward(block, p) })
			}
			wg.Wait()
		}
		for b := 0; b < n; b += w {
			block := seg[start+b : start+min(b+w, n)]
			p := probs[b*256:]
			for t, c := range block {
				q := p[t*256 : (t+1)*256]
				xent += xentBits(q[c])
				if _, err := sc.step(q, c); err != nil {
					return nil, 0, 0, err
				}
			}
			sc.st.endBlock(block)
		}
	}
	code = enc.Finish()
	if err := enc.Err(); err != nil {
		return nil, 0, 0, err
	}
	return code, sc.bits, xent, nil
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
	out     []byte // decoded bytes are appended here
	bits    uint64 // the model's cost of the decoded bytes
	err     error
}

// decoderGroup decodes model-coded segments in lock-step as the rows of one
// batch, so that the model runs matrix × matrix over the rows. Its buffers
// are reused from one call to the next.
type decoderGroup struct {
	net      network
	level    int
	b        batch
	rows     int // rows of b
	probs    []float32
	syms     []byte
	active   []int
	coders   []segmentCoder
	decoders []*arith.Decoder
	started  []int // start of the current block of each row
}

func newDecoderGroup(net network, level, rows int) *decoderGroup {
	return &decoderGroup{
		net:      net,
		level:    level,
		b:        net.NewBatch(rows),
		rows:     rows,
		probs:    make([]float32, rows*256),
		syms:     make([]byte, rows),
		active:   make([]int, 0, rows),
		coders:   make([]segmentCoder, rows),
		decoders: make([]*arith.Decoder, rows),
		started:  make([]int, rows),
	}
}

// decode decodes the jobs (at most g.rows), row i being jobs[i], with
// threads goroutines sharing every step of the batch. A job that fails
// records its error and leaves the batch; the others go on.
func (g *decoderGroup) decode(jobs []*decodeJob, threads int) {
	g.b.SetThreads(threads)
	defer g.b.Close()
	w := g.net.Window()
	g.active = g.active[:0]
	for i, j := range jobs {
		d, err := arith.NewDecoder(j.code)
		if err != nil {
			j.err = err
			continue
		}
		g.decoders[i] = d
		g.coders[i].reset(newStage(g.level), &decodeSymbol{d: d})
		g.active = append(g.active, i)
	}
	for t := 0; len(g.active) > 0; t++ {
		if t%w == 0 {
			// A new block: every row starts a fresh window.
			for _, r := range g.active {
				g.b.Reset(r)
				g.started[r] = len(jobs[r].out)
			}
		}
		rows := g.active
		g.b.Next(rows, g.probs[:len(rows)*256])
		for i, r := range rows {
			j := jobs[r]
			sym, err := g.coders[r].step(g.probs[i*256:(i+1)*256], 0)
			if err != nil && j.err == nil {
				j.err = err
			}
			g.syms[i] = sym
			j.out = append(j.out, sym)
		}
		g.b.Push(rows, g.syms[:len(rows)])
		// Close blocks that ended and drop rows that are done or failed.
		keep := g.active[:0]
		for _, r := range rows {
			j := jobs[r]
			if j.err != nil {
				continue
			}
			if (t+1)%w == 0 || t+1 == j.origLen {
				g.coders[r].st.endBlock(j.out[g.started[r]:])
			}
			if t+1 == j.origLen {
				// The code must end exactly here: nothing may follow.
				if err := g.decoders[r].Finish(); err != nil {
					j.err = fmt.Errorf("after byte %d: %w", t, err)
				}
				j.bits = g.coders[r].bits
				continue
			}
			keep = append(keep, r)
		}
		g.active = keep
	}
}
