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
		Usage: "list the built-in models",
		Description: `Lists the models built into this mbzip: name, whether it is trained,
parameters, forward cost in MFLOP per byte, context window in bytes and
short fingerprint. The default model is marked with *. A container records
the fingerprint of its model; decompressing it needs the same model.

Examples:
   mbzip models
   mbzip compress --model test-random-v1 notes.txt`,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("models", "models takes no arguments")
			}
			return listModels(os.Stdout)
		},
	}
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
			m.Cfg.FLOPsPerByte()/1e6, m.Cfg.Window(), shortFP(m.Fingerprint()), e.Description)
	}
	return tw.Flush()
}
