package arith_test

import (
	"fmt"

	"github.com/mbzip/mbzip/arith"
)

// A coding loop: quantize each distribution, code the byte with the
// table's prefix sums, and decode it back with the same tables.
func Example() {
	msg := []byte("abracadabra")
	// The ideal cost here is 22.4 bits; the stream is 3 bytes.
	// A fixed toy model: 'a' likely, the other letters of the message
	// less so, every other byte rare (Quantize gives them frequency ≥ 1).
	probs := make([]float32, 256)
	for _, c := range msg {
		probs[c] += 1
	}
	freqs := make([]uint32, 256)
	if err := arith.Quantize(probs, freqs); err != nil {
		panic(err)
	}
	var cum arith.Cumulative
	if err := cum.Set(freqs); err != nil {
		panic(err)
	}

	enc := arith.NewEncoder(nil)
	for _, c := range msg {
		enc.EncodeCumulative(&cum, c)
	}
	code := enc.Finish()
	if err := enc.Err(); err != nil {
		panic(err)
	}

	dec, err := arith.NewDecoder(code)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(msg))
	for i := range out {
		if out[i], err = dec.DecodeCumulative(&cum); err != nil {
			panic(err)
		}
	}
	fmt.Printf("%d bytes -> %d bytes -> %q, end check: %v\n", len(msg), len(code), out, dec.Finish())
	// Output: 11 bytes -> 3 bytes -> "abracadabra", end check: <nil>
}
