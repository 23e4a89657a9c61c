package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// suffix is the extension compress adds and decompress strips.
const suffix = ".mbz"

// stdioName is the file name that stands for standard input or output.
const stdioName = "-"

// displayName is how a file is named in messages: "-" reads better as
// "(stdin)" or "(stdout)" depending on the side it stands for.
func displayName(name string, input bool) string {
	if name != stdioName {
		return name
	}
	if input {
		return "(stdin)"
	}
	return "(stdout)"
}

// compressedName returns where compress writes the container for input name:
// "-" (standard output) when asked to or when reading standard input without
// -o, the explicit -o path, or name + ".mbz".
func compressedName(name string, o *fileOptions) (string, error) {
	switch {
	case o.stdout:
		return stdioName, nil
	case o.output != "":
		return o.output, nil
	case name == stdioName:
		return stdioName, nil
	case strings.HasSuffix(name, suffix) && !o.force:
		return "", fmt.Errorf("already has the %s suffix (use -f to compress it again)", suffix)
	}
	return name + suffix, nil
}

// decompressedName returns where decompress writes the original of name:
// standard output, the explicit -o path, or name without ".mbz". A name
// without the suffix is refused rather than guessed at, so that decompress
// never writes over a file that merely lacks an extension.
func decompressedName(name string, o *fileOptions) (string, error) {
	switch {
	case o.stdout:
		return stdioName, nil
	case o.output != "":
		return o.output, nil
	case name == stdioName:
		return stdioName, nil
	}
	base := filepath.Base(name)
	if !strings.HasSuffix(base, suffix) || len(base) == len(suffix) {
		return "", fmt.Errorf("unknown suffix: expected a name ending in %s (use -o OUT or -c)", suffix)
	}
	return strings.TrimSuffix(name, suffix), nil
}

// input is an opened source file together with what compress copies from it
// onto the output (permissions and modification time).
type input struct {
	r    io.ReadCloser
	name string      // as given on the command line; "-" for standard input
	info fs.FileInfo // nil for standard input
}

// size returns the length of a regular input file, or -1 when unknown.
func (in *input) size() int64 {
	if in.info == nil || !in.info.Mode().IsRegular() {
		return -1
	}
	return in.info.Size()
}

// openInput opens name for reading; "-" is standard input. Directories are
// refused: compressing one would need an archive format mbzip does not have.
// If compressed is set, a terminal on standard input is refused as gzip does,
// since nobody types a container.
func openInput(name string, compressed bool) (*input, error) {
	if name == stdioName {
		if compressed && term.IsTerminal(int(os.Stdin.Fd())) {
			return nil, errors.New("refusing to read compressed data from a terminal")
		}
		return &input{r: io.NopCloser(os.Stdin), name: name}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, pathErr(err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, pathErr(err)
	}
	if info.IsDir() {
		f.Close()
		return nil, errors.New("is a directory")
	}
	return &input{r: f, name: name, info: info}, nil
}

// pathErr strips the *fs.PathError around err: the message already starts
// with the file name, so repeating "open NAME:" only adds noise. The errno
// stays wrapped, so errors.Is(err, fs.ErrNotExist) still holds.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// output is where a command writes its result. A file output is a temporary
// file beside the target that Commit renames into place; until then the
// target is untouched, and Abort (or any failure) removes the temporary file,
// so an interrupted or failed run leaves no partial output behind.
type output struct {
	w       *bufio.Writer
	name    string   // target path, or "-" for standard output
	f       *os.File // the open temporary file; nil for standard output
	tmpPath string   // the temporary file while it exists
	force   bool
	mode    fs.FileMode
	mtime   time.Time
	copyMD  bool // copy mode and mtime from the input onto the output
}

// createOutput prepares the output for target. For a file, it refuses an
// existing target unless force is set, refuses a target that is the input
// itself, and creates the temporary file with os.CreateTemp in the target's
// directory, so that the final rename stays on one file system.
func createOutput(target string, in *input, force bool) (*output, error) {
	if target == stdioName {
		return &output{w: bufio.NewWriterSize(os.Stdout, 1<<16), name: target}, nil
	}
	if st, err := os.Stat(target); err == nil {
		if in != nil && in.info != nil && os.SameFile(st, in.info) {
			return nil, fmt.Errorf("%s: output would overwrite the input", target)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s: output is a directory", target)
		}
		if !force {
			return nil, fmt.Errorf("%s: already exists (use -f to overwrite)", target)
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("%s: cannot create temporary output: %w", target, pathErr(err))
	}
	temps.add(f.Name())
	o := &output{w: bufio.NewWriterSize(f, 1<<16), name: target, f: f, tmpPath: f.Name(), force: force, mode: 0o644}
	if in != nil && in.info != nil && in.info.Mode().IsRegular() {
		o.mode, o.mtime, o.copyMD = in.info.Mode().Perm(), in.info.ModTime(), true
	}
	return o, nil
}

// Write buffers p for the output.
func (o *output) Write(p []byte) (int, error) { return o.w.Write(p) }

// Commit flushes the output and, for a file, moves it into place. Without
// force it links rather than renames, so that a file created at the target
// while mbzip ran is not overwritten either. After a failed Commit the
// caller still calls Abort, which removes the temporary file.
func (o *output) Commit() error {
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("%s: write: %w", displayName(o.name, false), pathErr(err))
	}
	if o.f == nil {
		return nil
	}
	if err := o.f.Sync(); err != nil {
		return fmt.Errorf("%s: sync: %w", o.name, pathErr(err))
	}
	err := o.f.Close()
	o.f = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", o.name, pathErr(err))
	}
	if err := os.Chmod(o.tmpPath, o.mode); err != nil {
		return fmt.Errorf("%s: chmod: %w", o.name, pathErr(err))
	}
	if o.copyMD {
		// Best effort, as in gzip: a file system without mtimes is no reason to fail.
		_ = os.Chtimes(o.tmpPath, o.mtime, o.mtime)
	}
	if err := place(o.tmpPath, o.name, o.force); err != nil {
		return err
	}
	temps.remove(o.tmpPath)
	o.tmpPath = ""
	return nil
}

// place moves tmp to target. Without force, os.Link fails if target exists,
// which closes the window between the existence check in createOutput and
// now; file systems without hard links fall back to check-then-rename.
func place(tmp, target string, force bool) error {
	if !force {
		err := os.Link(tmp, target)
		if err == nil {
			_ = os.Remove(tmp) // the target is in place; a stray link is no failure
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: already exists (use -f to overwrite)", target)
		}
		if _, serr := os.Lstat(target); serr == nil {
			return fmt.Errorf("%s: already exists (use -f to overwrite)", target)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("%s: %w", target, pathErr(err))
	}
	return nil
}

// Abort discards an output that was not committed; it is a no-op after a
// successful Commit and safe to call more than once.
func (o *output) Abort() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
	if o.tmpPath != "" {
		os.Remove(o.tmpPath)
		temps.remove(o.tmpPath)
		o.tmpPath = ""
	}
}

// tempSet records the temporary files in flight, so that an interrupt can
// remove them before the process exits (a deferred Abort does not run then).
type tempSet struct {
	mu    sync.Mutex
	paths map[string]struct{}
}

var temps = tempSet{paths: map[string]struct{}{}}

func (s *tempSet) add(p string) {
	s.mu.Lock()
	s.paths[p] = struct{}{}
	s.mu.Unlock()
}

func (s *tempSet) remove(p string) {
	s.mu.Lock()
	delete(s.paths, p)
	s.mu.Unlock()
}

// removeAll deletes every temporary file still recorded.
func (s *tempSet) removeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.paths {
		os.Remove(p)
		delete(s.paths, p)
	}
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// forEachFile runs do on every name in turn: a failure is reported as
// "mbzip: NAME: error" and the next name tried; the result is errReported if
// any failed, so the command exits 1 after doing all it could.
func forEachFile(names []string, do func(i int, name string) error) error {
	failed := false
	for i, name := range names {
		if err := do(i, name); err != nil {
			reportFailure(name, err)
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}
