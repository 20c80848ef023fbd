// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/capture"
	"github.com/eddy-streams/eddy/record"
)

// defaultCaptureTimeout bounds a whole capture.
const defaultCaptureTimeout = time.Minute

func captureCommand() *command {
	return &command{
		name:     "capture",
		summary:  "write a slice of topics to a file that topologytest replays",
		synopsis: "-brokers host:port -topics t1,t2 [-first N | -last N] [-from TIME] [-to TIME] [-out FILE] [connection flags]",
		description: `Capture reads a slice of real topics and writes it to a text file that a
test replays into topologytest's driver (Driver.Replay), to reproduce in a
unit test what a running application saw:

  - -topics names the topics; every partition of each is read;
  - -from and -to bound each partition's offsets by time: from the first
    record at or after -from up to, not including, the first record at or
    after -to (the broker's time index, as "eddy reset -to-datetime"
    finds it); records in between are all kept, even one whose timestamp
    goes back before -from;
  - -first N and -last N keep the first or last N records of each partition
    within those bounds.

Give at least one of -first, -last, -from and -to. The file has a record a
line: topic, partition, offset, timestamp, key, value and headers, keys and
values as quoted strings with binary bytes escaped, null for a null key or
value. Records are ordered by timestamp across partitions (the partition
whose next record is oldest goes first), each partition's records in offset
order, which is the order Replay pipes them in.

For example, the last 100 records of each partition of orders:

	eddy capture -brokers kafka:9092 -topics orders -last 100 -out testdata/orders.capture
`,
		flags: func() *flag.FlagSet { fs, _ := captureFlagSet(); return fs },
		run:   runCapture,
	}
}

// captureFlags holds the parsed flags of "eddy capture".
type captureFlags struct {
	client      clientFlags
	topics      topicNames
	first, last int64
	from, to    string
	out         string
	timeout     time.Duration
}

func captureFlagSet() (*flag.FlagSet, *captureFlags) {
	f := &captureFlags{}
	fs := flag.NewFlagSet("eddy capture", flag.ContinueOnError)
	f.client.register(fs)
	fs.Var(&f.topics, "topics", "the `topics` to read, comma-separated; repeatable (required)")
	fs.Int64Var(&f.first, "first", 0, "keep the first `N` records of each partition")
	fs.Int64Var(&f.last, "last", 0, "keep the last `N` records of each partition")
	fs.StringVar(&f.from, "from", "", "start at the first record at or after `time`, RFC 3339 (2024-05-01T12:00:00Z)")
	fs.StringVar(&f.to, "to", "", "stop before the first record at or after `time`, RFC 3339")
	fs.StringVar(&f.out, "out", "-", "write to `file`; - for standard output")
	fs.DurationVar(&f.timeout, "timeout", defaultCaptureTimeout, "give up after this `duration`")
	return fs, f
}

// bounds checks the selection flags and returns the time bounds (zero:
// open).
func (f *captureFlags) bounds(fs *flag.FlagSet) (from, to time.Time, err error) {
	if len(f.topics) == 0 {
		return from, to, usagef("-topics is required")
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["first"] && !set["last"] && !set["from"] && !set["to"] {
		return from, to, usagef("give -first N, -last N, -from or -to: capture reads a slice, not whole topics")
	}
	if set["first"] && set["last"] {
		return from, to, usagef("-first and -last exclude each other: give one")
	}
	if (set["first"] && f.first <= 0) || (set["last"] && f.last <= 0) {
		return from, to, usagef("-first and -last want a number of records > 0")
	}
	parse := func(name, s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return t, usagef("-%s %q: want a time in RFC 3339, e.g. 2024-05-01T12:00:00Z", name, s)
		}
		return t, nil
	}
	if from, err = parse("from", f.from); err != nil {
		return from, to, err
	}
	if to, err = parse("to", f.to); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, usagef("-from %s is not before -to %s", f.from, f.to)
	}
	if f.timeout <= 0 {
		return from, to, usagef("-timeout must be positive")
	}
	return from, to, nil
}

func runCapture(ctx context.Context, env *env, args []string) error {
	fs, f := captureFlagSet()
	if err := parseFlags(env, captureCommand(), fs, args); err != nil {
		return err
	}
	opts, err := f.client.opts()
	if err != nil {
		return err
	}
	from, to, err := f.bounds(fs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	ranges, err := captureRanges(ctx, opts, f.topics, from, to, f.first, f.last)
	if err != nil {
		return err
	}
	recs, err := captureRecords(ctx, opts, ranges)
	if err != nil {
		return err
	}
	var w io.Writer = env.stdout
	if f.out != "-" {
		file, err := os.Create(f.out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	cw := capture.NewWriter(w)
	cw.Comment(fmt.Sprintf("eddy capture -topics %s%s: %d records", strings.Join(f.topics, ","), selection(f), len(recs)))
	for i := range recs {
		if err := cw.Write(&recs[i]); err != nil {
			return err
		}
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if f.out != "-" {
		fmt.Fprintf(env.stderr, "captured %d records of %s to %s\n", len(recs), strings.Join(f.topics, ","), f.out)
		return w.(*os.File).Close()
	}
	return nil
}

// selection renders the selection flags for the file's comment.
func selection(f *captureFlags) string {
	var s string
	if f.first > 0 {
		s += fmt.Sprintf(" -first %d", f.first)
	}
	if f.last > 0 {
		s += fmt.Sprintf(" -last %d", f.last)
	}
	if f.from != "" {
		s += " -from " + f.from
	}
	if f.to != "" {
		s += " -to " + f.to
	}
	return s
}

// offsetRange is the offsets [start, end) of one partition to capture.
type offsetRange struct {
	topic      string
	partition  int32
	start, end int64
}

// captureRanges works out each partition's range: the time bounds by the
// broker's time index, then the first or last n offsets.
func captureRanges(ctx context.Context, opts []kgo.Opt, topics []string, from, to time.Time, first, last int64) ([]offsetRange, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	list := func(what string, fn func() (kadm.ListedOffsets, error)) (kadm.ListedOffsets, error) {
		l, err := fn()
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("list %s offsets of %s: %w", what, strings.Join(topics, ","), err)
		}
		for _, t := range topics {
			if len(l[t]) == 0 {
				return nil, fmt.Errorf("topic %q does not exist", t)
			}
		}
		return l, nil
	}
	starts, err := list("start", func() (kadm.ListedOffsets, error) { return adm.ListStartOffsets(ctx, topics...) })
	if err != nil {
		return nil, err
	}
	ends, err := list("end", func() (kadm.ListedOffsets, error) { return adm.ListEndOffsets(ctx, topics...) })
	if err != nil {
		return nil, err
	}
	at := func(t time.Time, def kadm.ListedOffsets) (kadm.ListedOffsets, error) {
		if t.IsZero() {
			return def, nil
		}
		return list("time "+t.Format(time.RFC3339Nano), func() (kadm.ListedOffsets, error) {
			return adm.ListOffsetsAfterMilli(ctx, t.UnixMilli(), topics...)
		})
	}
	lo, err := at(from, starts)
	if err != nil {
		return nil, err
	}
	hi, err := at(to, ends)
	if err != nil {
		return nil, err
	}
	var out []offsetRange
	for _, t := range topics {
		for p, e := range ends[t] {
			r := offsetRange{topic: t, partition: p, start: max(starts[t][p].Offset, lo[t][p].Offset), end: min(e.Offset, hi[t][p].Offset)}
			if first > 0 {
				r.end = min(r.end, r.start+first)
			}
			if last > 0 {
				r.start = max(r.start, r.end-last)
			}
			if r.start < r.end {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b offsetRange) int {
		return cmpTopicPartition(a.topic, a.partition, b.topic, b.partition)
	})
	return out, nil
}

func cmpTopicPartition(ta string, pa int32, tb string, pb int32) int {
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return int(pa - pb)
}

// captureRecords reads every range and returns the records merged by
// timestamp, each partition's in offset order.
func captureRecords(ctx context.Context, opts []kgo.Opt, ranges []offsetRange) ([]capture.Record, error) {
	if len(ranges) == 0 {
		return nil, nil
	}
	assign := map[string]map[int32]kgo.Offset{}
	type partKey struct {
		topic     string
		partition int32
	}
	want := map[partKey]*offsetRange{}
	got := map[partKey][]capture.Record{}
	for i := range ranges {
		r := &ranges[i]
		if assign[r.topic] == nil {
			assign[r.topic] = map[int32]kgo.Offset{}
		}
		assign[r.topic][r.partition] = kgo.NewOffset().At(r.start)
		want[partKey{r.topic, r.partition}] = r
	}
	cl, err := kgo.NewClient(append(slices.Clip(opts), kgo.ConsumePartitions(assign))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	pending := len(want)
	for pending > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			var missing []string
			for k, r := range want {
				if r != nil {
					missing = append(missing, fmt.Sprintf("%s/%d (have %d of offsets [%d, %d))", k.topic, k.partition, len(got[k]), r.start, r.end))
				}
			}
			slices.Sort(missing)
			return nil, fmt.Errorf("capture: %w before reading every record of %s", err, strings.Join(missing, ", "))
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetch topic %q partition %d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		fetches.EachRecord(func(kr *kgo.Record) {
			k := partKey{kr.Topic, kr.Partition}
			r := want[k]
			if r == nil || kr.Offset >= r.end {
				return
			}
			rec := capture.Record{Topic: kr.Topic, Partition: kr.Partition, Offset: kr.Offset, Timestamp: kr.Timestamp, Key: kr.Key, Value: kr.Value}
			for _, h := range kr.Headers {
				rec.Headers = append(rec.Headers, record.Header{Key: h.Key, Value: h.Value})
			}
			got[k] = append(got[k], rec)
			if kr.Offset >= r.end-1 {
				want[k] = nil
				pending--
			}
		})
	}
	return mergeByTime(got), nil
}

// mergeByTime merges the partitions' records: next is always the head
// with the oldest timestamp (ties: by topic, then partition), so each
// partition keeps its offset order even where its timestamps go back.
func mergeByTime[K comparable](parts map[K][]capture.Record) []capture.Record {
	var heads [][]capture.Record
	n := 0
	for _, rs := range parts {
		if len(rs) > 0 {
			heads = append(heads, rs)
			n += len(rs)
		}
	}
	out := make([]capture.Record, 0, n)
	for len(heads) > 0 {
		best := 0
		for i := 1; i < len(heads); i++ {
			a, b := &heads[i][0], &heads[best][0]
			if a.Timestamp.Before(b.Timestamp) || a.Timestamp.Equal(b.Timestamp) && cmpTopicPartition(a.Topic, a.Partition, b.Topic, b.Partition) < 0 {
				best = i
			}
		}
		out = append(out, heads[best][0])
		if heads[best] = heads[best][1:]; len(heads[best]) == 0 {
			heads = slices.Delete(heads, best, best+1)
		}
	}
	return out
}
