package model

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"
)

// ErrCheckpoint reports a checkpoint file that is truncated, corrupt, of an
// unknown version or inconsistent with itself.
var ErrCheckpoint = errors.New("model: malformed checkpoint")

// Checkpoint is the whole state of a training run after some step: enough to
// continue it exactly (Train's resume) or to take the weights as they are.
type Checkpoint struct {
	Model   *Model       // weights, config and name
	Opt     *AdamW       // optimizer state (moments, step count, no-decay ranges)
	Step    int          // optimizer steps done
	Draws   uint64       // training windows drawn from the data source (DrawCounter's count)
	Options TrainOptions // the options of the run
	ValBPB  float64      // the last validation bits per byte; NaN if none yet
	// Meta holds the caller's notes (the corpus trained on, for instance),
	// saved and loaded as they are.
	Meta map[string]string
}

// Checkpoint file format: an uncompressed POSIX tar holding, in this order,
//
//	checkpoint.json    {"format": "mbzip-checkpoint", "version": 1, "step",
//	                   "draws", "options" (TrainOptions), "config", "name",
//	                   "val_bpb" (absent if none), "meta"}
//	model.safetensors  the weights, exactly as Model.Save writes them
//	                   (config, name and fingerprint in its metadata)
//	adamw.bin          the optimizer state, as AdamW.MarshalBinary writes it
//	                   (with its own CRC-32)
//
// so that `tar xf` gives a model file any mbzip command can use. The file is
// written to a temporary file beside the target, synced and renamed into
// place: a crash leaves either the old checkpoint or the new one.
const (
	ckptFormat     = "mbzip-checkpoint"
	ckptVersion    = 1
	ckptJSON       = "checkpoint.json"
	ckptModel      = "model.safetensors"
	ckptOptimizer  = "adamw.bin"
	maxCkptJSON    = 1 << 20
	ckptMemberMode = 0o644
)

type ckptHeader struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Step    int               `json:"step"`
	Draws   uint64            `json:"draws"`
	Options TrainOptions      `json:"options"`
	Config  Config            `json:"config"`
	Name    string            `json:"name"`
	ValBPB  *float64          `json:"val_bpb,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

// WriteTo writes the checkpoint in the format above.
func (c *Checkpoint) WriteTo(w io.Writer) (int64, error) {
	if c.Model == nil || c.Opt == nil {
		return 0, fmt.Errorf("model: checkpoint without weights or optimizer state")
	}
	h := ckptHeader{
		Format: ckptFormat, Version: ckptVersion, Step: c.Step, Draws: c.Draws,
		Options: c.Options, Config: c.Model.Cfg, Name: c.Model.Name(), Meta: c.Meta,
	}
	if !math.IsNaN(c.ValBPB) && !math.IsInf(c.ValBPB, 0) {
		v := c.ValBPB
		h.ValBPB = &v
	}
	hj, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("model: checkpoint header: %w", err)
	}
	var mb bytes.Buffer
	if err := c.Model.Save(&mb); err != nil {
		return 0, err
	}
	ob, err := c.Opt.MarshalBinary()
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	tw := tar.NewWriter(cw)
	now := time.Now().Truncate(time.Second)
	for _, mem := range []struct {
		name string
		data []byte
	}{{ckptJSON, append(hj, '\n')}, {ckptModel, mb.Bytes()}, {ckptOptimizer, ob}} {
		hdr := &tar.Header{Name: mem.name, Mode: ckptMemberMode, Size: int64(len(mem.data)), ModTime: now, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return cw.n, fmt.Errorf("model: write checkpoint: %w", err)
		}
		if _, err := tw.Write(mem.data); err != nil {
			return cw.n, fmt.Errorf("model: write checkpoint: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return cw.n, fmt.Errorf("model: write checkpoint: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Save writes the checkpoint to path atomically: into a temporary file in
// the same directory, synced, then renamed over path.
func (c *Checkpoint) Save(path string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("model: checkpoint %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = c.WriteTo(f); err != nil {
		return fmt.Errorf("model: checkpoint %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("model: checkpoint %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("model: checkpoint %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("model: checkpoint %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("model: checkpoint %s: %w", path, err)
	}
	return nil
}

// ReadCheckpoint parses a checkpoint written by WriteTo. Every member is
// checked before use: the header's format and version, the weights with
// Load (config, shapes, finite values, fingerprint), the optimizer state with
// its CRC, and their agreement (same config, one moment per parameter).
// Errors wrap ErrCheckpoint, or Load's and UnmarshalBinary's errors.
func ReadCheckpoint(data []byte) (*Checkpoint, error) {
	tr := tar.NewReader(bytes.NewReader(data))
	members := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: tar: %v", ErrCheckpoint, err)
		}
		switch hdr.Name {
		case ckptJSON, ckptModel, ckptOptimizer:
		default:
			return nil, fmt.Errorf("%w: unexpected member %q", ErrCheckpoint, hdr.Name)
		}
		if _, dup := members[hdr.Name]; dup {
			return nil, fmt.Errorf("%w: member %q twice", ErrCheckpoint, hdr.Name)
		}
		if hdr.Size < 0 || hdr.Size > int64(len(data)) || hdr.Name == ckptJSON && hdr.Size > maxCkptJSON {
			return nil, fmt.Errorf("%w: member %q of %d bytes in a %d-byte file", ErrCheckpoint, hdr.Name, hdr.Size, len(data))
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("%w: member %q: %v", ErrCheckpoint, hdr.Name, err)
		}
		members[hdr.Name] = b
	}
	for _, name := range []string{ckptJSON, ckptModel, ckptOptimizer} {
		if members[name] == nil {
			return nil, fmt.Errorf("%w: member %q missing (truncated?)", ErrCheckpoint, name)
		}
	}

	var h ckptHeader
	dec := json.NewDecoder(bytes.NewReader(members[ckptJSON]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, ckptJSON, err)
	}
	if h.Format != ckptFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCheckpoint, h.Format, ckptFormat)
	}
	if h.Version != ckptVersion {
		return nil, fmt.Errorf("%w: unsupported version %d (this build reads %d)", ErrCheckpoint, h.Version, ckptVersion)
	}
	m, err := Load(members[ckptModel])
	if err != nil {
		return nil, fmt.Errorf("model: checkpoint weights: %w", err)
	}
	if m.Cfg != h.Config {
		return nil, fmt.Errorf("%w: header config %+v, weights %+v", ErrCheckpoint, h.Config, m.Cfg)
	}
	opt := new(AdamW)
	if err := opt.UnmarshalBinary(members[ckptOptimizer]); err != nil {
		return nil, fmt.Errorf("model: checkpoint optimizer: %w", err)
	}
	if len(opt.M) != m.Cfg.Params() {
		return nil, fmt.Errorf("%w: optimizer for %d parameters, model has %d", ErrCheckpoint, len(opt.M), m.Cfg.Params())
	}
	if h.Step < 0 || h.Step > h.Options.Steps {
		return nil, fmt.Errorf("%w: step %d of a %d-step run", ErrCheckpoint, h.Step, h.Options.Steps)
	}
	if err := h.Options.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	ck := &Checkpoint{Model: m, Opt: opt, Step: h.Step, Draws: h.Draws, Options: h.Options, ValBPB: math.NaN(), Meta: h.Meta}
	if h.ValBPB != nil {
		ck.ValBPB = *h.ValBPB
	}
	return ck, nil
}

// LoadCheckpoint reads the checkpoint file at path.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: checkpoint: %w", err)
	}
	ck, err := ReadCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ck, nil
}
