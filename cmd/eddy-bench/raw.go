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
// Word count keeps its counts in a Go map (no changelog, no repartition
// topic), so it is a lower bound on the work Eddy and Kafka Streams do.
func runRaw(args []string) int {
	f := parseWorkerFlags("raw", args)
	eos := f.guarantee == "eos"
	var once sync.Once
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(f.brokers, ",")...),
		kgo.ConsumerGroup(f.appID),
		kgo.ConsumeTopics(f.prefix + inputTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			once.Do(func() { announce("RUNNING") })
		}),
	}
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
			prodErr.CompareAndSwap(nil, &err)
		}
	}
	produce := func(r *kgo.Record) {
		if eos {
			sess.Produce(ctx, r, promise)
		} else {
			cl.Produce(ctx, r, promise)
		}
	}
	out := f.prefix + outTopic(f.scenario)
	counts := map[string]int64{}
	process := func(r *kgo.Record) {
		switch f.scenario {
		case scenWordCount:
			for _, w := range words(string(r.Value)) {
				counts[w]++
				v := make([]byte, 8)
				binary.BigEndian.PutUint64(v, uint64(counts[w]))
				produce(&kgo.Record{Topic: out, Key: []byte(w), Value: v, Timestamp: r.Timestamp})
			}
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
