package corpus

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrSymlinkLoop is wrapped by the error of a directory that Measure
// reached through a symbolic link leading back to a directory it is
// already inside.
var ErrSymlinkLoop = errors.New("symbolic link loop")

// ErrChanged is wrapped by the error of a file whose size or modification
// time changed while Measure read it: its bytes may mix two versions.
var ErrChanged = errors.New("file changed while it was read")

// ErrTooLarge is wrapped by the error of a file over BPBOptions.MaxFileSize.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is wrapped by the error of a path named on the command line
// that is neither a regular file nor a directory (a device, a FIFO, a
// socket).
var ErrNotRegular = errors.New("not a regular file or directory")

// bpbEntry is one line of the walk: a file to measure, or a path that
// failed (err set).
type bpbEntry struct {
	path string
	size int64
	err  error
}

// bpbWalker lists the files under the roots of a Measure run.
type bpbWalker struct {
	exclude []string // filepath.Match patterns of base names to leave out
	entries []bpbEntry
	visited map[fileKey]bool // directories walked so far (where the OS gives keys)
}

// walkBPB lists the files under roots, in order: each root in turn, the
// entries of a directory in lexical order. Symbolic links are followed, to
// files and to directories; a link back to a directory being walked is
// reported as ErrSymlinkLoop and not entered, and a directory reached a
// second time by another way is walked once only. Entries that are neither
// regular files nor directories are left out of directories; a root of that
// kind is an error. So are the entries of directories, files and folders,
// whose base name matches an exclude pattern (valid filepath.Match
// patterns). Unreadable roots, files and directories are entries with their
// error.
func walkBPB(roots, exclude []string) []bpbEntry {
	w := &bpbWalker{exclude: exclude, visited: map[fileKey]bool{}}
	for _, root := range roots {
		st, err := os.Stat(root)
		switch {
		case err != nil:
			w.fail(root, err)
		case st.IsDir():
			w.dir(root, st, nil)
		case st.Mode().IsRegular():
			w.entries = append(w.entries, bpbEntry{path: root, size: st.Size()})
		default:
			w.fail(root, fmt.Errorf("%w (%v)", ErrNotRegular, st.Mode().Type()))
		}
	}
	return w.entries
}

// excluded reports whether a directory entry called name is left out.
func (w *bpbWalker) excluded(name string) bool {
	for _, pat := range w.exclude {
		if ok, _ := filepath.Match(pat, name); ok {
			return true
		}
	}
	return false
}

func (w *bpbWalker) fail(p string, err error) {
	w.entries = append(w.entries, bpbEntry{path: p, err: err})
}

// dir walks directory p (st is its Stat) whose ancestors on the way from its
// root are ancestors (each one's Stat).
func (w *bpbWalker) dir(p string, st fs.FileInfo, ancestors []fs.FileInfo) {
	for _, a := range ancestors {
		if os.SameFile(a, st) {
			w.fail(p, fmt.Errorf("%w: leads back to a directory it is inside", ErrSymlinkLoop))
			return
		}
	}
	if k, ok := keyOf(st); ok {
		if w.visited[k] {
			return // reached before by another link: its files are listed
		}
		w.visited[k] = true
	}
	list, err := os.ReadDir(p)
	if err != nil {
		// ReadDir returns what it read before the error; those entries
		// are still walked.
		w.fail(p, err)
	}
	ancestors = append(ancestors, st)
	for _, e := range list {
		if w.excluded(e.Name()) {
			continue
		}
		child := filepath.Join(p, e.Name())
		var info fs.FileInfo
		var err error
		if e.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(child) // follows the link: ELOOP and dangling links fail here
		} else {
			info, err = e.Info()
		}
		switch {
		case err != nil:
			w.fail(child, err)
		case info.IsDir():
			w.dir(child, info, ancestors)
		case info.Mode().IsRegular():
			w.entries = append(w.entries, bpbEntry{path: child, size: info.Size()})
		}
	}
}

// afterRead, when set by a test, runs between the read and the second
// Stat of readStable: the moment a writer would change the file.
var afterRead func(path string)

// readStable reads the regular file p whole and checks that it did not
// change meanwhile: the size and modification time after the read must be
// those before it, and the bytes read as many as the size. A file over
// limit bytes is refused with ErrTooLarge before it is read.
func readStable(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%v)", ErrNotRegular, before.Mode().Type())
	}
	if before.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrTooLarge, before.Size(), limit)
	}
	// One byte more than the size, so that growth shows as a longer read.
	data := make([]byte, before.Size()+1)
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	data = data[:n]
	if afterRead != nil {
		afterRead(p)
	}
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case int64(len(data)) != before.Size():
		return nil, fmt.Errorf("%w: %d bytes when opened, %d read", ErrChanged, before.Size(), len(data))
	case after.Size() != before.Size():
		return nil, fmt.Errorf("%w: %d bytes when opened, %d after reading", ErrChanged, before.Size(), after.Size())
	case !after.ModTime().Equal(before.ModTime()):
		return nil, fmt.Errorf("%w: modified at %v while it was read", ErrChanged, after.ModTime().Format("15:04:05.000"))
	}
	return data, nil
}
