package codec

import (
	"fmt"
	"runtime"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

// Levels. Today every level codes with the static model; the level is
// recorded so that adaptive levels can be added without a format change.
const (
	MinLevel     = 1
	MaxLevel     = 9
	DefaultLevel = 6
)

// Option configures a Writer, a Reader, EncodeAll, DecodeAll or Inspect.
// Options that do not apply to a direction are accepted and ignored, so one
// option list can serve both.
type Option func(*options) error

type options struct {
	model       *model.Model
	resolver    func(name string, fingerprint [32]byte) (*model.Model, error)
	level       int
	threads     int
	segmentSize int
	modality    modalities.Kind
	modalitySet bool
	progress    func(in, out int64)
	lanes       int // blocks a Writer interleaves per segment

	// Test hooks, set only by this package's tests.
	net         network // replaces the model
	forceMethod method  // code every segment this way instead of choosing
	// newStage returns the stage of a level for each segment (both
	// directions): newStage, or a test's stage with state.
	newStage func(level int) stage
}

func defaultOptions() options {
	return options{
		level:       DefaultLevel,
		threads:     runtime.GOMAXPROCS(0),
		segmentSize: DefaultSegmentSize,
		lanes:       DefaultLanes,
		newStage:    newStage,
	}
}

func (o *options) apply(opts []Option) error {
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return fmt.Errorf("codec: %w", err)
		}
	}
	return nil
}

// WithModel sets the model. A Writer compresses with it (default: the
// built-in default model, model/builtin.Default). A Reader uses it when its
// fingerprint is the one the file records, and otherwise asks the resolver.
func WithModel(m *model.Model) Option {
	return func(o *options) error {
		if m == nil {
			return fmt.Errorf("WithModel: nil model")
		}
		o.model = m
		return nil
	}
}

// WithLanes sets how many blocks (model windows) of a segment a Writer
// codes interleaved, 1 … MaxLanes (default DefaultLanes). The code is as
// long either way, give or take a byte; a Reader steps the lanes of a
// segment as rows of one model batch, so up to about 8 lanes decode a
// segment faster (see DefaultLanes), each lane costing the decoder one row
// of attention cache (1–2 MiB with the text priors) and the encoder 16
// bytes per byte of a lane group. 1 writes blocks one after another.
func WithLanes(n int) Option {
	return func(o *options) error {
		if n < 1 || n > MaxLanes {
			return fmt.Errorf("WithLanes: %d lanes out of range [1, %d]", n, MaxLanes)
		}
		o.lanes = n
		return nil
	}
}

// WithModelResolver sets how a Reader finds the model a file names: f gets
// the recorded name and fingerprint and returns the model, or an error
// (which is reported wrapped in ErrModelUnavailable). The model it returns
// must have that fingerprint. Default: the built-in model of that name.
func WithModelResolver(f func(name string, fingerprint [32]byte) (*model.Model, error)) Option {
	return func(o *options) error {
		o.resolver = f
		return nil
	}
}

// WithLevel sets the compression level, MinLevel to MaxLevel (default
// DefaultLevel). It is recorded in the header; today every level codes with
// the static model.
func WithLevel(level int) Option {
	return func(o *options) error {
		if level < MinLevel || level > MaxLevel {
			return fmt.Errorf("level %d out of range [%d, %d]", level, MinLevel, MaxLevel)
		}
		o.level = level
		return nil
	}
}

// WithThreads sets how many segments are coded at the same time (default,
// and for n = 0, runtime.GOMAXPROCS(0)). Memory grows with n: a Writer holds
// n segments, a Reader max(n, 16). The output does not depend on n.
func WithThreads(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("threads %d < 0", n)
		}
		if n == 0 {
			n = runtime.GOMAXPROCS(0)
		}
		o.threads = n
		return nil
	}
}

// WithSegmentSize sets the size of the independently coded segments, 1 to
// MaxSegmentSize bytes (default DefaultSegmentSize). Smaller segments give
// more parallelism and less context; a segment is coded in windows of the
// model's Window() bytes in any case.
func WithSegmentSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > MaxSegmentSize {
			return fmt.Errorf("segment size %d out of range [1, %d]", n, MaxSegmentSize)
		}
		o.segmentSize = n
		return nil
	}
}

// WithModality sets the modality recorded in the header (default: detected
// from the first segment with modalities.Detect).
func WithModality(k modalities.Kind) Option {
	return func(o *options) error {
		if !k.Known() {
			return fmt.Errorf("WithModality: %v: %w", k, modalities.ErrUnknownKind)
		}
		o.modality, o.modalitySet = k, true
		return nil
	}
}

// WithProgress sets a function called as work completes with the bytes
// consumed and produced so far (for a Writer: original bytes coded and
// container bytes written; for a Reader: container bytes read and original
// bytes decoded). It is called from the goroutine calling Write, Close or
// Read, never concurrently.
func WithProgress(f func(in, out int64)) Option {
	return func(o *options) error {
		o.progress = f
		return nil
	}
}
