// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

const topic = "orders"

// checkCodec checks that s and its Appender encode v as want, and that want
// decodes back to a value equal to v under eq.
func checkCodec[T any](t *testing.T, name string, s Serde[T], v T, want []byte, eq func(a, b T) bool) {
	t.Helper()
	got, err := s.Serialize(topic, v)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: Serialize(%v) = %x, %v; want %x", name, v, got, err, want)
	}
	app, err := s.(Appender[T]).AppendSerialize([]byte("prefix"), topic, v)
	if wantApp := append([]byte("prefix"), want...); err != nil || !bytes.Equal(app, wantApp) {
		t.Errorf("%s: AppendSerialize(%v) = %x, %v; want %x", name, v, app, err, wantApp)
	}
	back, err := s.Deserialize(topic, want)
	if err != nil || !eq(v, back) {
		t.Errorf("%s: Deserialize(%x) = %v, %v; want %v", name, want, back, err, v)
	}
}

func equal[T comparable](a, b T) bool { return a == b }

func TestJavaString(t *testing.T) {
	for _, v := range javaVectors(t, "String") {
		checkCodec(t, v.name(), String(), v.str(t, 0), v.hex(t, 1), equal)
	}
}

func TestJavaStringDecode(t *testing.T) {
	for _, v := range javaVectors(t, "StringDecode") {
		in, want := v.hex(t, 0), v.hex(t, 1)
		got, err := String().Deserialize(topic, in)
		if err != nil || got != string(want) {
			t.Errorf("%s: Deserialize(%x) = %x, %v; want %x", v.name(), in, got, err, want)
		}
	}
}

func TestJavaInt64(t *testing.T) {
	for _, v := range javaVectors(t, "Int64") {
		checkCodec(t, v.name(), Int64(), v.int(t, 0, 64), v.hex(t, 1), equal)
	}
}

func TestJavaInt32(t *testing.T) {
	for _, v := range javaVectors(t, "Int32") {
		checkCodec(t, v.name(), Int32(), int32(v.int(t, 0, 32)), v.hex(t, 1), equal)
	}
}

func TestJavaInt16(t *testing.T) {
	for _, v := range javaVectors(t, "Int16") {
		checkCodec(t, v.name(), Int16(), int16(v.int(t, 0, 16)), v.hex(t, 1), equal)
	}
}

func TestJavaFloat64(t *testing.T) {
	sameBits := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for _, v := range javaVectors(t, "Float64") {
		want := v.hex(t, 1)
		if v.cols[0] == "NaN" {
			// Java's Double.NaN is the canonical 7ff8…0 while Go's math.NaN()
			// has another payload, so check decoding and the bits' round trip.
			back, err := Float64().Deserialize(topic, want)
			again, _ := Float64().Serialize(topic, back)
			if err != nil || !math.IsNaN(back) || !bytes.Equal(again, want) {
				t.Errorf("%s: NaN round trip: %v, %x, %v", v.name(), back, again, err)
			}
			continue
		}
		checkCodec(t, v.name(), Float64(), v.float(t, 0, 64), want, sameBits)
	}
}

func TestJavaFloat32(t *testing.T) {
	sameBits := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
	for _, v := range javaVectors(t, "Float32") {
		want := v.hex(t, 1)
		if v.cols[0] == "NaN" {
			back, err := Float32().Deserialize(topic, want)
			again, _ := Float32().Serialize(topic, back)
			if err != nil || !math.IsNaN(float64(back)) || !bytes.Equal(again, want) {
				t.Errorf("%s: NaN round trip: %v, %x, %v", v.name(), back, again, err)
			}
			continue
		}
		checkCodec(t, v.name(), Float32(), float32(v.float(t, 0, 32)), want, sameBits)
	}
}

func TestJavaBool(t *testing.T) {
	for _, v := range javaVectors(t, "Bool") {
		checkCodec(t, v.name(), Bool(), v.cols[0] == "true", v.hex(t, 1), equal)
	}
	for _, v := range javaVectors(t, "BoolDecode") {
		in := v.hex(t, 0)
		got, err := Bool().Deserialize(topic, in)
		if v.cols[1] == "error" {
			var se *Error
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "want byte 0x00 or 0x01") {
				t.Errorf("%s: Deserialize(%x) error = %v; want *Error about the byte", v.name(), in, err)
			}
			continue
		}
		if err != nil || got != (v.cols[1] == "true") {
			t.Errorf("%s: Deserialize(%x) = %v, %v; want %s", v.name(), in, got, err, v.cols[1])
		}
	}
}

func TestBytes(t *testing.T) {
	in := []byte{0, 1, 0xff}
	checkCodec(t, "Bytes", Bytes(), in, in, bytes.Equal)

	out, _ := Bytes().Deserialize(topic, in)
	in[0] = 9
	if out[0] != 0 {
		t.Error("Deserialize did not copy its input")
	}
	if out, err := Bytes().Deserialize(topic, []byte{}); err != nil || out == nil || len(out) != 0 {
		t.Errorf("Deserialize(empty) = %#v, %v; want empty non-nil", out, err)
	}
}

// An empty encoding must stay distinguishable from a null record.
func TestEmptyIsNotNil(t *testing.T) {
	noBytes := Funcs[string]{Ser: func(string, string) ([]byte, error) { return nil, nil }}
	for name, f := range map[string]func() ([]byte, error){
		"String.Serialize": func() ([]byte, error) { return String().Serialize(topic, "") },
		"Append(String)":   func() ([]byte, error) { return Append(String(), nil, topic, "") },
		"Append(Bytes)":    func() ([]byte, error) { return Append(Bytes(), nil, topic, nil) },
		"Append(Funcs)":    func() ([]byte, error) { return Append[string](noBytes, nil, topic, "") },
		"Append(JSON)":     func() ([]byte, error) { return Append(JSON[string](), nil, topic, "") },
	} {
		if b, err := f(); err != nil || b == nil {
			t.Errorf("%s = %#v, %v; want non-nil", name, b, err)
		}
	}
}

func TestWrongSize(t *testing.T) {
	cases := []struct {
		name string
		size int
		de   func(topic string, b []byte) error
	}{
		{"Int64", 8, func(tp string, b []byte) error { _, err := Int64().Deserialize(tp, b); return err }},
		{"Int32", 4, func(tp string, b []byte) error { _, err := Int32().Deserialize(tp, b); return err }},
		{"Int16", 2, func(tp string, b []byte) error { _, err := Int16().Deserialize(tp, b); return err }},
		{"Float64", 8, func(tp string, b []byte) error { _, err := Float64().Deserialize(tp, b); return err }},
		{"Float32", 4, func(tp string, b []byte) error { _, err := Float32().Deserialize(tp, b); return err }},
		{"Bool", 1, func(tp string, b []byte) error { _, err := Bool().Deserialize(tp, b); return err }},
	}
	for _, c := range cases {
		for _, n := range []int{0, c.size - 1, c.size + 1, 100} {
			if n == c.size {
				continue
			}
			err := c.de(topic, make([]byte, n))
			var se *Error
			if !errors.As(err, &se) || se.Serde != c.name || se.Op != "deserialize" || se.Topic != topic {
				t.Errorf("%s with %d bytes: error %#v; want *Error naming serde, op and topic", c.name, n, err)
				continue
			}
			want := "serde: " + c.name + ` deserialize (topic "orders"): want ` +
				strconv.Itoa(c.size) + " bytes, got " + strconv.Itoa(n)
			if err.Error() != want {
				t.Errorf("error %q; want %q", err, want)
			}
		}
		if err := c.de(topic, make([]byte, c.size)); err != nil {
			t.Errorf("%s with %d bytes: %v", c.name, c.size, err)
		}
	}
}

func TestDecodeUTF8(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"h\xc3\xa9llo", "héllo"},
		{"\xff\xfe", "\ufffd\ufffd"},
		{"a\xe2\x82b", "a\ufffdb"},             // truncated 3-byte sequence: one U+FFFD
		{"\xed\xa0\x80", "\ufffd"},             // encoded surrogate: Java replaces it once
		{"\xed\xa0A", "\ufffdA"},               // truncated surrogate
		{"\xe0\x80\x80", "\ufffd\ufffd\ufffd"}, // overlong
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
	} {
		got := decodeUTF8([]byte(c.in))
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("decodeUTF8(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestAppendFallback(t *testing.T) {
	upper := Funcs[string]{
		Ser: func(_ string, v string) ([]byte, error) { return []byte(strings.ToUpper(v)), nil },
		De:  func(_ string, b []byte) (string, error) { return string(b), nil },
	}
	if got, err := Append[string](upper, []byte("x:"), topic, "abc"); err != nil || string(got) != "x:ABC" {
		t.Errorf("Append = %q, %v; want x:ABC", got, err)
	}
	failing := Funcs[string]{Ser: func(string, string) ([]byte, error) { return nil, errors.New("boom") }}
	if _, err := Append[string](failing, nil, topic, "abc"); err == nil || err.Error() != "boom" {
		t.Errorf("Append error = %v; want boom", err)
	}
}
