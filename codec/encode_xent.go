package codec

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/mbzip/mbzip/modalities"
)

// This file gives the encoder's by-product that measurements need: the
// model's float cross-entropy of the bytes it codes. The encoder runs the
// model over every byte of every segment anyway (it must, to choose between
// the model and storing), so `mbzip bpb` reads the cross-entropy from the
// coding pass instead of running the model a second time. Nothing here is
// on the probability path: the figure is computed beside it and never
// reaches the quantizer, the coder or the file.

// maxXentBits is what one byte costs at most in CrossEntropyBits: a
// probability that underflowed to 0 in float32 counts as the smallest
// positive float32, 2^-149 (corpus.streamBits counts it the same way).
const maxXentBits = 149

// xentBits is −log2 p in float64 (math.Log2: a report, not the probability
// path), maxXentBits for p = 0, and NaN for a probability that is NaN or
// outside [0, 1], which makes the whole sum NaN: the model is broken.
func xentBits(p float32) float64 {
	switch {
	case p > 0 && p <= 1:
		return -math.Log2(float64(p))
	case p == 0:
		return maxXentBits
	}
	return math.NaN()
}

// EncodeAllInfo is EncodeAll that also returns the Info of the file it
// wrote: what Inspect would read from it, and CrossEntropyBits, the model's
// cross-entropy of the coded stream (see Info), from the same model pass
// that coded it. ctx is checked between batches of segments (threads ×
// segment size bytes); when it is done the work stops and its error is
// returned. The file is byte for byte EncodeAll's.
func EncodeAllInfo(ctx context.Context, src []byte, opts ...Option) ([]byte, *Info, error) {
	o := defaultOptions()
	if err := o.apply(opts); err != nil {
		return nil, nil, err
	}
	kind := o.modality
	if !o.modalitySet {
		kind = modalities.Detect(src)
	}
	stream, side, err := modalities.Serialize(kind, src)
	if err != nil {
		return nil, nil, fmt.Errorf("codec: %w", err)
	}
	if len(side) > MaxSideInfo {
		return nil, nil, fmt.Errorf("codec: %d bytes of side information, more than %d", len(side), MaxSideInfo)
	}
	var buf bytes.Buffer
	buf.Grow(len(stream)/2 + 256)
	w, err := NewWriter(&buf, append(opts, WithModality(kind))...)
	if err != nil {
		return nil, nil, err
	}
	w.setSide(side)
	// Whole batches, so that every Write codes exactly one.
	batch := cap(w.buf)
	for len(stream) > 0 {
		if err := ctx.Err(); err != nil {
			w.Close()
			return nil, nil, err
		}
		n := min(len(stream), batch)
		if _, err := w.Write(stream[:n]); err != nil {
			w.Close()
			return nil, nil, err
		}
		stream = stream[n:]
	}
	if err := ctx.Err(); err != nil {
		w.Close()
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	// The file itself says the rest (no model runs in Inspect); only the
	// cross-entropy is the encoder's own.
	enc := buf.Bytes()
	info, err := Inspect(bytes.NewReader(enc))
	if err != nil {
		return nil, nil, fmt.Errorf("codec: reading back what was written: %w", err)
	}
	info.CrossEntropyBits = w.xentBits
	return enc, info, nil
}
