// Package arith is mbzip's entropy coder: a range coder over 256-symbol
// alphabets with integer frequency tables of total Total = 2^TotalBits, and
// Quantize, which turns a model's float32 distribution into such a table.
//
// # Determinism
//
// Everything here is integer arithmetic (DESIGN.md §2, rule 5). Quantize
// reads each float32 through its bit pattern, so the float-to-fixed conversion
// is exact and identical on every GOARCH; encoder and decoder then agree bit
// for bit as long as they are handed the same frequency tables.
//
// # Frequency tables
//
// A table is 256 uint32 frequencies summing to exactly Total. Quantize gives
// every symbol at least 1, so every byte stays codable whatever the model
// says. The coder itself only requires the coded symbol's frequency to be at
// least 1: a table with zero entries (for example a top-k sampling table fed
// to the Decoder) is valid, and the decoder never yields a zero-frequency
// symbol. Cumulative holds a validated table with its prefix sums so that a
// coding loop computes the cumulative frequencies once per symbol.
//
// # Stream format
//
// The coder keeps a 56-bit window of the code value's lower bound (low, with
// one extra bit for a carry) and a range of at most 2^56 - 1; it starts with
// low = 0 and range = 2^56 - 1. Coding a symbol with cumulative frequency lo
// and frequency f sets r = range >> 24, low += r*lo, range = r*f, and then,
// while range < 2^48, shifts one byte out of the top of low and multiplies
// range by 256. Keeping range ≥ 2^48 keeps r ≥ 2^24, so the truncation of
// range/Total costs at most 2^-24 of the range, about 1e-7 bit per symbol.
//
// Carries are resolved as in LZMA: the last byte shifted out is held back
// (the cache) together with a count of 0xFF bytes that follow it, and a carry
// out of the window increments the cache and turns the 0xFF run into 0x00
// bytes. The byte before the first one is a virtual 0 that is never written;
// a carry cannot reach it because every interval lies inside the first.
//
// Finish picks the value in the final interval whose low 48 window bits are
// zero and writes the cache, the pending run and the top window byte of that
// value; the six zero bytes after it are implied. A stream of n shifts is
// therefore n+1 bytes long, and the Decoder, which starts by reading seven
// bytes and reads one per shift, treats exactly six bytes past the end as
// zero. Reading a seventh means the caller decodes symbols the encoder never
// coded, and is reported as ErrTruncated. The empty symbol sequence encodes
// to a single byte, so an encoded stream is never empty.
//
// # Errors
//
// No function panics on bad input. Quantize reports invalid distributions
// with ErrInvalidProbs, a malformed frequency table is ErrInvalidFreqs, and
// the Decoder reports damaged input as ErrCorrupt or ErrTruncated. Each is
// wrapped with a description; test with errors.Is.
package arith

import "errors"

const (
	// TotalBits is log2 of the frequency total of every table.
	TotalBits = 24
	// Total is the sum of the frequencies of every table.
	Total = 1 << TotalBits
)

// Coder geometry; see the package documentation.
const (
	windowBits = 56                    // bits of low kept in the window
	windowMask = 1<<windowBits - 1     // the window, without the carry bit
	topValue   = 1 << (windowBits - 8) // normalise while range < topValue
	initRange  = 1<<windowBits - 1
	// maxVirtual is how many bytes past the end of a complete stream the
	// decoder reads (as zeros) while decoding every coded symbol.
	maxVirtual = windowBits/8 - 1
	// ffWindow is the smallest window value whose top byte is 0xFF.
	ffWindow = 0xFF << (windowBits - 8)
)

var (
	// ErrInvalidProbs reports a distribution Quantize cannot use: wrong
	// length, NaN, ±Inf, a negative entry, or all zeros.
	ErrInvalidProbs = errors.New("arith: invalid probability distribution")
	// ErrInvalidFreqs reports a frequency table that does not hold 256
	// entries summing to Total, or a coded symbol whose frequency is zero.
	ErrInvalidFreqs = errors.New("arith: invalid frequency table")
	// ErrCorrupt reports a coder state no encoder can produce.
	ErrCorrupt = errors.New("arith: corrupt input")
	// ErrTruncated reports decoding past the end of the encoded input.
	ErrTruncated = errors.New("arith: input truncated")
	// ErrFinished reports use of an Encoder after Finish.
	ErrFinished = errors.New("arith: encoder already finished")
)
