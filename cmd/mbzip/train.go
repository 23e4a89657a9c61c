package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/corpus"
	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

func trainCommand() *cli.Command {
	def := model.DefaultTrainOptions()
	f32 := func(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }
	return &cli.Command{
		Name:      "train",
		Usage:     "train a model on a corpus",
		ArgsUsage: "[DIR...]",
		Description: fmt.Sprintf(`Trains a MEGABYTE model on the files of one modality under the corpus
folders (or .tar.zst shards) and writes it as .safetensors, ready for
"mbzip compress --model FILE". Folders named "eval" are refused: evaluation
data is for measuring only. About 2 %% of the files (by a hash of their
names) are held out for the validation bits per byte.

Each step trains on --batch random windows of the model's full context
(--accum splits them into micro-batches that are in memory one at a time),
spread over --threads goroutines; a run is reproducible for the same
options, corpus and thread count. Progress (step, loss, training and
validation bits per byte, bytes/s, ETA) goes to standard error: one updating
line on a terminal, else a line every --log-every steps.

Windows start at every training byte alike, so each part of the corpus is
trained on in proportion to its size. --weight PREFIX=N counts the files
under PREFIX N times over instead (gutenberg-en=3 makes English books three
times as frequent as their size); the held-out windows are not reweighted.

A checkpoint (weights, optimizer state, step, window position, options) is
written to --checkpoint (default OUT.ckpt) every --checkpoint-every steps and
when the run stops. Ctrl-C stops before the next micro-batch (dropping an
unfinished step), saves the checkpoint and exits with status 1; a second Ctrl-C quits at once.
--duration stops cleanly in time and writes the model as well. --resume
continues a run exactly where its checkpoint left it; options not given
again are taken from the checkpoint (--duration excepted), not from the
defaults shown below. --init starts a new run from a model's weights; with
--config as well, the model is first grown into that config, which may only
widen its MLPs (ref into wide): the new units start with zero output, so the
grown model begins where the old one stopped.

Configs: %s.

Examples:
   mbzip train --corpus corpus/train/text --config small --steps 2000 -o text.safetensors
   mbzip train --corpus corpus/train/text --config ref --batch 32 --threads 16 \
         --duration 9m --checkpoint run.ckpt -o text-ref.safetensors
   mbzip train --corpus corpus/train/text --resume run.ckpt -o text-ref.safetensors -f
   mbzip train --corpus corpus/train/text --init text-ref.safetensors --steps 3000 -o text-ref2.safetensors
   mbzip train --corpus corpus/train/text --weight gutenberg-en=3 --init text-ref.safetensors -o prose.safetensors
   mbzip train --corpus corpus/train/text --init text-ref.safetensors --config wide -o text-wide.safetensors
   mbzip compress --model text-ref.safetensors notes.txt`,
			strings.Join(corpus.ConfigNames(), ", ")),
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "corpus", Usage: "train on the files under `DIR` (repeatable; extra arguments are corpus folders too)"},
			&cli.StringFlag{Name: "modality", Value: "text", Usage: "train on files of kind `M` (text, bytes)"},
			&cli.StringSliceFlag{Name: "weight", Usage: "count the training files under `PREFIX=N` (a shard member path such as gutenberg-en, or a path below a corpus folder) N times over in the window mix (repeatable; a resumed run keeps its checkpoint's unless given)"},
			&cli.StringFlag{Name: "config", Value: "ref", Usage: "model shape `NAME` of a new model (with --init: grow the model into NAME)"},
			&cli.StringFlag{Name: "name", Usage: "model `NAME` recorded in the output (default mbzip-MODALITY-CONFIG)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the model to `OUT`.safetensors"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite an existing output"},
			&cli.IntFlag{Name: "steps", Value: def.Steps, Usage: "optimizer steps of the whole run (`N`)"},
			&cli.IntFlag{Name: "batch", Value: def.Batch, Usage: "windows per step (`B`)"},
			&cli.IntFlag{Name: "accum", Value: def.Accum, Usage: "micro-batches per step (`A`, divides --batch)"},
			&cli.IntFlag{Name: "threads", Usage: "worker goroutines (`T`)", DefaultText: "all cores"},
			&cli.Float64Flag{Name: "lr", Value: float64(def.LR), DefaultText: f32(def.LR), Usage: "peak learning rate"},
			&cli.IntFlag{Name: "warmup", Value: def.Warmup, Usage: "linear warmup `STEPS`"},
			&cli.Float64Flag{Name: "min-lr-ratio", Value: float64(def.MinLRRatio), DefaultText: f32(def.MinLRRatio), Usage: "final learning rate as a fraction of --lr"},
			&cli.Float64Flag{Name: "weight-decay", Value: float64(def.WeightDecay), DefaultText: f32(def.WeightDecay), Usage: "AdamW weight decay"},
			&cli.Float64Flag{Name: "clip", Value: float64(def.Clip), DefaultText: f32(def.Clip), Usage: "gradient-norm clip (0: none)"},
			&cli.Uint64Flag{Name: "seed", Value: def.Seed, Usage: "`SEED` of the initial weights and of the window sequence"},
			&cli.IntFlag{Name: "val-every", Value: def.ValEvery, Usage: "validate every `N` steps (and at the end)"},
			&cli.IntFlag{Name: "val-windows", Value: def.ValWindows, Usage: "held-out windows to validate on (`N`, 0: none)"},
			&cli.DurationFlag{Name: "duration", Usage: "stop cleanly after this wall `TIME` (e.g. 9m)", DefaultText: "no limit"},
			&cli.StringFlag{Name: "resume", Usage: "continue the run saved in checkpoint `CKPT`"},
			&cli.StringFlag{Name: "init", Usage: "start a new run from the weights (and config) of `MODEL`.safetensors instead of random ones"},
			&cli.StringFlag{Name: "checkpoint", Usage: "write checkpoints to `CKPT` (default OUT.ckpt)"},
			&cli.IntFlag{Name: "checkpoint-every", Value: def.CheckpointEvery, Usage: "also checkpoint every `N` steps (0: only at the end)"},
			&cli.IntFlag{Name: "log-every", Value: 10, Usage: "progress line every `N` steps when standard error is not a terminal"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress and no notes, errors only"},
		},
		Action: func(c *cli.Context) error {
			o, err := parseTrainOptions(c)
			if err != nil {
				return err
			}
			return train(o, os.Stderr)
		},
	}
}

// trainOptions are the parsed flags of train.
type trainOptions struct {
	corpus   corpus.CorpusTrainOptions
	quiet    bool
	logEvery int
}

// parseTrainOptions checks train's flags and gathers them. Only flags given
// on the command line change the training options, so that a resumed run
// keeps its checkpoint's.
func parseTrainOptions(c *cli.Context) (*trainOptions, error) {
	const cmd = "train"
	roots := append(c.StringSlice("corpus"), c.Args().Slice()...)
	switch {
	case len(roots) == 0:
		return nil, usagef(cmd, "no corpus: give --corpus DIR")
	case c.String("output") == "":
		return nil, usagef(cmd, "no output: give -o OUT.safetensors")
	case c.IsSet("resume") && c.IsSet("config"):
		return nil, usagef(cmd, "--resume and --config conflict: a resumed run keeps its checkpoint's config")
	case c.IsSet("init") && c.IsSet("resume"):
		return nil, usagef(cmd, "--init and --resume conflict: a resumed run starts from its checkpoint")
	case c.Int("log-every") < 1:
		return nil, usagef(cmd, "--log-every %d: want ≥ 1", c.Int("log-every"))
	}
	kind, err := modalities.ParseKind(c.String("modality"))
	if err != nil {
		return nil, usagef(cmd, "--modality: %v", err)
	}
	var weights []corpus.Weight
	for _, s := range c.StringSlice("weight") {
		w, err := corpus.ParseWeight(s)
		if err != nil {
			return nil, usagef(cmd, "--%v", err)
		}
		weights = append(weights, w)
	}
	if !c.IsSet("resume") && (!c.IsSet("init") || c.IsSet("config")) {
		if _, ok := model.Configs[c.String("config")]; !ok {
			return nil, usagef(cmd, "--config %q: known configs are %s", c.String("config"), strings.Join(corpus.ConfigNames(), ", "))
		}
	}
	for _, name := range []string{"steps", "batch", "accum", "threads", "warmup", "val-every", "val-windows", "checkpoint-every"} {
		if v := c.Int(name); c.IsSet(name) && v < 0 {
			return nil, usagef(cmd, "--%s %d: want ≥ 0", name, v)
		}
	}
	set := func(o *model.TrainOptions) {
		ints := map[string]*int{
			"steps": &o.Steps, "batch": &o.Batch, "accum": &o.Accum, "threads": &o.Threads,
			"warmup": &o.Warmup, "val-every": &o.ValEvery, "val-windows": &o.ValWindows,
			"checkpoint-every": &o.CheckpointEvery,
		}
		for name, p := range ints {
			if c.IsSet(name) {
				*p = c.Int(name)
			}
		}
		floats := map[string]*float32{"lr": &o.LR, "min-lr-ratio": &o.MinLRRatio, "weight-decay": &o.WeightDecay, "clip": &o.Clip}
		for name, p := range floats {
			if c.IsSet(name) {
				*p = float32(c.Float64(name))
			}
		}
		if c.IsSet("seed") {
			o.Seed = c.Uint64("seed")
		}
		if c.IsSet("duration") {
			o.Duration = c.Duration("duration")
		}
	}
	// Check the options that do not depend on a checkpoint now, as usage
	// errors, rather than after the corpus is loaded.
	probe := model.DefaultTrainOptions()
	set(&probe)
	if err := probe.Validate(); err != nil && !c.IsSet("resume") {
		return nil, usagef(cmd, "%v", strings.TrimPrefix(err.Error(), model.ErrTrainOptions.Error()+": "))
	}
	config := c.String("config")
	if c.IsSet("init") && !c.IsSet("config") {
		config = "" // keep the initial model's config
	}
	return &trainOptions{
		corpus: corpus.CorpusTrainOptions{
			Roots:      roots,
			Modality:   kind,
			Weights:    weights,
			Config:     config,
			Name:       c.String("name"),
			Output:     c.String("output"),
			Force:      c.Bool("force"),
			Checkpoint: c.String("checkpoint"),
			Resume:     c.String("resume"),
			Init:       c.String("init"),
			Configure:  set,
		},
		quiet:    c.Bool("quiet"),
		logEvery: c.Int("log-every"),
	}, nil
}

// train runs corpus.TrainModel with progress on stderr and Ctrl-C handling:
// the first SIGINT or SIGTERM cancels the run, which then saves its
// checkpoint; a second one exits at once.
func train(o *trainOptions, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// main's handler exits the process on the first signal; training needs
	// the signal to reach the loop instead, so take the signals over for
	// the duration of the run.
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	pl := newProgressLine(stderr, o.quiet, isTerminal(os.Stderr), o.logEvery)
	go func() {
		s, ok := <-sig
		if !ok {
			return
		}
		pl.note("interrupted (%v): stopping and saving a checkpoint; interrupt again to quit at once", s)
		cancel()
		s = <-sig
		temps.removeAll()
		fmt.Fprintf(stderr, "\nmbzip: interrupted again (%v): quitting without a checkpoint\n", s)
		os.Exit(128 + signalNumber(s))
	}()

	co := o.corpus
	co.Logf = pl.note
	err := corpus.TrainModel(ctx, co, pl.progress)
	pl.end()
	var ie *corpus.InterruptedError
	if errors.As(err, &ie) {
		return fmt.Errorf("%v\nresume with: mbzip train --resume %s -o %s [--corpus ...]", ie, ie.Checkpoint, co.Output)
	}
	return err
}

// progressLine writes training progress to standard error: on a terminal
// one line rewritten after every step, otherwise a line every logEvery
// steps, after every validation and at the last step. Notes are whole lines
// in between.
type progressLine struct {
	mu       sync.Mutex
	w        io.Writer
	quiet    bool
	terminal bool
	every    int
	open     bool // a terminal line is on screen without its newline
}

func newProgressLine(w io.Writer, quiet, terminal bool, every int) *progressLine {
	return &progressLine{w: w, quiet: quiet, terminal: terminal, every: every}
}

func (p *progressLine) note(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLocked()
	fmt.Fprintf(p.w, "mbzip: train: "+format+"\n", args...)
}

func (p *progressLine) progress(pr model.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := formatProgress(pr)
	switch {
	case p.terminal:
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		p.open = true
		if pr.Validated || pr.Checkpoint != "" {
			p.endLocked() // keep validation results in the scrollback
		}
	case pr.Step%p.every == 0 || pr.Validated || pr.Step == pr.Steps || pr.Checkpoint != "":
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressLine) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLocked()
}

func (p *progressLine) endLocked() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// formatProgress renders one progress report:
//
//	step 120/1000  loss 1.8342  train 2.646 bpb  val 2.701 bpb  lr 9.80e-04  42.1 kB/s  ETA 12m30s
func formatProgress(p model.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d/%d  loss %.4f  train %.3f bpb", p.Step, p.Steps, p.Loss, p.TrainBPB)
	if p.Validated && !math.IsNaN(p.ValBPB) {
		fmt.Fprintf(&b, "  val %.3f bpb", p.ValBPB)
	}
	fmt.Fprintf(&b, "  lr %.2e  %s/s  ETA %s", p.LR, rate(p.BytesPerSec), p.ETA.Round(time.Second))
	if p.Skipped {
		b.WriteString("  (non-finite gradient: update skipped)")
	}
	if p.Checkpoint != "" {
		fmt.Fprintf(&b, "  checkpoint %s", p.Checkpoint)
	}
	return b.String()
}

// rate formats bytes per second in decimal units.
func rate(bps float64) string {
	switch {
	case bps >= 1e6:
		return fmt.Sprintf("%.2f MB", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.1f kB", bps/1e3)
	}
	return fmt.Sprintf("%.0f B", bps)
}
