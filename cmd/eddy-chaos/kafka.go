// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// createTopics creates the topics with n partitions (replication as the
// broker's default); existing topics are an error, so a run never mixes
// its records with an earlier run's.
func createTopics(ctx context.Context, adm *kadm.Client, n int32, topics ...string) error {
	for _, t := range topics {
		resp, err := adm.CreateTopic(ctx, n, -1, nil, t)
		if err != nil {
			if errors.Is(err, kerr.TopicAlreadyExists) {
				return fmt.Errorf("topic %s exists already: use a fresh broker or another -seed", t)
			}
			return fmt.Errorf("create topic %s: %w %s", t, err, resp.ErrMessage)
		}
	}
	// A broker answers CreateTopics before every broker's metadata knows
	// the topics; instances started sooner would find them missing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := adm.ListTopics(ctx, topics...)
		missing := ""
		if err == nil {
			for _, t := range topics {
				if d, ok := md[t]; !ok || d.Err != nil || len(d.Partitions) != int(n) {
					missing = t
				}
			}
			if missing == "" {
				return nil
			}
			err = fmt.Errorf("topic %s is not in the metadata yet", missing)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("created topics did not show up: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// produceInput writes ids 0..records-1 to topic at a steady rate over d
// with an idempotent producer (key "r<id>", value the id as a big-endian
// Int64, as serde.Int64 reads it). progress counts acknowledged records.
func produceInput(ctx context.Context, brokers []string, topic string, records int64, d time.Duration, progress *atomic.Int64) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordRetries(1<<30)) // idempotent (kgo's default) and never give up a record
	if err != nil {
		return err
	}
	defer cl.Close()
	var failed atomic.Pointer[error]
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var next int64
	for next < records {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if e := failed.Load(); e != nil {
			return *e
		}
		due := min(records, int64(float64(records)*time.Since(start).Seconds()/d.Seconds())+1)
		for ; next < due; next++ {
			v := binary.BigEndian.AppendUint64(nil, uint64(next))
			r := &kgo.Record{Topic: topic, Key: []byte("r" + strconv.FormatInt(next, 10)), Value: v}
			cl.Produce(ctx, r, func(r *kgo.Record, err error) {
				if err != nil {
					err = fmt.Errorf("produce input %s: %w", r.Key, err)
					failed.CompareAndSwap(nil, &err)
					return
				}
				progress.Add(1)
			})
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if e := failed.Load(); e != nil {
		return *e
	}
	return nil
}

// lagReport describes what the application still has to process: the
// partitions not caught up and their records.
type lagReport struct {
	behind  int   // partitions behind
	records int64 // records (data records, for transactional topics) behind
}

func (l lagReport) String() string {
	return fmt.Sprintf("%d partitions, %d records behind", l.behind, l.records)
}

// groupLag reports how far group's committed offsets are behind the end of
// each topic. Offsets of a read_committed consumer stop before trailing
// transaction markers and aborted records, so for partitions of
// transactional topics the span is read to count only committed data.
func groupLag(ctx context.Context, adm *kadm.Client, brokers []string, group string, topics []string, transactional map[string]bool) (lagReport, error) {
	var lr lagReport
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return lr, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return lr, fmt.Errorf("list end offsets: %w", err)
	}
	spans := map[string]map[int32]span{}
	var ferr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			ferr = errors.Join(ferr, fmt.Errorf("end offset of %s/%d: %w", o.Topic, o.Partition, o.Err))
			return
		}
		var from int64
		if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.Err == nil {
			from = c.At
		}
		if from >= o.Offset {
			return
		}
		if !transactional[o.Topic] {
			lr.behind++
			lr.records += o.Offset - from
			return
		}
		if spans[o.Topic] == nil {
			spans[o.Topic] = map[int32]span{}
		}
		spans[o.Topic][o.Partition] = span{from, o.Offset}
	})
	if ferr != nil {
		return lr, ferr
	}
	if len(spans) == 0 {
		return lr, nil
	}
	data := map[string]map[int32]int64{}
	err = readSpans(ctx, brokers, spans, 5*time.Second, func(r *kgo.Record) {
		if !r.Attrs.IsControl() {
			if data[r.Topic] == nil {
				data[r.Topic] = map[int32]int64{}
			}
			data[r.Topic][r.Partition]++
		}
	})
	if err != nil {
		return lr, err
	}
	for _, ps := range data {
		for _, n := range ps {
			lr.behind++
			lr.records += n
		}
	}
	return lr, nil
}

// span is a range of offsets [from, to).
type span struct{ from, to int64 }

// errOpenTransaction means a range could not be read to its end in time:
// a transaction still open holds the last stable offset back.
var errOpenTransaction = errors.New("not readable to the end (a transaction is still open)")

// readSpans reads the offset ranges read_committed, keeping transaction
// markers so that it knows when a range is done even if it ends in markers
// or aborted records, and calls fn for every record and marker. It fails
// with errOpenTransaction if a range cannot be read to its end within
// timeout.
func readSpans(ctx context.Context, brokers []string, spans map[string]map[int32]span, timeout time.Duration, fn func(*kgo.Record)) error {
	consume := map[string]map[int32]kgo.Offset{}
	left := 0
	for t, ps := range spans {
		for p, s := range ps {
			if s.from >= s.to {
				continue
			}
			if consume[t] == nil {
				consume[t] = map[int32]kgo.Offset{}
			}
			consume[t][p] = kgo.NewOffset().At(s.from)
			left++
		}
	}
	if left == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(consume),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	if err != nil {
		return err
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := map[string]map[int32]bool{}
	for left > 0 {
		fs := cl.PollFetches(pctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if pctx.Err() != nil {
			var open []string
			for t, ps := range spans {
				for p, s := range ps {
					if s.from < s.to && !done[t][p] {
						open = append(open, fmt.Sprintf("%s/%d up to offset %d", t, p, s.to))
					}
				}
			}
			return fmt.Errorf("%s: %w", strings.Join(open, ", "), errOpenTransaction)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("fetch %s/%d: %w", t, p, err))
		})
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			s := spans[r.Topic][r.Partition]
			if r.Offset >= s.to || done[r.Topic][r.Partition] {
				return
			}
			fn(r)
			if r.Offset == s.to-1 {
				if done[r.Topic] == nil {
					done[r.Topic] = map[int32]bool{}
				}
				done[r.Topic][r.Partition] = true
				left--
			}
		})
	}
	return nil
}

// readTopic reads every partition of topic from its start to its current
// end (read_committed), calling fn for each data record in offset order per
// partition.
func readTopic(ctx context.Context, adm *kadm.Client, brokers []string, topic string, fn func(*kgo.Record)) error {
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return err
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	spans := map[string]map[int32]span{topic: {}}
	var lerr error
	ends.Each(func(o kadm.ListedOffset) {
		st, ok := starts.Lookup(o.Topic, o.Partition)
		if o.Err != nil || !ok || st.Err != nil {
			lerr = errors.Join(lerr, fmt.Errorf("offsets of %s/%d: %v %v", o.Topic, o.Partition, o.Err, st.Err))
			return
		}
		spans[topic][o.Partition] = span{st.Offset, o.Offset}
	})
	if lerr != nil {
		return lerr
	}
	if len(spans[topic]) == 0 {
		return fmt.Errorf("topic %s has no partitions", topic)
	}
	return readSpans(ctx, brokers, spans, time.Minute, func(r *kgo.Record) {
		if !r.Attrs.IsControl() {
			fn(r)
		}
	})
}
