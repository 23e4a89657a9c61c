package arith

import "fmt"

// Decoder decodes a stream written by Encoder from a byte slice. It never
// reads past the slice; the six zero bytes that Finish leaves implied are
// supplied virtually. Use it from one goroutine.
//
// Errors from the stream (ErrCorrupt, ErrTruncated) are sticky: once one is
// returned, every later call returns it. An invalid frequency table from the
// caller (ErrInvalidFreqs) leaves the decoder unchanged.
type Decoder struct {
	src    []byte
	pos    int    // index of the next byte; beyond len(src) counts virtual zeros
	code   uint64 // code value minus low; always < rng
	rng    uint64
	r      uint64 // rng >> TotalBits of the pending Target, 0 when none
	target uint32
	err    error
}

// NewDecoder returns a Decoder over src, which must be a whole stream as
// returned by Encoder.Finish (never empty).
func NewDecoder(src []byte) (*Decoder, error) {
	d := new(Decoder)
	if err := d.Reset(src); err != nil {
		return nil, err
	}
	return d, nil
}

// Reset starts decoding the stream src, reusing d.
func (d *Decoder) Reset(src []byte) error {
	*d = Decoder{src: src, rng: initRange}
	if len(src) == 0 {
		d.err = fmt.Errorf("%w: empty stream", ErrTruncated)
		return d.err
	}
	for range windowBits / 8 {
		d.code = d.code<<8 | uint64(d.next())
	}
	if d.code >= d.rng {
		d.err = fmt.Errorf("%w: initial code value %#x outside the range", ErrCorrupt, d.code)
		return d.err
	}
	return nil
}

// next returns the next input byte, or a virtual zero past the end.
func (d *Decoder) next() byte {
	if d.pos < len(d.src) {
		b := d.src[d.pos]
		d.pos++
		return b
	}
	d.pos++
	return 0
}

// Decode decodes one symbol coded with the frequency table freqs (256 entries
// summing to Total). It builds the table's prefix sums; a loop that already
// has them in a Cumulative should call DecodeCumulative.
func (d *Decoder) Decode(freqs []uint32) (byte, error) {
	if d.err != nil {
		return 0, d.err
	}
	var c Cumulative
	if err := c.Set(freqs); err != nil {
		return 0, fmt.Errorf("arith: decode: %w", err)
	}
	return d.DecodeCumulative(&c)
}

// DecodeCumulative decodes one symbol coded with the table c.
func (d *Decoder) DecodeCumulative(c *Cumulative) (byte, error) {
	if !c.valid() {
		return 0, fmt.Errorf("arith: decode: %w: Cumulative not set", ErrInvalidFreqs)
	}
	t, err := d.Target()
	if err != nil {
		return 0, err
	}
	sym := c.Find(t)
	lo, f := c.Range(sym)
	return sym, d.Consume(lo, f)
}

// Target returns the cumulative frequency t in [0, Total) that the code value
// points at: the coded symbol is the one whose range [lo, lo+freq) holds t.
// Call Consume with that range before the next Target.
func (d *Decoder) Target() (uint32, error) {
	if d.err != nil {
		return 0, d.err
	}
	r := d.rng >> TotalBits
	t := d.code / r
	if t >= Total {
		// The encoder only ever produces values below r*Total.
		d.err = fmt.Errorf("%w: code value past the frequency total (input byte %d)", ErrCorrupt, d.pos)
		return 0, d.err
	}
	d.r, d.target = r, uint32(t)
	return d.target, nil
}

// Consume removes the symbol with range [lo, lo+freq) from the stream; the
// range must hold the value returned by the preceding Target.
func (d *Decoder) Consume(lo, freq uint32) error {
	if d.err != nil {
		return d.err
	}
	if d.r == 0 {
		return fmt.Errorf("%w: Consume without Target", ErrInvalidFreqs)
	}
	if d.target < lo || uint64(d.target) >= uint64(lo)+uint64(freq) {
		return fmt.Errorf("%w: range [%d, %d+%d) does not hold target %d", ErrInvalidFreqs, lo, lo, freq, d.target)
	}
	// lo ≤ code/r < lo+freq, so the new code lies in [0, r*freq).
	d.code -= d.r * uint64(lo)
	d.rng = d.r * uint64(freq)
	d.r = 0
	for d.rng < topValue {
		d.code = d.code<<8 | uint64(d.next())
		d.rng <<= 8
	}
	if d.pos-len(d.src) > maxVirtual {
		d.err = fmt.Errorf("%w: decoded past the end of the %d-byte stream", ErrTruncated, len(d.src))
		return d.err
	}
	return nil
}

// Finish reports whether decoding ended exactly where the encoder's stream
// ended: after every coded symbol has been decoded it returns nil, and it
// returns ErrCorrupt when input bytes remain unread (trailing garbage, or
// fewer symbols decoded than were coded).
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if unread := len(d.src) + maxVirtual - d.pos; unread > 0 {
		return fmt.Errorf("%w: %d bytes left after the last symbol", ErrCorrupt, unread)
	}
	return nil
}
