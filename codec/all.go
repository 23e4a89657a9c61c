package codec

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/mbzip/mbzip/modalities"
)

// EncodeAll compresses src as one .mbz file: the modality (WithModality, or
// detected from src) serializes it into the stream that is coded, and its
// side information goes into the header. Options as for NewWriter.
func EncodeAll(src []byte, opts ...Option) ([]byte, error) {
	enc, _, err := EncodeAllInfo(context.Background(), src, opts...)
	return enc, err
}

// DecodeAll decompresses a whole .mbz file and restores the original with
// its modality's side information. Options as for NewReader.
func DecodeAll(src []byte, opts ...Option) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(src), opts...)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		return nil, err
	}
	data, err := modalities.Restore(modalities.Kind(r.h.modality), out.Bytes(), r.h.side)
	if err != nil {
		return nil, newError(ErrCorrupt, fmt.Sprintf("restoring the %v modality: %v", modalities.Kind(r.h.modality), err))
	}
	return data, nil
}

// Info describes an .mbz file (see Inspect).
type Info struct {
	Version        int
	ModelName      string
	Fingerprint    [32]byte
	Level          int
	Modality       modalities.Kind
	SegmentSize    int
	OriginalSize   int64 // bytes of the coded stream
	CompressedSize int64 // bytes of the .mbz file
	Segments       int
	StoredSegments int // segments stored raw or with zstd rather than coded with the model
	// Lanes is the most blocks a model-coded segment interleaves (1: block
	// after block; 0: no model-coded segment). See WithLanes.
	Lanes int
	// ModelBits is Σ −log2 p of the bytes the model coded or would have
	// coded, over the ModelBitsBytes original bytes of the segments that
	// record it (the writer of this release records it for every segment,
	// stored ones included). ModelBits / ModelBitsBytes is the model's bits
	// per byte on the file.
	ModelBits      float64
	ModelBitsBytes int64
	// CrossEntropyBits is Σ −log2 p of every byte of the stream under the
	// model's float distributions, before quantization: the model's
	// cross-entropy, in float64, each segment summed in byte order and the
	// segments in order, so it does not depend on the thread count (a
	// probability that underflowed to 0 counts 149 bits; NaN if the model
	// gave a probability outside [0, 1]). The file does not record it:
	// only EncodeAllInfo sets it, from the model pass that codes the file,
	// and Inspect leaves it 0. ModelBits − CrossEntropyBits is what the
	// quantization of the probabilities costs.
	CrossEntropyBits float64
}

// Inspect reads and checks the whole container without running the model:
// structure, limits, and every checksum that does not need the model: of
// the header, the records, the coded data, the trailer, and the original
// bytes of raw and zstd segments. The checksums of the original bytes of
// model-coded segments and of the whole original need decoding.
func Inspect(r io.Reader) (*Info, error) {
	wr := newWireReader(r)
	h, err := readHeader(wr)
	if err != nil {
		return nil, err
	}
	info := &Info{
		Version:     h.version,
		ModelName:   h.modelName,
		Fingerprint: h.fingerprint,
		Level:       h.level,
		Modality:    modalities.Kind(h.modality),
		SegmentSize: h.segmentSize,
	}
	var buf []byte
	var zr *Reader // only for its zstd decoder
	defer func() {
		if zr != nil && zr.zdec != nil {
			zr.zdec.Close()
		}
	}()
	for idx := int64(0); ; idx++ {
		rec, err := readRecord(wr, idx, h)
		if err != nil {
			return nil, err
		}
		if rec.method == methodEnd {
			break
		}
		ctx := fmt.Sprintf("segment %d", idx)
		switch rec.method {
		case methodModel:
			info.Lanes = max(info.Lanes, rec.lanes)
			if buf, err = wr.bytes(buf, rec.codedLen, ctx); err != nil {
				return nil, err
			}
			if err := checkPayload(rec, buf, idx); err != nil {
				return nil, err
			}
		case methodRaw, methodZstd:
			if buf, err = wr.bytes(buf, rec.codedLen, ctx); err != nil {
				return nil, err
			}
			if err := checkPayload(rec, buf, idx); err != nil {
				return nil, err
			}
			data := buf
			if rec.method == methodZstd {
				if zr == nil {
					zr = &Reader{h: h}
				}
				if data, err = zr.unzstd(buf, nil, rec.origLen, idx); err != nil {
					return nil, err
				}
			}
			if crc32.Checksum(data, castagnoli) != rec.crc {
				return nil, newError(ErrChecksum, ctx+": checksum mismatch")
			}
			info.StoredSegments++
		}
		info.Segments++
		info.OriginalSize += int64(rec.origLen)
		if rec.hasBits {
			info.ModelBits += float64(rec.bits) / (1 << bitsFrac)
			info.ModelBitsBytes += int64(rec.origLen)
		}
	}
	t, err := readTrailer(wr)
	if err != nil {
		return nil, err
	}
	if err := checkTrailer(t, info.OriginalSize, int64(info.Segments)); err != nil {
		return nil, err
	}
	if err := checkEOF(wr); err != nil {
		return nil, err
	}
	info.CompressedSize = wr.n
	return info, nil
}
