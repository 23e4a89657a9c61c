package arith

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzTables builds the tables a fuzz case codes with: four Quantize tables
// of shapes chosen by seed, plus a table with zero frequencies.
func fuzzTables(t *testing.T, seed uint64) [][]uint32 {
	rng := newRand(seed)
	tables := make([][]uint32, 0, 5)
	for i := range 4 {
		kind := distKind((seed >> (8 * i)) % uint64(numDistKinds))
		tables = append(tables, randomFreqs(t, rng, kind))
	}
	sparse := make([]uint32, 256)
	sparse[byte(seed)] += Total / 2
	sparse[byte(seed>>8)] += Total / 4
	sparse[byte(seed>>16)] += Total / 4
	return append(tables, sparse)
}

// FuzzDecode decodes arbitrary bytes: the decoder must never panic, never
// read past its input (the slice's capacity is cut to its length, so any
// overread would be an index panic), and report only ErrCorrupt or
// ErrTruncated, stickily.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{}, uint64(0))
	f.Add([]byte{0}, uint64(1))
	f.Add(bytes.Repeat([]byte{0xFF}, 9), uint64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		tables := fuzzTables(t, seed)
		var cums [5]Cumulative
		for i := range tables {
			if err := cums[i].Set(tables[i]); err != nil {
				t.Fatal(err)
			}
		}
		src := data[:len(data):len(data)]
		d, err := NewDecoder(src)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) {
				t.Fatalf("NewDecoder: unexpected error %v", err)
			}
			return
		}
		// Sharp tables can yield many symbols per byte; cap the work.
		limit := 64 + 64*len(data)
		var decoded []byte
		for i := 0; i < limit; i++ {
			w := i % len(tables)
			var sym byte
			switch (seed >> 40) % 3 {
			case 0:
				sym, err = d.Decode(tables[w])
			case 1:
				sym, err = d.DecodeCumulative(&cums[w])
			default:
				var tgt uint32
				if tgt, err = d.Target(); err == nil {
					sym = cums[w].Find(tgt)
					lo, f := cums[w].Range(sym)
					err = d.Consume(lo, f)
				}
			}
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) {
					t.Fatalf("symbol %d: unexpected error %v", i, err)
				}
				if _, err2 := d.Decode(tables[0]); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				break
			}
			if tables[w][sym] == 0 {
				t.Fatalf("symbol %d: decoded %d, which has frequency 0", i, sym)
			}
			decoded = append(decoded, sym)
		}
		_ = d.Finish()
		// Whatever was decoded is a valid symbol sequence: it must survive
		// a round trip through the encoder.
		e := NewEncoder(nil)
		for i, sym := range decoded {
			e.Encode(tables[i%len(tables)], sym)
		}
		out := e.Finish()
		if e.Err() != nil {
			t.Fatal(e.Err())
		}
		d2, err := NewDecoder(out)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range decoded {
			if got, err := d2.Decode(tables[i%len(tables)]); err != nil || got != want {
				t.Fatalf("re-encoded symbol %d: got %d, %v; want %d", i, got, err, want)
			}
		}
		if err := d2.Finish(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRoundTrip codes arbitrary bytes with seeded tables and checks that
// they decode back exactly.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, world"), uint64(0))
	f.Add(bytes.Repeat([]byte{0xFF}, 300), uint64(0x020202))
	f.Add(bytes.Repeat([]byte{0}, 300), uint64(0x05050505))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		tables := fuzzTables(t, seed)[:4] // every symbol codable
		s := &stream{tables: tables, which: make([]int, len(data)), syms: data}
		for i := range s.which {
			s.which[i] = int(byte(seed>>32)+byte(i)) % len(tables)
		}
		out := s.encode(t, []byte{0xAA})
		s.decode(t, out[1:])
	})
}
