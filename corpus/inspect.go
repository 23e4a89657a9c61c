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
	"github.com/mbzip/mbzip/model/builtin"
)

// This file finds where a model is surprised by a file: the bits −log2 p
// of every byte of its canonical stream, with the contexts the codec gives
// them. A HeatmapRenderer draws the result: HTMLHeatmap (bytes shaded by
// their bits, for text and any other data) or ImageHeatmap (bits per pixel
// as a picture, inspect_image.go).

// Surprise holds the bits of every byte of a file's canonical stream.
type Surprise struct {
	// Name names the file in the rendering.
	Name string
	// Kind is the modality the codec gives the file; Stream and Side are
	// modalities.Serialize's output for it (Stream is the file itself for
	// text and bytes), unless Raster is set.
	Kind         modalities.Kind
	Data, Stream []byte
	Side         []byte
	// Raster is set when the file was inspected as an image
	// (InspectOptions.Image): Stream is then Raster.Pix, the pixels as
	// the image modality is planned to code them (not what compress codes
	// today: the file's bytes), and ImageFormat names the file's format.
	Raster      *modalities.Raster
	ImageFormat string
	// Model is the model's name, Fingerprint its fingerprint; DefaultModel
	// says it was the default, not InspectOptions.Model.
	Model        string
	Fingerprint  [32]byte
	DefaultModel bool
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
	// Image decodes the file as an image (modalities.DecodeImage) and
	// measures its pixels' stream, modalities.ImageRaster, instead of the
	// file's bytes; the file must be an image.
	Image bool
	// Model is the model to ask; nil: the file's modality's default, as
	// `mbzip compress` would use (CodecDefaultModel). For Image that is
	// the default of bytes, the text prior, until an image model exists.
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
// segment, as codec.Writer does. With opts.Image the stream is the
// pixels' instead, cut into segments of opts.SegmentSize bytes in the same
// way.
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
	defaultKind := s.Kind
	if opts.Image {
		img, format, err := modalities.DecodeImage(data)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		s.Raster, s.ImageFormat = modalities.ImageRaster(img), format
		s.Stream = s.Raster.Pix
		defaultKind = modalities.Bytes // no image model yet (issue 7)
	} else if s.Stream, s.Side, err = modalities.Serialize(s.Kind, data); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	m := opts.Model
	if m == nil {
		if m, err = CodecDefaultModel(defaultKind); err != nil {
			return nil, err
		}
		s.DefaultModel = true
	}
	s.Model, s.Fingerprint = m.Name(), builtin.Fingerprint(m)
	s.Bits = make([]float32, len(s.Stream))
	if s.TotalBits, err = streamBits(ctx, m, s.Stream, opts.SegmentSize, opts.Threads, s.Bits, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// HeatmapRenderer draws a Surprise into w.
type HeatmapRenderer interface {
	// Supports returns nil if the renderer can draw the file data, which
	// the codec gives kind k, else why not; callers ask before the model
	// pass, which is the slow part.
	Supports(data []byte, k modalities.Kind) error
	// Render draws s.
	Render(w io.Writer, s *Surprise) error
}

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
