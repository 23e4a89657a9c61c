package codec

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/mbzip/mbzip/arith"
)

// Format constants. See the package documentation for the layout.
const (
	// Magic starts every .mbz file.
	Magic = "MBZ\x1a"
	// Version is the container format version this release writes. It
	// reads every version from MinVersion to Version: version 2 added
	// model-coded segments whose blocks are interleaved in lanes.
	Version = 2
	// MinVersion is the oldest format version this release reads.
	MinVersion = 1
	// MaxLanes is the most blocks a segment may interleave (record field
	// lanes). A reader steps each lane as a row of its model batch, so it
	// bounds the decoder's memory per segment: about 2 MiB of attention
	// cache per row for the text priors.
	MaxLanes = 64
	// DefaultLanes is the number of blocks the Writer interleaves: a
	// 32 KiB segment of 2 KiB windows is two groups of 8 lanes, which the
	// reader decodes as 8 batch rows (matrix × matrix per byte step)
	// instead of one. With the binary16 models 8 rows decode faster than
	// 16, whose attention caches do not stay in L3 (session 13, one core,
	// text-ref-v7-h16: 2.93–3.10 s for 256 KiB against 3.14–3.22; two
	// cores 1.60–1.67 against 1.75–1.83); 4 rows were no faster than 8.
	DefaultLanes = 8

	// MaxSegmentSize is the largest segment size a file may declare. It bounds
	// the memory a reader allocates per segment.
	MaxSegmentSize = 64 << 20
	// DefaultSegmentSize is the segment size of WithSegmentSize's default.
	// Decoding steps the segments in flight as the rows of one batch and is
	// bound by streaming the weights, so more rows decode faster: 32 KiB
	// decoded 256 KiB of text about 1.3 × faster than 64 KiB, on 1 and 2
	// threads, for 0.11 % more bytes (the model's context restarts every
	// Window() bytes anyway; a segment adds its framing and coder flush).
	// Three alternating runs each on the 2-core development host: 1 thread
	// 23.1–25.3 s (64 KiB) against 18.0–19.9 s, 2 threads 12.1–16.9 s
	// against 9.3–12.5 s.
	DefaultSegmentSize = 32 << 10
	// MaxModelName is the longest model name, in bytes, a header may hold.
	MaxModelName = 255
	// MaxSideInfo is the most modality side information a header may hold.
	MaxSideInfo = 16 << 20

	// maxHeaderBody bounds the header body: name, fingerprint, level,
	// modality, side information and segment size with their length prefixes.
	maxHeaderBody = 1 + MaxModelName + 32 + 2 + binary.MaxVarintLen64 + MaxSideInfo + binary.MaxVarintLen64
	// readChunk is the largest allocation made ahead of the data actually
	// read: a length field that lies costs at most this much memory.
	readChunk = 1 << 20
	// bitsFrac is the number of fractional bits of the recorded model cost.
	bitsFrac = 16
)

// method says how a segment's bytes are stored. The high bit flags that the
// record carries the model's cost of the segment.
type method uint8

const (
	methodEnd   method = 0 // end marker: the trailer follows
	methodModel method = 1 // arithmetic-coded with the model
	methodRaw   method = 2 // the original bytes
	methodZstd  method = 3 // one zstd frame
	// methodModelLanes is methodModel with the blocks coded in interleaved
	// lanes (version 2). In memory it is methodModel with record.lanes > 1;
	// only the wire uses this value.
	methodModelLanes method = 4

	flagBits method = 0x80
)

func (m method) String() string {
	switch m {
	case methodModel:
		return "model"
	case methodRaw:
		return "raw"
	case methodZstd:
		return "zstd"
	case methodEnd:
		return "end"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// maxCodedLen is the longest coded form a model- or zstd-coded segment of n
// bytes may have. The writer keeps them strictly shorter than n (otherwise it
// stores the segment raw); readers accept n + n/8 + 64 so that a writer may
// prefer a method that is a little longer (tests force the model's code of
// random data) without a format change.
func maxCodedLen(n int) int {
	return n + n/8 + 64
}

// castagnoli is the CRC-32C table used for every checksum of the format;
// the standard library computes it with the CPU's CRC instruction.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the file header after the magic number and version.
type header struct {
	version     int
	modelName   string
	fingerprint [32]byte
	level       int
	modality    uint8
	side        []byte
	segmentSize int
}

// record is one segment record without its payload.
type record struct {
	method   method // without flagBits
	origLen  int
	codedLen int
	hasBits  bool
	bits     uint64 // Σ −log2 p in units of 2^-bitsFrac bits, when hasBits
	crc      uint32 // CRC-32C of the original bytes
	// lanes is how many blocks of a model-coded segment are interleaved
	// (1: block after block, the only way of version 1). See laneOrder.
	lanes int
	// codedCRC is the CRC-32C of the payload of a model- or zstd-coded
	// segment (raw payloads are covered by crc). Decoding alone does not
	// notice every damaged bit: the last bytes of an arithmetic code have
	// slack, so a flip there can decode to the same bytes.
	codedCRC uint32
}

// trailer ends a file.
type trailer struct {
	total    uint64 // original length
	segments uint64
	crc      uint32 // CRC-32C of the whole original
}

// appendHeader appends magic, version, header and header checksum to dst.
func appendHeader(dst []byte, h *header) []byte {
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(h.modelName)))
	body = append(body, h.modelName...)
	body = append(body, h.fingerprint[:]...)
	body = append(body, byte(h.level), h.modality)
	body = binary.AppendUvarint(body, uint64(len(h.side)))
	body = append(body, h.side...)
	body = binary.AppendUvarint(body, uint64(h.segmentSize))

	start := len(dst)
	dst = append(dst, Magic...)
	v := h.version
	if v == 0 {
		v = Version
	}
	dst = binary.AppendUvarint(dst, uint64(v))
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	dst = append(dst, body...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// appendRecord appends a segment record (without payload) to dst.
func appendRecord(dst []byte, r *record) []byte {
	start := len(dst)
	m := r.method
	lanes := r.method == methodModel && r.lanes > 1
	if lanes {
		m = methodModelLanes
	}
	if r.hasBits {
		m |= flagBits
	}
	dst = append(dst, byte(m))
	dst = binary.AppendUvarint(dst, uint64(r.origLen))
	dst = binary.AppendUvarint(dst, uint64(r.codedLen))
	if r.hasBits {
		dst = binary.AppendUvarint(dst, r.bits)
	}
	if lanes {
		dst = binary.AppendUvarint(dst, uint64(r.lanes))
	}
	dst = binary.LittleEndian.AppendUint32(dst, r.crc)
	if r.method != methodRaw {
		dst = binary.LittleEndian.AppendUint32(dst, r.codedCRC)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// appendTrailer appends the end marker and the trailer to dst.
func appendTrailer(dst []byte, t *trailer) []byte {
	start := len(dst)
	dst = append(dst, byte(methodEnd))
	dst = binary.AppendUvarint(dst, t.total)
	dst = binary.AppendUvarint(dst, t.segments)
	dst = binary.LittleEndian.AppendUint32(dst, t.crc)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// wireReader reads the container. It counts the bytes it consumes, can keep
// a copy of them (the "tee") so that a checksum over a structure can be
// verified after parsing it, and turns a premature end of input into
// ErrTruncated with the context given.
type wireReader struct {
	r   io.ByteReader
	rd  io.Reader
	n   int64 // bytes consumed
	tee []byte
	on  bool
}

func newWireReader(r io.Reader) *wireReader {
	br, ok := r.(interface {
		io.Reader
		io.ByteReader
	})
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &wireReader{r: br, rd: br}
}

// startTee starts keeping the bytes read; endTee returns them and stops.
func (w *wireReader) startTee() { w.tee, w.on = w.tee[:0], true }
func (w *wireReader) endTee() []byte {
	w.on = false
	return w.tee
}

// ioError converts an error from the underlying reader: an end of input
// becomes ErrTruncated, anything else is returned with context.
func ioError(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(ErrTruncated, what+": truncated input")
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (w *wireReader) ReadByte() (byte, error) {
	c, err := w.r.ReadByte()
	if err != nil {
		return 0, err
	}
	w.n++
	if w.on {
		w.tee = append(w.tee, c)
	}
	return c, nil
}

func (w *wireReader) byte(what string) (byte, error) {
	c, err := w.ReadByte()
	if err != nil {
		return 0, ioError(err, what)
	}
	return c, nil
}

// uvarint reads an unsigned varint and checks lo ≤ v ≤ hi.
func (w *wireReader) uvarint(what string, lo, hi uint64) (uint64, error) {
	v, err := binary.ReadUvarint(w)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, ioError(err, what)
		}
		return 0, newError(ErrCorrupt, what+": corrupt: malformed number")
	}
	if v < lo || v > hi {
		return 0, newError(ErrCorrupt, fmt.Sprintf("%s: corrupt: %d out of range [%d, %d]", what, v, lo, hi))
	}
	return v, nil
}

func (w *wireReader) uint32(what string) (uint32, error) {
	var b [4]byte
	for i := range b {
		c, err := w.byte(what)
		if err != nil {
			return 0, err
		}
		b[i] = c
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// bytes reads exactly n bytes into buf (reusing its capacity) and returns
// them. It allocates at most readChunk bytes ahead of the data that actually
// arrives, so a length field that lies cannot make it allocate much. The
// bytes are not teed.
func (w *wireReader) bytes(buf []byte, n int, what string) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < n {
		want := min(n, len(buf)+readChunk)
		if cap(buf) < want {
			nb := make([]byte, len(buf), max(want, min(n, 2*cap(buf))))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(w.rd, buf[len(buf):want])
		w.n += int64(m)
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, ioError(err, what)
		}
	}
	return buf, nil
}

// readHeader reads magic, version, header and its checksum.
func readHeader(w *wireReader) (*header, error) {
	w.startTee()
	for i := range len(Magic) {
		c, err := w.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return nil, newError(ErrTruncated, "empty input: truncated input")
			}
			return nil, ioError(err, "magic")
		}
		if c != Magic[i] {
			return nil, newError(ErrBadMagic, "not an mbz file (bad magic number)")
		}
	}
	v, err := w.uvarint("format version", 0, math.MaxUint64)
	if err != nil {
		return nil, err
	}
	if v < MinVersion || v > Version {
		return nil, newError(ErrUnsupportedVersion, fmt.Sprintf("unsupported format version %d (this mbzip reads %d to %d)", v, MinVersion, Version))
	}
	n, err := w.uvarint("header length", 1, maxHeaderBody)
	if err != nil {
		return nil, err
	}
	// The body is small except for side information, so it is read through
	// the chunked reader and then appended to the tee for the checksum.
	tee := w.endTee()
	body, err := w.bytes(nil, int(n), "header")
	if err != nil {
		return nil, err
	}
	sum := crc32.Update(crc32.Checksum(tee, castagnoli), castagnoli, body)
	want, err := w.uint32("header checksum")
	if err != nil {
		return nil, err
	}
	if sum != want {
		return nil, newError(ErrChecksum, "header: checksum mismatch")
	}
	h, err := parseHeaderBody(body)
	if err != nil {
		return nil, err
	}
	h.version = int(v)
	return h, nil
}

// parseHeaderBody parses a header body whose checksum has been verified.
// Every field is still range-checked: the checksum protects against damage,
// not against a hostile or buggy writer.
func parseHeaderBody(body []byte) (*header, error) {
	corrupt := func(msg string) error { return newError(ErrCorrupt, "header: corrupt: "+msg) }
	p := body
	uv := func(what string, hi uint64) (uint64, error) {
		v, k := binary.Uvarint(p)
		if k <= 0 {
			return 0, corrupt("malformed " + what)
		}
		if v > hi {
			return 0, corrupt(fmt.Sprintf("%s %d exceeds %d", what, v, hi))
		}
		p = p[k:]
		return v, nil
	}
	var h header
	nl, err := uv("model name length", MaxModelName)
	if err != nil {
		return nil, err
	}
	if uint64(len(p)) < nl+32+2 {
		return nil, corrupt("too short")
	}
	h.modelName = string(p[:nl])
	if !utf8.ValidString(h.modelName) {
		return nil, corrupt("model name is not UTF-8")
	}
	p = p[nl:]
	copy(h.fingerprint[:], p)
	p = p[32:]
	h.level, h.modality = int(p[0]), p[1]
	p = p[2:]
	if h.level < MinLevel || h.level > MaxLevel {
		return nil, corrupt(fmt.Sprintf("level %d out of range [%d, %d]", h.level, MinLevel, MaxLevel))
	}
	sl, err := uv("side information length", MaxSideInfo)
	if err != nil {
		return nil, err
	}
	if uint64(len(p)) < sl {
		return nil, corrupt("side information longer than the header")
	}
	if sl > 0 {
		h.side = append([]byte(nil), p[:sl]...)
	}
	p = p[sl:]
	ss, err := uv("segment size", MaxSegmentSize)
	if err != nil {
		return nil, err
	}
	if ss == 0 {
		return nil, corrupt("segment size 0")
	}
	h.segmentSize = int(ss)
	if len(p) != 0 {
		return nil, corrupt(fmt.Sprintf("%d unexpected bytes at the end", len(p)))
	}
	return &h, nil
}

// readRecord reads the record of segment idx, or the end marker (method
// methodEnd, other fields zero). h is the file's header.
func readRecord(w *wireReader, idx int64, h *header) (*record, error) {
	segSize := h.segmentSize
	ctx := fmt.Sprintf("segment %d", idx)
	w.startTee()
	defer w.endTee()
	c, err := w.byte(ctx)
	if err != nil {
		return nil, err
	}
	r := &record{method: method(c) &^ flagBits, hasBits: method(c)&flagBits != 0, lanes: 1}
	lanes := r.method == methodModelLanes && h.version >= 2
	if lanes {
		r.method = methodModel
	}
	switch {
	case r.method == methodEnd:
		if r.hasBits {
			return nil, newError(ErrCorrupt, fmt.Sprintf("%s: corrupt: unknown method byte %#x", ctx, c))
		}
		return r, nil
	case r.method == methodModel, r.method == methodRaw, r.method == methodZstd:
	default:
		return nil, newError(ErrCorrupt, fmt.Sprintf("%s: corrupt: unknown method byte %#x", ctx, c))
	}
	ol, err := w.uvarint(ctx+": original length", 1, uint64(segSize))
	if err != nil {
		return nil, err
	}
	r.origLen = int(ol)
	lo, hi := uint64(1), uint64(maxCodedLen(int(ol)))
	if r.method == methodRaw {
		lo, hi = ol, ol
	}
	cl, err := w.uvarint(ctx+": coded length", lo, hi)
	if err != nil {
		return nil, err
	}
	r.codedLen = int(cl)
	if r.hasBits {
		// A byte costs at most arith.TotalBits bits: the smallest frequency is 1.
		if r.bits, err = w.uvarint(ctx+": model cost", 0, ol*arith.TotalBits<<bitsFrac); err != nil {
			return nil, err
		}
	}
	if lanes {
		l, err := w.uvarint(ctx+": lanes", 2, MaxLanes)
		if err != nil {
			return nil, err
		}
		r.lanes = int(l)
	}
	if r.crc, err = w.uint32(ctx + ": checksum"); err != nil {
		return nil, err
	}
	if r.method != methodRaw {
		if r.codedCRC, err = w.uint32(ctx + ": coded checksum"); err != nil {
			return nil, err
		}
	}
	sum := crc32.Checksum(w.tee, castagnoli)
	want, err := w.uint32(ctx + ": record checksum")
	if err != nil {
		return nil, err
	}
	if sum != want {
		return nil, newError(ErrChecksum, ctx+": record checksum mismatch")
	}
	return r, nil
}

// checkPayload verifies the payload of a model- or zstd-coded segment
// against the record.
func checkPayload(r *record, payload []byte, idx int64) error {
	if r.method != methodRaw && crc32.Checksum(payload, castagnoli) != r.codedCRC {
		return newError(ErrChecksum, fmt.Sprintf("segment %d: coded data checksum mismatch", idx))
	}
	return nil
}

// readTrailer reads the trailer after the end marker (which readRecord has
// consumed, so the tee holds it).
func readTrailer(w *wireReader) (*trailer, error) {
	// Keep the end marker in the tee: the trailer checksum covers it.
	w.on = true
	defer w.endTee()
	var t trailer
	var err error
	if t.total, err = w.uvarint("trailer: original length", 0, 1<<63-1); err != nil {
		return nil, err
	}
	if t.segments, err = w.uvarint("trailer: segment count", 0, 1<<63-1); err != nil {
		return nil, err
	}
	if t.crc, err = w.uint32("trailer: checksum"); err != nil {
		return nil, err
	}
	sum := crc32.Checksum(w.tee, castagnoli)
	want, err := w.uint32("trailer: trailer checksum")
	if err != nil {
		return nil, err
	}
	if sum != want {
		return nil, newError(ErrChecksum, "trailer: checksum mismatch")
	}
	return &t, nil
}

// checkTrailer compares a verified trailer with what the reader counted.
func checkTrailer(t *trailer, total, segments int64) error {
	if t.total != uint64(total) || t.segments != uint64(segments) {
		return newError(ErrCorrupt, fmt.Sprintf("trailer: corrupt: says %d bytes in %d segments, found %d bytes in %d segments",
			t.total, t.segments, total, segments))
	}
	return nil
}

// checkEOF reports data after the trailer as corruption.
func checkEOF(w *wireReader) error {
	_, err := w.r.ReadByte()
	switch {
	case err == nil:
		return newError(ErrCorrupt, "corrupt: data after the end of the mbz stream")
	case errors.Is(err, io.EOF):
		return nil
	}
	return fmt.Errorf("after the trailer: %w", err)
}

// costQ16 returns −log2(f / arith.Total) in units of 2^-bitsFrac bits, the
// ideal cost of coding a symbol of frequency f (1 ≤ f ≤ arith.Total). It is
// integer arithmetic (a binary logarithm by repeated squaring), so the cost a
// file records is the same on every platform.
func costQ16(f uint32) uint64 {
	n := bits.Len32(f) - 1 // integer part of log2 f
	x := uint64(f) << (31 - n)
	// x is f normalised into [2^31, 2^32): 1.xxx in Q31. Each squaring yields
	// one more fractional bit of log2 f.
	var frac uint64
	for i := bitsFrac - 1; i >= 0; i-- {
		x = x * x >> 31
		if x >= 1<<32 {
			x >>= 1
			frac |= 1 << i
		}
	}
	return uint64(arith.TotalBits-n)<<bitsFrac - frac
}
