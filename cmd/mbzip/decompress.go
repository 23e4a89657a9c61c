package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/model"
)

func decompressCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "a .safetensors `FILE` (or built-in NAME) for containers made with a model that is not built in"},
	}, fileFlags()...)
	return &cli.Command{
		Name:      "decompress",
		Aliases:   []string{"d"},
		Usage:     "restore FILE from FILE.mbz",
		ArgsUsage: "[FILE.mbz...]",
		Description: `Restores each FILE.mbz to FILE and keeps FILE.mbz (unless --rm). Every
checksum is verified; a damaged container, or one made with a model that is
not available, is an error and leaves no output behind. A name without the
.mbz suffix needs -o or -c. "-" or no FILE reads standard input and writes
standard output.

Examples:
   mbzip decompress notes.txt.mbz           writes notes.txt
   mbzip decompress -c notes.txt.mbz | less
   mbzip decompress -o copy.txt notes.txt.mbz
   mbzip decompress --rm *.mbz
   mbzip decompress --model my.safetensors data.bin.mbz`,
		Flags: flags,
		Action: func(c *cli.Context) error {
			o, err := parseFileOptions(c)
			if err != nil {
				return err
			}
			return decompressFiles(o)
		},
	}
}

// decompressFiles restores every input in turn. A failure is reported and
// the next file tried; the error at the end only sets the exit code.
func decompressFiles(o *fileOptions) error {
	var user *model.Model
	if o.model != "" {
		m, err := loadModel(o.model)
		if err != nil {
			return err
		}
		user = m
	}
	opts := append(o.codecOptions(), codec.WithModelResolver(modelResolver(user)))
	return forEachFile(o.files, func(_ int, name string) error { return decompressFile(o, name, opts) })
}

// decompressFile restores one container, committing the output only when
// the whole container, trailer and checksums included, has been read.
func decompressFile(o *fileOptions, name string, opts []codec.Option) error {
	target, err := decompressedName(name, o)
	if err != nil {
		return err
	}
	in, err := openInput(name, true)
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
	bar := newProgress(o, name, in.size())
	counted := &countingReader{r: in.r}
	r, err := codec.NewReader(bar.reader(counted), opts...)
	if err != nil {
		bar.clear()
		return err
	}
	n, err := io.Copy(out, r)
	bar.clear()
	if err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	if o.rm && name != stdioName {
		if err := os.Remove(name); err != nil {
			return fmt.Errorf("output complete, but removing the input failed: %w", pathErr(err))
		}
	}
	if o.verbose {
		reportSizes(name, target, counted.n, n, time.Since(start), false)
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
