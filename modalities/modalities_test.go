package modalities

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestKindString(t *testing.T) {
	for _, tc := range []struct {
		k    Kind
		want string
	}{{Bytes, "bytes"}, {Text, "text"}, {Kind(9), "kind(9)"}} {
		if got := tc.k.String(); got != tc.want {
			t.Errorf("Kind(%d).String() = %q, want %q", tc.k, got, tc.want)
		}
	}
	for _, k := range []Kind{Bytes, Text} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("image"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("ParseKind(image) error = %v, want ErrUnknownKind", err)
	}
	if Kind(2).Known() || !Text.Known() || !Bytes.Known() {
		t.Error("Known() wrong")
	}
}

func TestDetect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	long := strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 3000) // > DetectLimit
	utf := strings.Repeat("Grüße, 世界! Ελληνικά — ok\r\n\tindent\x1b[0m\n", 50)
	for _, tc := range []struct {
		name string
		data []byte
		want Kind
	}{
		{"empty", nil, Bytes},
		{"ascii", []byte("hello, world\n"), Text},
		{"utf8", []byte(utf), Text},
		{"long text", []byte(long), Text},
		{"rune cut at end", []byte("héllo wörld 世")[:len("héllo wörld 世")-1], Text},
		{"random", random, Bytes},
		{"NUL", []byte("hello\x00world"), Bytes},
		{"latin1", []byte("caf\xe9 cr\xe8me br\xfbl\xe9e"), Bytes},
		{"many controls", bytes.Repeat([]byte("ab\x01"), 100), Bytes},
		{"one control in 200", append(bytes.Repeat([]byte("a"), 199), 0x02), Text},
		{"bad rune in middle", []byte("abc\xc3(def"), Bytes},
		// Binary data after DetectLimit does not change the verdict.
		{"text then binary", append([]byte(long[:DetectLimit]), random...), Text},
	} {
		if got := Detect(tc.data); got != tc.want {
			t.Errorf("Detect(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSerializeRestore(t *testing.T) {
	data := []byte("some bytes \x00\xff")
	for _, k := range []Kind{Bytes, Text} {
		stream, side, err := Serialize(k, data)
		if err != nil {
			t.Fatalf("Serialize(%v): %v", k, err)
		}
		if !bytes.Equal(stream, data) || len(side) != 0 {
			t.Fatalf("Serialize(%v) is not the identity: %q, side %q", k, stream, side)
		}
		got, err := Restore(k, stream, side)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Restore(%v) = %q, %v", k, got, err)
		}
		if _, err := Restore(k, stream, []byte{1}); !errors.Is(err, ErrSideInfo) {
			t.Errorf("Restore(%v) with side info: error %v, want ErrSideInfo", k, err)
		}
	}
	if _, _, err := Serialize(Kind(7), data); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("Serialize(kind 7) error = %v", err)
	}
	if _, err := Restore(Kind(7), data, nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("Restore(kind 7) error = %v", err)
	}
}
