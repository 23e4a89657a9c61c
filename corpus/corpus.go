// Package corpus walks training and evaluation corpora, tags each file's
// modality, splits the training files into train and validation by a fixed
// rule, and serves training windows to the model trainer.
//
// A corpus root is a folder (walked recursively, in lexical order), a single
// file, or a .tar.zst shard; the members of a shard are files of their own,
// named "SHARD.tar.zst:MEMBER". Walk only lists and tags; Load reads the
// chosen files into a Dataset, which samples reproducible random training
// windows and fixed validation windows.
//
// Nothing under a directory named "eval" is ever read for training: Walk
// refuses such a path with ErrEvalData unless Options.AllowEval says the walk
// is for measuring (../shared/corpus/README.md: "Train only on train/").
package corpus

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/mbzip/mbzip/modalities"
)

// ErrEvalData is returned (wrapped in an *EvalPathError) when a walk for
// training meets a path with a directory component named "eval".
var ErrEvalData = errors.New("corpus: evaluation data may not be used for training")

// ErrNoData is returned by Load when the chosen files hold no training bytes.
var ErrNoData = errors.New("corpus: no training data")

// EvalPathError names the path that a walk for training refused.
type EvalPathError struct {
	Path string
}

func (e *EvalPathError) Error() string {
	return fmt.Sprintf("corpus: %s: under a directory named \"eval\": evaluation data may not be used for training", e.Path)
}

// Is makes errors.Is(err, ErrEvalData) true.
func (e *EvalPathError) Is(target error) bool { return target == ErrEvalData }

// FileError is a problem with one file (or one shard): it could not be
// opened, read or decompressed.
type FileError struct {
	Path string // the file, or "SHARD:MEMBER"
	Err  error
}

func (e *FileError) Error() string { return "corpus: " + e.Path + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// SkippedError is what Walk returns, together with the files it did list,
// when it skipped unreadable files and Options.OnError was nil.
type SkippedError struct {
	Files []*FileError
}

func (e *SkippedError) Error() string {
	if len(e.Files) == 1 {
		return "corpus: skipped 1 unreadable file: " + e.Files[0].Error()
	}
	return fmt.Sprintf("corpus: skipped %d unreadable files; first: %v", len(e.Files), e.Files[0])
}

// Unwrap returns the per-file errors, for errors.Is and errors.As.
func (e *SkippedError) Unwrap() []error {
	errs := make([]error, len(e.Files))
	for i, f := range e.Files {
		errs[i] = f
	}
	return errs
}

// File is one file of a corpus: a plain file or a member of a .tar.zst shard.
type File struct {
	// Name identifies the file in reports: its path relative to its root,
	// slash-separated (the base name when the root is the file itself), and
	// for a shard member "SHARD:MEMBER" with SHARD named the same way.
	Name string
	// Path is the file on disk: the shard itself for a member.
	Path string
	// Member is the name inside the shard, or "" for a plain file.
	Member string
	// Size is the length in bytes.
	Size int64
	// Kind is modalities.Detect of the first DetectBytes bytes.
	Kind modalities.Kind
	// Validation is true when the split holds the file out of training
	// (see SplitKey and IsValidation).
	Validation bool
	// Weight is how many times over a training file counts in the windows
	// Sample draws (ApplyWeights sets it); 0 means 1.
	Weight int
}

// SplitKey is the string the train/validation split hashes: the member name
// for a shard member (so it does not depend on where the shard lies), else
// Name. Shards carry their family in the member path ("code/go/…"), so keys
// stay distinct across shards.
func (f File) SplitKey() string {
	if f.Member != "" {
		return f.Member
	}
	return f.Name
}

// DetectBytes is how much of a file's beginning Walk gives to
// modalities.Detect: a kilobyte is enough to tell text from binary and keeps
// the walk cheap.
const DetectBytes = 1024

// DefaultValidationPerMille is the share of files, in thousandths, that the
// split holds out for validation: 2 %, 1 in 50.
const DefaultValidationPerMille = 20

// Options adjust Walk.
type Options struct {
	// AllowEval permits paths under a directory named "eval". Set it only
	// to measure (bits per byte, baselines), never to train.
	AllowEval bool
	// ValidationPerMille is the share of files held out, in thousandths:
	// 0 means DefaultValidationPerMille, a negative value holds none out.
	ValidationPerMille int
	// OnError, when set, receives each unreadable file that Walk skips;
	// otherwise Walk returns them in a *SkippedError beside the files.
	OnError func(*FileError)
}

func (o Options) perMille() int {
	switch {
	case o.ValidationPerMille == 0:
		return DefaultValidationPerMille
	case o.ValidationPerMille < 0:
		return 0
	}
	return o.ValidationPerMille
}

// IsValidation reports whether the split holds out the file with this split
// key: the first 8 bytes of SHA-256(key), as a big-endian integer, modulo
// 1000 fall below perMille. It depends on nothing but the key, so the split
// is the same on every machine and every run.
func IsValidation(key string, perMille int) bool {
	h := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(h[:8])%1000 < uint64(max(perMille, 0))
}

// Walk lists the files under roots, in order: each root in turn, folders in
// lexical order, shard members in archive order. Each file is tagged with
// its modality and its side of the train/validation split.
//
// Unless opts.AllowEval is set, a root, folder, resolved symlink target or
// shard member with a directory component named "eval" (any case) stops the
// walk with an *EvalPathError (errors.Is ErrEvalData). A root that does not
// exist is an error too. A file that cannot be read is skipped and reported
// (opts.OnError, or a *SkippedError returned with the files); a shard that
// fails midway is skipped whole, so a listed shard is always readable to
// its end. Empty files and members that are not regular files are left out.
func Walk(roots []string, opts Options) ([]File, error) {
	w := walker{opts: opts, perMille: opts.perMille()}
	for _, root := range roots {
		if err := w.root(root); err != nil {
			return nil, err
		}
	}
	if len(w.skipped) > 0 {
		return w.files, &SkippedError{Files: w.skipped}
	}
	return w.files, nil
}

type walker struct {
	opts     Options
	perMille int
	files    []File
	skipped  []*FileError
}

func (w *walker) skip(p string, err error) {
	fe := &FileError{Path: p, Err: err}
	if w.opts.OnError != nil {
		w.opts.OnError(fe)
		return
	}
	w.skipped = append(w.skipped, fe)
}

// hasEvalDir reports whether any directory component of the slash- or
// OS-separated path p (all components if dirOnly is false) is "eval".
func hasEvalDir(p string, dirOnly bool) bool {
	parts := strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == filepath.Separator })
	if dirOnly && len(parts) > 0 {
		parts = parts[:len(parts)-1]
	}
	for _, c := range parts {
		if strings.EqualFold(c, "eval") {
			return true
		}
	}
	return false
}

// checkEval refuses p (a file when isDir is false) if it, or the path its
// symlinks resolve to, lies under an eval directory.
func (w *walker) checkEval(p string, isDir bool) error {
	if w.opts.AllowEval {
		return nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	if hasEvalDir(abs, !isDir) {
		return &EvalPathError{Path: p}
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil && hasEvalDir(real, !isDir) {
		return &EvalPathError{Path: p + " (→ " + real + ")"}
	}
	return nil
}

func (w *walker) root(root string) error {
	st, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("corpus: root: %w", err)
	}
	if err := w.checkEval(root, st.IsDir()); err != nil {
		return err
	}
	if !st.IsDir() {
		return w.file(root, filepath.Base(root))
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return fmt.Errorf("corpus: root: %w", err)
			}
			w.skip(p, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return w.checkEval(p, true)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			rel = p
		}
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil {
				w.skip(p, err)
				return nil
			}
			if !st.Mode().IsRegular() {
				return nil // a link to a folder is not followed
			}
			if err := w.checkEval(p, false); err != nil {
				return err
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		return w.file(p, rel)
	})
}

// file lists one plain file or shard at path p, named name.
func (w *walker) file(p, name string) error {
	if strings.HasSuffix(p, ".tar.zst") {
		return w.shard(p, name)
	}
	f, err := os.Open(p)
	if err != nil {
		w.skip(p, err)
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		w.skip(p, err)
		return nil
	}
	if st.Size() == 0 {
		return nil
	}
	head := make([]byte, min(st.Size(), DetectBytes))
	if _, err := io.ReadFull(f, head); err != nil {
		w.skip(p, err)
		return nil
	}
	fl := File{Name: name, Path: p, Size: st.Size(), Kind: modalities.Detect(head)}
	fl.Validation = IsValidation(fl.SplitKey(), w.perMille)
	w.files = append(w.files, fl)
	return nil
}

// shard lists the regular members of the .tar.zst at p. Any read error
// drops the whole shard (reported once); a member under an eval directory
// stops the walk.
func (w *walker) shard(p, name string) error {
	var members []File
	err := readShard(p, func(hdr *tar.Header, r io.Reader) error {
		if !w.opts.AllowEval && hasEvalDir(path.Clean(hdr.Name), true) {
			return &EvalPathError{Path: p + ":" + hdr.Name}
		}
		head := make([]byte, min(hdr.Size, DetectBytes))
		if _, err := io.ReadFull(r, head); err != nil {
			return &FileError{Path: p + ":" + hdr.Name, Err: err}
		}
		fl := File{Name: name + ":" + hdr.Name, Path: p, Member: hdr.Name, Size: hdr.Size, Kind: modalities.Detect(head)}
		fl.Validation = IsValidation(fl.SplitKey(), w.perMille)
		members = append(members, fl)
		return nil
	})
	var ep *EvalPathError
	switch {
	case errors.As(err, &ep):
		return err
	case err != nil:
		var fe *FileError
		if errors.As(err, &fe) {
			w.skip(fe.Path, fe.Err)
		} else {
			w.skip(p, err)
		}
		return nil
	}
	w.files = append(w.files, members...)
	return nil
}

// readShard calls fn for each regular, non-empty member of the .tar.zst at
// p, in archive order, with a reader of its contents. fn need not read to
// the end. An error from fn stops the walk and is returned as is; read
// errors are returned plainly (the caller adds the path).
func readShard(p string, fn func(*tar.Header, io.Reader) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zstd.NewReader(bufio.NewReaderSize(f, 1<<16), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("zstd: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size <= 0 {
			continue
		}
		if err := fn(hdr, tr); err != nil {
			return err
		}
	}
}

// Filter returns the files of kind k, in their order.
func Filter(files []File, k modalities.Kind) []File {
	var out []File
	for _, f := range files {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}
