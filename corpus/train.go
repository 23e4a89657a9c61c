package corpus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

// CorpusTrainOptions say what TrainModel trains on, what it starts from and
// where it writes.
type CorpusTrainOptions struct {
	// Roots are the corpus folders, files or .tar.zst shards (as for Walk;
	// a path under a directory named "eval" is refused).
	Roots []string
	// Modality keeps only the files of this kind.
	Modality modalities.Kind
	// Weights change the mix of training windows (see Weight). A resumed
	// run given none keeps its checkpoint's, so that it resumes exactly.
	Weights []Weight
	// Config names the shape of a new model (a key of model.Configs). It
	// is ignored when resuming: the checkpoint's config is used.
	Config string
	// Name is the model name written into the output; "" keeps the
	// resumed model's name or makes one from the modality and config.
	Name string
	// Output is the .safetensors file of the final model.
	Output string
	// Force allows Output to exist already (it is replaced).
	Force bool
	// Checkpoint is where checkpoints are written; "" means Output+".ckpt".
	Checkpoint string
	// Resume, when set, continues the run saved in this checkpoint file.
	Resume string
	// Init, when set, starts a new run (step 0, fresh optimizer) from the
	// weights, config and name of this .safetensors model instead of a
	// random initialisation: a way to keep training a shipped model when
	// its checkpoint is gone. With Config set too, the model is first
	// grown to that config (model.Grow: wider MLPs, same function, new
	// units drawn with the run's seed); with Config "" it keeps its own.
	Init string
	// Configure adjusts the training options before the run. It starts
	// from model.DefaultTrainOptions() for a new run and from the
	// checkpoint's options for a resumed one (Duration excepted, which is
	// per invocation and starts at 0). TrainModel then sets
	// CheckpointPath itself. nil keeps the base as it is.
	Configure func(*model.TrainOptions)
	// ValidationPerMille and MaxBytes are passed to Walk and Load.
	ValidationPerMille int
	MaxBytes           int64
	// Logf, when set, receives notes: the corpus chosen, skipped files,
	// where a run stopped.
	Logf func(format string, args ...any)
}

// InterruptedError is what TrainModel returns when its context is
// cancelled: the run stopped after Step of Steps and its checkpoint is in
// Checkpoint. errors.Is(err, context.Canceled) holds for a cancelled context.
type InterruptedError struct {
	Step, Steps int
	Checkpoint  string
	Err         error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("training interrupted after step %d of %d; checkpoint saved in %s", e.Step, e.Steps, e.Checkpoint)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// Checkpoint metadata keys TrainModel records.
const (
	metaTrainBytes = "corpus.train_bytes"
	metaValBytes   = "corpus.validation_bytes"
	metaRoots      = "corpus.roots"
	metaModality   = "corpus.modality"
	metaWeights    = "corpus.weights"
)

// TrainModel trains a MEGABYTE model on a corpus and writes it as
// .safetensors: it walks opts.Roots (refusing evaluation data), keeps the
// files of opts.Modality, loads them into a Dataset split into training and
// validation files, builds a new model (seeded with the options' Seed, which
// also seeds the window sequence) or resumes a checkpoint, runs model.Train
// with report, and saves the model to opts.Output through a temporary file
// renamed into place.
//
// A run stopped by its Duration writes the model as it is, with the
// checkpoint beside it to resume from. A run whose ctx is cancelled writes
// the checkpoint only and returns an *InterruptedError wrapping ctx.Err().
func TrainModel(ctx context.Context, opts CorpusTrainOptions, report func(model.Progress)) error {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if len(opts.Roots) == 0 {
		return errors.New("corpus: train: no corpus given")
	}
	if opts.Output == "" {
		return errors.New("corpus: train: no output file given")
	}
	if err := checkOutput(opts.Output, opts.Force); err != nil {
		return err
	}
	ckptPath := opts.Checkpoint
	if ckptPath == "" {
		ckptPath = opts.Output + ".ckpt"
	}
	if filepath.Clean(ckptPath) == filepath.Clean(opts.Output) {
		return fmt.Errorf("corpus: train: checkpoint and output are the same file %s", opts.Output)
	}

	// The starting point: a checkpoint or a named config.
	var (
		resume    *model.Checkpoint
		initModel *model.Model
		cfg       model.Config
		to        model.TrainOptions
	)
	if opts.Resume != "" {
		ck, err := model.LoadCheckpoint(opts.Resume)
		if err != nil {
			return err
		}
		resume, cfg, to = ck, ck.Model.Cfg, ck.Options
		to.Duration = 0
	} else if opts.Init != "" {
		data, err := os.ReadFile(opts.Init)
		if err != nil {
			return fmt.Errorf("corpus: train: initial model: %w", err)
		}
		if initModel, err = model.Load(data); err != nil {
			return fmt.Errorf("corpus: train: initial model %s: %w", opts.Init, err)
		}
		cfg, to = initModel.Cfg, model.DefaultTrainOptions()
	} else {
		to = model.DefaultTrainOptions()
	}
	// A named config: the new model's shape, or the one to grow Init into.
	if resume == nil && (initModel == nil || opts.Config != "") {
		c, ok := model.Configs[opts.Config]
		if !ok {
			return fmt.Errorf("corpus: train: unknown config %q (known: %s)", opts.Config, strings.Join(ConfigNames(), ", "))
		}
		cfg = c
	}
	if opts.Configure != nil {
		opts.Configure(&to)
	}
	to.CheckpointPath = ckptPath
	if err := to.Validate(); err != nil {
		return err
	}

	// The corpus.
	files, err := Walk(opts.Roots, Options{
		ValidationPerMille: opts.ValidationPerMille,
		OnError:            func(fe *FileError) { logf("skipped unreadable %v", fe) },
	})
	if err != nil {
		return err
	}
	files = Filter(files, opts.Modality)
	if len(files) == 0 {
		return fmt.Errorf("corpus: train: no %v files under %s", opts.Modality, strings.Join(opts.Roots, ", "))
	}
	weights := opts.Weights
	if weights == nil && resume != nil {
		if weights, err = parseWeights(resume.Meta[metaWeights]); err != nil {
			return fmt.Errorf("corpus: train: checkpoint %s: %w", opts.Resume, err)
		}
	}
	if resume != nil && formatWeights(weights) != resume.Meta[metaWeights] {
		logf("warning: the checkpoint was trained with weights [%s], this run has [%s]: the window sequence will differ",
			strings.ReplaceAll(resume.Meta[metaWeights], "\n", " "), strings.ReplaceAll(formatWeights(weights), "\n", " "))
	}
	if err := ApplyWeights(files, weights); err != nil {
		return err
	}
	ds, err := Load(files, LoadOptions{Seed: to.Seed, MaxBytes: opts.MaxBytes})
	if err != nil {
		return err
	}
	nt, nv := ds.Files()
	logf("corpus: %d %v files, %s for training (%d files), %s held out (%d files)",
		nt+nv, opts.Modality, sizeString(ds.TrainBytes()), nt, sizeString(ds.ValidationBytes()), nv)
	for _, line := range weightNotes(files, weights) {
		logf("corpus: %s", line)
	}
	if ds.ValidationBytes() == 0 && to.ValWindows > 0 {
		logf("corpus: no file held out: validation skipped")
	}

	// The model.
	var m *model.Model
	meta := map[string]string{
		metaTrainBytes: strconv.Itoa(ds.TrainBytes()),
		metaValBytes:   strconv.Itoa(ds.ValidationBytes()),
		metaRoots:      strings.Join(opts.Roots, "\n"),
		metaModality:   opts.Modality.String(),
	}
	if len(weights) > 0 {
		meta[metaWeights] = formatWeights(weights)
	}
	if resume != nil {
		m = resume.Model
		if was := resume.Meta[metaTrainBytes]; was != "" && was != meta[metaTrainBytes] {
			logf("warning: the checkpoint was trained on %s training bytes, this corpus has %s: the window sequence will differ", was, meta[metaTrainBytes])
		}
		resume.Meta = meta
		logf("resuming %s at step %d of %d", opts.Resume, resume.Step, to.Steps)
		if changed := changedTrainOptions(resume.Options, to); len(changed) > 0 {
			logf("note: this run changes the checkpoint's %s: it will not repeat an uninterrupted run bit for bit",
				strings.Join(changed, ", "))
		}
	} else {
		if m = initModel; m == nil {
			if m, err = model.New(cfg, to.Seed); err != nil {
				return err
			}
		} else {
			logf("starting from the weights of %s", opts.Init)
			if cfg != m.Cfg {
				from, fromParams := configName(m.Cfg), m.Cfg.Params()
				if m, err = model.Grow(m, cfg, to.Seed); err != nil {
					return fmt.Errorf("corpus: train: initial model %s: %w", opts.Init, err)
				}
				logf("grown from config %s (%d parameters) to %s (%d): the new MLP units start at zero output",
					from, fromParams, configName(cfg), cfg.Params())
			}
		}
		// A step-0 checkpoint, so that every checkpoint of the run carries
		// the corpus notes.
		if resume, err = model.NewCheckpoint(m, to); err != nil {
			return err
		}
		resume.Meta = meta
	}
	switch {
	case opts.Name != "":
		m.SetName(opts.Name)
	case m.Name() == "":
		m.SetName(fmt.Sprintf("mbzip-%v-%s", opts.Modality, configName(cfg)))
	}
	logf("model %s: config %s, %d parameters, window %d bytes; %d steps of %d windows, %d threads",
		m.Name(), configName(cfg), cfg.Params(), cfg.Window(), to.Steps, to.Batch, threadsOf(to))

	ck, err := model.Train(ctx, m, ds, to, resume, report)
	if err != nil {
		if ck != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return &InterruptedError{Step: ck.Step, Steps: to.Steps, Checkpoint: ckptPath, Err: err}
		}
		return err
	}
	if ck.Step < to.Steps {
		logf("stopped after %v at step %d of %d; checkpoint saved in %s", to.Duration, ck.Step, to.Steps, ckptPath)
	}
	if !math.IsNaN(ck.ValBPB) {
		logf("validation: %.4f bits per byte", ck.ValBPB)
	}
	if err := writeModel(m, opts.Output, opts.Force); err != nil {
		return err
	}
	logf("wrote %s (%s)", opts.Output, m.Name())
	return nil
}

// weightNotes describes the mix weights make: for each weight, the
// training bytes it covers and the share of windows they now start.
func weightNotes(files []File, weights []Weight) []string {
	if len(weights) == 0 {
		return nil
	}
	var total float64
	for _, f := range files {
		if !f.Validation {
			total += float64(f.Size) * float64(max(f.Weight, 1))
		}
	}
	var notes []string
	for _, w := range weights {
		var n int64
		for _, f := range files {
			if !f.Validation && w.matches(f.SplitKey()) && f.Weight == w.Times {
				n += f.Size
			}
		}
		notes = append(notes, fmt.Sprintf("weight %v: %s of training files ×%d, %.1f %% of the windows",
			w, sizeString(int(n)), w.Times, 100*float64(n)*float64(w.Times)/total))
	}
	return notes
}

// threadsOf is the thread count Train will use.
func threadsOf(o model.TrainOptions) int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// ConfigNames returns the names of model.Configs, sorted.
func ConfigNames() []string {
	names := make([]string, 0, len(model.Configs))
	for n := range model.Configs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// configName returns the name of c in model.Configs, or "custom".
func configName(c model.Config) string {
	for _, n := range ConfigNames() {
		if model.Configs[n] == c {
			return n
		}
	}
	return "custom"
}

func sizeString(n int) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkOutput refuses an output that exists (unless force) or is a folder,
// before any training time is spent.
func checkOutput(path string, force bool) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("corpus: train: output %s: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("corpus: train: output %s is a directory", path)
	case !force:
		return fmt.Errorf("corpus: train: output %s already exists (use -f to overwrite)", path)
	}
	return nil
}

// writeModel saves m to path through a temporary file beside it, renamed
// into place once complete.
func writeModel(m *model.Model, path string, force bool) (err error) {
	if err := checkOutput(path, force); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("corpus: train: output: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = m.Save(bw); err != nil {
		return fmt.Errorf("corpus: train: %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("corpus: train: %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("corpus: train: %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("corpus: train: %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("corpus: train: %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("corpus: train: %s: %w", path, err)
	}
	return nil
}

// changedTrainOptions lists, as "name was → now", the options of a resumed
// run that differ from its checkpoint's and change the weights it ends
// with (the schedule, the batch, the optimizer, the thread count that fixes
// the order of the float reductions); stopping, validation and checkpoint
// settings change only where the run stops and what it reports.
func changedTrainOptions(was, now model.TrainOptions) []string {
	var out []string
	add := func(name string, a, b any) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %v → %v", name, a, b))
		}
	}
	add("steps", was.Steps, now.Steps)
	add("batch", was.Batch, now.Batch)
	add("accum", was.Accum, now.Accum)
	add("threads", was.Threads, now.Threads)
	add("lr", was.LR, now.LR)
	add("warmup", was.Warmup, now.Warmup)
	add("min-lr-ratio", was.MinLRRatio, now.MinLRRatio)
	add("weight-decay", was.WeightDecay, now.WeightDecay)
	add("betas", was.Betas, now.Betas)
	add("clip", was.Clip, now.Clip)
	add("seed", was.Seed, now.Seed)
	return out
}
