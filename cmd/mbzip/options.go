package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// fileOptions are the gzip-style options shared by compress and decompress.
type fileOptions struct {
	output  string // -o: explicit output path (one input only)
	stdout  bool   // -c: write to standard output
	force   bool   // -f: overwrite outputs, write compressed data to a terminal
	rm      bool   // --rm: remove each input once its output is in place
	quiet   bool   // -q: no progress bar
	verbose bool   // -v: one line of figures per file
	threads int    // --threads; 0 leaves the codec's default
	model   string // --model NAME|FILE; "" for the default
	files   []string
}

// fileFlags returns the flags behind fileOptions.
func fileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `OUT` (one input only)"},
		&cli.BoolFlag{Name: "stdout", Aliases: []string{"c"}, Usage: "write to standard output, keep the inputs", DisableDefaultText: true},
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite existing outputs", DisableDefaultText: true},
		&cli.BoolFlag{Name: "rm", Usage: "remove each input after its output is complete", DisableDefaultText: true},
		&cli.BoolFlag{Name: "keep", Aliases: []string{"k"}, Usage: "keep the inputs (the default)", DisableDefaultText: true},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar", DisableDefaultText: true},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print sizes and speed of each file", DisableDefaultText: true},
		&cli.IntFlag{Name: "threads", Usage: "code `N` segments at a time", DefaultText: "all cores"},
	}
}

// parseFileOptions reads the shared flags and checks that they do not
// contradict each other or the number of files.
func parseFileOptions(c *cli.Context) (*fileOptions, error) {
	cmd := commandName(c)
	o := &fileOptions{
		output:  c.String("output"),
		stdout:  c.Bool("stdout"),
		force:   c.Bool("force"),
		rm:      c.Bool("rm"),
		quiet:   c.Bool("quiet"),
		verbose: c.Bool("verbose"),
		threads: c.Int("threads"),
		model:   c.String("model"),
		files:   c.Args().Slice(),
	}
	if len(o.files) == 0 {
		o.files = []string{stdioName}
	}
	switch {
	case c.IsSet("output") && o.output == "":
		return nil, usagef(cmd, "-o needs a file name")
	case o.output != "" && o.stdout:
		return nil, usagef(cmd, "-o and -c conflict: pick one output")
	case o.rm && c.Bool("keep"):
		return nil, usagef(cmd, "--rm and -k conflict")
	case o.rm && o.stdout:
		return nil, usagef(cmd, "--rm and -c conflict: -c keeps the inputs")
	case o.output != "" && len(o.files) > 1:
		return nil, usagef(cmd, "-o takes one input, got %d", len(o.files))
	case o.quiet && o.verbose:
		return nil, usagef(cmd, "-q and -v conflict")
	case o.threads < 0 || o.threads > 4096:
		return nil, usagef(cmd, "--threads %d: want 1 to 4096 (0 or unset: all cores)", o.threads)
	}
	return o, nil
}

// codecOptions returns the codec options common to both directions.
func (o *fileOptions) codecOptions() []codec.Option {
	var opts []codec.Option
	if o.threads > 0 {
		opts = append(opts, codec.WithThreads(o.threads))
	}
	return opts
}

// parseSize reads a byte count such as 4096, 64K, 64KiB or 1M (binary
// multiples: mbzip's segment sizes are powers of two in practice).
func parseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1
	upper := strings.ToUpper(t)
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}} {
		if strings.HasSuffix(upper, u.suffix) {
			t, mult = t[:len(t)-len(u.suffix)], u.mult
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(t))
	if err != nil || n <= 0 || n > (1<<30)/mult {
		return 0, fmt.Errorf("bad size %q: want a positive byte count such as 4096, 64K or 1M, at most 1G", s)
	}
	return n * mult, nil
}

// loadModel resolves --model: a built-in name (see model/builtin), or a
// safetensors file written by model.Save. A value that looks like a path
// (it has a separator or the .safetensors extension) is read as a file
// first; anything else is looked up by name first.
func loadModel(spec string) (*model.Model, error) {
	looksLikePath := strings.ContainsRune(spec, filepath.Separator) || strings.ContainsRune(spec, '/') ||
		strings.HasSuffix(spec, ".safetensors")
	if !looksLikePath {
		if m, err := builtin.Lookup(spec); err == nil {
			return m, nil
		}
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--model %s: not a built-in model (see 'mbzip models') and no such file", spec)
		}
		return nil, fmt.Errorf("--model %s: %w", spec, pathErr(err))
	}
	m, err := model.Load(data)
	if err != nil {
		return nil, fmt.Errorf("--model %s: %w", spec, err)
	}
	return m, nil
}

// modelResolver finds the model a container names: the --model one when
// its fingerprint matches, else the built-in of that name when its
// fingerprint matches. The message says which model is missing and how to
// supply it, since "model unavailable" alone leaves the user stuck.
func modelResolver(user *model.Model) func(string, [32]byte) (*model.Model, error) {
	var userFP [32]byte
	if user != nil {
		userFP = builtin.Fingerprint(user) // recorded for a built-in, else hashed
	}
	return func(name string, fp [32]byte) (*model.Model, error) {
		if user != nil && userFP == fp {
			return user, nil
		}
		m, err := builtin.Lookup(name)
		if err == nil && builtin.Fingerprint(m) == fp {
			return m, nil
		}
		what := "which is not built in"
		if err == nil {
			what = "but the built-in of that name has other weights"
		}
		hint := "pass the model file with --model FILE"
		if user != nil {
			hint = fmt.Sprintf("--model %s has fingerprint %s", user.Name(), shortFP(userFP))
		}
		// No %w of codec.ErrModelUnavailable: the codec wraps what the
		// resolver returns, and the sentinel's text would appear twice.
		return nil, fmt.Errorf("made with model %q (fingerprint %s), %s; %s",
			name, shortFP(fp), what, hint)
	}
}

// shortFP is the first 12 hex digits of a fingerprint, as git shortens hashes.
func shortFP(fp [32]byte) string { return fmt.Sprintf("%x", fp[:6]) }

// version is the module version, or the VCS revision of a development build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}
