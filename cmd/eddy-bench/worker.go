package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/eddy-streams/eddy/runtime"
)

// workerFlags are shared by the hidden "worker" (Eddy) and "raw" (franz-go
// loop) subcommands, which the harness starts as child processes.
type workerFlags struct {
	brokers, scenario, guarantee, appID, prefix, stateDir string
	commit                                                time.Duration
}

func parseWorkerFlags(name string, args []string) workerFlags {
	var f workerFlags
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&f.brokers, "brokers", "127.0.0.1:9092", "bootstrap servers")
	fs.StringVar(&f.scenario, "scenario", scenWordCount, "wordcount|stateless")
	fs.StringVar(&f.guarantee, "guarantee", "alos", "alos|eos")
	fs.StringVar(&f.appID, "app-id", "", "application id / consumer group")
	fs.StringVar(&f.prefix, "topic-prefix", "", "prefix of user topics")
	fs.StringVar(&f.stateDir, "state-dir", os.TempDir(), "state directory")
	fs.DurationVar(&f.commit, "commit-interval", 100*time.Millisecond, "commit interval")
	fs.Parse(args)
	if f.appID == "" {
		fmt.Fprintln(os.Stderr, name+": -app-id is required")
		os.Exit(2)
	}
	return f
}

// announce prints the line the harness waits for, as the Java reference does.
func announce(state string) {
	fmt.Printf("STATE %s %d\n", state, time.Now().UnixMilli())
}

// runEddyWorker runs runtime.App with the scenario topology until SIGTERM.
func runEddyWorker(args []string) int {
	f := parseWorkerFlags("worker", args)
	topo, err := topology(f.scenario, f.prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	g := runtime.AtLeastOnce
	if f.guarantee == "eos" {
		g = runtime.ExactlyOnce
	}
	app, err := runtime.New(topo, runtime.Config{
		AppID:          f.appID,
		Brokers:        strings.Split(f.brokers, ","),
		StateDir:       f.stateDir,
		Guarantee:      g,
		CommitInterval: f.commit,
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		StateListener: func(_, s runtime.State) {
			announce(s.String())
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := app.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "eddy worker:", err)
		return 1
	}
	return 0
}
