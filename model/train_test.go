package model

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memWindows is a Windows and DrawCounter over bytes in memory, a stand-in
// for corpus.Dataset: the k-th window starts at a hash of (seed, k), so the
// sequence is positioned by its draw count alone.
type memWindows struct {
	train, val []byte
	seed       uint64
	draws      uint64
}

func (d *memWindows) Sample(dst []byte) {
	d.draws++
	x := d.seed + d.draws*0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	ringFill(dst, d.train, int(x%uint64(len(d.train))))
}

func (d *memWindows) Validation(n, w int) [][]byte {
	if len(d.val) == 0 {
		return nil
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, w)
		ringFill(out[i], d.val, i*len(d.val)/n)
	}
	return out
}

func (d *memWindows) Draws() uint64     { return d.draws }
func (d *memWindows) SetDraws(n uint64) { d.draws = n }

func ringFill(dst, src []byte, start int) {
	for len(dst) > 0 {
		n := copy(dst, src[start:])
		dst, start = dst[n:], 0
	}
}

// cancelAt calls cancel when its at-th window is drawn.
type cancelAt struct {
	Windows
	n, at  uint64
	cancel func()
}

func (c *cancelAt) Sample(dst []byte) {
	c.n++
	if c.n == c.at {
		c.cancel()
	}
	c.Windows.Sample(dst)
}

// plainWindows hides the DrawCounter methods of the source it wraps.
type plainWindows struct{ Windows }

// textData returns a memWindows over repetitive English-like text, which a
// tiny model learns quickly.
func textData(seed uint64) *memWindows {
	var b strings.Builder
	words := []string{"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "a ", "lazy ", "dog. ", "And ", "then "}
	for i := 0; b.Len() < 1<<15; i++ {
		b.WriteString(words[(i*7+i/3)%len(words)])
	}
	s := []byte(b.String())
	return &memWindows{train: s[:len(s)*9/10], val: s[len(s)*9/10:], seed: seed}
}

func tinyOptions() TrainOptions {
	o := DefaultTrainOptions()
	o.Steps, o.Batch, o.Accum, o.Threads = 8, 4, 2, 2
	o.LR, o.Warmup = 3e-3, 2
	o.ValEvery, o.ValWindows, o.CheckpointEvery = 4, 3, 0
	return o
}

func mustTrain(t *testing.T, m *Model, data Windows, o TrainOptions, resume *Checkpoint, report func(Progress)) *Checkpoint {
	t.Helper()
	ck, err := Train(context.Background(), m, data, o, resume, report)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	return ck
}

// TestTrainResumeExact checks that N steps give the same weights and
// optimizer state, bit for bit, as N/2 steps, a checkpoint written to disk
// and read back, and N/2 more steps: with a data source that can be
// positioned and with one that must be replayed.
func TestTrainResumeExact(t *testing.T) {
	cfg := Configs["tiny"]
	o := tinyOptions()
	whole := newTestModel(t, cfg, 1)
	ref := mustTrain(t, whole, textData(5), o, nil, nil)
	if ref.Step != o.Steps {
		t.Fatalf("stopped at step %d of %d", ref.Step, o.Steps)
	}

	for _, tc := range []struct {
		name    string
		data    func() Windows
		midStep bool // cancel while the next step draws its windows
	}{
		{"draw counter", func() Windows { return textData(5) }, false},
		{"replayed", func() Windows { return plainWindows{textData(5)} }, false},
		{"mid-step", func() Windows { return textData(5) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := o
			o.CheckpointPath = filepath.Join(t.TempDir(), "run.ckpt")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := newTestModel(t, cfg, 1)
			data := tc.data()
			if tc.midStep {
				// The first window of step N/2+1 cancels: the step must be
				// dropped before its first micro-batch.
				data = &cancelAt{Windows: data, at: uint64(o.Steps/2*o.Batch + 1), cancel: cancel}
			}
			_, err := Train(ctx, first, data, o, nil, func(p Progress) {
				if p.Step == o.Steps/2 && !tc.midStep {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled run: err = %v, want context.Canceled", err)
			}
			ck, err := LoadCheckpoint(o.CheckpointPath)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Step != o.Steps/2 || ck.Draws != uint64(o.Steps/2*o.Batch) {
				t.Fatalf("checkpoint at step %d after %d draws, want %d and %d", ck.Step, ck.Draws, o.Steps/2, o.Steps/2*o.Batch)
			}
			// A model with other weights: the checkpoint's must replace them.
			second := newTestModel(t, cfg, 99)
			got := mustTrain(t, second, tc.data(), ck.Options, ck, nil)
			if i := sameBits(second.Flat(), whole.Flat()); i >= 0 {
				t.Fatalf("resumed weights differ at %d: %v vs %v", i, second.Flat()[i], whole.Flat()[i])
			}
			if sameBits(got.Opt.M, ref.Opt.M) >= 0 || sameBits(got.Opt.V, ref.Opt.V) >= 0 || got.Opt.Steps != ref.Opt.Steps {
				t.Fatal("resumed optimizer state differs")
			}
			if got.Draws != ref.Draws || got.Step != ref.Step {
				t.Fatalf("resumed run ends at step %d, %d draws; whole run %d, %d", got.Step, got.Draws, ref.Step, ref.Draws)
			}
		})
	}
}

// TestTrainReproducible runs the same options twice (same weights) and once
// with another thread count (close, but the sums are grouped differently).
func TestTrainReproducible(t *testing.T) {
	cfg := Configs["tiny"]
	o := tinyOptions()
	o.Steps = 3
	run := func(threads int) []float32 {
		o := o
		o.Threads = threads
		m := newTestModel(t, cfg, 1)
		mustTrain(t, m, textData(3), o, nil, nil)
		return m.Flat()
	}
	a, b, c := run(2), run(2), run(1)
	if i := sameBits(a, b); i >= 0 {
		t.Fatalf("two runs differ at %d", i)
	}
	for i := range a {
		if d := math.Abs(float64(a[i] - c[i])); d > 1e-3 {
			t.Fatalf("1 and 2 threads: weight %d is %v vs %v", i, c[i], a[i])
		}
	}
}

// TestTrainLearns trains the tiny model on repetitive text and expects the
// training and validation bits per byte to fall far below the ~8 of the
// untrained model.
func TestTrainLearns(t *testing.T) {
	o := tinyOptions()
	o.Steps, o.Batch, o.Accum, o.LR, o.Warmup, o.ValEvery = 60, 8, 1, 1e-2, 5, 20
	if testing.Short() {
		o.Steps = 30
	}
	m := newTestModel(t, Configs["tiny"], 1)
	var first, last Progress
	vals := 0
	ck := mustTrain(t, m, textData(1), o, nil, func(p Progress) {
		if p.Step == 1 {
			first = p
		}
		if p.Validated {
			vals++
			if math.IsNaN(p.ValBPB) || p.ValBPB <= 0 {
				t.Errorf("step %d: val bpb %v", p.Step, p.ValBPB)
			}
		} else if !math.IsNaN(p.ValBPB) {
			t.Errorf("step %d: val bpb %v without validation", p.Step, p.ValBPB)
		}
		if p.BytesPerSec <= 0 || p.Steps != o.Steps || p.LR <= 0 || p.Skipped {
			t.Errorf("step %d: progress %+v", p.Step, p)
		}
		last = p
	})
	if first.TrainBPB < 7 || first.TrainBPB > 9 {
		t.Errorf("first step: %.3f bits per byte, want about 8 for an untrained model", first.TrainBPB)
	}
	if last.Step != o.Steps || last.ETA != 0 {
		t.Errorf("last progress %+v", last)
	}
	want := o.Steps / o.ValEvery // every ValEvery steps, and after the last
	if o.Steps%o.ValEvery != 0 {
		want++
	}
	if vals != want {
		t.Errorf("%d validations, want %d", vals, want)
	}
	if last.TrainBPB > first.TrainBPB-3 || ck.ValBPB > first.TrainBPB-3 {
		t.Errorf("after %d steps: train %.3f, validation %.3f bits per byte (first step %.3f)", o.Steps, last.TrainBPB, ck.ValBPB, first.TrainBPB)
	}
	t.Logf("bpb: first step %.3f, last step %.3f, validation %.3f", first.TrainBPB, last.TrainBPB, ck.ValBPB)
}

// TestTrainDuration checks that a run out of time stops cleanly, without an
// error, and leaves a checkpoint from which it can go on.
func TestTrainDuration(t *testing.T) {
	o := tinyOptions()
	o.Duration = time.Nanosecond
	o.CheckpointPath = filepath.Join(t.TempDir(), "d.ckpt")
	m := newTestModel(t, Configs["tiny"], 1)
	ck := mustTrain(t, m, textData(1), o, nil, nil)
	if ck.Step >= o.Steps {
		t.Fatalf("ran %d steps in a nanosecond", ck.Step)
	}
	back, err := LoadCheckpoint(o.CheckpointPath)
	if err != nil {
		t.Fatal(err)
	}
	o.Duration = 0
	got := mustTrain(t, back.Model, textData(1), o, back, nil)
	if got.Step != o.Steps {
		t.Fatalf("resumed run ended at step %d", got.Step)
	}
}

// TestTrainPeriodicCheckpoint checks CheckpointEvery and the Progress field
// that says so.
func TestTrainPeriodicCheckpoint(t *testing.T) {
	o := tinyOptions()
	o.Steps, o.CheckpointEvery = 5, 2
	o.CheckpointPath = filepath.Join(t.TempDir(), "p.ckpt")
	var at []int
	m := newTestModel(t, Configs["tiny"], 1)
	mustTrain(t, m, textData(1), o, nil, func(p Progress) {
		if p.Checkpoint != "" {
			at = append(at, p.Step)
			ck, err := LoadCheckpoint(p.Checkpoint)
			if err != nil || ck.Step != p.Step {
				t.Errorf("step %d: checkpoint %v, %v", p.Step, ck, err)
			}
		}
	})
	if len(at) != 2 || at[0] != 2 || at[1] != 4 {
		t.Errorf("checkpoints after steps %v, want [2 4]", at)
	}
	ck, err := LoadCheckpoint(o.CheckpointPath)
	if err != nil || ck.Step != o.Steps {
		t.Fatalf("final checkpoint: %v, %v", ck, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(o.CheckpointPath))
	if len(entries) != 1 {
		t.Errorf("checkpoint folder holds %d entries, want only the checkpoint (no temporary files)", len(entries))
	}
}

func TestTrainOptionsValidate(t *testing.T) {
	if err := DefaultTrainOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, f := range map[string]func(*TrainOptions){
		"steps":   func(o *TrainOptions) { o.Steps = 0 },
		"batch":   func(o *TrainOptions) { o.Batch = 0 },
		"accum":   func(o *TrainOptions) { o.Batch, o.Accum = 6, 4 },
		"threads": func(o *TrainOptions) { o.Threads = -1 },
		"lr":      func(o *TrainOptions) { o.LR = float32(math.NaN()) },
		"ratio":   func(o *TrainOptions) { o.MinLRRatio = 2 },
		"beta":    func(o *TrainOptions) { o.Betas[1] = 1 },
		"decay":   func(o *TrainOptions) { o.WeightDecay = -1 },
		"clip":    func(o *TrainOptions) { o.Clip = -1 },
		"val":     func(o *TrainOptions) { o.ValEvery = -1 },
		"dur":     func(o *TrainOptions) { o.Duration = -time.Second },
	} {
		o := DefaultTrainOptions()
		f(&o)
		if err := o.Validate(); !errors.Is(err, ErrTrainOptions) {
			t.Errorf("%s: err = %v, want ErrTrainOptions", name, err)
		}
		if _, err := Train(context.Background(), newTestModel(t, Configs["tiny"], 1), textData(1), o, nil, nil); !errors.Is(err, ErrTrainOptions) {
			t.Errorf("%s: Train err = %v, want ErrTrainOptions", name, err)
		}
	}
}

func TestTrainResumeMismatch(t *testing.T) {
	o := tinyOptions()
	o.Steps = 1
	m := newTestModel(t, Configs["tiny"], 1)
	ck := mustTrain(t, m, textData(1), o, nil, nil)
	other := newTestModel(t, gradConfig, 1)
	if _, err := Train(context.Background(), other, textData(1), o, ck, nil); err == nil {
		t.Error("resumed a checkpoint into a model of another config")
	}
	// A finished run resumes to no steps at all.
	if got := mustTrain(t, m, textData(1), ck.Options, ck, nil); got.Step != ck.Step {
		t.Errorf("resuming a finished run moved to step %d", got.Step)
	}
}

// TestCheckpointRoundTrip writes and reads a checkpoint and refuses damaged
// copies of it.
func TestCheckpointRoundTrip(t *testing.T) {
	o := tinyOptions()
	o.Steps = 2
	m := newTestModel(t, Configs["tiny"], 1)
	m.SetName("ckpt-test")
	ck := mustTrain(t, m, textData(1), o, nil, nil)
	ck.Meta = map[string]string{"corpus": "memory"}
	var buf bytes.Buffer
	if _, err := ck.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	back, err := ReadCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Step != ck.Step || back.Draws != ck.Draws || back.Options != ck.Options || back.Model.Name() != "ckpt-test" ||
		back.Meta["corpus"] != "memory" || back.ValBPB != ck.ValBPB || back.Model.Fingerprint() != m.Fingerprint() ||
		sameBits(back.Opt.M, ck.Opt.M) >= 0 || sameBits(back.Opt.V, ck.Opt.V) >= 0 {
		t.Fatalf("round trip changed the checkpoint: %+v vs %+v", back, ck)
	}

	for _, n := range []int{0, 100, 1024, len(data) / 2, len(data) - 1024 - 600} {
		if _, err := ReadCheckpoint(data[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	// Flip a byte inside each member (the header JSON, the weights, the
	// optimizer state); only the two zero blocks that end a tar may be cut.
	for _, at := range []int{600, len(data) / 3, len(data) - 1024 - 600} {
		bad := append([]byte(nil), data...)
		bad[at] ^= 0x5a
		if _, err := ReadCheckpoint(bad); err == nil {
			t.Errorf("byte %d flipped: no error", at)
		}
	}
	newer := bytes.Replace(data, []byte(`"version": 1`), []byte(`"version": 9`), 1)
	if _, err := ReadCheckpoint(newer); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("version 9: err = %v", err)
	}
}

// TestNewCheckpointIsFreshStart checks that resuming a step-0 checkpoint from
// NewCheckpoint is the same as training without one, and that its Meta
// reaches the checkpoints written.
func TestNewCheckpointIsFreshStart(t *testing.T) {
	o := tinyOptions()
	o.Steps = 3
	a := newTestModel(t, Configs["tiny"], 1)
	mustTrain(t, a, textData(2), o, nil, nil)
	b := newTestModel(t, Configs["tiny"], 1)
	start, err := NewCheckpoint(b, o)
	if err != nil {
		t.Fatal(err)
	}
	start.Meta = map[string]string{"k": "v"}
	o.CheckpointPath = filepath.Join(t.TempDir(), "n.ckpt")
	mustTrain(t, b, textData(2), o, start, nil)
	if i := sameBits(a.Flat(), b.Flat()); i >= 0 {
		t.Fatalf("weights differ at %d", i)
	}
	ck, err := LoadCheckpoint(o.CheckpointPath)
	if err != nil || ck.Meta["k"] != "v" {
		t.Fatalf("checkpoint meta: %v, %v", ck, err)
	}
}
