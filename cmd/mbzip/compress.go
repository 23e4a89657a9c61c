package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/codec"
)

// compressOptions are fileOptions plus what only compress takes.
type compressOptions struct {
	*fileOptions
	level       int // 1..9; 0 leaves the codec's default
	segmentSize int // 0 leaves the codec's default
	lanes       int // 0 leaves the codec's default
}

func compressCommand() *cli.Command {
	flags := []cli.Flag{}
	for l := 1; l <= 9; l++ {
		// -2 … -8 parse like the others but stay out of the help list.
		f := &cli.BoolFlag{Name: strconv.Itoa(l), DisableDefaultText: true, Hidden: l > 1 && l < 9}
		switch l {
		case 1:
			f.Usage = fmt.Sprintf("fastest level; -1 … -9, default -%d (today every level uses the static model)", codec.DefaultLevel)
		case 9:
			f.Usage = "strongest level"
		}
		flags = append(flags, f)
	}
	flags = append(flags,
		&cli.StringFlag{Name: "model", EnvVars: []string{"MBZIP_MODEL"},
			Usage: "built-in model `NAME` or a .safetensors FILE (default: the built-in model of the input's modality; see 'mbzip models')"},
		&cli.StringFlag{Name: "segment-size", Usage: "split the input into segments of `SIZE` bytes, coded in parallel (e.g. 4096, 64K, 1M)",
			DefaultText: fmt.Sprintf("%dK", codec.DefaultSegmentSize>>10)},
		&cli.IntFlag{Name: "lanes", Usage: fmt.Sprintf("code `N` model windows of a segment interleaved, 1 … %d, so that decompress steps them side by side (1: one after another)", codec.MaxLanes),
			DefaultText: strconv.Itoa(codec.DefaultLanes)},
	)
	flags = append(flags, fileFlags()...)
	return &cli.Command{
		Name:      "compress",
		Aliases:   []string{"c"},
		Usage:     "compress files into FILE.mbz",
		ArgsUsage: "[FILE...]",
		Description: `Compresses each FILE into FILE.mbz and keeps FILE (unless --rm). "-" or no
FILE reads standard input and writes standard output. Output goes to a
temporary file beside the target and is renamed only when complete; an
existing output is never overwritten without -f. Compressed data is not
written to a terminal without -f.

The input is cut into segments (--segment-size) that are compressed in
parallel and decompressed in lock-step. The model sees a segment as blocks
of its window (2 KiB for the text priors), each a fresh context, and
compress codes a segment's blocks interleaved in --lanes groups, so that
decompress runs the model over all the lanes of all the segments in flight
at once: one 32 KiB segment of text decompresses 1.5 to 2 times as fast on
one thread with the default 8 lanes as with 1, for the same bytes give or
take one.

Examples:
   mbzip compress notes.txt                 writes notes.txt.mbz
   mbzip compress -9 --rm a.txt b.txt       two files, strongest level, removes the inputs
   mbzip compress -c notes.txt > n.mbz      to standard output
   tar c dir | mbzip compress > dir.tar.mbz from a pipe
   mbzip compress --model my.safetensors -o out.mbz data.bin
   mbzip compress --threads 2 --segment-size 1M big.log`,
		Flags: flags,
		Action: func(c *cli.Context) error {
			o, err := parseCompressOptions(c)
			if err != nil {
				return err
			}
			return compressFiles(o)
		},
	}
}

// parseCompressOptions reads compress's flags.
func parseCompressOptions(c *cli.Context) (*compressOptions, error) {
	fo, err := parseFileOptions(c)
	if err != nil {
		return nil, err
	}
	o := &compressOptions{fileOptions: fo}
	for l := 1; l <= 9; l++ {
		if !c.Bool(strconv.Itoa(l)) {
			continue
		}
		if o.level != 0 {
			return nil, usagef("compress", "-%d and -%d conflict: pick one level", o.level, l)
		}
		o.level = l
	}
	if s := c.String("segment-size"); c.IsSet("segment-size") {
		if o.segmentSize, err = parseSize(s); err != nil {
			return nil, usagef("compress", "--segment-size: %v", err)
		}
		if o.segmentSize > codec.MaxSegmentSize {
			return nil, usagef("compress", "--segment-size %s: at most %d bytes", s, codec.MaxSegmentSize)
		}
	}
	if c.IsSet("lanes") {
		o.lanes = c.Int("lanes")
		if o.lanes < 1 || o.lanes > codec.MaxLanes {
			return nil, usagef("compress", "--lanes %d: want 1 … %d", o.lanes, codec.MaxLanes)
		}
	}
	if o.stdout && len(o.files) > 1 {
		// Concatenated containers are not one container: decompress would
		// stop after the first.
		return nil, usagef("compress", "-c takes one input, got %d", len(o.files))
	}
	return o, nil
}

// compressFiles compresses every input in turn. A failure is reported and
// the next file tried; the error at the end only sets the exit code.
func compressFiles(o *compressOptions) error {
	opts := o.codecOptions()
	if o.level != 0 {
		opts = append(opts, codec.WithLevel(o.level))
	}
	if o.segmentSize != 0 {
		opts = append(opts, codec.WithSegmentSize(o.segmentSize))
	}
	if o.lanes != 0 {
		opts = append(opts, codec.WithLanes(o.lanes))
	}
	if o.model != "" {
		m, err := loadModel(o.model)
		if err != nil {
			return err
		}
		opts = append(opts, codec.WithModel(m))
	}
	return forEachFile(o.files, func(_ int, name string) error { return compressFile(o, name, opts) })
}

// compressFile compresses one input to its output, committing the output
// only when the container is complete.
func compressFile(o *compressOptions, name string, opts []codec.Option) error {
	target, err := compressedName(name, o.fileOptions)
	if err != nil {
		return err
	}
	if target == stdioName && !o.force && isTerminal(os.Stdout) {
		return errors.New("refusing to write compressed data to a terminal (use -o, redirect, or -f)")
	}
	in, err := openInput(name, false)
	if err != nil {
		return err
	}
	defer in.r.Close()
	out, err := createOutput(target, in, o.force)
	if err != nil {
		return err
	}
	defer out.Abort()

	start := time.Now()
	bar := newProgress(o.fileOptions, name, in.size())
	counted := &countingWriter{w: out}
	w, err := codec.NewWriter(counted, opts...)
	if err != nil {
		return err
	}
	n, err := io.Copy(w, bar.reader(in.r))
	if err != nil {
		bar.clear()
		return pathErr(err)
	}
	if err := w.Close(); err != nil {
		bar.clear()
		return err
	}
	bar.clear()
	if err := out.Commit(); err != nil {
		return err
	}
	if o.rm && name != stdioName {
		if err := os.Remove(name); err != nil {
			return fmt.Errorf("output complete, but removing the input failed: %w", pathErr(err))
		}
	}
	if o.verbose {
		reportSizes(name, target, n, counted.n, time.Since(start), true)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// reportFailure prints one failed file as "mbzip: FILE: what went wrong".
func reportFailure(name string, err error) {
	fmt.Fprintf(os.Stderr, "mbzip: %s: %v\n", displayName(name, true), err)
}

// reportSizes prints the -v line of one file: sizes, ratio, bits per byte
// and speed over the uncompressed side.
func reportSizes(name, target string, in, out int64, d time.Duration, compress bool) {
	orig, comp := in, out
	if !compress {
		orig, comp = out, in
	}
	bpb := "-"
	if orig > 0 {
		bpb = fmt.Sprintf("%.3f", 8*float64(comp)/float64(orig))
	}
	speed := float64(orig) / 1e6 / max(d.Seconds(), 1e-9)
	fmt.Fprintf(os.Stderr, "%s -> %s: %d -> %d bytes, %s bits/byte, %.2f MB/s\n",
		displayName(name, true), displayName(target, false), in, out, bpb, speed)
}
