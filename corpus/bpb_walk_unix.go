//go:build unix

package corpus

import (
	"io/fs"
	"syscall"
)

// fileKey identifies a file on this machine: device and inode.
type fileKey struct{ dev, ino uint64 }

// keyOf returns the key of the file st describes.
func keyOf(st fs.FileInfo) (fileKey, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}, false
	}
	return fileKey{dev: uint64(s.Dev), ino: uint64(s.Ino)}, true //nolint:unconvert // Dev and Ino differ in type across Unix systems
}
