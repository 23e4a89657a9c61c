package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func saved(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return buf.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, name := range []string{"tiny", "odd"} {
		m := newTestModel(t, testConfigs[name], 9)
		m.SetName("round-trip " + name)
		file := saved(t, m)
		got, err := Load(file)
		if err != nil {
			t.Fatalf("%s: Load: %v", name, err)
		}
		if got.Name() != m.Name() || got.Cfg != m.Cfg {
			t.Fatalf("%s: loaded %q %+v, saved %q %+v", name, got.Name(), got.Cfg, m.Name(), m.Cfg)
		}
		if got.Fingerprint() != m.Fingerprint() {
			t.Fatalf("%s: fingerprint changed", name)
		}
		seq := []byte(strings.Repeat("round trip through safetensors; ", 5))
		if k := sameBits(forward(got, seq), forward(m, seq)); k >= 0 {
			t.Fatalf("%s: loaded model differs at prob %d", name, k)
		}
		if again := saved(t, got); !bytes.Equal(again, file) {
			t.Fatalf("%s: Save(Load(f)) != f", name)
		}
	}
}

// TestSavedHeader checks the file is standard safetensors: aligned data,
// every tensor F32 with PyTorch shapes, metadata with the config.
func TestSavedHeader(t *testing.T) {
	m := newTestModel(t, Configs["tiny"], 1)
	m.SetName("hdr")
	file := saved(t, m)
	hl := binary.LittleEndian.Uint64(file)
	if hl%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", hl)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(file[8:8+hl], &hdr); err != nil {
		t.Fatal(err)
	}
	var qkv tensorHeader
	if err := json.Unmarshal(hdr["global.blocks.0.attn.qkv.weight"], &qkv); err != nil {
		t.Fatal(err)
	}
	if qkv.DType != "F32" || len(qkv.Shape) != 2 || qkv.Shape[0] != 96 || qkv.Shape[1] != 32 {
		t.Errorf("qkv header %+v, want F32 [96 32]", qkv)
	}
	var meta map[string]string
	if err := json.Unmarshal(hdr["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(meta["config"]), &cfg); err != nil || cfg != m.Cfg {
		t.Errorf("metadata config %q: %+v, %v", meta["config"], cfg, err)
	}
	if meta["name"] != "hdr" || len(meta["fingerprint"]) != 64 {
		t.Errorf("metadata %v", meta)
	}
	if uint64(len(file)) != 8+hl+4*uint64(m.Cfg.Params()) {
		t.Errorf("file is %d bytes", len(file))
	}
}

// splitFile returns the parsed header and the data section of a saved file.
func splitFile(t *testing.T, file []byte) (map[string]any, []byte) {
	t.Helper()
	hl := binary.LittleEndian.Uint64(file)
	var hdr map[string]any
	if err := json.Unmarshal(file[8:8+hl], &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr, file[8+hl:]
}

func joinFile(t *testing.T, hdr map[string]any, body []byte) []byte {
	t.Helper()
	hj, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	out = append(out, hj...)
	return append(out, body...)
}

func TestLoadRejects(t *testing.T) {
	m := newTestModel(t, Configs["tiny"], 1)
	file := saved(t, m)
	hl := int(binary.LittleEndian.Uint64(file))

	// Every truncation fails with ErrFormat (sampled densely near the
	// header, where the parsing is).
	for n := 0; n < len(file); n++ {
		if n > 8+hl+64 && n%997 != 0 {
			continue
		}
		if _, err := Load(file[:n]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d of %d bytes: err = %v, want ErrFormat", n, len(file), err)
		}
	}
	// Trailing garbage.
	if _, err := Load(append(append([]byte(nil), file...), 0, 0, 0, 0)); !errors.Is(err, ErrFormat) {
		t.Errorf("trailing bytes: %v", err)
	}

	// A flipped weight bit: caught by the fingerprint.
	bad := append([]byte(nil), file...)
	bad[len(bad)-100] ^= 0x10
	if _, err := Load(bad); !errors.Is(err, ErrFingerprint) {
		t.Errorf("flipped weight: err = %v, want ErrFingerprint", err)
	}
	// SkipFingerprintCheck trusts the recorded fingerprint, and only that.
	if got, err := Load(bad, SkipFingerprintCheck()); err != nil {
		t.Errorf("flipped weight, fingerprint not checked: %v", err)
	} else if got.Fingerprint() == m.Fingerprint() {
		t.Error("flipped weight, fingerprint not checked: the weights load unchanged")
	}
	if _, err := Load(file[:len(file)-1], SkipFingerprintCheck()); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated, fingerprint not checked: err = %v, want ErrFormat", err)
	}
	// A NaN weight.
	bad = append([]byte(nil), file...)
	binary.LittleEndian.PutUint32(bad[8+hl+40:], math.Float32bits(float32(math.NaN())))
	if _, err := Load(bad); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN weight: err = %v, want ErrFormat naming NaN", err)
	}
	// A header that is not JSON.
	bad = binary.LittleEndian.AppendUint64(nil, 8)
	bad = append(bad, "{\"a\":[1,"...)
	if _, err := Load(bad); !errors.Is(err, ErrFormat) {
		t.Errorf("header not JSON: %v", err)
	}
	// A header length beyond the input.
	bad = append([]byte(nil), file...)
	binary.LittleEndian.PutUint64(bad, 1<<62)
	if _, err := Load(bad); !errors.Is(err, ErrFormat) {
		t.Errorf("huge header length: %v", err)
	}

	edits := map[string]struct {
		edit func(hdr map[string]any, body []byte) []byte
		want error
	}{
		"no metadata": {func(h map[string]any, b []byte) []byte { delete(h, "__metadata__"); return b }, ErrFormat},
		"no config": {func(h map[string]any, b []byte) []byte {
			delete(h["__metadata__"].(map[string]any), "config")
			return b
		}, ErrFormat},
		"invalid config": {func(h map[string]any, b []byte) []byte {
			h["__metadata__"].(map[string]any)["config"] = strings.Replace(h["__metadata__"].(map[string]any)["config"].(string), `"global_heads":2`, `"global_heads":3`, 1)
			return b
		}, ErrConfig},
		"unknown config field": {func(h map[string]any, b []byte) []byte {
			c := h["__metadata__"].(map[string]any)["config"].(string)
			h["__metadata__"].(map[string]any)["config"] = strings.Replace(c, "{", `{"rotary":true,`, 1)
			return b
		}, ErrConfig},
		"config of another size": {func(h map[string]any, b []byte) []byte {
			c := h["__metadata__"].(map[string]any)["config"].(string)
			h["__metadata__"].(map[string]any)["config"] = strings.Replace(c, `"local_dim":16`, `"local_dim":32`, 1)
			return b
		}, ErrFormat},
		"bad fingerprint hex": {func(h map[string]any, b []byte) []byte {
			h["__metadata__"].(map[string]any)["fingerprint"] = "xyz"
			return b
		}, ErrFormat},
		"other fingerprint": {func(h map[string]any, b []byte) []byte {
			h["__metadata__"].(map[string]any)["fingerprint"] = strings.Repeat("ab", 32)
			return b
		}, ErrFingerprint},
		"wrong shape": {func(h map[string]any, b []byte) []byte {
			h["g2l.weight"].(map[string]any)["shape"] = []int{8, 16}
			return b
		}, ErrFormat},
		"wrong dtype": {func(h map[string]any, b []byte) []byte {
			h["head.bias"].(map[string]any)["dtype"] = "F16"
			return b
		}, ErrFormat},
		"missing tensor": {func(h map[string]any, b []byte) []byte {
			delete(h, "head.bias")
			return b[:len(b)-1024]
		}, ErrFormat},
		"extra tensor": {func(h map[string]any, b []byte) []byte {
			h["extra"] = map[string]any{"dtype": "F32", "shape": []int{0}, "data_offsets": []int{0, 0}}
			return b
		}, ErrFormat},
		"overlapping offsets": {func(h map[string]any, b []byte) []byte {
			h["head.bias"].(map[string]any)["data_offsets"] = []int{0, 1024}
			return b
		}, ErrFormat},
		"offsets out of range": {func(h map[string]any, b []byte) []byte {
			h["head.bias"].(map[string]any)["data_offsets"] = []int{len(b), len(b) + 1024}
			return b
		}, ErrFormat},
		"negative offset": {func(h map[string]any, b []byte) []byte {
			h["head.bias"].(map[string]any)["data_offsets"] = []int{-4, 1020}
			return b
		}, ErrFormat},
		"three offsets": {func(h map[string]any, b []byte) []byte {
			h["head.bias"].(map[string]any)["data_offsets"] = []int{0, 4, 8}
			return b
		}, ErrFormat},
	}
	for name, c := range edits {
		hdr, body := splitFile(t, file)
		body = append([]byte(nil), body...)
		body = c.edit(hdr, body)
		if _, err := Load(joinFile(t, hdr, body)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}

	// Unedited, the split/join helpers give a loadable file: the cases above
	// fail for their edit, not for the helpers.
	hdr, body := splitFile(t, file)
	if _, err := Load(joinFile(t, hdr, body)); err != nil {
		t.Fatalf("re-joined file: %v", err)
	}
}

// smallestConfig is the smallest valid model (every size 1): the seed of
// the fuzz targets that read model files, small enough to mutate quickly.
var smallestConfig = Config{PatchSize: 1, GlobalDim: 1, GlobalLayers: 1, GlobalHeads: 1, LocalDim: 1, LocalLayers: 1, LocalHeads: 1, ContextPatches: 1}

// FuzzLoad feeds Load arbitrary bytes: it must return a typed error or a
// model that survives a Save/Load round trip, never panic or hang. The seed
// is the smallest valid model (4.4 KB, mostly the 256-row tables), still big
// enough that minimising a new input takes long: run it with a short
// -fuzzminimizetime, e.g.
//
//	go test ./model -run XXX -fuzz FuzzLoad -fuzztime 2m -fuzzminimizetime 2s
func FuzzLoad(f *testing.F) {
	m := newTestModel(f, smallestConfig, 1)
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		f.Fatal(err)
	}
	file := buf.Bytes()
	f.Add(file)
	f.Add(file[:len(file)/2])
	f.Add(file[:40])
	f.Add([]byte{})
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrConfig) && !errors.Is(err, ErrFingerprint) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if err := m.Save(&out); err != nil {
			t.Fatal(err)
		}
		m2, err := Load(out.Bytes())
		if err != nil {
			t.Fatalf("reloading a saved model: %v", err)
		}
		if m2.Fingerprint() != m.Fingerprint() || m2.Name() != m.Name() {
			t.Fatal("round trip changed the model")
		}
	})
}
