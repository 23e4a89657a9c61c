package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

// trainCorpus writes a small text corpus (plain files and a shard) with a
// binary file that the text filter must leave out.
func trainCorpus(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "train")
	for i := range 12 {
		writeFile(t, filepath.Join(root, fmt.Sprintf("doc%02d.txt", i)),
			[]byte(strings.Repeat(fmt.Sprintf("Line %d of a document about foxes and dogs.\n", i), 20)))
	}
	writeFile(t, filepath.Join(root, "blob.bin"), binaryData)
	writeShard(t, filepath.Join(root, "more.tar.zst"), []member{
		{name: "fam/x.txt", data: []byte(strings.Repeat("member x text line\n", 50))},
	})
	return root
}

func tinyTrainOptions(root, dir string) CorpusTrainOptions {
	return CorpusTrainOptions{
		Roots:              []string{root},
		Modality:           modalities.Text,
		Config:             "tiny",
		Output:             filepath.Join(dir, "out.safetensors"),
		ValidationPerMille: 300,
		Configure: func(o *model.TrainOptions) {
			o.Steps, o.Batch, o.Threads, o.Warmup = 4, 2, 2, 1
			o.ValEvery, o.ValWindows = 2, 2
		},
	}
}

func TestTrainModel(t *testing.T) {
	root, dir := trainCorpus(t), t.TempDir()
	opts := tinyTrainOptions(root, dir)
	var logs []string
	opts.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	var steps []model.Progress
	if err := TrainModel(context.Background(), opts, func(p model.Progress) { steps = append(steps, p) }); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 4 || steps[3].Step != 4 || !steps[3].Validated {
		t.Fatalf("progress: %+v", steps)
	}
	data, err := os.ReadFile(opts.Output)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cfg != model.Configs["tiny"] || m.Name() != "mbzip-text-tiny" {
		t.Errorf("output: config %+v, name %q", m.Cfg, m.Name())
	}
	ck, err := model.LoadCheckpoint(opts.Output + ".ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if ck.Step != 4 || ck.Model.Fingerprint() != m.Fingerprint() || ck.Meta[metaModality] != "text" || ck.Meta[metaTrainBytes] == "" {
		t.Errorf("checkpoint: step %d, meta %v", ck.Step, ck.Meta)
	}
	all := strings.Join(logs, "\n")
	for _, want := range []string{"held out", "validation:", "wrote " + opts.Output} {
		if !strings.Contains(all, want) {
			t.Errorf("log lacks %q:\n%s", want, all)
		}
	}

	// The output exists now: refused without Force, before any training.
	if err := TrainModel(context.Background(), opts, nil); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("existing output: err = %v", err)
	}
}

// trainUntilCancelled runs TrainModel and cancels it after the given step.
func trainUntilCancelled(opts CorpusTrainOptions, step int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	return TrainModel(ctx, opts, func(p model.Progress) {
		if p.Step == step {
			cancel()
		}
	})
}

// TestTrainModelInterruptResume cancels a run after its second step: the
// error names the checkpoint, no output is written, and resuming the
// checkpoint finishes with the same weights as a run never interrupted.
func TestTrainModelInterruptResume(t *testing.T) {
	root := trainCorpus(t)
	straight := tinyTrainOptions(root, t.TempDir())
	if err := TrainModel(context.Background(), straight, nil); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	opts := tinyTrainOptions(root, dir)
	opts.Checkpoint = filepath.Join(dir, "run.ckpt")
	err := trainUntilCancelled(opts, 2)
	var ie *InterruptedError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ie) || ie.Step != 2 || ie.Checkpoint != opts.Checkpoint ||
		!strings.Contains(err.Error(), opts.Checkpoint) {
		t.Fatalf("interrupted: err = %v", err)
	}
	if _, err := os.Stat(opts.Output); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("interrupted run wrote its output: %v", err)
	}
	resumed := opts
	resumed.Resume, resumed.Config, resumed.Configure = opts.Checkpoint, "", nil
	var logs []string
	resumed.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	if err := TrainModel(context.Background(), resumed, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(straight.Output)
	b, _ := os.ReadFile(resumed.Output)
	if len(a) == 0 || string(a) != string(b) {
		t.Fatal("resumed model differs from the uninterrupted one")
	}
	if log := strings.Join(logs, "\n"); strings.Contains(log, "note: this run changes") {
		t.Errorf("a resumed run with the checkpoint's options warns of a change:\n%s", log)
	}
}

// TestTrainModelResumeChanged resumes a checkpoint with another thread
// count and learning rate: the run says which options changed, and that
// it will not repeat the uninterrupted run.
func TestTrainModelResumeChanged(t *testing.T) {
	root, dir := trainCorpus(t), t.TempDir()
	opts := tinyTrainOptions(root, dir)
	opts.Checkpoint = filepath.Join(dir, "run.ckpt")
	if err := trainUntilCancelled(opts, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted: err = %v", err)
	}
	resumed := opts
	resumed.Resume, resumed.Config = opts.Checkpoint, ""
	resumed.Configure = func(o *model.TrainOptions) { o.Threads, o.LR, o.ValEvery = 1, 5e-4, 1 }
	var logs []string
	resumed.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	if err := TrainModel(context.Background(), resumed, nil); err != nil {
		t.Fatal(err)
	}
	// Exactly these two: the validation setting changes no weights.
	log := strings.Join(logs, "\n")
	if !strings.Contains(log, "note: this run changes the checkpoint's threads 2 → 1, lr 0.001 → 0.0005: it will not repeat") {
		t.Errorf("no note of exactly the changed options:\n%s", log)
	}
}

func TestTrainModelRefuses(t *testing.T) {
	root, dir := trainCorpus(t), t.TempDir()
	evalRoot := filepath.Join(t.TempDir(), "eval", "text")
	writeFile(t, filepath.Join(evalRoot, "a.txt"), []byte("held out for measuring only\n"))
	for name, tc := range map[string]struct {
		f    func(*CorpusTrainOptions)
		want string
	}{
		"eval":      {func(o *CorpusTrainOptions) { o.Roots = []string{evalRoot} }, "eval"},
		"config":    {func(o *CorpusTrainOptions) { o.Config = "huge" }, "unknown config"},
		"no output": {func(o *CorpusTrainOptions) { o.Output = "" }, "no output"},
		"no corpus": {func(o *CorpusTrainOptions) { o.Roots = nil }, "no corpus"},
		"modality":  {func(o *CorpusTrainOptions) { o.Modality = modalities.Kind(7) }, "no kind(7) files"},
		"options":   {func(o *CorpusTrainOptions) { o.Configure = func(t *model.TrainOptions) { t.Batch = 0 } }, "batch"},
		"resume":    {func(o *CorpusTrainOptions) { o.Resume = filepath.Join(dir, "missing.ckpt") }, "missing.ckpt"},
		"same file": {func(o *CorpusTrainOptions) { o.Checkpoint = o.Output }, "same file"},
	} {
		opts := tinyTrainOptions(root, dir)
		tc.f(&opts)
		err := TrainModel(context.Background(), opts, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, tc.want)
		}
		if name == "eval" && !errors.Is(err, ErrEvalData) {
			t.Errorf("eval: err = %v, want ErrEvalData", err)
		}
	}
}

// TestTrainModelInit starts a run from a saved model: the output keeps its
// config and name and stays within a few optimizer steps of its weights,
// far from the random initialisation a plain run would start from.
func TestTrainModelInit(t *testing.T) {
	root, dir := trainCorpus(t), t.TempDir()
	start, err := model.New(model.Configs["tiny"], 7)
	if err != nil {
		t.Fatal(err)
	}
	start.SetName("my-start")
	initPath := filepath.Join(dir, "start.safetensors")
	f, err := os.Create(initPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := start.Save(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	opts := tinyTrainOptions(root, dir)
	opts.Config = "" // keep the initial model's config
	opts.Init = initPath
	if err := TrainModel(context.Background(), opts, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(opts.Output)
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name() != "my-start" || out.Cfg != start.Cfg {
		t.Fatalf("output %q %+v, want the initial model's name and config", out.Name(), out.Cfg)
	}
	random, err := model.New(model.Configs["tiny"], 0)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff := func(a, b []float32) (d float64) {
		for i := range a {
			d = max(d, float64(a[i]-b[i]), float64(b[i]-a[i]))
		}
		return d
	}
	// 4 AdamW steps at a peak of 1e-3 move no weight by much more than 4e-3.
	if d := maxDiff(out.Flat(), start.Flat()); d > 0.01 {
		t.Errorf("output is %g away from the initial weights", d)
	}
	if d := maxDiff(out.Flat(), random.Flat()); d < 0.05 {
		t.Errorf("output is only %g away from a random initialisation", d)
	}
	opts.Init, opts.Force = filepath.Join(dir, "missing.safetensors"), true
	if err := TrainModel(context.Background(), opts, nil); err == nil || !strings.Contains(err.Error(), "initial model") {
		t.Errorf("missing initial model: err = %v", err)
	}

	// With a config, the initial model grows into it first.
	wide := model.Configs["tiny"]
	wide.GlobalMLP, wide.LocalMLP = 4*wide.GlobalDim+8, 4*wide.LocalDim+4
	model.Configs["tiny-wide-test"] = wide
	t.Cleanup(func() { delete(model.Configs, "tiny-wide-test") })
	var notes []string
	opts.Init, opts.Config = initPath, "tiny-wide-test"
	opts.Logf = func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	if err := TrainModel(context.Background(), opts, nil); err != nil {
		t.Fatal(err)
	}
	if data, err = os.ReadFile(opts.Output); err != nil {
		t.Fatal(err)
	}
	if out, err = model.Load(data); err != nil {
		t.Fatal(err)
	}
	if out.Name() != "my-start" || out.Cfg != wide {
		t.Fatalf("grown output %q %+v, want the initial model's name and config %+v", out.Name(), out.Cfg, wide)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "grown from config tiny") {
		t.Errorf("no note of the growth in:\n%s", strings.Join(notes, "\n"))
	}
	opts.Config = "no-such-config"
	if err := TrainModel(context.Background(), opts, nil); err == nil || !strings.Contains(err.Error(), "unknown config") {
		t.Errorf("unknown config with an initial model: err = %v", err)
	}
	opts.Config = "small" // not a widening of tiny
	if err := TrainModel(context.Background(), opts, nil); !errors.Is(err, model.ErrConfig) {
		t.Errorf("growing tiny into small: err = %v, want model.ErrConfig", err)
	}
}
