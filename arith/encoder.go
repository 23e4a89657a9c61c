package arith

import "fmt"

// Encoder is a range coder that appends its stream to a byte slice. Use it
// from one goroutine. The zero value is not usable; call NewEncoder.
//
// Encoding methods have no error result: an invalid table or a call after
// Finish is recorded, the call is ignored, and Err reports the first such
// error. A stream whose Encoder reports an error must not be used.
type Encoder struct {
	dst     []byte
	start   int    // len(dst) when the stream began
	low     uint64 // window of the interval's lower bound, plus a carry bit
	rng     uint64 // width of the interval, in (topValue, initRange] after normalisation
	cache   byte   // last byte shifted out, still open to a carry
	pending int    // 0xFF bytes shifted out after cache, also open to a carry
	started bool   // cache holds a real byte rather than the virtual leading 0
	done    bool
	err     error
}

// NewEncoder returns an Encoder that appends to dst.
func NewEncoder(dst []byte) *Encoder {
	e := new(Encoder)
	e.Reset(dst)
	return e
}

// Reset discards the encoder's state and starts a new stream appended to dst,
// so that one Encoder (and its buffer) can be reused without allocation.
func (e *Encoder) Reset(dst []byte) {
	*e = Encoder{dst: dst, start: len(dst), rng: initRange}
}

// Err returns the first error recorded by Encode, EncodeCumulative or
// EncodeRange, or nil.
func (e *Encoder) Err() error { return e.err }

// Encode codes sym with the frequency table freqs (256 entries summing to
// Total; freqs[sym] must be at least 1). It validates and sums the whole table,
// about 256 additions; a loop that already has the table in a Cumulative
// should call EncodeCumulative.
func (e *Encoder) Encode(freqs []uint32, sym byte) {
	if !e.ok() {
		return
	}
	lo, f, err := symbolRange(freqs, sym)
	if err != nil {
		e.err = fmt.Errorf("arith: encode symbol %d: %w", sym, err)
		return
	}
	e.encode(lo, f)
}

// EncodeCumulative codes sym with the table c.
func (e *Encoder) EncodeCumulative(c *Cumulative, sym byte) {
	if !e.ok() {
		return
	}
	if !c.valid() {
		e.err = fmt.Errorf("%w: Cumulative not set", ErrInvalidFreqs)
		return
	}
	lo, f := c.Range(sym)
	if f == 0 {
		e.err = fmt.Errorf("%w: coded symbol %d has frequency 0", ErrInvalidFreqs, sym)
		return
	}
	e.encode(lo, f)
}

// EncodeRange codes the sub-interval [lo, lo+freq) of [0, Total): the symbol
// whose cumulative frequency is lo and whose frequency is freq ≥ 1. The
// decoder's counterpart is Target followed by Consume.
func (e *Encoder) EncodeRange(lo, freq uint32) {
	if !e.ok() {
		return
	}
	if freq == 0 || uint64(lo)+uint64(freq) > Total {
		e.err = fmt.Errorf("%w: range [%d, %d+%d) is empty or exceeds %d", ErrInvalidFreqs, lo, lo, freq, Total)
		return
	}
	e.encode(lo, freq)
}

func (e *Encoder) ok() bool {
	if e.err != nil {
		return false
	}
	if e.done {
		e.err = ErrFinished
		return false
	}
	return true
}

// encode narrows the interval to [lo, lo+f) of the current one; f ≥ 1 and
// lo+f ≤ Total are the caller's responsibility.
func (e *Encoder) encode(lo, f uint32) {
	r := e.rng >> TotalBits // ≥ 2^24 since rng ≥ topValue
	e.low += r * uint64(lo)
	e.rng = r * uint64(f)
	for e.rng < topValue { // at most three times: rng ≥ r ≥ 2^24
		e.shiftLow()
		e.rng <<= 8
	}
}

// shiftLow moves the top byte of the window out of low. The byte is held in
// the cache (or counted as pending when it is 0xFF) until a later byte proves
// that no carry can reach it any more, or a carry arrives.
func (e *Encoder) shiftLow() {
	if e.low < ffWindow || e.low > windowMask {
		// Either no carry can ever reach the held bytes (the new top byte
		// is below 0xFF, so a carry would stop there) or one has arrived.
		carry := byte(e.low >> windowBits)
		if e.started {
			e.dst = append(e.dst, e.cache+carry)
		}
		e.started = true
		for ; e.pending > 0; e.pending-- {
			e.dst = append(e.dst, 0xFF+carry)
		}
		e.cache = byte(e.low >> (windowBits - 8))
	} else {
		e.pending++
	}
	e.low = e.low << 8 & windowMask
}

// Len returns the length, in bytes, that the stream would have if Finish were
// called now (not counting the prefix of dst given to NewEncoder or Reset).
func (e *Encoder) Len() int {
	if e.done {
		return len(e.dst) - e.start
	}
	n := len(e.dst) - e.start + e.pending + 1
	if e.started {
		n++
	}
	return n
}

// Finish writes the last bytes of the stream and returns dst with the stream
// appended. It may be called more than once; later encoding is an error.
// Check Err before using the result.
func (e *Encoder) Finish() []byte {
	if e.done {
		return e.dst
	}
	e.done = true
	// The value in [low, low+rng) with the most trailing zero bits within
	// reach: low rounded up to a multiple of 2^48, which is below low+rng
	// because rng ≥ 2^48. It may carry into bit 56.
	const tail = topValue - 1
	e.low = (e.low + tail) &^ tail
	e.shiftLow() // settles everything before the value's top byte
	e.shiftLow() // writes that byte; the remaining six are zero
	return e.dst
}
