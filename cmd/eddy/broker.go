package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/eddy-streams/eddy/internal/devbroker"
)

// defaultBrokerPort is Kafka's usual port, so applications configured for
// a local Kafka find the embedded broker without changes.
const defaultBrokerPort = 9092

func brokerCommand() *command {
	return &command{
		name:     "broker",
		summary:  "run an embedded Kafka-protocol broker for development",
		synopsis: "[-port 9092] [-data-dir DIR] [-partitions N] [-topic name[:partitions]]...",
		description: `Broker runs an in-process Kafka-protocol broker (franz-go's kfake) on
127.0.0.1, configured to behave like a single-node Kafka for Eddy and other
Kafka Streams-style applications: auto-created topics, transactions and
read_committed, classic and KIP-848 consumer groups, log compaction.

It prints the bootstrap address on standard output, logs to standard error,
and runs until interrupted (Ctrl-C or SIGTERM). With -data-dir, topics,
records, committed offsets and transaction state are written to the
directory on shutdown and loaded again on the next start; without it
everything is kept in memory and lost on exit.

It is for development and tests: nothing is replicated and performance
says nothing about a real Kafka cluster.
`,
		flags: func() *flag.FlagSet { fs, _ := brokerFlagSet(); return fs },
		run:   runBroker,
	}
}

// brokerFlags holds the parsed flags of "eddy broker".
type brokerFlags struct {
	port         int
	dataDir      string
	partitions   int
	brokers      int
	topics       topicList
	noAutoCreate bool
	logLevel     slog.Level
}

func brokerFlagSet() (*flag.FlagSet, *brokerFlags) {
	f := &brokerFlags{}
	fs := flag.NewFlagSet("eddy broker", flag.ContinueOnError)
	fs.IntVar(&f.port, "port", defaultBrokerPort, "TCP port on 127.0.0.1 to listen on (0 picks a free port; more brokers use the following ports)")
	fs.StringVar(&f.dataDir, "data-dir", "", "`directory` to keep the broker's state in across restarts (default: in memory)")
	fs.IntVar(&f.partitions, "partitions", int(devbroker.DefaultPartitions), "partitions of auto-created topics and of -topic entries without a count")
	fs.Var(&f.topics, "topic", "topic to create at start, as `name[:partitions]`; repeatable, or comma-separated")
	fs.IntVar(&f.brokers, "brokers", 1, "number of brokers (nothing is replicated between them)")
	fs.BoolVar(&f.noAutoCreate, "no-auto-create", false, "do not create unknown topics when clients ask for them")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "`level` to log at: debug, info, warn or error (debug includes the broker's internals)")
	return fs, f
}

// options turns the flags into broker options. Range checks beyond the
// int32 conversion are left to devbroker, which reports them all at once.
func (f *brokerFlags) options(log *slog.Logger) (devbroker.Options, error) {
	if f.partitions < math.MinInt32 || f.partitions > math.MaxInt32 {
		return devbroker.Options{}, usagef("-partitions %d is out of range", f.partitions)
	}
	return devbroker.Options{
		Port:                    f.port,
		DataDir:                 f.dataDir,
		Brokers:                 f.brokers,
		Partitions:              int32(f.partitions),
		Topics:                  f.topics,
		DisableAutoCreateTopics: f.noAutoCreate,
		Logger:                  log,
	}, nil
}

func runBroker(ctx context.Context, env *env, args []string) error {
	fs, f := brokerFlagSet()
	if err := parseFlags(env, brokerCommand(), fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: f.logLevel}))
	opts, err := f.options(log)
	if err != nil {
		return err
	}
	b, err := devbroker.Start(ctx, opts)
	if err != nil {
		return err
	}
	// The only line on stdout, so scripts can capture it.
	fmt.Fprintln(env.stdout, strings.Join(b.Addrs(), ","))
	log.Info("broker running; press Ctrl-C to stop")

	<-ctx.Done()
	log.Info("shutting down")
	return b.Close()
}

// topicList is the repeatable -topic flag.
type topicList []string

func (l *topicList) String() string { return strings.Join(*l, ",") }

func (l *topicList) Set(s string) error {
	for _, spec := range strings.Split(s, ",") {
		spec = strings.TrimSpace(spec)
		// Check the syntax now for a clear flag error; devbroker
		// checks again, with the default partition count in hand.
		if _, _, err := devbroker.ParseTopic(spec); err != nil {
			return err
		}
		*l = append(*l, spec)
	}
	return nil
}
