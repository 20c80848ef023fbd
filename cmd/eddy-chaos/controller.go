// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// options are the controller's flags, with defaults resolved.
type options struct {
	// The workload.
	duration   time.Duration // how long the producer writes
	long       bool
	records    int64
	rate       int
	keys       int
	partitions int
	guarantee  string   // as given
	guarantees []string // the runs, in order
	topology   string   // count or join
	customers  int      // join: customers ids that may have a row
	joinWindow time.Duration
	joinGrace  time.Duration

	// The instances.
	instances  int
	eosCommit  time.Duration
	alosCommit time.Duration
	session    time.Duration // consumer group session timeout
	rebalance  time.Duration // consumer group rebalance timeout
	clientLog  string        // franz-go log level in instance logs

	// The chaos.
	kills      int     // minimum kills per run
	pDouble    float64 // probability that an event kills two instances
	maxKillGap time.Duration
	seed       uint64
	catchup    time.Duration
	scale      bool // also scale in (graceful stop) and out (a spare instance)

	// The soak mode (soak.go).
	soak         bool
	restartEvery time.Duration
	sampleEvery  time.Duration
	soakCSV      string
	soakPNG      string
	soakReplot   bool

	// The broker.
	brokers    string // existing broker; "" starts eddy broker
	brokerBin  string
	brokerData bool
	brokerLog  string
	compaction bool

	keep    bool
	verbose bool
	out     io.Writer
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{out: os.Stdout}
	fs := flag.NewFlagSet("eddy-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long the producer writes the input of each run; kills go on until the producer is done and -kills is reached (-long: 30m)")
	fs.BoolVar(&o.long, "long", false, "long run: -duration 30m and proportionally more kills, unless given")
	fs.IntVar(&o.instances, "instances", 3, "number of instance processes")
	fs.IntVar(&o.kills, "kills", 0, "minimum number of instance kills per run (default 20; -long: one per 6 s)")
	fs.StringVar(&o.guarantee, "guarantee", "both", "exactly_once, at_least_once, or both (exactly-once first)")
	fs.StringVar(&o.brokers, "brokers", "", "bootstrap servers of an existing broker (default: start 'eddy broker' on a free port)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the random kill schedule (default: from the clock; printed)")
	fs.BoolVar(&o.verbose, "v", false, "print every kill and restart")
	fs.Int64Var(&o.records, "records", 0, "input records per run (default: -rate × -duration)")
	fs.IntVar(&o.rate, "rate", 0, "input records per second (default 400; -long: 200)")
	fs.IntVar(&o.keys, "keys", 0, "distinct group keys (default: records/500, at least 50)")
	fs.IntVar(&o.partitions, "partitions", 6, "partitions of the input and output topics")
	fs.DurationVar(&o.eosCommit, "eos-commit", 100*time.Millisecond, "commit interval under exactly-once")
	fs.DurationVar(&o.alosCommit, "alos-commit", time.Second, "commit interval under at-least-once (long enough for replays)")
	fs.DurationVar(&o.catchup, "catchup", 3*time.Minute, "how long the instances may take to catch up after the last kill")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (logs, state) even on success")
	fs.StringVar(&o.brokerBin, "broker-bin", "", "prebuilt eddy binary for the broker (default: go build ./cmd/eddy)")
	fs.DurationVar(&o.session, "session-timeout", 0, "instances' consumer group session timeout (default 2s on the started broker, whose minimum is lowered to 1s; 6s, Kafka's minimum, with -brokers)")
	fs.DurationVar(&o.rebalance, "rebalance-timeout", 0, "instances' consumer group rebalance timeout (default 5s on the started broker, 10s with -brokers)")
	fs.DurationVar(&o.maxKillGap, "max-kill-gap", 10*time.Second, "longest wait for the group to make progress before the next kill")
	fs.StringVar(&o.clientLog, "client-log", "", "have instances log their Kafka clients at this level (error, warn, info, debug)")
	fs.StringVar(&o.brokerLog, "broker-log-level", "warn", "log level of the started broker (debug includes kfake's internals)")
	fs.BoolVar(&o.compaction, "compaction", false, "let the started broker compact changelogs during the run (every 15 s; exposes kfake compaction bugs)")
	fs.BoolVar(&o.brokerData, "broker-data-dir", false, "run the broker with -data-dir in the temporary directory")
	fs.StringVar(&o.topology, "topology", "count", "count: the counting topology; join: a stream–stream and a stream–table join (-records orders)")
	fs.IntVar(&o.customers, "customers", 0, "join: customer ids that may have a table row (default: records/100, at least 50)")
	fs.DurationVar(&o.joinWindow, "join-window", 5*time.Second, "join: time difference of the stream–stream join window")
	fs.DurationVar(&o.joinGrace, "join-grace", 30*time.Second, "join: grace of the join window; it only lengthens how long the join stores keep records, and must exceed how far one input can run ahead of the other")
	fs.BoolVar(&o.scale, "scale", false, "also scale: some events stop an instance gracefully (SIGTERM) and keep it stopped, or start a spare one, moving tasks (default true with -topology join)")
	fs.BoolVar(&o.soak, "soak", false, "soak mode: steady input (-duration default 30m, -rate default 300, exactly-once unless -guarantee) with rolling graceful restarts instead of kills, sampling each instance's RSS and the group's lag into -soak-csv and plotting them into -soak-png")
	fs.DurationVar(&o.restartEvery, "restart-every", 5*time.Minute, "soak: every this long, restart the instances gracefully one at a time")
	fs.DurationVar(&o.sampleEvery, "sample-every", 5*time.Second, "soak: how often to sample RSS and lag")
	fs.StringVar(&o.soakCSV, "soak-csv", "soak.csv", "soak: the samples (CSV)")
	fs.StringVar(&o.soakPNG, "soak-png", "soak.png", "soak: the plot of RSS and lag over time (PNG)")
	fs.BoolVar(&o.soakReplot, "soak-replot", false, "soak: only draw -soak-png from an existing -soak-csv (give the run's -rate, -duration, -restart-every and MALLOC_ARENA_MAX for its title)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.long && !set["duration"] {
		o.duration = 30 * time.Minute
	}
	o.soak = o.soak || o.soakReplot
	if o.soak {
		if !set["duration"] {
			o.duration = 30 * time.Minute
		}
		if o.rate == 0 {
			o.rate = 300
		}
		if !set["guarantee"] {
			o.guarantee = "exactly_once"
		}
		switch {
		case o.topology != "count":
			return nil, errors.New("-soak runs the count topology")
		case o.scale:
			return nil, errors.New("-soak restarts instances; it does not scale")
		case o.restartEvery <= 0 || o.sampleEvery <= 0:
			return nil, errors.New("-restart-every and -sample-every must be positive")
		case o.soakCSV == "" || o.soakPNG == "":
			return nil, errors.New("-soak-csv and -soak-png must name files")
		}
	}
	if o.rate == 0 {
		o.rate = 400
		if o.long {
			o.rate = 200
		}
	}
	if o.kills == 0 {
		o.kills = 20
		if o.long {
			o.kills = max(20, int(o.duration/(6*time.Second)))
		}
	}
	if o.records == 0 {
		o.records = int64(o.duration.Seconds() * float64(o.rate))
	}
	if o.keys == 0 {
		o.keys = max(50, int(o.records/500))
	}
	if o.customers == 0 {
		o.customers = max(50, int(o.records/100))
	}
	switch o.topology {
	case "count":
	case "join":
		if !set["scale"] {
			o.scale = true
		}
	default:
		return nil, fmt.Errorf("-topology %q: want count or join", o.topology)
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	switch o.guarantee {
	case "both":
		o.guarantees = []string{"exactly_once", "at_least_once"}
	case "exactly_once", "at_least_once":
		o.guarantees = []string{o.guarantee}
	default:
		return nil, fmt.Errorf("-guarantee %q: want exactly_once, at_least_once or both", o.guarantee)
	}
	switch {
	case o.instances < 1:
		return nil, errors.New("-instances must be at least 1")
	case o.records < 1 || o.keys < 1 || o.partitions < 1:
		return nil, errors.New("-records, -keys and -partitions must be positive")
	case o.duration <= 0:
		return nil, errors.New("-duration must be positive")
	case o.customers < 1:
		return nil, errors.New("-customers must be positive")
	case o.joinWindow <= 0 || o.joinGrace < 0:
		return nil, errors.New("-join-window must be positive and -join-grace not negative")
	}
	if o.instances >= 3 {
		o.pDouble = 0.3
	}
	if o.session == 0 {
		o.session = 2 * time.Second
		if o.brokers != "" {
			o.session = 6 * time.Second
		}
	}
	if o.rebalance == 0 {
		o.rebalance = 5 * time.Second
		if o.brokers != "" {
			o.rebalance = 10 * time.Second
		}
	}
	return o, nil
}

func runController(args []string) int {
	o, err := parseOptions(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "eddy-chaos:", err)
		return 2
	}
	if o.soakReplot {
		rec, err := loadSoakCSV(o.soakCSV)
		if err == nil {
			err = writeSoakPNG(o.soakPNG, rec, soakTitle(o, o.guarantees[0], &soakStats{arenaMax: os.Getenv("MALLOC_ARENA_MAX")}))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "eddy-chaos:", err)
			return 1
		}
		fmt.Fprintf(o.out, "%s: %d samples, %d events plotted into %s\n", o.soakCSV, len(rec.samples), len(rec.events), o.soakPNG)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	dir, err := os.MkdirTemp("", "eddy-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "eddy-chaos:", err)
		return 1
	}
	ok := false
	defer func() {
		if ok && !o.keep {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintf(o.out, "logs and state kept in %s\n", dir)
		}
	}()
	fmt.Fprintf(o.out, "eddy-chaos: seed %d, %d instances, %v per run, ≥%d kills, %s, %d partitions; work dir %s\n",
		o.seed, o.instances, o.duration, o.kills, o.workloadText(), o.partitions, dir)

	brokers := o.brokers
	brokerLog := ""
	if brokers == "" {
		bin := o.brokerBin
		if bin == "" {
			bin = filepath.Join(dir, "eddy")
			t := time.Now()
			cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/eddy-streams/eddy/cmd/eddy")
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "eddy-chaos: build the broker (run from inside the eddy module, or pass -broker-bin or -brokers): %v\n", err)
				return 1
			}
			fmt.Fprintf(o.out, "built eddy broker in %v\n", time.Since(t).Round(100*time.Millisecond))
		}
		brokerLog = filepath.Join(dir, "broker.log")
		extra := []string{"-log-level", o.brokerLog}
		if o.brokerData {
			extra = append(extra, "-data-dir", filepath.Join(dir, "broker-data"))
		}
		addr, stopBroker, err := startBroker(ctx, bin, brokerLog, extra...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "eddy-chaos:", err)
			return 1
		}
		defer func() {
			if err := stopBroker(); err != nil {
				fmt.Fprintf(o.out, "broker stopped with %v\n", err)
			}
		}()
		brokers = addr
		fmt.Fprintf(o.out, "eddy broker running on %s (log %s)\n", brokers, brokerLog)
		// Allow session timeouts below Kafka's 6 s minimum, so that the
		// group notices a killed instance within o.session. The broker
		// does not compact (see internal/devbroker) unless asked to:
		// kfake's compaction can drop committed records of compacted
		// topics, which a restore from the changelog then misses.
		cfg := map[string]string{"group.min.session.timeout.ms": "1000"}
		if o.compaction {
			cfg["log.cleaner.backoff.ms"] = "15000"
		}
		if err := setBrokerConfigs(ctx, brokers, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "eddy-chaos: configure the broker:", err)
			return 1
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "eddy-chaos:", err)
		return 1
	}
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
	var results []*result
	for _, g := range o.guarantees {
		var r *result
		if o.soak {
			r = runSoak(ctx, o, g, self, strings.Split(brokers, ","), dir, brokerLog)
		} else {
			r = runOne(ctx, o, g, rng, self, strings.Split(brokers, ","), dir, brokerLog)
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintln(o.out)
	ok = true
	for _, r := range results {
		fmt.Fprintln(o.out, r.summary())
		ok = ok && r.ok()
	}
	ok = ok && ctx.Err() == nil
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(o.out, "eddy-chaos %s in %v (seed %d)\n", verdict, time.Since(start).Round(time.Second), o.seed)
	if !ok {
		return 1
	}
	return 0
}

// workloadText describes the input of each run.
func (o *options) workloadText() string {
	if o.topology == "join" {
		return fmt.Sprintf("join topology: %d orders, their payments and %d customers, join window %v (grace %v), scaling %v",
			o.records, o.customers, o.joinWindow, o.joinGrace, o.scale)
	}
	s := fmt.Sprintf("%d records over %d keys", o.records, o.keys)
	if o.soak {
		s += fmt.Sprintf(", soak: no kills, a rolling restart every %v", o.restartEvery)
	}
	if o.scale {
		s += ", scaling"
	}
	return s
}

// result is the outcome of one run (one guarantee).
type result struct {
	guarantee   string
	kills       int
	doubleKills int
	scaleIns    int
	scaleOuts   int
	scaled      bool
	starts      int
	unexpected  []string
	unclean     []string
	err         error // the run could not be carried out
	caughtUpIn  time.Duration
	caughtUp    bool
	outcome     outcome // nil if the run did not get to verify
	took        time.Duration
	soak        *soakStats // -soak only
}

func (r *result) ok() bool {
	return r.err == nil && r.caughtUp && r.outcome != nil && r.outcome.OK() && len(r.unexpected) == 0 && len(r.unclean) == 0
}

func (r *result) summary() string {
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	var b strings.Builder
	if r.soak != nil {
		fmt.Fprintf(&b, "%-13s %s: soak, ", r.guarantee, verdict)
	} else {
		fmt.Fprintf(&b, "%-13s %s: %d kills survived (%d double), ", r.guarantee, verdict, r.kills, r.doubleKills)
	}
	if r.scaled {
		fmt.Fprintf(&b, "%d scale-ins (graceful stops), %d scale-outs, ", r.scaleIns, r.scaleOuts)
	}
	fmt.Fprintf(&b, "%d process starts", r.starts)
	if r.outcome != nil {
		fmt.Fprintf(&b, "; %s", r.outcome.figures())
	}
	fmt.Fprintf(&b, "; caught up in %v; took %v", r.caughtUpIn.Round(100*time.Millisecond), r.took.Round(time.Second))
	if r.soak != nil {
		fmt.Fprintf(&b, "\n    %s", r.soak)
	}
	if r.err != nil {
		fmt.Fprintf(&b, "\n    error: %v", r.err)
	}
	if !r.caughtUp && r.err == nil {
		b.WriteString("\n    the instances did not catch up with the input")
	}
	if r.outcome != nil {
		problems, violations := r.outcome.problems()
		for _, p := range problems {
			fmt.Fprintf(&b, "\n    %s", p)
		}
		if violations > len(problems) {
			fmt.Fprintf(&b, "\n    … %d violations in all", violations)
		}
	}
	for _, u := range r.unexpected {
		fmt.Fprintf(&b, "\n    %s", u)
	}
	for _, u := range r.unclean {
		fmt.Fprintf(&b, "\n    %s", u)
	}
	return b.String()
}

// runOne runs the application under one guarantee: start the instances,
// produce while killing, let them catch up, stop them and verify.
func runOne(ctx context.Context, o *options, guarantee string, rng *rand.Rand, self string, brokers []string, dir, brokerLog string) *result {
	res := &result{guarantee: guarantee, scaled: o.scale}
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	su, err := newRunSetup(ctx, o, "chaos", guarantee, self, brokers, start, func(short string, secs float64) string {
		return fmt.Sprintf("[%s %5.1fs]", short, secs)
	})
	if err != nil {
		res.err = err
		return res
	}
	defer su.cl.Close()
	short, app, commit, m, logf, adm, c := su.short, su.app, su.commit, su.m, su.logf, su.adm, su.c
	progTopic, progTotal := m.progress()
	if o.clientLog != "" {
		c.args = append(c.args, "-client-log", o.clientLog)
	}
	// With scaling, a spare slot starts parked: scaling out starts it.
	spare := 0
	if o.scale {
		spare = 1
	}
	for i := range o.instances + spare {
		id := fmt.Sprintf("slot%d", i)
		c.slots = append(c.slots, &slot{n: i, id: id,
			stateDir: filepath.Join(dir, short, id, "state"), logPath: filepath.Join(dir, short, id+".log")})
		if err := os.MkdirAll(filepath.Join(dir, short, id, "state"), 0o755); err != nil {
			res.err = err
			return res
		}
	}
	fail := func(err error) *result {
		res.err = err
		c.killAll()
		printTails(o.out, c, brokerLog)
		return res
	}
	for _, s := range c.slots[:o.instances] {
		if err := c.start(s); err != nil {
			return fail(err)
		}
	}
	for _, s := range c.slots[o.instances:] {
		c.park(s)
	}
	logf("%d instances started (app %s, commit every %v)", o.instances, app, commit)
	if err := m.setup(ctx, adm, brokers, logf); err != nil {
		return fail(err)
	}

	// Produce in the background while the killer runs.
	var produced atomic.Int64
	prodDone := make(chan error, 1)
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go func() { prodDone <- m.produce(pctx, brokers, &produced) }()

	var killsDone atomic.Int64
	progressDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-t.C:
				logf("produced %d/%d, consumed %d (committed), %d kills, %d/%d instances running",
					produced.Load(), progTotal, committedInput(ctx, adm, app, progTopic), killsDone.Load(), len(c.running()), c.active())
			}
		}
	})

	// The kill schedule. Each event kills one instance, or two at once
	// with probability pDouble, once the group has made progress since the
	// previous restart (committed input offsets moved), plus a random
	// 0–2 s, so that kills land mid-processing, with transactions open
	// and commits in flight, at a random phase of the commit cycle. One
	// event in five does not wait and hits a group still rebalancing or
	// restoring. A kill is followed by a random downtime (none in 15% of
	// cases) and a restart on the same state directory. With -scale, every
	// fourth event scales instead (scaleEvent): a graceful stop of a
	// running instance, or the start of a stopped one. Events go on until
	// the producer is done and at least o.kills processes were killed.
	var prodErr error
	producing := true
	killPhase := time.Now()
	base := int64(-1)
	events := 0
	for ctx.Err() == nil {
		if producing {
			select {
			case prodErr = <-prodDone:
				producing = false
				if prodErr != nil {
					close(progressDone)
					wg.Wait()
					return fail(fmt.Errorf("producer: %w", prodErr))
				}
				logf("producer done: %d records", progTotal)
			default:
			}
		}
		if !producing && res.kills >= o.kills {
			break
		}
		wait := time.Duration(500+rng.IntN(1500)) * time.Millisecond
		if rng.Float64() >= 0.2 {
			waitProgress(ctx, adm, app, progTopic, base, progTotal, o.maxKillGap)
			wait = time.Duration(rng.IntN(2000)) * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		if ctx.Err() != nil {
			break
		}
		events++
		if o.scale && events%scaleEvery == 0 {
			scaleEvent(c, rng, o, res, logf)
			base = committedInput(ctx, adm, app, progTopic)
			continue
		}
		victims := pick(rng, c.running(), o.pDouble)
		if len(victims) == 0 {
			continue
		}
		killed := c.kill(victims...)
		res.kills += len(killed)
		killsDone.Store(int64(res.kills))
		if len(killed) > 1 {
			res.doubleKills++
		}
		downtime := time.Duration(0)
		if rng.Float64() >= 0.15 {
			downtime = time.Duration(100+rng.IntN(1400)) * time.Millisecond
		}
		if o.verbose {
			logf("SIGKILL %s; restart in %v", slotNames(killed), downtime)
		}
		select {
		case <-ctx.Done():
		case <-time.After(downtime):
		}
		base = committedInput(ctx, adm, app, progTopic)
		for _, s := range killed {
			if err := c.start(s); err != nil {
				close(progressDone)
				wg.Wait()
				return fail(err)
			}
		}
	}
	close(progressDone)
	wg.Wait()
	if ctx.Err() != nil {
		return fail(ctx.Err())
	}
	logf("kill phase over after %v: %d kills (%d double)", time.Since(killPhase).Round(100*time.Millisecond), res.kills, res.doubleKills)

	// Catch up: every input and repartition record processed and committed.
	catchStart := time.Now()
	topics, txn := m.lagTopics()
	var last lagReport
	for time.Since(catchStart) < o.catchup && ctx.Err() == nil {
		// Unexpected exits are restarted after a second.
		if len(c.running()) == c.active() {
			lctx, cancel := context.WithTimeout(ctx, 90*time.Second)
			lr, err := groupLag(lctx, adm, brokers, app, topics, txn)
			cancel()
			if errors.Is(err, errOpenTransaction) {
				if o.verbose {
					logf("not caught up: %v", err)
				}
			} else if err != nil {
				logf("lag: %v", err)
			} else if last = lr; lr.behind == 0 {
				res.caughtUp = true
				break
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
	// Eddy bounds its own shutdown (ending a transaction, closing) at 30 s.
	res.unclean = c.stopAll(45 * time.Second)
	for _, s := range c.slots {
		res.starts += s.starts
		res.unexpected = append(res.unexpected, s.unexpected...)
	}
	if ctx.Err() != nil {
		return fail(ctx.Err())
	}
	logf("instances stopped; verifying the output")

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

// With -scale, every scaleEvery-th chaos event scales rather than kills.
const scaleEvery = 4

// scaleEvent scales in (stops a running instance gracefully and keeps it
// stopped) or out (starts a parked one), keeping between instances-1 and
// instances+1 running: at the bounds it moves back, in between it picks
// either way at random.
func scaleEvent(c *cluster, rng *rand.Rand, o *options, res *result, logf func(string, ...any)) {
	running, parked := c.running(), c.parkedSlots()
	var out bool
	switch {
	case len(parked) == 0:
		out = false
	case len(running) < o.instances || len(running) <= 1:
		out = true
	case len(running) > o.instances:
		out = false
	default:
		out = rng.IntN(2) == 0
	}
	if out {
		s := parked[rng.IntN(len(parked))]
		if err := c.start(s); err != nil {
			// Counted as an unexpected problem; the slot stays parked.
			res.unexpected = append(res.unexpected, fmt.Sprintf("scale out: %v", err))
			c.park(s)
			return
		}
		res.scaleOuts++
		if o.verbose {
			logf("scale out: started %s (%d running)", s.id, len(running)+1)
		}
		return
	}
	if len(running) <= 1 {
		return
	}
	s := running[rng.IntN(len(running))]
	t := time.Now()
	stopped, problem := c.stop(s, 45*time.Second)
	if problem != "" {
		res.unclean = append(res.unclean, problem)
	}
	if stopped {
		res.scaleIns++
		if o.verbose {
			logf("scale in: stopped %s gracefully in %v (%d running)", s.id, time.Since(t).Round(100*time.Millisecond), len(running)-1)
		}
	}
}

// setBrokerConfigs sets cluster-wide broker configs.
func setBrokerConfigs(ctx context.Context, brokers string, cfg map[string]string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
	if err != nil {
		return err
	}
	defer cl.Close()
	var alter []kadm.AlterConfig
	for k, v := range cfg {
		alter = append(alter, kadm.AlterConfig{Name: k, Value: &v})
	}
	resps, err := kadm.NewClient(cl).AlterBrokerConfigs(ctx, alter)
	if err == nil {
		for _, r := range resps {
			err = errors.Join(err, r.Err)
		}
	}
	return err
}

// waitProgress waits until the group's committed input offsets exceed
// base, all records are consumed, or max passes.
func waitProgress(ctx context.Context, adm *kadm.Client, group, input string, base, records int64, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if n := committedInput(ctx, adm, group, input); n > base || n >= records {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// committedInput sums the group's committed offsets on the input topic:
// how many inputs are processed for good (-1 if unknown).
func committedInput(ctx context.Context, adm *kadm.Client, group, input string) int64 {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return -1
	}
	var n int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == input && o.Err == nil {
			n += o.At
		}
	})
	return n
}

// pick chooses the kill victims among the running slots: one, or with
// probability pDouble two distinct ones.
func pick(rng *rand.Rand, running []*slot, pDouble float64) []*slot {
	if len(running) == 0 {
		return nil
	}
	n := 1
	if len(running) >= 2 && rng.Float64() < pDouble {
		n = 2
	}
	rng.Shuffle(len(running), func(i, j int) { running[i], running[j] = running[j], running[i] })
	return running[:n]
}

func slotNames(ss []*slot) string {
	var names []string
	for _, s := range ss {
		names = append(names, s.id)
	}
	return strings.Join(names, "+")
}

func printTails(w io.Writer, c *cluster, brokerLog string) {
	for _, s := range c.slots {
		fmt.Fprintf(w, "---- last lines of %s ----\n%s\n", s.logPath, tail(s.logPath, 40))
	}
	if brokerLog != "" {
		fmt.Fprintf(w, "---- last lines of %s ----\n%s\n", brokerLog, tail(brokerLog, 20))
	}
}
