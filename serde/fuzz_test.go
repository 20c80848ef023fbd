// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/eddy-streams/eddy/window"
)

// The seed corpora of these targets live in testdata/fuzz/<FuzzName>/.
// Run one with: go test -run '^$' -fuzz '^FuzzString$' -fuzztime 30s ./serde

func FuzzString(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := String().Deserialize(topic, data)
		if err != nil {
			t.Fatalf("Deserialize(%x): %v", data, err)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Deserialize(%x) = %q, not valid UTF-8", data, s)
		}
		b, _ := String().Serialize(topic, s)
		if utf8.Valid(data) && !bytes.Equal(b, data) {
			t.Fatalf("valid UTF-8 %x round trips to %x", data, b)
		}
		if again, _ := String().Deserialize(topic, b); again != s {
			t.Fatalf("decoding is not idempotent: %q then %q", s, again)
		}
	})
}

func FuzzBytes(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Bytes().Deserialize(topic, data)
		if err != nil || !bytes.Equal(v, data) {
			t.Fatalf("Deserialize(%x) = %x, %v", data, v, err)
		}
	})
}

// fuzzFixed checks a fixed-size serde: input of the right size (and, for
// Bool, a valid byte) decodes and re-encodes to itself; anything else is an
// *Error.
func fuzzFixed[T any](t *testing.T, s Serde[T], size int, data []byte) {
	v, err := s.Deserialize(topic, data)
	if err != nil {
		var se *Error
		if !errors.As(err, &se) || se.Topic != topic {
			t.Fatalf("Deserialize(%x) error %v is not an *Error naming the topic", data, err)
		}
		if len(data) == size && size != 1 {
			t.Fatalf("Deserialize(%x) of the right size failed: %v", data, err)
		}
		return
	}
	if len(data) != size {
		t.Fatalf("Deserialize(%x) accepted %d bytes; want %d", data, len(data), size)
	}
	b, err := s.Serialize(topic, v)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("round trip of %x = %x, %v", data, b, err)
	}
}

func FuzzInt64(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFixed(t, Int64(), 8, data) })
}

func FuzzInt32(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFixed(t, Int32(), 4, data) })
}

func FuzzInt16(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFixed(t, Int16(), 2, data) })
}

func FuzzFloat64(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFixed(t, Float64(), 8, data) })
}

func FuzzFloat32(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFixed(t, Float32(), 4, data) })
}

func FuzzBool(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFixed(t, Bool(), 1, data)
		_, err := Bool().Deserialize(topic, data)
		if valid := len(data) == 1 && data[0] <= 1; valid != (err == nil) {
			t.Fatalf("Deserialize(%x) error = %v", data, err)
		}
	})
}

type fuzzDoc struct {
	ID    string             `json:"id"`
	N     int64              `json:"n"`
	F     float64            `json:"f"`
	OK    bool               `json:"ok"`
	Tags  []string           `json:"tags"`
	Attrs map[string]int     `json:"attrs"`
	Next  *fuzzDoc           `json:"next"`
	Raw   map[string]any     `json:"raw"`
	Pairs [][2]float32       `json:"pairs"`
	Opt   *map[string]string `json:"opt,omitempty"`
}

func FuzzJSON(f *testing.F) {
	s := JSON[fuzzDoc]()
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := s.Deserialize(topic, data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		b, err := s.Serialize(topic, v)
		if err != nil {
			t.Fatalf("Serialize(%+v): %v", v, err)
		}
		w, err := s.Deserialize(topic, b)
		if err != nil || !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip of %s: %+v != %+v (%v)", b, v, w, err)
		}
	})
}

func FuzzTimeWindowed(f *testing.F) {
	s := TimeWindowed(String(), 60_000*time.Millisecond)
	f.Fuzz(func(t *testing.T, data []byte) {
		key, start, err := SplitTimeWindowedKey(data)
		if (err != nil) != (len(data) < 8) {
			t.Fatalf("SplitTimeWindowedKey(%x) error = %v", data, err)
		}
		w, derr := s.Deserialize(topic, data)
		if err != nil {
			if derr == nil {
				t.Fatalf("Deserialize(%x) accepted short input", data)
			}
			return
		}
		if got := AppendTimeWindowedKey(nil, key, start); !bytes.Equal(got, data) {
			t.Fatalf("split and append of %x = %x", data, got)
		}
		if derr != nil || w.Window.Start().UnixMilli() != start || w.Window.End().UnixMilli() < start {
			t.Fatalf("Deserialize(%x) = %v, %v", data, w, derr)
		}
		b, err := s.Serialize(topic, w)
		if err != nil || (utf8.Valid(key) && !bytes.Equal(b, data)) {
			t.Fatalf("round trip of %x = %x, %v", data, b, err)
		}
	})
}

func FuzzSessionWindowed(f *testing.F) {
	s := SessionWindowed(String())
	f.Fuzz(func(t *testing.T, data []byte) {
		key, start, end, err := SplitSessionWindowedKey(data)
		if (err != nil) != (len(data) < 16) {
			t.Fatalf("SplitSessionWindowedKey(%x) error = %v", data, err)
		}
		w, derr := s.Deserialize(topic, data)
		if err != nil {
			if derr == nil {
				t.Fatalf("Deserialize(%x) accepted short input", data)
			}
			return
		}
		if got := AppendSessionWindowedKey(nil, key, start, end); !bytes.Equal(got, data) {
			t.Fatalf("split and append of %x = %x", data, got)
		}
		if derr != nil || w.Window != window.Between(time.UnixMilli(start), time.UnixMilli(end)) {
			t.Fatalf("Deserialize(%x) = %v, %v", data, w, derr)
		}
		b, err := s.Serialize(topic, w)
		if err != nil || (utf8.Valid(key) && !bytes.Equal(b, data)) {
			t.Fatalf("round trip of %x = %x, %v", data, b, err)
		}
	})
}
