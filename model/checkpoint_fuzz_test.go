package model

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadCheckpoint feeds ReadCheckpoint (what `mbzip train --resume`
// reads) damaged and made-up files: it must return a typed error or a
// checkpoint that writes back and reads again the same, and never panic or
// allocate far beyond the file's size. Its 20 KB seed makes minimising a
// new input slow (0 execs/s meanwhile): run it with -fuzzminimizetime 3s.
func FuzzReadCheckpoint(f *testing.F) {
	o := DefaultTrainOptions()
	o.Steps = 3
	ck, err := NewCheckpoint(newTestModel(f, smallestConfig, 1), o)
	if err != nil {
		f.Fatal(err)
	}
	ck.Step, ck.Draws, ck.ValBPB = 1, 7, 2.5
	ck.Meta = map[string]string{"corpus": "fuzz"}
	var buf bytes.Buffer
	if _, err := ck.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	file := buf.Bytes()
	f.Add(file)
	f.Add(file[:len(file)/2])
	f.Add(file[:1024])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ck, err := ReadCheckpoint(data)
		if err != nil {
			for _, want := range []error{ErrCheckpoint, ErrOptimizerState, ErrFormat, ErrConfig, ErrFingerprint} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		var out bytes.Buffer
		if _, err := ck.WriteTo(&out); err != nil {
			t.Fatalf("writing back a checkpoint that read: %v", err)
		}
		back, err := ReadCheckpoint(out.Bytes())
		if err != nil {
			t.Fatalf("reading back a checkpoint that read: %v", err)
		}
		if back.Step != ck.Step || back.Draws != ck.Draws || back.Options != ck.Options || back.Model.Fingerprint() != ck.Model.Fingerprint() {
			t.Fatalf("round trip changed the checkpoint")
		}
	})
}
