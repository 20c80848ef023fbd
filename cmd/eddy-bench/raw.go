// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// runRaw is the practical limit: a hand-written franz-go
// consume→transform→produce loop with the same guarantee and commit interval.
// The stateful scenarios keep their state in Go maps (no changelog, no
// repartition topic, nothing survives a restart), so for them it is a lower
// bound on the work Eddy and Kafka Streams do, not the same work (raw-ks,
// rawks.go, is the same work):
//   - wordcount: counts per word;
//   - window: counts per (word, 10 s window start), no grace/late handling;
//   - join: the table topic's rows; stream records are joined with the row
//     seen so far (left join).
func runRaw(args []string) int {
	f := parseWorkerFlags("raw", args)
	defer startProfiles(f)()
	reportAllocsOnSignal()
	spec := specOf(f.scenario)
	if len(spec.inputs) == 0 || spec.output == "" {
		fmt.Fprintf(os.Stderr, "raw: no raw loop for scenario %q\n", f.scenario)
		return 2
	}
	topics := make([]string, len(spec.inputs))
	for i, t := range spec.inputs {
		topics[i] = f.prefix + t
	}
	eos := f.guarantee == "eos"
	var once sync.Once
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(f.brokers, ",")...),
		kgo.ConsumerGroup(f.appID),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			once.Do(func() { announce("RUNNING") })
		}),
	}
	opts = append(opts, f.clientOptions()...)
	if eos {
		opts = append(opts,
			kgo.TransactionalID(f.appID+"-raw"),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.RequireStableFetchOffsets(),
		)
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	var (
		cl   *kgo.Client
		sess *kgo.GroupTransactSession
		err  error
	)
	if eos {
		sess, err = kgo.NewGroupTransactSession(opts...)
		if err == nil {
			cl = sess.Client()
		}
	} else {
		cl, err = kgo.NewClient(opts...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raw:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	var prodErr atomic.Pointer[error]
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			e := err // &err would put every call's err on the heap
			prodErr.CompareAndSwap(nil, &e)
		}
	}
	produce := func(r *kgo.Record) {
		if eos {
			sess.Produce(ctx, r, promise)
		} else {
			cl.Produce(ctx, r, promise)
		}
	}
	out := f.prefix + spec.output
	tableTopic := f.prefix + joinTable
	counts := map[string]int64{}
	type windowKey struct {
		word  string
		start int64
	}
	windowCounts := map[windowKey]int64{}
	rows := map[string]string{}
	int64Bytes := func(n int64) []byte {
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, uint64(n))
		return v
	}
	process := func(r *kgo.Record) {
		switch f.scenario {
		case scenWordCount:
			for _, w := range words(string(r.Value)) {
				counts[w]++
				produce(&kgo.Record{Topic: out, Key: []byte(w), Value: int64Bytes(counts[w]), Timestamp: r.Timestamp})
			}
		case scenWindow:
			ts := r.Timestamp.UnixMilli()
			start := ts - ts%windows.Size().Milliseconds()
			for _, w := range words(string(r.Value)) {
				k := windowKey{w, start}
				windowCounts[k]++
				produce(&kgo.Record{Topic: out, Key: windowedKey(w, start), Value: int64Bytes(windowCounts[k]), Timestamp: r.Timestamp})
			}
		case scenJoin:
			if r.Topic == tableTopic {
				if r.Value == nil {
					delete(rows, string(r.Key))
				} else {
					rows[string(r.Key)] = string(r.Value)
				}
				return
			}
			if r.Key == nil || r.Value == nil {
				return
			}
			row, found := rows[string(r.Key)]
			produce(&kgo.Record{Topic: out, Key: r.Key, Value: []byte(joined(string(r.Value), row, found)), Timestamp: r.Timestamp})
		default:
			if keepLine(string(r.Value)) {
				produce(&kgo.Record{Topic: out, Key: r.Key, Value: []byte(upper(string(r.Value))), Timestamp: r.Timestamp})
			}
		}
	}

	code := 0
	for ctx.Err() == nil {
		if eos {
			if err := sess.Begin(); err != nil {
				fmt.Fprintln(os.Stderr, "raw: begin:", err)
				code = 1
				break
			}
		}
		deadline := time.Now().Add(f.commit)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			pctx, cancel := context.WithDeadline(ctx, deadline)
			var fs kgo.Fetches
			if eos {
				fs = sess.PollRecords(pctx, 1000)
			} else {
				fs = cl.PollRecords(pctx, 1000)
			}
			cancel()
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
					fmt.Fprintf(os.Stderr, "raw: fetch %s[%d]: %v\n", t, p, err)
				}
			})
			fs.EachRecord(process)
		}
		if p := prodErr.Load(); p != nil {
			fmt.Fprintln(os.Stderr, "raw: produce:", *p)
			code = 1
			break
		}
		ectx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if eos {
			try := kgo.TryCommit
			if ctx.Err() != nil {
				try = kgo.TryAbort
			}
			if _, err := sess.End(ectx, try); err != nil {
				fmt.Fprintln(os.Stderr, "raw: end txn:", err)
			}
		} else if err := cl.Flush(ectx); err == nil {
			if err := cl.CommitUncommittedOffsets(ectx); err != nil {
				fmt.Fprintln(os.Stderr, "raw: commit:", err)
			}
		}
		cancel()
	}
	if eos {
		sess.Close()
	} else {
		cl.Close()
	}
	return code
}
