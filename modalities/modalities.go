// Package modalities knows what kind of data a file holds and turns it into
// the canonical byte stream that the model codes, plus the side information
// needed to give the original file back.
//
// The seam is Serialize/Restore: the codec codes the stream, records the kind
// and the side information in the container header, and after decoding hands
// both back to Restore. For text and generic bytes the stream is the file
// itself and the side information is empty; images and audio (later) will
// reorder pixels and samples into a stream the model predicts well.
//
// This package is a leaf (DESIGN.md §1): it knows nothing of models, coders or
// containers.
package modalities

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Kind is the modality of a file. Its numeric value is stored in .mbz
// headers, so values are never renumbered or reused.
type Kind uint8

const (
	// Bytes is any data without a more specific model: the stream is the file.
	Bytes Kind = 0
	// Text is UTF-8 (or ASCII) text: the stream is the file.
	Text Kind = 1
)

// ErrUnknownKind is returned for a Kind this release does not implement.
var ErrUnknownKind = errors.New("unknown modality")

// ErrSideInfo is returned by Restore when the side information does not fit
// the kind (for text and bytes: when it is not empty).
var ErrSideInfo = errors.New("bad side information")

// String returns the lower-case name used on the command line and in
// reports: "bytes", "text", or "kind(N)" for a value this release does not
// know.
func (k Kind) String() string {
	switch k {
	case Bytes:
		return "bytes"
	case Text:
		return "text"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Known reports whether this release can Serialize and Restore k.
func (k Kind) Known() bool {
	return k == Bytes || k == Text
}

// ParseKind is the inverse of String for the known kinds.
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{Bytes, Text} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("modalities: %q: %w (known: bytes, text)", s, ErrUnknownKind)
}

// DetectLimit is how many leading bytes Detect examines: enough to judge a
// file, and small enough that detection costs nothing next to coding it.
const DetectLimit = 64 << 10

// Detect guesses the kind of data from its first DetectLimit bytes. It
// returns Text when the sample is valid UTF-8 (a rune cut off at the end is
// allowed, since callers often pass a prefix), contains no NUL byte, and at
// most 1 in 100 of its bytes are control characters other than tab, line
// feed, vertical tab, form feed, carriage return and escape (ANSI colours). Everything else, including
// empty data, is Bytes: the generic path is always correct, only the choice
// of built-in model depends on the answer.
func Detect(data []byte) Kind {
	if len(data) == 0 {
		return Bytes
	}
	sample := data
	if len(sample) > DetectLimit {
		sample = sample[:DetectLimit]
	}
	control := 0
	for i := 0; i < len(sample); {
		c := sample[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return Bytes
			case c < 0x20 && !isTextControl(c), c == 0x7f:
				control++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(sample[i:])
		if r == utf8.RuneError && size <= 1 {
			// An incomplete rune is fine at the very end: the caller
			// (or DetectLimit) may have cut the data anywhere.
			if !utf8.FullRune(sample[i:]) {
				break
			}
			return Bytes
		}
		i += size
	}
	if control*100 > len(sample) {
		return Bytes
	}
	return Text
}

// isTextControl reports whether c is a control character that plain text
// commonly contains.
func isTextControl(c byte) bool {
	switch c {
	case '\t', '\n', '\v', '\f', '\r', 0x1b:
		return true
	}
	return false
}

// Serialize turns a file of kind k into the canonical stream the model codes
// and the side information Restore needs. For Text and Bytes it is the
// identity: stream aliases data and side is empty.
func Serialize(k Kind, data []byte) (stream, side []byte, err error) {
	switch k {
	case Bytes, Text:
		return data, nil, nil
	}
	return nil, nil, fmt.Errorf("modalities: serialize %v: %w", k, ErrUnknownKind)
}

// Restore is the inverse of Serialize: it rebuilds the file of kind k from
// its stream and side information. For Text and Bytes it returns stream
// itself and requires side to be empty.
func Restore(k Kind, stream, side []byte) ([]byte, error) {
	switch k {
	case Bytes, Text:
		if len(side) != 0 {
			return nil, fmt.Errorf("modalities: restore %v: %d bytes of side information, want none: %w", k, len(side), ErrSideInfo)
		}
		return stream, nil
	}
	return nil, fmt.Errorf("modalities: restore %v: %w", k, ErrUnknownKind)
}
