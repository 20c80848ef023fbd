// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/window"
)

func TestJavaTimeWindowed(t *testing.T) {
	for _, v := range javaVectors(t, "TimeWindowed") {
		key, start, size := v.str(t, 0), v.int(t, 1, 64), v.int(t, 2, 64)
		want, end := v.hex(t, 3), v.int(t, 4, 64)
		checkCodec(t, v.name(), TimeWindowed(String(), time.Duration(size)*time.Millisecond), window.Of(key, time.UnixMilli(start), time.UnixMilli(end)), want, equal)
		if got := AppendTimeWindowedKey([]byte("p"), []byte(key), start); !bytes.Equal(got, append([]byte("p"), want...)) {
			t.Errorf("%s: AppendTimeWindowedKey = %x; want p‖%x", v.name(), got, want)
		}
		kb, s, err := SplitTimeWindowedKey(want)
		if err != nil || string(kb) != key || s != start {
			t.Errorf("%s: SplitTimeWindowedKey = %q, %d, %v", v.name(), kb, s, err)
		}
	}
}

func TestJavaSessionWindowed(t *testing.T) {
	for _, v := range javaVectors(t, "SessionWindowed") {
		key, start, end, want := v.str(t, 0), v.int(t, 1, 64), v.int(t, 2, 64), v.hex(t, 3)
		checkCodec(t, v.name(), SessionWindowed(String()), window.Of(key, time.UnixMilli(start), time.UnixMilli(end)), want, equal)
		if got := AppendSessionWindowedKey(nil, []byte(key), start, end); !bytes.Equal(got, want) {
			t.Errorf("%s: AppendSessionWindowedKey = %x; want %x", v.name(), got, want)
		}
		kb, s, e, err := SplitSessionWindowedKey(want)
		if err != nil || string(kb) != key || s != start || e != end {
			t.Errorf("%s: SplitSessionWindowedKey = %q, %d, %d, %v", v.name(), kb, s, e, err)
		}
	}
}

func TestTimeWindowedEnd(t *testing.T) {
	s := TimeWindowed(Int64(), 10*time.Millisecond)
	for _, c := range []struct{ start, end int64 }{
		{0, 10}, {-100, -90}, {math.MaxInt64 - 10, math.MaxInt64}, {math.MaxInt64 - 9, math.MaxInt64}, {math.MaxInt64, math.MaxInt64},
	} {
		b := AppendTimeWindowedKey(make([]byte, 8), nil, c.start)
		got, err := s.Deserialize(topic, b)
		if err != nil || got.Window != window.Between(time.UnixMilli(c.start), time.UnixMilli(c.end)) {
			t.Errorf("start %d: window %v, %v; want end %d", c.start, got.Window, err, c.end)
		}
	}
}

func TestTimeWindowedBadSize(t *testing.T) {
	for _, size := range []time.Duration{0, -time.Millisecond, time.Millisecond - 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("TimeWindowed(size %v) did not panic", size)
				}
			}()
			TimeWindowed(String(), size)
		}()
	}
}

func TestWindowedShortInput(t *testing.T) {
	tw, sw := TimeWindowed(String(), time.Second), SessionWindowed(String())
	for n := range 16 {
		b := make([]byte, n)
		_, err := tw.Deserialize(topic, b)
		if n < 8 {
			checkWindowedErr(t, err, "TimeWindowed", "at least 8 bytes")
		} else if err != nil {
			t.Errorf("TimeWindowed with %d bytes: %v", n, err)
		}
		_, err = sw.Deserialize(topic, b)
		checkWindowedErr(t, err, "SessionWindowed", "at least 16 bytes")
	}
	if _, err := sw.Deserialize(topic, make([]byte, 16)); err != nil {
		t.Errorf("SessionWindowed with 16 bytes: %v", err)
	}
}

func checkWindowedErr(t *testing.T, err error, name, text string) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) || se.Serde != name || se.Topic != topic || !strings.Contains(err.Error(), text) {
		t.Errorf("error %v; want *Error of %s mentioning %q", err, name, text)
	}
}

func TestWindowedInnerErrors(t *testing.T) {
	// The inner Int64 serde rejects a 3-byte key.
	b := AppendTimeWindowedKey(nil, []byte{1, 2, 3}, 5)
	_, err := TimeWindowed(Int64(), 10*time.Millisecond).Deserialize(topic, b)
	var inner *Error
	checkWindowedErr(t, err, "TimeWindowed", "want 8 bytes, got 3")
	if !errors.As(errors.Unwrap(err), &inner) || inner.Serde != "Int64" {
		t.Errorf("error %v does not wrap the Int64 error", err)
	}
	b = AppendSessionWindowedKey(nil, []byte{1, 2, 3}, 5, 6)
	_, err = SessionWindowed(Int64()).Deserialize(topic, b)
	checkWindowedErr(t, err, "SessionWindowed", "want 8 bytes, got 3")

	failing := Funcs[string]{Ser: func(string, string) ([]byte, error) { return nil, errors.New("boom") }}
	if _, err := TimeWindowed[string](failing, 10*time.Millisecond).Serialize(topic, window.Of("k", time.UnixMilli(0), time.UnixMilli(10))); err == nil {
		t.Error("TimeWindowed.Serialize with failing inner serde: want error")
	}
	if _, err := SessionWindowed[string](failing).Serialize(topic, window.Of("k", time.UnixMilli(0), time.UnixMilli(10))); err == nil {
		t.Error("SessionWindowed.Serialize with failing inner serde: want error")
	}
}

// The key returned by a splitter cannot be appended over the suffix.
func TestSplitCapsKey(t *testing.T) {
	b := AppendSessionWindowedKey(nil, []byte("key"), 1, 2)
	orig := bytes.Clone(b)
	k, _, _, _ := SplitSessionWindowedKey(b)
	_ = append(k, "XXXXXXXX"...)
	k2, _, _ := SplitTimeWindowedKey(b)
	_ = append(k2, "XXXXXXXX"...)
	if !bytes.Equal(b, orig) {
		t.Errorf("appending to the split key changed the input: %x", b)
	}
}
