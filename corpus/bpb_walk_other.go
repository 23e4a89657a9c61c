//go:build !unix

package corpus

import "io/fs"

// fileKey identifies a file where the OS gives a key; elsewhere there is
// none, and only links back into the current path (symlink loops) are
// recognised, with os.SameFile.
type fileKey struct{}

// keyOf reports that this OS gives no key.
func keyOf(fs.FileInfo) (fileKey, bool) { return fileKey{}, false }
