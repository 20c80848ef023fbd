// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/reset"
)

// defaultResetTimeout bounds a whole reset, so that unreachable brokers
// end it with an error instead of a hang.
const defaultResetTimeout = time.Minute

func resetCommand() *command {
	return &command{
		name:    "reset",
		summary: "reset an application so that it reprocesses its input",
		synopsis: "-brokers host:port -application-id ID [-input-topics t1,t2] [-intermediate-topics t3]\n" +
			"\t[-to-earliest | -to-latest | -to-datetime TIME | -by-duration D | -to-offset N]\n" +
			"\t[-state-dir DIR] [-dry-run] [connection flags]",
		description: `Reset is Eddy's application reset tool, like Kafka Streams'
kafka-streams-application-reset. It prepares an application to process its
input again from the start (or from a time or offset):

  - it sets the committed offsets of the application's consumer group (the
    application id) on every partition of the -input-topics to the earliest
    offset (the default), the latest, the first record at or after a time
    (-to-datetime, or -by-duration before now), or an offset (-to-offset,
    kept within each partition's start and end);
  - it sets those of the -intermediate-topics (user topics the application
    both writes and reads) to their end, so that it does not read its own
    earlier output again;
  - it deletes the application's internal topics, <id>-*-repartition and
    <id>-*-changelog, and the group's committed offsets on them; topics of
    that name that may belong to another application whose id starts with
    "<id>-" (its consumer group exists) are listed and left alone;
  - with -state-dir, the instances' Config.StateDir, it deletes the local
    state under DIR/<id>/ on this machine, except the instance-id file.

It refuses, changing nothing, while the consumer group has live members,
or (with -state-dir) while a process holds the local state directory: stop
every instance first. A static member (Config.GroupInstanceID) stays
in the group until its session timeout after it stops. Local state lives on
every machine that ran an instance: run the reset with -state-dir on each
(or delete DIR/<id> there) before restarting, or restarted instances keep
their old state.

-dry-run prints the plan and changes nothing. Without it the plan is printed,
then each step as it is done. Source, sink and dead-letter topics are never
deleted.

For example, to reprocess everything:

	eddy reset -brokers kafka:9092 -application-id wordcount \
		-input-topics text-lines -state-dir /var/lib/wordcount -dry-run
`,
		flags: func() *flag.FlagSet { fs, _ := resetFlagSet(); return fs },
		run:   runReset,
	}
}

// resetFlags holds the parsed flags of "eddy reset".
type resetFlags struct {
	client        clientFlags
	appID         string
	inputs        topicNames
	intermediates topicNames
	toEarliest    bool
	toLatest      bool
	toDatetime    string
	byDuration    time.Duration
	toOffset      int64
	stateDir      string
	dryRun        bool
	timeout       time.Duration
}

func resetFlagSet() (*flag.FlagSet, *resetFlags) {
	f := &resetFlags{}
	fs := flag.NewFlagSet("eddy reset", flag.ContinueOnError)
	f.client.register(fs)
	fs.StringVar(&f.appID, "application-id", "", "the application's `id` (Config.AppID), which is also its consumer group (required)")
	fs.Var(&f.inputs, "input-topics", "the application's source `topics`, comma-separated; repeatable")
	fs.Var(&f.intermediates, "intermediate-topics", "user `topics` the application writes and reads again, comma-separated; their offsets go to the end")
	fs.BoolVar(&f.toEarliest, "to-earliest", false, "set input offsets to each partition's start (the default)")
	fs.BoolVar(&f.toLatest, "to-latest", false, "set input offsets to each partition's end: skip everything written so far")
	fs.StringVar(&f.toDatetime, "to-datetime", "", "set input offsets to the first record at or after `time`, in RFC 3339 (2024-05-01T12:00:00Z)")
	fs.DurationVar(&f.byDuration, "by-duration", 0, "set input offsets to the first record at or after this `duration` before now (e.g. 1h30m)")
	fs.Int64Var(&f.toOffset, "to-offset", 0, "set input offsets to this `offset`, kept within each partition's start and end")
	fs.StringVar(&f.stateDir, "state-dir", "", "also delete the local state in `dir`/<application-id> (the instances' Config.StateDir) on this machine")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what the reset would do, and change nothing")
	fs.DurationVar(&f.timeout, "timeout", defaultResetTimeout, "give up after this `duration`")
	return fs, f
}

// position returns the input position the flags ask for; at most one of
// the position flags may be given.
func (f *resetFlags) position(fs *flag.FlagSet) (reset.Position, error) {
	var set []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "to-earliest", "to-latest", "to-datetime", "by-duration", "to-offset":
			set = append(set, "-"+fl.Name)
		}
	})
	if len(set) > 1 {
		return reset.Position{}, usagef("%s exclude each other: give one", strings.Join(set, " and "))
	}
	if len(set) == 0 {
		return reset.Earliest(), nil
	}
	if len(f.inputs) == 0 {
		return reset.Position{}, usagef("%s sets the offsets of the input topics: give them with -input-topics", set[0])
	}
	switch set[0] {
	case "-to-earliest":
		if !f.toEarliest {
			return reset.Position{}, usagef("-to-earliest=false: give another position flag instead")
		}
		return reset.Earliest(), nil
	case "-to-latest":
		if !f.toLatest {
			return reset.Position{}, usagef("-to-latest=false: give another position flag instead")
		}
		return reset.Latest(), nil
	case "-to-datetime":
		t, err := time.Parse(time.RFC3339Nano, f.toDatetime)
		if err != nil {
			return reset.Position{}, usagef("-to-datetime %q: want a time in RFC 3339, e.g. 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.000+02:00", f.toDatetime)
		}
		return reset.AtTime(t), nil
	case "-by-duration":
		if f.byDuration <= 0 {
			return reset.Position{}, usagef("-by-duration %v: want a positive duration, e.g. 1h30m", f.byDuration)
		}
		return reset.AtTime(time.Now().Add(-f.byDuration)), nil
	}
	return reset.AtOffset(f.toOffset), nil
}

func runReset(ctx context.Context, env *env, args []string) error {
	fs, f := resetFlagSet()
	if err := parseFlags(env, resetCommand(), fs, args); err != nil {
		return err
	}
	opts, err := f.client.opts()
	if err != nil {
		return err
	}
	if f.appID == "" {
		return usagef("-application-id is required")
	}
	pos, err := f.position(fs)
	if err != nil {
		return err
	}
	if f.timeout <= 0 {
		return usagef("-timeout %v: want a positive duration", f.timeout)
	}
	// Topic metadata is cached for MetadataMinAge (5 s by default); a
	// short age lets Apply see deleted topics disappear promptly.
	cl, err := kgo.NewClient(append(opts, kgo.MetadataMinAge(250*time.Millisecond))...)
	if err != nil {
		return fmt.Errorf("create the Kafka client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	plan, err := reset.Prepare(ctx, kadm.NewClient(cl), f.appID, reset.InputTopics(f.inputs...),
		reset.IntermediateTopics(f.intermediates...), reset.To(pos), reset.StateDir(f.stateDir))
	if err != nil {
		return f.explain(err)
	}
	if f.dryRun {
		fmt.Fprintln(env.stdout, "Dry run: nothing is changed. Without -dry-run, the reset would:")
		_, err := plan.WriteTo(env.stdout)
		return err
	}
	fmt.Fprintln(env.stdout, "Resetting:")
	if _, err := plan.WriteTo(env.stdout); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "Applying:")
	if err := plan.Apply(ctx, func(step string) { fmt.Fprintln(env.stdout, "  "+step) }); err != nil {
		return f.explain(err)
	}
	fmt.Fprintf(env.stdout, "Reset of application %q complete: start its instances to reprocess the input.\n", f.appID)
	return nil
}

// explain adds what to check to a timeout, which otherwise reads only
// "context deadline exceeded".
func (f *resetFlags) explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: no answer from the brokers at %s within -timeout %v: check -brokers and the connection flags", err, f.client.brokers, f.timeout)
	}
	return err
}

// topicNames is a repeatable, comma-separated list of topic names.
type topicNames []string

func (l *topicNames) String() string { return strings.Join(*l, ",") }

func (l *topicNames) Set(s string) error {
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			return fmt.Errorf("%q: empty topic name", s)
		}
		*l = append(*l, t)
	}
	return nil
}
