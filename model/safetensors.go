package model

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// maxHeader bounds the safetensors JSON header, as the reference
// implementation does (100 MB).
const maxHeader = 100 << 20

// Metadata keys of a saved model.
const (
	metaConfig      = "config"      // canonical config JSON
	metaName        = "name"        // model name
	metaFingerprint = "fingerprint" // hex SHA-256 of Fingerprint
)

// tensorHeader is one tensor entry of a safetensors header.
type tensorHeader struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// Save writes the model in the safetensors format: an 8-byte little-endian
// header length, a JSON header (padded with spaces to a multiple of 8 bytes
// so that the data is aligned) naming every tensor with dtype F32, its shape
// and data offsets, and "__metadata__" holding the config JSON, the name and
// the hex fingerprint; then the float32 little-endian data in arena order.
// Tensor names and shapes follow PyTorch (Linear weights [out, in]).
func (m *Model) Save(w io.Writer) error {
	cj, err := json.Marshal(m.Cfg)
	if err != nil {
		return fmt.Errorf("model: save: config: %w", err)
	}
	fp := m.Fingerprint()
	header := map[string]any{
		"__metadata__": map[string]string{
			metaConfig:      string(cj),
			metaName:        m.name,
			metaFingerprint: hex.EncodeToString(fp[:]),
		},
	}
	for _, t := range m.tensors {
		shape := make([]int64, len(t.Shape))
		for i, s := range t.Shape {
			shape[i] = int64(s)
		}
		header[t.Name] = tensorHeader{
			DType:       "F32",
			Shape:       shape,
			DataOffsets: []uint64{uint64(t.Offset) * 4, uint64(t.Offset+t.Len()) * 4},
		}
	}
	hj, err := json.Marshal(header) // map keys sorted: the file is canonical
	if err != nil {
		return fmt.Errorf("model: save: header: %w", err)
	}
	if pad := (8 - len(hj)%8) % 8; pad > 0 {
		hj = append(hj, bytes.Repeat([]byte{' '}, pad)...)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hj)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	if _, err := w.Write(hj); err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	buf := make([]byte, 64<<10)
	for data := m.arena; len(data) > 0; {
		n := min(len(data), len(buf)/4)
		for i, v := range data[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return fmt.Errorf("model: save: %w", err)
		}
		data = data[n:]
	}
	return nil
}

// LoadOption changes what Load checks.
type LoadOption func(*loadOptions)

type loadOptions struct {
	skipFingerprint bool
}

// SkipFingerprintCheck makes Load trust the fingerprint a file records
// instead of hashing the weights to compare (about 5 ms for the text
// priors): for weights compiled into the binary, whose fingerprints tests
// pin. Every other check still runs.
func SkipFingerprintCheck() LoadOption {
	return func(o *loadOptions) { o.skipFingerprint = true }
}

// Load reads a model written by Save (or by any safetensors writer using the
// same names, shapes, dtype F32 and metadata). It checks everything before
// trusting it: the header length against the input, the config (which must
// pass Validate and may not carry unknown fields, since a newer format would
// be misread), that the tensors are exactly those of the config with their
// shapes, that their data offsets tile the data section without gap or
// overlap, that every value is finite, and the fingerprint if one is
// recorded. Nothing is allocated from a length that was not checked against
// the input. Errors wrap ErrFormat, ErrConfig or ErrFingerprint.
func Load(data []byte, opts ...LoadOption) (*Model, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the 8-byte header length", ErrFormat, len(data))
	}
	hl := binary.LittleEndian.Uint64(data[:8])
	if hl > uint64(len(data)-8) {
		return nil, fmt.Errorf("%w: header length %d exceeds the %d bytes that follow (truncated?)", ErrFormat, hl, len(data)-8)
	}
	if hl > maxHeader {
		return nil, fmt.Errorf("%w: header length %d exceeds %d", ErrFormat, hl, maxHeader)
	}
	hdr, body := data[8:8+hl], data[8+hl:]

	var entries map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &entries); err != nil {
		return nil, fmt.Errorf("%w: header JSON: %v", ErrFormat, err)
	}
	rawMeta, ok := entries["__metadata__"]
	if !ok {
		return nil, fmt.Errorf("%w: no __metadata__ (an mbzip model records its config there)", ErrFormat)
	}
	var meta map[string]string
	if err := json.Unmarshal(rawMeta, &meta); err != nil {
		return nil, fmt.Errorf("%w: __metadata__: %v", ErrFormat, err)
	}
	cfgJSON, ok := meta[metaConfig]
	if !ok {
		return nil, fmt.Errorf("%w: __metadata__ has no %q", ErrFormat, metaConfig)
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader([]byte(cfgJSON)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%w: metadata config: %v", ErrConfig, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: metadata config: trailing data", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("metadata config: %w", err)
	}
	var wantFP []byte
	if s, ok := meta[metaFingerprint]; ok {
		fp, err := hex.DecodeString(s)
		if err != nil || len(fp) != 32 {
			return nil, fmt.Errorf("%w: metadata fingerprint %q is not 64 hex digits", ErrFormat, s)
		}
		wantFP = fp
	}

	// The tensors must be exactly those of the layout.
	layout := cfg.Layout()
	if len(entries)-1 != len(layout) {
		return nil, fmt.Errorf("%w: %d tensors, config %+v has %d", ErrFormat, len(entries)-1, cfg, len(layout))
	}
	params := int64(cfg.Params())
	if int64(len(body)) != 4*params {
		return nil, fmt.Errorf("%w: data section is %d bytes, config needs %d (truncated?)", ErrFormat, len(body), 4*params)
	}
	type span struct {
		begin, end uint64
		name       string
	}
	spans := make([]span, 0, len(layout))
	offsets := make([]uint64, len(layout))
	for i, t := range layout {
		raw, ok := entries[t.Name]
		if !ok {
			return nil, fmt.Errorf("%w: tensor %q missing", ErrFormat, t.Name)
		}
		var th tensorHeader
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&th); err != nil {
			return nil, fmt.Errorf("%w: tensor %q: %v", ErrFormat, t.Name, err)
		}
		if th.DType != "F32" {
			return nil, fmt.Errorf("%w: tensor %q has dtype %q, want F32", ErrFormat, t.Name, th.DType)
		}
		if !sameShape(th.Shape, t.Shape) {
			return nil, fmt.Errorf("%w: tensor %q has shape %v, config needs %v", ErrFormat, t.Name, th.Shape, t.Shape)
		}
		if len(th.DataOffsets) != 2 {
			return nil, fmt.Errorf("%w: tensor %q: data_offsets %v is not [begin, end]", ErrFormat, t.Name, th.DataOffsets)
		}
		b, e := th.DataOffsets[0], th.DataOffsets[1]
		if b > e || e > uint64(len(body)) || e-b != 4*uint64(t.Len()) {
			return nil, fmt.Errorf("%w: tensor %q: data_offsets [%d, %d] do not hold %d floats within %d bytes", ErrFormat, t.Name, b, e, t.Len(), len(body))
		}
		offsets[i] = b
		spans = append(spans, span{b, e, t.Name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	var at uint64
	for _, s := range spans {
		if s.begin != at {
			return nil, fmt.Errorf("%w: tensor %q starts at byte %d, want %d (gap or overlap)", ErrFormat, s.name, s.begin, at)
		}
		at = s.end
	}

	// Every size is now checked against the input: allocate and copy.
	m, _ := alloc(cfg)
	for i, t := range m.tensors {
		if j := decodeFinite(t.Data, body[offsets[i]:]); j >= 0 {
			return nil, fmt.Errorf("%w: tensor %q element %d is %v", ErrFormat, t.Name, j, t.Data[j])
		}
	}
	m.name = meta[metaName]
	if wantFP != nil && !o.skipFingerprint {
		if got := m.Fingerprint(); !bytes.Equal(got[:], wantFP) {
			return nil, fmt.Errorf("%w: weights hash to %x, file records %x", ErrFingerprint, got, wantFP)
		}
	}
	return m, nil
}

func sameShape(got []int64, want []int) bool {
	return slices.EqualFunc(got, want, func(g int64, w int) bool { return g == int64(w) })
}

// decodeFinite sets dst[j] to the little-endian float32 at src[4j:] and
// returns the index of the first NaN or ±Inf among them, or −1.
func decodeFinite(dst []float32, src []byte) int {
	src = src[:4*len(dst)]
	special := false
	for j := range dst {
		b := binary.LittleEndian.Uint32(src[4*j : 4*j+4])
		special = special || b&0x7f800000 == 0x7f800000 // all exponent bits
		dst[j] = math.Float32frombits(b)
	}
	if special {
		for j, v := range dst {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return j
			}
		}
	}
	return -1
}
