package corpus

import (
	"archive/tar"
	"fmt"
	"io"
	"math/bits"
	"os"
)

// Sampler is what the model trainer takes from a corpus: random training
// windows and fixed held-out windows. (The model package will declare the same
// method set as its own interface; corpus imports model, never the reverse.)
type Sampler interface {
	// Sample fills dst with a training window of len(dst) bytes.
	Sample(dst []byte)
	// Validation returns n held-out windows of w bytes, the same ones on every
	// call and every run.
	Validation(n, w int) [][]byte
}

// DefaultMaxBytes bounds what Load reads when LoadOptions.MaxBytes is 0.
const DefaultMaxBytes = 8 << 30

// LoadOptions adjust Load.
type LoadOptions struct {
	// Seed selects the sequence of training windows.
	Seed uint64
	// Separator is appended after every file, on both sides of the split.
	// The default, none, matches what the coder sees (a segment never holds
	// a separator); windows then run from the end of one file into the next.
	Separator []byte
	// MaxBytes refuses a selection larger than this (0: DefaultMaxBytes),
	// before anything is allocated.
	MaxBytes int64
}

// Dataset holds the training and validation bytes of a corpus in memory and
// implements Sampler. Each side is the concatenation of its files in the
// order given to Load, seen as a ring: a window that runs past the end
// continues at the beginning, so every byte is equally likely to appear at
// every position of a window. A Dataset is not safe for concurrent Sample
// calls; Validation only reads.
type Dataset struct {
	train, val   []byte
	nTrain, nVal int
	seed, draws  uint64
	// spans, set only when some training file has a Weight above 1, map
	// the virtual ring of virt bytes (each file repeated Weight times) to
	// the training ring.
	spans []weightedSpan
	virt  uint64
}

var _ Sampler = (*Dataset)(nil)

// Load reads files (from Walk, usually after Filter) into a Dataset: those
// with Validation set into the held-out side, the others into the training
// side, each in the order given. Every shard is decompressed once. Errors
// are *FileError for the file at fault, ErrNoData when no training bytes are
// chosen.
func Load(files []File, opts LoadOptions) (*Dataset, error) {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	sep := int64(len(opts.Separator))
	var sizes [2]int64 // train, validation
	for _, f := range files {
		if f.Size < 0 || f.Size > limit {
			return nil, &FileError{Path: f.Name, Err: fmt.Errorf("size %d over the limit of %d bytes", f.Size, limit)}
		}
		side := 0
		if f.Validation {
			side = 1
		}
		sizes[side] += f.Size + sep
		if sizes[0]+sizes[1] > limit {
			return nil, fmt.Errorf("corpus: the chosen files exceed the limit of %d bytes", limit)
		}
	}
	d := &Dataset{
		train: make([]byte, sizes[0]),
		val:   make([]byte, sizes[1]),
		seed:  opts.Seed,
	}

	// Place every file in its side's arena; read plain files now and
	// remember shard members by shard.
	type dest struct {
		name string
		buf  []byte
	}
	var shardOrder []string
	members := map[string]map[string][]dest{}
	var offs [2]int64
	for _, f := range files {
		side, arena := 0, d.train
		if f.Validation {
			side, arena = 1, d.val
			d.nVal++
		} else {
			d.nTrain++
		}
		if side == 0 && f.Weight > 1 && d.spans == nil {
			d.spans = []weightedSpan{}
		}
		buf := arena[offs[side] : offs[side]+f.Size]
		copy(arena[offs[side]+f.Size:], opts.Separator)
		offs[side] += f.Size + sep
		if f.Member == "" {
			if err := readFile(f.Path, buf); err != nil {
				return nil, &FileError{Path: f.Name, Err: err}
			}
			continue
		}
		m, ok := members[f.Path]
		if !ok {
			m = map[string][]dest{}
			members[f.Path] = m
			shardOrder = append(shardOrder, f.Path)
		}
		m[f.Member] = append(m[f.Member], dest{name: f.Name, buf: buf})
	}
	for _, p := range shardOrder {
		want := members[p]
		err := readShard(p, func(hdr *tar.Header, r io.Reader) error {
			ds := want[hdr.Name]
			if len(ds) == 0 {
				return nil
			}
			dst := ds[0]
			want[hdr.Name] = ds[1:]
			if hdr.Size != int64(len(dst.buf)) {
				return &FileError{Path: dst.name, Err: fmt.Errorf("size %d, listed as %d", hdr.Size, len(dst.buf))}
			}
			if _, err := io.ReadFull(r, dst.buf); err != nil {
				return &FileError{Path: dst.name, Err: err}
			}
			return nil
		})
		if err != nil {
			if fe, ok := err.(*FileError); ok {
				return nil, fe
			}
			return nil, &FileError{Path: p, Err: err}
		}
		for _, ds := range want {
			if len(ds) > 0 {
				return nil, &FileError{Path: ds[0].name, Err: fmt.Errorf("member not found in the shard")}
			}
		}
	}
	if len(d.train) == 0 {
		return nil, ErrNoData
	}
	if d.spans != nil {
		var start uint64
		for _, f := range files {
			if f.Validation {
				continue
			}
			n := uint64(f.Size + sep)
			if n == 0 {
				continue
			}
			d.spans = append(d.spans, weightedSpan{start: start, n: n, virt: d.virt})
			start += n
			d.virt += n * uint64(max(f.Weight, 1))
		}
	}
	return d, nil
}

// readFile fills buf with the file at p, which must be exactly len(buf)
// bytes long.
func readFile(p string, buf []byte) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("shorter than its listed %d bytes: %w", len(buf), err)
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n != 0 {
		return fmt.Errorf("longer than its listed %d bytes", len(buf))
	}
	return nil
}

// FromBytes returns a Dataset over the given training and validation bytes
// (not copied; the caller must not change them). validation may be empty.
func FromBytes(train, validation []byte, seed uint64) (*Dataset, error) {
	if len(train) == 0 {
		return nil, ErrNoData
	}
	return &Dataset{train: train, val: validation, nTrain: 1, nVal: min(len(validation), 1), seed: seed}, nil
}

// TrainBytes and ValidationBytes return the size of each side, separators
// included.
func (d *Dataset) TrainBytes() int { return len(d.train) }

// ValidationBytes returns the size of the held-out side, separators included.
func (d *Dataset) ValidationBytes() int { return len(d.val) }

// Files returns the number of files on each side.
func (d *Dataset) Files() (train, validation int) { return d.nTrain, d.nVal }

// Draws returns how many windows Sample has drawn. With SetDraws it lets a
// trainer resume from a checkpoint exactly where the window sequence stopped.
func (d *Dataset) Draws() uint64 { return d.draws }

// SetDraws positions the window sequence after n draws.
func (d *Dataset) SetDraws(n uint64) { d.draws = n }

// splitmix64 is the finaliser of SplitMix64 (Steele, Lea & Flood 2014). The
// k-th draw of seed s is splitmix64(s + (k+1)·γ): a counter-based generator,
// so a position in the sequence is just the draw count.
func splitmix64(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const golden = 0x9e3779b97f4a7c15

// Sample fills dst with the training bytes starting at a uniformly random
// offset of the ring: offset = ⌊r·n / 2⁶⁴⌋ for the next 64-bit draw r and n
// training bytes (a bias below n/2⁶⁴, nothing for any real corpus). The
// window depends only on the seed, the number of draws before it and the
// data. With weighted files the offset is drawn the same way on the virtual
// ring in which each file is repeated Weight times, then mapped back: a
// file's bytes start windows Weight times as often, and a window still runs
// on into the next file of the corpus.
func (d *Dataset) Sample(dst []byte) {
	d.draws++
	if len(dst) == 0 {
		return
	}
	r := splitmix64(d.seed + d.draws*golden)
	if d.spans != nil {
		v, _ := bits.Mul64(r, d.virt)
		ringCopy(dst, d.train, weightedStart(d.spans, v))
		return
	}
	start, _ := bits.Mul64(r, uint64(len(d.train)))
	ringCopy(dst, d.train, int(start))
}

// Validation returns n windows of w bytes from the held-out side, starting at
// the evenly spaced offsets ⌊i·V/n⌋ (V held-out bytes), continuing around
// the ring where needed. They are fresh copies and the same on every call.
// It returns nil when nothing is held out or n or w is not positive.
func (d *Dataset) Validation(n, w int) [][]byte {
	if len(d.val) == 0 || n <= 0 || w <= 0 {
		return nil
	}
	out := make([][]byte, n)
	all := make([]byte, n*w)
	v := uint64(len(d.val))
	for i := range out {
		hi, lo := bits.Mul64(uint64(i), v)
		start, _ := bits.Div64(hi, lo, uint64(n))
		out[i] = all[i*w : (i+1)*w : (i+1)*w]
		ringCopy(out[i], d.val, int(start))
	}
	return out
}

// ringCopy fills dst from src seen as a ring, starting at offset start.
func ringCopy(dst, src []byte, start int) {
	for len(dst) > 0 {
		n := copy(dst, src[start:])
		dst = dst[n:]
		start = 0
	}
}
