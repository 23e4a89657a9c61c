package corpus

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// This file measures bits per byte: for every file under some paths, the
// model's cross-entropy, the real coded size through the .mbz container,
// and the sizes the classic codecs reach, with their speeds. bpb_walk.go
// lists the files, bpb_bits.go runs the model, bpb_baselines.go holds the
// classic codecs, bpb_report.go summarises and prints, bpb_plot.go draws.

// DefaultMaxFileSize is the largest file Measure reads when
// BPBOptions.MaxFileSize is 0. Several files are in memory at once, each
// with its coded form and the baselines' outputs.
const DefaultMaxFileSize = 1 << 30

// BPBOptions adjust Measure.
type BPBOptions struct {
	// Model measures and codes every file. nil: each file's modality's
	// default, the model `mbzip compress` would use (CodecDefaultModel).
	Model *model.Model
	// Level and SegmentSize are the codec's (0: codec.DefaultLevel and
	// codec.DefaultSegmentSize). The cross-entropy comes from the coder's
	// own model pass, so the two figures see the same segments.
	Level, SegmentSize int
	// Threads is how many cores the run keeps busy (0: GOMAXPROCS).
	Threads int
	// Baselines are run on every file (nil: none; see Baselines).
	Baselines []Baseline
	// Exclude leaves out the files and folders whose base name matches
	// one of these filepath.Match patterns ("SHA256SUMS", "*.md"), as
	// find's -not -name does. Paths given to Measure themselves are
	// always measured.
	Exclude []string
	// MaxFileSize refuses larger files, each with an error row
	// (0: DefaultMaxFileSize).
	MaxFileSize int64
	// Progress, if not nil, is called as work completes with the units
	// done and the units of the whole run: every file counts its size,
	// for its one model pass, which codes it and gives the cross-entropy
	// (the baselines are fast next to the model and are not counted).
	// Calls never overlap; done only grows, and reaches total at the end.
	Progress func(done, total int64)
}

// FileBPB is the measurement of one file. When Error is set the file could
// not be measured and only Path and Error mean anything.
type FileBPB struct {
	Path string `json:"path"`
	// Kind is the modality the codec gives the file (modalities.Detect
	// of its first segment, as codec.Writer decides); Modality its name.
	Kind     modalities.Kind `json:"-"`
	Modality string          `json:"modality"`
	// Bytes is the file's size; StreamBytes the length of the canonical
	// stream the model codes (the same for text and bytes).
	Bytes       int64 `json:"bytes"`
	StreamBytes int64 `json:"stream_bytes"`
	// Model is the name of the model used and Fingerprint the first 12
	// hex digits of its fingerprint.
	Model       string `json:"model"`
	Fingerprint string `json:"fingerprint"`
	// ModelBits is Σ −log2 p over the stream under the model's float
	// distributions, taken from the coding pass
	// (codec.Info.CrossEntropyBits; streamBits gives the same value, as a
	// test checks); XentBPB is ModelBits / Bytes: the model's
	// cross-entropy per original byte, what an ideal coder would reach
	// without any container.
	ModelBits float64 `json:"model_bits"`
	XentBPB   float64 `json:"xent_bpb"`
	// QuantBPB is the cost of the integer frequencies the coder used,
	// over every segment, stored ones included (codec.Info.ModelBits per
	// original byte): XentBPB plus the quantization loss.
	QuantBPB float64 `json:"quantized_bpb"`
	// CodedBytes is len(codec.EncodeAll(file)) with the run's options and
	// CodedBPB = 8 × CodedBytes / Bytes: what `mbzip compress` writes.
	CodedBytes int64   `json:"coded_bytes"`
	CodedBPB   float64 `json:"coded_bpb"`
	// CodedVsXent is how much the container costs over the cross-entropy,
	// 100 × (CodedBPB − XentBPB) / XentBPB percent: quantization, coder
	// flushes and records where the model codes, negative where storing
	// beat the model.
	CodedVsXent float64 `json:"coded_vs_xent_percent"`
	// Segments of the container, and how many were stored (raw or zstd)
	// because the model did worse than storing them.
	Segments       int `json:"segments"`
	StoredSegments int `json:"stored_segments"`
	// Threads is how many cores the file's model pass used;
	// CodingSeconds its wall time (codec.EncodeAllInfo: the model, the
	// coder and zstd for every segment).
	Threads       int     `json:"threads"`
	CodingSeconds float64 `json:"coding_seconds"`
	// Baselines maps each baseline's name to its result.
	Baselines map[string]BaselineBPB `json:"baselines,omitempty"`
	Error     string                 `json:"error,omitempty"`

	err error
}

// Err returns the error of a file that could not be measured, or nil.
func (f *FileBPB) Err() error { return f.err }

// BaselineBPB is one baseline's result on one file.
type BaselineBPB struct {
	Bytes   int64   `json:"bytes"`   // compressed size
	BPB     float64 `json:"bpb"`     // 8 × Bytes / original bytes
	Seconds float64 `json:"seconds"` // compression wall time, one core
}

// Measure measures every file under paths (files and directories, walked
// as described at walkBPB): for each, the model's cross-entropy, the real
// coded size through the container, and the baselines' sizes. A file that
// cannot be listed, read or measured gets a row with its error and the run
// goes on; the report's totals are over the files measured. The error
// returned is for the run as a whole: ctx cancelled, or opts not usable.
//
// Files run in parallel on opts.Threads cores, largest first. A file
// starts when a core is free and takes a share of the free cores in
// proportion to its size among the bytes still to start (at least one, at
// most one per segment), and splits its segments over them
// (codec.WithThreads): a file that is most of the work gets most of the
// machine, many small files get one core each. Each file takes one model
// pass, the coder's, which gives the cross-entropy too.
// The baselines of a file then run side by side on the file's cores.
// Nothing runs on more cores than opts.Threads.
func Measure(ctx context.Context, paths []string, opts BPBOptions) (*BPBReport, error) {
	start := time.Now()
	if opts.Level == 0 {
		opts.Level = codec.DefaultLevel
	}
	if opts.SegmentSize == 0 {
		opts.SegmentSize = codec.DefaultSegmentSize
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Level < codec.MinLevel || opts.Level > codec.MaxLevel {
		return nil, fmt.Errorf("corpus: level %d out of range [%d, %d]", opts.Level, codec.MinLevel, codec.MaxLevel)
	}
	if opts.SegmentSize < 1 || opts.SegmentSize > codec.MaxSegmentSize {
		return nil, fmt.Errorf("corpus: segment size %d out of range [1, %d]", opts.SegmentSize, codec.MaxSegmentSize)
	}

	for _, pat := range opts.Exclude {
		if _, err := filepath.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("corpus: exclude pattern %q: %w", pat, err)
		}
	}
	entries := walkBPB(paths, opts.Exclude)
	files := make([]FileBPB, len(entries))
	var todo []int
	var total int64
	for i, e := range entries {
		files[i].Path = e.path
		if e.err != nil {
			files[i].setErr(e.err)
			continue
		}
		todo = append(todo, i)
		total += e.size
	}
	prog := &bpbProgress{fn: opts.Progress, total: total}
	prog.add(0)

	// Largest first: a big file started last would run alone at the end.
	sort.SliceStable(todo, func(a, b int) bool { return entries[todo[a]].size > entries[todo[b]].size })
	cores := make(chan struct{}, opts.Threads)
	for range opts.Threads {
		cores <- struct{}{}
	}
	left := total // bytes of the files not started yet
	var wg sync.WaitGroup
	for _, i := range todo {
		select {
		case <-cores:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		// The free cores, shared by size among the files still to
		// start: a file that is most of what is left takes most of them.
		free := len(cores) + 1
		size := entries[i].size
		want := 1
		if left > 0 {
			want = int(math.Round(float64(free) * float64(size) / float64(left)))
		}
		want = min(max(want, 1), segmentsOf(size, opts.SegmentSize))
		left -= size
		k := 1
		for k < want {
			select {
			case <-cores:
				k++
				continue
			default:
			}
			break
		}
		wg.Add(1)
		go func(i, k int) {
			defer wg.Done()
			defer func() {
				for range k {
					cores <- struct{}{}
				}
			}()
			share := entries[i].size
			fp := prog.file(share)
			measureFile(ctx, &files[i], entries[i], k, &opts, fp)
			fp.finish()
		}(i, k)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newBPBReport(files, &opts, time.Since(start)), nil
}

// CodecKind is the modality codec.Writer, and so `mbzip compress`, gives
// data coded in segments of segmentSize bytes: modalities.Detect over the
// first segment. (codec.EncodeAll detects over the whole buffer, which is
// the same unless the segments are shorter than modalities.DetectLimit.)
func CodecKind(data []byte, segmentSize int) modalities.Kind {
	return modalities.Detect(data[:min(len(data), max(segmentSize, 1))])
}

// segmentsOf is how many segments a file of size bytes has: the most cores
// its model pass can use.
func segmentsOf(size int64, segSize int) int {
	return int(max(1, (size+int64(segSize)-1)/int64(segSize)))
}

func (f *FileBPB) setErr(err error) {
	f.err = err
	f.Error = err.Error()
}

// measureFile measures one file on k cores into r.
func measureFile(ctx context.Context, r *FileBPB, e bpbEntry, k int, opts *BPBOptions, fp *fileProgress) {
	data, err := readStable(e.path, opts.MaxFileSize)
	if err != nil {
		r.setErr(err)
		return
	}
	r.Bytes = int64(len(data))
	r.Threads = k
	if len(data) == 0 {
		r.Kind = modalities.Bytes
		r.Modality = r.Kind.String()
		return // counted in the report as empty: there is no bits per byte
	}
	r.Kind = CodecKind(data, opts.SegmentSize)
	r.Modality = r.Kind.String()
	stream, _, err := modalities.Serialize(r.Kind, data)
	if err != nil {
		r.setErr(err)
		return
	}
	r.StreamBytes = int64(len(stream))
	m := opts.Model
	if m == nil {
		if m, err = CodecDefaultModel(r.Kind); err != nil {
			r.setErr(err)
			return
		}
	}
	fpr := builtin.Fingerprint(m) // recorded for a built-in, else hashed
	r.Model, r.Fingerprint = m.Name(), hex.EncodeToString(fpr[:6])

	// The real container, as `mbzip compress` writes it, and from the
	// same model pass the cross-entropy. Progress counts stream bytes
	// scaled to the file's size.
	scale := float64(len(data)) / float64(len(stream))
	var coded int64
	t0 := time.Now()
	enc, info, err := codec.EncodeAllInfo(ctx, data, codec.WithModel(m), codec.WithModality(r.Kind), codec.WithLevel(opts.Level),
		codec.WithSegmentSize(opts.SegmentSize), codec.WithThreads(k),
		codec.WithProgress(func(in, _ int64) {
			fp.add(int64(float64(in)*scale) - coded)
			coded = int64(float64(in) * scale)
		}))
	r.CodingSeconds = time.Since(t0).Seconds()
	if err != nil {
		r.setErr(fmt.Errorf("coding: %w", err))
		return
	}
	if math.IsNaN(info.CrossEntropyBits) {
		r.setErr(errors.New("cross-entropy: the model gave a probability outside [0, 1]"))
		return
	}
	r.ModelBits = info.CrossEntropyBits
	r.XentBPB = r.ModelBits / float64(len(data))
	r.CodedBytes = int64(len(enc))
	r.CodedBPB = 8 * float64(r.CodedBytes) / float64(len(data))
	r.CodedVsXent = vsPercent(r.CodedBPB, r.XentBPB)
	r.Segments, r.StoredSegments = info.Segments, info.StoredSegments
	r.QuantBPB = info.ModelBits / float64(len(data))
	fp.upTo(r.Bytes)

	if err := runBaselines(r, data, opts.Baselines, k); err != nil {
		r.setErr(err)
	}
}

// runBaselines compresses data with every baseline, on up to k goroutines.
func runBaselines(r *FileBPB, data []byte, bs []Baseline, k int) error {
	if len(bs) == 0 {
		return nil
	}
	res := make([]BaselineBPB, len(bs))
	errs := make([]error, len(bs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(k, 1))
	for i, b := range bs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			out, err := b.Compress(data)
			if err != nil {
				errs[i] = fmt.Errorf("baseline %s: %w", b.Name, err)
				return
			}
			res[i] = BaselineBPB{
				Bytes:   int64(len(out)),
				BPB:     8 * float64(len(out)) / float64(len(data)),
				Seconds: time.Since(t0).Seconds(),
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.Baselines = make(map[string]BaselineBPB, len(bs))
	for i, b := range bs {
		r.Baselines[b.Name] = res[i]
	}
	return nil
}

// bpbProgress serialises the progress calls of the files in flight.
type bpbProgress struct {
	mu    sync.Mutex
	fn    func(done, total int64)
	done  int64
	total int64
}

func (p *bpbProgress) add(n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	p.done += n
	p.fn(p.done, p.total)
	p.mu.Unlock()
}

// file returns the tracker of one file whose share of the total is share.
func (p *bpbProgress) file(share int64) *fileProgress {
	return &fileProgress{p: p, share: share}
}

// fileProgress counts one file's work, never more than its share, so that
// the run's count ends exactly at its total even when a file fails early
// or its stream is not as long as the file.
type fileProgress struct {
	mu    sync.Mutex
	p     *bpbProgress
	share int64
	done  int64
}

func (f *fileProgress) add(n int64) {
	f.mu.Lock()
	n = min(n, f.share-f.done)
	if n > 0 {
		f.done += n
		f.p.add(n)
	}
	f.mu.Unlock()
}

// upTo counts the file as done up to n units.
func (f *fileProgress) upTo(n int64) {
	f.mu.Lock()
	d := n - f.done
	f.mu.Unlock()
	if d > 0 {
		f.add(d)
	}
}

// finish counts the rest of the file's share.
func (f *fileProgress) finish() { f.upTo(f.share) }
