// Command export-model writes a built-in model as a .safetensors file, for
// machines that get a slim mbzip (-tags mbzip_nobuiltin) and --model FILE,
// such as scripts/device-check.sh's. The file loads as the same model, the
// fingerprint included (binary16 variants carry their rounded weights and
// half_kv in the config).
//
//	go run ./scripts/export-model [NAME] FILE    # NAME: the default model
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "export-model:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var (
		m   *model.Model
		err error
	)
	switch len(args) {
	case 1:
		m, err = builtin.Default()
	case 2:
		m, err = builtin.Lookup(args[0])
		args = args[1:]
	default:
		return fmt.Errorf("usage: export-model [NAME] FILE")
	}
	if err != nil {
		return err
	}
	f, err := os.Create(args[0])
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := m.Save(w); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	back, err := model.Load(data)
	if err != nil {
		return fmt.Errorf("%s: reading it back: %w", args[0], err)
	}
	if back.Fingerprint() != m.Fingerprint() {
		return fmt.Errorf("%s: reads back as another model (fingerprint)", args[0])
	}
	fmt.Printf("%s: %s, fingerprint %x\n", args[0], m.Name(), m.Fingerprint())
	return nil
}
