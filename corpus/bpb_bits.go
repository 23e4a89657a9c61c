package corpus

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// maxByteBits is what one byte costs at most in a cross-entropy figure: a
// probability that underflowed to 0 in float32 counts as the smallest
// positive float32, 2^-149. The coder itself never pays more than
// log2(arith.Total) = 24 bits, since every frequency is at least 1.
const maxByteBits = 149

// streamBits returns Σ −log2 p of the bytes of stream under m, with the
// contexts the codec gives them: the stream cut into segments of segSize
// bytes, each segment in windows of m.Cfg.Window() bytes from its start,
// each window a fresh context (codec package comment). It is teacher-forced
// model.Forward, no quantization and no coding: the model's cross-entropy.
//
// The segments are split over threads goroutines; each segment's sum is
// taken in byte order in float64 and the segments' sums in segment order,
// so the result does not depend on threads. If per is not nil it receives
// the bits of every byte (len(per) ≥ len(stream)). progress, if not nil,
// is called with the bytes of each window done, from the worker goroutines.
//
// The logarithm is math.Log2: this is a report, not the probability path.
func streamBits(ctx context.Context, m *model.Model, stream []byte, segSize, threads int, per []float32, progress func(n int)) (float64, error) {
	if len(stream) == 0 {
		return 0, nil
	}
	if segSize < 1 {
		return 0, fmt.Errorf("corpus: segment size %d", segSize)
	}
	nseg := (len(stream) + segSize - 1) / segSize
	threads = min(max(threads, 1), nseg)
	segBits := make([]float64, nseg)
	w := m.Cfg.Window()
	inf := m.Inference() // the same probabilities, on packed weights
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probs := make([]float32, w*256)
			for {
				s := int(next.Add(1) - 1)
				if s >= nseg || ctx.Err() != nil {
					return
				}
				seg := stream[s*segSize : min((s+1)*segSize, len(stream))]
				var sum float64
				for start := 0; start < len(seg); start += w {
					if ctx.Err() != nil {
						return
					}
					block := seg[start:min(start+w, len(seg))]
					p := probs[:len(block)*256]
					inf.Forward(block, p)
					for t, b := range block {
						bits, err := byteBits(p[t*256+int(b)])
						if err != nil {
							fail(fmt.Errorf("corpus: byte %d: %w", s*segSize+start+t, err))
							return
						}
						sum += bits
						if per != nil {
							per[s*segSize+start+t] = float32(bits)
						}
					}
					if progress != nil {
						progress(len(block))
					}
				}
				segBits[s] = sum
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if firstErr != nil {
		return 0, firstErr
	}
	var total float64
	for _, b := range segBits {
		total += b
	}
	return total, nil
}

// byteBits is −log2 p, at most maxByteBits. A NaN or a probability outside
// [0, 1] is a bug in the model and an error.
func byteBits(p float32) (float64, error) {
	if !(p >= 0 && p <= 1) { // also catches NaN
		return 0, fmt.Errorf("model gave probability %v", p)
	}
	if p == 0 {
		return maxByteBits, nil
	}
	return -math.Log2(float64(p)), nil
}

// codecDefaults caches, per modality, the model the codec picks when none
// is given.
var codecDefaults sync.Map // modalities.Kind -> *model.Model

// CodecDefaultModel returns the model codec.EncodeAll codes data of kind k
// with when no model is given. It asks the codec itself — it encodes an
// empty stream of that modality and reads the model the header names — so
// that measurements use the same model as `mbzip compress` whatever rule the
// codec follows, then finds that model among the built-ins and checks its
// fingerprint.
func CodecDefaultModel(k modalities.Kind) (*model.Model, error) {
	if m, ok := codecDefaults.Load(k); ok {
		return m.(*model.Model), nil
	}
	empty, err := codec.EncodeAll(nil, codec.WithModality(k))
	if err != nil {
		return nil, fmt.Errorf("corpus: the codec's default model for %v: %w", k, err)
	}
	info, err := codec.Inspect(bytes.NewReader(empty))
	if err != nil {
		return nil, fmt.Errorf("corpus: the codec's default model for %v: %w", k, err)
	}
	m, err := builtin.Lookup(info.ModelName)
	if err != nil {
		return nil, fmt.Errorf("corpus: the codec's default model for %v: %w", k, err)
	}
	if builtin.Fingerprint(m) != info.Fingerprint {
		return nil, fmt.Errorf("corpus: the codec's default model for %v is %q, but the built-in of that name has another fingerprint", k, info.ModelName)
	}
	codecDefaults.Store(k, m)
	return m, nil
}
