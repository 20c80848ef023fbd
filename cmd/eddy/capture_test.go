// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

func TestCaptureFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the usage error; "" for none
	}{
		{[]string{"-brokers", "k:9092", "-topics", "a", "-last", "5"}, ""},
		{[]string{"-brokers", "k:9092", "-topics", "a", "-from", "2024-05-01T12:00:00Z", "-to", "2024-05-01T13:00:00Z"}, ""},
		{[]string{"-brokers", "k:9092", "-last", "5"}, "-topics is required"},
		{[]string{"-brokers", "k:9092", "-topics", "a"}, "give -first N, -last N, -from or -to"},
		{[]string{"-brokers", "k:9092", "-topics", "a", "-first", "1", "-last", "2"}, "exclude each other"},
		{[]string{"-brokers", "k:9092", "-topics", "a", "-last", "0"}, "> 0"},
		{[]string{"-brokers", "k:9092", "-topics", "a", "-from", "yesterday"}, `-from "yesterday": want a time in RFC 3339`},
		{[]string{"-brokers", "k:9092", "-topics", "a", "-from", "2024-05-01T13:00:00Z", "-to", "2024-05-01T12:00:00Z"}, "is not before"},
	} {
		fs, f := captureFlagSet()
		err := parseFlags(&env{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, captureCommand(), fs, tc.args)
		if err == nil {
			_, _, err = f.bounds(fs)
		}
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.args, err)
			}
			continue
		}
		if _, ok := err.(*usageError); !ok || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}

// End to end on the embedded broker: produce to two partitions, capture
// slices of them, replay the files into a driver and check what the
// topology makes of them.
func TestCaptureReplay(t *testing.T) {
	addr, _ := startBroker(t, "-port", "0", "-topic", "accounts:2")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	// Partition 0: a, b, a again, then a deleted; partition 1: c and a
	// binary key, with a header, and a timestamp that goes back.
	recs := []*kgo.Record{
		{Partition: 0, Key: []byte("a"), Value: []byte("1"), Timestamp: base},
		{Partition: 0, Key: []byte("b"), Value: []byte("2"), Timestamp: base.Add(time.Second)},
		{Partition: 1, Key: []byte("c"), Value: []byte("3"), Timestamp: base.Add(2 * time.Second), Headers: []kgo.RecordHeader{{Key: "src", Value: []byte("web\n")}}},
		{Partition: 0, Key: []byte("a"), Value: []byte("4"), Timestamp: base.Add(3 * time.Second)},
		{Partition: 1, Key: []byte{0, 0xff, 'k'}, Value: []byte("5"), Timestamp: base.Add(time.Second / 2)},
		{Partition: 0, Key: []byte("a"), Value: nil, Timestamp: base.Add(4 * time.Second)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range recs {
		r.Topic = "accounts"
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	capture := func(name string, args ...string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		var out, errOut syncBuffer
		args = append([]string{"capture", "-brokers", addr, "-topics", "accounts", "-out", path, "-timeout", "20s"}, args...)
		if code := run(ctx, args, &env{stdout: &out, stderr: &errOut}); code != 0 {
			t.Fatalf("eddy %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// replay pipes a file into a driver of a table over accounts and
	// returns the table's updates, key=value (null: deleted).
	replay := func(path string) []string {
		t.Helper()
		b := stream.NewBuilder()
		b.Table("accounts", serde.Bytes(), serde.String(), table.As("accounts")).ToStream().To("out", nil, nil)
		topo, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		d, err := topologytest.New(topo, topologytest.TopicPartitions("accounts", 2))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Replay(path); err != nil {
			t.Fatal(err)
		}
		rs, err := d.Output("out", serde.Bytes(), serde.String()).ReadRecords()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			v := r.Value
			if r.ValueNull {
				v = "null"
			}
			out = append(out, fmt.Sprintf("%q=%s@%s", r.Key, v, r.Timestamp.UTC().Format("05.000")))
		}
		return out
	}

	all := capture("all.capture", "-first", "100")
	wantAll := `eddy-capture v1
# eddy capture -topics accounts -first 100: 6 records
accounts 0 0 2024-05-01T12:00:00.000Z "a" "1"
accounts 0 1 2024-05-01T12:00:01.000Z "b" "2"
accounts 1 0 2024-05-01T12:00:02.000Z "c" "3" "src"="web\n"
accounts 1 1 2024-05-01T12:00:00.500Z "\x00\xffk" "5"
accounts 0 2 2024-05-01T12:00:03.000Z "a" "4"
accounts 0 3 2024-05-01T12:00:04.000Z "a" null
`
	if all != wantAll {
		t.Errorf("capture file:\n%s\nwant:\n%s", all, wantAll)
	}
	got := replay(filepath.Join(dir, "all.capture"))
	want := []string{
		`"a"=1@00.000`, `"b"=2@01.000`, `"c"=3@02.000`, `"\x00\xffk"=5@00.500`, `"a"=4@03.000`, `"a"=null@04.000`,
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("replayed:\n%q\nwant\n%q", got, want)
	}

	last := capture("last.capture", "-last", "1")
	if !strings.Contains(last, "accounts 0 3 ") || !strings.Contains(last, "accounts 1 1 ") || strings.Count(last, "\naccounts ") != 2 {
		t.Errorf("-last 1 captured:\n%s", last)
	}
	// By time: [12:00:01, 12:00:03.5) is offsets [1, 3) of partition 0
	// and [0, 2) of partition 1 (the broker's time index finds the first
	// record at or after each bound), which keeps the record of 00.500
	// that follows c: a range of offsets, as an application reset to
	// -from would read it.
	window := capture("window.capture", "-from", "2024-05-01T12:00:01Z", "-to", "2024-05-01T12:00:03.500Z")
	got = replay(filepath.Join(dir, "window.capture"))
	want = []string{`"b"=2@01.000`, `"c"=3@02.000`, `"\x00\xffk"=5@00.500`, `"a"=4@03.000`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("replayed the time window:\n%q\nwant\n%q\nfile:\n%s", got, want, window)
	}
}

// Replay names the file and line of a bad record, and a record for a
// partition the driver's topic lacks.
func TestReplayErrors(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).To("out", nil, nil)
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ file, want string }{
		{"not a capture\n", "not a capture file"},
		{"eddy-capture v1\nin 0 0 2024-05-01T12:00:00.000Z \"k\"\n", ":2: "},
		{"eddy-capture v1\nin x 0 2024-05-01T12:00:00.000Z \"k\" \"v\"\n", `partition "x"`},
		{"eddy-capture v1\nin 0 0 noon \"k\" \"v\"\n", `timestamp "noon"`},
		{"eddy-capture v1\nin 0 0 2024-05-01T12:00:00.000Z k \"v\"\n", "key at"},
		{"eddy-capture v1\nin 3 7 2024-05-01T12:00:00.000Z \"k\" \"v\"\n", `record of topic "in" partition 3 offset 7: the driver's topic has 1 partitions`},
		{"eddy-capture v1\nnope 0 0 2024-05-01T12:00:00.000Z \"k\" \"v\"\n", `no source reads topic "nope"`},
	} {
		path := filepath.Join(dir, "x.capture")
		if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := topologytest.New(topo)
		if err != nil {
			t.Fatal(err)
		}
		err = d.Replay(path)
		d.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.file, err, tc.want)
		}
	}
}
