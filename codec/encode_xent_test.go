package codec

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"github.com/mbzip/mbzip/modalities"
)

// TestEncodeAllInfo checks that EncodeAllInfo writes EncodeAll's file, that
// its Info is what Inspect reads back from that file, and that
// CrossEntropyBits is the model's float cross-entropy summed per segment in
// byte order and then in segment order — exactly, for every thread count.
func TestEncodeAllInfo(t *testing.T) {
	m := tinyModel(t)
	// Text the untrained model codes worse than zstd, then random bytes:
	// both stored and raw segments, and, forced, model-coded ones.
	src := append(sampleText(7000), randomBytes(2500, 5)...)
	const seg = 1000 // not a multiple of the window: windows restart per segment
	w := m.Cfg.Window()

	// The cross-entropy computed independently with model.Forward.
	var want float64
	probs := make([]float32, w*256)
	for s := 0; s < len(src); s += seg {
		part := src[s:min(s+seg, len(src))]
		var sum float64
		for b := 0; b < len(part); b += w {
			block := part[b:min(b+w, len(part))]
			m.Forward(block, probs[:len(block)*256])
			for i, c := range block {
				sum += -math.Log2(float64(probs[i*256+int(c)]))
			}
		}
		want += sum
	}

	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"1 thread", []Option{WithThreads(1)}},
		{"3 threads", []Option{WithThreads(3)}},
		{"forced model", []Option{WithThreads(2), withMethod(methodModel)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]Option{WithModel(m), WithSegmentSize(seg), WithLevel(4)}, tc.opts...)
			enc, info, err := EncodeAllInfo(context.Background(), src, opts...)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := EncodeAll(src, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, plain) {
				t.Fatal("EncodeAllInfo and EncodeAll wrote different files")
			}
			read, err := Inspect(bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			if info.CrossEntropyBits != want {
				t.Errorf("CrossEntropyBits = %v, model.Forward gives %v", info.CrossEntropyBits, want)
			}
			got := *info
			got.CrossEntropyBits = 0 // the file does not record it
			if got != *read {
				t.Errorf("EncodeAllInfo's Info %+v\nInspect reads       %+v", got, *read)
			}
			t.Logf("%d segments, %d stored; cross-entropy %.1f bits, quantized %.1f, file %d bytes",
				info.Segments, info.StoredSegments, info.CrossEntropyBits, info.ModelBits, len(enc))
		})
	}
}

// TestEncodeAllInfoStandIn covers the Info of a file with model-coded and
// stored segments and of an empty file, with the test network.
func TestEncodeAllInfoStandIn(t *testing.T) {
	net := newStandIn(4096)
	src := append(markovBytes(25000, 3), randomBytes(15000, 4)...)
	for _, data := range [][]byte{src, nil} {
		enc, info, err := EncodeAllInfo(context.Background(), data, withNetwork(net), WithSegmentSize(5000), WithModality(modalities.Bytes), WithThreads(3))
		if err != nil {
			t.Fatal(err)
		}
		read, err := Inspect(bytes.NewReader(enc))
		if err != nil {
			t.Fatal(err)
		}
		got := *info
		got.CrossEntropyBits = 0
		if got != *read {
			t.Errorf("%d bytes: EncodeAllInfo's Info %+v\nInspect reads %+v", len(data), got, *read)
		}
		if len(data) == 0 {
			if info.CrossEntropyBits != 0 {
				t.Errorf("empty: %v bits", info.CrossEntropyBits)
			}
			continue
		}
		if read.StoredSegments == 0 || read.StoredSegments == read.Segments {
			t.Errorf("%d of %d segments stored; the test wants both kinds", read.StoredSegments, read.Segments)
		}
		// The quantized cost is the cross-entropy plus a small loss.
		if d := info.ModelBits - info.CrossEntropyBits; d < -1e-3*info.ModelBits || d > 1e-2*info.ModelBits {
			t.Errorf("quantized %.1f bits, cross-entropy %.1f", info.ModelBits, info.CrossEntropyBits)
		}
	}
}

func TestEncodeAllInfoCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := EncodeAllInfo(ctx, sampleText(3000), withNetwork(newStandIn(64))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestXentBits(t *testing.T) {
	for _, c := range []struct {
		p    float32
		want float64
	}{{1, 0}, {0.5, 1}, {0.25, 2}, {0, maxXentBits}} {
		if got := xentBits(c.p); got != c.want {
			t.Errorf("xentBits(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	for _, p := range []float32{float32(math.NaN()), -0.1, 1.5} {
		if got := xentBits(p); !math.IsNaN(got) {
			t.Errorf("xentBits(%v) = %v, want NaN", p, got)
		}
	}
}
