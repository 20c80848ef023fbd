// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package capture

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/record"
)

// Records written and read back are the same, whatever their bytes: spaces,
// quotes, '=' and binary bytes in keys, values and headers, null and empty
// keys and values, and header values.
func TestRoundTrip(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 0, 0, 250e6, time.UTC)
	recs := []Record{
		{Topic: "t", Partition: 0, Offset: 0, Timestamp: ts, Key: []byte("k"), Value: []byte("v")},
		{Topic: "t.x-1", Partition: 7, Offset: 1 << 40, Timestamp: ts, Key: nil, Value: []byte{}},
		{Topic: "t", Partition: 1, Offset: 2, Timestamp: ts, Key: []byte{}, Value: nil},
		{Topic: "t", Partition: 1, Offset: 3, Timestamp: ts, Key: []byte("a b\"=c\\ null"), Value: []byte{0, 1, 0xff, '\n', 0xe2, 0x80, 0xa8},
			Headers: []record.Header{{Key: "h 1", Value: []byte("x=y")}, {Key: "", Value: nil}, {Key: "é", Value: []byte{}}}},
		{Topic: "t", Partition: 1, Offset: 4, Timestamp: time.UnixMilli(-1).UTC(), Key: []byte("null"), Value: []byte("null ")},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Comment("two\nlines"); err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 1+2+len(recs) {
		t.Fatalf("want one line per record:\n%s", buf.String())
	}
	got, err := Read(&buf, "x.capture")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("read back:\n%+v\nwant\n%+v", got, recs)
	}
}

func TestWriteRejectsBadTopic(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.Write(&Record{Topic: "a b"}); err == nil {
		t.Fatal("a topic with a space was written")
	}
}

func TestEmptyFile(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf).Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(&buf, "x")
	if err != nil || len(recs) != 0 {
		t.Fatalf("%v, %v", recs, err)
	}
	if _, err := Read(strings.NewReader(""), "x"); err == nil {
		t.Fatal("an empty file read as a capture file")
	}
}
