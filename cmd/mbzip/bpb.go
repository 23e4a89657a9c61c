package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/plot/vg"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/corpus"
)

// bpbOptions are the flags of bpb.
type bpbOptions struct {
	model       string
	baselines   []corpus.Baseline
	exclude     []string
	json, csv   bool
	plot        string
	fromJSON    string
	force       bool
	quiet       bool
	threads     int
	level       int
	segmentSize int
	paths       []string
}

// Plot size: wide enough for six bars in each of four groups.
const (
	plotWidth  = 9 * vg.Inch
	plotHeight = 5 * vg.Inch
)

func bpbCommand() *cli.Command {
	return &cli.Command{
		Name:      "bpb",
		Usage:     "measure bits per byte of files and folders, against classic codecs",
		ArgsUsage: "PATH... | --from-json REPORT.json",
		Description: `Walks the files and folders given (following symbolic links; a link loop is
reported and skipped), detects each file's modality as compress does, and
measures in bits per original byte:
   XENT      the model's cross-entropy, Σ −log2 p over the file, without coding
   MBZ       the real .mbz container, 8 × its size / bytes (what compress writes)
   MBZ-XENT  how much MBZ is over XENT, in percent
   and the classic codecs, run in process (--baselines). One model pass per
   file, the coder's, gives both XENT and MBZ.
Per file, per modality and in total, with speeds in kB/s per core. Files run
in parallel on all cores (--threads), largest first; a big file's segments
share the cores left when few files remain.

Output: an aligned table on standard output, or --json (schema: corpus.BPBReport
in the source) or --csv (header line; first column "file", "modality" or
"total"). --plot OUT.png draws bits per byte per modality and method as a bar
chart (also .svg, .pdf). Progress goes to standard error when it is a terminal.
--from-json REPORT.json writes a report saved with --json again, as a table,
--csv or --plot, without measuring: one run gives every form.

A file that cannot be read (permissions, a folder that cannot be listed, a
file that changes while read) is reported on standard error and left out;
the totals cover the others and the exit status is 1.

Examples:
   mbzip bpb --exclude SHA256SUMS ../shared/corpus/eval/text
   mbzip bpb --json ../shared/corpus/eval > eval.json
   mbzip bpb --from-json eval.json --plot eval.png > eval.txt
   mbzip bpb --plot eval.png --baselines zstd,xz ../shared/corpus/eval
   mbzip bpb --model my.safetensors --baselines none notes.txt`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", EnvVars: []string{"MBZIP_MODEL"},
				Usage: "built-in model `NAME` or a .safetensors FILE (default: the built-in model of each file's modality)"},
			&cli.StringFlag{Name: "baselines", Value: "zstd,xz,brotli,flate",
				Usage: "classic codecs to compare with: a comma-separated `LIST` of zstd, xz, brotli, flate; all; none"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "leave out files and folders whose name matches `PATTERN` (repeatable; e.g. SHA256SUMS, '*.md')"},
			&cli.BoolFlag{Name: "json", Usage: "write the report as JSON", DisableDefaultText: true},
			&cli.BoolFlag{Name: "csv", Usage: "write the report as CSV", DisableDefaultText: true},
			&cli.StringFlag{Name: "plot", Usage: "draw bits per byte per modality as a bar chart into `OUT.png` (or .svg, .pdf)"},
			&cli.StringFlag{Name: "from-json", Usage: "write the report saved by --json in `FILE` instead of measuring"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite an existing plot", DisableDefaultText: true},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar", DisableDefaultText: true},
			&cli.IntFlag{Name: "threads", Usage: "keep `N` cores busy", DefaultText: "all cores"},
			&cli.IntFlag{Name: "level", Value: codec.DefaultLevel, Usage: "compression `LEVEL` 1..9, as compress -1..-9"},
			&cli.StringFlag{Name: "segment-size", Usage: "segments of `SIZE` bytes, as compress --segment-size",
				DefaultText: fmt.Sprintf("%dK", codec.DefaultSegmentSize>>10)},
		},
		Action: func(c *cli.Context) error {
			o, err := parseBPBOptions(c)
			if err != nil {
				return err
			}
			return runBPB(o, os.Stdout)
		},
	}
}

// parseBPBOptions reads bpb's flags and checks them.
func parseBPBOptions(c *cli.Context) (*bpbOptions, error) {
	o := &bpbOptions{
		model:    c.String("model"),
		json:     c.Bool("json"),
		csv:      c.Bool("csv"),
		plot:     c.String("plot"),
		fromJSON: c.String("from-json"),
		force:    c.Bool("force"),
		quiet:    c.Bool("quiet"),
		threads:  c.Int("threads"),
		level:    c.Int("level"),
		exclude:  c.StringSlice("exclude"),
		paths:    c.Args().Slice(),
	}
	var err error
	if o.baselines, err = corpus.ParseBaselines(c.String("baselines")); err != nil {
		return nil, usagef("bpb", "--baselines: %v", err)
	}
	switch {
	case c.IsSet("from-json") && (o.fromJSON == "" || o.fromJSON == stdioName):
		return nil, usagef("bpb", "--from-json needs a file name")
	case o.fromJSON != "" && len(o.paths) > 0:
		return nil, usagef("bpb", "--from-json writes a saved report: give no file or folder to measure")
	case len(o.paths) == 0 && o.fromJSON == "":
		return nil, usagef("bpb", "no file or folder to measure")
	case o.json && o.csv:
		return nil, usagef("bpb", "--json and --csv conflict: pick one format")
	case c.IsSet("plot") && o.plot == "":
		return nil, usagef("bpb", "--plot needs a file name")
	case o.plot == stdioName:
		return nil, usagef("bpb", "--plot needs a file name, not standard output")
	case o.threads < 0 || o.threads > 4096:
		return nil, usagef("bpb", "--threads %d: want 1 to 4096 (0 or unset: all cores)", o.threads)
	case o.level < codec.MinLevel || o.level > codec.MaxLevel:
		return nil, usagef("bpb", "--level %d: want %d to %d", o.level, codec.MinLevel, codec.MaxLevel)
	}
	for _, pat := range o.exclude {
		if _, err := filepath.Match(pat, ""); err != nil {
			return nil, usagef("bpb", "--exclude %q: %v", pat, err)
		}
	}
	for _, p := range o.paths {
		if p == stdioName {
			return nil, usagef("bpb", "bpb measures files and folders, not standard input")
		}
	}
	if o.plot != "" {
		if _, err := corpus.PlotFormat(o.plot); err != nil {
			return nil, usagef("bpb", "--plot: %v", err)
		}
	}
	if s := c.String("segment-size"); c.IsSet("segment-size") {
		if o.segmentSize, err = parseSize(s); err != nil {
			return nil, usagef("bpb", "--segment-size: %v", err)
		}
		if o.segmentSize > codec.MaxSegmentSize {
			return nil, usagef("bpb", "--segment-size %s: at most %d bytes", s, codec.MaxSegmentSize)
		}
	}
	return o, nil
}

// runBPB measures (or reads the --from-json report), reports each failed
// file on standard error, writes the report to stdout and the plot to its
// file. The error at the end only sets the exit code when files failed.
func runBPB(o *bpbOptions, stdout io.Writer) error {
	// Refuse an existing plot now rather than after a long measurement.
	if o.plot != "" && !o.force {
		if _, err := os.Stat(o.plot); err == nil {
			return fmt.Errorf("%s: already exists (use -f to overwrite)", o.plot)
		}
	}
	var report *corpus.BPBReport
	var err error
	if o.fromJSON != "" {
		report, err = readBPBReport(o.fromJSON)
	} else {
		report, err = measureBPB(o)
	}
	if err != nil {
		return err
	}
	for i := range report.Files {
		if f := &report.Files[i]; f.Err() != nil {
			err := f.Err()
			if pe, ok := err.(*fs.PathError); ok {
				err = pe.Err // the message starts with the path already
			}
			reportFailure(f.Path, err)
		}
	}
	switch {
	case o.json:
		err = report.WriteJSON(stdout)
	case o.csv:
		err = report.WriteCSV(stdout)
	default:
		err = report.WriteTable(stdout)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if o.plot != "" {
		if err := writePlot(report, o.plot, o.force); err != nil {
			return err
		}
	}
	if report.Failed > 0 {
		return errReported
	}
	return nil
}

// measureBPB runs corpus.Measure with bpb's options and a progress bar.
func measureBPB(o *bpbOptions) (*corpus.BPBReport, error) {
	opts := corpus.BPBOptions{
		Level:       o.level,
		SegmentSize: o.segmentSize,
		Threads:     o.threads,
		Baselines:   o.baselines,
		Exclude:     o.exclude,
	}
	if o.model != "" {
		m, err := loadModel(o.model)
		if err != nil {
			return nil, err
		}
		opts.Model = m
	}
	bar := newWorkBar(o.quiet, "bpb")
	opts.Progress = bar.set
	report, err := corpus.Measure(context.Background(), o.paths, opts)
	bar.clear()
	return report, err
}

// readBPBReport reads a report saved with --json.
func readBPBReport(path string) (*corpus.BPBReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	report, err := corpus.ReadBPBReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return report, nil
}

// writePlot draws the report's chart into path through a temporary file.
func writePlot(report *corpus.BPBReport, path string, force bool) error {
	format, err := corpus.PlotFormat(path)
	if err != nil {
		return err
	}
	out, err := createOutput(path, nil, force)
	if err != nil {
		return err
	}
	defer out.Abort()
	if err := report.WritePlot(out, format, plotWidth, plotHeight); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return out.Commit()
}

// workBar is a progress bar over units of work on standard error; nil (no
// terminal, or -q) shows nothing.
type workBar struct {
	bar *progressbar.ProgressBar
}

func newWorkBar(quiet bool, what string) *workBar {
	if quiet || !isTerminal(os.Stderr) {
		return nil
	}
	return &workBar{bar: progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// set moves the bar to done of total.
func (b *workBar) set(done, total int64) {
	if b == nil {
		return
	}
	if b.bar.GetMax64() != total {
		b.bar.ChangeMax64(total)
	}
	_ = b.bar.Set64(done)
}

// clear removes the bar from the terminal.
func (b *workBar) clear() {
	if b == nil {
		return
	}
	_ = b.bar.Finish()
	_ = b.bar.Clear()
}
