package codec

import "errors"

// The errors of this package. Every error returned by a Reader, DecodeAll or
// Inspect for bad input wraps exactly one of them, with context that says
// where (for example "segment 3: checksum mismatch"), so callers test them
// with errors.Is and print the full message.
var (
	// ErrBadMagic: the input does not start with the .mbz magic number.
	ErrBadMagic = errors.New("not an mbz file (bad magic number)")
	// ErrUnsupportedVersion: a format version this release does not read.
	ErrUnsupportedVersion = errors.New("unsupported format version")
	// ErrTruncated: the input ends before the container does.
	ErrTruncated = errors.New("truncated input")
	// ErrCorrupt: a field is out of range or inconsistent, or data follows
	// the end of the container.
	ErrCorrupt = errors.New("corrupt input")
	// ErrChecksum: a checksum (of the header, a segment's record or bytes,
	// the trailer or the whole original) does not match.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrModelUnavailable: the model the file was made with (by name and
	// fingerprint) cannot be found.
	ErrModelUnavailable = errors.New("model not available")
)

// formatError is an error with a complete message of its own that still
// matches one of the sentinel errors above with errors.Is.
type formatError struct {
	msg  string
	kind error
}

func (e *formatError) Error() string { return e.msg }
func (e *formatError) Unwrap() error { return e.kind }

// newError returns an error that reads msg and wraps kind.
func newError(kind error, msg string) error {
	return &formatError{msg: msg, kind: kind}
}
