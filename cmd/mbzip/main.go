// Command mbzip compresses and decompresses files with a MEGABYTE byte model
// and an arithmetic coder, in the manner of gzip, xz and zstd:
//
//	mbzip compress   [-1..-9] [-o OUT | -c] [-f] [--rm] [--model NAME|FILE] FILE...
//	mbzip decompress [-o OUT | -c] [-f] [--rm] FILE.mbz...
//	mbzip info       FILE.mbz...
//	mbzip models
//
// This package is only the command line: flags, files, progress and exit
// codes. The container and the coding loop live in package codec, the model
// in package model (DESIGN.md §1 and §4).
//
// Exit codes: 0 success, 1 a failure (bad data, I/O, model missing), 2 wrong
// usage (unknown flag, bad flag value, conflicting flags).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/mbzip/mbzip/kernels"
	"github.com/urfave/cli/v2"
)

// Exit codes, as in gzip: 1 for anything that went wrong with the data, the
// files or the model, 2 for a command line that could not be understood.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a command line that cannot be carried out as written. It
// maps to exit code 2.
type usageError struct {
	cmd string // the command whose --help to point to; "" for the top level
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef builds a usageError for command cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// errReported says that the failures of a command were already printed, one
// line per file, and only the exit code remains to be set.
var errReported = errors.New("failures reported")

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	// A deferred Abort does not run when a signal ends the process, so the
	// temporary outputs in flight are removed here before exiting.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		temps.removeAll()
		fmt.Fprintf(stderr, "mbzip: interrupted (%v)\n", s)
		os.Exit(128 + signalNumber(s))
	}()

	app := newApp(stdout, stderr)
	err := app.Run(permuteArgs(app, args))
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "mbzip: %v\n", ue.err)
		if ue.cmd != "" {
			fmt.Fprintf(stderr, "Try 'mbzip %s --help'.\n", ue.cmd)
		} else {
			fmt.Fprintln(stderr, "Try 'mbzip --help'.")
		}
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	default:
		fmt.Fprintf(stderr, "mbzip: %v\n", err)
		return exitFailure
	}
}

// signalNumber returns the number of a Unix signal, for the conventional
// 128+N exit status; 2 (SIGINT) for anything else.
func signalNumber(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return int(n)
	}
	return 2
}

// newApp builds the command tree. Each command's Action only gathers its
// flags into an options struct and calls one function.
func newApp(stdout, stderr io.Writer) *cli.App {
	// The default version flag is -v, which mbzip uses for --verbose.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version and the kernels in use", DisableDefaultText: true}
	// The kernels line says which implementation a bug report or a speed
	// figure came from; all of them give the same bits.
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "mbzip version %s\nkernels: %s (%s/%s)\n", c.App.Version, kernels.ISA(), runtime.GOOS, runtime.GOARCH)
	}
	onUsage := func(c *cli.Context, err error, _ bool) error {
		return &usageError{cmd: commandName(c), err: err}
	}
	app := &cli.App{
		Name:      "mbzip",
		Usage:     "compress files with a MEGABYTE byte model and an arithmetic coder",
		UsageText: "mbzip COMMAND [options] [FILE...]",
		Description: `mbzip predicts each byte with a neural (MEGABYTE) model and codes it with an
arithmetic coder into a .mbz container. Options may come before or after the
file names; "-" or no file at all means standard input/output.

Examples:
   mbzip compress notes.txt            writes notes.txt.mbz, keeps notes.txt
   mbzip decompress notes.txt.mbz      writes notes.txt
   mbzip info notes.txt.mbz            shows model, sizes and bits per byte
   mbzip models                        lists the built-in models`,
		Version:         version(),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: false,
		// Errors are printed and mapped to exit codes by run, not by cli.
		ExitErrHandler:         func(*cli.Context, error) {},
		OnUsageError:           onUsage,
		UseShortOptionHandling: true,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("", "unknown command %q", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return usagef("", "no command given")
		},
		Commands: []*cli.Command{
			compressCommand(),
			decompressCommand(),
			infoCommand(),
			modelsCommand(),
			trainCommand(),
			bpbCommand(),
			inspectCommand(),
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsage
	}
	return app
}

// commandName names the command a context belongs to, for "Try 'mbzip CMD --help'".
func commandName(c *cli.Context) string {
	if c == nil || c.Command == nil {
		return ""
	}
	return c.Command.Name
}

// permuteArgs moves the options of a command in front of its file names, so
// that "mbzip compress a.txt -f" means what it does in gzip. The flag package
// behind urfave/cli stops at the first non-option; without this, "-f" would
// be taken for a file name. Everything after "--" stays a file name, and a
// lone "-" (standard input) is a file name too.
func permuteArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var cmd *cli.Command
	for _, c := range app.Commands {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		if _, isBool := f.(*cli.BoolFlag); isBool {
			continue
		}
		for _, n := range f.Names() {
			takesValue[n] = true
		}
	}
	var opts, files []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			files = append(files, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			files = append(files, a)
			continue
		}
		opts = append(opts, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
			i++
			opts = append(opts, rest[i])
		}
	}
	out := append([]string{args[0], args[1]}, opts...)
	if len(files) > 0 {
		out = append(out, "--")
		out = append(out, files...)
	}
	return out
}
