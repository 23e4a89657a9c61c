package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/codec"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:      "info",
		Usage:     "describe .mbz containers without decompressing them",
		ArgsUsage: "[FILE.mbz...]",
		Description: `Reads each container whole and checks its structure and checksums without
running the model, then prints the modality, the model (name and short
fingerprint), the level, the original and compressed sizes, the ratio, the
bits per byte and the segments (how many were stored rather than coded).

Examples:
   mbzip info notes.txt.mbz
   mbzip info *.mbz
   mbzip compress -c notes.txt | mbzip info -`,
		Action: func(c *cli.Context) error {
			files := c.Args().Slice()
			if len(files) == 0 {
				files = []string{stdioName}
			}
			return infoFiles(os.Stdout, files)
		},
	}
}

// infoFiles prints the description of every container in turn; a failure
// is reported and the next file tried.
func infoFiles(w io.Writer, files []string) error {
	return forEachFile(files, func(i int, name string) error {
		info, err := inspectFile(name)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		printInfo(w, displayName(name, true), info)
		return nil
	})
}

// inspectFile runs codec.Inspect over one file.
func inspectFile(name string) (*codec.Info, error) {
	in, err := openInput(name, true)
	if err != nil {
		return nil, err
	}
	defer in.r.Close()
	return codec.Inspect(in.r)
}

// printInfo writes the fields of info, one per line.
func printInfo(w io.Writer, name string, info *codec.Info) {
	ratio, bpb, share := "-", "-", "-"
	if info.CompressedSize > 0 {
		ratio = fmt.Sprintf("%.3f", float64(info.OriginalSize)/float64(info.CompressedSize))
	}
	if info.OriginalSize > 0 {
		bpb = fmt.Sprintf("%.3f", 8*float64(info.CompressedSize)/float64(info.OriginalSize))
		share = fmt.Sprintf("%.1f%%", 100*float64(info.CompressedSize)/float64(info.OriginalSize))
	}
	fmt.Fprintf(w, "%s:\n", name)
	fmt.Fprintf(w, "  format version  %d\n", info.Version)
	fmt.Fprintf(w, "  modality        %v\n", info.Modality)
	fmt.Fprintf(w, "  model           %s (fingerprint %s)\n", info.ModelName, shortFP(info.Fingerprint))
	fmt.Fprintf(w, "  level           %d\n", info.Level)
	fmt.Fprintf(w, "  original        %d bytes\n", info.OriginalSize)
	fmt.Fprintf(w, "  compressed      %d bytes (%s of the original)\n", info.CompressedSize, share)
	fmt.Fprintf(w, "  ratio           %s\n", ratio)
	fmt.Fprintf(w, "  bits per byte   %s\n", bpb)
	fmt.Fprintf(w, "  segments        %d of %d bytes (%d stored)\n", info.Segments, info.SegmentSize, info.StoredSegments)
	if info.Lanes > 1 {
		fmt.Fprintf(w, "  lanes           up to %d blocks of a segment decoded side by side\n", info.Lanes)
	}
	if info.ModelBitsBytes > 0 {
		fmt.Fprintf(w, "  model estimate  %.3f bits per byte (-log2 p over %d bytes)\n",
			info.ModelBits/float64(info.ModelBitsBytes), info.ModelBitsBytes)
	}
}
