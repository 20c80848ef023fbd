// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// Names of the topology's parts; the internal topics are
// <app>-by-group-repartition and <app>-tallies-changelog.
const (
	repartitionName = "by-group"
	storeName       = "tallies"
)

func repartitionTopic(app string) string { return app + "-" + repartitionName + "-repartition" }
func changelogTopic(app string) string   { return app + "-" + storeName + "-changelog" }

// chaosTopology reads input ids (key "r<id>", value the id as Int64),
// groups them by groupKey — which repartitions — and folds them into a
// Tally per group, emitting every update to output.
func chaosTopology(input, output string, keys int) (*stream.Topology, error) {
	b := stream.NewBuilder()
	b.Stream(input, serde.String(), serde.Int64()).
		GroupBy(func(_ string, id int64) string { return groupKey(id, keys) }, serde.String(), stream.As(repartitionName)).
		Aggregate(func() Tally { return Tally{} },
			func(_ string, id int64, t Tally) Tally { return t.Add(id, keys) },
			tallySerde{}, table.As(storeName)).
		ToStream().
		To(output, serde.String(), tallySerde{})
	return b.Build()
}

// instanceFlags are the arguments of "eddy-chaos instance", which the
// controller passes when it (re)starts an instance process.
type instanceFlags struct {
	app, brokers, state, id, input, output, guarantee string
	keys                                              int
	commit                                            time.Duration
	clientLog                                         string
	session, rebalance                                time.Duration
	// The join mode's.
	topology, payments, customers string
	joinWindow, joinGrace         time.Duration
}

// runInstance runs one application instance until SIGTERM/SIGINT, then
// shuts it down gracefully. It logs to stderr, which the controller sends
// to the instance's log file.
func runInstance(args []string) error {
	// First of all, so that a stop request during start-up is graceful too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var f instanceFlags
	fs := flag.NewFlagSet("eddy-chaos instance", flag.ContinueOnError)
	fs.StringVar(&f.app, "app", "", "application id")
	fs.StringVar(&f.brokers, "brokers", "", "comma-separated bootstrap servers")
	fs.StringVar(&f.state, "state", "", "state directory (kept across restarts of this instance slot)")
	fs.StringVar(&f.id, "id", "", "instance id (stable per slot, so a restart fences its predecessor)")
	fs.StringVar(&f.topology, "topology", "count", "count (the counting topology) or join (the join topology)")
	fs.StringVar(&f.input, "input", "", "input topic (join: the orders)")
	fs.StringVar(&f.output, "output", "", "output topic")
	fs.StringVar(&f.guarantee, "guarantee", "exactly_once", "exactly_once or at_least_once")
	fs.IntVar(&f.keys, "keys", 0, "number of group keys (count)")
	fs.StringVar(&f.payments, "payments", "", "payments topic (join)")
	fs.StringVar(&f.customers, "customers", "", "customers topic, read as a table (join)")
	fs.DurationVar(&f.joinWindow, "join-window", 0, "time difference of the stream–stream join window (join)")
	fs.DurationVar(&f.joinGrace, "join-grace", 0, "grace period of the stream–stream join window (join)")
	fs.DurationVar(&f.commit, "commit-interval", 0, "commit interval (0: the runtime's default)")
	fs.DurationVar(&f.session, "session-timeout", 6*time.Second, "consumer group session timeout")
	fs.DurationVar(&f.rebalance, "rebalance-timeout", 0, "consumer group rebalance timeout (0: franz-go's default, 60 s)")
	fs.StringVar(&f.clientLog, "client-log", "", "log the Kafka client (franz-go) at this level: error, warn, info or debug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.app == "" || f.brokers == "" || f.state == "" || f.id == "" || f.input == "" || f.output == "" {
		return errors.New("instance: -app, -brokers, -state, -id, -input and -output are required")
	}
	g, err := parseGuarantee(f.guarantee)
	if err != nil {
		return err
	}
	var topo *stream.Topology
	switch f.topology {
	case "count":
		if f.keys <= 0 {
			return errors.New("instance: -topology count needs -keys")
		}
		topo, err = chaosTopology(f.input, f.output, f.keys)
	case "join":
		if f.payments == "" || f.customers == "" || f.joinWindow <= 0 {
			return errors.New("instance: -topology join needs -payments, -customers and -join-window")
		}
		topo, err = joinTopology(f.input, f.payments, f.customers, f.output, window.JoinWindow(f.joinWindow).Grace(f.joinGrace))
	default:
		return fmt.Errorf("instance: -topology %q: want count or join", f.topology)
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	clientOpts := []kgo.Opt{kgo.SessionTimeout(f.session), kgo.HeartbeatInterval(min(3*time.Second, f.session/10))}
	if f.rebalance > 0 {
		clientOpts = append(clientOpts, kgo.RebalanceTimeout(f.rebalance))
	}
	if f.clientLog != "" {
		var lvl kgo.LogLevel
		switch f.clientLog {
		case "error":
			lvl = kgo.LogLevelError
		case "warn":
			lvl = kgo.LogLevelWarn
		case "info":
			lvl = kgo.LogLevelInfo
		case "debug":
			lvl = kgo.LogLevelDebug
		default:
			return fmt.Errorf("-client-log %q: want error, warn, info or debug", f.clientLog)
		}
		clientOpts = append(clientOpts, kgo.WithLogger(kgo.BasicLogger(os.Stderr, lvl, func() string {
			return time.Now().UTC().Format("15:04:05.000 ")
		})))
	}
	app, err := runtime.New(topo, runtime.Config{
		AppID:          f.app,
		Brokers:        strings.Split(f.brokers, ","),
		StateDir:       f.state,
		InstanceID:     f.id,
		Guarantee:      g,
		CommitInterval: f.commit,
		// The verifier checks every update under exactly-once (one
		// input per step): no record cache, which would merge steps.
		CacheMaxBytes: runtime.NoCache,
		Logger:        log,
		ClientOptions: clientOpts,
	})
	if err != nil {
		return err
	}
	log.Info("chaos instance starting", "pid", os.Getpid(), "instance", f.id, "guarantee", g.String(), "topology", f.topology)
	runErr := app.Run(ctx)
	if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
		runErr = nil // stopped while starting up
	}
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	closeErr := app.Close(cctx)
	if err := errors.Join(runErr, closeErr); err != nil {
		return fmt.Errorf("instance %s: %w", f.id, err)
	}
	log.Info("chaos instance stopped cleanly", "instance", f.id)
	return nil
}

func parseGuarantee(s string) (runtime.Guarantee, error) {
	switch s {
	case "exactly_once", "exactly_once_v2", "eos":
		return runtime.ExactlyOnce, nil
	case "at_least_once", "alos":
		return runtime.AtLeastOnce, nil
	}
	return 0, fmt.Errorf("unknown guarantee %q: want exactly_once or at_least_once", s)
}
