package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/corpus"
)

// inspectOptions are the flags of inspect.
type inspectOptions struct {
	file        string
	heatmap     string
	model       string
	force       bool
	threads     int
	segmentSize int
	limit       int
}

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show where the model is surprised by a file",
		ArgsUsage: "FILE",
		Description: `Runs the model over FILE with the contexts compress gives it and prints its
modality, model and cross-entropy in bits per byte. With --heatmap it draws
where the bits go; the output's extension picks the drawing:
   OUT.html  every byte of FILE as compress codes it, shaded by its bits
             (−log2 p), with a legend, the totals and the most surprising
             lines (text) or blocks (other data); text is shown as text,
             anything else (an image file too) as a hex dump
   OUT.png   FILE must be an image (PNG, JPEG, GIF, BMP, TIFF, WebP); its
             pixels are decoded and written row by row, each pixel's
             samples interleaved (grey; R,G,B; or R,G,B,A when the image
             has alpha), one byte per sample (two for 16-bit images), the
             stream the image modality will code; the model runs over that
             stream in segments as compress would cut it, and the picture
             shows each pixel's bits (the sum over its bytes) on the
             viridis scale with a colour bar, the mean, minimum and
             maximum. There is no image model yet: the default is the
             model compress uses for bytes, the built-in text prior (see
             mbzip models; the picture's title names the model used).
             Anything that is not an image (or does not decode) fails
             with exit code 1 and writes nothing.
compress still codes image files as bytes: OUT.png measures what the image
modality will code, not the .mbz compress writes today.

Examples:
   mbzip inspect notes.txt
   mbzip inspect --heatmap notes.html notes.txt
   mbzip inspect --heatmap kodim23-bits.png kodim23.png
   mbzip inspect --model my.safetensors --heatmap book.html --limit 4M book1`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "heatmap", Usage: "draw the bits of every byte into `OUT.html`, or of every pixel of an image into OUT.png"},
			&cli.StringFlag{Name: "model", EnvVars: []string{"MBZIP_MODEL"},
				Usage: "built-in model `NAME` or a .safetensors FILE (default: the built-in model of the file's modality; for OUT.png that of bytes, the text prior)"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite an existing heatmap", DisableDefaultText: true},
			&cli.IntFlag{Name: "threads", Usage: "use `N` cores", DefaultText: "all cores"},
			&cli.StringFlag{Name: "segment-size", Usage: "contexts of compress with segments of `SIZE` bytes",
				DefaultText: fmt.Sprintf("%dK", codec.DefaultSegmentSize>>10)},
			&cli.StringFlag{Name: "limit", Usage: "show at most `SIZE` bytes in the HTML heatmap (the totals cover all)",
				DefaultText: fmt.Sprintf("%dM for text, %dK otherwise", corpus.DefaultHTMLTextLimit>>20, corpus.DefaultHTMLHexLimit>>10)},
		},
		Action: func(c *cli.Context) error {
			o, err := parseInspectOptions(c)
			if err != nil {
				return err
			}
			return runInspect(o, os.Stdout)
		},
	}
}

// parseInspectOptions reads inspect's flags and checks them.
func parseInspectOptions(c *cli.Context) (*inspectOptions, error) {
	o := &inspectOptions{
		heatmap: c.String("heatmap"),
		model:   c.String("model"),
		force:   c.Bool("force"),
		threads: c.Int("threads"),
	}
	switch c.NArg() {
	case 0:
		return nil, usagef("inspect", "no file to inspect")
	case 1:
		o.file = c.Args().First()
	default:
		return nil, usagef("inspect", "inspect takes one file, got %d", c.NArg())
	}
	switch {
	case c.IsSet("heatmap") && o.heatmap == "":
		return nil, usagef("inspect", "--heatmap needs a file name")
	case o.heatmap == stdioName:
		return nil, usagef("inspect", "--heatmap needs a file name, not standard output")
	case o.threads < 0 || o.threads > 4096:
		return nil, usagef("inspect", "--threads %d: want 1 to 4096 (0 or unset: all cores)", o.threads)
	}
	if o.heatmap != "" {
		if _, err := corpus.HeatmapFor(o.heatmap); err != nil {
			return nil, usagef("inspect", "--heatmap: %v", err)
		}
	}
	var err error
	if s := c.String("segment-size"); c.IsSet("segment-size") {
		if o.segmentSize, err = parseSize(s); err != nil {
			return nil, usagef("inspect", "--segment-size: %v", err)
		}
		if o.segmentSize > codec.MaxSegmentSize {
			return nil, usagef("inspect", "--segment-size %s: at most %d bytes", s, codec.MaxSegmentSize)
		}
	}
	if s := c.String("limit"); c.IsSet("limit") {
		if o.limit, err = parseSize(s); err != nil {
			return nil, usagef("inspect", "--limit: %v", err)
		}
	}
	return o, nil
}

// runInspect reads the file, checks that the heatmap can be drawn for its
// modality (before the model pass, the slow part), runs the model, prints
// the summary and writes the heatmap.
func runInspect(o *inspectOptions, stdout io.Writer) error {
	in, err := openInput(o.file, false)
	if err != nil {
		return fmt.Errorf("%s: %w", displayName(o.file, true), err)
	}
	data, err := io.ReadAll(in.r)
	in.r.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", displayName(o.file, true), pathErr(err))
	}
	segSize := o.segmentSize
	if segSize == 0 {
		segSize = codec.DefaultSegmentSize
	}
	var render corpus.HeatmapRenderer
	if o.heatmap != "" {
		if render, err = corpus.HeatmapFor(o.heatmap); err != nil {
			return err
		}
		if err := render.Supports(data, corpus.CodecKind(data, segSize)); err != nil {
			return fmt.Errorf("%s: %w", displayName(o.file, true), err)
		}
		if !o.force {
			if _, err := os.Stat(o.heatmap); err == nil {
				return fmt.Errorf("%s: already exists (use -f to overwrite)", o.heatmap)
			}
		}
	}
	opts := corpus.InspectOptions{Name: displayName(o.file, true), SegmentSize: segSize, Threads: o.threads}
	_, opts.Image = render.(corpus.ImageHeatmap)
	if o.model != "" {
		if opts.Model, err = loadModel(o.model); err != nil {
			return err
		}
	}
	s, err := corpus.Surprisal(context.Background(), data, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.Name, err)
	}
	fmt.Fprintf(stdout, "%s:\n", opts.Name)
	fmt.Fprintf(stdout, "  modality        %v\n", s.Kind)
	fmt.Fprintf(stdout, "  bytes           %d\n", len(s.Data))
	fmt.Fprintf(stdout, "  model           %s (fingerprint %s)\n", s.Model, hex.EncodeToString(s.Fingerprint[:6]))
	if r := s.Raster; r != nil {
		fmt.Fprintf(stdout, "  image           %s, %d×%d pixels, %s: %d bytes of pixels in raster order\n",
			s.ImageFormat, r.Width, r.Height, r.ColourModel(), len(r.Pix))
		fmt.Fprintf(stdout, "  cross-entropy   %.4f bits per pixel byte, %.3f bits per pixel (Σ −log2 p = %.0f bits; no coding)\n",
			s.TotalBits/float64(max(len(r.Pix), 1)), s.TotalBits/float64(r.Width*r.Height), s.TotalBits)
	} else {
		fmt.Fprintf(stdout, "  cross-entropy   %.4f bits per byte (Σ −log2 p = %.0f bits; no coding)\n", s.BPB(), s.TotalBits)
	}
	if render == nil {
		return nil
	}
	if h, ok := render.(corpus.HTMLHeatmap); ok {
		h.Limit = o.limit
		render = h
	}
	out, err := createOutput(o.heatmap, nil, o.force)
	if err != nil {
		return err
	}
	defer out.Abort()
	if err := render.Render(out, s); err != nil {
		return fmt.Errorf("%s: %w", o.heatmap, err)
	}
	if err := out.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  heatmap         %s\n", o.heatmap)
	return nil
}
