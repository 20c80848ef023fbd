// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// purgeTimeout bounds one DeleteRecords request of the purger.
const purgeTimeout = 30 * time.Second

// repartitionPurger deletes the records of repartition topics that a
// worker's commits covered, as Kafka Streams' task manager does after a
// commit once repartition.purge.interval.ms passed. Repartition topics keep
// records until then (retention.ms=-1, see setupTopics). One deletion runs
// at a time, in the background: a commit never waits for it, and a failed
// one is retried with the next commit's offsets after the next interval.
type repartitionPurger struct {
	topics map[string]bool
	every  time.Duration
	log    *slog.Logger

	last    time.Time // when the last deletion started; zero: none yet
	running sync.WaitGroup
	busy    chan struct{} // holds a token while a deletion runs
}

// newRepartitionPurger returns a purger of topics, or nil if there are
// none.
func newRepartitionPurger(topics []string, every time.Duration, log *slog.Logger) *repartitionPurger {
	if len(topics) == 0 {
		return nil
	}
	p := &repartitionPurger{topics: map[string]bool{}, every: every, log: log,
		last: time.Now(), busy: make(chan struct{}, 1)}
	for _, t := range topics {
		p.topics[t] = true
	}
	return p
}

// due reports whether the interval passed since the last deletion started.
func (p *repartitionPurger) due() bool { return p != nil && time.Since(p.last) >= p.every }

// committed is called after a successful commit of offs (per input
// partition, the offset after the last record processed) when due: unless
// a deletion still runs, it deletes the repartition records before those
// offsets, through cl (the worker's client: a rebuilt transactional
// producer replaces it).
func (p *repartitionPurger) committed(cl *kgo.Client, offs map[string]map[int32]kgo.EpochOffset) {
	var del kadm.Offsets
	for t, parts := range offs {
		if !p.topics[t] {
			continue
		}
		for part, eo := range parts {
			if eo.Offset > 0 {
				del.Add(kadm.Offset{Topic: t, Partition: part, At: eo.Offset, LeaderEpoch: -1})
			}
		}
	}
	if len(del) == 0 {
		return
	}
	select {
	case p.busy <- struct{}{}:
	default:
		return // the previous deletion still runs
	}
	p.last = time.Now()
	adm := kadm.NewClient(cl)
	p.running.Add(1)
	go func() {
		defer p.running.Done()
		defer func() { <-p.busy }()
		ctx, cancel := context.WithTimeout(context.Background(), purgeTimeout)
		defer cancel()
		resp, err := adm.DeleteRecords(ctx, del)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			// Not an error of the application: the records stay until
			// the next purge (or the application's reset).
			p.log.Info("purging repartition topics failed; retrying after the next commit", "err", err)
		}
	}()
}

// wait returns once a running deletion ended (its client closing ends it).
func (p *repartitionPurger) wait() {
	if p != nil {
		p.running.Wait()
	}
}
