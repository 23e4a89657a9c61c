package codec

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/mbzip/mbzip/modalities"
)

// Writer compresses to an .mbz stream. It buffers up to threads × segment
// size bytes, codes those segments in parallel (one goroutine each) and
// writes them in order, so its memory is bounded by the thread count and the
// segment size, not by the input (each goroutine also holds the model's
// distributions of one block, Window() KiB, and the coder intervals of one
// group of lanes, 16 bytes per byte). The output is the same for every
// thread count.
//
// A Writer is not safe for concurrent use. Close must be called to write the
// trailer; it does not close the underlying writer.
type Writer struct {
	w       io.Writer
	o       options
	net     network
	zenc    *zstd.Encoder
	workers []*segmentEncoder
	side    []byte

	buf      []byte // pending input, at most threads × segment size
	header   bool   // the header has been written
	in, out  int64
	segments int64
	crc      uint32 // CRC-32C of all input so far
	err      error  // sticky
	closed   bool

	// xentBits is the model's float cross-entropy of the segments written,
	// summed in segment order (encode_xent.go; EncodeAllInfo reports it).
	xentBits float64
}

// errClosed is returned by Write after Close.
var errClosed = errors.New("codec: write to a closed Writer")

// NewWriter returns a Writer that compresses to w. Options: WithModel,
// WithLevel, WithThreads, WithSegmentSize, WithLanes, WithModality,
// WithProgress.
//
// The Writer codes the bytes written to it as they are and records the
// modality; it does not Serialize them, which for text and bytes is the
// identity. EncodeAll serializes whole files of any modality.
func NewWriter(w io.Writer, opts ...Option) (*Writer, error) {
	o := defaultOptions()
	if err := o.apply(opts); err != nil {
		return nil, err
	}
	// Without a model or a modality, the network is the detected modality's
	// default, chosen in writeHeader once the first segment is buffered.
	var net network
	if explicitNetwork(&o) {
		var err error
		if net, err = encoderNetwork(&o, o.modality); err != nil {
			return nil, err
		}
	}
	zenc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
		zstd.WithEncoderConcurrency(o.threads),
		zstd.WithEncoderCRC(false),
		zstd.WithLowerEncoderMem(true),
		zstd.WithWindowSize(zstdWindow(o.segmentSize)),
	)
	if err != nil {
		return nil, fmt.Errorf("codec: zstd: %w", err)
	}
	wr := &Writer{
		w:    w,
		o:    o,
		net:  net,
		zenc: zenc,
		buf:  make([]byte, 0, o.threads*o.segmentSize),
	}
	wr.workers = make([]*segmentEncoder, o.threads)
	return wr, nil
}

// setSide sets the modality side information recorded in the header (the
// whole-buffer helpers use it; it must be called before the first Write).
func (w *Writer) setSide(side []byte) {
	w.side = side
}

// Write buffers p, compressing and writing full batches of segments as they
// fill.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errClosed
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Close compresses what is buffered and writes the end marker and trailer.
// It does not close the underlying writer. Closing twice is harmless.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	defer w.zenc.Close()
	if w.err != nil {
		return w.err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	t := trailer{total: uint64(w.in), segments: uint64(w.segments), crc: w.crc}
	if err := w.emit(appendTrailer(nil, &t)); err != nil {
		return err
	}
	w.report()
	return nil
}

func (w *Writer) report() {
	if w.o.progress != nil {
		w.o.progress(w.in, w.out)
	}
}

// emit writes b to the underlying writer, making any error sticky.
func (w *Writer) emit(b []byte) error {
	n, err := w.w.Write(b)
	w.out += int64(n)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("codec: writing: %w", err)
		return w.err
	}
	return nil
}

// writeHeader writes the header once, detecting the modality from the
// first segment unless WithModality set it.
func (w *Writer) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	kind := w.o.modality
	if !w.o.modalitySet {
		kind = modalities.Detect(w.buf[:min(len(w.buf), w.o.segmentSize)])
	}
	if w.net == nil {
		net, err := encoderNetwork(&w.o, kind)
		if err != nil {
			return err
		}
		w.net = net
	}
	h := header{
		modelName:   w.net.Name(),
		fingerprint: w.net.Fingerprint(),
		level:       w.o.level,
		modality:    uint8(kind),
		side:        w.side,
		segmentSize: w.o.segmentSize,
	}
	return w.emit(appendHeader(nil, &h))
}

// flush codes and writes every buffered segment (the last one may be
// partial only when called from Close).
func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	ss := w.o.segmentSize
	n := (len(w.buf) + ss - 1) / ss
	for i := range n {
		if w.workers[i] == nil {
			w.workers[i] = &segmentEncoder{net: w.net, zenc: w.zenc, level: w.o.level, lanes: w.o.lanes, force: w.o.forceMethod, stage: w.o.newStage}
		}
	}
	// Fewer segments than threads: the spare threads run the model over
	// more blocks of the segments at once.
	threads := max(w.o.threads, 1)
	if n == 1 {
		w.workers[0].encode(w.buf, threads)
	} else {
		var wg sync.WaitGroup
		for i := range n {
			seg := w.buf[i*ss : min((i+1)*ss, len(w.buf))]
			t := threadShare(threads, n, i)
			wg.Go(func() { w.workers[i].encode(seg, t) })
		}
		wg.Wait()
	}
	for i := range n {
		e := w.workers[i]
		if e.err != nil {
			w.err = fmt.Errorf("codec: segment %d: %w", w.segments, e.err)
			return w.err
		}
		if err := w.emit(e.rec); err != nil {
			return err
		}
		w.segments++
		w.xentBits += e.xent
	}
	w.in += int64(len(w.buf))
	w.crc = crc32.Update(w.crc, castagnoli, w.buf)
	w.buf = w.buf[:0]
	w.report()
	return nil
}

// segmentEncoder codes one segment at a time; each goroutine of a flush has
// its own, with its own scratch.
type segmentEncoder struct {
	net   network
	zenc  *zstd.Encoder
	level int
	lanes int // blocks interleaved (DefaultLanes)
	force method

	stage func(level int) stage
	enc   encodeScratch
	code  []byte
	zbuf  []byte
	rec   []byte // the record and payload of the last segment
	err   error

	// xent is the float cross-entropy of the last segment.
	xent float64
}

// encode codes seg with the model, compares with zstd and the raw bytes,
// and leaves the shortest as a complete record in e.rec. Ties go to the
// cheaper method to decode (raw, then zstd).
func (e *segmentEncoder) encode(seg []byte, threads int) {
	e.err = nil
	lanes := laneOrder{n: len(seg), w: e.net.Window(), lanes: max(e.lanes, 1)}.rows()
	code, cost, xent, err := encodeModel(e.net, e.stage(e.level), seg, e.code[:0], &e.enc, threads, lanes)
	e.xent = xent
	if err != nil {
		e.err = err
		return
	}
	e.code = code
	r := record{origLen: len(seg), hasBits: true, bits: cost, lanes: lanes, crc: crc32.Checksum(seg, castagnoli)}
	payload := seg
	r.method = methodRaw
	if e.force != methodRaw {
		e.zbuf = e.zenc.EncodeAll(seg, e.zbuf[:0])
		switch {
		case e.force == methodModel && len(code) <= maxCodedLen(len(seg)):
			r.method, payload = methodModel, code
		case e.force == methodZstd:
			r.method, payload = methodZstd, e.zbuf
		case len(code) < len(seg) && len(code) < len(e.zbuf):
			r.method, payload = methodModel, code
		case len(e.zbuf) < len(seg):
			r.method, payload = methodZstd, e.zbuf
		}
	}
	r.codedLen = len(payload)
	if r.method != methodRaw {
		r.codedCRC = crc32.Checksum(payload, castagnoli)
	}
	e.rec = append(appendRecord(e.rec[:0], &r), payload...)
}
