// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The soak mode (-soak): the counting topology under steady input for a
// long time (-duration, default 30 minutes), with rolling restarts instead
// of kills. Every -restart-every, each instance in turn is stopped
// gracefully (SIGTERM, which must exit cleanly) and started again on its
// state directory, and the next waits until the group has committed
// progress since. Every -sample-every the controller samples each
// instance's resident memory (VmRSS in /proc/<pid>/status) and the group's
// lag into a CSV file, and at the end draws them into a PNG. The output is
// verified as in the chaos runs: under exactly-once every input counted
// exactly once. It is a leak and stability check (memory that grows with
// time or restarts, lag that does not come back down), not a crash test.

// soakWarmUp is when the "start" RSS of the figures is sampled: after the
// instances have loaded their code, joined the group and filled their
// buffers.
const soakWarmUp = 30 * time.Second

// soakSample is one row of the soak CSV.
type soakSample struct {
	at        time.Duration // since the input started
	rssMB     []float64     // per slot; NaN while the slot has no process
	inputLag  int64         // input records not yet committed by the group; -1 unknown
	repLag    int64         // repartition topic offsets not yet committed (transaction markers included); -1 unknown
	produced  int64
	committed int64 // input records committed by the group
	event     string
}

// soakStats sums up a soak run per slot and overall.
type soakStats struct {
	slots        []string
	first, last  []float64 // first and last RSS sample per slot, MB
	maxRSS       []float64
	maxInputLag  int64
	maxRepLag    int64
	restarts     int
	samples      int
	csvPath      string
	pngPath      string
	arenaMax     string // MALLOC_ARENA_MAX of the instances, "" unset
	rate         int
	restartEvery time.Duration
	stopTimes    []time.Duration // graceful stop durations
}

func (s *soakStats) String() string {
	var b strings.Builder
	arena := s.arenaMax
	if arena == "" {
		arena = "unset"
	}
	fmt.Fprintf(&b, "soak: %d samples, %d graceful restarts (a round every %v), %d records/s, MALLOC_ARENA_MAX=%s\n",
		s.samples, s.restarts, s.restartEvery, s.rate, arena)
	for i, id := range s.slots {
		fmt.Fprintf(&b, "    %s RSS: start (at %v) %.1f MB, end %.1f MB, max %.1f MB\n", id, soakWarmUp, s.first[i], s.last[i], s.maxRSS[i])
	}
	var maxStop time.Duration
	for _, d := range s.stopTimes {
		maxStop = max(maxStop, d)
	}
	fmt.Fprintf(&b, "    max lag: %d input records, %d repartition offsets; slowest graceful stop %v\n",
		s.maxInputLag, s.maxRepLag, maxStop.Round(time.Millisecond))
	fmt.Fprintf(&b, "    samples %s, plot %s", s.csvPath, s.pngPath)
	return b.String()
}

// pid returns the process id of s's running process, 0 if none.
func (c *cluster) pid(s *slot) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// rssMB reads VmRSS of process pid in MB, NaN if it cannot.
func rssMB(pid int) float64 {
	if pid <= 0 {
		return nan
	}
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return nan
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest) // "123456 kB"
			if len(fields) == 2 && fields[1] == "kB" {
				if kb, err := strconv.ParseFloat(fields[0], 64); err == nil {
					return kb / 1024
				}
			}
		}
	}
	return nan
}

// offsetLag is what the group has not committed of topic: the sum over
// partitions of end offset minus committed offset. On a transactionally
// written topic it counts transaction markers too; cheap enough to sample
// every few seconds, unlike groupLag's exact count.
func offsetLag(ctx context.Context, adm *kadm.Client, group, topic string) (int64, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0, 0, err
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	var lag, done int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			err = errors.Join(err, o.Err)
			return
		}
		var at int64
		if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.Err == nil && c.At > 0 {
			at = c.At
		}
		done += at
		lag += max(0, o.Offset-at)
	})
	return lag, done, err
}

// soakRecorder writes the samples to the CSV as they come and keeps them
// for the plot and the figures.
type soakRecorder struct {
	f       *os.File
	w       *csv.Writer
	slots   []string
	samples []soakSample
	events  []soakSample // restarts, for the plot's markers
}

func newSoakRecorder(path string, slots []string) (*soakRecorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := csv.NewWriter(f)
	head := []string{"elapsed_s"}
	for _, id := range slots {
		head = append(head, "rss_mb_"+id)
	}
	head = append(head, "input_lag", "repartition_lag", "produced", "committed_input", "event")
	if err := w.Write(head); err != nil {
		f.Close()
		return nil, err
	}
	return &soakRecorder{f: f, w: w, slots: slots}, nil
}

func (r *soakRecorder) add(s soakSample) error {
	if s.event != "" && s.rssMB == nil {
		r.events = append(r.events, s)
	} else {
		r.samples = append(r.samples, s)
	}
	row := []string{strconv.FormatFloat(s.at.Seconds(), 'f', 1, 64)}
	for i := range r.slots {
		v := ""
		if i < len(s.rssMB) && !isNaN(s.rssMB[i]) {
			v = strconv.FormatFloat(s.rssMB[i], 'f', 1, 64)
		}
		row = append(row, v)
	}
	num := func(n int64) string {
		if n < 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	row = append(row, num(s.inputLag), num(s.repLag), num(s.produced), num(s.committed), s.event)
	if err := r.w.Write(row); err != nil {
		return err
	}
	r.w.Flush()
	return r.w.Error()
}

// loadSoakCSV reads a soak CSV back, for -soak-replot.
func loadSoakCSV(path string) (*soakRecorder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || len(rows[0]) < 6 || rows[0][0] != "elapsed_s" {
		return nil, fmt.Errorf("%s: not a soak CSV (no elapsed_s header)", path)
	}
	rec := &soakRecorder{}
	for _, h := range rows[0][1:] {
		if id, ok := strings.CutPrefix(h, "rss_mb_"); ok {
			rec.slots = append(rec.slots, id)
		}
	}
	n := len(rec.slots)
	num := func(s string) int64 {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v
		}
		return -1
	}
	for i, row := range rows[1:] {
		if len(row) != n+6 {
			return nil, fmt.Errorf("%s line %d: %d fields, want %d", path, i+2, len(row), n+6)
		}
		secs, err := strconv.ParseFloat(row[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: elapsed_s: %w", path, i+2, err)
		}
		smp := soakSample{at: time.Duration(secs * float64(time.Second)), inputLag: num(row[n+1]), repLag: num(row[n+2]),
			produced: num(row[n+3]), committed: num(row[n+4]), event: row[n+5]}
		if smp.event != "" {
			rec.events = append(rec.events, smp)
			continue
		}
		smp.rssMB = make([]float64, n)
		for j := range n {
			smp.rssMB[j] = nan
			if v, err := strconv.ParseFloat(row[1+j], 64); err == nil {
				smp.rssMB[j] = v
			}
		}
		rec.samples = append(rec.samples, smp)
	}
	return rec, nil
}

func (r *soakRecorder) close() error {
	r.w.Flush()
	return errors.Join(r.w.Error(), r.f.Close())
}

// runSoak runs the soak under one guarantee (see the comment at the top).
func runSoak(ctx context.Context, o *options, guarantee, self string, brokers []string, dir, brokerLog string) *result {
	res := &result{guarantee: guarantee}
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	su, err := newRunSetup(ctx, o, "soak", guarantee, self, brokers, start, func(short string, secs float64) string {
		return fmt.Sprintf("[soak %s %6.1fs]", short, secs)
	})
	if err != nil {
		res.err = err
		return res
	}
	defer su.cl.Close()
	short, app, commit, m, logf, adm, c := su.short, su.app, su.commit, su.m, su.logf, su.adm, su.c
	input, records := m.progress()
	rep := repartitionTopic(app)
	var ids []string
	for i := range o.instances {
		id := fmt.Sprintf("slot%d", i)
		ids = append(ids, id)
		c.slots = append(c.slots, &slot{n: i, id: id,
			stateDir: filepath.Join(dir, short, id, "state"), logPath: filepath.Join(dir, short, id+".log")})
		if err := os.MkdirAll(filepath.Join(dir, short, id, "state"), 0o755); err != nil {
			res.err = err
			return res
		}
	}
	stats := &soakStats{slots: ids, first: make([]float64, len(ids)), last: make([]float64, len(ids)),
		maxRSS: make([]float64, len(ids)), csvPath: o.soakCSV, pngPath: o.soakPNG,
		arenaMax: os.Getenv("MALLOC_ARENA_MAX"), rate: o.rate, restartEvery: o.restartEvery}
	for i := range ids {
		stats.first[i], stats.last[i] = nan, nan
	}
	res.soak = stats
	rec, err := newSoakRecorder(o.soakCSV, ids)
	if err != nil {
		res.err = err
		return res
	}
	defer rec.close()
	stopSampler := func() error { return nil } // the sampler's, once it runs
	fail := func(err error) *result {
		res.err = err
		_ = stopSampler()
		c.killAll()
		printTails(o.out, c, brokerLog)
		if len(rec.samples) > 0 { // the plot so far helps find out why
			if perr := writeSoakPNG(o.soakPNG, rec, soakTitle(o, guarantee, stats)+" (failed)"); perr != nil {
				fmt.Fprintf(o.out, "plot %s: %v\n", o.soakPNG, perr)
			}
		}
		return res
	}
	for _, s := range c.slots {
		if err := c.start(s); err != nil {
			return fail(err)
		}
	}
	logf("%d instances started (app %s, %s, commit every %v); input %d records/s for %v; rolling restart every %v; sampling every %v into %s",
		o.instances, app, guarantee, commit, o.rate, o.duration, o.restartEvery, o.sampleEvery, o.soakCSV)

	var produced atomic.Int64
	prodDone := make(chan error, 1)
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	inputStart := time.Now()
	go func() { prodDone <- m.produce(pctx, brokers, &produced) }()

	// The sampler runs until the instances are stopped.
	sampleStop := make(chan struct{})
	sampleDone := make(chan error, 1)
	go func() {
		t := time.NewTicker(o.sampleEvery)
		defer t.Stop()
		var n int
		for {
			smp := soakSample{at: time.Since(inputStart), rssMB: make([]float64, len(c.slots)), produced: produced.Load()}
			for i, s := range c.slots {
				v := rssMB(c.pid(s))
				smp.rssMB[i] = v
				if !isNaN(v) {
					if isNaN(stats.first[i]) && smp.at >= soakWarmUp {
						stats.first[i] = v
					}
					stats.last[i] = v
					stats.maxRSS[i] = max(stats.maxRSS[i], v)
				}
			}
			var err error
			if smp.inputLag, smp.committed, err = offsetLag(ctx, adm, app, input); err != nil {
				smp.inputLag, smp.committed = -1, -1
			} else {
				stats.maxInputLag = max(stats.maxInputLag, smp.inputLag)
			}
			if smp.repLag, _, err = offsetLag(ctx, adm, app, rep); err != nil {
				smp.repLag = -1
			} else {
				stats.maxRepLag = max(stats.maxRepLag, smp.repLag)
			}
			if err := rec.add(smp); err != nil {
				sampleDone <- err
				return
			}
			stats.samples++
			if n++; n%int(max(1, time.Minute/o.sampleEvery)) == 0 {
				logf("produced %d/%d, committed %d, input lag %d, repartition lag %d, RSS %s MB",
					smp.produced, records, smp.committed, smp.inputLag, smp.repLag, rssText(smp.rssMB))
			}
			select {
			case <-sampleStop:
				sampleDone <- nil
				return
			case <-t.C:
			}
		}
	}()
	stopSampler = func() error {
		select {
		case <-sampleStop:
			return nil
		default:
		}
		close(sampleStop)
		return <-sampleDone
	}
	defer stopSampler()

	// Rolling restarts until the producer is done.
	event := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		logf("%s", msg)
		_ = rec.add(soakSample{at: time.Since(inputStart), inputLag: -1, repLag: -1, produced: -1, committed: -1, event: msg})
	}
	nextRound := inputStart.Add(o.restartEvery)
	round := 0
	producing := true
	for producing && ctx.Err() == nil {
		select {
		case err := <-prodDone:
			producing = false
			if err != nil {
				return fail(fmt.Errorf("producer: %w", err))
			}
			logf("producer done: %d records", records)
			continue
		case <-ctx.Done():
			continue
		case <-time.After(time.Until(nextRound)):
		}
		round++
		logf("rolling restart %d", round)
		for _, s := range c.slots {
			base := committedInput(ctx, adm, app, input)
			t := time.Now()
			stopped, problem := c.stop(s, 45*time.Second)
			if problem != "" {
				res.unclean = append(res.unclean, problem)
			}
			took := time.Since(t)
			stats.stopTimes = append(stats.stopTimes, took)
			if err := c.start(s); err != nil {
				return fail(err)
			}
			if stopped {
				stats.restarts++
			}
			event("restart %s (round %d): graceful stop in %v", s.id, round, took.Round(time.Millisecond))
			// The next instance waits until the group works again and
			// the restarted one has had time to join and restore.
			settle := time.After(min(o.restartEvery/4, 15*time.Second))
			waitProgress(ctx, adm, app, input, base, records, 60*time.Second)
			select {
			case <-ctx.Done():
			case <-settle:
			}
		}
		nextRound = nextRound.Add(o.restartEvery)
		if now := time.Now(); nextRound.Before(now) {
			nextRound = now.Add(o.restartEvery)
		}
	}
	if ctx.Err() != nil {
		return fail(ctx.Err())
	}

	// Catch up exactly, then stop and verify.
	catchStart := time.Now()
	topics, txn := m.lagTopics()
	var last lagReport
	for time.Since(catchStart) < o.catchup && ctx.Err() == nil {
		if len(c.running()) == c.active() {
			lctx, cancel := context.WithTimeout(ctx, 90*time.Second)
			lr, err := groupLag(lctx, adm, brokers, app, topics, txn)
			cancel()
			if err == nil {
				if last = lr; lr.behind == 0 {
					res.caughtUp = true
					break
				}
			} else if !errors.Is(err, errOpenTransaction) {
				logf("lag: %v", err)
			}
		}
		time.Sleep(time.Second)
	}
	res.caughtUpIn = time.Since(catchStart)
	if res.caughtUp {
		logf("caught up in %v", res.caughtUpIn.Round(100*time.Millisecond))
	} else {
		logf("not caught up after %v: %v", o.catchup, last)
	}
	if err := stopSampler(); err != nil {
		return fail(fmt.Errorf("write %s: %w", o.soakCSV, err))
	}
	res.unclean = append(res.unclean, c.stopAll(45*time.Second)...)
	for _, s := range c.slots {
		res.starts += s.starts
		res.unexpected = append(res.unexpected, s.unexpected...)
	}
	if err := writeSoakPNG(o.soakPNG, rec, soakTitle(o, guarantee, stats)); err != nil {
		return fail(fmt.Errorf("plot %s: %w", o.soakPNG, err))
	}
	logf("instances stopped; plot written to %s; verifying the output", o.soakPNG)
	out, err := m.verify(ctx, adm, brokers)
	if err != nil {
		return fail(err)
	}
	res.outcome = out
	if !res.ok() {
		printTails(o.out, c, brokerLog)
	}
	return res
}

func soakTitle(o *options, guarantee string, s *soakStats) string {
	arena := s.arenaMax
	if arena == "" {
		arena = "unset"
	}
	return fmt.Sprintf("eddy-chaos -soak: %d instances, %s, %d records/s for %v, rolling restart every %v, MALLOC_ARENA_MAX %s",
		o.instances, strings.ReplaceAll(guarantee, "_", "-"), o.rate, o.duration, o.restartEvery, arena)
}

func rssText(v []float64) string {
	var parts []string
	for _, x := range v {
		if isNaN(x) {
			parts = append(parts, "-")
		} else {
			parts = append(parts, strconv.FormatFloat(x, 'f', 0, 64))
		}
	}
	return strings.Join(parts, "/")
}
