package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/mbzip/mbzip/kernels"
)

// This file holds the training loop: data-parallel steps of AdamW over
// batches of windows, validation, progress and checkpoints (the checkpoint
// file format is in train_checkpoint.go).

// Windows is where training takes its data from: random training windows and
// fixed held-out ones. *corpus.Dataset implements it (corpus imports model,
// never the reverse).
type Windows interface {
	// Sample fills dst with the next training window of len(dst) bytes.
	Sample(dst []byte)
	// Validation returns n held-out windows of w bytes, the same ones on
	// every call; nil when nothing is held out.
	Validation(n, w int) [][]byte
}

// DrawCounter is implemented by a Windows source whose sequence of windows
// can be positioned, as *corpus.Dataset's can: Draws is how many windows
// Sample has drawn, SetDraws moves to after n draws. Train records the count
// in checkpoints and restores it on resume. A source without it is
// positioned on resume by drawing and discarding the windows already used.
type DrawCounter interface {
	Draws() uint64
	SetDraws(n uint64)
}

// ErrTrainOptions reports TrainOptions that cannot drive a run.
var ErrTrainOptions = errors.New("model: invalid training options")

// TrainOptions are the settings of a training run. They are saved in every
// checkpoint. A run is reproducible bit for bit for the same options
// (Threads included), model and data; Duration and the checkpoint settings
// do not change the result, only where the run stops and what it writes.
type TrainOptions struct {
	Steps   int `json:"steps"`   // optimizer steps of the whole run (the schedule's length)
	Batch   int `json:"batch"`   // windows per step
	Accum   int `json:"accum"`   // micro-batches per step: Batch/Accum windows are in memory at once; divides Batch
	Threads int `json:"threads"` // goroutines, each with its own workspace; 0: runtime.GOMAXPROCS(0)

	LR          float32    `json:"lr"`           // peak learning rate
	Warmup      int        `json:"warmup"`       // steps of linear warmup
	MinLRRatio  float32    `json:"min_lr_ratio"` // final learning rate of the cosine decay, as a fraction of LR
	WeightDecay float32    `json:"weight_decay"` // AdamW decoupled decay (matrices only, see NoDecayRanges)
	Betas       [2]float32 `json:"betas"`        // AdamW β1, β2
	Clip        float32    `json:"clip"`         // global gradient-norm clip; 0: none
	Seed        uint64     `json:"seed"`         // recorded for the caller (initial weights, window sequence); Train draws nothing random

	ValEvery   int `json:"val_every"`   // validate every so many steps (and at the end); 0: only at the end
	ValWindows int `json:"val_windows"` // held-out windows of Window() bytes to validate on; 0: no validation

	// Duration stops the run cleanly once this much wall time has passed:
	// no step is started that would end after it (judged by the last
	// step's time), and a checkpoint is written. 0: no limit.
	Duration        time.Duration `json:"duration"`
	CheckpointPath  string        `json:"checkpoint_path"`  // where to write checkpoints; "": nowhere
	CheckpointEvery int           `json:"checkpoint_every"` // also every so many steps; 0: only when the run stops
}

// DefaultTrainOptions returns settings that suit the built-in configs:
// 1000 steps of 16 windows, peak learning rate 1e-3 after 100 warmup steps,
// cosine decay to a tenth, AdamW β = (0.9, 0.95) with weight decay 0.1,
// gradient clipping at 1, validation on 16 windows every 100 steps and a
// checkpoint every 200.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{
		Steps: 1000, Batch: 16, Accum: 1,
		LR: 1e-3, Warmup: 100, MinLRRatio: 0.1, WeightDecay: 0.1, Betas: [2]float32{0.9, 0.95}, Clip: 1,
		ValEvery: 100, ValWindows: 16, CheckpointEvery: 200,
	}
}

// Validate reports whether o can drive a run.
func (o TrainOptions) Validate() error {
	finite := func(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrTrainOptions, fmt.Sprintf(format, a...))
	}
	switch {
	case o.Steps < 1:
		return bad("steps %d, want ≥ 1", o.Steps)
	case o.Batch < 1:
		return bad("batch %d, want ≥ 1", o.Batch)
	case o.Accum < 1 || o.Accum > o.Batch || o.Batch%o.Accum != 0:
		return bad("accum %d does not divide batch %d", o.Accum, o.Batch)
	case o.Threads < 0 || o.Threads > 4096:
		return bad("threads %d, want 1..4096 (0: all cores)", o.Threads)
	case !finite(o.LR) || o.LR <= 0:
		return bad("learning rate %v, want > 0", o.LR)
	case o.Warmup < 0:
		return bad("warmup %d, want ≥ 0", o.Warmup)
	case !finite(o.MinLRRatio) || o.MinLRRatio < 0 || o.MinLRRatio > 1:
		return bad("min lr ratio %v, want 0..1", o.MinLRRatio)
	case !finite(o.Clip) || o.Clip < 0:
		return bad("clip %v, want ≥ 0", o.Clip)
	case o.ValEvery < 0 || o.ValWindows < 0 || o.CheckpointEvery < 0:
		return bad("val every %d, val windows %d, checkpoint every %d: want ≥ 0", o.ValEvery, o.ValWindows, o.CheckpointEvery)
	case o.Duration < 0:
		return bad("duration %v, want ≥ 0", o.Duration)
	}
	if err := o.adamW().Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrTrainOptions, err)
	}
	return nil
}

func (o TrainOptions) adamW() AdamWConfig {
	return AdamWConfig{Beta1: o.Betas[0], Beta2: o.Betas[1], Eps: 1e-8, WeightDecay: o.WeightDecay}
}

// NewCheckpoint returns the state of a run of m with opts before its first
// step: zero AdamW moments with the no-decay ranges of m's layout, step 0,
// draw count 0 (the data source's sequence from its start). Training from it
// with Train's resume is the same as training without one from a fresh data
// source; it lets a caller attach Meta to every checkpoint of a new run.
func NewCheckpoint(m *Model, opts TrainOptions) (*Checkpoint, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opt, err := NewAdamW(m.Cfg.Params(), opts.adamW(), NoDecayRanges(m.Cfg.Layout()))
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Model: m, Opt: opt, Options: opts, ValBPB: math.NaN()}, nil
}

// Progress is what Train reports after every step.
type Progress struct {
	Step, Steps int     // steps done (counting those before a resume), steps of the run
	Loss        float64 // mean cross-entropy of this step's windows, nats per byte
	TrainBPB    float64 // Loss in bits per byte
	Validated   bool    // ValBPB was measured after this step
	ValBPB      float64 // bits per byte on the held-out windows; NaN unless Validated
	LR          float32 // learning rate of this step
	GradNorm    float32 // gradient norm before clipping
	Skipped     bool    // the gradient was not finite and the update was skipped
	BytesPerSec float64 // training bytes (windows × Window) per second of step time, this run
	Elapsed     time.Duration
	ETA         time.Duration // to the last step, or to Duration if that comes first
	Checkpoint  string        // the checkpoint written after this step, if any
}

// Train trains m on data for opts.Steps steps of opts.Batch windows of
// m.Cfg.Window() bytes, predicting every byte (mean cross-entropy), with
// AdamW under linear warmup and cosine decay (Schedule) and global-norm
// clipping. Each micro-batch's windows are split across opts.Threads
// goroutines, each with its own GradWorkspace; their gradients are summed in
// thread order, so a run is reproducible for a given thread count.
//
// With resume, m must have the checkpoint's config: its weights, optimizer
// state, step and window position are restored, and the run continues as if
// it had never stopped (bit for bit, given the same options and data). opts
// apply from the resumed step on; pass resume.Options (with a new Duration
// or checkpoint path) to continue the same run.
//
// report, if not nil, is called after every step, on the calling goroutine.
// Cancelling ctx stops the run before its next micro-batch (a step whose
// micro-batches are not all done is abandoned, weights and optimizer
// untouched): a checkpoint of the last finished step is written (if
// CheckpointPath is set) and Train returns it with an error wrapping
// ctx.Err(). When Duration runs out, or the last
// step is done, it returns the checkpoint (written if CheckpointPath is set)
// and nil; Checkpoint.Step says how far it got. The returned checkpoint's
// Model is m itself.
func Train(ctx context.Context, m *Model, data Windows, opts TrainOptions, resume *Checkpoint, report func(Progress)) (*Checkpoint, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Threads == 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	c := m.Cfg
	w := c.Window()
	n := c.Params()

	ck := &Checkpoint{Model: m, Options: opts, ValBPB: math.NaN()}
	dc, counted := data.(DrawCounter)
	if resume != nil {
		if resume.Model == nil || resume.Opt == nil {
			return nil, fmt.Errorf("model: resume: checkpoint without weights or optimizer state")
		}
		if resume.Model.Cfg != c {
			return nil, fmt.Errorf("model: resume: checkpoint config %+v, model %+v", resume.Model.Cfg, c)
		}
		if len(resume.Opt.M) != n || len(resume.Opt.V) != n {
			return nil, fmt.Errorf("%w: %d moments for %d parameters", ErrOptimizerState, len(resume.Opt.M), n)
		}
		if resume.Step < 0 || resume.Step > opts.Steps {
			return nil, fmt.Errorf("model: resume: checkpoint at step %d of a %d-step run", resume.Step, opts.Steps)
		}
		if m != resume.Model {
			copy(m.Flat(), resume.Model.Flat())
			if m.Name() == "" {
				m.SetName(resume.Model.Name())
			}
		}
		ck.Opt = &AdamW{
			AdamWConfig: opts.adamW(),
			NoDecay:     append([]ParamRange(nil), resume.Opt.NoDecay...),
			M:           append([]float32(nil), resume.Opt.M...),
			V:           append([]float32(nil), resume.Opt.V...),
			Steps:       resume.Opt.Steps,
		}
		ck.Step, ck.Draws, ck.ValBPB = resume.Step, resume.Draws, resume.ValBPB
		ck.Meta = resume.Meta
		if counted {
			dc.SetDraws(resume.Draws)
		} else {
			skip := make([]byte, w)
			for range resume.Draws {
				data.Sample(skip)
			}
		}
	} else {
		opt, err := NewAdamW(n, opts.adamW(), NoDecayRanges(c.Layout()))
		if err != nil {
			return nil, err
		}
		ck.Opt = opt
		if counted {
			ck.Draws = dc.Draws()
		}
	}

	t := newTrainer(m, data, opts)
	sched := Schedule{Peak: opts.LR, Warmup: opts.Warmup, Total: opts.Steps, MinRatio: opts.MinLRRatio}
	var (
		stepTime  time.Duration // time in steps this run (no validation, no checkpoint I/O)
		lastStep  time.Duration
		trained   int64 // bytes trained this run
		stepsDone int   // steps this run
		stopErr   error
	)
	savedAt := -1
	save := func() (string, error) {
		if opts.CheckpointPath == "" || savedAt == ck.Step {
			return "", nil
		}
		if err := ck.Save(opts.CheckpointPath); err != nil {
			return "", err
		}
		savedAt = ck.Step
		return opts.CheckpointPath, nil
	}

	for ck.Step < opts.Steps {
		if err := ctx.Err(); err != nil {
			stopErr = err
			break
		}
		if opts.Duration > 0 && time.Since(start)+lastStep > opts.Duration {
			break
		}
		t0 := time.Now()
		loss, norm, skipped, err := t.step(ctx, ck, sched.LR(ck.Step))
		if err != nil {
			if ctx.Err() != nil {
				stopErr = ctx.Err()
				break
			}
			return ck, err
		}
		if counted {
			ck.Draws = dc.Draws()
		} else {
			ck.Draws += uint64(opts.Batch)
		}
		ck.Step++
		lastStep = time.Since(t0)
		stepTime += lastStep
		stepsDone++
		trained += int64(opts.Batch) * int64(w)

		p := Progress{
			Step: ck.Step, Steps: opts.Steps,
			Loss: loss, TrainBPB: loss / math.Ln2, ValBPB: math.NaN(),
			LR: sched.LR(ck.Step - 1), GradNorm: norm, Skipped: skipped,
			BytesPerSec: float64(trained) / stepTime.Seconds(),
		}
		if opts.ValWindows > 0 && (ck.Step == opts.Steps || opts.ValEvery > 0 && ck.Step%opts.ValEvery == 0) {
			if v, ok := t.validate(); ok {
				p.Validated, p.ValBPB, ck.ValBPB = true, v, v
			}
		}
		if opts.CheckpointEvery > 0 && ck.Step%opts.CheckpointEvery == 0 && ck.Step < opts.Steps {
			path, err := save()
			if err != nil {
				return ck, err
			}
			p.Checkpoint = path
		}
		p.Elapsed = time.Since(start)
		perStep := p.Elapsed / time.Duration(stepsDone)
		p.ETA = perStep * time.Duration(opts.Steps-ck.Step)
		if opts.Duration > 0 {
			p.ETA = min(p.ETA, max(opts.Duration-p.Elapsed, 0))
		}
		if report != nil {
			report(p)
		}
	}
	if _, err := save(); err != nil {
		return ck, err
	}
	if stopErr != nil {
		return ck, fmt.Errorf("model: training stopped after step %d: %w", ck.Step, stopErr)
	}
	return ck, nil
}

// trainer holds the memory of a run: the windows of a step, one workspace
// per thread and the validation windows with their probability buffers.
type trainer struct {
	m       *Model
	data    Windows
	opts    TrainOptions
	buf     []byte
	windows [][]byte
	ws      []*GradWorkspace
	nats    []float64
	errs    []error

	val      [][]byte
	valProbs [][]float32
	valBits  []float64
}

func newTrainer(m *Model, data Windows, opts TrainOptions) *trainer {
	w := m.Cfg.Window()
	mb := opts.Batch / opts.Accum
	threads := min(opts.Threads, mb)
	t := &trainer{m: m, data: data, opts: opts, buf: make([]byte, opts.Batch*w), windows: make([][]byte, opts.Batch)}
	for i := range t.windows {
		t.windows[i] = t.buf[i*w : (i+1)*w : (i+1)*w]
	}
	per := (mb + threads - 1) / threads
	t.ws = make([]*GradWorkspace, threads)
	for i := range t.ws {
		t.ws[i] = NewGradWorkspace(m, per)
	}
	t.nats = make([]float64, threads)
	t.errs = make([]error, threads)
	if opts.ValWindows > 0 {
		t.val = data.Validation(opts.ValWindows, w)
		vt := min(opts.Threads, len(t.val))
		t.valProbs = make([][]float32, vt)
		for i := range t.valProbs {
			t.valProbs[i] = make([]float32, w*256)
		}
		t.valBits = make([]float64, len(t.val))
	}
	return t
}

// parallel runs fn(i) for i < n on n goroutines and waits.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// step samples a batch, accumulates its gradient micro-batch by micro-batch
// and applies one AdamW update at learning rate lr. It returns the mean loss
// in nats per byte, the gradient norm and whether the update was skipped for
// a non-finite gradient. A cancelled ctx abandons the step between
// micro-batches, with the weights and optimizer untouched.
func (t *trainer) step(ctx context.Context, ck *Checkpoint, lr float32) (loss float64, norm float32, skipped bool, err error) {
	opts := t.opts
	for _, win := range t.windows {
		t.data.Sample(win)
	}
	threads := len(t.ws)
	for i := range t.ws {
		t.nats[i] = 0
	}
	mb := opts.Batch / opts.Accum
	scale := float32(1 / (float64(opts.Batch) * float64(t.m.Cfg.Window())))
	for a := range opts.Accum {
		if err := ctx.Err(); err != nil {
			return 0, 0, false, err
		}
		micro := t.windows[a*mb : (a+1)*mb]
		parallel(threads, func(i int) {
			if a == 0 {
				t.ws[i].ZeroGrad() // each goroutine clears its own arena
			}
			lo, hi := i*mb/threads, (i+1)*mb/threads
			nats, err := t.ws[i].Accumulate(micro[lo:hi], scale)
			t.nats[i] += nats
			t.errs[i] = err
		})
		for _, err := range t.errs {
			if err != nil {
				return 0, 0, false, err
			}
		}
	}

	// Sum the gradients into workspace 0 in thread order, each goroutine
	// over its own range of parameters.
	grad := t.ws[0].Grad()
	if threads > 1 {
		n := len(grad)
		parallel(threads, func(i int) {
			lo, hi := i*n/threads, (i+1)*n/threads
			dst := grad[lo:hi]
			for _, ws := range t.ws[1:] {
				kernels.Add(dst, ws.Grad()[lo:hi])
			}
		})
	}
	var nats float64
	for _, v := range t.nats {
		nats += v
	}
	loss = nats / (float64(opts.Batch) * float64(t.m.Cfg.Window()))

	norm = clipGradNorm(grad, opts.Clip, threads)
	if math.IsNaN(float64(norm)) || math.IsInf(float64(norm), 0) {
		return loss, norm, true, nil
	}
	ck.Opt.StepThreads(t.m.Flat(), grad, lr, threads)
	return loss, norm, false, nil
}

// validate returns the bits per byte of the model on the validation windows
// with the ordinary Forward, the windows split across threads and their sums
// added in window order. ok is false when there are none.
func (t *trainer) validate() (bpb float64, ok bool) {
	if len(t.val) == 0 {
		return 0, false
	}
	w := t.m.Cfg.Window()
	threads := len(t.valProbs)
	parallel(threads, func(i int) {
		probs := t.valProbs[i]
		for j := i; j < len(t.val); j += threads {
			x := t.val[j]
			t.m.Forward(x, probs)
			var bits float64
			for k, b := range x {
				bits -= math.Log2(float64(probs[k*256+int(b)]))
			}
			t.valBits[j] = bits
		}
	})
	var bits float64
	for _, b := range t.valBits {
		bits += b
	}
	return bits / float64(len(t.val)*w), true
}
