package codec

import (
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// readerMemory bounds segments-per-batch × segment size of a Reader unless
// the thread count asks for more.
const readerMemory = 256 << 20

// rowsPerThread is how many batch rows (lanes of model-coded segments) a
// fill gathers per thread before it decodes: DefaultLanes, one group of a
// segment. More rows share each step's stream of the weights, but every
// row reads its own attention cache each patch, and past 8 rows of the
// binary16 models those caches no longer stay in L3 (see DefaultLanes).
const rowsPerThread = DefaultLanes

// Reader decompresses an .mbz stream. It reads segments until it holds
// rowsPerThread lanes per thread or max(threads, 16) segments, decodes the
// model-coded ones in lock-step, every lane a row of a model batch (threads
// batches at most, one goroutine each, so that the model multiplies
// matrices over many rows at once), verifies every checksum, and returns the
// bytes in order. At the end it verifies the trailer and refuses data after
// it. Memory is bounded by the segments and lanes in flight times the
// segment size and the model's attention cache per row.
//
// A Reader returns the canonical stream that was coded: for text and bytes,
// the original file. Any error is sticky and wraps one of the package's
// error values.
type Reader struct {
	wr    *wireReader
	o     options
	h     *header
	net   network
	zdec  *zstd.Decoder
	batch int // segments read per fill

	groups []*decoderGroup
	slots  []readSlot

	out   []byte // decoded bytes not yet returned are out[pos:]
	pos   int
	index int64  // segments decoded
	total int64  // bytes decoded
	crc   uint32 // CRC-32C of the bytes decoded
	err   error  // sticky; io.EOF after a verified end
}

// readSlot holds one segment of a fill.
type readSlot struct {
	rec     *record
	payload []byte
	dec     []byte // buffer for decoded bytes (zstd and model)
	data    []byte // the segment's bytes: payload (raw) or dec
	job     decodeJob
}

// NewReader reads the header from r and finds the model the file names.
// Options: WithModel, WithModelResolver, WithThreads, WithProgress.
func NewReader(r io.Reader, opts ...Option) (*Reader, error) {
	o := defaultOptions()
	if err := o.apply(opts); err != nil {
		return nil, err
	}
	wr := newWireReader(r)
	h, err := readHeader(wr)
	if err != nil {
		return nil, err
	}
	net, err := decoderNetwork(&o, h)
	if err != nil {
		return nil, err
	}
	n := max(o.threads, min(16, max(1, readerMemory/h.segmentSize)))
	return &Reader{
		wr:    wr,
		o:     o,
		h:     h,
		net:   net,
		batch: n,
		slots: make([]readSlot, n),
	}, nil
}

// Read reads decompressed bytes into p.
func (r *Reader) Read(p []byte) (int, error) {
	for r.pos == len(r.out) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.out[r.pos:])
	r.pos += n
	return n, nil
}

// fill reads, decodes and verifies the next batch of segments into r.out.
// Segments before a failing one are delivered before the error.
func (r *Reader) fill() {
	r.out, r.pos = r.out[:0], 0
	var ferr error
	end := false
	k, rows := 0, 0
	for k < r.batch && rows < r.o.threads*rowsPerThread {
		rec, err := readRecord(r.wr, r.index+int64(k), r.h)
		if err != nil {
			ferr = err
			break
		}
		if rec.method == methodEnd {
			end = true
			break
		}
		s := &r.slots[k]
		s.rec = rec
		s.payload, err = r.wr.bytes(s.payload, rec.codedLen, fmt.Sprintf("segment %d", r.index+int64(k)))
		if err == nil {
			err = checkPayload(rec, s.payload, r.index+int64(k))
		}
		if err != nil {
			ferr = err
			break
		}
		if rec.method == methodModel {
			rows += r.rowsOf(rec.origLen, rec.lanes)
		}
		k++
	}
	r.decodeSlots(r.slots[:k])
	for i := range k {
		s := &r.slots[i]
		if s.job.err != nil {
			ferr = s.job.err
			break
		}
		if crc32.Checksum(s.data, castagnoli) != s.rec.crc {
			ferr = newError(ErrChecksum, fmt.Sprintf("segment %d: checksum mismatch", r.index))
			break
		}
		r.out = append(r.out, s.data...)
		r.crc = crc32.Update(r.crc, castagnoli, s.data)
		r.total += int64(len(s.data))
		r.index++
	}
	if ferr == nil && end {
		ferr = r.finish()
	}
	if ferr != nil {
		r.err = ferr
		if r.zdec != nil {
			r.zdec.Close()
			r.zdec = nil
		}
	}
	if r.o.progress != nil {
		r.o.progress(r.wr.n, r.total)
	}
}

// finish reads and verifies the trailer and the end of input; it returns
// io.EOF when all is well.
func (r *Reader) finish() error {
	t, err := readTrailer(r.wr)
	if err != nil {
		return err
	}
	if err := checkTrailer(t, r.total, r.index); err != nil {
		return err
	}
	if t.crc != r.crc {
		return newError(ErrChecksum, "whole stream: checksum mismatch")
	}
	if err := checkEOF(r.wr); err != nil {
		return err
	}
	return io.EOF
}

// rowsOf returns the batch rows a model-coded segment of n bytes in lanes
// lanes takes.
func (r *Reader) rowsOf(n, lanes int) int {
	return laneOrder{n: n, w: r.net.Window(), lanes: lanes}.rows()
}

// decodeSlots decodes the slots' payloads into their data; a failure is
// left in the slot's job.err with the segment's context.
func (r *Reader) decodeSlots(slots []readSlot) {
	var jobs []*decodeJob
	var idx []int
	for i := range slots {
		s := &slots[i]
		s.job.err = nil
		seg := r.index + int64(i)
		switch s.rec.method {
		case methodRaw:
			s.data = s.payload
		case methodZstd:
			s.dec, s.job.err = r.unzstd(s.payload, s.dec, s.rec.origLen, seg)
			s.data = s.dec
		case methodModel:
			s.job.code, s.job.origLen, s.job.lanes, s.job.out = s.payload, s.rec.origLen, s.rec.lanes, s.dec[:0]
			jobs = append(jobs, &s.job)
			idx = append(idx, i)
		}
	}
	if len(jobs) == 0 {
		return
	}
	// One group (batch) per thread at most; each job goes to the group
	// with the fewest rows so far.
	g := min(r.o.threads, len(jobs))
	for len(r.groups) < g {
		r.groups = append(r.groups, newDecoderGroup(r.net, r.h.level, r.o.newStage))
	}
	parts := make([][]*decodeJob, g)
	rows := make([]int, g)
	for _, j := range jobs {
		gi := 0
		for i := range rows {
			if rows[i] < rows[gi] {
				gi = i
			}
		}
		parts[gi] = append(parts[gi], j)
		rows[gi] += r.rowsOf(j.origLen, j.lanes)
	}
	// Fewer segments than threads: the spare threads share the steps of
	// the groups' batches (a lone segment decodes on both cores). Threads
	// that share a step wait for each other spinning, so only as many as
	// the CPUs Go runs on do.
	cpus := max(g, min(r.o.threads, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for gi, part := range parts {
		threads := threadShare(cpus, g, gi)
		if g == 1 {
			r.groups[gi].decode(part, threads)
			break
		}
		wg.Go(func() { r.groups[gi].decode(part, threads) })
	}
	wg.Wait()
	for n, j := range jobs {
		s := &slots[idx[n]]
		s.dec, s.data = j.out, j.out
		if j.err != nil {
			j.err = newError(ErrCorrupt, fmt.Sprintf("segment %d: corrupt: %v", r.index+int64(idx[n]), j.err))
		}
	}
}

// zstdWindow is the zstd window for a segment size: the smallest power of
// two that holds a segment, within zstd's limits. The writer's frames never
// need more, so the reader refuses frames that ask for more memory.
func zstdWindow(segmentSize int) int {
	w := zstd.MinWindowSize
	for w < segmentSize && w < zstd.MaxWindowSize {
		w *= 2
	}
	return w
}

// unzstd decodes one zstd frame of exactly n bytes into buf.
func (r *Reader) unzstd(payload, buf []byte, n int, seg int64) ([]byte, error) {
	if r.zdec == nil {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(zstdWindow(r.h.segmentSize))),
		)
		if err != nil {
			return nil, fmt.Errorf("segment %d: zstd: %w", seg, err)
		}
		r.zdec = d
	}
	out, err := r.zdec.DecodeAll(payload, buf[:0])
	if err != nil {
		return buf, newError(ErrCorrupt, fmt.Sprintf("segment %d: corrupt: zstd: %v", seg, err))
	}
	if len(out) != n {
		return out, newError(ErrCorrupt, fmt.Sprintf("segment %d: corrupt: zstd gave %d bytes, want %d", seg, len(out), n))
	}
	return out, nil
}
