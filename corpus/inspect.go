package corpus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

// This file finds where a model is surprised by a file: the bits −log2 p
// of every byte of its canonical stream, with the contexts the codec gives
// them. A HeatmapRenderer draws the result: today HTMLHeatmap (bytes shaded
// by their bits, for text and any other data); ImageHeatmap (bits per
// pixel as a picture) is the place for images and is pending until the
// image modality exists (issue 7).

// Surprise holds the bits of every byte of a file's canonical stream.
type Surprise struct {
	// Name names the file in the rendering.
	Name string
	// Kind is the modality the codec gives the file; Stream and Side are
	// modalities.Serialize's output for it (Stream is the file itself for
	// text and bytes).
	Kind         modalities.Kind
	Data, Stream []byte
	Side         []byte
	// Model is the model's name, Fingerprint its fingerprint.
	Model       string
	Fingerprint [32]byte
	// SegmentSize is the codec's segment size the contexts follow.
	SegmentSize int
	// Bits[i] is −log2 p of Stream[i] (at most 149 bits, for a probability
	// that underflowed to 0), and TotalBits their sum in float64.
	Bits      []float32
	TotalBits float64
}

// BPB returns the bits per original byte, TotalBits / len(Data), as
// FileBPB.XentBPB; 0 for an empty file.
func (s *Surprise) BPB() float64 {
	if len(s.Data) == 0 {
		return 0
	}
	return s.TotalBits / float64(len(s.Data))
}

// InspectOptions adjust Surprisal.
type InspectOptions struct {
	// Name names the file in renderings.
	Name string
	// Model is the model to ask; nil: the file's modality's default, as
	// `mbzip compress` would use (CodecDefaultModel).
	Model *model.Model
	// SegmentSize is the codec's segment size (0: codec.DefaultSegmentSize):
	// the model's context starts afresh at every segment, as in coding.
	SegmentSize int
	// Threads splits the segments over goroutines (0: GOMAXPROCS); the
	// bits do not depend on it.
	Threads int
}

// Surprisal runs the model over data as the codec would code it and
// returns the bits of every byte. The modality is detected from the first
// segment, as codec.Writer does.
func Surprisal(ctx context.Context, data []byte, opts InspectOptions) (*Surprise, error) {
	if opts.SegmentSize == 0 {
		opts.SegmentSize = codec.DefaultSegmentSize
	}
	if opts.SegmentSize < 1 || opts.SegmentSize > codec.MaxSegmentSize {
		return nil, fmt.Errorf("corpus: segment size %d out of range [1, %d]", opts.SegmentSize, codec.MaxSegmentSize)
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	s := &Surprise{Name: opts.Name, Data: data, SegmentSize: opts.SegmentSize}
	s.Kind = CodecKind(data, opts.SegmentSize)
	var err error
	if s.Stream, s.Side, err = modalities.Serialize(s.Kind, data); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	m := opts.Model
	if m == nil {
		if m, err = CodecDefaultModel(s.Kind); err != nil {
			return nil, err
		}
	}
	s.Model, s.Fingerprint = m.Name(), m.Fingerprint()
	s.Bits = make([]float32, len(s.Stream))
	if s.TotalBits, err = streamBits(ctx, m, s.Stream, opts.SegmentSize, opts.Threads, s.Bits, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// HeatmapRenderer draws a Surprise into w.
type HeatmapRenderer interface {
	// Supports returns nil if the renderer can draw files of kind k, else
	// why not; callers ask before the model pass, which is the slow part.
	Supports(k modalities.Kind) error
	// Render draws s.
	Render(w io.Writer, s *Surprise) error
}

// ErrHeatmapPending is wrapped by ImageHeatmap's error: per-pixel heatmaps
// need the image modality, which does not exist yet (issue 7).
var ErrHeatmapPending = errors.New("per-pixel heatmaps are pending: they need the image modality (issue 7)")

// ErrHeatmapFormat is wrapped by HeatmapFor's error for an output whose
// extension names no renderer.
var ErrHeatmapFormat = errors.New("unknown heatmap format")

// HeatmapFor returns the renderer for an output path, by its extension:
// .html and .htm for HTMLHeatmap, .png for ImageHeatmap.
func HeatmapFor(path string) (HeatmapRenderer, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return HTMLHeatmap{}, nil
	case ".png":
		return ImageHeatmap{}, nil
	}
	return nil, fmt.Errorf("corpus: %s: %w: want OUT.html (bytes shaded by their bits) or OUT.png (bits per pixel, images)", path, ErrHeatmapFormat)
}

// ImageHeatmap draws bits per pixel as a picture with a colour scale. It
// needs to know which stream bytes make which pixel, which only the image
// modality can say; until it exists (issue 7) no file is an image and
// Render returns an error wrapping ErrHeatmapPending. Images are coded as
// bytes today: HTMLHeatmap shows their per-byte bits.
type ImageHeatmap struct{}

// Supports reports that per-pixel heatmaps are pending: no kind is an
// image yet.
func (ImageHeatmap) Supports(k modalities.Kind) error {
	return fmt.Errorf("%w; this file is coded as %v today: write an .html heatmap for its per-byte bits", ErrHeatmapPending, k)
}

// Render reports that per-pixel heatmaps are pending.
func (h ImageHeatmap) Render(_ io.Writer, s *Surprise) error {
	return fmt.Errorf("corpus: %s: %w", s.Name, h.Supports(s.Kind))
}
