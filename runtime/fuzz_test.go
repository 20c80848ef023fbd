// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// Fuzz targets for what the runtime reads back from disk (a task
// directory's eddy-task.json) and from dead-letter topics (the dead-letter
// headers). The seed corpora live in testdata/fuzz/<FuzzName>/; run one with
//
//	go test -run '^$' -fuzz '^FuzzTaskMeta$' -fuzztime 30s ./runtime

func FuzzTaskMeta(f *testing.F) {
	for _, m := range []*taskMeta{
		{},
		{Format: taskMetaFormat, AppID: "wordcount", Task: "0_3", Stores: []string{"counts", "sessions"}},
		{Format: taskMetaFormat, AppID: "app", Task: "1_0", Stores: []string{},
			ChangelogIDs: map[string]string{"app-counts-changelog": "5f0c6e3b9a2d4c1e8f7a6b5c4d3e2f10"}},
		{Format: 7, AppID: "ünïcode \u2028", Task: "2_global"},
	} {
		b, err := encodeTaskMeta(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "null", "{}", "[]", `{"format":"1"}`, `{"format":1e400}`, `{"stores":[null,"a"]}`,
		`{"changelog_topic_ids":{"t":1}}`, `{"format":1,"application_id":"a"`, "\xff", `{"task":"\xff"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeTaskMeta(data)
		if err != nil {
			if m != nil || !strings.HasPrefix(err.Error(), "unreadable "+taskMetaFile+": ") {
				t.Fatalf("decodeTaskMeta(%q) = %+v, %v", data, m, err)
			}
			return
		}
		b, err := encodeTaskMeta(m)
		if err != nil {
			t.Fatalf("encodeTaskMeta(%+v) of decoded %q: %v", m, data, err)
		}
		again, err := decodeTaskMeta(b)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", b, err)
		}
		if again.Format != m.Format || again.AppID != m.AppID || again.Task != m.Task ||
			!slices.Equal(again.Stores, m.Stores) || !maps.Equal(again.ChangelogIDs, m.ChangelogIDs) {
			t.Fatalf("round trip of %+v (from %q) = %+v", m, data, again)
		}
		if b2, _ := encodeTaskMeta(again); !bytes.Equal(b2, b) {
			t.Fatalf("encoding is not stable: %q then %q", b, b2)
		}
	})
}

// fuzzHeaderKeys are the header keys fuzzHeaders picks from.
var fuzzHeaderKeys = []string{HeaderErrorMessage, HeaderErrorTopic, HeaderErrorPartition, HeaderErrorOffset,
	HeaderErrorTask, HeaderErrorNode, HeaderErrorTruncated, "trace", "eddy.error.other", "", HeaderErrorKind}

// fuzzHeaders turns raw into headers: 0-separated fields, each a key (its
// first byte picks one of fuzzHeaderKeys) and a value (the rest).
func fuzzHeaders(raw []byte) []kgo.RecordHeader {
	if len(raw) == 0 {
		return nil
	}
	var hs []kgo.RecordHeader
	for f := range bytes.SplitSeq(raw, []byte{0}) {
		if len(f) == 0 {
			continue
		}
		hs = append(hs, kgo.RecordHeader{Key: fuzzHeaderKeys[int(f[0])%len(fuzzHeaderKeys)], Value: f[1:]})
	}
	return hs
}

func toKgoHeaders(hs []engine.Header) []kgo.RecordHeader {
	out := make([]kgo.RecordHeader, len(hs))
	for i, h := range hs {
		out[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
	}
	return out
}

// fuzzDeadLetterSeed encodes headers for FuzzParseDeadLetter: pairs of an
// index into fuzzHeaderKeys and a value.
func fuzzDeadLetterSeed(kv ...any) []byte {
	var b []byte
	for i := 0; i < len(kv); i += 2 {
		b = append(b, byte(kv[i].(int)))
		b = append(b, kv[i+1].(string)...)
		b = append(b, 0)
	}
	return b
}

func FuzzParseDeadLetter(f *testing.F) {
	f.Add([]byte{})
	f.Add(fuzzDeadLetterSeed(7, "t1", 0, "deserialize value: short", 1, "amounts", 2, "0", 3, "1", 4, "0_0", 5, "KSTREAM-SOURCE-0000000000"))
	f.Add(fuzzDeadLetterSeed(0, "old", 1, "x", 0, "boom", 1, "in", 2, "2147483647", 3, "9223372036854775807", 4, "1_global", 5, "", 6, "cut value 10 of 20 bytes"))
	f.Add(fuzzDeadLetterSeed(0, "m", 1, "t", 2, "x1", 3, "1", 4, "0_0", 5, "n"))
	f.Add(fuzzDeadLetterSeed(0, "m", 1, "t", 2, "2147483648", 3, "-1", 4, "0_0", 5, "n"))
	f.Add(fuzzDeadLetterSeed(0, "m", 1, "t", 1, "u", 2, "1", 3, "1", 4, "0_0", 5, "n"))
	f.Add(fuzzDeadLetterSeed(0, "m", 3, "1", 5, "n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		hs := fuzzHeaders(raw)
		d, err := ParseDeadLetter(hs)
		if err != nil {
			if d != (DeadLetterHeaders{}) {
				t.Fatalf("ParseDeadLetter(%q) failed (%v) but returned %+v", hs, err, d)
			}
			if !strings.HasPrefix(err.Error(), "runtime: ") || !strings.Contains(err.Error(), "eddy.error.") {
				t.Fatalf("ParseDeadLetter(%q) error %q does not name a header", hs, err)
			}
			return
		}
		if !slices.ContainsFunc(hs, func(h kgo.RecordHeader) bool { return h.Key == HeaderErrorMessage }) {
			t.Fatalf("ParseDeadLetter(%q) = %+v without a %s header", hs, d, HeaderErrorMessage)
		}
		again, err := ParseDeadLetter(toKgoHeaders(appendDeadLetterHeaders(nil, d)))
		if err != nil || again != d {
			t.Fatalf("round trip of %+v (from %q) = %+v, %v", d, hs, again, err)
		}
	})
}

// fakeDLQ collects what the dead-letter handler sends; with a limit it
// refuses records larger than that.
type fakeDLQ struct {
	limit int
	sent  []*engine.RawRecord
}

func (c *fakeDLQ) Send(r *engine.RawRecord) error {
	if c.limit > 0 && engine.EncodedSize(r.Key, r.Value, r.Headers) > c.limit {
		return errors.New("record too large")
	}
	c.sent = append(c.sent, r)
	return nil
}

func (c *fakeDLQ) PartitionCount(string) (int32, error) { return 1, nil }

func (c *fakeDLQ) MaxRecordBytes(string) (int, error) { return c.limit, nil }

func (c *fakeDLQ) CheckRecordSize(topic string, key, value []byte, headers []engine.Header) error {
	if size := engine.EncodedSize(key, value, headers); size > c.limit {
		return &engine.RecordTooLargeError{Topic: topic, Size: size, Max: c.limit}
	}
	return nil
}

// FuzzDeadLetterHeaders sends a record through the DeadLetter policy's
// handler (original headers from orig, a dead-letter topic limit of limit
// bytes, 0 for none) and reads the dead letter back with ParseDeadLetter:
// the error and origin must survive whatever headers the record had and
// any truncation, in the header formats the runtime has always written.
func FuzzDeadLetterHeaders(f *testing.F) {
	f.Add([]byte{}, "deserialize value: short", "amounts", int32(0), int64(1), int32(0), "KSTREAM-SOURCE-0000000000", []byte("value"), uint16(0))
	f.Add(fuzzDeadLetterSeed(7, "t1", 0, "old", 2, "x", 6, "cut key"), "boom", "in", int32(7), int64(1<<40), int32(-1), "", make([]byte, 2000), uint16(600))
	f.Add(fuzzDeadLetterSeed(7, "t1"), "", "", int32(-1), int64(-1), int32(3), "n", []byte{}, uint16(100))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, orig []byte, message, topic string, partition int32, offset int64, taskPartition int32, node string, value []byte, limit uint16) {
		var hs []engine.Header
		for _, h := range fuzzHeaders(orig) {
			hs = append(hs, engine.Header{Key: h.Key, Value: h.Value})
		}
		task := engine.TaskID{Subtopology: 1, Partition: taskPartition}
		rec := &engine.RawRecord{Topic: topic, Partition: partition, Offset: offset, Key: []byte("k"), Value: value, Headers: hs}
		coll := &fakeDLQ{limit: int(limit)}
		cfg := &Config{OnError: DeadLetter, DeadLetterTopic: "dlq", Logger: log}
		action := cfg.handleError(engine.ErrorContext{Task: task, Node: node, Record: rec, Collector: coll}, errors.New(message))
		if action != engine.Diverted {
			if len(coll.sent) != 0 || limit == 0 {
				t.Fatalf("dead letter failed (%v) but sent %d records with limit %d", action, len(coll.sent), limit)
			}
			return
		}
		if len(coll.sent) != 1 {
			t.Fatalf("dead letter sent %d records", len(coll.sent))
		}
		dl := coll.sent[0]
		// The error headers, in this order, follow the record's own.
		n := 7
		if len(dl.Headers) > 0 && dl.Headers[len(dl.Headers)-1].Key == HeaderErrorTruncated {
			n = 8
		}
		if len(dl.Headers) < n {
			t.Fatalf("dead letter has headers %q", dl.Headers)
		}
		block := dl.Headers[len(dl.Headers)-n:]
		var keys, values []string
		for _, h := range block {
			keys, values = append(keys, h.Key), append(values, string(h.Value))
		}
		wantKeys := []string{HeaderErrorMessage, HeaderErrorTopic, HeaderErrorPartition, HeaderErrorOffset, HeaderErrorTask, HeaderErrorNode, HeaderErrorKind}
		wantValues := []string{message, topic, strconv.Itoa(int(partition)), strconv.FormatInt(offset, 10), task.String(), node, "Processing"}
		if len(block) == 8 {
			wantKeys, wantValues = append(wantKeys, HeaderErrorTruncated), append(wantValues, values[7])
		}
		if !slices.Equal(keys, wantKeys) || !slices.Equal(values, wantValues) {
			t.Fatalf("dead-letter headers %q = %q, want %q = %q", keys, values, wantKeys, wantValues)
		}
		got, err := ParseDeadLetter(toKgoHeaders(dl.Headers))
		if err != nil {
			t.Fatalf("ParseDeadLetter(%q): %v", dl.Headers, err)
		}
		truncated := len(dl.Value) < len(value) || len(dl.Key) < len(rec.Key) || len(dl.Headers) < len(hs)+7
		want := DeadLetterHeaders{Message: message, Topic: topic, Partition: partition, Offset: offset, Task: task.String(), Node: node,
			Kind: Processing, Truncated: got.Truncated}
		if got != want || truncated != (got.Truncated != "") {
			t.Fatalf("ParseDeadLetter(%q) = %+v, want %+v (truncated %v)", dl.Headers, got, want, truncated)
		}
	})
}
