package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/model/builtin"
)

func modelsCommand() *cli.Command {
	return &cli.Command{
		Name:  "models",
		Usage: "list the built-in models, or export one as a .safetensors file",
		Description: `Lists the models built into this mbzip: name, whether it is trained,
parameters, forward cost in MFLOP per byte, context window in bytes and
short fingerprint. The default model is marked with *. A container records
the fingerprint of its model; decompressing it needs the same model.

--export FILE writes a built-in model (--model NAME, else the default) as a
.safetensors file: the same model, fingerprint included, for --model FILE
on a build without the built-in weights (-tags mbzip_nobuiltin), for
'mbzip train --init FILE', or for other tools. Nothing is written if it
fails.

Examples:
   mbzip models
   mbzip models --export default.safetensors
   mbzip models --export ref.safetensors --model text-ref-v7-f16
   mbzip compress --model test-random-v1 notes.txt`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "export", Usage: "write the model to `FILE` (.safetensors)"},
			&cli.StringFlag{Name: "model", Usage: "with --export: the built-in model `NAME` (default: the default model)"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "with --export: overwrite FILE"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("models", "models takes no arguments")
			}
			file := c.String("export")
			if file == "" {
				if c.IsSet("model") || c.IsSet("force") {
					return usagef("models", "--model and -f go with --export FILE")
				}
				return listModels(os.Stdout)
			}
			return exportModel(file, c.String("model"), c.Bool("force"), os.Stdout)
		},
	}
}

// exportModel writes the built-in model name (the default when empty) to
// file through a temporary file, and says what it wrote on w.
func exportModel(file, name string, force bool, w io.Writer) error {
	m, err := builtin.Default()
	if name != "" {
		m, err = builtin.Lookup(name)
	}
	if err != nil {
		return err
	}
	out, err := createOutput(file, nil, force)
	if err != nil {
		return err
	}
	defer out.Abort()
	if err := m.Save(out); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := out.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %s, fingerprint %s\n", file, m.Name(), shortFP(m.Fingerprint()))
	return nil
}

// listModels prints builtin.List() as a table.
func listModels(w io.Writer) error {
	def := ""
	if m, err := builtin.Default(); err == nil {
		def = m.Name()
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tPARAMS\tMFLOP/BYTE\tWINDOW\tFINGERPRINT\tDESCRIPTION")
	for _, e := range builtin.List() {
		m, err := e.Model()
		if err != nil {
			return fmt.Errorf("built-in model %s: %w", e.Name, err)
		}
		name, status := e.Name, "trained"
		if e.Name == def {
			name += " *"
		}
		if e.Untrained {
			status = "UNTRAINED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%d\t%s\t%s\n", name, status, m.Cfg.Params(),
			m.Cfg.FLOPsPerByte()/1e6, m.Cfg.Window(), shortFP(builtin.Fingerprint(m)), e.Description)
	}
	return tw.Flush()
}
